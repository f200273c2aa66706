"""Pure conversions between LlamaIndex objects and Humanloop wire shapes.

Nothing here performs I/O or touches the LLM instance, so each function is tested
alone. Wire messages and tools are plain JSON-ready dicts: the client accepts dicts
wherever it accepts models, and dicts skip a validation pass on the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    CachePoint,
    ChatMessage,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

# LlamaIndex roles the Humanloop API has a direct equivalent for. FUNCTION (the
# legacy OpenAI function-result role) is absent on purpose: it carries no tool call
# id, so it cannot be matched to a call and is rejected rather than guessed at.
ROLE_TO_WIRE: dict[MessageRole, str] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.TOOL: "tool",
}
ROLE_FROM_WIRE: dict[str, MessageRole] = {
    "system": MessageRole.SYSTEM,
    "user": MessageRole.USER,
    "assistant": MessageRole.ASSISTANT,
    "tool": MessageRole.TOOL,
}

# Blocks that are hints to a specific provider rather than conversation content;
# Humanloop has no slot for them and leaving them out changes no meaning.
_SKIPPED_BLOCKS = (ThinkingBlock, CachePoint)


def to_wire_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """LlamaIndex chat messages as Humanloop ``ChatMessage`` dicts (inputs untouched)."""
    return [to_wire_message(message) for message in messages]


def to_wire_message(message: ChatMessage) -> dict[str, Any]:
    """One LlamaIndex message as a Humanloop ``ChatMessage`` dict.

    Raises:
        ValueError: for a role or a content block the Humanloop API cannot carry, and
            for a tool message without ``additional_kwargs["tool_call_id"]``.
    """
    role = ROLE_TO_WIRE.get(message.role)
    if role is None:
        raise ValueError(
            f"Humanloop cannot carry a message with role {message.role.value!r}; "
            f"use one of {sorted({r.value for r in ROLE_TO_WIRE})}."
        )
    wire: dict[str, Any] = {"role": role, "content": _content_to_wire(message)}
    extra = message.additional_kwargs
    if extra.get("name"):
        wire["name"] = extra["name"]
    if role == "tool":
        tool_call_id = extra.get("tool_call_id")
        if not tool_call_id:
            raise ValueError(
                "A tool message needs additional_kwargs['tool_call_id'] naming the call it answers."
            )
        wire["tool_call_id"] = tool_call_id
    tool_calls = _tool_calls_to_wire(message)
    if tool_calls:
        wire["tool_calls"] = tool_calls
    return wire


def _content_to_wire(message: ChatMessage) -> str | list[dict[str, Any]] | None:
    """Plain text stays a string (what most providers expect); images force parts."""
    parts: list[dict[str, Any]] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            parts.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            parts.append({"type": "image_url", "image_url": _image_url(block)})
        elif isinstance(block, (ToolCallBlock, *_SKIPPED_BLOCKS)):
            continue
        else:
            raise ValueError(
                f"Humanloop messages carry text and images only, not {type(block).__name__}."
            )
    if not parts:
        return None
    if all(part["type"] == "text" for part in parts):
        return "\n".join(part["text"] for part in parts)
    return parts


def _image_url(block: ImageBlock) -> dict[str, Any]:
    url = str(block.url) if block.url is not None else block.inline_url()
    image_url: dict[str, Any] = {"url": url}
    if block.detail in ("high", "low", "auto"):
        image_url["detail"] = block.detail
    return image_url


def _tool_calls_to_wire(message: ChatMessage) -> list[dict[str, Any]]:
    """Tool calls from ``ToolCallBlock``s, else from the legacy ``additional_kwargs``."""
    calls = [
        _wire_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs)
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ]
    if calls:
        return calls
    for legacy in message.additional_kwargs.get("tool_calls") or ():
        # Older integrations store OpenAI-shaped objects or dicts here.
        data = legacy if isinstance(legacy, Mapping) else legacy.model_dump()
        function = data.get("function") or {}
        calls.append(
            _wire_tool_call(data.get("id"), function.get("name", ""), function.get("arguments"))
        )
    return calls


def _wire_tool_call(call_id: str | None, name: str, arguments: Any) -> dict[str, Any]:
    if not call_id:
        raise ValueError(
            f"The call of tool {name!r} has no id; Humanloop needs one to match its result."
        )
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments or {})
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def parse_arguments(arguments: str | None) -> dict[str, Any] | str:
    """Tool arguments as a dict when they are a complete JSON object, else the raw text."""
    if not arguments:
        return {}
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    return value if isinstance(value, dict) else arguments


def from_wire_message(message: Any, output: str | None = None) -> ChatMessage:
    """A Humanloop ``ChatMessage`` (model or dict) as a LlamaIndex assistant message.

    ``output`` is the log's plain-text output, used when the message is absent.
    """
    data = _as_dict(message) if message is not None else {"role": "assistant", "content": output}
    blocks: list[Any] = _blocks_from_wire(data.get("content"))
    calls = [_as_dict(call) for call in data.get("tool_calls") or ()]
    for call in calls:
        function = call.get("function") or {}
        blocks.append(
            ToolCallBlock(
                tool_call_id=call.get("id"),
                tool_name=function.get("name") or "",
                tool_kwargs=parse_arguments(function.get("arguments")),
            )
        )
    extra: dict[str, Any] = {key: data[key] for key in ("name", "tool_call_id") if data.get(key)}
    if calls:
        # Besides the blocks, as LlamaIndex's own integrations do: its streaming
        # structured-output parser still looks for tool calls here.
        extra["tool_calls"] = calls
    role = ROLE_FROM_WIRE.get(data.get("role") or "assistant", MessageRole.ASSISTANT)
    return ChatMessage(role=role, blocks=blocks, additional_kwargs=extra)


def _blocks_from_wire(content: Any) -> list[Any]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)]
    blocks: list[Any] = []
    for part in content:
        part = _as_dict(part)
        if part.get("type") == "image_url":
            image = part.get("image_url") or {}
            blocks.append(ImageBlock(url=image.get("url"), detail=image.get("detail")))
        else:
            blocks.append(TextBlock(text=part.get("text") or ""))
    return blocks


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    return value.model_dump(mode="json", exclude_none=True)  # type: ignore[no-any-return]


def tool_to_wire(tool: BaseTool) -> dict[str, Any]:
    """A LlamaIndex tool as a Humanloop ``ToolFunction`` dict (name, description, schema)."""
    spec = tool.metadata.to_openai_tool(skip_length_check=True)["function"]
    return {
        "name": spec["name"],
        "description": spec.get("description") or "",
        "parameters": spec.get("parameters") or {"type": "object", "properties": {}},
    }


def resolve_tool_choice(
    tool_choice: str | Mapping[str, Any] | None, tool_required: bool
) -> str | dict[str, Any]:
    """LlamaIndex's ``tool_choice``/``tool_required`` as the wire ``tool_choice``.

    A bare tool name forces that tool; ``tool_required`` without a choice means any tool.
    """
    if tool_choice is None:
        return "required" if tool_required else "auto"
    if isinstance(tool_choice, Mapping):
        return dict(tool_choice)
    if tool_choice in ("none", "auto", "required"):
        return tool_choice
    if tool_choice == "any":
        return "required"
    return {"type": "function", "function": {"name": tool_choice}}


def usage(prompt_tokens: int | None, output_tokens: int | None) -> dict[str, int]:
    """Token counts under the keys LlamaIndex's token counter looks for."""
    if prompt_tokens is None and output_tokens is None:
        return {}
    prompt, completion = prompt_tokens or 0, output_tokens or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def tool_selections(
    message: ChatMessage, error_on_no_tool_call: bool = True
) -> list[ToolSelection]:
    """The tool calls of an assistant message, tolerating partial JSON from a stream."""
    selections = []
    for block in message.blocks:
        if not isinstance(block, ToolCallBlock):
            continue
        kwargs = block.tool_kwargs
        if isinstance(kwargs, str):
            try:
                kwargs = parse_partial_json(kwargs) if kwargs.strip() else {}
            except (ValueError, TypeError):
                kwargs = {}  # a stream cut inside a key: nothing usable yet
        selections.append(
            ToolSelection(
                tool_id=block.tool_call_id or "", tool_name=block.tool_name, tool_kwargs=kwargs
            )
        )
    if not selections and error_on_no_tool_call:
        raise ValueError("Expected at least one tool call, but the response has none.")
    return selections
