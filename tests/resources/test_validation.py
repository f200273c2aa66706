"""Client-side validation: a wrong argument fails before anything is sent, naming the field;
a dict and the equivalent model produce the same wire body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from humanloop_core import ApiError, Humanloop, RequestValidationError
from humanloop_core.resources import prompts
from humanloop_core.types import ChatMessage, PromptKernelRequest, ToolChoice


@pytest.fixture
def client() -> Iterator[Humanloop]:
    """A client whose transport fails the test if anything reaches it."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be sent, got {request.method} {request.url}")

    http = httpx.Client(transport=httpx.MockTransport(refuse))
    with Humanloop(api_key="sk-the-key", base_url="http://127.0.0.1:9/v5", http_client=http) as hl:
        yield hl


CASES = [
    ("prompts.call", lambda c: c.prompts.call(path="p", messages=[{"role": "robot"}]),
     ["messages.0.role"]),
    ("prompts.call", lambda c: c.prompts.call(path="p", tool_choice="sometimes"),
     ["tool_choice"]),
    # `prompt` is a kernel or the text of a .prompt file (SDK 0.8.38): both alternatives named
    ("prompts.call", lambda c: c.prompts.call(path="p", prompt={"model": "m", "colour": 1}),
     ["prompt.colour", "prompt"]),
    ("prompts.call", lambda c: c.prompts.call(path="p", num_samples="many"), ["num_samples"]),
    ("prompts.upsert", lambda c: c.prompts.upsert(model=["m"], path="p"), ["model"]),
    ("prompts.log", lambda c: c.prompts.log(path="p", output_message={"content": "x"}),
     ["output_message.role"]),
    ("datasets.upsert", lambda c: c.datasets.upsert(path="d", datapoints=[{"inputs": 3}]),
     ["datapoints.0.inputs"]),
    ("evaluators.upsert", lambda c: c.evaluators.upsert(path="e", spec={"evaluator_type": "x"}),
     None),
    ("flows.update_log", lambda c: c.flows.update_log("l", trace_status="done"),
     ["trace_status"]),
    ("directories.create", lambda c: c.directories.create(name=7), ["name"]),
    ("datasets.list_versions", lambda c: c.datasets.list_versions("d", evaluator_aggregates=True),
     ["evaluator_aggregates"]),
    ("evaluations.create", lambda c: c.evaluations.create(dataset={"file_id": "d"},
                                                          evaluators="all"), ["evaluators"]),
]


@pytest.mark.parametrize(("operation", "call", "fields"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_argument_fails_before_sending_naming_the_field(
    client: Humanloop, operation: str, call: Any, fields: list[str] | None
) -> None:
    with pytest.raises(RequestValidationError) as info:
        call(client)
    error = info.value
    assert isinstance(error, ApiError) and isinstance(error, ValueError)
    assert error.status_code is None
    assert str(error).startswith(f"{operation}: ") and "nothing was sent" in str(error)
    if fields is None:
        assert error.fields  # a union: pydantic names each alternative's field
    else:
        assert error.fields == fields
        assert all(f in str(error) for f in fields)


def test_error_never_shows_argument_values(client: Humanloop) -> None:
    with pytest.raises(RequestValidationError) as info:
        client.prompts.call(path="p", provider_api_keys={"openai": ["sk-provider-secret"]})
    assert info.value.fields == ["provider_api_keys.openai"]
    assert "sk-provider-secret" not in str(info.value) and "sk-the-key" not in str(info.value)


def test_prompt_id_and_id_must_agree(client: Humanloop) -> None:
    with pytest.raises(RequestValidationError, match="prompt_id and id"):
        client.prompts.call(id="pr_1", prompt_id="pr_2")


def test_unknown_keyword_is_a_type_error(client: Humanloop) -> None:
    with pytest.raises(TypeError):
        client.prompts.call(path="p", temprature=0.5)  # type: ignore[call-overload]


def _call_body(**kwargs: Any) -> Any:
    return prompts.call_op(kwargs, stream=False).json


def test_models_and_dicts_give_the_same_body() -> None:
    as_models = _call_body(
        messages=[ChatMessage(role="user", content="hi")],
        prompt=PromptKernelRequest(model="m", provider="mock", temperature=0.1),
        tool_choice=ToolChoice(type="function", function={"name": "f"}),
    )
    as_dicts = _call_body(
        messages=[{"role": "user", "content": "hi"}],
        prompt={"model": "m", "provider": "mock", "temperature": 0.1},
        tool_choice={"type": "function", "function": {"name": "f"}},
    )
    assert as_models == as_dicts == {
        "messages": [{"role": "user", "content": "hi"}],
        "prompt": {"model": "m", "provider": "mock", "temperature": 0.1},
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }


def test_body_carries_only_what_the_caller_set() -> None:
    """Defaults of the spec (save, num_samples, stream, provider...) stay off the wire."""
    assert _call_body(path="p", source=None) == {"path": "p"}
    streamed = prompts.call_op({"path": "p"}, stream=True)
    assert streamed.json == {"path": "p", "stream": True}
    assert streamed.stream_item is not None


def test_sdk_body_environment_names_map_to_the_body_field() -> None:
    op = prompts.call_op({"environment": "staging", "prompts_call_request_environment": "prod"},
                         stream=False)
    assert op.params == {"environment": "staging"} and op.json == {"environment": "prod"}
