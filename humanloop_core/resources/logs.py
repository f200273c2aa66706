"""Logs of every file type: list, inspect and delete."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core._operation import Operation
from ..types import LogResponse, PaginatedData_LogResponse_
from ._base import AsyncResource, SyncResource, path, query

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core.request_options import RequestOptions

LogIds = str | Sequence[str]


def list_op(args: Mapping[str, Any]) -> Callable[[int], Operation[Any]]:
    """Page ``n`` of ``GET /logs`` of file ``file_id``."""
    params = query(args)
    params.pop("page", None)
    options = args.get("request_options")
    return lambda n: Operation(name="logs.list", method="GET", path="/logs",
                               cast_to=PaginatedData_LogResponse_, params={**params, "page": n},
                               options=options)


def get_op(id: str, options: RequestOptions | None) -> Operation[Any]:
    return Operation(name="logs.get", method="GET", path=path("logs", id), cast_to=LogResponse,
                     options=options)


def delete_op(id: LogIds | None, options: RequestOptions | None) -> Operation[None]:
    """``DELETE /logs?id=a&id=b``: the ids go in the query, repeated."""
    ids = [id] if isinstance(id, str) else builtins.list(id or ())
    return Operation(name="logs.delete", method="DELETE", path="/logs", params={"id": ids},
                     options=options)


class LogsResource(SyncResource):
    """``client.logs``."""

    def list(
        self, file_id: str, *, page: int | None = None, size: int | None = None,
        version_id: str | None = None, version_status: str | None = None,
        search: str | None = None, metadata_search: str | None = None,
        start_date: datetime | None = None, end_date: datetime | None = None,
        include_parent: bool | None = None, in_trace_filter: builtins.list[bool] | None = None,
        request_options: RequestOptions | None = None,
    ) -> SyncPager[LogResponse]:
        """The logs of file ``file_id``, newest first, page by page as you iterate."""
        return self._transport.paginate(list_op(locals()), page, size)

    def get(self, id: str, *, request_options: RequestOptions | None = None) -> LogResponse:
        """One log of any file type."""
        result: LogResponse = self._transport.execute(get_op(id, request_options))
        return result

    def delete(
        self, id: LogIds | None = None, *, request_options: RequestOptions | None = None,
    ) -> None:
        """Delete the log(s) with the given id(s)."""
        self._transport.execute(delete_op(id, request_options))


class AsyncLogsResource(AsyncResource):
    """``client.logs`` of ``AsyncHumanloop``."""

    async def list(
        self, file_id: str, *, page: int | None = None, size: int | None = None,
        version_id: str | None = None, version_status: str | None = None,
        search: str | None = None, metadata_search: str | None = None,
        start_date: datetime | None = None, end_date: datetime | None = None,
        include_parent: bool | None = None, in_trace_filter: builtins.list[bool] | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[LogResponse]:
        """The logs of file ``file_id``, newest first, page by page as you iterate."""
        return await self._transport.paginate(list_op(locals()), page, size)

    async def get(self, id: str, *, request_options: RequestOptions | None = None) -> LogResponse:
        """One log of any file type."""
        result: LogResponse = await self._transport.execute(get_op(id, request_options))
        return result

    async def delete(
        self, id: LogIds | None = None, *, request_options: RequestOptions | None = None,
    ) -> None:
        """Delete the log(s) with the given id(s)."""
        await self._transport.execute(delete_op(id, request_options))
