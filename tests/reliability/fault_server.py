"""A loopback HTTP server that misbehaves on purpose, for the reliability suite.

The product server is well behaved by design, so it cannot show how the client copes
with overloaded upstreams, proxies that answer in HTML, connections reset under it or
streams cut mid-body. This server replays a script instead: each incoming request
(an *attempt*) consumes the next action of the script, and the last action repeats
for every further attempt ("503 forever" is a one-action script).

Every attempt is recorded with its headers, body and monotonic arrival time, so tests
can assert exact attempt counts, the waits between attempts, and the retry headers.

It is a threaded stdlib ``http.server`` speaking HTTP/1.1 with keep-alive, because
connection reuse across retries is part of what is under test.
"""

from __future__ import annotations

import abc
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Attempt:
    """One request as the server saw it."""

    method: str
    path: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes
    arrived: float  # time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Action(abc.ABC):
    """What the server does with one attempt."""

    @abc.abstractmethod
    def perform(self, handler: _Handler) -> None:
        """Answer (or refuse to answer) the attempt ``handler`` holds."""


@dataclass(frozen=True)
class Reply(Action):
    """A complete response; ``body`` may be bytes, text or a JSON-ready value."""

    status: int = 200
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def perform(self, handler: _Handler) -> None:
        payload, content_type = _encode(self.body)
        handler.send_response(self.status)
        handler.send_header("Content-Type", self.headers.get("Content-Type", content_type))
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in self.headers.items():
            if name.lower() != "content-type":
                handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)


@dataclass(frozen=True)
class Reset(Action):
    """Read the request, then abort the connection with a TCP RST before any response byte.

    SO_LINGER with a zero timeout makes close() send RST instead of FIN, which is what
    a crashing upstream or an idle-timeout middlebox looks like to the client.
    """

    def perform(self, handler: _Handler) -> None:
        handler.abort()


@dataclass(frozen=True)
class Stall(Action):
    """Wait (a slow upstream), then do ``then``; the wait ends early when the server stops."""

    seconds: float
    then: Action = field(default_factory=Reply)

    def perform(self, handler: _Handler) -> None:
        if not handler.fault_server.stopping.wait(self.seconds):
            self.then.perform(handler)


@dataclass(frozen=True)
class EventStream(Action):
    """A ``text/event-stream`` response sent as HTTP/1.1 chunks, one chunk per event.

    With ``cut=True`` the connection is closed after the events without the final
    zero-length chunk: the body is provably incomplete, exactly as when a proxy or the
    upstream dies mid-stream.
    """

    events: Sequence[bytes]
    cut: bool = False
    gap: float = 0.0  # seconds between events, so the client sees them arrive one by one

    def perform(self, handler: _Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for event in self.events:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            handler.wfile.flush()
            if self.gap:
                time.sleep(self.gap)
        if self.cut:
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(b"0\r\n\r\n")


def _encode(body: Any) -> tuple[bytes, str]:
    if body is None:
        return b"", "application/json"
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so retries may reuse the pooled connection
    server: _HTTPServer

    @property
    def fault_server(self) -> FaultServer:
        return self.server.owner

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        attempt = Attempt(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            arrived=time.monotonic(),
        )
        action = self.fault_server._record(attempt)
        try:
            action.perform(self)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (its timeout); nothing left to say to it.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def abort(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep test output clean; attempts are recorded instead


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # aborted sockets are the point of this server, not errors worth printing


class FaultServer:
    """Start with ``with FaultServer() as fs:``; script with ``fs.play(...)``."""

    def __init__(self) -> None:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._lock = threading.Lock()
        self._script: list[Action] = [Reply(200, {})]
        self.attempts: list[Attempt] = []
        self.stopping = threading.Event()
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v5"

    def play(self, *actions: Action) -> FaultServer:
        """Replace the script and forget past attempts; the last action repeats forever."""
        if not actions:
            raise ValueError("a script needs at least one action")
        with self._lock:
            self._script = list(actions)
            self.attempts = []
        return self

    def gaps(self) -> list[float]:
        """Seconds between consecutive attempt arrivals (the client's waits, plus noise)."""
        times = [a.arrived for a in self.attempts]
        return [b - a for a, b in zip(times, times[1:], strict=False)]

    def _record(self, attempt: Attempt) -> Action:
        with self._lock:
            self.attempts.append(attempt)
            return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def closed_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_date(at: float) -> str:
    """``at`` (epoch seconds) as an RFC 7231 IMF-fixdate, as in ``Retry-After``."""
    return formatdate(at, usegmt=True)


# --- canned bodies, valid for the v5 wire models -------------------------------------

_STAMP = "2026-01-01T00:00:00Z"


def prompt_body(version_id: str = "prv_fault") -> dict[str, Any]:
    return {
        "path": "fault/prompt",
        "id": "pr_fault",
        "model": "mock-1",
        "name": "prompt",
        "version_id": version_id,
        "created_at": _STAMP,
        "updated_at": _STAMP,
        "status": "committed",
        "last_used_at": _STAMP,
        "version_logs_count": 0,
        "total_logs_count": 0,
        "inputs": [],
    }


def call_body(output: str = "ok") -> dict[str, Any]:
    """A ``PromptCallResponse`` with one log."""
    log = {
        "index": 0,
        "output": output,
        "finish_reason": "stop",
        "output_message": {"role": "assistant", "content": output},
    }
    return {"id": "log_fault", "prompt": prompt_body(), "logs": [log]}


def sse(data: str, event: str | None = None) -> bytes:
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {data}\n\n".encode()


def stream_events(words: Sequence[str]) -> list[bytes]:
    """One SSE event (a ``PromptCallStreamResponse``) per word, the last with finish_reason."""
    events = []
    for i, word in enumerate(words):
        item: dict[str, Any] = {
            "index": 0,
            "id": "log_fault",
            "prompt_id": "pr_fault",
            "version_id": "prv_fault",
            "output": word,
        }
        if i == len(words) - 1:
            item["finish_reason"] = "stop"
        events.append(sse(json.dumps(item)))
    return events


def validation_body(field_name: str = "messages") -> dict[str, Any]:
    """FastAPI's 422 ``HTTPValidationError`` shape."""
    return {
        "detail": [
            {
                "loc": ["body", field_name, 0, "role"],
                "msg": "Input should be 'user', 'assistant', 'system' or 'tool'",
                "type": "literal_error",
            }
        ]
    }


PROXY_502_HTML = (
    "<html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>edge-proxy</center>"
    "</body></html>"
)


def header_values(attempts: Sequence[Attempt], header: str) -> Iterator[str | None]:
    """The value of ``header`` in each attempt (None where absent)."""
    return (a.headers.get(header.lower()) for a in attempts)
