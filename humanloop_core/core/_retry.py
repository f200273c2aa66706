"""Whether to retry a failed attempt, and after how long: one pure function.

Sync, async and streamed calls all ask :func:`retry_delay`; the shells only sleep.
"""

from __future__ import annotations

import datetime
import email.utils
import random
import time
from collections.abc import Callable

import httpx

# 408 request timeout, 409 conflict (lock contention), 429 rate limited; 5xx below.
_RETRY_STATUSES = frozenset({408, 409, 429})
_INITIAL_DELAY = 0.5
_MAX_BACKOFF = 8.0
_MAX_RETRY_AFTER = 60.0
# Failures that are about the request itself; sending it again cannot help.
_FATAL_TRANSPORT_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def retry_delay(
    attempt: int,
    max_retries: int,
    outcome: httpx.Response | BaseException,
    now: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` to stop and raise.

    Args:
        attempt: Index of the attempt that just failed (0 for the first).
        max_retries: Retries allowed after the first attempt.
        outcome: The non-2xx response, or the exception the attempt raised.
        now: Current POSIX time, for ``Retry-After`` dates (read from the clock if ``None``).
        rand: Source of jitter in ``[0, 1)``.
    """
    if attempt >= max_retries or not should_retry(outcome):
        return None
    if isinstance(outcome, httpx.Response):
        server_delay = _retry_after(outcome.headers, now)
        if server_delay is not None:
            return server_delay
    backoff = min(_INITIAL_DELAY * 2.0**attempt, _MAX_BACKOFF)
    # Up to 25% less, so clients that failed together do not retry together.
    return backoff * (1.0 - 0.25 * rand())


def should_retry(outcome: httpx.Response | BaseException) -> bool:
    """The retry rule alone: 408, 409, 429, 5xx, connection failures and timeouts,
    with ``x-should-retry: true|false`` from the server overriding the status rule."""
    if isinstance(outcome, httpx.Response):
        override: str | None = outcome.headers.get("x-should-retry")
        if override is not None:
            lowered: str = override.strip().lower()
            if lowered in ("true", "false"):
                return lowered == "true"
        status: int = outcome.status_code
        return status in _RETRY_STATUSES or status >= 500
    return isinstance(outcome, httpx.TransportError) and not isinstance(
        outcome, _FATAL_TRANSPORT_ERRORS
    )


def _retry_after(headers: httpx.Headers, now: float | None) -> float | None:
    """The server's requested delay, capped at 60 s; ``None`` when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        seconds = _parse_number(millis)
        if seconds is not None:
            return _clamp(seconds / 1000.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    seconds = _parse_number(value)
    if seconds is not None:
        return _clamp(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
        when = when.replace(tzinfo=datetime.timezone.utc)
    return _clamp(when.timestamp() - (time.time() if now is None else now))


def _parse_number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    # float() also reads "nan" and "inf"; a server means neither.
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _clamp(seconds: float) -> float:
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER)
