"""A trace whose batches land on different server processes (``--workers``, replicas) is
joined through the store: two ingesters, each with its own connection and memory, over one
database, as two worker processes are."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from humanloop_core.server.otlp import OtlpIngest, log_id_for
from humanloop_core.server.otlp_wire import decode
from humanloop_core.server.store import Store, open_store
from tests.server.test_otlp import request, span


@pytest.fixture(params=["sqlite", "postgres"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OtlpIngest, OtlpIngest, Store]]:
    db = (str(tmp_path / "workers.sqlite") if request.param == "sqlite"
          else request.getfixturevalue("postgres_url"))
    stores = [open_store(db), open_store(db)]
    yield OtlpIngest(stores[0]), OtlpIngest(stores[1]), stores[0]
    for store in stores:
        store.close()


def send(worker: OtlpIngest, *spans: dict[str, Any]) -> None:
    result = worker.ingest(decode(json.dumps(request(*spans)).encode(), "application/json", None))
    assert result.rejected == 0, result.problems


def test_a_tree_split_across_workers_is_joined(workers: tuple[OtlpIngest, OtlpIngest, Store]) -> None:
    a, b, store = workers
    trace = uuid.uuid4().hex
    root, step, first, second = (uuid.uuid4().hex[:16] for _ in range(4))
    path = f"workers/{trace[:8]}"
    flow = {"humanloop.file.type": "flow", "humanloop.file.path": f"{path}/flow"}
    tool = {"humanloop.file.type": "tool", "humanloop.file.path": f"{path}/tool"}
    # flow (log) -> a chain step (not a log) -> two tool logs; every span in its own batch.
    send(a, span(trace, first, step, "tool", tool))    # A: points at the step's would-be log
    send(b, span(trace, step, root, "chain step", {}))  # B: the step is no log: re-point it
    send(b, span(trace, second, step, "tool", tool))    # B: walks through the step it stored
    send(a, span(trace, root, None, "flow", flow))
    assert store.otlp_span_parents([(trace, step), (trace, first)]) == {(trace, step): root}
    flow_log = log_id_for(trace, root)
    assert {r["id"] for r in store.child_logs("trace_parent_id", flow_log)} == {
        log_id_for(trace, first), log_id_for(trace, second)}
    assert store.child_logs("trace_parent_id", log_id_for(trace, step)) == []


def test_a_later_batch_walks_through_steps_another_worker_stored(
        workers: tuple[OtlpIngest, OtlpIngest, Store]) -> None:
    a, b, store = workers
    trace = uuid.uuid4().hex
    root, outer, inner, leaf = (uuid.uuid4().hex[:16] for _ in range(4))
    tool = {"humanloop.file.type": "tool", "humanloop.file.path": f"workers/{trace[:8]}/tool"}
    send(a, span(trace, inner, outer, "inner step", {}), span(trace, outer, root, "outer step", {}))
    send(b, span(trace, leaf, inner, "tool", tool))  # two stored steps up, then the root
    assert store.get_log(log_id_for(trace, leaf))["trace_parent_id"] == log_id_for(trace, root)  # type: ignore[index]
    # Resending a batch changes nothing.
    send(a, span(trace, inner, outer, "inner step", {}))
    assert store.otlp_span_parents([(trace, inner)]) == {(trace, inner): outer}
