"""Import cost: ``import humanloop_core`` against its floor and the official SDK.

Each import runs in a fresh interpreter (nothing cached in ``sys.modules``), timed
in-process around the import statement alone (interpreter start-up is the same for
all and left out), with peak resident memory read from ``getrusage`` afterwards.
The three are interleaved run by run and the median is reported.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from tests.benchmarks._common import Row, print_rows, row

# The floor is what any client built on the same dependencies must pay: httpx, a
# pydantic model class and the OpenTelemetry API.
SUBJECTS: dict[str, str] = {
    "floor: httpx, pydantic, opentelemetry-api": (
        "import httpx, opentelemetry.trace\nfrom pydantic import BaseModel"
    ),
    "import humanloop_core": "import humanloop_core",
    "import humanloop (official 0.8.38)": "import humanloop",
    # Lazy imports move cost to first use; these rows count it: import, build a client,
    # touch the prompts resource (which loads the wire models).
    "humanloop_core: import + client + .prompts": (
        "import humanloop_core\nhumanloop_core.Humanloop(api_key='k').prompts"
    ),
    "humanloop (official): import + client + .prompts": (
        "import humanloop\nhumanloop.Humanloop(api_key='k').prompts"
    ),
}
FLOOR = next(iter(SUBJECTS))
OURS = "import humanloop_core"

_PROBE = """
import json, resource, time
t0 = time.perf_counter()
{stmt}
seconds = time.perf_counter() - t0
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "rss_mb": rss_kb / 1024}}))
"""


def _measure_once(stmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(repeats: int = 15) -> list[Row]:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in SUBJECTS}
    for stmt in SUBJECTS.values():  # warm the OS file cache for every subject
        _measure_once(stmt)
    for _ in range(repeats):
        for name, stmt in SUBJECTS.items():
            samples[name].append(_measure_once(stmt))
    seconds = {n: statistics.median(s["seconds"] for s in v) for n, v in samples.items()}
    rss = {n: statistics.median(s["rss_mb"] for s in v) for n, v in samples.items()}
    rows: list[Row] = []
    for name in SUBJECTS:
        target = "<=1.25x" if name == OURS else ""
        rows.append(row(f"{name}: time", seconds[name] * 1000, "ms", seconds[name] / seconds[FLOOR], target))
    for name in SUBJECTS:
        target = "<=1.25x" if name == OURS else ""
        rows.append(row(f"{name}: peak RSS", rss[name], "MB", rss[name] / rss[FLOOR], target))
    return rows


if __name__ == "__main__":
    print_rows(run())
