"""Prompt templates: filled from a call's ``inputs`` in one of two languages.

``default`` is Humanloop's template syntax: ``{{ name }}`` inserts an input (a string as
it is, anything else as JSON) and ``{{ tool(key) }}`` (or ``{{ tool("key") }}``) inserts
what a template tool (a snippet) holds under ``key``. ``jinja`` is Jinja2 in an immutable
sandbox: no attribute or method that could reach the server, a bounded ``range``,
bounded string/list multiplication and bounded output, so a template cannot exhaust the
server. In both, an input the template needs and the call lacks is a 422 naming it: a
silently empty variable would send the model a different prompt than the one versioned.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any

from .errors import invalid

# A template tool: (tool name, key) -> the text to insert; None when there is no such tool.
SnippetLookup = Callable[[str, str], str | None]

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}")
_TOOL_CALL = re.compile(r"""\{\{\s*([A-Za-z_][\w-]*)\(\s*(?:"([^"]*)"|'([^']*)'|([\w.-]*))\s*\)\s*\}\}""")
MAX_OUTPUT = 1_000_000      # characters one rendered message may hold
MAX_ITERATIONS = 100_000    # range() items one jinja render may produce, in all loops together
_LANGUAGES = ("default", "jinja")


def _texts(template: Any) -> list[str]:
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


def template_variables(template: Any, language: str | None = None) -> list[str]:
    """Input names a string or chat template uses, in order of first appearance."""
    names: list[str] = []
    for text in _texts(template):
        found = _jinja_variables(text) if language == "jinja" else _VARIABLE.findall(text)
        names.extend(n for n in found if n not in names)
    return names


def _fill_default(text: str, inputs: dict[str, Any], snippets: SnippetLookup | None) -> str:
    def tool(match: re.Match[str]) -> str:
        name = match.group(1)
        key = next((g for g in match.groups()[1:] if g is not None), "")
        # A bare word is an input's value when the inputs have it, else the key itself.
        if match.group(4) and match.group(4) in inputs:
            key = str(inputs[match.group(4)])
        found = snippets(name, key) if snippets else None
        if found is None:
            raise invalid(["body", "prompt", "template"],
                          f"the template calls tool {name!r} with key {key!r}, which no snippet tool holds",
                          "missing")
        return found

    def value(match: re.Match[str]) -> str:
        raw = inputs[match.group(1)]
        return raw if isinstance(raw, str) else json.dumps(raw)

    return _VARIABLE.sub(value, _TOOL_CALL.sub(tool, text))


# --- jinja, sandboxed -------------------------------------------------------------

_env: Any = None


def _environment() -> Any:
    """The one sandboxed environment (built on first use: jinja2 loads only when a
    template asks for it)."""
    global _env
    if _env is None:
        from jinja2 import StrictUndefined
        from jinja2.exceptions import SecurityError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        class Bounded(ImmutableSandboxedEnvironment):
            intercepted_binops = frozenset({"*", "**"})

            def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
                if operator_ == "**" and isinstance(right, int) and abs(right) > 64:
                    raise SecurityError("exponent too large in template")
                if operator_ == "*":
                    for seq, times in ((left, right), (right, left)):
                        if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and \
                                len(seq) * times > MAX_OUTPUT:
                            raise SecurityError("template multiplies a sequence past the output limit")
                return (operator.mul if operator_ == "*" else operator.pow)(left, right)

        _env = Bounded(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return _env


def _jinja_variables(text: str) -> list[str]:
    from jinja2 import TemplateSyntaxError, meta

    try:
        ast = _environment().parse(text)
    except TemplateSyntaxError as exc:
        raise invalid(["body", "prompt", "template"], f"jinja template syntax error: {exc.message} "
                      f"(line {exc.lineno})", "value_error") from None
    # Sorted: find_undeclared_variables gives a set; the order must not change between calls.
    return sorted(n for n in meta.find_undeclared_variables(ast) if n != "range")


def _fill_jinja(text: str, inputs: dict[str, Any]) -> str:
    from jinja2 import TemplateError

    budget = [MAX_ITERATIONS]

    def bounded_range(*args: int) -> range:
        items = range(*args)
        budget[0] -= len(items)
        if budget[0] < 0:
            raise invalid(["body", "prompt", "template"],
                          f"the template's loops exceed {MAX_ITERATIONS} range() items", "value_error")
        return items

    try:
        rendered = str(_environment().from_string(text).render({**inputs, "range": bounded_range}))
    except TemplateError as exc:
        raise invalid(["body", "prompt", "template"], f"jinja template failed: {exc}"[:500], "value_error") from None
    if len(rendered) > MAX_OUTPUT:
        raise invalid(["body", "prompt", "template"], f"a rendered message exceeds {MAX_OUTPUT} characters",
                      "value_error")
    return rendered


def render_messages(template: Any, inputs: dict[str, Any] | None, language: str | None = None,
                    snippets: SnippetLookup | None = None) -> list[dict[str, Any]]:
    """The template as chat messages with every input filled (422 naming any missing)."""
    inputs = inputs or {}
    language = language or "default"
    if language not in _LANGUAGES:
        raise invalid(["body", "prompt", "template_language"],
                      f"template_language must be one of {', '.join(_LANGUAGES)}, not {language!r}", "value_error")
    missing = [name for name in template_variables(template, language) if name not in inputs]
    if missing:
        raise invalid(["body", "inputs"], f"missing input(s) for the template: {', '.join(missing)}", "missing")
    if template is None:
        return []

    def fill(text: str) -> str:
        return _fill_jinja(text, inputs) if language == "jinja" else _fill_default(text, inputs, snippets)

    if isinstance(template, str):
        return [{"role": "user", "content": fill(template)}] if template else []
    rendered = []
    for message in template:
        content = message.get("content")
        if isinstance(content, str):
            content = fill(content)
        elif isinstance(content, list):
            content = [{**p, "text": fill(p["text"])} if p.get("type") == "text" else p for p in content]
        rendered.append({**message, "content": content})
    return rendered
