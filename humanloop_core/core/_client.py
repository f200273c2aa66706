"""The transport: turns an :class:`Operation` into HTTP, with retries, typed errors,
parsing, streams and pagers.

:class:`_BaseTransport` holds every decision (URL, headers, options merge, timeout, retry
delay, parsing). :class:`SyncTransport` and :class:`AsyncTransport` only send, sleep and
iterate.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import copy
import itertools
import logging
import os
import platform
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

import httpx

from .._version import __version__
from ._limits import DEFAULT_MAX_LINE_LENGTH, DEFAULT_MAX_RESPONSE_BYTES
from ._logging import configure_from_env, logger
from ._operation import Operation
from ._pagination import AsyncPager, SyncPager
from ._parsing import encode_json, parse_json
from ._retry import retry_delay
from ._streaming import AsyncStream, Stream
from ._telemetry import Invocation, TelemetryHook, default_telemetry
from .errors import connection_error, error_from_response, loggable, too_large

T = TypeVar("T")
ClientT = TypeVar("ClientT", httpx.Client, httpx.AsyncClient)
TransportT = TypeVar("TransportT", bound="_BaseTransport[Any]")

DEFAULT_TIMEOUT = 60.0

DEFAULT_MAX_RETRIES = 2
RETRY_COUNT_HEADER = "x-retry-count"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_URL_CACHE_SIZE = 512


_USER_AGENT = (
    f"humanloop-core/{__version__} python/{platform.python_version()} httpx/{httpx.__version__}"
)


class _Call:
    """One execute(): what every attempt of it sends."""

    __slots__ = ("op", "url", "params", "content", "headers", "timeout", "max_retries")

    def __init__(
        self,
        op: Operation[Any],
        url: httpx.URL,
        params: dict[str, Any] | None,
        content: bytes | None,
        headers: dict[str, str],
        timeout: httpx.Timeout | httpx._client.UseClientDefault,
        max_retries: int,
    ) -> None:
        self.op = op
        self.url = url
        self.params = params
        self.content = content
        self.headers = headers
        self.timeout = timeout
        self.max_retries = max_retries


class _BaseTransport(abc.ABC, Generic[ClientT]):
    _client: ClientT

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: ClientT | None = None,
        default_headers: Mapping[str, str] | None = None,
        telemetry: TelemetryHook | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_sse_line_length: int = DEFAULT_MAX_LINE_LENGTH,
    ) -> None:
        configure_from_env()
        self.base_url = base_url.rstrip("/")
        self.max_response_bytes = max_response_bytes
        self.max_sse_line_length = max_sse_line_length
        self.max_retries = max(0, max_retries)
        # None: leave the timeout to the http client (a caller-supplied one keeps its own).
        self._timeout: httpx.Timeout | httpx._client.UseClientDefault = (
            httpx.USE_CLIENT_DEFAULT if timeout is None else httpx.Timeout(timeout)
        )
        self._headers: dict[str, str] = {
            "X-API-KEY": api_key,
            "User-Agent": _USER_AGENT,
            "Accept": "application/json",
        }
        if default_headers:
            self._headers.update(default_headers)
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._owns_client = http_client is None
        # The fixed headers live on a pool we own, so httpx need not merge them per request
        # (a measurable share of a call); a caller's pool gets them with every request.
        self._client = http_client if http_client is not None else self._new_client()
        self._request_headers = self._headers if http_client is not None else {}
        # A caller's own Idempotency-Key (in default or per-call headers) wins over ours.
        self._own_idempotency = not any(k.lower() == "idempotency-key" for k in self._headers)
        self._urls: dict[str, httpx.URL] = {}

    @abc.abstractmethod
    def _new_client(self) -> ClientT:
        """The pool this transport owns when the caller gave none (each shell its kind)."""

    def _client_timeout(self) -> httpx.Timeout | None:
        return self._timeout if isinstance(self._timeout, httpx.Timeout) else None

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(base_url={str(loggable(httpx.URL(self.base_url)))!r}, "
                f"max_retries={self.max_retries})")

    @property
    def http_client(self) -> ClientT:
        """The ``httpx`` client in use (shared by transports made with :meth:`with_options`)."""
        return self._client

    def with_options(
        self: TransportT, *, timeout: float | None = None, max_retries: int | None = None
    ) -> TransportT:
        """A transport with other defaults (``None`` keeps this one's), sharing its
        connection pool. Closing the copy never closes the shared pool; closing the
        original does.
        """
        clone = copy.copy(self)
        clone._owns_client = False
        if timeout is not None:
            clone._timeout = httpx.Timeout(timeout)
        if max_retries is not None:
            clone.max_retries = max(0, max_retries)
        return clone

    def _prepare(self, op: Operation[Any]) -> _Call:
        """Everything about a call that does not change between its attempts."""
        options = op.options or {}
        url = self._url(op.path)
        params = {k: v for k, v in op.params.items() if v is not None} if op.params else None
        extra_query = options.get("additional_query_parameters")
        if extra_query:
            params = {**(params or {}), **extra_query}
        headers = self._request_headers.copy()
        extra_headers = options.get("additional_headers")
        if extra_headers:
            headers.update(extra_headers)
        content = _body(op, options.get("additional_body_parameters"))
        if content is not None:
            headers["Content-Type"] = "application/json"
        elif op.files is not None:
            # Encoded once: every attempt sends the same bytes under the same boundary.
            form = httpx.Request(op.method, url, data=dict(op.form or {}), files=dict(op.files))
            content = form.read()
            headers["Content-Type"] = form.headers["Content-Type"]
        if (
            op.method == "POST"
            and self._own_idempotency
            and not (extra_headers and any(k.lower() == "idempotency-key" for k in extra_headers))
        ):
            # One key for all attempts: a retried POST the server already applied is not applied twice.
            headers[IDEMPOTENCY_HEADER] = os.urandom(16).hex()
        timeout_s = options.get("timeout_in_seconds")
        timeout = self._timeout if timeout_s is None else httpx.Timeout(timeout_s)
        retries = options.get("max_retries")
        max_retries = self.max_retries if retries is None else max(0, retries)
        return _Call(op, url, params, content, headers, timeout, max_retries)

    def _url(self, path: str) -> httpx.URL:
        """The absolute URL of ``path``; parsed once per distinct path (bounded cache)."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _URL_CACHE_SIZE:
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self.base_url + path)
        return url

    def _request(self, call: _Call, attempt: int, invocation: Invocation) -> httpx.Request:
        headers = call.headers.copy()
        headers[RETRY_COUNT_HEADER] = str(attempt)
        invocation.inject(headers)
        request = self._client.build_request(
            call.op.method,
            call.url,
            params=call.params,
            headers=headers,
            content=call.content,
            timeout=call.timeout,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "HTTP request: %s %s (attempt %d)", request.method, loggable(request.url),
                attempt + 1
            )
        return request

    def _retry_or_raise(
        self,
        call: _Call,
        attempt: int,
        outcome: httpx.Response | Exception,
        request: httpx.Request,
    ) -> float:
        """Seconds to sleep before the next attempt, or the error that ends the call."""
        delay = retry_delay(attempt, call.max_retries, outcome)
        if delay is None:
            if isinstance(outcome, httpx.Response):
                raise error_from_response(outcome)
            raise connection_error(outcome, request) from outcome
        if logger.isEnabledFor(logging.DEBUG):
            why = outcome.status_code if isinstance(outcome, httpx.Response) else repr(outcome)
            logger.debug(
                "%s %s: retrying in %.2f s after %s", request.method, loggable(request.url),
                delay, why
            )
        return delay

    @staticmethod
    def _log_response(response: httpx.Response, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed_ms = (time.perf_counter() - started) * 1000.0
            request = response.request
            logger.debug(
                "HTTP response: %s %s -> %d (%.1f ms)",
                request.method,
                loggable(request.url),
                response.status_code,
                elapsed_ms,
            )

    @staticmethod
    def _parse(op: Operation[Any], response: httpx.Response) -> Any:
        if op.cast_to is None or response.status_code == 204:
            return None
        if op.cast_to is str:  # a text body (a serialized .prompt file), not JSON
            return response.text
        return parse_json(response, response.content, op.cast_to)


class SyncTransport(_BaseTransport[httpx.Client]):
    """Sends operations over an ``httpx.Client``."""

    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    def _new_client(self) -> httpx.Client:
        return httpx.Client(timeout=self._client_timeout(), headers=self._headers)

    def execute(self, op: Operation[T]) -> T:
        """Send ``op`` and return its parsed 2xx body (a :class:`Stream` when
        ``op.stream_item`` is set; :meth:`stream` is the typed spelling of that)."""
        if op.stream_item is not None:
            return self.stream(op)  # type: ignore[return-value]
        call = self._prepare(op)
        invocation = self._telemetry.start(op, call.url)
        try:
            response, _ = self._send(call, invocation, stream=False)
            result = self._parse(op, response)
        except Exception as exc:
            invocation.fail(exc)
            raise
        invocation.succeed(result, response.status_code)
        return result  # type: ignore[no-any-return]

    def stream(self, op: Operation[T]) -> Stream[T]:
        """Send ``op`` (whose ``stream_item`` is set) and return its items as a :class:`Stream`."""
        assert op.stream_item is not None, f"{op.name}: stream() needs op.stream_item"
        call = self._prepare(op)
        invocation = self._telemetry.start(op, call.url)
        try:
            response, chunks = self._send(call, invocation, stream=True)
        except Exception as exc:
            invocation.fail(exc)
            raise
        assert chunks is not None
        return Stream(response, chunks, op.stream_item, invocation, op.item_failure,
                      max_line_length=self.max_sse_line_length)

    def paginate(
        self,
        make_op: Callable[[int], Operation[Any]],
        page: int | None = None,
        size: int | None = None,
    ) -> SyncPager[Any]:
        """Fetch page ``page`` (default 1) now; the pager fetches the rest on demand.

        ``make_op(n)`` builds the operation for page ``n``; ``size`` is already in it.
        """
        number = 1 if page is None else page

        def fetch(n: int) -> Any:
            return self.execute(make_op(n))

        return SyncPager(fetch(number), number, fetch)

    def close(self) -> None:
        """Close the connection pool, if this transport created it."""
        if self._owns_client:
            self._client.close()

    def _send(
        self, call: _Call, invocation: Invocation, stream: bool
    ) -> tuple[httpx.Response, Iterator[bytes] | None]:
        """The attempt loop: a 2xx response (and, streamed, its body from the first byte)."""
        attempt = 0
        while True:
            request = self._request(call, attempt, invocation)
            started = time.perf_counter()
            outcome: httpx.Response | Exception
            try:
                with invocation.sending():
                    # Redirects are never followed, whatever the caller's client says: the
                    # API key must not travel to wherever a Location header points.
                    response = self._client.send(request, stream=True, follow_redirects=False)
                    whole = stream or _read_capped(response, self.max_response_bytes)
                self._log_response(response, started)
                if response.is_success:
                    if not whole:
                        raise too_large(response, self.max_response_bytes)
                    return response, _first_bytes(response) if stream else None
                outcome = response
                if stream:
                    _read_quietly(response, self.max_response_bytes)
            except httpx.TransportError as exc:
                outcome = exc
            self._sleep(self._retry_or_raise(call, attempt, outcome, request))
            attempt += 1


class AsyncTransport(_BaseTransport[httpx.AsyncClient]):
    """Sends operations over an ``httpx.AsyncClient``."""

    _sleep: Callable[[float], Any] = staticmethod(asyncio.sleep)

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self._client_timeout(), headers=self._headers)

    async def execute(self, op: Operation[T]) -> T:
        """Send ``op`` and return its parsed 2xx body (an :class:`AsyncStream` when
        ``op.stream_item`` is set; :meth:`stream` is the typed spelling of that)."""
        if op.stream_item is not None:
            return await self.stream(op)  # type: ignore[return-value]
        call = self._prepare(op)
        invocation = self._telemetry.start(op, call.url)
        try:
            response, _ = await self._send(call, invocation, stream=False)
            result = self._parse(op, response)
        except Exception as exc:
            invocation.fail(exc)
            raise
        invocation.succeed(result, response.status_code)
        return result  # type: ignore[no-any-return]

    async def stream(self, op: Operation[T]) -> AsyncStream[T]:
        """Send ``op`` (whose ``stream_item`` is set) and return an :class:`AsyncStream`."""
        assert op.stream_item is not None, f"{op.name}: stream() needs op.stream_item"
        call = self._prepare(op)
        invocation = self._telemetry.start(op, call.url)
        try:
            response, chunks = await self._send(call, invocation, stream=True)
        except Exception as exc:
            invocation.fail(exc)
            raise
        assert chunks is not None
        return AsyncStream(response, chunks, op.stream_item, invocation, op.item_failure,
                           max_line_length=self.max_sse_line_length)

    async def paginate(
        self,
        make_op: Callable[[int], Operation[Any]],
        page: int | None = None,
        size: int | None = None,
    ) -> AsyncPager[Any]:
        """Fetch page ``page`` (default 1) now; the pager fetches the rest on demand."""
        number = 1 if page is None else page

        async def fetch(n: int) -> Any:
            return await self.execute(make_op(n))

        return AsyncPager(await fetch(number), number, fetch)

    async def aclose(self) -> None:
        """Close the connection pool, if this transport created it."""
        if self._owns_client:
            await self._client.aclose()

    async def _send(
        self, call: _Call, invocation: Invocation, stream: bool
    ) -> tuple[httpx.Response, AsyncIterator[bytes] | None]:
        attempt = 0
        while True:
            request = self._request(call, attempt, invocation)
            started = time.perf_counter()
            outcome: httpx.Response | Exception
            try:
                with invocation.sending():
                    response = await self._client.send(request, stream=True,
                                                       follow_redirects=False)
                    whole = stream or await _aread_capped(response, self.max_response_bytes)
                self._log_response(response, started)
                if response.is_success:
                    if not whole:
                        raise too_large(response, self.max_response_bytes)
                    return response, await _afirst_bytes(response) if stream else None
                outcome = response
                if stream:
                    await _aread_quietly(response, self.max_response_bytes)
            except httpx.TransportError as exc:
                outcome = exc
            await self._sleep(self._retry_or_raise(call, attempt, outcome, request))
            attempt += 1


def _body(op: Operation[Any], extra: Mapping[str, Any] | None) -> bytes | None:
    """The encoded JSON body, with the caller's extra fields merged over the method's."""
    body = op.json
    if extra:
        if body is not None and not isinstance(body, Mapping):
            raise TypeError(f"{op.name}: additional_body_parameters need a JSON object body")
        body = {**(body or {}), **extra}
    return None if body is None else encode_json(body)


def _first_bytes(response: httpx.Response) -> Iterator[bytes]:
    """The body from its first byte, read now: a failure before it is retryable."""
    chunks = response.iter_bytes()
    try:
        first = next(chunks, b"")
    except BaseException:
        response.close()
        raise
    return itertools.chain((first,), chunks)


async def _afirst_bytes(response: httpx.Response) -> AsyncIterator[bytes]:
    chunks = response.aiter_bytes()
    try:
        first = await anext(chunks, b"")
    except BaseException:
        await response.aclose()
        raise
    return _prepend(first, chunks)


async def _prepend(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


class _Capped:
    """Collects a body up to ``limit`` bytes; what is past the limit is dropped."""

    __slots__ = ("chunks", "size", "limit")

    def __init__(self, limit: int) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.limit = limit

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk`` (cut at the limit); False once the limit is passed."""
        room = self.limit - self.size
        self.chunks.append(chunk if len(chunk) <= room else chunk[:room])
        self.size += len(chunk)
        return self.size <= self.limit

    def settle(self, response: httpx.Response) -> None:
        # What httpx's own read() leaves behind, so `response.content` (and errors built
        # from it) see the body as kept.
        response._content = b"".join(self.chunks)


def _read_capped(response: httpx.Response, limit: int) -> bool:
    """Read the (decoded) body, keeping at most ``limit`` bytes; True if it all fit."""
    capped = _Capped(limit)
    try:
        return all(capped.add(chunk) for chunk in response.iter_bytes())
    finally:
        capped.settle(response)
        response.close()


async def _aread_capped(response: httpx.Response, limit: int) -> bool:
    capped = _Capped(limit)
    try:
        async for chunk in response.aiter_bytes():
            if not capped.add(chunk):
                return False
        return True
    finally:
        capped.settle(response)
        await response.aclose()


def _read_quietly(response: httpx.Response, limit: int) -> None:
    """Read an error body (at most ``limit`` bytes) so the error can show it; a body cut
    short keeps what arrived."""
    with contextlib.suppress(httpx.TransportError):
        _read_capped(response, limit)


async def _aread_quietly(response: httpx.Response, limit: int) -> None:
    with contextlib.suppress(httpx.TransportError):
        await _aread_capped(response, limit)


__all__ = ["AsyncTransport", "SyncTransport"]
