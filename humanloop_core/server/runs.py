"""Evaluation runs: a version of a file on a dataset version, its logs and their judgments.

A run is stored once and may sit in several evaluations (``evaluation_runs``); its logs are
linked in ``run_logs``. Orchestrated runs (of a prompt or an agent) are produced by the
server (one ``generate`` job per datapoint, see ``worker.py``); the others by clients, who
log with ``run_id``.

Status: ``running`` while the server has work queued for the run; an orchestrated run is
then ``completed`` (or ``failed``, with ``error`` saying why, when no call succeeded). A
client-fed run is ``pending`` until every datapoint has a log and every log a judgment from
each evaluator that is not human, then ``completed``. ``cancelled`` stops it; its queued
work is dropped and work in flight is abandoned.
"""

from __future__ import annotations

from typing import Any

from humanloop_core import types as t

from . import evaluations, jobs, judging, logs
from .errors import ApiProblem, invalid, not_found
from .store import Row, Store, new_id, now

_ALL = 1_000_000
CALLABLE = ("prompt", "agent")  # kinds the server can call for an orchestrated run
FINAL = ("completed", "cancelled", "failed")


CreateRunBody = t.EvaluationsCreateRunRequest
UpdateRunBody = t.EvaluationsUpdateEvaluationRunRequest
AddLogsBody = t.EvaluationsAddLogsToRunRequest
AddEvaluatorsBody = t.EvaluationsAddEvaluatorsRequest


def _get_run(store: Store, evaluation_id: str, run_id: str) -> Row:
    evaluations.get(store, evaluation_id)
    run = store.get_run(run_id)
    if run is None or evaluation_id not in store.run_evaluations(run_id):
        raise not_found(f"Run of evaluation {evaluation_id!r}", run_id)
    return run


def judge_jobs(store: Store, evaluation: Row, links: list[tuple[str, str | None]], run_id: str | None) -> list[Row]:
    """Jobs judging each linked log with each evaluator of ``evaluation`` this server runs."""
    runnable = []
    for evaluator in evaluation.get("evaluators", []):
        version = store.get_version(evaluator["version_id"])
        if evaluator.get("orchestrated", True) and version is not None and judging.runs_here(version):
            runnable.append(version["id"])
    return [jobs.judge_job(log_id, version_id, run_id, datapoint_id)
            for log_id, datapoint_id in links for version_id in runnable]


def create(store: Store, evaluation_id: str, body: CreateRunBody) -> dict[str, Any]:
    evaluation = evaluations.get(store, evaluation_id)
    orchestrated = body.orchestrated is not False
    dataset = version = None
    if body.dataset is not None:
        file, dataset_version = evaluations._ref(store, body.dataset, "dataset", ("dataset",))
        dataset = {"file_id": file["id"], "version_id": dataset_version["id"]}
    if body.version is not None:
        file, file_version = evaluations._ref(store, body.version, "version",
                                              ("prompt", "tool", "flow", "evaluator", "agent"))
        version = {"file_id": file["id"], "version_id": file_version["id"], "type": file["type"]}
    if orchestrated:
        if dataset is None or version is None:
            raise invalid(["body"], "an orchestrated run needs both `dataset` and `version`", "missing")
        if version["type"] not in CALLABLE:
            raise invalid(["body", "version"],
                          f"this server can call {', '.join(CALLABLE)} versions; a {version['type']} runs "
                          "in your code: create the run with `orchestrated: false` and log to it")
    ts = now()
    run_id = new_id("run")
    run: Row = {"id": run_id, "dataset": dataset, "version": version, "orchestrated": orchestrated,
           "status": "running" if orchestrated else "pending", "control": False, "created_at": ts,
           "updated_at": ts}
    points = store.list_datapoints(dataset["version_id"], 1, _ALL)[0] if dataset else []
    links: list[tuple[str, str | None]] = []
    if body.use_existing_logs and dataset and version:
        ids = {p["id"] for p in points}
        existing = store.list_logs({"version_id": version["version_id"]}, 1, _ALL)[0]
        links = [(log["id"], log["source_datapoint_id"]) for log in existing if log.get("source_datapoint_id") in ids]
    covered = {dp for _, dp in links}
    work = judge_jobs(store, evaluation, links, run_id)
    if orchestrated:
        work += [jobs.generate_job(run_id, p["id"]) for p in points if p["id"] not in covered]
    store.create_run(evaluation_id, run, work, links)
    _sync_evaluation_status(store, run_id)
    return run_wire(store, {**run, "added_at": ts})


def run_wire(store: Store, run: Row) -> dict[str, Any]:
    """An ``EvaluationRunResponse``: the run with its dataset and version as file responses."""
    body: dict[str, Any] = {k: run.get(k) for k in ("id", "orchestrated", "added_at", "created_at",
                                                     "status", "control")}
    if run.get("dataset"):
        body["dataset"] = evaluations._version_wire(store, run["dataset"]["file_id"], run["dataset"]["version_id"])
    if run.get("version"):
        body["version"] = evaluations._version_wire(store, run["version"]["file_id"], run["version"]["version_id"])
    if run.get("error"):
        body["error"] = run["error"]
    return body


def refresh(store: Store, evaluation: Row, run: Row) -> Row:
    """The run with its status brought up to date (and stored when it changed)."""
    if run["status"] in FINAL or store.open_jobs(run["id"]):
        return run
    status, error = ("completed", None)
    links = store.run_log_links(run["id"])
    if run["orchestrated"]:
        failed = [store.get_log(link["log_id"]) for link in links]
        errors = [log["body"].get("error") for log in failed if log is not None and log["body"].get("error")]
        if links and len(errors) == len(links):
            status, error = "failed", f"every call of the run failed; the first: {errors[0]}"
        elif not links:
            failures = store.job_errors(run["id"])
            status, error = "failed", (f"no log was made; the first error: {failures[0]}" if failures
                                       else "the dataset has no datapoints")
    elif not _client_run_done(store, evaluation, run, links):
        return run
    run = {**run, "status": status, "updated_at": now(), **({"error": error} if error else {})}
    store.put_run({k: v for k, v in run.items() if k != "added_at"})
    _sync_evaluation_status(store, run["id"])
    return run


def overall_status(stored: str, run_statuses: list[str]) -> str:
    """An evaluation's status from its runs': running while any is, then completed."""
    if not run_statuses:
        return stored
    if any(s in ("pending", "running") for s in run_statuses):
        return "running"
    return "completed" if "completed" in run_statuses else run_statuses[0]


def _sync_evaluation_status(store: Store, run_id: str) -> None:
    for evaluation_id in store.run_evaluations(run_id):
        evaluation = store.get_evaluation(evaluation_id)
        if evaluation is None:
            continue
        status = overall_status(evaluation["status"], [r["status"] for r in store.evaluation_runs(evaluation_id)])
        if status != evaluation["status"]:
            evaluations.update(store, evaluation_id, {"status": status})


def _client_run_done(store: Store, evaluation: Row, run: Row, links: list[Row]) -> bool:
    if not links:
        return False
    if run.get("dataset"):
        points = store.list_datapoints(run["dataset"]["version_id"], 1, _ALL)[0]
        if not {p["id"] for p in points} <= {link["datapoint_id"] for link in links}:
            return False
    needed = set()
    for evaluator in evaluation.get("evaluators", []):
        version = store.get_version(evaluator["version_id"])
        if version is not None and judging.spec_of(version).get("evaluator_type") != "human":
            needed.add(version["id"])
    for link in links:
        judged = {j["version_id"] for j in store.child_logs("parent_id", link["log_id"])}
        if not needed <= judged:
            return False
    return True


def runs_of(store: Store, evaluation: Row) -> list[Row]:
    return [refresh(store, evaluation, run) for run in store.evaluation_runs(evaluation["id"])]


def list_runs(store: Store, evaluation_id: str) -> dict[str, Any]:
    evaluation = evaluations.get(store, evaluation_id)
    return {"runs": [run_wire(store, run) for run in runs_of(store, evaluation)]}


def update(store: Store, evaluation_id: str, run_id: str, body: UpdateRunBody) -> dict[str, Any]:
    run = _get_run(store, evaluation_id, run_id)
    if body.status is not None:
        if body.status not in ("cancelled", "completed"):
            raise invalid(["body", "status"], "a run can be set to `cancelled` or `completed`")
        if run["status"] not in ("pending", "running"):
            raise ApiProblem(409, f"run {run_id!r} is {run['status']}; only a pending or running run can change")
        if body.status == "cancelled":
            store.cancel_jobs(run_id, now())
        run = {**run, "status": body.status}
        store.put_run({**{k: v for k, v in run.items() if k != "added_at"}, "updated_at": now()})
        _sync_evaluation_status(store, run_id)
    if body.control:
        for other in store.evaluation_runs(evaluation_id):
            if other["id"] != run_id and other.get("control"):
                store.put_run({**{k: v for k, v in other.items() if k != "added_at"}, "control": False})
    if body.control is not None:
        run = {**run, "control": body.control}
    store.put_run({**{k: v for k, v in run.items() if k != "added_at"}, "updated_at": now()})
    added = next(r["added_at"] for r in store.evaluation_runs(evaluation_id) if r["id"] == run_id)
    return run_wire(store, {**run, "added_at": added})


def remove(store: Store, evaluation_id: str, run_id: str) -> None:
    _get_run(store, evaluation_id, run_id)
    store.remove_run_from_evaluation(evaluation_id, run_id)


def add_existing(store: Store, evaluation_id: str, run_id: str) -> dict[str, Any]:
    evaluations.get(store, evaluation_id)
    if store.get_run(run_id) is None:
        raise not_found("Run", run_id)
    store.add_run_to_evaluation(evaluation_id, run_id, now())
    return {}


def add_logs(store: Store, evaluation_id: str, run_id: str, body: AddLogsBody) -> dict[str, Any]:
    run = _get_run(store, evaluation_id, run_id)
    links: list[tuple[str, str | None]] = []
    for log_id in body.log_ids:
        log = store.get_log(log_id)
        if log is None:
            raise not_found("Log", log_id)
        links.append((log_id, log.get("source_datapoint_id")))
    store.link_run_logs(run_id, links)
    store.enqueue_jobs(judge_jobs(store, evaluations.get(store, evaluation_id), links, run_id))
    added = next(r["added_at"] for r in store.evaluation_runs(evaluation_id) if r["id"] == run_id)
    return run_wire(store, {**run, "added_at": added})


def add_evaluators(store: Store, evaluation_id: str, body: AddEvaluatorsBody) -> dict[str, Any]:
    evaluation = evaluations.get(store, evaluation_id)
    present = {e["version_id"] for e in evaluation.get("evaluators", [])}
    added = []
    for ref in body.evaluators:
        file, version = evaluations._ref(store, ref, "evaluators", ("evaluator",))
        if version["id"] not in present:
            present.add(version["id"])
            added.append({"file_id": file["id"], "version_id": version["id"],
                          "orchestrated": ref.orchestrated is not False, "added_at": now()})
    evaluation["evaluators"] = [*evaluation.get("evaluators", []), *added]
    response = evaluations.update(store, evaluation_id, {"evaluators": evaluation["evaluators"]})
    # New evaluators judge the logs the runs already have.
    work = []
    for run in store.evaluation_runs(evaluation_id):
        links = [(link["log_id"], link["datapoint_id"]) for link in store.run_log_links(run["id"])]
        work += judge_jobs(store, {"evaluators": added}, links, run["id"])
    store.enqueue_jobs(work)
    return response


def remove_evaluator(store: Store, evaluation_id: str, evaluator_version_id: str) -> dict[str, Any]:
    evaluation = evaluations.get(store, evaluation_id)
    kept = [e for e in evaluation.get("evaluators", []) if e["version_id"] != evaluator_version_id]
    if len(kept) == len(evaluation.get("evaluators", [])):
        raise not_found(f"Evaluator version of evaluation {evaluation_id!r}", evaluator_version_id)
    return evaluations.update(store, evaluation_id, {"evaluators": kept})


def logs_page(store: Store, evaluation_id: str, page: int, size: int,
              run_ids: list[str] | None) -> tuple[list[dict[str, Any]], int]:
    """``GET /evaluations/{id}/logs``: by run, unless the evaluation is of the older kind
    (no runs, none asked for), whose logs name it by ``evaluation_id``."""
    if store.evaluation_runs(evaluation_id) or run_ids:
        return evaluation_logs(store, evaluation_id, page, size, run_ids)
    return evaluations.report_logs(store, evaluation_id, page, size)


def evaluation_logs(store: Store, evaluation_id: str, page: int, size: int,
                    run_ids: list[str] | None) -> tuple[list[dict[str, Any]], int]:
    """``EvaluationLogResponse`` records: each run log with its run, datapoint and judgments."""
    evaluations.get(store, evaluation_id)
    entries = []
    for run in store.evaluation_runs(evaluation_id):
        if run_ids and run["id"] not in run_ids:
            continue
        points = {p["id"]: p for p in store.list_datapoints(run["dataset"]["version_id"], 1, _ALL)[0]} \
            if run.get("dataset") else {}
        entries += [(run["id"], link, points) for link in store.run_log_links(run["id"])]
    renderer = logs.LogRenderer(store)
    records = []
    for run_id, link, points in entries[(page - 1) * size: page * size]:
        log = store.get_log(link["log_id"])
        if log is None:
            continue
        rendered = renderer.render(log)
        record: dict[str, Any] = {"run_id": run_id, "log": rendered,
                                  "evaluator_logs": rendered.get("evaluator_logs", []),
                                  # what readers of the older report form look for
                                  "evaluated_version": renderer.version(log["type"], log["file_id"],
                                                                        log["version_id"])}
        if link["datapoint_id"] in points:
            record["datapoint"] = points[link["datapoint_id"]]
        records.append(record)
    return records, len(entries)
