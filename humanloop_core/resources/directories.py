"""Directories: the folder tree files live in."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core._operation import Operation
from ..types import (
    CreateDirectoryRequest,
    DirectoryResponse,
    DirectoryWithParentsAndChildrenResponse,
    UpdateDirectoryRequest,
)
from ._base import AsyncResource, SyncResource, body, path, split

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions

Directories = builtins.list[DirectoryResponse]
Directory = DirectoryWithParentsAndChildrenResponse


def list_op(options: RequestOptions | None) -> Operation[Directories]:
    return Operation(name="directories.list", method="GET", path="/directories",
                     cast_to=Directories, options=options)


def create_op(args: Mapping[str, Any]) -> Operation[DirectoryResponse]:
    _, fields = split(args, ())
    return Operation(name="directories.create", method="POST", path="/directories",
                     cast_to=DirectoryResponse, options=args.get("request_options"),
                     json=body("directories.create", CreateDirectoryRequest, fields))


def get_op(id: str, options: RequestOptions | None) -> Operation[Directory]:
    return Operation(name="directories.get", method="GET", path=path("directories", id),
                     cast_to=Directory, options=options)


def update_op(args: Mapping[str, Any]) -> Operation[DirectoryResponse]:
    _, fields = split(args, ())
    return Operation(name="directories.update", method="PATCH",
                     path=path("directories", fields.pop("id")), cast_to=DirectoryResponse,
                     options=args.get("request_options"),
                     json=body("directories.update", UpdateDirectoryRequest, fields))


def delete_op(id: str, options: RequestOptions | None) -> Operation[None]:
    return Operation(name="directories.delete", method="DELETE", path=path("directories", id),
                     options=options)


class DirectoriesResource(SyncResource):
    """``client.directories``."""

    def list(self, *, request_options: RequestOptions | None = None) -> Directories:
        """Every directory."""
        return self._transport.execute(list_op(request_options))

    def create(
        self, *, name: str | None = None, parent_id: str | None = None, path: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> DirectoryResponse:
        """Create a directory, by ``path`` or by ``name`` under ``parent_id``."""
        return self._transport.execute(create_op(locals()))

    def get(self, id: str, *, request_options: RequestOptions | None = None) -> Directory:
        """A directory with its parents, subdirectories and files."""
        return self._transport.execute(get_op(id, request_options))

    def update(
        self, id: str, *, name: str | None = None, parent_id: str | None = None,
        path: str | None = None, request_options: RequestOptions | None = None,
    ) -> DirectoryResponse:
        """Rename or move a directory."""
        return self._transport.execute(update_op(locals()))

    def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete an empty directory."""
        self._transport.execute(delete_op(id, request_options))


class AsyncDirectoriesResource(AsyncResource):
    """``client.directories`` of ``AsyncHumanloop``."""

    async def list(self, *, request_options: RequestOptions | None = None) -> Directories:
        """Every directory."""
        return await self._transport.execute(list_op(request_options))

    async def create(
        self, *, name: str | None = None, parent_id: str | None = None, path: str | None = None,
        request_options: RequestOptions | None = None,
    ) -> DirectoryResponse:
        """Create a directory, by ``path`` or by ``name`` under ``parent_id``."""
        return await self._transport.execute(create_op(locals()))

    async def get(self, id: str, *, request_options: RequestOptions | None = None) -> Directory:
        """A directory with its parents, subdirectories and files."""
        return await self._transport.execute(get_op(id, request_options))

    async def update(
        self, id: str, *, name: str | None = None, parent_id: str | None = None,
        path: str | None = None, request_options: RequestOptions | None = None,
    ) -> DirectoryResponse:
        """Rename or move a directory."""
        return await self._transport.execute(update_op(locals()))

    async def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete an empty directory."""
        await self._transport.execute(delete_op(id, request_options))
