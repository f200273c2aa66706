"""The SDK 0.8.38 additions to prompts, tools, datasets and logs, through the official SDK:
.prompt files round-trip, populate renders as a call does, tool environment variables, CSV
upload, the newer log fields and file descriptions."""

from __future__ import annotations

import json

import pytest

humanloop = pytest.importorskip("humanloop")
from humanloop import Humanloop  # noqa: E402
from humanloop.errors import UnprocessableEntityError  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402
from humanloop_core.server.fileformat import deserialize, serialize  # noqa: E402

MOCK = {"model": "mock-1", "provider": "mock"}
CHAT = [{"role": "system", "content": "You are {{persona}}.\nBe brief."},
        {"role": "user", "content": "Tell me about {{topic}}"}]


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


def test_prompt_file_round_trips(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path, **MOCK, template=CHAT, temperature=0.3,
                                stop=["END"], tools=[{"name": "f", "description": "d", "parameters": {"type": "object"}}])
    text = sdk.prompts.serialize(id=prompt.id)
    assert text.startswith("---\nmodel: mock-1\nprovider: mock\n")
    assert "<system>\nYou are {{persona}}.\nBe brief.\n</system>\n\n<user>\nTell me about {{topic}}\n</user>" in text
    kernel = sdk.prompts.deserialize(prompt=text)
    first = kernel.template[0]  # the SDK constructs (does not validate) the union: a dict
    assert (first["content"] if isinstance(first, dict) else first.content) == CHAT[0]["content"]
    assert kernel.temperature == 0.3
    tool = kernel.tools[0]
    assert kernel.stop == ["END"] and (tool["name"] if isinstance(tool, dict) else tool.name) == "f"
    # the same text upserted again is the same version
    again = sdk.prompts.upsert(path=unique_path, **kernel.dict(exclude_none=True))
    assert again.version_id == prompt.version_id
    assert serialize(deserialize(text)) == text
    found = sdk.files.retrieve_by_path(path=unique_path, include_raw_file_content=True)
    raw = found["raw_file_content"] if isinstance(found, dict) else found.raw_file_content
    assert raw == text
    plain = sdk.files.retrieve_by_path(path=unique_path)
    assert (plain.get("raw_file_content") if isinstance(plain, dict) else plain.raw_file_content) is None


def test_bad_prompt_file_is_a_422_naming_the_field(sdk: Humanloop) -> None:
    with pytest.raises(UnprocessableEntityError) as info:
        sdk.prompts.deserialize(prompt="no front matter")
    assert "front matter" in str(info.value.body)
    with pytest.raises(UnprocessableEntityError):
        sdk.prompts.deserialize(prompt="---\nmodel: m\n---\nstray text <user>\nhi\n</user>\n")


def test_populate_renders_as_a_call_does(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path, **MOCK, template=CHAT)
    inputs = {"persona": "a guide", "topic": "Oslo"}
    populated = sdk.prompts.populate(id=prompt.id, request=inputs)
    called = sdk.prompts.call(id=prompt.id, inputs=inputs)
    rendered = [m["content"] if isinstance(m, dict) else m.content
                for m in populated.populated_template]
    assert rendered == [m.content for m in called.messages] == ["You are a guide.\nBe brief.",
                                                                 "Tell me about Oslo"]
    with pytest.raises(UnprocessableEntityError) as info:  # a missing input, refused as call does
        sdk.prompts.populate(id=prompt.id, request={"persona": "x"})
    assert "topic" in str(info.value.body)


def test_tool_environment_variables(sdk: Humanloop, unique_path: str) -> None:
    tool = sdk.tools.upsert(path=unique_path, function={"name": "f", "description": "d",
                                                        "parameters": {"type": "object"}})
    assert sdk.tools.get_environment_variables(id=tool.id) == []
    listed = sdk.tools.add_environment_variable(id=tool.id, request=[
        {"name": "B", "value": "2"}, {"name": "A", "value": "1"}])
    assert [(v.name, v.value) for v in listed] == [("A", "********"), ("B", "********")]
    long = "sk-live-0123456789abcdef"
    listed = sdk.tools.add_environment_variable(id=tool.id, request=[{"name": "A", "value": long}])
    # values are never read back whole: a mask, and a long value's last four as a hint
    assert [(v.name, v.value) for v in listed] == [("A", "********cdef"), ("B", "********")]
    assert [(v.name, v.value) for v in sdk.tools.get_environment_variables(id=tool.id)] == [
        ("A", "********cdef"), ("B", "********")]
    assert [v.name for v in sdk.tools.delete_environment_variable(id=tool.id, name="A")] == ["B"]
    with pytest.raises(humanloop.core.api_error.ApiError) as info:
        sdk.tools.delete_environment_variable(id=tool.id, name="A")
    assert info.value.status_code == 404


SECRET = "s3cr3t-value-0123456789"
# The tool compares its variable with the reversed value it is given (the value itself in
# the inputs would be logged as inputs are).
READS_ENV = ("import os\n"
             "def f(want):\n"
             "    return {'names': sorted(os.environ), 'match': os.environ.get('API_TOKEN', '')[::-1] == want}\n")


def test_tools_run_with_their_own_environment_variables(
        sdk: Humanloop, local_server: LocalServer, unique_path: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    function = {"name": "f", "description": "d", "parameters": {"type": "object"}}
    tool = sdk.tools.upsert(path=unique_path + "/with", function=function, source_code=READS_ENV)
    other = sdk.tools.upsert(path=unique_path + "/without", function=function,
                             source_code=READS_ENV)
    sdk.tools.add_environment_variable(id=tool.id, request=[{"name": "API_TOKEN", "value": SECRET},
                                                            {"name": "REGION", "value": "eu"}])
    called = sdk.tools.call(id=tool.id, inputs={"want": SECRET[::-1]})
    assert called.error is None and called.output is not None
    assert json.loads(called.output) == {"names": ["API_TOKEN", "REGION"], "match": True}
    # another tool sees none of them (and nothing of the server's environment)
    alone = sdk.tools.call(id=other.id, inputs={"want": SECRET[::-1]})
    assert json.loads(alone.output or "") == {"names": [], "match": False}
    # the value is nowhere the server writes: not in the response, the stored log, a log line
    log = sdk.logs.get(id=called.id)
    listed = sdk.tools.get_environment_variables(id=tool.id)
    for text in (called.json(), json.dumps(log if isinstance(log, dict) else log.dict(), default=str),
                 json.dumps([v.dict() for v in listed]), caplog.text):
        assert SECRET not in text
    # a failing tool's error names what failed, not the variables' values
    failing = sdk.tools.upsert(path=unique_path + "/fails", function=function, source_code=(
        "import os\ndef f():\n    raise KeyError(len(os.environ['API_TOKEN']))\n"))
    sdk.tools.add_environment_variable(id=failing.id, request=[{"name": "API_TOKEN", "value": SECRET}])
    failed = sdk.tools.call(id=failing.id, inputs={})
    assert failed.error and f"KeyError: {len(SECRET)}" in failed.error and SECRET not in failed.json()
    assert SECRET not in caplog.text


def test_csv_upload_adds_a_version(sdk: Humanloop, unique_path: str) -> None:
    dataset = sdk.datasets.upsert(path=unique_path, datapoints=[{"inputs": {"q": "0"}}])
    csv = b'q,messages,target\n1,"[{""role"": ""user"", ""content"": ""hi""}]","{""a"": 1}"\n2,,\n'
    updated = sdk.datasets.upload_csv(id=dataset.id, file=("d.csv", csv), version_name="from csv")
    assert updated.version_id != dataset.version_id and updated.version_name == "from csv"
    points = list(sdk.datasets.list_datapoints(id=dataset.id, version_id=updated.version_id))
    assert [p.inputs for p in points] == [{"q": "0"}, {"q": "1"}, {"q": "2"}]
    assert points[1].messages[0].content == "hi" and points[1].target == {"a": 1}
    with pytest.raises(UnprocessableEntityError) as info:
        sdk.datasets.upload_csv(id=dataset.id, file=("d.csv", b'q,target\n1,{not json\n'))
    assert "line 2" in str(info.value.body)


def test_newer_log_fields_and_file_descriptions(sdk: Humanloop, unique_path: str) -> None:
    prompt = sdk.prompts.upsert(path=unique_path + "/p", **MOCK, template=CHAT, description="what",
                                tags=["a", "b"], readme="# Readme", template_language="default",
                                reasoning_effort="low")
    fetched = sdk.prompts.get(id=prompt.id)
    assert (fetched.description, fetched.tags, fetched.readme) == ("what", ["a", "b"], "# Readme")
    assert fetched.reasoning_effort == "low"
    logged = sdk.prompts.log(path=prompt.path, log_status="incomplete", output="x",
                             messages=[{"role": "user", "content": "hi"}])
    log = sdk.logs.get(id=logged.id)
    assert (log.log_status if not isinstance(log, dict) else log["log_status"]) == "incomplete"
    flow_log = sdk.flows.log(path=unique_path + "/f", log_status="incomplete", output="o",
                             messages=[{"role": "user", "content": "hi"}])
    updated = sdk.flows.update_log(log_id=flow_log.id, log_status="complete", output="done")
    assert updated.log_status == "complete" and updated.output == "done"


def test_description_tags_readme_are_file_level(sdk: Humanloop, unique_path: str) -> None:
    first = sdk.prompts.upsert(path=unique_path, **MOCK, template=CHAT, description="one",
                               tags=["a"], readme="# One")
    # the same kernel with new metadata: no new version, the file's metadata changes
    again = sdk.prompts.upsert(path=unique_path, **MOCK, template=CHAT, description="two")
    assert again.version_id == first.version_id
    assert (again.description, again.tags, again.readme) == ("two", ["a"], "# One")
    # a new kernel makes a version; the metadata is the file's, the same on every version
    second = sdk.prompts.upsert(path=unique_path, **MOCK, template=CHAT, temperature=0.5,
                                tags=["b", "c"])
    assert second.version_id != first.version_id
    old = sdk.prompts.get(id=first.id, version_id=first.version_id)
    assert (old.description, old.tags, old.readme) == ("two", ["b", "c"], "# One")
    assert len(list(sdk.prompts.list_versions(id=first.id).records)) == 2
    agent = sdk.agents.upsert(path=unique_path + "-agent", **MOCK, template=CHAT, description="t")
    assert sdk.agents.upsert(path=unique_path + "-agent", **MOCK, template=CHAT,
                             readme="r").version_id == agent.version_id
    fetched = sdk.agents.get(id=agent.id)
    assert (fetched.description, fetched.readme) == ("t", "r")
