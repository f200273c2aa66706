"""The pure converters, alone: LangChain messages and tools <-> Humanloop wire dicts."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_humanloop._convert import (
    content_from_wire,
    finish_reason_from_wire,
    message_to_wire,
    messages_to_wire,
    tool_calls_from_wire,
    tool_choice_to_wire,
    tools_to_wire,
    usage_from_wire,
)
from pydantic import BaseModel, Field

from humanloop_core.types import ChatMessage as WireChatMessage


def test_roles_names_and_plain_content() -> None:
    wire = messages_to_wire([
        SystemMessage("be brief"),
        HumanMessage("hi", name="ada"),
        AIMessage("hello"),
        ChatMessage(role="developer", content="rules"),
    ])
    assert wire == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "ada"},
        {"role": "assistant", "content": "hello"},
        {"role": "system", "content": "rules"},
    ]
    # Every dict is a valid wire ChatMessage.
    for item in wire:
        WireChatMessage.model_validate(item)


def test_ai_tool_calls_and_tool_message_round_trip_to_wire() -> None:
    ai = AIMessage(
        [{"type": "text", "text": "let me check"},
         {"type": "tool_use", "id": "c1", "name": "add", "input": {"a": 1}}],
        tool_calls=[{"name": "add", "args": {"a": 1, "s": "你好"}, "id": "c1", "type": "tool_call"}],
    )
    wire = message_to_wire(ai)
    assert wire["content"] == "let me check"  # the tool_use block travels in tool_calls
    assert wire["tool_calls"] == [
        {"id": "c1", "type": "function",
         "function": {"name": "add", "arguments": '{"a": 1, "s": "你好"}'}}
    ]
    tool = message_to_wire(ToolMessage("3", tool_call_id="c1", name="add", status="error"))
    assert tool == {"role": "tool", "content": "3", "tool_call_id": "c1", "name": "add"}


def test_invalid_tool_calls_are_sent_back_verbatim() -> None:
    ai = AIMessage("", invalid_tool_calls=[
        {"name": "add", "args": "{not json", "id": "c9", "error": "bad", "type": "invalid_tool_call"}])
    assert message_to_wire(ai)["tool_calls"][0]["function"] == {"name": "add", "arguments": "{not json"}


@pytest.mark.parametrize(
    ("block", "url"),
    [
        ({"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}}, "https://x/a.png"),
        ({"type": "image_url", "image_url": "https://x/b.png"}, "https://x/b.png"),
        ({"type": "image", "url": "https://x/c.png"}, "https://x/c.png"),
        ({"type": "image", "base64": "QUJD", "mime_type": "image/jpeg"}, "data:image/jpeg;base64,QUJD"),
        ({"type": "image", "source_type": "base64", "data": "QUJD", "mime_type": "image/png"},
         "data:image/png;base64,QUJD"),
    ],
)
def test_image_blocks_become_image_url_parts(block: dict, url: str) -> None:
    wire = message_to_wire(HumanMessage([{"type": "text", "text": "what is this?"}, block]))
    assert wire["content"][0] == {"type": "text", "text": "what is this?"}
    assert wire["content"][1]["type"] == "image_url"
    assert wire["content"][1]["image_url"]["url"] == url
    WireChatMessage.model_validate(wire)


def test_text_only_lists_collapse_like_message_text() -> None:
    msg = HumanMessage(["a", {"type": "text", "text": "b"}])
    assert message_to_wire(msg)["content"] == msg.text == "ab"


@pytest.mark.parametrize(
    "block",
    [
        {"type": "audio", "base64": "AAAA", "mime_type": "audio/wav"},
        {"type": "file", "base64": "AAAA", "mime_type": "application/pdf"},
        {"type": "reasoning", "reasoning": "hmm"},
        {"type": "image", "file_id": "file-1"},
    ],
)
def test_content_the_wire_cannot_carry_raises(block: dict) -> None:
    with pytest.raises(ValueError, match="Humanloop"):
        message_to_wire(HumanMessage([{"type": "text", "text": "x"}, block]))


def test_unsupported_message_types_raise() -> None:
    with pytest.raises(ValueError, match="FunctionMessage"):
        message_to_wire(FunctionMessage(content="1", name="f"))
    with pytest.raises(ValueError, match="'critic'"):
        message_to_wire(ChatMessage(role="critic", content="no"))


def test_callers_messages_are_not_mutated() -> None:
    content = [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]
    msg = HumanMessage(content)
    message_to_wire(msg)
    assert msg.content == [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]


def test_tool_calls_from_wire_parses_and_keeps_bad_json_as_invalid() -> None:
    calls, invalid = tool_calls_from_wire([
        {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"a": 3}'}},
        {"id": "c2", "type": "function", "function": {"name": "none", "arguments": ""}},
        {"id": "c3", "type": "function", "function": {"name": "bad", "arguments": "{oops"}},
    ])
    assert [(c["name"], c["args"], c["id"]) for c in calls] == [("add", {"a": 3}, "c1"), ("none", {}, "c2")]
    assert invalid[0]["name"] == "bad" and invalid[0]["args"] == "{oops"


def test_content_from_wire() -> None:
    assert content_from_wire(None, "fallback") == "fallback"
    assert content_from_wire([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"
    image = {"type": "image_url", "image_url": {"url": "u"}}
    assert content_from_wire([image]) == [image]


def test_usage_and_finish_reasons() -> None:
    assert usage_from_wire(None, None) is None
    assert usage_from_wire(3, None) == {"input_tokens": 3, "output_tokens": 0, "total_tokens": 3}
    assert usage_from_wire(3, 4)["total_tokens"] == 7
    assert finish_reason_from_wire("end_turn") == "stop"
    assert finish_reason_from_wire("max_tokens") == "length"
    assert finish_reason_from_wire("tool_use") == "tool_calls"
    assert finish_reason_from_wire("something_new") == "something_new"
    assert finish_reason_from_wire(None) is None


class Add(BaseModel):
    """Add two integers."""

    a: int = Field(description="first")
    b: int


def test_tools_to_wire_accepts_pydantic_openai_and_humanloop_shapes() -> None:
    openai_dict = {"type": "function", "function": {"name": "f", "description": "d",
                                                    "parameters": {"type": "object", "properties": {}}}}
    humanloop_dict = {"name": "g", "description": "", "parameters": {"type": "object"}}
    wire = tools_to_wire([Add, openai_dict, humanloop_dict])
    assert [t["name"] for t in wire] == ["Add", "f", "g"]
    assert wire[0]["description"] == "Add two integers."
    assert wire[0]["parameters"]["required"] == ["a", "b"]
    assert json.loads(json.dumps(wire)) == wire  # JSON-ready


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None), (False, None), ("auto", "auto"), ("none", "none"),
        ("any", "required"), ("required", "required"), (True, "required"),
        ("add", {"type": "function", "function": {"name": "add"}}),
        ({"type": "function", "function": {"name": "add"}}, {"type": "function", "function": {"name": "add"}}),
    ],
)
def test_tool_choice_mapping(choice: object, expected: object) -> None:
    assert tool_choice_to_wire(choice, ["add", "mul"]) == expected


def test_tool_choice_unknown_name_raises_listing_tools() -> None:
    with pytest.raises(ValueError, match="add, mul"):
        tool_choice_to_wire("div", ["add", "mul"])
