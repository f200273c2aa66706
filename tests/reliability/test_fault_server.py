"""The fault server itself, seen through raw httpx.

If a client test fails, these say whether the fault was really produced: each scripted
misbehaviour shows up at the transport level exactly as a real broken upstream would.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.fault_server import (
    EventStream,
    FaultServer,
    Reply,
    Reset,
    Stall,
    closed_port,
    stream_events,
)


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def test_script_advances_per_attempt_and_last_action_repeats(fault: FaultServer) -> None:
    fault.play(Reply(503), Reply(200, {"ok": True}), Reply(418))
    with httpx.Client(base_url=fault.base_url) as http:
        statuses = [http.post("/prompts/call", json={"n": i}).status_code for i in range(5)]
    assert statuses == [503, 200, 418, 418, 418]
    assert [a.json() for a in fault.attempts] == [{"n": i} for i in range(5)]
    assert all(a.path == "/v5/prompts/call" for a in fault.attempts)
    assert len(fault.gaps()) == 4


def test_reset_is_a_transport_error_not_a_response(fault: FaultServer) -> None:
    fault.play(Reset())
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        httpx.get(fault.base_url + "/prompts/pr_1")
    assert len(fault.attempts) == 1


def test_cut_stream_yields_events_then_fails(fault: FaultServer) -> None:
    fault.play(EventStream(stream_events(["a", "b"]), cut=True))
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", fault.base_url + "/prompts/call") as response,
    ):
        lines.extend(line for line in response.iter_lines() if line)
    assert len(lines) == 2


def test_complete_stream_ends_cleanly(fault: FaultServer) -> None:
    fault.play(EventStream(stream_events(["a", "b", "c"])))
    with httpx.stream("POST", fault.base_url + "/prompts/call") as response:
        assert sum(1 for line in response.iter_lines() if line) == 3


def test_stall_outlasts_a_short_timeout(fault: FaultServer) -> None:
    fault.play(Stall(5))
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(fault.base_url + "/x", timeout=0.2)
    assert time.monotonic() - started < 2


def test_closed_port_refuses() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{closed_port()}/v5/x")
