"""``Stream`` / ``AsyncStream``: typed items parsed from a server-sent-event response.

What both share (parse an event, report it to telemetry, tell a cut stream from a
finished one, end exactly once) lives in :class:`_StreamState`; the two shells differ
only in ``for`` vs ``async for`` and in how they close the response.

The iterating generators are module functions holding the state, not the stream, so a
stream dropped after ``break`` is freed at once and its response closed right there.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from types import TracebackType
from typing import Any, Generic, NoReturn, TypeVar

import httpx
from pydantic import ValidationError

from ._limits import DEFAULT_MAX_LINE_LENGTH
from ._parsing import invalid_data, parser_for
from ._sse import LineTooLongError, ServerSentEvent, SSEDecoder
from ._telemetry import Invocation
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    connection_error,
    error_from_event,
    model_failure,
    where,
)

T = TypeVar("T")

_DONE_DATA = "[DONE]"
# Tasks closing abandoned async responses; kept so they are not collected mid-flight.
_closing_tasks: set[asyncio.Task[None]] = set()


class _Signal(enum.Enum):
    DONE = "done"  # the server's explicit end marker
    SKIP = "skip"  # an event with no data (a heartbeat)


class _StreamState(Generic[T]):
    __slots__ = (
        "response", "invocation", "item_type", "parse", "count", "finished", "item_failure"
    )

    def __init__(
        self,
        response: httpx.Response,
        item_type: type[T],
        invocation: Invocation,
        item_failure: Callable[[Any], str | None] | None = None,
    ) -> None:
        self.response = response
        self.item_failure = item_failure
        self.invocation = invocation
        self.item_type = item_type
        self.parse = parser_for(item_type)
        self.count = 0
        self.finished = False

    def item(self, sse: ServerSentEvent) -> T | _Signal:
        """The parsed item of one event, or a signal; raises on an error or bad event."""
        data = sse.data
        if data == _DONE_DATA:
            return _Signal.DONE
        if sse.event == "error":
            raise error_from_event(self.response, data)
        if not data:
            return _Signal.SKIP
        try:
            item: T = self.parse(data)
        except ValidationError as exc:
            raise invalid_data(self.response, data, self.item_type, exc) from exc
        # The operation says whether an item reports a failure (prompt calls do); raising
        # here keeps a failed stream from ending as if it were complete.
        failed = self.item_failure(item) if self.item_failure is not None else None
        if failed:
            raise model_failure(self.response, data, failed, self.count)
        self.count += 1
        self.invocation.chunk(item)
        return item

    def check_complete(self, decoder: SSEDecoder) -> None:
        """At end of body: an event begun but never closed means the stream was cut."""
        if decoder.incomplete:
            raise APIConnectionError(
                f"{where(self.response.request)}: the stream ended mid-event after "
                f"{self.count} events",
                request=self.response.request,
            )

    def failure(self, exc: Exception) -> Exception:
        """The error to raise for ``exc`` (transport failures become ours); reports it once."""
        err: Exception = exc
        if isinstance(exc, httpx.TransportError):
            note = f" mid-stream after {self.count} events"
            err = connection_error(exc, self.response.request, note)
        elif isinstance(exc, LineTooLongError):
            err = APIResponseValidationError(
                self.response.status_code, None, self.response.headers, response=self.response,
                message=f"{where(self.response.request)}: {exc} after {self.count} events")
        if not self.finished:
            self.finished = True
            self.invocation.fail(err)
        return err

    def end(self) -> None:
        if not self.finished:
            self.finished = True
            self.invocation.end()


def _raise_failure(state: _StreamState[Any], exc: Exception) -> NoReturn:
    err = state.failure(exc)
    if err is exc:
        raise exc
    raise err from exc


def _iterate(state: _StreamState[T], chunks: Iterator[bytes],
             max_line_length: int) -> Generator[T, None, None]:
    decoder = SSEDecoder(max_line_length)
    try:
        for chunk in chunks:
            for sse in decoder.feed(chunk):
                item = state.item(sse)
                if isinstance(item, _Signal):
                    if item is _Signal.DONE:
                        return
                    continue
                yield item
        decoder.flush()  # never completes an event; settles a split character at the end
        state.check_complete(decoder)
    except Exception as exc:
        _raise_failure(state, exc)
    finally:
        state.response.close()
        state.end()


async def _aiterate(
    state: _StreamState[T], chunks: AsyncIterator[bytes], max_line_length: int
) -> AsyncGenerator[T, None]:
    decoder = SSEDecoder(max_line_length)
    try:
        async for chunk in chunks:
            for sse in decoder.feed(chunk):
                item = state.item(sse)
                if isinstance(item, _Signal):
                    if item is _Signal.DONE:
                        return
                    continue
                yield item
        decoder.flush()  # never completes an event; settles a split character at the end
        state.check_complete(decoder)
    except Exception as exc:
        _raise_failure(state, exc)
    finally:
        await state.response.aclose()
        state.end()


class Stream(Generic[T]):
    """Items of a streamed response, in order.

    Iterate it once (``for item in stream``); use it as a context manager or call
    :meth:`close` to release the connection early. Leaving the loop with ``break`` on a
    stream you no longer hold closes it too. A stream cut mid-body raises
    :class:`APIConnectionError` after the items that did arrive.

    Attributes:
        response: The underlying ``httpx.Response``.
    """

    def __init__(
        self,
        response: httpx.Response,
        chunks: Iterator[bytes],
        item_type: type[T],
        invocation: Invocation,
        item_failure: Callable[[Any], str | None] | None = None,
        *,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        self.response = response
        self._state = _StreamState(response, item_type, invocation, item_failure)
        self._iterator = _iterate(self._state, chunks, max_line_length)

    def __iter__(self) -> Iterator[T]:
        # The stream itself, not its generator: `for x in client.prompts.call(stream=True)`
        # must keep the stream alive while it loops, or __del__ closes the response under it.
        return self

    def __next__(self) -> T:
        return next(self._iterator)

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        self._iterator.close()
        self.response.close()
        self._state.end()

    def __del__(self) -> None:
        # An abandoned stream that was never iterated: its generator has nothing to clean.
        try:
            self.response.close()
            self._state.end()
        except Exception:  # noqa: S110 - at interpreter exit there may be nothing left to close
            pass


class AsyncStream(Generic[T]):
    """Items of a streamed response for ``async for``; ``async with`` or :meth:`aclose`
    release the connection early. Cut streams raise :class:`APIConnectionError` after the
    items that did arrive.

    Attributes:
        response: The underlying ``httpx.Response``.
    """

    def __init__(
        self,
        response: httpx.Response,
        chunks: AsyncIterator[bytes],
        item_type: type[T],
        invocation: Invocation,
        item_failure: Callable[[Any], str | None] | None = None,
        *,
        max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        self.response = response
        self._state = _StreamState(response, item_type, invocation, item_failure)
        self._iterator = _aiterate(self._state, chunks, max_line_length)

    def __aiter__(self) -> AsyncIterator[T]:
        # The stream itself, so `async for` keeps it alive (see Stream.__iter__).
        return self

    def __anext__(self) -> Awaitable[T]:
        return self._iterator.__anext__()

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop reading and release the connection (idempotent)."""
        await self._iterator.aclose()
        await self.response.aclose()
        self._state.end()

    def __del__(self) -> None:
        try:
            self._state.end()
            if not self.response.is_closed:
                task = asyncio.get_running_loop().create_task(self.response.aclose())
                _closing_tasks.add(task)
                task.add_done_callback(_closing_tasks.discard)
        except Exception:  # noqa: S110 - no running loop: nothing can await the close
            pass
