"""Prompt templates: ``{{name}}`` variables filled from a call's ``inputs``."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import invalid

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")


def template_variables(template: Any) -> list[str]:
    """Variable names in a string or chat template, in order of first appearance."""
    names: list[str] = []
    for text in _template_texts(template):
        for name in _VARIABLE.findall(text):
            if name not in names:
                names.append(name)
    return names


def _template_texts(template: Any) -> list[str]:
    if isinstance(template, str):
        return [template]
    texts: list[str] = []
    for message in template or []:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(p["text"] for p in content if p.get("type") == "text")
    return texts


def _fill(text: str, inputs: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        raw = inputs[match.group(1)]
        return raw if isinstance(raw, str) else json.dumps(raw)

    return _VARIABLE.sub(value, text)


def render_messages(template: Any, inputs: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The template as chat messages with every variable filled.

    Raises a 422 naming each variable the inputs lack: a silently empty variable would
    send the model a different prompt than the one the caller versioned.
    """
    inputs = inputs or {}
    missing = [name for name in template_variables(template) if name not in inputs]
    if missing:
        raise invalid(["body", "inputs"],
                      f"missing input(s) for the template: {', '.join(missing)}", "missing")
    if template is None:
        return []
    if isinstance(template, str):
        return [{"role": "user", "content": _fill(template, inputs)}] if template else []
    rendered = []
    for message in template:
        content = message.get("content")
        if isinstance(content, str):
            content = _fill(content, inputs)
        elif isinstance(content, list):
            content = [{**p, "text": _fill(p["text"], inputs)} if p.get("type") == "text" else p
                       for p in content]
        rendered.append({**message, "content": content})
    return rendered
