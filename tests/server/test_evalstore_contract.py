"""The evaluation machinery's storage (``evalstore.py``) over both stores: SQLite and a real
PostgreSQL. Jobs are claimed by one claimer only, queueing is idempotent, a restart
requeues running work, the log cursor and run links survive reopening."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from humanloop_core.server.evalstore import job_row
from humanloop_core.server.store import Store, now
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
    assert store.requeue_running_jobs(now()) == 38  # a restart: running work is queued again
    assert store.open_jobs("run_a") == 18
    store.cancel_jobs("run_a", now())
    assert store.open_jobs("run_a") == 0


def test_the_log_cursor_and_run_links_survive_reopening(reopen: Opener) -> None:  # noqa: F811
    first = reopen()
    file, version = _prompt(first)
    for i in range(5):
        first.insert_log(_log(file, version, f"log_{i}", output=str(i), run_id="run_x"))
    assert first.cursor("logs") == -1
    seen = first.logs_after(-1, 3)
    assert [log["id"] for log in seen] == ["log_0", "log_1", "log_2"] and seen[0]["body"]["run_id"] == "run_x"
    first.advance_cursor("logs", seen[-1]["seq"], [job_row("judge:log_0", "judge", {}, now())],
                         [("run_x", "log_0", "dp_0"), ("run_x", "log_1", None)])
    second = reopen()
    assert second.cursor("logs") == seen[-1]["seq"] == second.logs_after(-1, 3)[-1]["seq"]
    assert [log["id"] for log in second.logs_after(second.cursor("logs"), 10)] == ["log_3", "log_4"]
    assert second.last_log_seq() == second.logs_after(-1, 10)[-1]["seq"]
    assert [link["log_id"] for link in second.run_log_links("run_x")] == ["log_0", "log_1"]
    assert second.runs_of_log("log_0") == ["run_x"] and second.has_queued_jobs()


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
