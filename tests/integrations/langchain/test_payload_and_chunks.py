"""The payload builder and the stream chunk maker, alone (no client, no server)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_humanloop._payload import CallPlan, build_payload, plan_call
from langchain_humanloop._response import PromptCallError, StreamAssembler, result_from_response

from humanloop_core import PromptTarget
from humanloop_core._resolver import call_arguments
from humanloop_core.types import (
    PromptCallRequest,
    PromptCallResponse,
    PromptCallStreamResponse,
    PromptResponse,
)

NOW = "2026-01-01T00:00:00Z"
TOOL_A = {"name": "lookup", "description": "stored", "parameters": {"type": "object"}}


def stored_prompt(**overrides: Any) -> PromptResponse:
    data = {
        "path": "support/answer", "id": "pr_1", "name": "answer", "version_id": "pv_1",
        "model": "gpt-stored", "provider": "openai", "temperature": 0.2,
        "template": [{"role": "system", "content": "You help with {{topic}}."}],
        "tools": [TOOL_A], "linked_tools": [{"id": "tl_1", "version_id": "tv_1", "name": "kb",
                                             "description": "", "parameters": {}}],
        "created_at": NOW, "updated_at": NOW, "last_used_at": NOW, "status": "committed",
        "version_logs_count": 0, "total_logs_count": 0, "inputs": [{"name": "topic"}],
    }
    return PromptResponse.model_validate({**data, **overrides})


DEFAULTS: dict[str, Any] = {"model": None, "temperature": None, "stop": []}
MESSAGES = [{"role": "user", "content": "hi"}]


def payload_for(target: PromptTarget, plan: CallPlan, stored: PromptResponse | None) -> dict[str, Any]:
    return build_payload(MESSAGES, plan, call_arguments(target, stored, plan.overrides, plan.tools))


def test_unchanged_stored_prompt_sends_only_its_address() -> None:
    target = PromptTarget(path="support/answer", environment="production")
    plan = plan_call(DEFAULTS, {"topic": "billing"}, None, {})
    assert not plan.changes_kernel
    payload = payload_for(target, plan, None)
    assert payload == {"messages": MESSAGES, "path": "support/answer", "environment": "production",
                       "inputs": {"topic": "billing"}}


def test_overrides_merge_into_the_stored_kernel_and_bound_tools_are_what_the_model_sees() -> None:
    target = PromptTarget(id="pr_1", version_id="pv_1")
    bound = {"type": "function", "function": {"name": "calc", "description": "c", "parameters": {}}}
    plan = plan_call({**DEFAULTS, "temperature": 0.0}, None, ["END"],
                     {"tools": [bound], "tool_choice": "any", "user": "u1"})
    assert plan.changes_kernel
    payload = payload_for(target, plan, stored_prompt())
    kernel = payload["prompt"]
    # The stored template, model and provider stay; only the overrides change...
    assert kernel["template"] == [{"role": "system", "content": "You help with {{topic}}."}]
    assert (kernel["model"], kernel["provider"]) == ("gpt-stored", "openai")
    assert (kernel["temperature"], kernel["stop"]) == (0.0, ["END"])
    # ...and the bound tools replace the stored ones (linked tools included), as with ChatOpenAI.
    assert [t["name"] for t in kernel["tools"]] == ["calc"] and "linked_tools" not in kernel
    assert payload["tool_choice"] == "required" and payload["user"] == "u1"
    # The kernel names the version, so the version selectors are not sent with it.
    assert "version_id" not in payload and "environment" not in payload
    # The result is a valid request body.
    PromptCallRequest.model_validate(payload)


def test_overrides_without_tools_keep_the_stored_tools() -> None:
    plan = plan_call({**DEFAULTS, "temperature": 0.7}, None, None, {})
    kernel = payload_for(PromptTarget(id="pr_1"), plan, stored_prompt())["prompt"]
    assert [t["name"] for t in kernel["tools"]] == ["lookup"] and kernel["linked_tools"] == ["tl_1"]


def test_call_time_model_override_wins() -> None:
    plan = plan_call({**DEFAULTS, "model": "a"}, None, None, {"model": "b", "temperature": 1.5})
    assert plan.overrides == {"model": "b", "temperature": 1.5}


def test_new_prompt_without_model_is_a_clear_error() -> None:
    plan = plan_call(DEFAULTS, None, None, {"temperature": 0.5})
    with pytest.raises(ValueError, match="names a model"):
        payload_for(PromptTarget(path="new/prompt"), plan, None)


def test_new_prompt_from_overrides_alone() -> None:
    plan = plan_call({**DEFAULTS, "model": "mock-1"}, None, None, {})
    payload = payload_for(PromptTarget(path="new/prompt"), plan, None)
    assert payload["prompt"] == {"model": "mock-1"}


def test_unknown_call_kwargs_raise() -> None:
    with pytest.raises(TypeError, match="frobnicate"):
        plan_call(DEFAULTS, None, None, {"frobnicate": 1})


def test_inputs_merge_key_by_key() -> None:
    plan = plan_call(DEFAULTS, {"a": 1, "b": 2}, None, {"inputs": {"b": 3}})
    assert plan.call_args["inputs"] == {"a": 1, "b": 3}


def test_an_empty_plan_changes_nothing() -> None:
    assert CallPlan().changes_kernel is False


# ---------------------------------------------------------------- responses


def call_response(**log: Any) -> PromptCallResponse:
    return PromptCallResponse.model_validate({
        "id": "log_1", "prompt": stored_prompt().to_wire(),
        "logs": [{"index": 0, "output": "hello", "prompt_tokens": 5, "output_tokens": 2,
                  "finish_reason": "stop", **log}],
    })


def test_result_from_response_sets_metadata_usage_and_tool_calls() -> None:
    tool_call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": 1}'}}
    result = result_from_response(call_response(
        output_message={"role": "assistant", "content": None, "tool_calls": [tool_call]},
        finish_reason="tool_calls"))
    msg = result.generations[0].message
    assert msg.tool_calls[0]["args"] == {"q": 1}
    assert msg.usage_metadata == {"input_tokens": 5, "output_tokens": 2, "total_tokens": 7}
    assert msg.response_metadata == {
        "model_provider": "humanloop", "model_name": "gpt-stored", "finish_reason": "tool_calls",
        "log_id": "log_1", "prompt_id": "pr_1", "version_id": "pv_1"}
    assert msg.content == "hello" and msg.id == "log_1"


def test_log_error_raises() -> None:
    with pytest.raises(PromptCallError, match="rate limited"):
        result_from_response(call_response(output=None, error="rate limited"))


def item(**fields: Any) -> PromptCallStreamResponse:
    return PromptCallStreamResponse.model_validate(
        {"index": 0, "id": "log_1", "prompt_id": "pr_1", "version_id": "pv_1", **fields})


def run_generations(items: list[PromptCallStreamResponse],
                    model: str | None = "mock-1") -> list[ChatGenerationChunk]:
    assembler = StreamAssembler(model_name=model)
    chunks = [c for c in (assembler.chunk(i) for i in items) if c is not None]
    return [*chunks, assembler.close()]


def run(items: list[PromptCallStreamResponse], model: str | None = "mock-1") -> list[AIMessageChunk]:
    return [g.message for g in run_generations(items, model)]  # type: ignore[misc]


def test_stream_text_usage_once_metadata_once_last_marked() -> None:
    chunks = run([item(output="Hel"), item(output="lo", prompt_tokens=3),
                  item(output="!", output_tokens=3, finish_reason="stop")])
    assert len(chunks) == 4
    assert [c.chunk_position for c in chunks] == [None, None, None, "last"]
    assert [c.usage_metadata is not None for c in chunks] == [False, False, False, True]
    assert [bool(c.response_metadata) for c in chunks] == [False, False, False, True]
    full = chunks[0] + chunks[1] + chunks[2] + chunks[3]
    assert full.content == "Hello!"
    assert full.usage_metadata == {"input_tokens": 3, "output_tokens": 3, "total_tokens": 6}
    assert full.response_metadata["model_name"] == "mock-1"  # not concatenated
    assert full.response_metadata["log_id"] == "log_1"


def test_usage_sent_after_the_finish_reason_lands_on_the_closing_chunk() -> None:
    # OpenAI's order: the finish_reason delta, then usage alone in a `choices: []` chunk.
    generations = run_generations([item(output="Hi"), item(output="", finish_reason="stop"),
                                   item(output="", prompt_tokens=9, output_tokens=2)],
                                  model="gpt-4o-mini")
    assert len(generations) == 2  # the bookkeeping items add no empty chunks
    last = generations[-1]
    assert last.message.usage_metadata == {  # type: ignore[attr-defined]
        "input_tokens": 9, "output_tokens": 2, "total_tokens": 11}
    assert last.generation_info == {"finish_reason": "stop", "model_name": "gpt-4o-mini"}
    assert last.message.response_metadata["finish_reason"] == "stop"


def test_stream_without_finish_reason_gets_a_closing_chunk() -> None:
    chunks = run([item(output="a"), item(output="b")])
    assert chunks[-1].chunk_position == "last" and chunks[-1].content == ""
    assert sum(c.chunk_position == "last" for c in chunks) == 1


def test_stream_tool_calls_whole_and_in_deltas_aggregate() -> None:
    def tc(id_: str, name: str, args: str) -> dict[str, Any]:
        return {"role": "assistant", "tool_calls": [
            {"id": id_, "type": "function", "function": {"name": name, "arguments": args}}]}
    chunks = run([
        item(output_message=tc("c1", "add", '{"a": ')),
        item(output_message=tc("c1", "add", "1}")),         # delta repeating id and name
        item(output_message=tc("", "", "")),                # empty continuation
        item(output_message=tc("c2", "mul", '{"b": 2}')),   # a second call, whole
        item(finish_reason="tool_calls"),
    ])
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    assert [(t["name"], t["args"], t["id"]) for t in full.tool_calls] == [
        ("add", {"a": 1}, "c1"), ("mul", {"b": 2}, "c2")]
    assert full.response_metadata["finish_reason"] == "tool_calls"


