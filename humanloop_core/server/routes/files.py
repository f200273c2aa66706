"""The operations every file kind shares, written once and mounted per kind.

(No ``from __future__ import annotations`` here: FastAPI reads the body types of these
closures at runtime, and they differ per kind.)
"""

from typing import Any, Literal, Optional

from fastapi import APIRouter, Depends, Query, Response

from humanloop_core import types as t

from .. import datasets, files
from ..errors import ApiProblem
from ..store import Store
from .common import Page, Size, no_content, ok, page_of, store

SortBy = Optional[Literal["created_at", "updated_at", "name"]]
Order = Optional[Literal["asc", "desc"]]


def file_router(kind: files.FileKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.route}", tags=[kind.route])
    label, ok_doc = kind.label, {200: {"model": kind.response}}

    def current(db: Store, id: str, version_id: Optional[str], environment: Optional[str]) -> dict[str, Any]:
        file = files.get_file(db, kind, id)
        return files.file_response(db, kind, file, files.resolve_version(db, file, version_id, environment))

    @router.get("", summary=f"List {label}s", responses={200: {"model": kind.page}})
    def list_files(page: int = Page, size: int = Size, name: Optional[str] = None,
                   user_filter: Optional[str] = None, sort_by: SortBy = "created_at",
                   order: Order = "desc", db: Store = Depends(store)) -> Any:
        rows, total = db.list_files([kind.type], name, page, size, sort_by, order != "asc")
        return ok(page_of(files.describe_all(db, rows), page, size, total))

    if kind.type == "dataset":
        @router.post("", summary="Upsert Dataset", responses=ok_doc)
        def upsert_dataset(body: t.DatasetRequest, version_id: Optional[str] = None,
                           environment: Optional[str] = None, db: Store = Depends(store)) -> Any:
            file, version = datasets.upsert(db, body, version_id, environment)
            return ok(files.file_response(db, kind, file, version))

        @router.get("/{id}/datapoints", summary="List Datapoints",
                    responses={200: {"model": t.PaginatedData_DatapointResponse_}})
        def list_datapoints(id: str, version_id: Optional[str] = None, environment: Optional[str] = None,
                            page: int = Page, size: int = Size, db: Store = Depends(store)) -> Any:
            file = files.get_file(db, kind, id)
            version = files.resolve_version(db, file, version_id, environment)
            records, total = datasets.datapoints_page(db, version, page, size)
            return ok(page_of(records, page, size, total))
    else:
        @router.post("", summary=f"Upsert {label}", responses=ok_doc)
        def upsert(body: kind.request, db: Store = Depends(store)) -> Any:  # type: ignore[name-defined]
            file, version = files.upsert(db, kind, body.path, body.id, files.canonical_kernel(body),
                                         body.commit_message)
            return ok(files.file_response(db, kind, file, version))

    @router.get("/{id}", summary=f"Get {label}", responses=ok_doc)
    def get(id: str, version_id: Optional[str] = None, environment: Optional[str] = None,
            include_datapoints: bool = Query(False, include_in_schema=kind.type == "dataset"),
            db: Store = Depends(store)) -> Any:
        body = current(db, id, version_id, environment)
        if include_datapoints and kind.type == "dataset":
            version = db.get_version(body["version_id"]) or {}
            body["datapoints"] = datasets.datapoints_page(db, version, 1, 1_000_000)[0]
        return ok(body)

    @router.delete("/{id}", status_code=204, response_class=Response, response_model=None,
                summary=f"Delete {label}")
    def delete(id: str, db: Store = Depends(store)) -> Any:
        files.get_file(db, kind, id)
        db.delete_file(id)
        return no_content()

    @router.patch("/{id}", summary=f"Move {label}", responses=ok_doc)
    def move(id: str, body: kind.update, db: Store = Depends(store)) -> Any:  # type: ignore[name-defined]
        file = files.move(db, kind, id, body)
        return ok(files.file_response(db, kind, file, files.resolve_version(db, file)))

    @router.get("/{id}/versions", summary=f"List Versions of a {label}",
                responses={200: {"model": kind.versions}})
    def list_versions(id: str, status: Optional[t.VersionStatus] = None,
                      evaluator_aggregates: Optional[bool] = None, db: Store = Depends(store)) -> Any:
        file = files.get_file(db, kind, id)
        versions = [v for v in db.list_versions(id) if status is None or v["status"] == status]
        return ok({"records": [files.file_response(db, kind, file, v) for v in versions]})

    @router.post("/{id}/versions/{version_id}/commit", summary=f"Commit a {label} Version",
                 responses=ok_doc)
    def commit(id: str, version_id: str, body: t.CommitRequest, db: Store = Depends(store)) -> Any:
        file = files.get_file(db, kind, id)
        version = files.resolve_version(db, file, version_id=version_id)
        db.commit_version(version["id"], body.commit_message)
        return ok(current(db, id, version_id, None))

    @router.post("/{id}/environments/{environment_id}", summary="Deploy a Version", responses=ok_doc)
    def set_deployment(id: str, environment_id: str, version_id: str = Query(...),
                       db: Store = Depends(store)) -> Any:
        files.deploy(db, kind, id, environment_id, version_id)
        return ok(current(db, id, version_id, None))

    @router.delete("/{id}/environments/{environment_id}", status_code=204, response_class=Response, response_model=None,
                summary="Remove a Deployment")
    def remove_deployment(id: str, environment_id: str, db: Store = Depends(store)) -> Any:
        files.get_file(db, kind, id)
        env = files.environment(db, environment_id)
        if env["id"] not in db.deployments(id):
            raise ApiProblem(404, f"nothing of {id!r} is deployed to {env['name']!r}")
        db.remove_deployment(id, env["id"])
        return no_content()

    @router.get("/{id}/environments", summary="List Environments",
                responses={200: {"model": list[t.FileEnvironmentResponse]}})
    def list_environments(id: str, db: Store = Depends(store)) -> Any:
        file = files.get_file(db, kind, id)
        deployed = db.deployments(id)
        result = []
        for env in db.list_environments():
            item = files.env_wire(env)
            if env["id"] in deployed:
                item["file"] = files.file_response(db, kind, file, db.get_version(deployed[env["id"]]) or {})
            result.append(item)
        return ok(result)

    if kind.type != "dataset":
        @router.post("/{id}/evaluators", summary="Activate and Deactivate Evaluators", responses=ok_doc)
        def update_monitoring(id: str, body: t.EvaluatorActivationDeactivationRequest,
                              db: Store = Depends(store)) -> Any:
            # Monitoring evaluators are accepted but not run by this server.
            return ok(current(db, id, None, None))

    return router
