"""Replicate predictions: ``POST /v1/models/{owner}/{name}/predictions`` (or
``/v1/predictions`` with a version), ``Prefer: wait`` for a finished prediction,
``GET /v1/predictions/{id}``, and the ``urls.stream`` event source (``output``,
``done`` and ``error`` events). Errors are problem details (``detail``, ``title``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

from ._server import Failure, Fake, Reply, Request, Response, pieces

_CREATE = re.compile(r"^/v1/(?:models/([^/]+/[^/]+)/)?predictions$")
_GET = re.compile(r"^/v1/predictions/([\w-]+)$")
_STREAM = re.compile(r"^/v1/stream/([\w-]+)$")
ALLOWED = {"input", "stream", "webhook", "webhook_events_filter", "version"}


def _problem(status: int, title: str, detail: str, retry: str | None = None) -> Response:
    return Response.of_json({"title": title, "detail": detail, "status": status}, status,
                            {"retry-after": retry} if retry else None)


class ReplicateFake(Fake):
    key = "r8_fake"

    def __init__(self) -> None:
        super().__init__()
        self.predictions: dict[str, tuple[dict[str, Any], Reply]] = {}
        self.wait = True  # honour Prefer: wait (False: every prediction starts, to be polled)
        self._ids = itertools.count(1)

    def handle(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        if request.method == "POST" and (match := _CREATE.match(request.path)):
            return self._create(request, match.group(1))
        if request.method == "GET" and (match := _GET.match(request.path)):
            return self._get(match.group(1))
        if request.method == "GET" and (match := _STREAM.match(request.path)):
            return self._stream(match.group(1))
        return _problem(404, "Not found", f"no route {request.method} {request.path}")

    def _create(self, request: Request, model: str | None) -> Response:
        body = request.json()
        extra = sorted(set(body) - ALLOWED)
        prompt = (body.get("input") or {}).get("prompt")
        if extra or not isinstance(prompt, str) or (model is None and not body.get("version")):
            reason = f"unknown field {extra[0]}" if extra else "input: prompt is required"
            return _problem(422, "Input validation failed", reason)
        reply = self.next()
        if isinstance(reply, Failure):
            return _problem(reply.status, "Too Many Requests" if reply.status == 429 else "Error", reply.message,
                            reply.retry_after)
        pid = f"p{next(self._ids)}"
        prediction = {"id": pid, "model": model or "owner/model", "version": body.get("version", "hidden"),
                      "input": body["input"], "status": "starting", "output": None, "error": None, "logs": "",
                      "created_at": "2025-01-01T00:00:00Z",
                      "urls": {"get": f"{self.url}/v1/predictions/{pid}", "cancel": f"{self.url}/v1/predictions/{pid}/cancel"}}
        if body.get("stream"):
            prediction["urls"]["stream"] = f"{self.url}/v1/stream/{pid}"
        self.predictions[pid] = (prediction, reply)
        if self.wait and "wait" in request.headers.get("prefer", ""):
            return Response.of_json(self._finish(pid), 201)
        return Response.of_json(prediction, 201)

    def _finish(self, pid: str) -> dict[str, Any]:
        prediction, reply = self.predictions[pid]
        prediction.update(status="succeeded", output=pieces(reply.text), completed_at="2025-01-01T00:00:01Z",
                          metrics={"input_token_count": reply.prompt_tokens, "output_token_count": reply.output_tokens,
                                   "predict_time": 0.1})
        return prediction

    def _get(self, pid: str) -> Response:
        if pid not in self.predictions:
            return _problem(404, "Not found", "prediction not found")
        return Response.of_json(self._finish(pid))

    def _stream(self, pid: str) -> Response:
        _, reply = self.predictions[pid]

        def events() -> Iterator[bytes]:
            # Every event has an id (Replicate's SDK drops events without one); a
            # multi-line piece is several data lines.
            for n, (kind, data) in enumerate([*(("output", p) for p in pieces(reply.text)), ("done", "{}")]):
                lines = "".join(f"data: {line}\n" for line in data.split("\n"))
                yield f"event: {kind}\nid: {pid}:{n}\n{lines}\n".encode()

        return Response(200, {"content-type": "text/event-stream"}, chunks=events())
