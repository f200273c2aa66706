"""Evaluations: a dataset, the versions evaluated on it and the evaluators judging them.

The server stores the setup with every reference resolved to a version id, and builds
reports from the logs that name the evaluation (``evaluation_id``) and the evaluator
logs attached to them. Running evaluators is left to clients.
"""

from __future__ import annotations

import statistics
from typing import Any, Optional

from pydantic import BaseModel

from humanloop_core import types as t
from humanloop_core.types import _models

from . import files, logs
from .errors import ApiProblem, invalid, not_found
from .store import Row, Store, new_id, now

_ALL = 1_000_000


def resolve_reference(store: Store, ref: BaseModel, where: str) -> tuple[Row, Row]:
    """(file, version) named by a ``{version_id | file_id | path, environment}`` reference."""
    data = ref.model_dump(exclude_none=True)
    if data.get("version_id"):
        version = store.get_version(data["version_id"])
        if version is None:
            raise not_found(f"{where} version", data["version_id"])
        return store.get_file(version["file_id"]) or {}, version
    by_id = data.get("file_id") or data.get("id")  # v5 says file_id; the SDK's newer refs say id
    key = by_id or data.get("path")
    if not key:
        raise invalid(["body", where], "give a `version_id`, `file_id` or `path`", "missing")
    file = store.get_file(key) if by_id else store.get_file_by_path(files.clean_path(key))
    if file is None:
        raise not_found(where, key)
    return file, files.resolve_version(store, file, None, data.get("environment"))


def _ref(store: Store, ref: BaseModel, field: str, allowed: tuple[str, ...]) -> tuple[Row, Row]:
    file, version = resolve_reference(store, ref, field)
    if file["type"] not in allowed:
        raise invalid(["body", field], f"{file['path']!r} is a {file['type']}; expected: {', '.join(allowed)}")
    return file, version


def _file_id(store: Store, ref: t.FileRequest) -> str:
    file = store.get_file(ref.id) if ref.id else None
    if file is None and ref.path:
        file = store.get_file_by_path(files.clean_path(ref.path))
    if file is None:
        raise not_found("evaluation file", ref.id or ref.path or "")
    return str(file["id"])


def _setup(store: Store, body: t.CreateEvaluationRequest | t.UpdateEvaluationRequest,
           current: Row | None = None) -> Row:
    """The stored setup: ``current`` with whatever ``body`` sets, references resolved."""
    setup: Row = dict(current or {})
    added = now()
    if body.dataset is not None:
        file, version = _ref(store, body.dataset, "dataset", ("dataset",))
        setup["dataset"] = {"file_id": file["id"], "version_id": version["id"]}
    if body.evaluatees is not None:
        setup["evaluatees"] = []
        for ref in body.evaluatees:
            file, version = _ref(store, ref, "evaluatees", ("prompt", "tool", "flow", "evaluator"))
            setup["evaluatees"].append({"file_id": file["id"], "version_id": version["id"],
                                        "batch_id": ref.batch_id, "orchestrated": ref.orchestrated is not False,
                                        "pinned": False, "added_at": added})
    if body.evaluators is not None:
        setup["evaluators"] = []
        for eref in body.evaluators:
            file, version = _ref(store, eref, "evaluators", ("evaluator",))
            setup["evaluators"].append({"file_id": file["id"], "version_id": version["id"],
                                        "orchestrated": eref.orchestrated is not False, "added_at": added})
    if body.name is not None:
        setup["name"] = body.name
    if body.file is not None:
        setup["file_id"] = _file_id(store, body.file)
    if not setup.get("file_id") and setup.get("evaluatees"):
        setup["file_id"] = setup["evaluatees"][0]["file_id"]
    return setup


class CreateEvaluationBody(t.CreateEvaluationRequest):
    """The spec's body with ``dataset`` optional: the official SDK (0.8.38) creates an
    evaluation from ``file`` and ``evaluators`` alone and adds datasets per run."""

    dataset: t.EvaluationDatasetRequest | None = None


# The inherited annotations name models of the generated module: resolve them there.
CreateEvaluationBody.model_rebuild(_types_namespace={**vars(_models), "t": t, "Optional": Optional})


def create(store: Store, body: t.CreateEvaluationRequest) -> dict[str, Any]:
    ts = now()
    evaluation = {"id": new_id("evr"), "status": "pending", "created_at": ts, "updated_at": ts,
                  "evaluatees": [], **_setup(store, body)}
    if not evaluation.get("file_id"):
        raise invalid(["body", "file"], "give the evaluation's `file` or at least one evaluatee", "missing")
    if evaluation.get("name"):
        # Names are unique per file: the official runner relies on the 409 to find an
        # evaluation by name and add its next run there (so runs can be compared).
        same = [e for e in store.list_evaluations(evaluation["file_id"], 1, 1_000_000)[0]
                if e.get("name") == evaluation["name"]]
        if same:
            raise ApiProblem(409, f"the file already has an evaluation named {evaluation['name']!r}: {same[0]['id']}")
    store.put_evaluation(evaluation)
    return render(store, evaluation)


def get(store: Store, evaluation_id: str) -> Row:
    evaluation = store.get_evaluation(evaluation_id)
    if evaluation is None:
        raise not_found("Evaluation", evaluation_id)
    return evaluation


def list_page(store: Store, file_id: str, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    rows, total = store.list_evaluations(file_id, page, size)
    return [render(store, row) for row in rows], total


def delete(store: Store, evaluation_id: str) -> None:
    get(store, evaluation_id)
    store.delete_evaluation(evaluation_id)


def update(store: Store, evaluation_id: str, changes: Row | BaseModel) -> dict[str, Any]:
    evaluation = get(store, evaluation_id)
    if isinstance(changes, t.UpdateEvaluationRequest):
        evaluation = _setup(store, changes, evaluation)
    else:
        evaluation.update(changes)
    evaluation["updated_at"] = now()
    store.put_evaluation(evaluation)
    return render(store, evaluation)


def pin(store: Store, evaluation_id: str, body: t.EvaluateeRequest) -> dict[str, Any]:
    evaluation = get(store, evaluation_id)
    _, version = resolve_reference(store, body, "evaluatee")
    matched = [e for e in evaluation["evaluatees"] if e["version_id"] == version["id"]]
    if not matched:
        raise ApiProblem(404, f"version {version['id']!r} is not an evaluatee of {evaluation_id!r}")
    for evaluatee in evaluation["evaluatees"]:
        evaluatee["pinned"] = evaluatee["version_id"] == version["id"]
    return update(store, evaluation_id, {"evaluatees": evaluation["evaluatees"]})


def _version_wire(store: Store, file_id: str, version_id: str) -> dict[str, Any]:
    file, version = store.get_file(file_id), store.get_version(version_id)
    if file is None or version is None:
        raise ApiProblem(409, f"a file of this evaluation was deleted: {file_id!r}")
    return files.file_response(store, files.KINDS[file["type"]], file, version)


def render(store: Store, evaluation: Row) -> dict[str, Any]:
    dataset = evaluation.get("dataset")
    body = {
        **{k: evaluation.get(k) for k in ("id", "status", "name", "file_id", "created_at", "updated_at")},
        "runs_count": len(evaluation.get("evaluatees", [])),  # read by the official SDK
        "evaluatees": [{**{k: e[k] for k in ("batch_id", "orchestrated", "pinned", "added_at")},
                        "version": _version_wire(store, e["file_id"], e["version_id"])}
                       for e in evaluation.get("evaluatees", [])],
        "evaluators": [{"orchestrated": e["orchestrated"], "added_at": e["added_at"],
                        "version": _version_wire(store, e["file_id"], e["version_id"])}
                       for e in evaluation.get("evaluators", [])],
    }
    if dataset is None:  # only SDK-style evaluations lack one; the spec's model requires it
        return {k: v for k, v in body.items() if v is not None}
    body["dataset"] = _version_wire(store, dataset["file_id"], dataset["version_id"])
    return t.EvaluationResponse.model_validate(body).to_wire()


def _judgment_stats(evaluator_version_id: str, judgments: list[Any], errors: int) -> dict[str, Any]:
    values = [j for j in judgments if j is not None]
    base = {"evaluator_version_id": evaluator_version_id, "total_logs": len(judgments) + errors,
            "num_judgments": len(values), "num_nulls": len(judgments) - len(values), "num_errors": errors}
    if values and all(isinstance(v, bool) for v in values):
        return {**base, "num_true": sum(values), "num_false": len(values) - sum(values)}
    if values and all(isinstance(v, (int, float)) for v in values):
        ordered = sorted(float(v) for v in values)
        pick = {str(p): ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] for p in (25, 50, 75)}
        return {**base, "mean": statistics.fmean(ordered),
                "std": statistics.pstdev(ordered), "percentiles": pick}
    if values and all(isinstance(v, (str, list)) for v in values):
        counts: dict[str, int] = {}
        for value in values:
            for option in value if isinstance(value, list) else [value]:
                counts[option] = counts.get(option, 0) + 1
        return {**base, "num_judgments_per_option": counts}
    return base


def _evaluated_logs(store: Store, evaluation_id: str) -> list[Row]:
    return store.list_logs({"evaluation_id": evaluation_id}, 1, _ALL)[0]


def stats(store: Store, evaluation_id: str) -> dict[str, Any]:
    evaluation = get(store, evaluation_id)
    evaluated = _evaluated_logs(store, evaluation_id)
    judged = {log["id"]: store.child_logs("parent_id", log["id"]) for log in evaluated}
    dataset = evaluation.get("dataset")
    num_datapoints = store.list_datapoints(dataset["version_id"], 1, 0)[1] if dataset else 0
    version_stats = []
    for evaluatee in evaluation.get("evaluatees", []):
        mine = [log for log in evaluated if log["version_id"] == evaluatee["version_id"]]
        per_evaluator = []
        for evaluator in evaluation.get("evaluators", []):
            judgments = [j for log in mine for j in judged[log["id"]] if j["version_id"] == evaluator["version_id"]]
            errors = sum(1 for j in judgments if j["body"].get("error"))
            per_evaluator.append(_judgment_stats(
                evaluator["version_id"], [j["body"].get("judgment") for j in judgments if not j["body"].get("error")],
                errors))
        version_stats.append({"version_id": evaluatee["version_id"], "batch_id": evaluatee.get("batch_id"),
                              "num_logs": len(mine), "evaluator_version_stats": per_evaluator})
    expected = num_datapoints * max(len(evaluation.get("evaluatees", [])), 1)
    body = {"overall_stats": {"num_datapoints": num_datapoints, "total_logs": len(evaluated),
                              "total_evaluator_logs": sum(len(v) for v in judged.values())},
            "version_stats": version_stats, "status": evaluation["status"],
            "run_stats": [],  # required by the SDK 0.8.38 model; runs are not modelled yet
            "progress": f"{min(len(evaluated), expected)}/{expected} logs"}
    return t.EvaluationStats.model_validate(body).to_wire()


def report_logs(store: Store, evaluation_id: str, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    get(store, evaluation_id)
    rows, total = store.list_logs({"evaluation_id": evaluation_id}, page, size)
    renderer = logs.LogRenderer(store)
    renderable = renderer.renderable
    records = []
    for row in rows:
        if not renderable(row):  # its file was deleted under it
            continue
        rendered = renderer.render(row)
        record: dict[str, Any] = {
            "evaluated_version": renderer.version(row["type"], row["file_id"], row["version_id"]),
            "log": rendered, "evaluator_logs": rendered.get("evaluator_logs", []),
            # SDK 0.8.38 requires a run; until runs are stored, a run is the evaluated
            # version's batch (what runs replaced), else the version itself.
            "run_id": rendered.get("run_id") or rendered.get("batch_id") or row["version_id"],
        }
        datapoint_id = row.get("source_datapoint_id")
        found = _find_datapoint(store, evaluation_id, datapoint_id) if datapoint_id else None
        # The schema requires a datapoint; a log made outside the dataset gets its own inputs.
        record["datapoint"] = found or {"id": datapoint_id or "", "inputs": rendered.get("inputs", {})}
        records.append(t.EvaluationReportLogResponse.model_validate(record).to_wire())
    return records, total


def _find_datapoint(store: Store, evaluation_id: str, datapoint_id: str) -> dict[str, Any] | None:
    dataset = get(store, evaluation_id).get("dataset")
    points = store.list_datapoints(dataset["version_id"], 1, _ALL)[0] if dataset else []
    return next((p for p in points if p["id"] == datapoint_id), None)
