"""Directories and the mixed listing of files."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from humanloop_core import types as t

from .. import directories, files
from .common import DB, Page, Size, no_content, ok, page_of

router = APIRouter()


@router.get("/directories", tags=["directories"], summary="List Directories",
            responses={200: {"model": list[t.DirectoryResponse]}})
def list_directories(*, db: DB) -> Any:
    return ok(directories.list_all(db))


@router.post("/directories", tags=["directories"], status_code=201, summary="Create a Directory",
             responses={201: {"model": t.DirectoryResponse}})
def create_directory(*, body: t.CreateDirectoryRequest, db: DB) -> Any:
    return ok(directories.create(db, body), 201)


@router.get("/directories/{id}", tags=["directories"], summary="Get a Directory",
            responses={200: {"model": t.DirectoryWithParentsAndChildrenResponse}})
def get_directory(*, id: str, db: DB) -> Any:
    return ok(directories.detail(db, id))


@router.patch("/directories/{id}", tags=["directories"], summary="Update a Directory",
              responses={200: {"model": t.DirectoryResponse}})
def update_directory(*, id: str, body: t.UpdateDirectoryRequest, db: DB) -> Any:
    return ok(directories.update(db, id, body))


@router.delete("/directories/{id}", tags=["directories"], status_code=204, response_class=Response,
               response_model=None, summary="Delete an empty Directory")
def delete_directory(*, id: str, db: DB) -> Any:
    directories.delete(db, id)
    return no_content()


@router.get("/files", tags=["files"], summary="List Files of every kind",
            responses={200: {"model": t.PaginatedData_Union_PromptResponse__ToolResponse__DatasetResponse__EvaluatorResponse__FlowResponse__}})
def list_files(*, page: Page = 1, size: Size = 10, name: str | None = None,
               type: Annotated[list[t.FileType] | None, Query()] = None, environment: str | None = None,
               sort_by: Literal["created_at", "updated_at", "name"] | None = "created_at",
               order: Literal["asc", "desc"] | None = "desc", db: DB) -> Any:
    records, total = files.list_page(db, list(type or files.KINDS), name, page, size, sort_by,
                                     order != "asc", environment)
    return ok(page_of(records, page, size, total))
