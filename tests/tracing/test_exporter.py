"""HumanloopSpanProcessor: batches, retries with backoff, bounded queue, drop counting
reported once, flush on shutdown; against the scripted fault server and the real server."""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from humanloop_core.decorators import tool
from humanloop_core.exporter import HumanloopSpanProcessor, backoff
from humanloop_core.server import LocalServer
from tests.reliability.fault_server import FaultServer, Reply, Reset, closed_port

KEY = "hl-exporter-secret-key"


@pytest.fixture
def fault() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


def make(base_url: str, **options: object) -> tuple[HumanloopSpanProcessor, TracerProvider]:
    options = {"schedule_delay": 0.02, "max_backoff": 0.05, **options}
    processor = HumanloopSpanProcessor(KEY, base_url, **options)  # type: ignore[arg-type]
    provider = TracerProvider()
    provider.add_span_processor(processor)
    return processor, provider


def emit(provider: TracerProvider, n: int, name: str = "work") -> None:
    tracer = provider.get_tracer("test")
    for i in range(n):
        with tracer.start_as_current_span(name, attributes={"i": i}):
            pass


def span_count(body: bytes) -> int:
    doc = json.loads(gzip.decompress(body))
    return sum(len(s["spans"]) for r in doc["resourceSpans"] for s in r["scopeSpans"])


def test_batches_are_otlp_json_gzipped_with_the_key(fault: FaultServer) -> None:
    processor, provider = make(fault.base_url, max_batch_size=4)
    emit(provider, 10)
    assert processor.force_flush(5_000)
    assert [span_count(a.body) for a in fault.attempts] == [4, 4, 2]
    first = fault.attempts[0]
    assert first.path == "/v5/import/otel/v1/traces" and first.headers["x-api-key"] == KEY
    assert first.headers["content-encoding"] == "gzip"
    assert (processor.exported, processor.dropped, processor.rejected) == (10, 0, 0)
    assert KEY not in repr(processor)
    provider.shutdown()


def test_retries_unavailable_and_reset_then_delivers_once(fault: FaultServer) -> None:
    fault.play(Reply(503), Reset(), Reply(429), Reply(200, {}))
    processor, provider = make(fault.base_url)
    emit(provider, 3)
    assert processor.force_flush(5_000)
    assert len(fault.attempts) == 4 and all(span_count(a.body) == 3 for a in fault.attempts)
    assert (processor.exported, processor.dropped) == (3, 0)
    provider.shutdown()


def test_a_refused_batch_is_counted_not_retried(fault: FaultServer) -> None:
    fault.play(Reply(400, {"detail": "bad"}), Reply(200, {}))
    processor, provider = make(fault.base_url)
    emit(provider, 2)
    assert processor.force_flush(5_000)
    assert len(fault.attempts) == 1 and processor.rejected == 2
    provider.shutdown()


def test_backoff_grows_and_is_capped() -> None:
    assert all(0.125 <= backoff(1, 10) <= 0.25 for _ in range(50))
    assert all(1.0 <= backoff(4, 10) <= 2.0 for _ in range(50))
    assert all(backoff(20, 3.0) <= 3.0 for _ in range(50))


def test_bounded_queue_drops_without_blocking_and_reports_once(caplog: pytest.LogCaptureFixture) -> None:
    processor, provider = make(f"http://127.0.0.1:{closed_port()}/v5", max_queue_size=10)
    started = time.perf_counter()
    emit(provider, 25)
    assert time.perf_counter() - started < 2.0  # the app never waits for the network
    assert processor.dropped == 15
    with caplog.at_level(logging.WARNING, logger="humanloop_core.tracing"):
        processor.shutdown(timeout=0.2)
        processor.shutdown()
    reports = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(reports) == 1 and "25 spans dropped" in reports[0].getMessage()
    emit(provider, 1)  # after shutdown: counted, not queued, not raised
    assert processor.dropped == 26


def test_spans_made_while_the_server_is_down_arrive_when_it_returns(tmp_path, unique_path: str) -> None:
    db = tmp_path / "restart.sqlite"
    first = LocalServer(db=db, api_key=KEY).start()
    port = int(first.url.rsplit(":", 1)[1])
    processor, provider = make(first.base_url, max_backoff=0.2)
    traced = tool(path=unique_path, tracer=provider.get_tracer("t"))(lambda x: x + 1)
    assert traced(1) == 2 and processor.force_flush(10_000)
    first.stop()
    assert [traced(i) for i in range(2, 7)] == [3, 4, 5, 6, 7]  # server down: calls unaffected
    time.sleep(0.3)  # a few failed sends and backoffs happen meanwhile
    with LocalServer(db=db, api_key=KEY, port=port) as second:
        assert processor.force_flush(10_000)
        file = second.store.get_file_by_path(unique_path)
        assert file is not None
        rows, total = second.store.list_logs({"file_id": file["id"]}, 1, 20)
        assert total == 6 and sorted(r["body"]["output"] for r in rows) == ["2", "3", "4", "5", "6", "7"]
    assert processor.dropped == 0
    provider.shutdown()


def test_spans_the_server_refuses_in_a_partial_success_count_as_rejected(local_server: LocalServer,
                                                                        unique_path: str) -> None:
    """A tool log at a prompt's path is refused inside an accepted batch: counted as
    rejected, not exported, so exported stays what was stored."""
    import httpx

    taken = httpx.post(f"{local_server.base_url}/prompts", json={"path": f"{unique_path}/taken", "model": "m"},
                       headers={"X-API-KEY": local_server.api_key})
    assert taken.status_code == 200, taken.text
    processor = HumanloopSpanProcessor(local_server.api_key, local_server.base_url, schedule_delay=0.02)
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("test")
    tool(path=f"{unique_path}/taken", tracer=tracer)(lambda: 1)()
    tool(path=f"{unique_path}/free", tracer=tracer)(lambda: 2)()
    assert processor.force_flush(10_000)
    assert (processor.exported, processor.rejected, processor.dropped) == (1, 1, 0)
    free = local_server.store.get_file_by_path(f"{unique_path}/free")
    assert free is not None and sum(local_server.store.count_logs(free["id"]).values()) == 1
    provider.shutdown()
