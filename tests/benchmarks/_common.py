"""Timing helpers shared by the bench modules: interleaved repeats, medians, rows."""

from __future__ import annotations

import gc
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


def per_op_seconds(fn: Callable[[], Any], loops: int) -> float:
    """Mean seconds per call of ``fn`` over ``loops`` calls, with the GC paused so a
    collection triggered by one variant is not billed to another."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        return (time.perf_counter() - start) / loops
    finally:
        gc.enable()


def compare(
    variants: Mapping[str, Callable[[], Any]], loops: int, repeats: int, warmup: int = 20
) -> dict[str, float]:
    """Seconds per call for each variant: the best of ``repeats`` samples of ``loops`` calls.

    Variants are interleaved repeat by repeat (A B C, A B C, ...) so that drift in the
    machine's speed hits all of them alike. The best sample, as ``timeit`` advises, is
    the one least disturbed by other work on the machine; a slower sample measures the
    neighbours, not the code (``make bench`` often shares its cores with test runs).
    """
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            samples[name].append(per_op_seconds(fn, loops))
    return {name: min(values) for name, values in samples.items()}


def print_rows(rows: list[Row]) -> None:
    """Plain listing for running one bench module by itself."""
    for r in rows:
        ratio = f"{r['ratio']:.2f}x" if r.get("ratio") is not None else ""
        print(f"{r['name']:<58} {r['value']:>12.4g} {r['unit']:<8} {ratio:>8} {r.get('target', '')}")
