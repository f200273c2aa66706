"""Monitoring: evaluators activated on a file judge each new log of it, in the background.

``update_monitoring`` stores activations (by evaluator version, or by evaluator and
environment: the version deployed there when the log is judged). :func:`scan` takes the logs
the store's outbox holds (filled in each log's own transaction, see ``evalstore``) and queues
what they need: a judgment per evaluator this server runs that was active when the log was
made, and, for a log sent with a ``run_id``, its link to the run and the judgments of the
run's evaluations. Calls never wait for any of it.

A log sent with ``log_status: incomplete`` is judged by monitors only once it is updated to
``complete`` (judging a half-made log would be wrong), as the API describes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from humanloop_core import types as t

from . import evaluations, files, jobs, judging, runs, versions
from .errors import invalid, not_found
from .store import Row, Store, now

BATCH = 500


def _instant(stamp: str) -> datetime:
    """Both clocks' ISO stamps (Python's, and the database's in the outbox) compared as times,
    to the millisecond: SQLite's clock has no finer steps, and a tie counts as active."""
    moment = datetime.fromisoformat(stamp)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _evaluator_of(store: Store, item: BaseModel) -> tuple[str, str | None, str | None]:
    """(evaluator file id, version id, environment id) named by an activation item."""
    data = item.model_dump(exclude_none=True)
    if data.get("evaluator_version_id"):
        version = store.get_version(data["evaluator_version_id"])
        file = store.get_file(version["file_id"]) if version else None
        if version is None or file is None or file["type"] != "evaluator":
            raise not_found("Evaluator version", data["evaluator_version_id"])
        return file["id"], version["id"], None
    file = store.get_file(data.get("evaluator_id", ""))
    if file is None or file["type"] != "evaluator":
        raise not_found("Evaluator", data.get("evaluator_id", ""))
    return file["id"], None, versions.environment(store, data["environment_id"])["id"]


def update(store: Store, file_id: str, body: t.EvaluatorActivationDeactivationRequest) -> None:
    if not body.activate and not body.deactivate:
        raise invalid(["body"], "give evaluators to `activate` or `deactivate`", "missing")
    activate = []
    for item in body.activate or []:
        evaluator_id, version_id, environment_id = _evaluator_of(store, item)
        activate.append({"evaluator_id": evaluator_id, "version_id": version_id,
                         "environment_id": environment_id})
    deactivate = [_evaluator_of(store, item)[0] for item in body.deactivate or []]
    store.set_monitors(file_id, activate, deactivate, now())


def _version(store: Store, monitor: Row) -> Row | None:
    """The evaluator version a monitor judges with now, None if it is gone or undeployed."""
    if monitor.get("version_id"):
        return store.get_version(monitor["version_id"])
    file = store.get_file(monitor["evaluator_id"])
    if file is None:
        return None
    deployed = store.deployments(file["id"]).get(monitor["environment_id"])
    return store.get_version(deployed) if deployed else None


def responses(store: Store, file_id: str) -> list[dict[str, Any]]:
    """The file's ``evaluators`` (``MonitoringEvaluatorResponse`` wire dicts)."""
    result = []
    for monitor in store.list_monitors(file_id):
        version = _version(store, monitor)
        file = store.get_file(monitor["evaluator_id"])
        if version is None or file is None:
            continue
        wire = files.file_response(store, files.KINDS["evaluator"], file, version)
        if monitor.get("environment_id"):
            env = next(e for e in store.list_environments() if e["id"] == monitor["environment_id"])
            reference: dict[str, Any] = {"type": "environment", "file": wire, "environment": files.env_wire(env)}
        else:
            reference = {"type": "version", "version": wire}
        result.append({"version_reference": reference, "version": wire, "state": "active",
                       "created_at": monitor["created_at"], "updated_at": monitor["created_at"]})
    return result


def _monitor_jobs(store: Store, log: Row, monitors: list[Row], resolved: dict[str, Row | None],
                  made_at: str | None = None) -> list[Row]:
    work = []
    for monitor in monitors:
        if made_at is not None and _instant(monitor["created_at"]) > _instant(made_at):
            continue  # activated after the log was made
        key = f"{monitor['evaluator_id']}:{monitor.get('version_id')}:{monitor.get('environment_id')}"
        if key not in resolved:
            resolved[key] = _version(store, monitor)
        version = resolved[key]
        if version is not None and judging.runs_here(version):
            work.append(jobs.judge_job(log["id"], version["id"]))
    return work


def judge_completed(store: Store, log: Row) -> None:
    """A log just marked ``complete`` is judged by its file's monitors now (the scan skipped
    it while it was incomplete)."""
    store.enqueue_jobs(_monitor_jobs(store, log, store.list_monitors(log["file_id"]), {}))


def scan(store: Store, limit: int = BATCH) -> int:
    """Queue the work the logs in the outbox cause; returns how many entries were taken."""
    rows = store.outbox_logs(limit)
    if not rows:
        return 0
    monitors: dict[str, list[Row]] = {}
    for monitor in store.list_monitors():
        monitors.setdefault(monitor["file_id"], []).append(monitor)
    resolved: dict[str, Row | None] = {}
    work: list[Row] = []
    links: list[tuple[str, str, str | None]] = []
    for log in rows:
        if log["id"] is None or log["type"] == "evaluator":
            continue  # deleted before its scan
        if log["body"].get("log_status") != "incomplete":
            work += _monitor_jobs(store, log, monitors.get(log["file_id"], []), resolved, log["queued_at"])
        run_id = log["body"].get("run_id")
        if isinstance(run_id, str) and store.get_run(run_id) is not None:
            links.append((run_id, log["id"], log.get("source_datapoint_id")))
            for evaluation_id in store.run_evaluations(run_id):
                evaluation = evaluations.get(store, evaluation_id)
                work += runs.judge_jobs(store, evaluation, [(log["id"], log.get("source_datapoint_id"))], run_id)
    store.finish_outbox([log["log_id"] for log in rows], work, links)
    return len(rows)
