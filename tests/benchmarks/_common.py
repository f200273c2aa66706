"""Timing helpers shared by the bench modules: interleaved repeats, medians, rows."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Mapping
from typing import Any

Row = dict[str, Any]


def row(name: str, value: float, unit: str, ratio: float | None = None, target: str = "") -> Row:
    """One table row; ``ratio`` is cost relative to the baseline (1.0 = baseline)."""
    out: Row = {"name": name, "value": value, "unit": unit, "ratio": ratio}
    if target:
        out["target"] = target
    return out


def per_op_seconds(fn: Callable[[], Any], loops: int,
                   clock: Callable[[], float] = time.perf_counter) -> float:
    """Mean seconds per call of ``fn`` over ``loops`` calls, with the GC paused so a
    collection triggered by one variant is not billed to another. ``clock`` may be
    ``time.process_time`` for work that is all in this process (no server, no real I/O):
    then time spent waiting for a core on a busy machine is not billed to the code."""
    gc.collect()
    gc.disable()
    try:
        start = clock()
        for _ in range(loops):
            fn()
        return (clock() - start) / loops
    finally:
        gc.enable()


def samples(
    variants: Mapping[str, Callable[[], Any]], loops: int, repeats: int, warmup: int = 20,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Seconds per call of each variant, one sample per repeat.

    Variants are interleaved repeat by repeat (A B C, A B C, ...) so that drift in the
    machine's speed hits all of them alike, and samples of one repeat are neighbours.
    """
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    out: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            out[name].append(per_op_seconds(fn, loops, clock))
    return out


def compare(
    variants: Mapping[str, Callable[[], Any]], loops: int, repeats: int, warmup: int = 20
) -> dict[str, float]:
    """Seconds per call for each variant: the best of ``repeats`` interleaved samples.

    The best sample, as ``timeit`` advises, is the one least disturbed by other work on
    the machine; a slower sample measures the neighbours, not the code (``make bench``
    often shares its cores with test runs).
    """
    return {name: min(values) for name, values in samples(variants, loops, repeats, warmup).items()}


def print_rows(rows: list[Row]) -> None:
    """Plain listing for running one bench module by itself."""
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else ""
        print(f"{r['name']:<58} {r['value']:>12.4g} {r['unit']:<8} {ratio:>8} {r.get('target', '')}")


def adapter_rows(
    label: str,
    unit: str,
    twin: tuple[str, str],
    ours: tuple[str, str],
    timed: Mapping[str, list[float]],
    floor: str | None = None,
    target: str = "<=0.5x",
) -> list[Row]:
    """Rows comparing two adapters, each over its own SDK, on one operation.

    ``twin``/``ours`` are (adapter, SDK) variant names in ``timed`` (samples from
    :func:`samples`, interleaved). The adapter-only cost is the whole call minus the same
    call made with the adapter's SDK, paired repeat by repeat (the two samples of a repeat
    are neighbours in time, so drift in the machine's speed cancels), then the median
    over repeats: the difference of two large timings is noisy, and a median of paired
    differences is steadier than a difference of two independent bests. Its ratio is ours
    over the twin's (the goal is ``target``); the target column also gives the spread,
    the interquartile range of the per-repeat ratios. The whole-call and SDK-alone rows
    follow (best samples), each relative to the twin's. ``floor`` names a variant doing
    nothing inside the framework: what any adapter pays, shown relative to the twin's
    adapter-only cost.
    """
    best = {name: min(values) for name, values in timed.items()}

    def paired(pair: tuple[str, str]) -> list[float]:
        # noise on a busy machine can push a small difference below zero: floor at 1 ns
        return [max(a - b, 1e-9) for a, b in zip(timed[pair[0]], timed[pair[1]], strict=True)]

    twin_each, ours_each = paired(twin), paired(ours)
    twin_only, ours_only = statistics.median(twin_each), statistics.median(ours_each)
    ratios = sorted(o / t for o, t in zip(ours_each, twin_each, strict=True))
    spread = (f"{target}, IQR {_quantile(ratios, 0.25):.2f}-{_quantile(ratios, 0.75):.2f}x "
              f"over {len(ratios)} repeats")
    floor_rows = [] if floor is None else [
        row(f"{label}, framework floor: {floor}", best[floor] * 1e6, unit, best[floor] / twin_only)]
    return [
        row(f"{label}, adapter only: {twin[0]} - {twin[1]}", twin_only * 1e6, unit, 1.0),
        row(f"{label}, adapter only: {ours[0]} - {ours[1]}", ours_only * 1e6, unit,
            ours_only / twin_only, spread),
        *floor_rows,
        row(f"{label}, whole call: {twin[0]}", best[twin[0]] * 1e6, unit, 1.0),
        row(f"{label}, whole call: {ours[0]}", best[ours[0]] * 1e6, unit,
            best[ours[0]] / best[twin[0]]),
        row(f"{label}, SDK alone: {twin[1]}", best[twin[1]] * 1e6, unit, 1.0),
        row(f"{label}, SDK alone: {ours[1]}", best[ours[1]] * 1e6, unit,
            best[ours[1]] / best[twin[1]]),
    ]


def _quantile(ordered: list[float], q: float) -> float:
    """Linear-interpolated quantile of an already sorted, non-empty list."""
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)
