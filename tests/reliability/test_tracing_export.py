"""10,000 decorated calls while the server is SIGKILLed midway and restarted: the app never
raises or waits, every span queued under the bound is stored exactly once, and the spans
dropped past the bound are counted and reported once."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider

from humanloop_core.decorators import flow, tool
from humanloop_core.exporter import HumanloopSpanProcessor
from humanloop_core.server.store import SqliteStore
from tests.reliability.server_process import ServerProcess

CALLS = 10_000
BOUND = 2_500
KILL_AT, RESTART_AT = 3_000, 7_000


def test_ten_thousand_calls_across_a_server_kill(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = ServerProcess(tmp_path / "traces.sqlite").start()
    processor = HumanloopSpanProcessor(server.api_key, server.base_url, max_queue_size=BOUND,
                                       schedule_delay=0.05, max_backoff=0.25)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("reliability")

    @tool(path="reliability/step", tracer=tracer)
    def step(i: int) -> int:
        return i * 2

    @flow(path="reliability/run", tracer=tracer)
    def run(i: int) -> int:
        return step(i)

    durations: list[float] = []
    try:
        for i in range(CALLS // 2):  # each run is 2 decorated calls: a flow and its tool
            if i * 2 == KILL_AT:
                server.kill()
            if i * 2 == RESTART_AT:
                server.start()
            started = time.perf_counter()
            assert run(i) == i * 2
            durations.append(time.perf_counter() - started)
        assert processor.force_flush(60_000), "queued spans were not delivered after the restart"
    finally:
        with caplog.at_level(logging.WARNING, logger="humanloop_core.tracing"):
            provider.shutdown()
        server.stop()
    # The app never waited on the network: a send timeout or a backoff would be seconds;
    # the rare slow call on a loaded 2-core machine is the scheduler, not the exporter.
    slow = [d for d in durations if d > 0.05]
    print(f"calls: {CALLS}, exported {processor.exported}, dropped {processor.dropped}, "
          f"slowest run {max(durations) * 1000:.1f} ms, runs over 50 ms: {len(slow)}")
    assert max(durations) < 2.0 and len(slow) <= 10, (max(durations), len(slow))
    assert processor.dropped > 0 and processor.rejected == 0
    assert processor.exported + processor.dropped == CALLS
    store = SqliteStore(str(server.db))
    try:
        stored = sum(sum(store.count_logs(f["id"]).values())
                     for f in (store.get_file_by_path("reliability/run"), store.get_file_by_path("reliability/step"))
                     if f is not None)
    finally:
        store.close()
    assert stored == processor.exported  # everything accepted arrived, nothing twice
    reports = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(reports) == 1 and f"{processor.dropped} spans dropped" in reports[0].getMessage()
