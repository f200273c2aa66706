"""Converters several providers share: message text, images, tool-call arguments."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .base import ProviderError


def text_of(content: Any) -> str:
    """The text of a message's content (a string, or the text parts of a list)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def parts_of(content: Any) -> list[dict[str, Any]]:
    """A message's content as a list of Humanloop content parts."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [p for p in content or [] if isinstance(p, dict)]


def image_url(part: dict[str, Any]) -> str:
    url = part.get("image_url")
    return str(url.get("url", "") if isinstance(url, dict) else url or "")


def data_url(provider: str, url: str) -> tuple[str, str] | None:
    """``(media_type, base64 data)`` of a ``data:`` URL, None for any other URL."""
    if not url.startswith("data:"):
        return None
    head, _, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if encoding != "base64" or not media_type:
        raise ProviderError(f"{provider}: an image data URL must be 'data:<type>;base64,...'", 400)
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProviderError(f"{provider}: an image data URL is not valid base64", 400) from None
    return media_type, data


def arguments(provider: str, call: dict[str, Any]) -> Any:
    """A tool call's arguments as JSON (providers that take them parsed)."""
    raw = (call.get("function") or {}).get("arguments") or "{}"
    try:
        return json.loads(raw)
    except ValueError:
        name = (call.get("function") or {}).get("name")
        raise ProviderError(f"{provider}: the arguments of tool call {name!r} are not JSON", 400) from None


def schema_of(rf: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON schema of a ``json_schema`` response format (bare or OpenAI-wrapped)."""
    if not rf or rf.get("type") != "json_schema":
        return None
    spec = rf.get("json_schema") or {}
    schema = spec.get("schema") if isinstance(spec.get("schema"), dict) else spec
    return dict(schema) if isinstance(schema, dict) else {}


def tool_names(messages: list[dict[str, Any]]) -> dict[str, str]:
    """tool_call_id -> function name, from the assistant messages' tool calls."""
    return {c.get("id", ""): (c.get("function") or {}).get("name", "")
            for m in messages for c in m.get("tool_calls") or []}
