"""The HTTP side every fake shares: a threaded server on 127.0.0.1 with keep-alive and
chunked streaming, the scripted replies, and the helpers to cut text into pieces."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Reply:
    """What the fake model answers: text and/or tool calls ``(id, name, arguments)``.
    ``finish`` is Humanloop's reason; each fake writes its provider's own."""

    text: str = ""
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    finish: str = "stop"
    prompt_tokens: int = 11
    output_tokens: int = 7
    # Streams only: after this many text pieces the provider reports an error in-stream
    # (where its format has one: Anthropic's error event, Bedrock's exception frame).
    break_after: int | None = None


@dataclass
class Failure:
    status: int
    message: str
    retry_after: str | None = None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""  # as sent, still percent-encoded
    peer: tuple[str, int] = ("", 0)  # the client's address: one per connection

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Iterable[bytes] | None = None  # streamed with chunked transfer encoding

    @classmethod
    def of_json(cls, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, {"content-type": "application/json", **(headers or {})}, json.dumps(body).encode())


def pieces(text: str) -> list[str]:
    """Text as a model streams it: a word (with its trailing space) at a time."""
    return re.findall(r"\S+\s*|\s+", text)


def json_pieces(value: Any, size: int = 6) -> list[str]:
    """A JSON document cut into fixed-size pieces, as tool-call arguments stream."""
    text = json.dumps(value)
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


class Fake:
    """A provider fake: ``handle`` answers one request. Tests push replies on ``script``
    (the default answers when it is empty) and read what was sent from ``requests``."""

    def __init__(self) -> None:
        self.script: list[Reply | Failure] = []
        self.default: Reply | Failure = Reply(text="Hello from the fake model")
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None

    def next(self) -> Reply | Failure:
        return self.script.pop(0) if self.script else self.default

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Fake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Small SSE writes must leave at once, not wait on Nagle and delayed ACKs.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                request = Request(self.command, unquote(parts.path), parse_qs(parts.query),
                                  {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(size),
                                  self.path, self.client_address)
                fake.requests.append(request)
                response = fake.handle(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.chunks is None:
                    self.send_header("content-length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                    return
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for chunk in response.chunks:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def sse(events: Iterable[tuple[str | None, Any]]) -> Iterator[bytes]:
    """Server-sent events: ``(event name or None, JSON data or raw str)``."""
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {name}\n" if name else ""
        yield f"{head}data: {text}\n\n".encode()


def sse_response(events: Iterable[tuple[str | None, Any]]) -> Response:
    return Response(200, {"content-type": "text/event-stream", "cache-control": "no-cache"}, chunks=sse(events))
