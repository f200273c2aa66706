"""The streaming state machine and response building, fed wire models directly."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ToolCallBlock
from llama_index.llms.humanloop._stream import (
    PromptCallError,
    StreamAccumulator,
    response_from_call,
)

from humanloop_core.types import PromptCallResponse, PromptCallStreamResponse

IDS = {"index": 0, "id": "log_1", "prompt_id": "pr_1", "version_id": "prv_1"}


def event(**fields: Any) -> PromptCallStreamResponse:
    return PromptCallStreamResponse.model_validate({**IDS, **fields})


def test_text_stream_is_cumulative_with_deltas_and_usage_last() -> None:
    acc = StreamAccumulator()
    responses = [
        acc.feed(event(output="Hel", output_message={"role": "assistant", "content": "Hel"})),
        acc.feed(event(output="lo", output_message={"role": "assistant", "content": "lo"})),
        acc.feed(event(output="!", finish_reason="stop", prompt_tokens=5, output_tokens=3)),
        acc.finish(),
    ]
    assert [r.delta for r in responses if r is not None] == ["Hel", "lo", "!", ""]
    assert [r.message.content for r in responses if r is not None] == ["Hel", "Hello", "Hello!", "Hello!"]
    assert all(r is not None and r.additional_kwargs == {} for r in responses[:3])
    last = responses[-1]
    assert last is not None
    assert last.additional_kwargs == {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
    assert last.raw["usage"] == last.additional_kwargs
    assert last.raw["output"] == "Hello!"
    assert last.raw["output_message"] == {"role": "assistant", "content": "Hello!"}
    assert last.raw["id"] == "log_1" and last.raw["finish_reason"] == "stop"


def test_usage_after_the_finish_reason_lands_on_the_one_closing_response() -> None:
    # OpenAI's order: the finish_reason delta, then usage alone in a `choices: []` event.
    acc = StreamAccumulator()
    fed = [
        acc.feed(event(output="Hi", output_message={"role": "assistant", "content": "Hi"})),
        acc.feed(event(output="", finish_reason="stop")),
        acc.feed(event(prompt_tokens=7, output_tokens=1)),
    ]
    assert fed[0] is not None and fed[1:] == [None, None]  # bookkeeping only: nothing to yield
    closing = acc.finish()
    assert closing.delta == "" and closing.message.content == "Hi"
    assert closing.raw["finish_reason"] == "stop"
    assert closing.additional_kwargs == {"prompt_tokens": 7, "completion_tokens": 1, "total_tokens": 8}


def test_stream_without_finish_reason_gets_a_closing_response() -> None:
    acc = StreamAccumulator()
    acc.feed(event(output="a", prompt_tokens=2))
    acc.feed(event(output="b", output_tokens=2))
    closing = acc.finish()
    assert closing is not None
    assert closing.delta == "" and closing.message.content == "ab"
    assert closing.additional_kwargs["total_tokens"] == 4


def test_tool_call_deltas_merge_and_parse_on_the_last_event() -> None:
    acc = StreamAccumulator()
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, '},
    }
    first = acc.feed(event(output_message={"role": "assistant", "tool_calls": [call]}))
    more = {"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '"b": 3}'}}
    acc.feed(
        event(
            output_message={"role": "assistant", "tool_calls": [more]}, finish_reason="tool_calls"
        )
    )
    last = acc.finish()
    (partial,) = [b for b in first.message.blocks if isinstance(b, ToolCallBlock)]
    assert partial.tool_kwargs == '{"a": 2, '
    (whole,) = [b for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert (whole.tool_call_id, whole.tool_name, whole.tool_kwargs) == (
        "call_1",
        "add",
        {"a": 2, "b": 3},
    )
    assert (
        last.raw["output_message"]["tool_calls"][0]["function"]["arguments"] == '{"a": 2, "b": 3}'
    )


def test_two_parallel_tool_calls_stay_apart() -> None:
    acc = StreamAccumulator()
    calls = [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": '{"x": 1}'}},
    ]
    acc.feed(
        event(output_message={"role": "assistant", "tool_calls": calls}, finish_reason="tool_calls")
    )
    last = acc.finish()
    names = [b.tool_name for b in last.message.blocks if isinstance(b, ToolCallBlock)]
    assert names == ["f", "g"]


NOW = "2026-01-01T00:00:00Z"
PROMPT = {
    "path": "p",
    "id": "pr_1",
    "name": "p",
    "model": "mock-1",
    "version_id": "prv_1",
    "created_at": NOW,
    "updated_at": NOW,
    "last_used_at": NOW,
    "status": "committed",
    "version_logs_count": 1,
    "total_logs_count": 1,
    "inputs": [],
}


def test_response_from_call_carries_message_usage_and_wire_json() -> None:
    response = PromptCallResponse.model_validate(
        {
            "id": "log_9",
            "prompt": PROMPT,
            "logs": [
                {
                    "index": 0,
                    "output": "Hi there",
                    "output_message": {"role": "assistant", "content": "Hi there"},
                    "prompt_tokens": 4,
                    "output_tokens": 2,
                    "finish_reason": "stop",
                }
            ],
        }
    )
    chat = response_from_call(response)
    assert chat.message.content == "Hi there"
    assert chat.additional_kwargs == {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    assert chat.raw["id"] == "log_9" and chat.raw["usage"]["total_tokens"] == 6


def test_failed_log_without_output_raises() -> None:
    response = PromptCallResponse.model_validate(
        {"id": "log_err", "prompt": PROMPT, "logs": [{"index": 0, "error": "model exploded"}]}
    )
    with pytest.raises(PromptCallError, match="log_err recorded an error: model exploded"):
        response_from_call(response)
