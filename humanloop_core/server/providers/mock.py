"""The ``mock`` provider: a deterministic model driven only by the request.

It never looks for particular phrases; every reply follows from these rules, applied to
the rendered messages and the prompt's parameters, so tests can predict it exactly.

Tokens
    A token is a whitespace-separated word. ``prompt_tokens`` counts the words of every
    message's text; ``output_tokens`` the words of the output (or of the tool-call
    arguments JSON).

Reply, in order of precedence
    1. The conversation ends with ``tool`` messages: ``"The tool returned: "`` followed by
       ``"<name> -> <content>"`` for each trailing tool message, joined with ``"; "``
       (``name`` from the assistant tool call with that ``tool_call_id``).
    2. Tools are given and ``tool_choice`` is not ``"none"``, and one of: ``tool_choice``
       names a function (that tool is called; an unknown name is a 400);
       ``tool_choice`` is ``"required"`` (the first tool the last user message names, else
       the first tool); ``tool_choice`` is ``"auto"``/unset and the last user message
       names a tool. A message names a tool when it contains the tool's name, or the
       name with ``_``/``-`` read as spaces, as whole words, or every word of the name longer than three
       letters (``get_weather`` -> ``weather``) as a word of its own, ignoring case. The reply is one tool call
       (``finish_reason`` ``"tool_calls"``, ``output`` empty) whose arguments are built
       from the tool's JSON schema (see *Values*).
    3. ``response_format`` ``json_schema``: JSON valid against the schema (the
       ``schema`` member when present, else the object itself), built as in *Values*.
       ``json_object``: an object whose keys are the identifiers the last user message
       quotes (``'setup'``, ``"punchline"``), each valued with the text of rule 4; with
       no quoted identifier, ``{"reply": <the text of rule 4>}``.
    4. Otherwise ``"You said: <text of the last user message>"`` (``"You said nothing."``
       when there is no user message).

Values (tool arguments and JSON output), from the last user message
    Numbers (``-3``, ``2.5``) and quoted strings (``"..."`` or ``'...'``) are taken in
    order of appearance by ``number``/``integer`` and ``string`` properties, in the
    schema's property order; an ``enum`` takes the first of its values the message
    contains; an array of numbers or strings takes all the remaining ones, an array of
    ``enum`` members every member the message contains. Otherwise the
    schema's ``default`` or first ``enum`` value (a ``const`` always wins). A required
    property still without a value gets: for a string, the last capitalised word after the
    first word (else the last word); ``0`` for numbers; ``false``; ``[]``; an object built
    by these rules. Optional properties without a value are left out. Then the schema's
    bounds apply: numbers are clamped to ``minimum``/``maximum``, strings padded with
    ``x`` to ``minLength`` and cut to ``maxLength``, arrays filled to ``minItems`` and cut to
    ``maxItems``. ``$ref`` into ``$defs``/``definitions`` is followed; ``anyOf``/``oneOf``
    use the first non-null branch.

Limits
    ``stop``: a text reply is cut before the first stop sequence it contains
    (``finish_reason`` ``"stop"``). ``max_tokens`` > 0: a text reply is cut to that many
    words (``finish_reason`` ``"length"``). Tool calls and JSON are never cut.

Streaming
    Text streams one word (with its trailing space) per chunk. A tool call streams a chunk
    with its id, name and empty arguments, then argument pieces, each repeating the id and
    name. The last chunk carries ``finish_reason`` and the token counts. The server's
    ``mock_chunk_delay`` sleeps that long before each chunk (a non-streamed call sleeps
    for all its chunks), to model latency in benchmarks.

Failures, for testing error paths (keys of the prompt's ``other``)
    ``mock_error``: fail with this message; ``mock_error_status``: the HTTP status the
    server answers with (default 400); ``mock_error_after``: when streaming, fail after
    this many chunks instead of before the first.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from anyio import to_thread

from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest

# A number starts a word-like run ([\w.]+) and counts only if the rest of that run has no
# letter or underscore (``3`` and ``2.5`` count, ``3rd`` and ``v1.2a`` don't). The rest is
# checked with a separate match rather than a lookahead: the lookahead backtracked over
# the run once per digit, quadratic (a run of 40,000 digits took 13 s).
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_RUN_REST = re.compile(r"[\w.]*")
_LETTER = re.compile(r"[A-Za-z_]")
_QUOTED = re.compile(r"\"([^\"]*)\"|'([^']*)'")
# Requests with more text than this are answered in a worker thread: every rule here is
# linear, but linear in a megabyte still holds the event loop for milliseconds.
_INLINE_TEXT = 16 * 1024


def find_numbers(text: str) -> list[str]:
    """The numbers of ``text`` as the module docstring defines them, in one linear pass."""
    found = []
    for match in _NUMBER.finditer(text):
        rest = _RUN_REST.match(text, match.end())
        if rest is None or not _LETTER.search(rest.group()):
            found.append(match.group())
    return found


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def count_tokens(text: str) -> int:
    return len(text.split())


def last_user_text(messages: list[dict[str, Any]]) -> str | None:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message)
    return None


class Values:
    """The typed values of one message, consumed in order as a schema asks for them."""

    def __init__(self, text: str) -> None:
        self.text = text
        without_quotes = _QUOTED.sub(" ", text)
        self.numbers: list[float | int] = [
            float(n) if "." in n else int(n) for n in find_numbers(without_quotes)
        ]
        self.strings = [a if a or not b else b for a, b in _QUOTED.findall(text)]

    def fallback_word(self) -> str:
        words = [w.strip(".,;:!?()[]{}\"'") for w in self.text.split()]
        words = [w for w in words if w]
        capitalised = [w for w in words[1:] if w[0].isupper()]
        return capitalised[-1] if capitalised else (words[-1] if words else "")


def _resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    for _ in range(32):  # bounded: a self-referencing $ref must not loop forever
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            schema = target
            continue
        branches = schema.get("anyOf") or schema.get("oneOf")
        if isinstance(branches, list) and branches:
            options = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
            schema = {**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")},
                      **(options[0] if options and isinstance(options[0], dict) else {})}
            continue
        return schema
    return {}


def _type_of(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None and "properties" in schema:
        return "object"
    return kind if isinstance(kind, str) else None


def _from_text(schema: dict[str, Any], kind: str | None, values: Values,
               root: dict[str, Any]) -> tuple[bool, Any]:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        hits = _enum_hits(enum, values.text)
        return (True, hits[0]) if hits else (False, None)
    if kind in ("number", "integer") and values.numbers:
        number = values.numbers.pop(0)
        return True, int(number) if kind == "integer" else number
    if kind == "string" and values.strings:
        return True, values.strings.pop(0)
    if kind == "array":
        items = _resolve(schema.get("items") or {}, root)
        item_kind = _type_of(items)
        if isinstance(items.get("enum"), list) and items["enum"]:
            hits = _enum_hits(items["enum"], values.text)
            return (True, hits) if hits else (False, None)
        if item_kind in ("number", "integer") and values.numbers:
            taken, values.numbers = values.numbers, []
            return True, [_within_bounds(items, item_kind, n, values, root) for n in taken]
        if item_kind == "string" and values.strings:
            taken_s, values.strings = values.strings, []
            return True, [_within_bounds(items, item_kind, v, values, root) for v in taken_s]
    return False, None


def _enum_hits(enum: list[Any], text: str) -> list[Any]:
    lowered = text.lower()
    return [e for e in enum if isinstance(e, str) and e.lower() in lowered]


def build_value(schema: Any, values: Values, root: dict[str, Any], required: bool = True) -> tuple[bool, Any]:
    """A value for ``schema``: ``(found, value)``; ``found`` is False only for an optional
    property with nothing in the message and no default."""
    schema = _resolve(schema, root)
    kind = _type_of(schema)
    if kind == "object":
        return True, _build_object(schema, values, root)
    for key in ("const",):
        if key in schema:
            return True, schema[key]
    found, value = _from_text(schema, kind, values, root)
    if not found and "default" in schema:
        return True, schema["default"]
    if not found and isinstance(schema.get("enum"), list) and schema["enum"]:
        return True, schema["enum"][0]
    if not found and not required:
        return False, None
    if not found:
        fallbacks: dict[str | None, Any] = {
            "string": values.fallback_word(), "number": 0, "integer": 0, "boolean": False,
            "array": [], "null": None,
        }
        value = fallbacks.get(kind, values.fallback_word())
    return True, _within_bounds(schema, kind, value, values, root)


def _within_bounds(schema: dict[str, Any], kind: str | None, value: Any, values: Values,
                   root: dict[str, Any]) -> Any:
    """Clamp numbers into minimum/maximum, pad short strings and arrays: the schema wins
    over what the message offered."""
    if kind in ("number", "integer") and isinstance(value, (int, float)):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, (int, float)) and value < low:
            value = low
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else value
    if kind == "string" and isinstance(value, str):
        shortest = schema.get("minLength")
        if isinstance(shortest, int) and len(value) < shortest:
            value = value + "x" * (shortest - len(value))
        longest = schema.get("maxLength")
        return value[:longest] if isinstance(longest, int) else value
    if kind == "array" and isinstance(value, list):
        fewest = schema.get("minItems")
        while isinstance(fewest, int) and len(value) < fewest:
            value.append(build_value(schema.get("items") or {}, values, root)[1])
        most = schema.get("maxItems")
        return value[:most] if isinstance(most, int) else value
    return value


def _build_object(schema: dict[str, Any], values: Values, root: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    result: dict[str, Any] = {}
    for name, sub in properties.items() if isinstance(properties, dict) else []:
        found, value = build_value(sub, values, root, required=name in required)
        if found:
            result[name] = value
    return result


def build_arguments(parameters: dict[str, Any] | None, text: str) -> dict[str, Any]:
    """Tool-call arguments for a JSON schema, with values taken from ``text``."""
    schema = parameters or {"type": "object", "properties": {}}
    value = build_value(schema, Values(text), schema)[1]
    return value if isinstance(value, dict) else {}


def _names(tool: dict[str, Any], text: str) -> bool:
    name = str(tool.get("name", "")).lower()
    lowered = text.lower()
    if not name:
        return False
    spoken = re.sub(r"[_-]+", " ", name)
    if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) for n in (name, spoken)):
        return True
    # Every distinctive word of the name, as a word of the message (short verbs like
    # "get" or "add" are too common to count as naming a tool).
    significant = [w for w in re.split(r"[_\-\s]+", name) if len(w) > 3]
    words = set(re.findall(r"[a-z0-9]+", lowered))
    return bool(significant) and all(w in words for w in significant)


def choose_tool(request: ProviderRequest) -> dict[str, Any] | None:
    """The tool rule 2 of the module docstring calls, or None for a text reply."""
    tools, choice = request.tools, request.tool_choice
    if not tools or choice == "none":
        return None
    text = last_user_text(request.messages) or ""
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        tool = next((t for t in tools if t.get("name") == wanted), None)
        if tool is None:
            names = ", ".join(str(t.get("name")) for t in tools)
            raise ProviderError(f"tool_choice names {wanted!r} but the prompt's tools are: {names}", 400)
        return tool
    named = next((t for t in tools if _names(t, text)), None)
    if choice == "required":
        return named or tools[0]
    return named


def _tool_results(messages: list[dict[str, Any]]) -> str | None:
    trailing: list[dict[str, Any]] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        trailing.insert(0, message)
    if not trailing:
        return None
    names = {c.get("id"): (c.get("function") or {}).get("name")
             for m in messages for c in (m.get("tool_calls") or [])}
    parts = [f"{names.get(m.get('tool_call_id')) or m.get('name') or 'tool'} -> {message_text(m)}"
             for m in trailing]
    return "The tool returned: " + "; ".join(parts)


def _limit(text: str, request: ProviderRequest) -> tuple[str, str]:
    finish = "stop"
    cuts = [text.find(s) for s in request.stop if s and s in text]
    if cuts:
        text = text[: min(cuts)]
    if request.max_tokens and count_tokens(text) > request.max_tokens:
        # Up to the end of the max_tokens-th word (a `\s*\S+` search was quadratic on
        # trailing whitespace).
        words = itertools.islice(re.finditer(r"\S+", text), request.max_tokens)
        end = max((word.end() for word in words), default=0)
        text, finish = text[:end], "length"
    return text, finish


def _json_reply(request: ProviderRequest, text: str) -> str | None:
    rf = request.response_format or {}
    if rf.get("type") == "json_object":
        quoted = re.findall(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""", last_user_text(request.messages) or "")
        return json.dumps(dict.fromkeys(quoted or ["reply"], text))
    if rf.get("type") == "json_schema":
        spec = rf.get("json_schema") or {}
        schema = spec["schema"] if isinstance(spec.get("schema"), dict) else spec
        return json.dumps(build_value(schema, Values(last_user_text(request.messages) or ""), schema)[1])
    return None


def reply(request: ProviderRequest) -> Completion:
    """The mock model's complete answer to ``request`` (pure: same request, same reply)."""
    _maybe_fail(request, streaming=False)
    prompt_tokens = sum(count_tokens(message_text(m)) for m in request.messages)
    results = _tool_results(request.messages)
    tool = None if results is not None else choose_tool(request)
    if tool is not None:
        arguments = json.dumps(build_arguments(tool.get("parameters"), last_user_text(request.messages) or ""))
        digest = hashlib.sha256(f"{len(request.messages)}:{tool['name']}:{arguments}".encode()).hexdigest()
        call = {"id": f"call_{digest[:16]}", "type": "function",
                "function": {"name": tool["name"], "arguments": arguments}}
        return Completion("", [call], "tool_calls", prompt_tokens, count_tokens(arguments))
    user_text = last_user_text(request.messages)
    text = results or (f"You said: {user_text}" if user_text is not None else "You said nothing.")
    structured = None if results is not None else _json_reply(request, text)
    if structured is not None:
        return Completion(structured, None, "stop", prompt_tokens, count_tokens(structured))
    text, finish = _limit(text, request)
    return Completion(text, None, finish, prompt_tokens, count_tokens(text))


def to_chunks(completion: Completion) -> list[Chunk]:
    """The stream of one completion; the last chunk carries finish reason and usage."""
    chunks = [Chunk(output=piece) for piece in re.findall(r"\s*\S+\s*", completion.output)]
    for call in completion.tool_calls or []:
        head = {"id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        chunks.append(Chunk(tool_calls=[{**head, "function": {**head["function"], "arguments": ""}}]))
        for piece in re.findall(r"\S+\s*", call["function"]["arguments"]):
            chunks.append(Chunk(tool_calls=[{**head, "function": {**head["function"], "arguments": piece}}]))
    if not chunks:
        chunks.append(Chunk())
    last = chunks[-1]
    last.finish_reason = completion.finish_reason
    last.prompt_tokens, last.output_tokens = completion.prompt_tokens, completion.output_tokens
    return chunks


def _maybe_fail(request: ProviderRequest, streaming: bool) -> None:
    message = request.other.get("mock_error")
    if message and not (streaming and request.other.get("mock_error_after")):
        raise ProviderError(str(message), _status(request))


def _status(request: ProviderRequest) -> int:
    status = request.other.get("mock_error_status", 400)
    return status if isinstance(status, int) and 400 <= status <= 599 else 400


class MockProvider:
    name = "mock"
    # A deterministic model: n samples are n identical calls; "complete" reads the
    # messages' text as its prompt, like a chat.
    capabilities = Capabilities(endpoints=("chat", "complete"))

    def __init__(self, chunk_delay: float = 0.0) -> None:
        self.chunk_delay = chunk_delay

    async def complete(self, request: ProviderRequest) -> Completion:
        completion = await _reply_off_loop_if_large(request)
        if self.chunk_delay:
            await asyncio.sleep(self.chunk_delay * len(to_chunks(completion)))
        return completion

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        _maybe_fail(request, streaming=True)
        fail_after = request.other.get("mock_error_after")
        clean = ProviderRequest(**{**request.__dict__, "other": {}})
        for index, chunk in enumerate(to_chunks(await _reply_off_loop_if_large(clean))):
            if isinstance(fail_after, int) and index >= fail_after and request.other.get("mock_error"):
                raise ProviderError(str(request.other["mock_error"]), _status(request))
            # Always yield to the event loop (sleep(0) when there is no delay): a stream
            # that never awaits cannot notice its client leaving and writes on regardless.
            await asyncio.sleep(self.chunk_delay)
            yield chunk


async def _reply_off_loop_if_large(request: ProviderRequest) -> Completion:
    if sum(len(message_text(m)) for m in request.messages) > _INLINE_TEXT:
        return await to_thread.run_sync(reply, request)
    return reply(request)
