"""Directories: the folder tree files live in. Each method is one builder, sent by both
clients (see ``_shells``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core._operation import Operation
from ..types import (
    CreateDirectoryRequest,
    DirectoryResponse,
    DirectoryWithParentsAndChildrenResponse,
    UpdateDirectoryRequest,
)
from ._base import AsyncResource, SyncResource, body, split
from ._base import path as url_path
from ._shells import async_call, sync_call

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions

Directories = list[DirectoryResponse]
Directory = DirectoryWithParentsAndChildrenResponse


def _list(*, request_options: RequestOptions | None = None) -> Operation[Directories]:
    """Every directory."""
    return Operation(name="directories.list", method="GET", path="/directories",
                     cast_to=Directories, options=request_options)


def _create(
    *, name: str | None = None, parent_id: str | None = None, path: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[DirectoryResponse]:
    """Create a directory, by ``path`` or by ``name`` under ``parent_id``."""
    _, fields = split(locals(), ())
    return Operation(name="directories.create", method="POST", path="/directories",
                     cast_to=DirectoryResponse, options=request_options,
                     json=body("directories.create", CreateDirectoryRequest, fields))


def _get(id: str, *, request_options: RequestOptions | None = None) -> Operation[Directory]:
    """A directory with its parents, subdirectories and files."""
    return Operation(name="directories.get", method="GET", path=url_path("directories", id),
                     cast_to=Directory, options=request_options)


def _update(
    id: str, *, name: str | None = None, parent_id: str | None = None, path: str | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[DirectoryResponse]:
    """Rename or move a directory."""
    _, fields = split(locals(), ())
    return Operation(name="directories.update", method="PATCH",
                     path=url_path("directories", fields.pop("id")), cast_to=DirectoryResponse,
                     options=request_options,
                     json=body("directories.update", UpdateDirectoryRequest, fields))


def _delete(id: str, *, request_options: RequestOptions | None = None) -> Operation[None]:
    """Delete an empty directory."""
    return Operation(name="directories.delete", method="DELETE",
                     path=url_path("directories", id), options=request_options)


class DirectoriesResource(SyncResource):
    """``client.directories``."""

    list = sync_call(_list)
    create = sync_call(_create)
    get = sync_call(_get)
    update = sync_call(_update)
    delete = sync_call(_delete)


class AsyncDirectoriesResource(AsyncResource):
    """``client.directories`` of ``AsyncHumanloop``."""

    list = async_call(_list)
    create = async_call(_create)
    get = async_call(_get)
    update = async_call(_update)
    delete = async_call(_delete)
