"""Pure converters between LangChain objects and Humanloop v5 wire dicts.

Nothing here does I/O or holds configuration, so every function is tested alone and
the chat model's sync and async paths share all of it. Content the Humanloop
``ChatMessage`` schema cannot carry (audio, files, reasoning blocks...) raises
``ValueError`` naming the block, rather than being silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.utils.function_calling import convert_to_openai_tool

WireMessage = dict[str, Any]
ToolChoiceWire = Literal["none", "auto", "required"] | dict[str, Any]

# LangChain message class -> Humanloop ChatRole.
_ROLE_BY_CLASS: dict[type[BaseMessage], str] = {
    HumanMessage: "user",
    SystemMessage: "system",
    AIMessage: "assistant",
    ToolMessage: "tool",
}
# Roles a generic ``langchain_core.messages.ChatMessage`` may carry.
_ROLE_BY_NAME: dict[str, str] = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "system": "system",
    "developer": "system",
    "tool": "tool",
}
# Providers behind Humanloop report finish reasons in their own words; LangChain users
# expect the OpenAI vocabulary. Unknown reasons pass through unchanged.
FINISH_REASONS: dict[str, str] = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "length": "length",
    "max_tokens": "length",
    "tool_calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
# AI-message blocks whose information travels in ``AIMessage.tool_calls`` instead.
_TOOL_CALL_BLOCKS = frozenset({"tool_use", "tool_call", "function_call"})
_IMAGE_DETAILS = frozenset({"high", "low", "auto"})


# ---------------------------------------------------------------- messages -> wire


def messages_to_wire(messages: Sequence[BaseMessage]) -> list[WireMessage]:
    """LangChain messages as Humanloop ``ChatMessage`` dicts (new dicts; inputs untouched)."""
    return [message_to_wire(m) for m in messages]


def message_to_wire(message: BaseMessage) -> WireMessage:
    """One LangChain message as a Humanloop ``ChatMessage`` dict.

    Raises:
        ValueError: the message type or one of its content blocks cannot be sent.
    """
    role = _role_of(message)
    wire: WireMessage = {"role": role, "content": content_to_wire(message.content, role)}
    if message.name:
        wire["name"] = message.name
    if isinstance(message, ToolMessage):
        # ``status`` has no field in ChatMessage; by LangChain convention an error
        # ToolMessage already says so in its content, which is sent unchanged.
        wire["tool_call_id"] = message.tool_call_id
    elif isinstance(message, AIMessage):
        calls = [tool_call_to_wire(c) for c in message.tool_calls]
        calls += [_invalid_tool_call_to_wire(c) for c in message.invalid_tool_calls]
        if calls:
            wire["tool_calls"] = calls
    return wire


def _role_of(message: BaseMessage) -> str:
    for cls, role in _ROLE_BY_CLASS.items():
        if isinstance(message, cls):
            return role
    if isinstance(message, ChatMessage) and message.role.lower() in _ROLE_BY_NAME:
        return _ROLE_BY_NAME[message.role.lower()]
    raise ValueError(
        f"Humanloop chat messages have roles user, assistant, system and tool; "
        f"cannot send a {type(message).__name__}"
        + (f" with role {message.role!r}" if isinstance(message, ChatMessage) else "")
    )


def content_to_wire(content: str | list[Any], role: str) -> str | list[dict[str, Any]]:
    """Message content as the wire's ``str`` or list of text/image parts.

    A list holding only text collapses to one string (joined as ``BaseMessage.text``
    joins it), which every provider behind Humanloop accepts for every role.
    """
    if isinstance(content, str):
        return content
    parts = [p for p in (_block_to_wire(b, role) for b in content) if p is not None]
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _block_to_wire(block: str | Mapping[str, Any], role: str) -> dict[str, Any] | None:
    """One content block as a wire part, ``None`` when it travels elsewhere."""
    if isinstance(block, str):
        return {"type": "text", "text": block}
    kind = block.get("type")
    if kind == "text" and "source_type" not in block:
        return {"type": "text", "text": block.get("text", "")}
    if kind in _TOOL_CALL_BLOCKS and role == "assistant":
        return None  # carried by AIMessage.tool_calls, converted there
    if kind in ("image_url", "image"):
        return {"type": "image_url", "image_url": _image_url(block)}
    raise ValueError(
        f"Humanloop chat messages carry text and images only; cannot send a "
        f"{kind!r} content block in a {role} message"
    )


def _image_url(block: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ImageUrl`` of an OpenAI-style, v0 data or v1 standard image block."""
    if block.get("type") == "image_url":
        raw = block["image_url"]
        image = {"url": raw} if isinstance(raw, str) else dict(raw)
    elif block.get("base64") or block.get("source_type") == "base64":
        data = block.get("base64") or block.get("data")
        mime = block.get("mime_type") or "image/png"
        image = {"url": f"data:{mime};base64,{data}"}
    elif block.get("url"):
        image = {"url": block["url"]}
    else:  # e.g. a provider file id: there is no field for it
        raise ValueError("Humanloop image parts need a URL or base64 data; got an image by file id")
    detail = image.get("detail") or (block.get("extras") or {}).get("detail")
    out = {"url": image["url"]}
    if detail in _IMAGE_DETAILS:
        out["detail"] = detail
    return out


def tool_call_to_wire(call: Mapping[str, Any]) -> dict[str, Any]:
    """A LangChain ``ToolCall`` as a Humanloop ``ToolCall`` (arguments as JSON text)."""
    return {
        "id": call["id"] or "",
        "type": "function",
        "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)},
    }


def _invalid_tool_call_to_wire(call: Mapping[str, Any]) -> dict[str, Any]:
    # Sent back verbatim so the model sees exactly what it produced before.
    return {
        "id": call.get("id") or "",
        "type": "function",
        "function": {"name": call.get("name") or "", "arguments": call.get("args") or ""},
    }


# ---------------------------------------------------------------- wire -> messages


def content_from_wire(content: Any, fallback: str | None = None) -> str | list[Any]:
    """Wire content as LangChain content: text-only parts join into one string."""
    if content is None:
        return fallback or ""
    if isinstance(content, str):
        return content
    parts = [p if isinstance(p, dict) else p.to_wire() for p in content]
    if all(p.get("type") == "text" for p in parts):
        return "".join(p.get("text", "") for p in parts)
    return parts


def tool_calls_from_wire(raw: Sequence[Any] | None) -> tuple[list[Any], list[Any]]:
    """Wire tool calls as LangChain (``tool_calls``, ``invalid_tool_calls``)."""
    calls: list[Any] = []
    invalid: list[Any] = []
    for item in raw or ():
        data = item if isinstance(item, dict) else item.to_wire()
        try:
            parsed = parse_tool_call(data, return_id=True)
        except Exception as exc:  # arguments that are not JSON stay visible, not lost
            invalid.append(make_invalid_tool_call(data, str(exc)))
            continue
        if parsed is not None:
            calls.append(parsed)
    return calls, invalid


def usage_from_wire(prompt_tokens: int | None, output_tokens: int | None) -> UsageMetadata | None:
    """Token counts as ``UsageMetadata``; ``None`` when the server reported neither."""
    if prompt_tokens is None and output_tokens is None:
        return None
    inp, out = prompt_tokens or 0, output_tokens or 0
    # cast: mypy reads UsageMetadata's NotRequired detail keys as required
    return cast(UsageMetadata, {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out})


def finish_reason_from_wire(reason: str | None) -> str | None:
    return FINISH_REASONS.get(reason, reason) if reason else None


# ---------------------------------------------------------------- tools


def tools_to_wire(tools: Sequence[Any]) -> list[dict[str, Any]]:
    """Bound tools as Humanloop ``ToolFunction`` dicts.

    Accepts anything ``convert_to_openai_tool`` does (pydantic classes, functions,
    ``BaseTool``s, OpenAI tool dicts) and Humanloop ``ToolFunction`` dicts as they are.
    """
    out = []
    for tool in tools:
        if isinstance(tool, Mapping) and "name" in tool and "parameters" in tool:
            fn: Mapping[str, Any] = tool  # already a Humanloop ToolFunction
        else:
            fn = convert_to_openai_tool(tool)["function"]
        wire = {"name": fn["name"], "description": fn.get("description") or ""}
        if fn.get("parameters") is not None:
            wire["parameters"] = fn["parameters"]
        if fn.get("strict") is not None:
            wire["strict"] = fn["strict"]
        out.append(wire)
    return out


def tool_choice_to_wire(choice: Any, tool_names: Sequence[str]) -> ToolChoiceWire | None:
    """LangChain's ``tool_choice`` vocabulary as Humanloop's.

    ``"auto"``/``"none"`` pass through; ``"any"``, ``"required"`` and ``True`` force a
    call; a bound tool's name (or an OpenAI-style dict) forces that tool; ``None`` and
    ``False`` leave the choice to the prompt.
    """
    if choice is None or choice is False:
        return None
    if choice is True or choice in ("any", "required"):
        return "required"
    if choice in ("auto", "none"):
        return "auto" if choice == "auto" else "none"
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name") or choice.get("name")
        if name:
            return {"type": "function", "function": {"name": name}}
    if isinstance(choice, str) and choice in tool_names:
        return {"type": "function", "function": {"name": choice}}
    raise ValueError(
        f"tool_choice {choice!r} is not 'auto', 'none', 'any', 'required', a bool "
        f"or the name of a bound tool ({', '.join(tool_names) or 'no tools bound'})"
    )


def tool_names(tools: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of tools in OpenAI (``{"function": {...}}``) or Humanloop shape."""
    return [(t.get("function") or t).get("name", "") for t in tools]


def json_schema_response_format(schema: Mapping[str, Any], strict: bool | None) -> dict[str, Any]:
    """A ``ResponseFormat`` of type ``json_schema`` for an OpenAI-style function schema."""
    spec: dict[str, Any] = {"name": schema["name"], "schema": schema.get("parameters") or {}}
    if schema.get("description"):
        spec["description"] = schema["description"]
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}
