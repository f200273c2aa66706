"""The evaluation machinery's storage (``evalstore.py``) over both stores: SQLite and a real
PostgreSQL. Jobs are claimed by one claimer only, queueing is idempotent, a restart
requeues running work, the log outbox and run links survive reopening, monitors judge the
logs made while they are active, also when PostgreSQL commits logs out of ``seq`` order."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from humanloop_core.server import monitoring
from humanloop_core.server.evalstore import job_row
from humanloop_core.server.store import Store, now, open_store
from tests.server.test_store_contract import Opener, _log, _prompt, reopen, store  # noqa: F401


def test_jobs_are_queued_once_and_each_claimed_by_one_claimer(store: Store) -> None:  # noqa: F811
    jobs = [job_row(f"judge:{i}", "judge", {"n": i}, now(), "run_a" if i % 2 else None) for i in range(40)]
    store.enqueue_jobs(jobs)
    store.enqueue_jobs(jobs[:10])  # again: no duplicates
    assert store.has_queued_jobs() and store.open_jobs("run_a") == 20

    def claim_until_empty(_: int) -> list[dict[str, object]]:
        # A claimer racing others may come back short (PostgreSQL skips rows another
        # transaction took meanwhile), as the worker does it loops while work is queued.
        mine: list[dict[str, object]] = []
        while store.has_queued_jobs():
            mine += store.claim_jobs(5, now())
        return mine

    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(claim_until_empty, range(8)))
    claimed = [job["id"] for batch in batches for job in batch]
    assert sorted(claimed) == sorted(j["id"] for j in jobs)  # all 40, none twice
    assert not store.has_queued_jobs()
    assert {job["payload"]["n"] for batch in batches for job in batch} == set(range(40))  # type: ignore[index]

    store.finish_job("judge:1", "done", now())
    store.finish_job("judge:3", "failed", now(), "boom")
    assert store.job_errors("run_a") == ["boom"]
    assert store.requeue_expired_jobs(now()) == 38  # claimed without a lease: any restart takes them back
    assert store.open_jobs("run_a") == 18
    store.cancel_jobs("run_a", now())
    assert store.open_jobs("run_a") == 0


def test_only_jobs_whose_lease_expired_are_taken_back(store: Store) -> None:  # noqa: F811
    store.enqueue_jobs([job_row(f"judge:{i}", "judge", {}, now()) for i in range(4)])
    mine = store.claim_jobs(2, now(), "proc-a", "2030-01-01T00:00:10.000000+00:00")
    theirs = store.claim_jobs(2, now(), "proc-b", "2030-01-01T00:00:10.000000+00:00")
    assert len(mine) == len(theirs) == 2 and not store.has_queued_jobs()
    assert store.requeue_expired_jobs("2030-01-01T00:00:05.000000+00:00") == 0  # both alive
    store.renew_leases("proc-a", "2030-01-01T00:00:20.000000+00:00")  # b stopped renewing
    assert store.requeue_expired_jobs("2030-01-01T00:00:15.000000+00:00") == 2
    assert sorted(j["id"] for j in store.claim_jobs(5, now(), "proc-c")) == sorted(j["id"] for j in theirs)
    store.release_jobs("proc-a", now())  # a clean stop hands its jobs back at once
    assert sorted(j["id"] for j in store.claim_jobs(5, now())) == sorted(j["id"] for j in mine)


def _judge(db: Store, path: str = "judge") -> tuple[dict[str, Any], dict[str, Any]]:
    file = db.create_file("ev", "evaluator", path)
    spec = {"evaluator_type": "python", "return_type": "boolean", "arguments_type": "target_free",
            "code": "def f(log):\n    return True\n"}
    return file, db.put_version(file["id"], "evv", f"h-{path}", {"spec": spec}, None)


def _judged(db: Store) -> list[tuple[str, str]]:
    """(log id, evaluator version id) of every judgment queued, claiming them."""
    return sorted((j["payload"]["log_id"], j["payload"]["evaluator_version_id"]) for j in db.claim_jobs(100, now()))


def test_the_outbox_and_run_links_survive_reopening(reopen: Opener) -> None:  # noqa: F811
    first = reopen()
    file, version = _prompt(first)
    first.insert_log(_log(file, version, "log_before"))  # no monitor, no run: never in the outbox
    for i in range(5):
        first.insert_log(_log(file, version, f"log_{i}", output=str(i), run_id="run_x"))
    seen = first.outbox_logs(3)
    assert [log["log_id"] for log in seen] == ["log_0", "log_1", "log_2"] and seen[0]["body"]["run_id"] == "run_x"
    first.finish_outbox([log["log_id"] for log in seen], [job_row("judge:log_0", "judge", {}, now())],
                        [("run_x", "log_0", "dp_0"), ("run_x", "log_1", None)])
    first.delete_logs(["log_4"])
    second = reopen()
    left = second.outbox_logs(10)  # a deleted log's entry comes without the log
    assert sorted((log["log_id"], log["id"]) for log in left) == [("log_3", "log_3"), ("log_4", None)]
    assert [link["log_id"] for link in second.run_log_links("run_x")] == ["log_0", "log_1"]
    assert second.runs_of_log("log_0") == ["run_x"] and second.has_queued_jobs()


def test_monitors_judge_only_logs_made_while_active(store: Store) -> None:  # noqa: F811
    file, version = _prompt(store)
    judge_a, judge_a_version = _judge(store, "a")
    judge_b, judge_b_version = _judge(store, "b")
    store.insert_log(_log(file, version, "log_unwatched"))
    monitoring.scan(store)
    store.set_monitors(file["id"], [{"evaluator_id": judge_a["id"], "version_id": judge_a_version["id"]}], [], now())
    store.insert_log(_log(file, version, "log_watched"))
    time.sleep(0.002)  # activation times compare to the millisecond (a tie counts as active)
    store.set_monitors(file["id"], [{"evaluator_id": judge_b["id"], "version_id": judge_b_version["id"]}], [], now())
    store.insert_log(_log(file, version, "log_both"))
    assert monitoring.scan(store) == 2 and monitoring.scan(store) == 0
    assert _judged(store) == sorted([("log_watched", judge_a_version["id"]), ("log_both", judge_a_version["id"]),
                                     ("log_both", judge_b_version["id"])])


def test_runs_monitors_and_evaluation_links(store: Store) -> None:  # noqa: F811
    file, version = _prompt(store)
    store.insert_log(_log(file, version, "log_r"))
    run = {"id": "run_1", "status": "running", "created_at": now(), "orchestrated": True}
    store.create_run("evr_1", run, [job_row("generate:run_1:dp", "generate", {}, now(), "run_1")],
                     [("log_r", "dp")])
    assert store.get_run("run_1")["status"] == "running" and store.open_jobs("run_1") == 1
    store.put_run({**run, "status": "completed"})
    store.add_run_to_evaluation("evr_2", "run_1", now())
    store.add_run_to_evaluation("evr_2", "run_1", now())
    assert sorted(store.run_evaluations("run_1")) == ["evr_1", "evr_2"]
    assert [r["status"] for r in store.evaluation_runs("evr_2")] == ["completed"]
    store.remove_run_from_evaluation("evr_2", "run_1")
    assert store.evaluation_runs("evr_2") == [] and store.run_log_links("run_1")[0]["datapoint_id"] == "dp"

    store.set_monitors(file["id"], [{"evaluator_id": "ev_1", "version_id": "evv_1"},
                                    {"evaluator_id": "ev_2", "environment_id": "env_production"}], [], now())
    store.set_monitors(file["id"], [{"evaluator_id": "ev_1", "version_id": "evv_9"}], ["ev_2"], now())
    assert [(m["evaluator_id"], m["version_id"]) for m in store.list_monitors(file["id"])] == [("ev_1", "evv_9")]
    assert len(store.list_monitors()) == 1


def test_a_log_committing_behind_a_newer_one_is_judged(postgres_url: str) -> None:
    """Two writers on PostgreSQL: the log that took the lower ``seq`` commits after a newer
    one was committed and scanned. A cursor over ``seq`` had passed it for good."""
    psycopg = pytest.importorskip("psycopg")
    pg = open_store(postgres_url)
    file, version = _prompt(pg, "late/p")
    judge, judge_version = _judge(pg, "late/judge")
    monitoring.scan(pg)
    pg.set_monitors(file["id"], [{"evaluator_id": judge["id"], "version_id": judge_version["id"]}], [], now())
    # Another version: writers of one version queue behind its log_counts row.
    other = pg.put_version(file["id"], "prv", "h-late-2", {"model": "m2"}, None)
    with psycopg.connect(postgres_url) as late:
        late.execute("INSERT INTO logs(id, type, file_id, version_id, created_at, body)"
                     " VALUES ('log_late', 'prompt', %s, %s, %s, '{}')", (file["id"], other["id"], now()))
        pg.insert_log(_log(file, version, "log_new"))  # a higher seq, committed first
        monitoring.scan(pg)
        late.commit()
    monitoring.scan(pg)
    late_seq, new_seq = (pg._one("SELECT seq FROM logs WHERE id=?", (i,))["seq"] for i in ("log_late", "log_new"))
    assert late_seq < new_seq
    assert _judged(pg) == [("log_late", judge_version["id"]), ("log_new", judge_version["id"])]
