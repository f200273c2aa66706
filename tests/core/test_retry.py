"""The retry rule and delay: the pure function, then the transport obeying it."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx
import pytest

from humanloop_core.core import APIConnectionError, APITimeoutError, InternalServerError
from humanloop_core.core._client import IDEMPOTENCY_HEADER, RETRY_COUNT_HEADER
from humanloop_core.core._retry import retry_delay, should_retry
from tests.core.harness import Harness, replies, sse_response
from tests.core.models import get_op, ok, post_op, stream_op

NOW = 1_700_000_000.0


def no_jitter() -> float:
    return 0.0


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
def test_retryable_statuses(status: int) -> None:
    assert should_retry(response(status))
    assert retry_delay(0, 2, response(status), NOW, no_jitter) == 0.5


@pytest.mark.parametrize("status", [400, 401, 403, 404, 418, 422])
def test_client_errors_are_final(status: int) -> None:
    assert not should_retry(response(status))
    assert retry_delay(0, 2, response(status), NOW) is None


def test_x_should_retry_overrides_status_rule() -> None:
    assert retry_delay(0, 2, response(400, **{"x-should-retry": "true"}), NOW, no_jitter) == 0.5
    assert retry_delay(0, 2, response(503, **{"x-should-retry": "false"}), NOW) is None
    # Anything but true/false leaves the status rule in charge.
    assert retry_delay(0, 2, response(503, **{"x-should-retry": "maybe"}), NOW, no_jitter) == 0.5


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadError("reset"),
    ],
)
def test_connection_failures_and_timeouts_retry(exc: Exception) -> None:
    assert retry_delay(0, 2, exc, NOW, no_jitter) == 0.5


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bug"),
        httpx.UnsupportedProtocol("ftp://"),
        httpx.LocalProtocolError("bad header"),
    ],
)
def test_other_failures_are_final(exc: Exception) -> None:
    assert retry_delay(0, 2, exc, NOW) is None


def test_attempt_budget() -> None:
    assert retry_delay(1, 2, response(503), NOW) is not None
    assert retry_delay(2, 2, response(503), NOW) is None
    assert retry_delay(0, 0, response(503), NOW) is None


def test_exponential_backoff_capped_at_eight_seconds() -> None:
    delays = [retry_delay(n, 10, response(500), NOW, no_jitter) for n in range(7)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_shortens_by_at_most_a_quarter() -> None:
    assert retry_delay(2, 5, response(500), NOW, lambda: 0.999) == pytest.approx(2.0 * 0.75025)
    real = [retry_delay(1, 5, response(500), NOW) for _ in range(200)]
    assert all(d is not None and 0.75 <= d <= 1.0 for d in real)
    assert len(set(real)) > 1  # really random


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 2 "}, 2.0),
        ({"retry-after": "120"}, 60.0),  # capped
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after-ms": "1500.5"}, 1.5005),
        ({"retry-after-ms": "90000"}, 60.0),
        ({"retry-after-ms": "100", "retry-after": "7"}, 0.1),  # ms wins
        ({"retry-after-ms": "soon", "retry-after": "7"}, 7.0),
        ({"retry-after": "soon"}, 0.5),  # unreadable: back off as usual
        ({"retry-after": "nan"}, 0.5),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float) -> None:
    assert retry_delay(0, 2, response(429, **headers), NOW, no_jitter) == pytest.approx(expected)


def test_retry_after_http_date() -> None:
    in_ten = email.utils.formatdate(NOW + 10, usegmt=True)
    assert retry_delay(0, 2, response(503, **{"retry-after": in_ten}), NOW) == pytest.approx(10.0)
    in_hours = email.utils.formatdate(NOW + 7200, usegmt=True)
    assert retry_delay(0, 2, response(503, **{"retry-after": in_hours}), NOW) == 60.0
    past = email.utils.formatdate(NOW - 30, usegmt=True)
    assert retry_delay(0, 2, response(503, **{"retry-after": past}), NOW) == 0.0


def test_retry_after_does_not_make_a_final_status_retryable() -> None:
    assert retry_delay(0, 2, response(404, **{"retry-after": "1"}), NOW) is None


# --- the transport obeying the rule -------------------------------------------------------


async def test_retries_until_success_with_backoff(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(503), httpx.Response(502), httpx.Response(200, json=ok())))
    item = await h.execute(get_op())
    assert item.id == "it_1"
    assert len(h.requests) == 3
    assert len(h.sleeps) == 2
    assert 0.375 <= h.sleeps[0] <= 0.5 and 0.75 <= h.sleeps[1] <= 1.0


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2), (2, 3), (4, 5)])
async def test_max_retries_bounds_attempts(
    make: Callable[..., Harness], max_retries: int, attempts: int
) -> None:
    h = make(replies(httpx.Response(500, json={"detail": "boom"})), max_retries=max_retries)
    with pytest.raises(InternalServerError):
        await h.execute(get_op())
    assert len(h.requests) == attempts
    assert len(h.sleeps) == attempts - 1


async def test_request_options_override_max_retries(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(500)), max_retries=5)
    with pytest.raises(InternalServerError):
        await h.execute(get_op(options={"max_retries": 1}))
    assert len(h.requests) == 2


async def test_transport_honours_retry_after(make: Callable[..., Harness]) -> None:
    h = make(
        replies(
            httpx.Response(429, headers={"retry-after": "2.5"}),
            httpx.Response(503, headers={"retry-after-ms": "40"}),
            httpx.Response(200, json=ok()),
        )
    )
    await h.execute(get_op())
    assert h.sleeps == [2.5, 0.04]


async def test_x_should_retry_false_stops_at_once(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(503, headers={"x-should-retry": "false"})))
    with pytest.raises(InternalServerError):
        await h.execute(get_op())
    assert len(h.requests) == 1


async def test_attempt_header_counts_and_idempotency_key_stays(
    make: Callable[..., Harness],
) -> None:
    h = make(replies(httpx.Response(500), httpx.Response(500), httpx.Response(200, json=ok())))
    await h.execute(post_op())
    assert [r.headers[RETRY_COUNT_HEADER] for r in h.requests] == ["0", "1", "2"]
    keys = {r.headers[IDEMPOTENCY_HEADER] for r in h.requests}
    assert len(keys) == 1 and len(keys.pop()) >= 16
    # Each call gets its own key.
    await h.execute(post_op())
    assert h.requests[-1].headers[IDEMPOTENCY_HEADER] not in {
        r.headers[IDEMPOTENCY_HEADER] for r in h.requests[:3]
    }


async def test_get_has_attempt_header_but_no_idempotency_key(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())))
    await h.execute(get_op())
    assert h.requests[0].headers[RETRY_COUNT_HEADER] == "0"
    assert IDEMPOTENCY_HEADER not in h.requests[0].headers


async def test_callers_idempotency_key_is_kept(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(500), httpx.Response(200, json=ok())))
    await h.execute(post_op(options={"additional_headers": {"idempotency-key": "mine"}}))
    assert [r.headers[IDEMPOTENCY_HEADER] for r in h.requests] == ["mine", "mine"]


async def test_connection_errors_retried_then_raised(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.ConnectError("refused"), httpx.Response(200, json=ok())))
    assert (await h.execute(get_op())).id == "it_1"
    assert len(h.requests) == 2

    h = make(replies(httpx.ConnectError("refused")))
    with pytest.raises(APIConnectionError) as info:
        await h.execute(get_op())
    assert len(h.requests) == 3
    assert info.value.status_code is None
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_timeouts_retried_then_raised_as_timeout_error(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.ReadTimeout("slow")), max_retries=1)
    with pytest.raises(APITimeoutError):
        await h.execute(get_op())
    assert len(h.requests) == 2


async def test_stream_retried_before_first_byte(make: Callable[..., Harness]) -> None:
    event = b'data: {"id": "s1"}\n\n'
    h = make(
        replies(
            httpx.Response(503),
            lambda: sse_response([], httpx.ReadError("reset before any byte"))[0],
            lambda: sse_response([event])[0],
        )
    )
    items, error = await h.collect(stream_op())
    assert error is None
    assert [i.id for i in items] == ["s1"]
    assert [r.headers[RETRY_COUNT_HEADER] for r in h.requests] == ["0", "1", "2"]
    assert len({r.headers[IDEMPOTENCY_HEADER] for r in h.requests}) == 1


async def test_stream_never_retried_once_it_has_started(make: Callable[..., Harness]) -> None:
    h = make(
        replies(
            lambda: sse_response([b'data: {"id": "s1"}\n\n'], httpx.RemoteProtocolError("cut"))[0]
        )
    )
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["s1"]
    assert isinstance(error, APIConnectionError)
    assert len(h.requests) == 1
    assert h.sleeps == []
