"""``make bench``: run every bench module, then print one table and the machine.

Each module runs in its own interpreter so that process-wide state one of them sets
(the global OpenTelemetry tracer provider, imported adapters, warmed caches) cannot
speed up or slow down another; inside a module the compared variants run side by side.

    python -m tests.benchmarks                      # all modules, table on stdout
    python -m tests.benchmarks --markdown tests/benchmarks/RESULTS.md
    python -m tests.benchmarks --only bench_client bench_import
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from typing import Any

MODULES = [
    "bench_import",
    "bench_client",
    "bench_server",
    "bench_server_load",
    "bench_langchain",
    "bench_llama_index",
    "bench_tracing",
    "bench_decorators",
    "bench_providers",
]
PACKAGES = [
    "humanloop-core",
    "humanloop",
    "httpx",
    "pydantic",
    "opentelemetry-api",
    "opentelemetry-sdk",
    "fastapi",
    "uvicorn",
    "langchain-core",
    "langchain-openai",
    "llama-index-core",
    "llama-index-llms-openai",
    "openai",
    "anthropic",
    "google-genai",
    "boto3",
    "cohere",
    "groq",
    "replicate",
]
Row = dict[str, Any]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> str:
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:
        return "RAM unknown"


def machine() -> list[str]:
    """The facts a reader needs to compare these figures with their own."""
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return [
        f"CPU: {_cpu_model()}, {os.cpu_count()} logical cores, {_memory_gb()}",
        f"OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        "Load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "Packages: " + ", ".join(versions),
    ]


def _run_child(module: str, out_path: str) -> None:
    """Inside the child interpreter: run one module and write its rows as JSON."""
    mod = importlib.import_module(f"tests.benchmarks.{module}")
    rows = mod.run()
    with open(out_path, "w", encoding="utf-8") as fh:
        json.dump(rows, fh)


def _run_module(module: str) -> tuple[list[Row], str]:
    """Run one module in a fresh interpreter; returns (rows, note)."""
    if importlib.util.find_spec(f"tests.benchmarks.{module}") is None:
        return [], "not written yet, skipped"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out_path = tmp.name
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks", "--child", module, out_path],
            stdout=sys.stderr,  # the module's own progress lines stay visible, off the table
        )
        elapsed = time.perf_counter() - started
        if proc.returncode != 0:
            return [], f"FAILED (exit {proc.returncode}) after {elapsed:.0f} s; see its output above"
        with open(out_path, encoding="utf-8") as fh:
            rows: list[Row] = json.load(fh)
        return rows, f"{len(rows)} rows in {elapsed:.0f} s"
    finally:
        os.unlink(out_path)


def _fmt_value(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _cells(module: str, r: Row) -> list[str]:
    ratio = r.get("ratio")
    return [
        module.removeprefix("bench_"),
        str(r["name"]),
        f"{_fmt_value(float(r['value']))} {r['unit']}",
        f"{ratio:.2f}x" if isinstance(ratio, (int, float)) else "",
        str(r.get("target", "")),
    ]


HEADER = ["suite", "measure", "value", "ratio", "target"]


def text_table(results: list[tuple[str, list[Row]]]) -> str:
    lines = [HEADER] + [_cells(m, r) for m, rows in results for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


METHOD = """\
Method. `make bench` (`python -m tests.benchmarks`) runs each suite in its own
interpreter; inside a suite the compared variants run side by side, interleaved repeat
by repeat. Ratio = cost relative to the suite's first (baseline) row: time, memory, or
1/throughput; lower is better.

- import: each import in a fresh interpreter, timed around the import statement,
  peak RSS from `getrusage`; 15 interleaved runs, median. The floor is
  `import httpx, opentelemetry.trace; from pydantic import BaseModel`. `import
  humanloop_core` loads its models lazily, so the "import + client + .prompts" rows
  show the cost once a client is ready to call.
- client: one canned `PromptCallResponse` body and one SSE body of 200
  `PromptCallStreamResponse` events, generated once and served by an in-process
  `httpx.MockTransport` to raw `httpx` + `json.loads`, this client and the official SDK;
  best of 9 repeats of 200 calls (10 streams).
- server: the local server (SQLite in memory, mock provider, no delay) in its own
  process, a fresh one for each concurrency; raw httpx, this client and the official
  SDK at 1, 10 and 100 concurrent callers (threads for sync, asyncio tasks for async),
  3 alternating rounds, median; time to first chunk is the median of 50 streamed calls.
- server_load: `prompts.call` (mock provider, SQLite file) of the server started as users start
  it, beside a bare FastAPI route on uvicorn answering the same bytes, each in its own process,
  loaded by `wrk` (or, without it, one asyncio HTTP/1.1 client process per core) for 4 s at 1,
  10, 100 and 1,000 open connections, bare then server at each level; then `--workers 2`,
  and PostgreSQL (a server started from the machine's binaries) with one and two replicas.
- langchain / llama_index: `ChatHumanloop` vs `ChatOpenAI`, the LlamaIndex LLM vs
  llama-index-llms-openai's `OpenAI`, each over a MockTransport answering with the same
  text, deltas and token counts in its own wire format; best of 9 repeats.
- providers: each provider's loopback fake (tests/server/fakes) in one process, the
  server in another reaching them through the operator's environment variables; per
  provider, 40 interleaved pairs: its official SDK streaming straight from the fake vs
  raw httpx streaming `prompts.call` through the server, time until the first text delta;
  medians, and the median of the pairwise differences as what the server adds.
- tracing: the same canned bytes with tracing compiled out, with no OpenTelemetry SDK
  configured, with an SDK whose sampler drops everything, and with an in-memory exporter.
- decorators: a small function undecorated, beside a bare SDK span, and under `@tool` with
  no SDK, with an SDK span only, and with the Humanloop exporter to a closed port (server
  down) and to a server in its own process (up); best of 7 repeats of 5,000 calls. Then
  `ChatOpenAI.invoke` on canned bytes with no handler, `HumanloopCallbackHandler` and
  LangSmith's `LangChainTracer` (both exporting to a closed port), best of 7 repeats.
"""


def markdown(results: list[tuple[str, list[Row]]], notes: dict[str, str]) -> str:
    out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for module, rows in results:
        for r in rows:
            out.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(module, r)) + " |")
    skipped = [f"- {m}: {n}" for m, n in notes.items() if "rows in" not in n]
    return "\n".join(
        [
            "## Benchmarks", "", *out, "", "Machine (at the end of the run):", "",
            *[f"- {line}" for line in machine()], "", *skipped, *([""] if skipped else []), METHOD,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these modules")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table as markdown")
    parser.add_argument("--child", nargs=2, metavar=("MODULE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _run_child(*args.child)
        return 0
    results: list[tuple[str, list[Row]]] = []
    notes: dict[str, str] = {}
    load_before = os.getloadavg()[0]
    for module in args.only or MODULES:
        print(f"== {module} ...", file=sys.stderr, flush=True)
        rows, notes[module] = _run_module(module)
        print(f"== {module}: {notes[module]}", file=sys.stderr, flush=True)
        results.append((module, rows))
    print()
    print(text_table(results))
    print()
    for module, note in notes.items():
        print(f"{module}: {note}")
    print()
    print("ratio = cost relative to the suite's baseline row (time, memory or 1/throughput); lower is better.")
    print("\n".join(machine()))
    busy = max(load_before, os.getloadavg()[0])
    if busy > (os.cpu_count() or 1):
        print(f"Note: the machine was busy (1-min load up to {busy:.1f} on {os.cpu_count()} cores): "
              "absolute figures are slower than on an idle machine; ratios, measured side by side, hold better.")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(markdown(results, notes))
        print(f"\nmarkdown written to {args.markdown}")
    return 1 if any("FAILED" in n for n in notes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
