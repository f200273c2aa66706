"""``make bench`` keeps working: each quick bench module runs once with tiny loops.

The figures are meaningless at this size; what is checked is that every compared
variant still runs against the canned bytes (bench_client asserts each client parses
them to the same text) and that the aggregator prints and writes one table.
(``tests/benchmarks`` itself is not collected: it is measured, not tested.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks import __main__ as bench

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["bench_client", "bench_langchain", "bench_llama_index", "bench_tracing", "bench_decorators"]


def _check_rows(rows: list[dict[str, Any]]) -> None:
    assert rows
    for r in rows:
        assert {"name", "value", "unit", "ratio"} <= r.keys()
        assert r["value"] > 0, r
        assert r["ratio"] is None or r["ratio"] > 0, r
    assert any(r["ratio"] == pytest.approx(1.0) for r in rows)  # a baseline row


_QUICK_RUN = """
import json, sys
from importlib import import_module
rows = import_module("tests.benchmarks." + sys.argv[1]).run(loops=2, repeats=1)
print(json.dumps(rows))
"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("module", QUICK)
def test_bench_module_runs(module: str) -> None:
    # A child interpreter: building the official SDK's client instruments installed LLM
    # libraries process-wide, which must not leak into the rest of the suite.
    proc = subprocess.run(
        [sys.executable, "-c", _QUICK_RUN, module],
        capture_output=True, text=True, timeout=240, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    _check_rows(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_every_bench_module_is_in_the_aggregator() -> None:
    here = Path(bench.__file__).parent
    assert {p.stem for p in here.glob("bench_*.py")} == set(bench.MODULES)


def test_aggregator_table_and_markdown() -> None:
    results = [
        ("bench_client", [{"name": "raw", "value": 120.0, "unit": "us/call", "ratio": 1.0},
                          {"name": "ours", "value": 140.0, "unit": "us/call", "ratio": 1.1667, "target": "<=1.5x"}]),
        ("bench_missing", []),
    ]
    text = bench.text_table(results)
    assert "client  ours" in text and "1.17x" in text and "<=1.5x" in text
    md = bench.markdown(results, {"bench_client": "2 rows in 1 s", "bench_missing": "not written yet, skipped"})
    assert "| client | ours | 140 us/call | 1.17x | <=1.5x |" in md
    assert "- bench_missing: not written yet, skipped" in md
    assert "Python: " in md and "Method." in md


def test_aggregator_skips_a_module_that_does_not_exist() -> None:
    rows, note = bench._run_module("bench_not_there")
    assert rows == [] and "skipped" in note


def test_readme_table_is_replaced_between_the_markers_only() -> None:
    readme = f"# Title\n\nintro\n{bench.README_START}\nold table\n{bench.README_END}\n\n## Next\n"
    new = bench.readme_with(readme, "| new | table |\n")
    assert new == f"# Title\n\nintro\n{bench.README_START}\n| new | table |\n{bench.README_END}\n\n## Next\n"
    assert bench.readme_with(new, "| newer |") .count(bench.README_START) == 1
    with pytest.raises(ValueError, match="markers"):
        bench.readme_with("# no markers\n", "x")


def test_the_projects_readme_has_the_markers_and_make_bench_writes_both() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(bench.README_START) == readme.count(bench.README_END) == 1
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--markdown tests/benchmarks/RESULTS.md --readme README.md" in makefile
    section = bench.readme_section([("bench_client", [{"name": "x", "value": 1.0, "unit": "us", "ratio": 1.0}])],
                                   {"bench_client": "1 rows in 1 s"})
    assert section.startswith("| suite |") and "## Benchmarks" not in section
