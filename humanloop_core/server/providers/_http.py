"""What every HTTP provider shares: a pooled client per event loop, error mapping, SSE.

The per-provider modules hold only their converters (pure functions) and their URLs and
headers; sending, reading server-sent events and turning a provider's failure into the
server's answer live here, once.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .base import Capabilities, ProviderError, ProviderRequest


def server_status(upstream: int) -> int:
    """The status the server answers with when the provider answered ``upstream``: the
    caller's rate limit stays a 429 (retryable, with the provider's Retry-After), an
    overloaded or timed-out provider a 503/504, any other 4xx a 400 (the request as sent
    cannot succeed: a bad key, an unknown model, a parameter it refuses) and the rest 502.
    A provider's 401 is not the caller's Humanloop key failing, hence never a 401."""
    if upstream == 429:
        return 429
    if upstream in (408, 504):
        return 504
    if upstream in (503, 529):
        return 503
    if 400 <= upstream < 500:
        return 400
    return 502


def redact(text: str, secret: str | None) -> str:
    """``text`` without ``secret`` (some providers echo part of a rejected key)."""
    if secret and len(secret) >= 4:
        text = text.replace(secret, "[redacted]")
    return text


def error_message(body: Any) -> str | None:
    """The message in the error body shapes providers use: ``{"error": {"message"}}``
    (OpenAI, Anthropic, Gemini, Groq, DeepSeek), ``{"message"}`` (Bedrock, Cohere),
    ``{"detail"}`` (Replicate), ``{"error": "..."}``."""
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    for key in ("message", "detail", "error", "title"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return None


def _retry_delay(body: Any) -> str | None:
    """Seconds from a Google ``RetryInfo`` detail (``"retryDelay": "30s"``), which Gemini
    sends in the body instead of a Retry-After header."""
    details = (body.get("error") or {}).get("details") if isinstance(body, dict) else None
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return str(max(1, round(float(delay[:-1]))))
            except ValueError:
                return None
    return None


_KEY_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")


def secret_of(headers: dict[str, str]) -> str | None:
    """The key a request carries, whether it came from the call or the environment, so
    an error quoting it is redacted either way."""
    for name, value in headers.items():
        if name.lower() in _KEY_HEADERS:
            return value.split(" ", 1)[1] if value.lower().startswith("bearer ") else value
    return None


def error_from_response(provider: str, response: httpx.Response, secret: str | None) -> ProviderError:
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = error_message(body) or response.text
    retry_after = response.headers.get("retry-after") or _retry_delay(body)
    return ProviderError(
        f"{provider} returned {response.status_code}: {redact(detail, secret)[:500]}",
        server_status(response.status_code),
        retry_after if response.status_code in (429, 503, 529) else None,
    )


def transport_error(provider: str, exc: httpx.HTTPError) -> ProviderError:
    # Only the exception's type: its text may carry a URL with a key in its query.
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"{provider} did not answer in time ({type(exc).__name__})", 504)
    return ProviderError(f"{provider} request failed: {type(exc).__name__}", 502)


@dataclass
class SseEvent:
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class SseDecoder:
    """Server-sent events from lines (pure: ``feed(line)`` returns a finished event)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        if not line:
            if not self._data and not self._event:
                return None
            done = SseEvent(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        return None


Target = tuple[str, dict[str, str]]


def api_key(request: ProviderRequest, what: str, field: str, env: tuple[str, ...],
            hint: str | None = None) -> str:
    """The call's ``provider_api_keys.<field>``, else the first of ``env`` set where the
    server runs; with neither, a 400 saying how to give one (``what``: "Anthropic API key",
    ``hint``: the variables to name, by default the first)."""
    key = request.api_key or next((os.environ[name] for name in env if os.environ.get(name)), None)
    if not key:
        raise ProviderError(f"no {what}: pass provider_api_keys.{field} in the call or set "
                            f"{hint or env[0]} where the server runs", 400)
    return key


def base_url(env: str, default: str) -> str:
    """The provider's base URL: ``env`` where the server runs (a proxy, a fake), else its own."""
    return (os.environ.get(env) or default).rstrip("/")


class HttpProvider:
    """Sends with one pooled ``httpx.AsyncClient`` per event loop (calls reuse connections
    and TLS sessions). Subclasses set ``name`` and ``capabilities`` and convert."""

    name = "http"
    capabilities = Capabilities()

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 120.0) -> None:
        self._transport = transport
        self._timeout = timeout
        # Keyed weakly by loop: a client belongs to the loop it first ran in.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary())

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        return client

    async def _post_json(self, url: str, payload: dict[str, Any], headers: dict[str, str],
                         secret: str | None) -> Any:
        try:
            response = await self._client().post(url, json=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc) from None
        if response.status_code >= 400:
            raise error_from_response(self.name, response, secret or secret_of(headers))
        return response.json()

    async def _send(self, method: str, url: str, headers: dict[str, str], secret: str | None,
                    content: bytes | None = None,
                    each: Callable[[httpx.Response], AsyncIterator[Any]] | None = None) -> AsyncIterator[Any]:
        """Open a streamed response and yield what ``each`` reads from it."""
        try:
            async with self._client().stream(method, url, content=content, headers=headers) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise error_from_response(self.name, response, secret or secret_of(headers))
                assert each is not None
                async for item in each(response):
                    yield item
        except httpx.HTTPError as exc:
            raise transport_error(self.name, exc) from None

    async def _sse(self, url: str, payload: dict[str, Any] | None, headers: dict[str, str],
                   secret: str | None, method: str = "POST") -> AsyncIterator[SseEvent]:
        """The server-sent events of one streamed request, as they arrive."""
        async def events(response: httpx.Response) -> AsyncIterator[SseEvent]:
            decoder = SseDecoder()
            async for line in response.aiter_lines():
                event = decoder.feed(line)
                if event is not None:
                    yield event
            last = decoder.feed("")
            if last is not None:
                yield last

        body = None if payload is None else json.dumps(payload).encode()
        sent = {"accept": "text/event-stream", **headers}
        if body is not None:
            sent["content-type"] = "application/json"
        async for event in self._send(method, url, sent, secret, body, events):
            yield event
