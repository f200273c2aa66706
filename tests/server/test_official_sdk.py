"""The official Humanloop SDK (``humanloop==0.8.38``, written by nobody here) against the server.

If a client we did not write works unchanged, the server speaks Humanloop's API rather
than our reading of it.
"""

from __future__ import annotations

import pytest

humanloop = pytest.importorskip("humanloop")  # a dev dependency; always installed in CI
from humanloop import Humanloop  # noqa: E402
from humanloop.errors import UnprocessableEntityError  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402

EXTERNAL = {"arguments_type": "target_free", "return_type": "boolean", "evaluator_type": "external"}


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


def test_prompts_round_trip(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path, model="mock-1", provider="mock",
                                template=[{"role": "system", "content": "Be {{tone}}."}])
    assert sdk.prompts.get(id=prompt.id).version_id == prompt.version_id

    called = sdk.prompts.call(path=unique_path, inputs={"tone": "brief"},
                              messages=[{"role": "user", "content": "hello there"}])
    assert called.logs[0].output == "You said: hello there"
    assert called.prompt.id == prompt.id

    chunks = list(sdk.prompts.call_stream(path=unique_path, inputs={"tone": "brief"},
                                          messages=[{"role": "user", "content": "stream me"}]))
    assert "".join(c.output or "" for c in chunks) == "You said: stream me"
    assert chunks[-1].finish_reason == "stop"

    logged = sdk.prompts.log(path=unique_path, output="by hand", inputs={"tone": "x"},
                             messages=[{"role": "user", "content": "hi"}])
    assert logged.prompt_id == prompt.id

    assert prompt.id in {p.id for p in sdk.prompts.list(size=100)}
    assert [v.version_id for v in sdk.prompts.list_versions(id=prompt.id).records] == [prompt.version_id]

    logs = list(sdk.logs.list(file_id=prompt.id, size=10))
    assert {log.id for log in logs} == {called.id, chunks[0].id, logged.id}
    fetched = sdk.logs.get(id=called.id)
    output = fetched["output"] if isinstance(fetched, dict) else fetched.output
    assert output == "You said: hello there"

    sdk.prompts.delete(id=prompt.id)
    assert prompt.id not in {p.id for p in sdk.prompts.list(size=100)}


def test_datasets_evaluators_evaluations_files(sdk: Humanloop, unique_path: str) -> None:
    dataset = sdk.datasets.upsert(path=unique_path + "/data",
                                  datapoints=[{"inputs": {"q": "1"}}, {"inputs": {"q": "2"}}])
    points = list(sdk.datasets.list_datapoints(id=dataset.id))
    assert [p.inputs for p in points] == [{"q": "1"}, {"q": "2"}]

    evaluator = sdk.evaluators.upsert(path=unique_path + "/judge", spec=EXTERNAL)
    prompt = sdk.prompts.upsert(path=unique_path + "/p", model="mock-1", provider="mock")
    evaluation = sdk.evaluations.create(name="sdk-eval", file={"id": prompt.id},
                                        evaluators=[{"version_id": evaluator.version_id}])
    assert evaluation.file_id == prompt.id
    assert [e.id for e in sdk.evaluations.list(file_id=prompt.id)] == [evaluation.id]

    listed = sdk.files.list_files(name=unique_path.rsplit("/", 1)[-1], size=50)
    assert listed.total >= 0
    everything = {f.id for f in sdk.files.list_files(size=1000).records}
    assert {dataset.id, evaluator.id, prompt.id} <= everything


def test_validation_error_arrives_as_unprocessable_entity(sdk: Humanloop, unique_path: str) -> None:
    with pytest.raises(UnprocessableEntityError) as raised:
        sdk.prompts.upsert(path=unique_path, model="m", provider="not-a-provider")  # type: ignore[arg-type]
    assert raised.value.status_code == 422

    sdk.prompts.upsert(path=unique_path, model="mock-1", provider="mock", template="Say {{word}}")
    # The SDK wraps call() errors for its decorators; the cause is still the typed 422.
    with pytest.raises(Exception) as wrapped:
        sdk.prompts.call(path=unique_path, messages=[{"role": "user", "content": "hi"}])
    cause = wrapped.value if isinstance(wrapped.value, UnprocessableEntityError) else wrapped.value.__cause__
    assert isinstance(cause, UnprocessableEntityError)
    assert "word" in str(cause.body)


def test_a_kernel_from_the_official_sdk_does_not_move_the_default(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path, model="mock-1", provider="mock")
    tool = {"name": "magic_function", "description": "d", "parameters": {"type": "object", "properties": {}}}
    for temperature in (0.1, 0.2, 0.3):
        with_kernel = sdk.prompts.call(path=unique_path, messages=[{"role": "user", "content": "hi"}],
                                       prompt={"model": "mock-1", "provider": "mock",
                                               "temperature": temperature, "tools": [tool]})
        assert with_kernel.prompt.version_id != prompt.version_id
        assert with_kernel.log_id == with_kernel.id
    plain = sdk.prompts.call(path=unique_path, messages=[{"role": "user", "content": "hi"}])
    assert plain.prompt.version_id == prompt.version_id and not plain.prompt.tools
    assert sdk.prompts.get(id=prompt.id).version_id == prompt.version_id

    found = sdk.files.retrieve_by_path(path=unique_path)
    assert (found.id, found.version_id) == (prompt.id, prompt.version_id)

    other = with_kernel.prompt.version_id
    renamed = sdk.prompts.patch_prompt_version(prompt.id, other, name="experiment", description="why")
    assert (renamed.version_name, renamed.version_description) == ("experiment", "why")
    sdk.prompts.delete_prompt_version(prompt.id, other)
    assert other not in {v.version_id for v in sdk.prompts.list_versions(id=prompt.id).records}


def test_official_sdk_version_names(sdk: Humanloop, unique_path: str) -> None:
    from humanloop.core.api_error import ApiError as SdkApiError

    first = sdk.prompts.upsert(path=unique_path, model="mock-1", provider="mock",
                               version_name="v1", version_description="first")
    assert (first.version_name, first.version_description) == ("v1", "first")
    with pytest.raises(SdkApiError) as raised:
        sdk.prompts.upsert(path=unique_path, model="mock-1", provider="mock", temperature=0.5,
                           version_name="v1")
    assert raised.value.status_code == 409
    tool = sdk.tools.upsert(path=unique_path + "-tool", function={"name": "f", "description": "d"},
                            version_name="t1")
    renamed = sdk.tools.update_tool_version(tool.id, tool.version_id, name="t1-final")
    assert renamed.version_name == "t1-final"
