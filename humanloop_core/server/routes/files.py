"""The operations every file kind shares, written once and mounted per kind.

(No ``from __future__ import annotations`` here: FastAPI reads the body types of these
closures at runtime, and they differ per kind.)
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from humanloop_core import types as t

from .. import datasets, extras, files, monitoring, versions
from .common import DB, Page, Size, no_content, ok, page_of

# The body of PATCH .../versions/{version_id}: the SDK 0.8.38 generates one model per kind
# (PromptsPatchPromptVersionRequest, ToolsUpdateToolVersionRequest, ...), all of this shape.
VersionUpdate = t.PromptsPatchPromptVersionRequest


SortBy = Literal["created_at", "updated_at", "name"] | None
Order = Literal["asc", "desc"] | None


RetrieveByPath = t.FilesRetrieveByPathRequest


paths_router = APIRouter(tags=["files"])


@paths_router.post("/files/retrieve-by-path", summary="Retrieve a File by path")
def retrieve_by_path(*, body: RetrieveByPath, version_id: str | None = None,
                     environment: str | None = None,
                     include_raw_file_content: bool | None = None, db: DB) -> Any:
    found = files.retrieve_by_path(db, body.path, version_id, environment)
    if include_raw_file_content and found.get("type") in ("prompt", "agent"):
        # The version as its .prompt/.agent file text (the same text serialize answers).
        found["raw_file_content"] = extras.serialize(db, files.KINDS[found["type"]], found["id"],
                                                     found["version_id"], None)
    return ok(found)


def file_router(kind: files.FileKind) -> APIRouter:
    router = APIRouter(prefix=f"/{kind.route}", tags=[kind.route])
    label = kind.label
    ok_doc: dict[int | str, dict[str, Any]] = {200: {"model": kind.response}}

    @router.get("", summary=f"List {label}s", responses={200: {"model": kind.page}})
    def list_files(*, page: Page = 1, size: Size = 10, name: str | None = None,
                   user_filter: str | None = None, sort_by: SortBy = "created_at",
                   order: Order = "desc", db: DB) -> Any:
        records, total = files.list_page(db, [kind.type], name, page, size, sort_by, order != "asc")
        return ok(page_of(records, page, size, total))

    if kind.type == "dataset":
        @router.post("", summary="Upsert Dataset", responses=ok_doc)
        def upsert_dataset(*, body: t.DatasetRequest, version_id: str | None = None,
                           environment: str | None = None, db: DB) -> Any:
            file, version = datasets.upsert(db, body, version_id, environment)
            return ok(files.file_response(db, kind, file, version))

        @router.get("/{id}/datapoints", summary="List Datapoints",
                    responses={200: {"model": t.PaginatedData_DatapointResponse_}})
        def list_datapoints(*, id: str, version_id: str | None = None, environment: str | None = None,
                            page: Page = 1, size: Size = 10, db: DB) -> Any:
            file = files.get_file(db, kind, id)
            version = files.resolve_version(db, file, version_id, environment)
            records, total = datasets.datapoints_page(db, version, page, size)
            return ok(page_of(records, page, size, total))
    else:
        @router.post("", summary=f"Upsert {label}", responses=ok_doc)
        def upsert(*, body: kind.request, db: DB) -> Any:  # type: ignore[name-defined]
            file, version = files.upsert(db, kind, body.path, body.id, files.canonical_kernel(body),
                                         explicit=True, request=body)
            return ok(files.file_response(db, kind, file, version))

    @router.get("/{id}", summary=f"Get {label}", responses=ok_doc)
    def get(*, id: str, version_id: str | None = None, environment: str | None = None,
            include_datapoints: Annotated[bool, Query(include_in_schema=kind.type == "dataset")] = False,
            db: DB) -> Any:
        body = files.current(db, kind, id, version_id, environment)
        monitors = monitoring.responses(db, id) if kind.type != "dataset" else []
        if monitors:
            body["evaluators"] = monitors
        if include_datapoints and kind.type == "dataset":
            body["datapoints"] = datasets.all_datapoints(db, body["version_id"])
        return ok(body)

    @router.delete("/{id}", status_code=204, response_class=Response, response_model=None,
                summary=f"Delete {label}")
    def delete(*, id: str, db: DB) -> Any:
        files.delete(db, kind, id)
        return no_content()

    @router.patch("/{id}", summary=f"Move {label}", responses=ok_doc)
    def move(*, id: str, body: kind.update, db: DB) -> Any:  # type: ignore[name-defined]
        file = files.move(db, kind, id, body)
        return ok(files.file_response(db, kind, file, files.resolve_version(db, file)))

    @router.get("/{id}/versions", summary=f"List Versions of a {label}",
                responses={200: {"model": kind.versions}})
    def list_versions(*, id: str, status: t.VersionStatus | None = None,
                      evaluator_aggregates: bool | None = None, db: DB) -> Any:
        return ok({"records": files.list_versions(db, kind, id, status)})

    @router.patch("/{id}/versions/{version_id}", summary=f"Update a {label} Version",
                  responses=ok_doc)
    def update_version(*, id: str, version_id: str, body: VersionUpdate, db: DB) -> Any:
        file = files.get_file(db, kind, id)
        version = versions.rename(db, file, version_id, body.name, body.description)
        return ok(files.file_response(db, kind, file, version))

    @router.delete("/{id}/versions/{version_id}", status_code=204, response_class=Response,
                   response_model=None, summary=f"Delete a {label} Version")
    def delete_version(*, id: str, version_id: str, db: DB) -> Any:
        versions.delete(db, files.get_file(db, kind, id), version_id)
        return no_content()

    @router.post("/{id}/versions/{version_id}/commit", summary=f"Commit a {label} Version",
                 responses=ok_doc)
    def commit(*, id: str, version_id: str, body: t.CommitRequest, db: DB) -> Any:
        return ok(files.commit(db, kind, id, version_id, body.commit_message))

    @router.post("/{id}/environments/{environment_id}", summary="Deploy a Version", responses=ok_doc)
    def set_deployment(*, id: str, environment_id: str, version_id: str,
                       db: DB) -> Any:
        files.deploy(db, kind, id, environment_id, version_id)
        return ok(files.current(db, kind, id, version_id))

    @router.delete("/{id}/environments/{environment_id}", status_code=204, response_class=Response, response_model=None,
                summary="Remove a Deployment")
    def remove_deployment(*, id: str, environment_id: str, db: DB) -> Any:
        files.undeploy(db, kind, id, environment_id)
        return no_content()

    @router.get("/{id}/environments", summary="List Environments",
                responses={200: {"model": list[t.FileEnvironmentResponse]}})
    def list_environments(*, id: str, db: DB) -> Any:
        return ok(files.environments(db, kind, id))

    if kind.type != "dataset":
        @router.post("/{id}/evaluators", summary="Activate and Deactivate Evaluators", responses=ok_doc)
        def update_monitoring(*, id: str, body: t.EvaluatorActivationDeactivationRequest,
                              db: DB) -> Any:
            files.get_file(db, kind, id)
            monitoring.update(db, id, body)
            return ok({**files.current(db, kind, id), "evaluators": monitoring.responses(db, id)})

    return router
