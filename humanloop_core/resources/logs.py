"""Logs of every file type: list, inspect and delete. Each method is one builder, sent by
both clients (see ``_shells``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..core._operation import Operation
from ..types import LogResponse, PaginatedData_LogResponse_
from ._base import AsyncResource, SyncResource, path, query
from ._shells import Pages, async_call, async_pages, sync_call, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions

LogIds = str | Sequence[str]


def _list(
    file_id: str, *, page: int | None = None, size: int | None = None,
    version_id: str | None = None, version_status: str | None = None,
    search: str | None = None, metadata_search: str | None = None,
    start_date: datetime | None = None, end_date: datetime | None = None,
    include_parent: bool | None = None, in_trace_filter: list[bool] | None = None,
    id: list[str] | None = None, sample: int | None = None,
    include_trace_children: bool | None = None,
    request_options: RequestOptions | None = None,
) -> Pages[LogResponse]:
    """The logs of file ``file_id``, newest first, page by page as you iterate."""
    params = query(locals())
    params.pop("page", None)
    return Pages(lambda n: Operation(name="logs.list", method="GET", path="/logs",
                                     cast_to=PaginatedData_LogResponse_,
                                     params={**params, "page": n}, options=request_options),
                 page, size)


def _get(id: str, *, request_options: RequestOptions | None = None) -> Operation[LogResponse]:
    """One log of any file type."""
    return Operation(name="logs.get", method="GET", path=path("logs", id), cast_to=LogResponse,
                     options=request_options)


def _delete(
    id: LogIds | None = None, *, request_options: RequestOptions | None = None,
) -> Operation[None]:
    """Delete the log(s) with the given id(s) (``DELETE /logs?id=a&id=b``)."""
    ids = [id] if isinstance(id, str) else list(id or ())
    return Operation(name="logs.delete", method="DELETE", path="/logs", params={"id": ids},
                     options=request_options)


class LogsResource(SyncResource):
    """``client.logs``."""

    list = sync_pages(_list)
    get = sync_call(_get)
    delete = sync_call(_delete)


class AsyncLogsResource(AsyncResource):
    """``client.logs`` of ``AsyncHumanloop``."""

    list = async_pages(_list)
    get = async_call(_get)
    delete = async_call(_delete)
