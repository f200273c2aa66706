"""Monitoring: activated evaluators judge new logs in the background of a real server.

Also where the sandbox meets the server: hostile code evaluators end in judgment errors
while the server keeps answering, and queued judgments survive the server being killed.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from humanloop_core.server import LocalServer
from humanloop_core.server.sandbox import Sandbox
from humanloop_core.server.worker import LEASE_ENV
from tests.reliability.server_process import ServerProcess

MOCK = {"model": "mock-1", "provider": "mock", "template": [{"role": "user", "content": "Echo {{n}}"}]}


def python_judge(code: str, return_type: str = "boolean") -> dict[str, Any]:
    return {"spec": {"arguments_type": "target_free", "return_type": return_type,
                     "evaluator_type": "python", "code": code}}


def client(base_url: str, api_key: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30)


def judgments(http: httpx.Client, log_id: str) -> list[dict[str, Any]]:
    return list(http.get(f"/logs/{log_id}").json()["evaluator_logs"])


def wait_judged(http: httpx.Client, log_ids: list[str], per_log: int, timeout: float) -> dict[str, list[Any]]:
    deadline = time.monotonic() + timeout
    while True:
        found = {log_id: judgments(http, log_id) for log_id in log_ids}
        if all(len(j) >= per_log for j in found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def healthz_latencies(health: httpx.Client, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        started = time.perf_counter()
        assert health.get("/healthz").status_code == 200
        latencies.append(time.perf_counter() - started)
        time.sleep(0.005)
    return latencies


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    with LocalServer(db=tmp_path / "monitor.sqlite", sandbox=Sandbox(timeout=1.0)) as srv:
        yield srv


def test_activation_is_stored_and_shown_on_the_file(server: LocalServer) -> None:
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "p", **MOCK}).json()
        judge = http.post("/evaluators", json={"path": "j", **python_judge("def f(log):\n    return True\n")}).json()
        answer = http.post(f"/prompts/{prompt['id']}/evaluators",
                           json={"activate": [{"evaluator_version_id": judge["version_id"]}]})
        assert answer.status_code == 200, answer.text
        assert [e["version"]["version_id"] for e in answer.json()["evaluators"]] == [judge["version_id"]]
        assert http.get(f"/prompts/{prompt['id']}").json()["evaluators"][0]["state"] == "active"
        missing = http.post(f"/prompts/{prompt['id']}/evaluators",
                            json={"activate": [{"evaluator_version_id": "evv_nope"}]})
        assert missing.status_code == 404 and "evv_nope" in missing.json()["detail"]
        off = http.post(f"/prompts/{prompt['id']}/evaluators",
                        json={"deactivate": [{"evaluator_version_id": judge["version_id"]}]})
        assert off.status_code == 200 and "evaluators" not in http.get(f"/prompts/{prompt['id']}").json()


def test_an_incomplete_log_is_judged_once_completed(server: LocalServer) -> None:
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "later", **MOCK}).json()
        judge = http.post("/evaluators", json={"path": "later-judge", **python_judge(
            "def f(log):\n    return log['output'] == 'done'\n")}).json()
        http.post(f"/prompts/{prompt['id']}/evaluators",
                  json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
        log_id = http.post("/prompts/log", json={"id": prompt["id"], "output": "half",
                                                 "log_status": "incomplete"}).json()["id"]
        done_id = http.post("/prompts/log", json={"id": prompt["id"], "output": "done"}).json()["id"]
        assert len(wait_judged(http, [done_id], 1, 10)[done_id]) == 1  # the scan has passed both
        assert judgments(http, log_id) == []
        patched = http.patch(f"/prompts/{prompt['id']}/log/{log_id}", json={"output": "done", "log_status": "complete"})
        assert patched.status_code == 200, patched.text
        found = wait_judged(http, [log_id], 1, 10)[log_id]
        assert [j["judgment"] for j in found] == [True]


def test_an_llm_judge_renders_its_prompt_in_its_template_language(server: LocalServer) -> None:
    """A jinja judge's prompt is filled as jinja (filters, loops), as prompts.call fills one."""
    jinja = {"model": "mock-1", "provider": "mock", "template_language": "jinja",
             "template": [{"role": "user", "content": "{{ log.output | upper }}{% for w in ['!', '?'] %}{{ w }}{% endfor %}"}]}
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "shouted", **MOCK}).json()
        judge = http.post("/evaluators", json={"path": "jinja-judge", "spec": {
            "arguments_type": "target_free", "return_type": "text", "evaluator_type": "llm", "prompt": jinja}}).json()
        http.post(f"/prompts/{prompt['id']}/evaluators",
                  json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
        log_id = http.post("/prompts/log", json={"id": prompt["id"], "output": "quiet words"}).json()["id"]
        found = wait_judged(http, [log_id], 1, 10)[log_id]
        assert [(j["judgment"], j.get("error")) for j in found] == [("You said: QUIET WORDS!?", None)]


HOSTILE = {
    "loops forever": ("def f(log):\n    while True:\n        pass\n", "timeout: timed out after 1 s"),
    "allocates 2 GB": ("def f(log):\n    return len(bytearray(2 * 1024 ** 3)) > 0\n", "memory: out of memory"),
    "opens a socket": ("def f(log):\n    import socket\n    return socket.create_connection(('127.0.0.1', PORT))\n",
                       "module 'socket' is not available in the sandbox"),
    "reads the db": ("def f(log):\n    return 'SECRET' in open(DB, 'rb').read().decode('latin-1')\n",
                     "file access is not allowed in the sandbox"),
    "wrong type": ("def f(log):\n    return 'yes'\n", "the evaluator returned str \"yes\"; its return_type is boolean"),
}


def test_hostile_judges_fail_clearly_while_the_server_keeps_serving(server: LocalServer, tmp_path: Path) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "target", **MOCK}).json()
        names = {}
        for name, (code, _) in HOSTILE.items():
            code = code.replace("PORT", str(port)).replace("DB", repr(str(tmp_path / "monitor.sqlite")))
            judge = http.post("/evaluators", json={"path": f"hostile/{name}", **python_judge(code)}).json()
            names[judge["version_id"]] = name
        http.post(f"/prompts/{prompt['id']}/evaluators",
                  json={"activate": [{"evaluator_version_id": v} for v in names]}).raise_for_status()
        health = httpx.Client(base_url=server.url)
        baseline = healthz_latencies(health, 100)  # this shared machine's noise, before any judging
        log_ids = [http.post("/prompts/log", json={"id": prompt["id"], "inputs": {"n": str(i)}, "output": str(i)}
                             ).json()["id"] for i in range(4)]
        latencies: list[float] = []
        judged: dict[str, list[Any]] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            latencies += healthz_latencies(health, 20)
            judged = {log_id: judgments(http, log_id) for log_id in log_ids}
            if sum(len(j) for j in judged.values()) >= 20:
                break
        health.close()

    assert sum(len(j) for j in judged.values()) == 20, judged
    for found in judged.values():
        for judgment in found:
            name = names[judgment["evaluator"]["version_id"]]
            assert "judgment" not in judgment
            assert HOSTILE[name][1] in judgment["error"], (name, judgment["error"])
    p99, idle = statistics.quantiles(latencies, n=100)[98], statistics.quantiles(baseline, n=100)[98]
    # The target is 50 ms; on a loaded machine the idle p99 can be near it, so the bound also
    # allows the machine's own noise. A loop blocked by a judgment (>= 1 s here) fails either way.
    assert p99 < max(0.05, 2 * idle + 0.02), (
        f"/healthz p99 {p99 * 1000:.1f} ms over {len(latencies)} requests (idle p99 {idle * 1000:.1f} ms)")


def test_a_monitor_judges_every_log_within_seconds_at_50_calls_per_second(server: LocalServer) -> None:
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "busy", **MOCK}).json()
        judge = http.post("/evaluators", json={"path": "len", **python_judge(
            "def f(log):\n    return len(log['output'])\n", "number")}).json()
        http.post(f"/prompts/{prompt['id']}/evaluators",
                  json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
        log_ids: list[str] = []
        started = time.monotonic()
        for i in range(100):  # paced at 50 calls a second
            called = http.post("/prompts/call", json={"id": prompt["id"], "inputs": {"n": str(i)}})
            log_ids.append(called.json()["id"])
            time.sleep(max(0.0, started + (i + 1) / 50 - time.monotonic()))
        judged = wait_judged(http, log_ids, 1, 15)
        lags = []
        for log_id, found in judged.items():
            assert len(found) == 1, log_id
            made = datetime.fromisoformat(http.get(f"/logs/{log_id}").json()["created_at"])
            lags.append((datetime.fromisoformat(found[0]["created_at"]) - made).total_seconds())
            assert found[0]["judgment"] == len(f"You said: Echo {log_ids.index(log_id)}")
    assert max(lags) < 5, f"slowest judgment {max(lags):.2f} s after its log"


def test_judgments_queued_when_the_server_is_killed_are_made_after_restart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The killed server's running jobs are taken back once their leases end: short ones here.
    monkeypatch.setenv(LEASE_ENV, "1")
    server = ServerProcess(tmp_path / "crash.sqlite").start()
    try:
        with client(server.base_url, server.api_key) as http:
            prompt = http.post("/prompts", json={"path": "crash", **MOCK}).json()
            judge = http.post("/evaluators", json={"path": "slow", **python_judge(
                "import time\ndef f(log):\n    time.sleep(0.2)\n    return True\n")}).json()
            http.post(f"/prompts/{prompt['id']}/evaluators",
                      json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
            log_ids = [http.post("/prompts/log", json={"id": prompt["id"], "output": str(i)}).json()["id"]
                       for i in range(24)]
            time.sleep(0.5)
            before = sum(len(j) for j in (judgments(http, i) for i in log_ids))
        server.kill()
        assert before < 24  # the kill interrupted work in flight and queued
        server.start()
        with client(server.base_url, server.api_key) as http:
            judged = wait_judged(http, log_ids, 1, 30)
        assert {log_id: len(found) for log_id, found in judged.items()} == {log_id: 1 for log_id in log_ids}
        assert all(found[0]["judgment"] is True for found in judged.values())
    finally:
        server.stop()


def test_a_server_starting_beside_a_live_one_leaves_its_running_jobs_alone(tmp_path: Path) -> None:
    """Two servers on one database (replicas, --workers): the second's start used to put back
    in the queue the job the first was running, which then ran twice."""
    db = tmp_path / "shared.sqlite"

    def running() -> list[tuple[str, str]]:
        with sqlite3.connect(db) as raw:
            return raw.execute("SELECT id, claim FROM jobs WHERE state='running'").fetchall()

    with LocalServer(db=db, sandbox=Sandbox(timeout=10)) as first, client(first.base_url, first.api_key) as http:
        prompt = http.post("/prompts", json={"path": "shared", **MOCK}).json()
        judge = http.post("/evaluators", json={"path": "slow-shared", **python_judge(
            "import time\ndef f(log):\n    time.sleep(1.5)\n    return True\n")}).json()
        http.post(f"/prompts/{prompt['id']}/evaluators",
                  json={"activate": [{"evaluator_version_id": judge["version_id"]}]}).raise_for_status()
        log_id = http.post("/prompts/log", json={"id": prompt["id"], "output": "x"}).json()["id"]
        deadline = time.monotonic() + 10
        while not running() and time.monotonic() < deadline:
            time.sleep(0.02)
        claimed = running()
        assert len(claimed) == 1
        with LocalServer(db=db, api_key=first.api_key, sandbox=Sandbox(timeout=10)):
            assert running() == claimed  # still the first server's, under its claim
            found = wait_judged(http, [log_id], 1, 10)[log_id]
        with sqlite3.connect(db) as raw:
            states = raw.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall()
        assert [j["judgment"] for j in found] == [True] and states == [("done", 1)]


def test_logs_with_a_run_id_join_the_run_and_are_judged(server: LocalServer) -> None:
    # threading is imported for this: a client logging from several threads at once
    with client(server.base_url, server.api_key) as http:
        prompt = http.post("/prompts", json={"path": "fed", **MOCK}).json()
        dataset = http.post("/datasets", json={"path": "fed-data", "datapoints": [
            {"inputs": {"n": str(i)}} for i in range(6)]}).json()
        judge = http.post("/evaluators", json={"path": "fed-judge", **python_judge(
            "def f(log):\n    return log['output'] == 'ok'\n")}).json()
        evaluation = http.post("/evaluations", json={"file": {"id": prompt["id"]},
                                                     "evaluators": [{"version_id": judge["version_id"]}]}).json()
        run = http.post(f"/evaluations/{evaluation['id']}/runs", json={
            "dataset": {"version_id": dataset["version_id"]}, "version": {"version_id": prompt["version_id"]},
            "orchestrated": False}).json()
        assert run["status"] == "pending"
        points = http.get(f"/datasets/{dataset['id']}/datapoints", params={"size": 10}).json()["records"]

        def log(point: dict[str, Any]) -> None:
            http.post("/prompts/log", json={"id": prompt["id"], "output": "ok", "run_id": run["id"],
                                            "source_datapoint_id": point["id"], "inputs": point["inputs"]})

        threads = [threading.Thread(target=log, args=(p,)) for p in points]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            stats = http.get(f"/evaluations/{evaluation['id']}/stats").json()
            if stats["run_stats"][0]["status"] == "completed":
                break
            time.sleep(0.2)
        assert stats["run_stats"][0]["num_logs"] == 6 and stats["status"] == "completed"
        assert stats["run_stats"][0]["evaluator_stats"][0]["num_true"] == 6
