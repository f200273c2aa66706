"""Transport and payload faults: what the caller gets when the network or a proxy misbehaves.

Each case is a real socket-level fault from the fault server (not a mocked exception),
run on both client flavours. The rules under test: connection failures and timeouts are
retried and end as ``APIConnectionError`` / ``APITimeoutError``; a stream is never retried
once it has yielded, and a cut or malformed stream raises instead of ending quietly;
error bodies (HTML or FastAPI JSON) reach the caller intact.
"""

from __future__ import annotations

import time

import pytest

from humanloop_core import (
    APIConnectionError,
    ApiError,
    APIResponseValidationError,
    APITimeoutError,
    InternalServerError,
    UnprocessableEntityError,
)
from tests.reliability.conftest import Driver
from tests.reliability.fault_server import (
    PROXY_502_HTML,
    EventStream,
    FaultServer,
    Reply,
    Reset,
    Stall,
    call_body,
    closed_port,
    sse,
    stream_events,
    validation_body,
)

FAST = {"retry-after-ms": "5"}


async def test_connection_refused_is_a_connection_error(driver: Driver) -> None:
    client = driver.client(f"http://127.0.0.1:{closed_port()}/v5", max_retries=1)
    started = time.monotonic()
    with pytest.raises(APIConnectionError) as caught:
        await driver.call(client)
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.status_code is None
    assert "POST /v5/prompts/call" in str(caught.value)
    # One retry means one backoff (about 0.5 s): it did retry, and did not hang.
    assert 0.2 <= time.monotonic() - started < 3


async def test_reset_before_response_is_retried_then_raised(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Reset())
    client = driver.client(fault.base_url, max_retries=2)
    with pytest.raises(APIConnectionError) as caught:
        await driver.call(client)
    assert not isinstance(caught.value, APITimeoutError)
    assert len(fault.attempts) == 3


async def test_reset_then_success_recovers(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reset(), Reply(200, call_body("after reset")))
    client = driver.client(fault.base_url)
    assert (await driver.call(client)).logs[0].output == "after reset"
    assert len(fault.attempts) == 2


async def test_slow_server_times_out(driver: Driver, fault: FaultServer) -> None:
    fault.play(Stall(10, Reply(200, call_body())))
    client = driver.client(fault.base_url, timeout=0.3, max_retries=0)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        await driver.call(client)
    assert time.monotonic() - started < 2
    assert caught.value.status_code is None
    assert len(fault.attempts) == 1


async def test_timeouts_are_retried_and_per_call_timeout_wins(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(Stall(10, Reply(200, call_body())))
    client = driver.client(fault.base_url, timeout=60, max_retries=1)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await driver.call(client, request_options={"timeout_in_seconds": 0.2})
    assert len(fault.attempts) == 2
    assert time.monotonic() - started < 3


async def test_stream_cut_mid_body_raises_after_the_yielded_events(
    driver: Driver, fault: FaultServer
) -> None:
    fault.play(EventStream(stream_events(["one", "two", "three", "four"])[:3], cut=True))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert [item.output for item in got.items] == ["one", "two", "three"]
    assert isinstance(got.error, APIConnectionError), repr(got.error)
    assert len(fault.attempts) == 1  # never retried once it has started yielding


async def test_stream_cut_mid_event_raises(driver: Driver, fault: FaultServer) -> None:
    # The connection dies inside an event: its half must not be parsed or dropped silently.
    events = stream_events(["one", "two"])
    fault.play(EventStream([events[0], events[1][:25]], cut=True))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert [item.output for item in got.items] == ["one"]
    assert isinstance(got.error, APIConnectionError), repr(got.error)


async def test_stream_cut_before_its_first_byte_is_retried(
    driver: Driver, fault: FaultServer
) -> None:
    # 200 and headers, then the connection dies before any event: nothing was yielded yet,
    # so the call is still safe to retry.
    fault.play(EventStream([], cut=True), EventStream(stream_events(["x", "y"])))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert got.error is None
    assert [item.output for item in got.items] == ["x", "y"]
    assert len(fault.attempts) == 2


async def test_body_ending_cleanly_inside_an_event_raises(
    driver: Driver, fault: FaultServer
) -> None:
    # The HTTP body is complete but its last event has no terminating blank line: the
    # upstream stopped mid-event, so the half event must raise, not vanish.
    events = stream_events(["one", "two"])
    fault.play(EventStream([events[0], events[1].rstrip(b"\n")]))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert [item.output for item in got.items] == ["one"]
    assert isinstance(got.error, APIConnectionError), repr(got.error)


async def test_malformed_event_raises_showing_the_data(driver: Driver, fault: FaultServer) -> None:
    good = stream_events(["first", "last"])
    fault.play(EventStream([good[0], sse('{"index": 0, "output": "unterminated'), good[1]]))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert [item.output for item in got.items] == ["first"]
    assert isinstance(got.error, ApiError), repr(got.error)
    assert not isinstance(got.error, APIConnectionError)
    assert "unterminated" in str(got.error)
    assert len(fault.attempts) == 1


async def test_event_of_the_wrong_shape_raises(driver: Driver, fault: FaultServer) -> None:
    fault.play(EventStream([sse('{"index": "not a number", "output": 7}')]))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert got.items == []
    assert isinstance(got.error, ApiError), repr(got.error)
    assert "not a number" in str(got.error)


async def test_server_error_event_mid_stream_raises_after_the_items(
    driver: Driver, fault: FaultServer
) -> None:
    events = stream_events(["partial"])
    error = sse('{"status_code": 503, "detail": "provider unavailable"}', event="error")
    fault.play(EventStream([events[0], error]))
    client = driver.client(fault.base_url)
    got = await driver.stream(client)
    assert [item.output for item in got.items] == ["partial"]
    assert isinstance(got.error, InternalServerError), repr(got.error)
    assert "provider unavailable" in str(got.error)


@pytest.mark.parametrize(
    "body",
    ["<html>maintenance</html>", {"id": "log_1", "logs": "not a list"}],
    ids=["html", "shape"],
)
async def test_2xx_body_that_does_not_parse_raises_showing_it(
    driver: Driver, fault: FaultServer, body: object
) -> None:
    fault.play(Reply(200, body, {"Content-Type": "text/html"} if isinstance(body, str) else {}))
    client = driver.client(fault.base_url)
    with pytest.raises(APIResponseValidationError) as caught:
        await driver.call(client)
    assert len(fault.attempts) == 1  # the server answered: sending again would not help
    assert ("maintenance" if isinstance(body, str) else "not a list") in str(caught.value)


async def test_proxy_502_html_keeps_the_page_text(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(502, PROXY_502_HTML, {"Content-Type": "text/html", **FAST}))
    client = driver.client(fault.base_url, max_retries=1)
    with pytest.raises(InternalServerError) as caught:
        await driver.call(client)
    error = caught.value
    assert len(fault.attempts) == 2  # a gateway error is retried
    assert error.status_code == 502
    assert isinstance(error.body, str) and "502 Bad Gateway" in error.body
    assert "POST /v5/prompts/call" in str(error) and "502" in str(error)


async def test_422_details_reach_the_caller(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(422, validation_body("messages")))
    client = driver.client(fault.base_url)
    with pytest.raises(UnprocessableEntityError) as caught:
        await driver.call(client)
    assert len(fault.attempts) == 1
    assert caught.value.body == validation_body("messages")
    assert "body.messages.0.role" in str(caught.value)


async def test_request_id_is_surfaced(driver: Driver, fault: FaultServer) -> None:
    fault.play(Reply(404, {"detail": "Prompt not found"}, {"x-request-id": "req_fault_42"}))
    client = driver.client(fault.base_url)
    with pytest.raises(ApiError) as caught:
        await driver.run(client, lambda c: c.prompts.get("pr_missing"))
    assert caught.value.request_id == "req_fault_42"
    assert "req_fault_42" in str(caught.value)
    assert fault.attempts[0].method == "GET"
