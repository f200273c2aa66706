"""``Idempotency-Key``: a retried POST the server already applied is answered, not re-applied.

Clients send one key for all attempts of a POST. When a response was lost (a reset
connection, a timeout) the retry carries the same key; the server replays the stored
answer instead of writing a second log. Only complete (non-streamed) answers below 500
are kept: a 5xx means nothing was applied, and a stream can't be replayed.
"""

from __future__ import annotations

import hashlib
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .store import Store

HEADER = b"idempotency-key"
_MAX_KEY = 255


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body, and whether the client disconnected while sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks), False


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
        body, gone = await _read_body(receive)
        if gone:
            return
        fingerprint = hashlib.sha256(
            b"\n".join([scope["path"].encode(), scope.get("query_string", b""), body])).hexdigest()
        stored = self.store.get_replay(key)
        if stored is not None:
            await self._replay(stored, fingerprint, send)
            return
        await self._run_and_keep(scope, body, receive, send, key, fingerprint)

    async def _replay(self, stored: dict, fingerprint: str, send: Send) -> None:
        if stored["fingerprint"] != fingerprint:
            status, content_type = 409, b"application/json"
            body = json.dumps({"detail": "this Idempotency-Key was already used for a different "
                                         "request: send a new key for a new request"}).encode()
        else:
            status, content_type, body = stored["status"], stored["content_type"].encode(), stored["body"]
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                                (b"idempotent-replayed", b"true")]})
        await send({"type": "http.response.body", "body": body})

    async def _run_and_keep(self, scope: Scope, body: bytes, receive: Receive, send: Send,
                            key: str, fingerprint: str) -> None:
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

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

        await self.app(scope, replay_receive, hold)
        if passthrough or not held:
            return
        start = held[0]
        if start["type"] == "http.response.start" and start["status"] < 500:
            headers = dict(start.get("headers", []))
            payload = b"".join(m.get("body", b"") for m in held[1:])
            # Kept before the answer leaves, so a retry racing a lost response finds it.
            self.store.put_replay(key, fingerprint, start["status"],
                                  headers.get(b"content-type", b"application/json").decode("latin-1"), payload)
        for message in held:
            await send(message)
