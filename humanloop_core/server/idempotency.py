"""``Idempotency-Key``: a retried POST the server already applied is answered, not re-applied.

Clients send one key for all attempts of a POST. When a response was lost (a reset
connection, a timeout) the retry carries the same key; the server replays the stored
answer instead of writing a second log.

The key is reserved in the store before the request runs (a unique key, so it holds across
threads, processes and replicas). A second request with the key waits for the first one's
answer. The request's first write marks the key as applied in the same transaction, so a
crash between that write and the stored answer can not lead a retry to write again: the
retry is told what was written. A reservation whose request never wrote anything is taken
over by a retry once its lease (``store.IDEMPOTENCY_LEASE``) runs out (its server died).
Only complete (non-streamed) answers below 500 are kept: on a 5xx (the provider failed, say)
and after a stream, the key is released and a retry runs again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import lanes
from .limits import read_body, replaying
from .store import Row, Store
from .store import base as store_base
from .store.base import PENDING, applying

HEADER = b"idempotency-key"
_MAX_KEY = 255


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key_bytes = _header(scope, HEADER) if scope["type"] == "http" and scope["method"] == "POST" else None
        if not key_bytes or len(key_bytes) > _MAX_KEY:
            await self.app(scope, receive, send)
            return
        key = key_bytes.decode("latin-1")
        # Unbounded here: BodyLimitMiddleware, outside this one, already bounded the body.
        body = await read_body(receive)
        if body is None:  # the client left while sending
            return
        fingerprint = hashlib.sha256(
            b"\n".join([scope["path"].encode(), scope.get("query_string", b""), body])).hexdigest()
        owner = uuid.uuid4().hex
        stored = await self._reserve(key, fingerprint, owner)
        if stored is not None:
            await self._replay(stored, fingerprint, send)
            return
        with applying(key, owner):
            await self._run_and_keep(scope, body, receive, send, key, owner)

    async def _reserve(self, key: str, fingerprint: str, owner: str) -> Row | None:
        """None once ``owner`` holds the key; else the answer (or the state) to give."""
        delay = 0.005
        while True:
            stored = await lanes.starting(self.store.reserve_replay, key, fingerprint, owner)
            if stored is None or stored["status"] != PENDING or stored["fingerprint"] != fingerprint:
                return stored
            if stored.get("applied") is not None and _lease_over(stored):
                return stored  # applied, then its server stopped before the answer was kept
            # The first request is still running: its answer is this one's too.
            await anyio.sleep(delay)
            delay = min(delay * 2, 0.25)

    async def _replay(self, stored: Row, fingerprint: str, send: Send) -> None:
        if stored["fingerprint"] != fingerprint:
            status, content_type = 409, b"application/json"
            body = json.dumps({"detail": "this Idempotency-Key was already used for a different "
                                         "request: send a new key for a new request"}).encode()
        elif stored["status"] == PENDING:
            status, content_type = 409, b"application/json"
            written = f" (it wrote {stored['applied']})" if stored["applied"] else ""
            body = json.dumps({"detail": f"the request with this Idempotency-Key was applied{written} "
                                         "but its server stopped before keeping the answer: read the "
                                         "result back, or send a new key to repeat it"}).encode()
        else:
            status, content_type, body = stored["status"], stored["content_type"].encode(), stored["body"]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                (b"idempotent-replayed", b"true")]})
        await send({"type": "http.response.body", "body": body})

    async def _run_and_keep(self, scope: Scope, body: bytes, receive: Receive, send: Send,
                            key: str, owner: str) -> None:
        held: list[Message] = []
        passthrough = False

        async def hold(message: Message) -> None:
            nonlocal passthrough
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                passthrough = content_type.startswith(b"text/event-stream")
            if passthrough:
                await send(message)
            else:
                held.append(message)

        try:
            await self.app(scope, replaying(body, receive), hold)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await lanes.finishing(self.store.release_replay, key, owner)
            raise
        start = held[0] if held else None
        if passthrough or start is None or start["type"] != "http.response.start" or start["status"] >= 500:
            await lanes.finishing(self.store.release_replay, key, owner)
        else:
            headers = dict(start.get("headers", []))
            payload = b"".join(m.get("body", b"") for m in held[1:])
            # Kept before the answer leaves, so a retry racing a lost response finds it.
            await lanes.finishing(
                self.store.complete_replay, key, owner, start["status"],
                headers.get(b"content-type", b"application/json").decode("latin-1"), payload)
        for message in held:
            await send(message)


def _lease_over(stored: Row) -> bool:
    reserved = datetime.fromisoformat(stored["created_at"])
    return datetime.now(timezone.utc) - reserved > store_base.IDEMPOTENCY_LEASE
