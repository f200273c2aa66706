"""The soak's own bookkeeping must not grow with the run: the soak measures this process's
RSS, so a harness that keeps every latency sample reads as a client leak."""

from __future__ import annotations

import statistics
import time

import pytest

from tests.reliability.soak import SAMPLES_PER_OP, Stats

N = 50_000


def test_latencies_kept_are_bounded_while_counts_stay_exact() -> None:
    stats = Stats()
    for _ in range(N):
        stats.record("async call", time.perf_counter())
    stats.record("async call", time.perf_counter(), RuntimeError("boom"))

    assert stats.counts["async call"] == N
    assert len(stats.latencies["async call"]) == SAMPLES_PER_OP < N
    assert sum(stats.errors.values()) == 1


def test_kept_latencies_sample_the_whole_run() -> None:
    # Latency i encodes when in the run it was recorded: a fair reservoir keeps samples
    # from all of it, not only the first SAMPLES_PER_OP.
    stats = Stats()
    for i in range(N):
        stats.record("sync stream", time.perf_counter() - i)
    kept = stats.latencies["sync stream"]

    assert statistics.median(kept) == pytest.approx(N / 2, rel=0.1)
    assert max(kept) > 0.95 * N
