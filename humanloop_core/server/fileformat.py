"""The ``.prompt`` / ``.agent`` file format: YAML front matter, then the chat template as
``<system>``/``<user>``/``<assistant>`` blocks (or plain text for a completion template).

Pure functions: ``serialize(kernel)`` and ``deserialize(text)`` round-trip the versioned
kernel of a prompt or agent, so ``serialize(deserialize(text)) == text`` for files this
module wrote and ``deserialize(serialize(kernel)) == kernel`` for any kernel.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import invalid

_ROLES = ("system", "user", "assistant", "developer", "tool")
_BLOCK = re.compile("<(?P<role>" + "|".join(_ROLES) + r")>\n?(?P<body>.*?)\n?</(?P=role)>", re.S)
# Front matter holds everything but the template, in this order first (then the rest sorted).
_FIRST = ("model", "provider", "endpoint", "max_tokens", "temperature", "top_p")


def serialize(kernel: dict[str, Any]) -> str:
    """The file text of a prompt or agent kernel."""
    meta = {k: kernel[k] for k in _FIRST if kernel.get(k) is not None}
    meta.update({k: v for k, v in sorted(kernel.items())
                 if k not in meta and k != "template" and not k.startswith("_") and v is not None})
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{front}---\n{_template_text(kernel.get('template'))}"


def _template_text(template: Any) -> str:
    if template is None:
        return ""
    if isinstance(template, str):
        return template
    blocks = []
    for message in template:
        role = message.get("role", "user")
        content = message.get("content") or ""
        if not isinstance(content, str):  # content parts: their text, in order
            content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
        blocks.append(f"<{role}>\n{content}\n</{role}>")
    return "\n\n".join(blocks) + "\n"


def deserialize(text: str, field: str = "prompt") -> dict[str, Any]:
    """The kernel a file's text describes; a 422 naming ``field`` says what is wrong."""
    match = re.match(r"\A---\n(?P<front>.*?)\n?---\n?(?P<body>.*)\Z", text, re.S)
    if match is None:
        raise invalid(["body", field], "a .prompt/.agent file starts with YAML front matter "
                      "between '---' lines")
    try:
        front = match.group("front")
        # Aliases let a few bytes name an exponentially large value once expanded (the
        # kernel is stored and sent as JSON): a kernel never needs them.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(front, Loader=yaml.SafeLoader)):
            raise invalid(["body", field], "YAML aliases (*name) are not allowed in front matter")
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        raise invalid(["body", field], f"the front matter is not valid YAML: {exc}") from None
    if not isinstance(meta, dict):
        raise invalid(["body", field], "the front matter must be a mapping of kernel fields")
    body = match.group("body")
    blocks = list(_BLOCK.finditer(body))
    if blocks:
        leftover = _BLOCK.sub("", body).strip()
        if leftover:
            raise invalid(["body", field], f"text outside any <role> block: {leftover[:80]!r}")
        meta["template"] = [{"role": b.group("role"), "content": b.group("body")} for b in blocks]
    elif body.strip():
        meta["template"] = body
    return dict(meta)
