"""Logs of every file kind: creating them from request bodies and building responses.

A log is stored as the spec fields it was given (``body``) plus indexed columns for the
filters. Responses attach the file version it belongs to, evaluator logs judging it and,
for traces, the logs whose ``trace_parent_id`` points at it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from humanloop_core import types as t
from humanloop_core.types._base import ResponseModel

from . import files, prices
from .errors import ApiProblem, not_found
from .store import Row, Store, new_id, now

RESPONSE_MODELS: dict[str, type[ResponseModel]] = {
    "prompt": t.PromptLogResponse, "tool": t.ToolLogResponse,
    "flow": t.FlowLogResponse, "evaluator": t.EvaluatorLogResponse, "agent": t.AgentLogResponse,
}
# Request fields that identify the file or version rather than describe the log.
_IDENTITY = {"path", "id", "prompt", "tool", "flow", "agent", "spec", "evaluation_id", "batch_id", "log_id",
             "parent_id", "version_id", "environment_id"}
# How deep a response nests child logs (trace children, evaluator logs, a parent): a chain
# of 400 evaluator logs once overflowed the renderer. Deeper logs are read by their own id.
MAX_NESTING = 8


def log_fields(request: BaseModel) -> dict[str, Any]:
    """The request's log payload in wire form (``batch_id`` becomes ``batches``)."""
    data = request.model_dump(mode="json", exclude_none=True)
    body = {k: v for k, v in data.items() if k not in _IDENTITY}
    if data.get("batch_id"):
        body["batches"] = [data["batch_id"]]
    body.setdefault("created_at", now())
    return body


def resolve_for_log(store: Store, kind: files.FileKind, request: BaseModel, kernel_field: str | None,
                    version_id: str | None, environment: str | None) -> tuple[Row, Row]:
    """The file and version a log (or call) belongs to: a kernel in the body upserts a
    version; otherwise the file named by path/id at version_id/environment."""
    path, file_id = getattr(request, "path", None), getattr(request, "id", None)
    kernel_model = getattr(request, kernel_field, None) if kernel_field else None
    if kernel_model is not None:
        data = kernel_model.model_dump(exclude_none=True)
        normalised = kind.request.model_validate({"spec": data} if kind.type == "evaluator" else data)
        # A kernel in a log or call files a version but never makes it the default.
        return files.upsert(store, kind, path, file_id, files.canonical_kernel(normalised),
                            explicit=False)
    file = files.find_file(store, kind, path=path, id=file_id)
    if file is None:
        if kind.type in ("flow", "tool"):
            # Flows and tools have no required kernel, so logging to a new path creates them,
            # which is how decorators and tracers report work nobody registered up front.
            empty = kind.request.model_validate({"attributes": {}} if kind.type == "flow" else {})
            return files.upsert(store, kind, path, None, files.canonical_kernel(empty), explicit=False)
        hint = f"; pass `{kernel_field}` to create it" if kernel_field else ""
        raise ApiProblem(404, f"{kind.label} not found: {path!r}{hint}")
    return file, files.resolve_version(store, file, version_id, environment)


def create_log(store: Store, kind_type: str, file: Row, version: Row, body: dict[str, Any], *,
               trace_parent_id: str | None = None, parent_id: str | None = None,
               evaluation_id: str | None = None, log_id: str | None = None) -> str:
    """Store one log (committed on return) and give its id."""
    trace_parent_id = trace_parent_id or body.get("trace_parent_id")
    if trace_parent_id and store.get_log(trace_parent_id) is None:
        raise not_found("trace parent log", trace_parent_id)
    row = log_row(kind_type, file, version, body, trace_parent_id=trace_parent_id,
                  parent_id=parent_id, evaluation_id=evaluation_id, log_id=log_id)
    store.insert_log(row)
    return str(row["id"])


def log_row(kind_type: str, file: Row, version: Row, body: dict[str, Any], *,
            trace_parent_id: str | None = None, parent_id: str | None = None,
            evaluation_id: str | None = None, log_id: str | None = None) -> Row:
    """The stored form of a log (what ``Store.insert_log`` takes); a prompt log gets its
    cost from the price table."""
    if kind_type == "prompt":
        prices.add_cost(body, version.get("kernel") or {})
    return {
        "id": log_id or new_id("log"), "type": kind_type, "file_id": file["id"],
        "version_id": version["id"], "created_at": body.get("created_at") or now(),
        "trace_parent_id": trace_parent_id, "parent_id": parent_id, "evaluation_id": evaluation_id,
        "source_datapoint_id": body.get("source_datapoint_id"), "body": body,
    }


def log_request(store: Store, kind_type: str, request: BaseModel, kernel_field: str,
                version_id: str | None, environment: str | None,
                defaults: dict[str, Any] | None = None, **links: Any) -> tuple[Row, Row, str, dict[str, Any]]:
    """A ``/log`` operation of any kind: resolve the file and version the body names, store
    the log, return (file, version, log id, stored fields)."""
    file, version = resolve_for_log(store, files.KINDS[kind_type], request, kernel_field, version_id,
                                    getattr(request, "environment", None) or environment)
    fields = {**(defaults or {}), **log_fields(request)}
    log_id = create_log(store, kind_type, file, version, fields,
                        evaluation_id=getattr(request, "evaluation_id", None), **links)
    return file, version, log_id, fields


def trace_root(store: Store, log: Row) -> Row:
    seen = {log["id"]}
    while log.get("trace_parent_id"):
        parent = store.get_log(log["trace_parent_id"])
        if parent is None or parent["id"] in seen:
            break
        seen.add(parent["id"])
        log = parent
    return log


class LogRenderer:
    """Builds log responses, caching file versions across the logs of one request."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._versions: dict[str, dict[str, Any]] = {}

    def version(self, kind_type: str, file_id: str, version_id: str) -> dict[str, Any]:
        found = self._version(kind_type, file_id, version_id)
        if found is None:
            raise not_found("Log's file version", version_id)
        return found

    def _version(self, kind_type: str, file_id: str, version_id: str) -> dict[str, Any] | None:
        """None for a log whose file is gone (an orphan a deletion racing a call left
        behind before inserts checked for it): such a log reads as deleted."""
        if version_id not in self._versions:
            file, version = self.store.get_file(file_id), self.store.get_version(version_id)
            if file is None or version is None:
                return None
            self._versions[version_id] = files.file_response(self.store, files.KINDS[kind_type], file, version)
        return self._versions[version_id]

    def renderable(self, log: Row) -> bool:
        return self._version(log["type"], log["file_id"], log["version_id"]) is not None

    def _children(self, column: str, log_id: str, depth: int) -> list[dict[str, Any]]:
        if depth >= MAX_NESTING:
            return []
        return [self.render(child, depth + 1) for child in self.store.child_logs(column, log_id)
                if self.renderable(child)]

    def render(self, log: Row, depth: int = 0, include_parent: bool = False) -> dict[str, Any]:
        model = RESPONSE_MODELS[log["type"]]
        file_version = self._version(log["type"], log["file_id"], log["version_id"])
        if file_version is None:
            raise not_found("Log", log["id"])
        body = {k: v for k, v in log["body"].items() if k in model.model_fields}
        body["id"] = log["id"]
        body[log["type"]] = file_version
        body["evaluator_logs"] = self._children("parent_id", log["id"], depth)
        if depth < MAX_NESTING:  # left out (not "none") where the nesting stops
            body["trace_children"] = self._children("trace_parent_id", log["id"], depth)
        if log.get("trace_parent_id"):
            body["trace_parent_id"] = log["trace_parent_id"]
            root = trace_root(self.store, log)
            body["trace_id"] = root["id"]
            if root["type"] == "flow":
                body["trace_flow_id"] = root["file_id"]
        if log["type"] == "evaluator":
            body["parent_id"] = log.get("parent_id")
            if include_parent and log.get("parent_id") and depth < MAX_NESTING:
                parent = self.store.get_log(log["parent_id"])
                if parent is not None and self.renderable(parent):
                    body["parent"] = self.render(parent, depth + 1)
        return model.model_validate(body).to_wire()


def list_page(store: Store, where: Row, page: int, size: int, include_parent: bool = False,
              version_status: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """One page of a file's logs; ``where`` as Store.list_logs takes it, with ``file_id``."""
    if store.get_file(where["file_id"]) is None:
        raise not_found("File", where["file_id"])
    if version_status is not None and version_status != "committed":
        return [], 0  # every stored version is committed
    rows, total = store.list_logs(where, page, size)
    renderer = LogRenderer(store)
    return [renderer.render(r, include_parent=include_parent) for r in rows], total


def delete(store: Store, ids: list[str]) -> None:
    if store.delete_logs(ids) == 0:
        raise not_found("Log", ", ".join(ids))


def log_evaluator(store: Store, request: t.CreateEvaluatorLogRequest, version_id: str | None,
                  environment: str | None) -> tuple[Row, str]:
    """An evaluator's judgment of the log ``request.parent_id``: (version, log id)."""
    if store.get_log(request.parent_id) is None:
        raise not_found("parent log", request.parent_id)
    _, version, log_id, _ = log_request(store, "evaluator", request, "spec", version_id, environment,
                                        parent_id=request.parent_id)
    return version, log_id


def get_log(store: Store, log_id: str) -> dict[str, Any]:
    log = store.get_log(log_id)
    if log is None:
        raise not_found("Log", log_id)
    return LogRenderer(store).render(log)


def update_log(store: Store, log_id: str, kind_type: str, file_id: str | None,
               changes: dict[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into a stored log of ``kind_type`` (and of ``file_id`` if given)."""
    log = store.get_log(log_id)
    if log is None or log["type"] != kind_type or (file_id and log["file_id"] != file_id):
        raise not_found(f"{kind_type} log", log_id)
    store.update_log(log_id, {**log["body"], **changes})
    if log["body"].get("log_status") == "incomplete" and changes.get("log_status") == "complete":
        from . import monitoring  # imported here: monitoring builds on this module

        monitoring.judge_completed(store, {**log, "body": {**log["body"], **changes}})
    return get_log(store, log_id)
