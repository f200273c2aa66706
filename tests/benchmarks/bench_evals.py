"""Evaluations on the server: what user code and background judging cost the server.

Against a server process started as a user starts it (``python -m humanloop_core.server``):

- ``/healthz`` latency while 20 hostile code judgments run (loops forever, allocates 2 GB,
  opens a socket, reads the server's database, returns the wrong type), next to idle;
- a monitor at 50 calls/s: how long after its log each judgment is stored;
- an orchestrated run of 20 datapoints judged by a code evaluator and an LLM judge: time
  from creating the run to ``completed``;
- the sandbox alone: one trivial job's round trip (fork, run, answer).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks._common import Row, print_rows, row
from tests.reliability.server_process import ServerProcess
from tests.server.test_evaluation_runs import CODE_JUDGE, LLM_JUDGE, datapoints
from tests.server.test_monitoring import HOSTILE, MOCK, python_judge


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def _healthz(health: httpx.Client, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        health.get("/healthz").raise_for_status()
        out.append(time.perf_counter() - started)
        time.sleep(0.005)
    return out


def _judgments(http: httpx.Client, log_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return {log_id: http.get(f"/logs/{log_id}").json()["evaluator_logs"] for log_id in log_ids}


def hostile(http: httpx.Client, health: httpx.Client, server: ServerProcess) -> list[Row]:
    prompt = http.post("/prompts", json={"path": "bench/hostile-target", **MOCK}).json()
    versions = []
    for name, (code, _) in HOSTILE.items():
        code = code.replace("PORT", str(server.port)).replace("DB", repr(str(server.db)))
        versions.append(http.post("/evaluators", json={"path": f"bench/hostile/{name}", **python_judge(code)}
                                  ).json()["version_id"])
    http.post(f"/prompts/{prompt['id']}/evaluators",
              json={"activate": [{"evaluator_version_id": v} for v in versions]}).raise_for_status()
    idle = _healthz(health, 200)
    log_ids = [http.post("/prompts/log", json={"id": prompt["id"], "inputs": {"n": str(i)}, "output": str(i)}
                         ).json()["id"] for i in range(4)]
    busy: list[float] = []
    started = time.monotonic()
    while time.monotonic() - started < 60:
        busy += _healthz(health, 20)
        found = _judgments(http, log_ids)
        if sum(len(j) for j in found.values()) >= 20:
            break
    errors = sum(1 for j in found.values() for e in j if e.get("error"))
    return [row("/healthz p50, idle", statistics.median(idle) * 1000, "ms"),
            row("/healthz p99, idle", _p(idle, 99) * 1000, "ms"),
            row("/healthz p50 during 20 hostile judgments", statistics.median(busy) * 1000, "ms"),
            row("/healthz p99 during 20 hostile judgments", _p(busy, 99) * 1000, "ms", target="< 50 ms"),
            row("hostile judgments ending in a judgment error", errors, "of 20", target="20")]


def monitor_lag(http: httpx.Client, calls: int) -> list[Row]:
    prompt = http.post("/prompts", json={"path": "bench/monitored", **MOCK}).json()
    judge = http.post("/evaluators", json={"path": "bench/len", **python_judge(
        "def f(log):\n    return len(log['output'])\n", "number")}).json()
    http.post(f"/prompts/{prompt['id']}/evaluators",
              json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
    made: dict[str, datetime] = {}

    def call(i: int) -> str:
        return str(http.post("/prompts/call", json={"id": prompt["id"], "inputs": {"n": str(i)}}).json()["id"])

    # Calls start on a 50-a-second clock, on several threads, so one slow call cannot
    # hold back the next.
    started = time.monotonic()
    futures = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for i in range(calls):
            time.sleep(max(0.0, started + i / 50 - time.monotonic()))
            futures.append(pool.submit(call, i))
        log_ids = [f.result() for f in futures]
    rate = calls / (time.monotonic() - started)
    deadline = time.monotonic() + 60
    found = _judgments(http, log_ids)
    while time.monotonic() < deadline and not all(found.values()):
        time.sleep(0.5)
        found = _judgments(http, log_ids)
    lags = []
    for log_id, judged in found.items():
        made[log_id] = datetime.fromisoformat(http.get(f"/logs/{log_id}").json()["created_at"])
        if judged:
            lags.append((datetime.fromisoformat(judged[0]["created_at"]) - made[log_id]).total_seconds())
    return [row(f"monitor: calls made ({calls}) per second", rate, "calls/s", target="50"),
            row("monitor: logs judged", len(lags), f"of {calls}", target=str(calls)),
            row("monitor: judgment lag p50", statistics.median(lags), "s"),
            row("monitor: judgment lag max", max(lags), "s", target="< 5 s")]


def orchestrated_run(http: httpx.Client) -> list[Row]:
    prompt = http.post("/prompts", json={"path": "bench/echo", **MOCK}).json()
    dataset = http.post("/datasets", json={"path": "bench/numbers", "datapoints": datapoints()}).json()
    code = http.post("/evaluators", json={"path": "bench/code", "spec": CODE_JUDGE}).json()
    llm = http.post("/evaluators", json={"path": "bench/llm", "spec": LLM_JUDGE}).json()
    evaluation = http.post("/evaluations", json={"file": {"id": prompt["id"]}, "evaluators": [
        {"version_id": code["version_id"]}, {"version_id": llm["version_id"]}]}).json()
    started = time.monotonic()
    run = http.post(f"/evaluations/{evaluation['id']}/runs", json={
        "dataset": {"version_id": dataset["version_id"]}, "version": {"version_id": prompt["version_id"]}}).json()
    while True:
        stats = http.get(f"/evaluations/{evaluation['id']}/stats").json()["run_stats"]
        if stats[0]["status"] == "completed" or time.monotonic() - started > 60:
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    judged = sum(s["total_logs"] for s in stats[0]["evaluator_stats"])
    assert run["id"] == stats[0]["run_id"]
    return [row("orchestrated run: 20 datapoints, 40 judgments, to completed", elapsed, "s"),
            row("orchestrated run: judgments stored", judged, "of 40", target="40")]


def sandbox_round_trip(jobs: int) -> list[Row]:
    from humanloop_core.server.sandbox import Sandbox

    async def measure() -> tuple[list[float], dict[str, Any]]:
        box = Sandbox()
        await box.run("def f():\n    return 1\n", [])  # start the zygote
        times = []
        for _ in range(jobs):
            started = time.perf_counter()
            await box.run("def f(log):\n    return len(log['output'])\n", [{"output": "abc"}])
            times.append(time.perf_counter() - started)
        isolation = dict(box.isolation)
        await box.close()
        return times, isolation

    times, isolation = asyncio.run(measure())
    print(f"sandbox isolation on this machine: {isolation}")
    return [row("sandbox: one code judgment, round trip p50", statistics.median(times) * 1000, "ms"),
            row("sandbox: one code judgment, round trip p99", _p(times, 99) * 1000, "ms")]


def run(loops: int = 250, repeats: int = 1) -> list[Row]:
    rows = sandbox_round_trip(max(loops, 20))
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "evals.sqlite").start()
        try:
            with httpx.Client(base_url=server.base_url, headers={"X-API-KEY": server.api_key}, timeout=60) as http, \
                    httpx.Client(base_url=f"http://127.0.0.1:{server.port}") as health:
                rows += hostile(http, health, server)
                rows += monitor_lag(http, max(loops, 20))
                rows += orchestrated_run(http)
        finally:
            server.stop()
    return rows


if __name__ == "__main__":
    print_rows(run())
