"""Retries against a real loopback server: exact attempt counts, measured waits, retry headers.

The client's unit tests check the retry decision and delay as pure functions with the
sleep patched; these check the same rules end to end, with real sockets and real
sleeps, on both the sync and the async client. Retry-After values are kept short
(at most about a second) so the suite stays fast, and retryable failures that are not
about the wait carry ``retry-after-ms: 5`` to skip the default backoff.
"""

from __future__ import annotations

import math
import time

import pytest

from humanloop_core import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
)
from tests.reliability.conftest import Driver
from tests.reliability.fault_server import (
    Action,
    FaultServer,
    Reply,
    call_body,
    header_values,
    http_date,
)

ATTEMPT_HEADER = "x-retry-count"  # 0 on the first attempt
IDEMPOTENCY_HEADER = "idempotency-key"
FAST = {"retry-after-ms": "5"}  # a retryable failure that should not slow the suite down


async def test_503_then_success_retries_once_with_backoff(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Reply(503, {"detail": "overloaded"}), Reply(200, call_body("recovered")))
    client = driver.client(fault.base_url)
    result = await driver.call(client)
    assert result.logs[0].output == "recovered"
    assert len(fault.attempts) == 2
    # Default backoff for the first retry is 0.5 s with jitter: never instant, never seconds.
    (gap,) = fault.gaps()
    assert 0.2 <= gap <= 1.5, gap


async def test_503_forever_makes_exactly_max_retries_plus_one_attempts(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Reply(503, {"detail": "overloaded"}, FAST))
    client = driver.client(fault.base_url)  # default max_retries=2
    with pytest.raises(InternalServerError) as caught:
        await driver.call(client)
    assert len(fault.attempts) == 3
    assert caught.value.status_code == 503
    assert caught.value.body == {"detail": "overloaded"}
    assert "overloaded" in str(caught.value)


@pytest.mark.parametrize(
    ("configured", "per_call", "expected"), [(0, None, 1), (2, 4, 5), (3, 0, 1)]
)
async def test_max_retries_from_client_and_request_options(
    driver: Driver, fault: FaultServer, configured: int, per_call: int | None, expected: int
) -> None:
    fault.play(Reply(503, {"detail": "overloaded"}, FAST))
    client = driver.client(fault.base_url, max_retries=configured)
    options = {} if per_call is None else {"request_options": {"max_retries": per_call}}
    with pytest.raises(InternalServerError):
        await driver.call(client, **options)
    assert len(fault.attempts) == expected


async def test_with_options_max_retries(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(503, {"detail": "overloaded"}, FAST))
    client = driver.client(fault.base_url).with_options(max_retries=1)
    with pytest.raises(InternalServerError):
        await driver.call(client)
    assert len(fault.attempts) == 2


# status -> attempts with max_retries=2: 408, 409, 429 and 5xx are retried, other 4xx not.
RETRY_TABLE = {
    400: 1,
    401: 1,
    403: 1,
    404: 1,
    408: 3,
    409: 3,
    422: 1,
    429: 3,
    500: 3,
    502: 3,
    504: 3,
}


@pytest.mark.parametrize("status", sorted(RETRY_TABLE))
async def test_which_statuses_are_retried(driver: Driver, fault: FaultServer, status: int) -> None:
    fault.play(Reply(status, {"detail": f"status {status}"}, FAST))
    client = driver.client(fault.base_url)
    with pytest.raises(ApiError) as caught:
        await driver.call(client)
    assert caught.value.status_code == status
    assert len(fault.attempts) == RETRY_TABLE[status]


async def test_401_is_not_retried_and_says_so(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(401, {"detail": "Invalid API key"}))
    client = driver.client(fault.base_url, max_retries=5)
    with pytest.raises(AuthenticationError) as caught:
        await driver.call(client)
    assert len(fault.attempts) == 1
    assert "401" in str(caught.value) and "Invalid API key" in str(caught.value)


async def test_x_should_retry_true_overrides_a_400(driver: Driver, fault: FaultServer) -> None:
    fault.play(
        Reply(400, {"detail": "try again"}, {"x-should-retry": "true", **FAST}),
        Reply(200, call_body()),
    )
    client = driver.client(fault.base_url)
    assert (await driver.call(client)).logs[0].output == "ok"
    assert len(fault.attempts) == 2


async def test_x_should_retry_false_overrides_a_503(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(503, {"detail": "do not retry"}, {"x-should-retry": "false"}))
    client = driver.client(fault.base_url)
    with pytest.raises(InternalServerError):
        await driver.call(client)
    assert len(fault.attempts) == 1


async def test_x_should_retry_true_on_400_forever_still_stops(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Reply(400, {"detail": "nope"}, {"x-should-retry": "true", **FAST}))
    client = driver.client(fault.base_url)
    with pytest.raises(BadRequestError):
        await driver.call(client)
    assert len(fault.attempts) == 3


# --- Retry-After: the wait between attempts is what the server asked for -----------------


async def _retry_after(driver: Driver, fault: FaultServer, first: Action) -> float:
    fault.play(first, Reply(200, call_body()))
    client = driver.client(fault.base_url)
    await driver.call(client)
    assert len(fault.attempts) == 2
    return fault.gaps()[0]


async def test_429_retry_after_seconds(driver: Driver, fault: FaultServer) -> None:
    gap = await _retry_after(
        driver, fault, Reply(429, {"detail": "slow down"}, {"Retry-After": "1"})
    )
    assert 0.95 <= gap <= 1.4, gap  # default backoff would be <= 0.5 s


async def test_429_retry_after_decimal_seconds(driver: Driver, fault: FaultServer) -> None:
    gap = await _retry_after(
        driver, fault, Reply(429, {"detail": "slow down"}, {"Retry-After": "0.8"})
    )
    assert 0.78 <= gap <= 1.2, gap  # default backoff would be <= 0.5 s


async def test_429_retry_after_ms(driver: Driver, fault: FaultServer) -> None:
    gap = await _retry_after(
        driver, fault, Reply(429, {"detail": "slow down"}, {"retry-after-ms": "900"})
    )
    assert 0.88 <= gap <= 1.3, gap  # default backoff would be <= 0.5 s


class _RetryAtNextSecond(Action):
    """429 with ``Retry-After`` as an HTTP date 1-2 s ahead; remembers the wait it asked for.

    An HTTP date has whole-second resolution, so the asked wait is computed when the
    response is sent, against the same wall clock the client reads.
    """

    asked: float = math.nan

    def perform(self, handler) -> None:  # type: ignore[no-untyped-def]
        now = time.time()
        target = math.floor(now) + 2
        self.asked = target - now
        Reply(429, {"detail": "slow down"}, {"Retry-After": http_date(target)}).perform(handler)


async def test_429_retry_after_http_date(driver: Driver, fault: FaultServer) -> None:
    action = _RetryAtNextSecond()
    gap = await _retry_after(driver, fault, action)
    assert 1.0 <= action.asked <= 2.0
    assert action.asked - 0.15 <= gap <= action.asked + 0.5, (gap, action.asked)


async def test_429_forever_raises_rate_limit_error(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(429, {"detail": "quota"}, {"retry-after-ms": "10"}))
    client = driver.client(fault.base_url, max_retries=1)
    with pytest.raises(RateLimitError) as caught:
        await driver.call(client)
    assert len(fault.attempts) == 2
    assert caught.value.headers.get("retry-after-ms") == "10"


# --- the retry headers ------------------------------------------------------------------


async def test_post_keeps_one_idempotency_key_and_counts_attempts(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Reply(503, {"detail": "busy"}, FAST))
    client = driver.client(fault.base_url, max_retries=3)
    with pytest.raises(InternalServerError):
        await driver.call(client)
    keys = list(header_values(fault.attempts, IDEMPOTENCY_HEADER))
    assert len(keys) == 4 and keys[0] and len(set(keys)) == 1, keys
    assert list(header_values(fault.attempts, ATTEMPT_HEADER)) == ["0", "1", "2", "3"]


async def test_each_call_gets_its_own_idempotency_key(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(200, call_body()))
    client = driver.client(fault.base_url)
    await driver.call(client)
    await driver.call(client)
    first, second = header_values(fault.attempts, IDEMPOTENCY_HEADER)
    assert first and second and first != second


async def test_stream_is_retried_before_its_first_byte(driver: Driver, fault: FaultServer) -> None:
    from tests.reliability.fault_server import EventStream, stream_events

    fault.play(Reply(503, {"detail": "busy"}, FAST), EventStream(stream_events(["a", "b", "c"])))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert got.error is None
    assert [item.output for item in got.items] == ["a", "b", "c"]
    assert len(fault.attempts) == 2
    assert len(set(header_values(fault.attempts, IDEMPOTENCY_HEADER))) == 1


# --- waits too long to sleep through: the requested sleep is recorded instead ------------


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace the transports' sleep (their one seam for waiting) with a recorder."""
    from humanloop_core.core._client import AsyncTransport, SyncTransport

    recorded: list[float] = []

    async def async_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(SyncTransport, "_sleep", staticmethod(recorded.append))
    monkeypatch.setattr(AsyncTransport, "_sleep", staticmethod(async_sleep))
    return recorded


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        (
            {"Retry-After": "3600"},
            60.0,
            60.0,
        ),  # capped: a server cannot park the caller for an hour
        ({"retry-after-ms": "120000"}, 60.0, 60.0),
        (
            {"Retry-After": "soon"},
            0.375,
            0.5,
        ),  # unreadable: the default backoff, not zero, not forever
        ({"Retry-After": "-5"}, 0.0, 0.0),  # negative: retry at once
    ],
)
async def test_retry_after_bounds(
    driver: Driver,
    fault: FaultServer,
    sleeps: list[float],
    headers: dict[str, str],
    low: float,
    high: float,
) -> None:
    fault.play(Reply(429, {"detail": "slow down"}, headers), Reply(200, call_body()))
    client = driver.client(fault.base_url)
    await driver.call(client)
    assert len(fault.attempts) == 2
    assert len(sleeps) == 1 and low <= sleeps[0] <= high, sleeps


async def test_backoff_doubles_and_is_capped(
    driver: Driver, fault: FaultServer, sleeps: list[float]
) -> None:
    fault.play(Reply(503, {"detail": "busy"}))
    client = driver.client(fault.base_url, max_retries=6)
    with pytest.raises(InternalServerError):
        await driver.call(client)
    assert len(fault.attempts) == 7
    nominal = [0.5, 1, 2, 4, 8, 8]  # min(0.5 * 2**n, 8), less up to 25% jitter
    assert all(0.75 * n <= s <= n for s, n in zip(sleeps, nominal, strict=True)), sleeps
