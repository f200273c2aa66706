"""Message content in the GenAI conventions' JSON shape (opt-in only).

Humanloop chat messages (OpenAI-like: ``role``, ``content`` as text or parts, ``tool_calls``,
``tool_call_id``) become ``{"role", "parts": [...]}`` objects following the conventions'
input/output message JSON schemas. These functions run only when content capture is on
and the span is recording: they are the serialisation work the no-op path must skip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ._attributes import field

Message = dict[str, Any]


def to_json(value: Any) -> str:
    """The one serialiser for content attributes (tests patch it to prove it is not called)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def input_messages(messages: Iterable[Any]) -> list[Message]:
    return [_message(m) for m in messages]


def output_message(message: Any, text: Any, finish_reason: Any) -> Message:
    """One choice: its assistant message (or bare ``output`` text) and why it stopped."""
    if message is not None:
        out = _message(message)
    else:
        out = {"role": "assistant", "parts": _text_parts(text)}
    out["finish_reason"] = str(finish_reason) if finish_reason else ""
    return out


def _message(message: Any) -> Message:
    role = str(field(message, "role") or "user")
    parts: list[dict[str, Any]] = []
    content = field(message, "content")
    if role == "tool":
        parts.append({
            "type": "tool_call_response",
            "id": field(message, "tool_call_id"),
            "response": _plain_text(content),
        })
    else:
        parts.extend(_content_parts(content))
    for call in field(message, "tool_calls") or ():
        function = field(call, "function")
        parts.append({
            "type": "tool_call",
            "id": field(call, "id"),
            "name": field(function, "name") or "",
            "arguments": parse_arguments(field(function, "arguments")),
        })
    out: Message = {"role": role, "parts": parts}
    name = field(message, "name")
    if name:
        out["name"] = name
    return out


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if content is None or isinstance(content, str):
        return _text_parts(content)
    parts: list[dict[str, Any]] = []
    for item in content:
        kind = field(item, "type")
        if kind == "text":
            parts.append({"type": "text", "content": field(item, "text") or ""})
        elif kind == "image_url":
            image = field(item, "image_url")
            parts.append({"type": "uri", "modality": "image", "uri": field(image, "url") or ""})
        else:
            parts.append({"type": str(kind or "unknown")})
    return parts


def _text_parts(text: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "content": text}] if text else []


def _plain_text(content: Any) -> Any:
    if content is None or isinstance(content, str):
        return content
    return "".join(str(field(item, "text") or "") for item in content)


def parse_arguments(raw: Any) -> Any:
    """Tool arguments as an object when they are valid JSON, else the raw string."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw
