"""Message, tool and kernel conversion as pure functions: no server, no client."""

from __future__ import annotations

import copy

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.tools import FunctionTool
from llama_index.llms.humanloop._convert import (
    from_wire_message,
    parse_arguments,
    resolve_tool_choice,
    to_wire_message,
    to_wire_messages,
    tool_selections,
    tool_to_wire,
    usage,
)
from llama_index.llms.humanloop._kernel import plan_call

from humanloop_core import PromptTarget
from humanloop_core.types import ChatMessage as WireMessage


def test_roles_and_plain_text() -> None:
    wire = to_wire_messages(
        [
            ChatMessage(role=MessageRole.SYSTEM, content="Be brief."),
            ChatMessage(role=MessageRole.DEVELOPER, content="Dev note."),
            ChatMessage(role=MessageRole.USER, content="Hi", additional_kwargs={"name": "ann"}),
            ChatMessage(role=MessageRole.CHATBOT, content="Hello"),
        ]
    )
    assert wire == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Dev note."},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "assistant", "content": "Hello"},
    ]
    # Every produced dict is a valid wire ChatMessage.
    for item in wire:
        WireMessage.model_validate(item)


def test_function_role_is_rejected_not_guessed() -> None:
    with pytest.raises(ValueError, match="role 'function'"):
        to_wire_message(ChatMessage(role=MessageRole.FUNCTION, content="42"))


def test_images_become_content_parts() -> None:
    message = ChatMessage(
        role=MessageRole.USER,
        blocks=[
            TextBlock(text="What is this?"),
            ImageBlock(url="https://example.com/cat.png", detail="low"),
        ],
    )
    assert to_wire_message(message)["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
    ]
    back = from_wire_message(to_wire_message(message))
    assert isinstance(back.blocks[1], ImageBlock)
    assert str(back.blocks[1].url) == "https://example.com/cat.png"


def test_inline_image_bytes_become_data_url() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
    message = ChatMessage(
        role=MessageRole.USER, blocks=[ImageBlock(image=png, image_mimetype="image/png")]
    )
    url = to_wire_message(message)["content"][0]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")


def test_unsupported_content_raises_instead_of_dropping() -> None:
    message = ChatMessage(
        role=MessageRole.USER, blocks=[AudioBlock(audio=b"RIFF0000WAVE", format="wav")]
    )
    with pytest.raises(ValueError, match="AudioBlock"):
        to_wire_message(message)


def test_thinking_blocks_are_provider_hints_and_left_out() -> None:
    message = ChatMessage(
        role=MessageRole.ASSISTANT, blocks=[ThinkingBlock(content="hmm"), TextBlock(text="Answer")]
    )
    assert to_wire_message(message) == {"role": "assistant", "content": "Answer"}


def test_tool_call_and_tool_result_round_trip() -> None:
    call = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ToolCallBlock(tool_call_id="call_1", tool_name="add", tool_kwargs={"a": 2, "b": 3})
        ],
    )
    result = ChatMessage(
        role=MessageRole.TOOL, content="5", additional_kwargs={"tool_call_id": "call_1"}
    )
    wire = to_wire_messages([call, result])
    assert wire == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
                }
            ],
        },
        {"role": "tool", "content": "5", "tool_call_id": "call_1"},
    ]
    back = from_wire_message(WireMessage.model_validate(wire[0]))
    assert back.role == MessageRole.ASSISTANT
    (block,) = back.blocks
    assert (block.tool_call_id, block.tool_name, block.tool_kwargs) == (
        "call_1",
        "add",
        {"a": 2, "b": 3},
    )
    assert to_wire_message(back) == wire[0]
    # Also where LlamaIndex's streaming structured-output parser looks for them.
    assert back.additional_kwargs["tool_calls"] == wire[0]["tool_calls"]
    tool_back = from_wire_message(wire[1])
    assert tool_back.role == MessageRole.TOOL
    assert tool_back.additional_kwargs == {"tool_call_id": "call_1"}


def test_legacy_openai_tool_calls_in_additional_kwargs() -> None:
    message = ChatMessage(
        role=MessageRole.ASSISTANT,
        content="",
        additional_kwargs={
            "tool_calls": [
                {"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]
        },
    )
    assert to_wire_message(message)["tool_calls"][0]["id"] == "c9"


def test_tool_message_without_call_id_raises() -> None:
    with pytest.raises(ValueError, match="tool_call_id"):
        to_wire_message(ChatMessage(role=MessageRole.TOOL, content="5"))


def test_conversion_never_mutates_the_callers_messages() -> None:
    messages = [
        ChatMessage(role=MessageRole.USER, content="Hi", additional_kwargs={"name": "x"}),
        ChatMessage(
            role=MessageRole.ASSISTANT,
            blocks=[
                TextBlock(text="t"),
                ToolCallBlock(tool_call_id="c", tool_name="f", tool_kwargs={"a": 1}),
            ],
        ),
    ]
    before = copy.deepcopy([m.model_dump() for m in messages])
    to_wire_messages(messages)
    assert [m.model_dump() for m in messages] == before


def test_from_wire_uses_output_when_message_absent() -> None:
    message = from_wire_message(None, "plain output")
    assert message.role == MessageRole.ASSISTANT
    assert message.content == "plain output"


def test_parse_arguments_keeps_incomplete_json_as_text() -> None:
    assert parse_arguments('{"a": 1}') == {"a": 1}
    assert parse_arguments('{"a": ') == '{"a": '
    assert parse_arguments("") == {}
    assert parse_arguments("[1]") == "[1]"


def test_tool_selections_tolerate_partial_json() -> None:
    message = ChatMessage(
        role=MessageRole.ASSISTANT,
        blocks=[
            ToolCallBlock(tool_call_id="c1", tool_name="add", tool_kwargs='{"a": 2, "b": 3'),
            ToolCallBlock(tool_call_id="c2", tool_name="mul", tool_kwargs='{"a'),
        ],
    )
    first, second = tool_selections(message)
    assert (first.tool_id, first.tool_name, first.tool_kwargs) == ("c1", "add", {"a": 2, "b": 3})
    assert second.tool_name == "mul" and isinstance(second.tool_kwargs, dict)


def test_tool_selections_error_only_when_asked() -> None:
    message = ChatMessage(role=MessageRole.ASSISTANT, content="no tools")
    assert tool_selections(message, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        tool_selections(message)


def test_tool_to_wire_uses_the_functions_schema() -> None:
    def add(a: int, b: int = 1) -> int:
        """Add two integers."""
        return a + b

    wire = tool_to_wire(FunctionTool.from_defaults(fn=add))
    assert wire["name"] == "add"
    assert "Add two integers." in wire["description"]
    assert wire["parameters"]["properties"]["a"]["type"] == "integer"
    assert wire["parameters"]["required"] == ["a"]


@pytest.mark.parametrize(
    ("choice", "required", "expected"),
    [
        (None, False, "auto"),
        (None, True, "required"),
        ("none", True, "none"),
        ("any", False, "required"),
        ("add", False, {"type": "function", "function": {"name": "add"}}),
        (
            {"type": "function", "function": {"name": "x"}},
            False,
            {"type": "function", "function": {"name": "x"}},
        ),
    ],
)
def test_resolve_tool_choice(choice: object, required: bool, expected: object) -> None:
    assert resolve_tool_choice(choice, required) == expected  # type: ignore[arg-type]


def test_usage_keys_match_llama_index_token_counter() -> None:
    assert usage(3, 4) == {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    assert usage(None, None) == {}


SETTINGS = {
    "path": "support/bot",
    "environment": "production",
    "inputs": {"persona": "a pirate", "tone": "dry"},
    "temperature": 0.3,
    "additional_kwargs": {"source": "docs"},
}


def test_plan_call_per_call_values_win_and_inputs_merge() -> None:
    plan = plan_call(SETTINGS, {"temperature": 0.9, "inputs": {"tone": "warm"}, "user": "u1"})
    assert plan.call == {
        "source": "docs",
        "user": "u1",
        "inputs": {"persona": "a pirate", "tone": "warm"},
    }
    assert plan.target == PromptTarget(path="support/bot", environment="production")
    assert (plan.overrides, plan.tools) == ({"temperature": 0.9}, [])


def test_plan_call_per_call_version_wins() -> None:
    plan = plan_call({"path": "p", "environment": "staging"}, {"version_id": "prv_9"})
    assert plan.target == PromptTarget(path="p", environment="staging", version_id="prv_9")
    assert (plan.overrides, plan.tools, plan.call) == ({}, [], {})


def test_plan_call_converts_tools_and_defaults_choice_to_auto() -> None:
    def lookup(word: str) -> str:
        """Look a word up."""
        return word

    plan = plan_call({"id": "pr_1"}, {"tools": [FunctionTool.from_defaults(fn=lookup)]})
    assert plan.call["tool_choice"] == "auto"
    assert [t["name"] for t in plan.tools] == ["lookup"]


def test_plan_call_rejects_unknown_keywords() -> None:
    with pytest.raises(TypeError, match="'temprature'"):
        plan_call({"path": "p"}, {"temprature": 1})
