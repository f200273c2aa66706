"""Directories and the mixed listing of files."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from humanloop_core import types as t

from .. import files
from ..errors import ApiProblem, invalid, not_found
from ..store import Row, Store
from .common import DB, Page, Size, no_content, ok, page_of

router = APIRouter()
_ALL = 1_000_000


def _directory(db: Store, row: Row) -> dict[str, Any]:
    parent = db.get_directory(files.parent_of(row["path"])) if "/" in row["path"] else None
    return t.DirectoryResponse.model_validate({
        **row, "name": row["path"].rsplit("/", 1)[-1], "parent_id": parent["id"] if parent else None,
    }).to_wire()


def _get_directory(db: Store, dir_id: str) -> Row:
    row = db.get_directory(dir_id)
    if row is None or row["id"] != dir_id:
        raise not_found("Directory", dir_id)
    return row


def _target_path(db: Store, name: str | None, parent_id: str | None, path: str | None,
                 current: str | None = None) -> str:
    """The directory path a create/update body asks for."""
    if path:
        return files.clean_path(path)
    if parent_id is not None:
        parent = _get_directory(db, parent_id)["path"]
    else:
        parent = files.parent_of(current) if current else ""
    leaf = name or (current.rsplit("/", 1)[-1] if current else None)
    if not leaf:
        raise invalid(["body", "name"], "give the directory's `name` or `path`", "missing")
    return files.clean_path(f"{parent}/{leaf}" if parent else leaf)


@router.get("/directories", tags=["directories"], summary="List Directories",
            responses={200: {"model": list[t.DirectoryResponse]}})
def list_directories(*, db: DB) -> Any:
    return ok([_directory(db, r) for r in db.list_directories()])


@router.post("/directories", tags=["directories"], status_code=201, summary="Create a Directory",
             responses={201: {"model": t.DirectoryResponse}})
def create_directory(*, body: t.CreateDirectoryRequest, db: DB) -> Any:
    path = _target_path(db, body.name, body.parent_id, body.path)
    if db.get_file_by_path(path) is not None:
        raise ApiProblem(409, f"path {path!r} is a file")
    if db.get_directory(path) is not None:
        raise ApiProblem(409, f"directory {path!r} already exists")
    db.ensure_directories(path)
    return ok(_directory(db, db.get_directory(path) or {}), 201)


@router.get("/directories/{id}", tags=["directories"], summary="Get a Directory",
            responses={200: {"model": t.DirectoryWithParentsAndChildrenResponse}})
def get_directory(*, id: str, db: DB) -> Any:
    row = _get_directory(db, id)
    prefix = row["path"] + "/"
    subdirectories = [_directory(db, d) for d in db.list_directories()
                      if d["path"].startswith(prefix) and "/" not in d["path"][len(prefix):]]
    parts = row["path"].split("/")
    parents = [db.get_directory("/".join(parts[:i])) for i in range(1, len(parts))]
    body = {**_directory(db, row), "subdirectories": subdirectories,
            "files": files.describe_all(db, db.files_under(row["path"])),
            "parents": [_directory(db, p) for p in parents if p]}
    return ok(t.DirectoryWithParentsAndChildrenResponse.model_validate(body).to_wire())


@router.patch("/directories/{id}", tags=["directories"], summary="Update a Directory",
              responses={200: {"model": t.DirectoryResponse}})
def update_directory(*, id: str, body: t.UpdateDirectoryRequest, db: DB) -> Any:
    row = _get_directory(db, id)
    path = _target_path(db, body.name, body.parent_id, body.path, current=row["path"])
    if path != row["path"]:
        if path.startswith(row["path"] + "/"):
            raise invalid(["body", "path"], "a directory can't move inside itself")
        if db.get_directory(path) is not None or db.get_file_by_path(path) is not None:
            raise ApiProblem(409, f"path {path!r} is already taken")
        db.ensure_directories(files.parent_of(path))
        row = db.move_directory(id, path)
    return ok(_directory(db, row))


@router.delete("/directories/{id}", tags=["directories"], status_code=204, response_class=Response,
               response_model=None, summary="Delete an empty Directory")
def delete_directory(*, id: str, db: DB) -> Any:
    row = _get_directory(db, id)
    prefix = row["path"] + "/"
    if db.files_under(row["path"]) or any(d["path"].startswith(prefix) for d in db.list_directories()):
        raise ApiProblem(409, f"directory {row['path']!r} is not empty")
    db.delete_directory(id)
    return no_content()


@router.get("/files", tags=["files"], summary="List Files of every kind",
            responses={200: {"model": t.PaginatedData_Union_PromptResponse__ToolResponse__DatasetResponse__EvaluatorResponse__FlowResponse__}})
def list_files(*, page: Page = 1, size: Size = 10, name: str | None = None,
               type: Annotated[list[t.FileType] | None, Query()] = None, environment: str | None = None,
               sort_by: Literal["created_at", "updated_at", "name"] | None = "created_at",
               order: Literal["asc", "desc"] | None = "desc", db: DB) -> Any:
    types = list(type or files.KINDS)
    desc = order != "asc"
    if environment is None:
        rows, total = db.list_files(types, name, page, size, sort_by, desc)
    else:
        env = next((e for e in db.list_environments() if e["name"] == environment), None)
        every, _ = db.list_files(types, name, 1, _ALL, sort_by, desc)
        kept = [r for r in every if env is not None and env["id"] in db.deployments(r["id"])]
        rows, total = kept[(page - 1) * size: page * size], len(kept)
    return ok(page_of(files.describe_all(db, rows), page, size, total))
