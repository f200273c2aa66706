"""Input limits: what the server refuses up front rather than choking on later.

One middleware reads each request body once, bounded, and refuses:

- a body larger than ``max_body_bytes``: 413, before the rest is read (a declared
  ``Content-Length`` over the limit is refused without reading any of it);
- a JSON body nested deeper than ``max_json_depth`` (the body itself is level 1): 422;
- a JSON string holding a lone UTF-16 surrogate (``"\\ud83d"``, what a client that cut an
  emoji in half sends): 422. Such text is not Unicode, cannot be written as UTF-8, and
  once stored it broke every page of logs that held it.

The JSON checks cost two byte scans for an ordinary body; the body is parsed and walked
only when those scans say it could break a rule, and large ones are walked off the loop.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import anyio
from anyio import to_thread
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_PAGE = 1_000_000_000
"""Largest ``page`` a listing accepts: with ``size`` at most 1000 the offset stays far
inside SQL's 64-bit integers (a page of 1e16 once overflowed them into a 500)."""

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# Bodies above this are parsed and walked in a worker thread, not on the event loop.
_WALK_OFF_LOOP = 256 * 1024
# A refused body is still read (and dropped) up to this much, for this long, before the 413
# goes out: a client sends its body right behind the headers, and closing on unread bytes
# resets the connection, which throws the 413 away. Bigger or slower ones are cut off.
_DRAIN_BYTES = 64 * 1024 * 1024
_DRAIN_SECONDS = 10.0
# OTLP/JSON nests three levels per attribute value; those routes bound the nesting of the
# decoded values themselves (otlp_wire), so only the text check applies to them here.
_OWN_DEPTH_BOUND = ("/v1/traces", "/v5/import/otel/")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a request may carry.

    Args:
        max_body_bytes: Largest request body, in bytes (413 above it).
        max_json_depth: Deepest nesting of JSON objects and arrays in a body (422 above it).
    """

    # As large as an OTLP batch may be (otlp_wire.MAX_BODY_BYTES): one limit for every route.
    max_body_bytes: int = 16 * 1024 * 1024
    max_json_depth: int = 64


class SafeJSONResponse(JSONResponse):
    """JSON as UTF-8, falling back to ``\\u`` escapes for text UTF-8 can't hold (a lone
    surrogate stored before this server refused them), so such a row is served, not a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False,
                              separators=(",", ":")).encode("ascii")


def _problem(loc: list[str | int], msg: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": "value_error"}


def json_problem(body: bytes, max_depth: int | None) -> dict[str, Any] | None:
    """The first reason this JSON body breaks a limit, as a FastAPI-style error, or None
    (invalid JSON is None too: the route's own validation reports it). ``max_depth``
    None checks the text only."""
    maybe_deep = max_depth is not None and body.count(b"{") + body.count(b"[") > max_depth
    maybe_surrogate = _SURROGATE_ESCAPE.search(body) is not None
    if not (maybe_deep or maybe_surrogate):
        return None
    try:
        value = json.loads(body)
    except RecursionError:
        if max_depth is None:
            return None  # the route's own bound reports it
        return _problem([], f"JSON nested deeper than {max_depth} levels (the limit)")
    except ValueError:
        return None
    return _walk(value, max_depth, maybe_surrogate)


def _walk(value: Any, max_depth: int | None, check_text: bool) -> dict[str, Any] | None:
    """Iterative, so a deep document can't exhaust the stack of the checker itself."""
    stack: list[tuple[Any, list[str | int], int]] = [(value, [], 1)]
    while stack:
        item, loc, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if max_depth is not None and depth > max_depth:
                return _problem(loc, f"JSON nested deeper than {max_depth} levels (the limit)")
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in pairs:
                if check_text and isinstance(key, str) and _lone_surrogate(key):
                    return _problem(loc, "an object key holds a lone UTF-16 surrogate: not valid Unicode")
                stack.append((child, [*loc, key], depth + 1))
        elif check_text and isinstance(item, str) and _lone_surrogate(item):
            return _problem(loc, "the string holds a lone UTF-16 surrogate (e.g. half of an emoji): "
                                 "not valid Unicode; send whole characters")
    return None


def _lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Enforces :class:`Limits` on request bodies (pure ASGI, so responses stream through)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = _header(scope, b"content-length") if scope["type"] == "http" else None
        chunked = scope["type"] == "http" and _header(scope, b"transfer-encoding") is not None
        if length is None and not chunked:  # no body: nothing to bound
            await self.app(scope, receive, send)
            return
        if length is not None and length.isdigit() and int(length) > self.limits.max_body_bytes:
            await self._too_large(scope, receive, send, int(length))
            return
        try:
            body = await read_body(receive, self.limits.max_body_bytes)
        except _TooLarge:
            await self._too_large(scope, receive, send, None)
            return
        if body is None:  # the client left while sending
            return
        problem = await self._json_problem(scope, body)
        if problem is not None:
            await SafeJSONResponse({"detail": [problem]}, 422)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)

    async def _json_problem(self, scope: Scope, body: bytes) -> dict[str, Any] | None:
        if not body or b"json" not in (_header(scope, b"content-type") or b""):
            return None
        if _header(scope, b"content-encoding") is not None:
            return None  # compressed: the route that inflates it bounds what it gets
        depth = None if scope["path"].startswith(_OWN_DEPTH_BOUND) else self.limits.max_json_depth
        if len(body) > _WALK_OFF_LOOP:
            return await to_thread.run_sync(json_problem, body, depth)
        return json_problem(body, depth)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, length: int | None) -> None:
        size = f"{length} bytes" if length is not None else "larger than that"
        detail = (f"request body is {size}; this server accepts at most "
                  f"{self.limits.max_body_bytes} bytes (--max-body-bytes)")
        drained = (length is None or length <= _DRAIN_BYTES) and await _drain(receive)
        # Not drained: close, so the unread rest of the body is never taken for a request.
        headers = None if drained else {"connection": "close"}
        await SafeJSONResponse({"detail": detail}, 413, headers=headers)(scope, receive, send)


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes | None:
    """The whole request body; None if the client left while sending it. Over
    ``max_bytes``, ``_TooLarge`` as soon as the total passes it (the rest stays unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` for the app after a middleware has read the body: the body once,
    whole, then the client's own messages (a disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _drain(receive: Receive) -> bool:
    """Read and drop the rest of a body (see _DRAIN_BYTES); whether it all arrived."""
    seen = 0
    with anyio.move_on_after(_DRAIN_SECONDS):
        while seen <= _DRAIN_BYTES:
            message = await receive()
            if message["type"] == "http.disconnect":
                return False
            seen += len(message.get("body", b""))
            if not message.get("more_body"):
                return True
    return False
