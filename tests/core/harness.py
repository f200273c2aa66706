"""One harness drives the sync and the async transport alike, over ``httpx.MockTransport``.

Tests build a harness from a request handler (through the ``make`` fixture) and ``await``
its methods; the sync flavour simply runs blocking calls. Sleeps are recorded, not
slept; telemetry calls are recorded by a fake hook.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from humanloop_core.core._client import AsyncTransport, SyncTransport
from humanloop_core.core._operation import Operation

API_KEY = "hl-test-secret-key-0123456789"
BASE_URL = "http://hl.test/v5"

Handler = Callable[[httpx.Request], httpx.Response]


class RecordingInvocation:
    def __init__(self, log: list[tuple[str, Any]]) -> None:
        self.log = log

    def inject(self, headers: dict[str, str]) -> None:
        headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        self.log.append(("inject", None))

    def sending(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()

    def succeed(self, result: Any, status_code: int | None = None) -> None:
        self.log.append(("succeed", result))

    def chunk(self, item: Any) -> None:
        self.log.append(("chunk", item))

    def fail(self, exc: BaseException) -> None:
        self.log.append(("fail", exc))

    def end(self) -> None:
        self.log.append(("end", None))


class RecordingTelemetry:
    """Records every hook call, in order, as ``(name, argument)``."""

    def __init__(self) -> None:
        self.log: list[tuple[str, Any]] = []

    def start(self, op: Operation[Any], url: httpx.URL) -> RecordingInvocation:
        self.log.append(("start", (op.name, str(url))))
        return RecordingInvocation(self.log)

    def names(self) -> list[str]:
        return [name for name, _ in self.log]


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given chunks, optionally failing after them;
    remembers whether the response was closed."""

    def __init__(self, chunks: list[bytes], error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error
        self.closed = False
        self.delivered = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self._check_open()
            self.delivered += 1
            yield chunk
        if self.error is not None:
            raise self.error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self._check_open()
            self.delivered += 1
            yield chunk
        if self.error is not None:
            raise self.error

    def _check_open(self) -> None:
        # A real connection cannot be read once closed; neither can this body.
        if self.closed:
            raise httpx.ReadError("read from a closed response")

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


def sse_response(
    chunks: list[bytes], error: Exception | None = None
) -> tuple[httpx.Response, Body]:
    body = Body(chunks, error)
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)
    return response, body


class Harness:
    """A transport of one flavour over a mock handler, with an awaitable API for tests."""

    def __init__(self, kind: str, handler: Handler, **options: Any) -> None:
        self.kind = kind
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.telemetry = RecordingTelemetry()

        def recording_handler(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        mock = httpx.MockTransport(recording_handler)
        common: dict[str, Any] = {
            "api_key": API_KEY,
            "base_url": BASE_URL,
            "telemetry": self.telemetry,
        }
        common.update(options)
        self.transport: SyncTransport | AsyncTransport
        if kind == "sync":
            self.http: httpx.Client | httpx.AsyncClient = httpx.Client(transport=mock)
            self.transport = SyncTransport(http_client=self.http, **common)
            self.transport._sleep = self.sleeps.append  # type: ignore[method-assign]
        else:
            self.http = httpx.AsyncClient(transport=mock)
            self.transport = AsyncTransport(http_client=self.http, **common)

            async def fake_sleep(delay: float) -> None:
                self.sleeps.append(delay)

            self.transport._sleep = fake_sleep  # type: ignore[method-assign]

    async def execute(self, op: Operation[Any]) -> Any:
        if isinstance(self.transport, SyncTransport):
            return self.transport.execute(op)
        return await self.transport.execute(op)

    async def stream(self, op: Operation[Any]) -> Any:
        if isinstance(self.transport, SyncTransport):
            return self.transport.stream(op)
        return await self.transport.stream(op)

    async def collect(self, op: Operation[Any]) -> tuple[list[Any], BaseException | None]:
        """Every item the stream yields, and the exception that ended it (or None)."""
        items: list[Any] = []
        try:
            stream = await self.stream(op)
            if self.kind == "sync":
                for item in stream:
                    items.append(item)
            else:
                async for item in stream:
                    items.append(item)
        except Exception as exc:
            return items, exc
        return items, None

    async def collect_unheld(self, op: Operation[Any]) -> list[Any]:
        """Loop over a stream that nothing else references (``for x in call(...)``)."""
        if self.kind == "sync":
            return [item for item in await self.stream(op)]
        return [item async for item in await self.stream(op)]

    async def first_then_break(self, op: Operation[Any]) -> Any:
        """Take one item from a stream nobody keeps, then leave the loop."""
        if self.kind == "sync":
            for item in await self.stream(op):
                return item
        else:
            async for item in await self.stream(op):
                return item
        return None

    async def paginate(
        self, make_op: Callable[[int], Operation[Any]], page: int | None = None
    ) -> Any:
        if isinstance(self.transport, SyncTransport):
            return self.transport.paginate(make_op, page)
        return await self.transport.paginate(make_op, page)

    async def all_items(self, pager: Any) -> list[Any]:
        if self.kind == "sync":
            return list(pager)
        return [item async for item in pager]

    async def page_sizes(self, pager: Any) -> list[int]:
        if self.kind == "sync":
            return [len(p.items) for p in pager.iter_pages()]
        return [len(p.items) async for p in pager.iter_pages()]

    async def next_page(self, pager: Any) -> Any:
        if self.kind == "sync":
            return pager.next_page()
        return await pager.next_page()

    async def close(self) -> None:
        if isinstance(self.transport, SyncTransport):
            self.transport.close()
        else:
            await self.transport.aclose()


Reply = httpx.Response | Exception | Callable[[], httpx.Response]


def replies(*answers: Reply) -> Handler:
    """A handler giving successive requests these answers; the last one repeats.

    Responses are copied per request (a response can be sent once); exceptions are
    raised; callables are called for a fresh response (e.g. a streamed body).
    """
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=answer.content
            )
        return answer()

    return handler
