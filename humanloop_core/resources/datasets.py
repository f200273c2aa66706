"""Datasets: versioned collections of datapoints. Shared file operations come from
``_files``; the methods below are builders sent by both clients (see ``_shells``)."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Literal

from ..core._operation import Operation
from ..types import (
    DatapointResponse,
    DatasetRequest,
    DatasetResponse,
    ListDatasets,
    PaginatedData_DatapointResponse_,
    PaginatedData_DatasetResponse_,
    UpdateDatasetRequest,
)
from ._base import path, query
from ._files import AsyncFileResource, FileKind, SyncFileResource, get_op, upsert_op
from ._shells import Pages, async_call, async_pages, sync_call, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import Datapoints, Json

KIND = FileKind("datasets", DatasetResponse, PaginatedData_DatasetResponse_, ListDatasets,
                UpdateDatasetRequest, aggregates=False)
Action = Literal["set", "add", "remove"]


def _get(
    id: str, *, version_id: str | None = None, environment: str | None = None,
    include_datapoints: bool | None = None, request_options: RequestOptions | None = None,
) -> Operation[DatasetResponse]:
    """Retrieve the dataset; ``include_datapoints`` adds the version's datapoints."""
    op = get_op(KIND, id, version_id=version_id, environment=environment,
                request_options=request_options)
    params = {**(op.params or {}), "include_datapoints": include_datapoints}
    return Operation(name=op.name, method=op.method, path=op.path, cast_to=op.cast_to,
                     params=params, options=op.options)


def _upsert(
    *, datapoints: Datapoints, version_id: str | None = None, environment: str | None = None,
    path: str | None = None, id: str | None = None, action: Action | None = None,
    attributes: Json | None = None, version_name: str | None = None, version_description: str | None = None,
    commit_message: str | None = None, include_datapoints: bool | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[DatasetResponse]:
    """Create the dataset or a new version: ``action`` sets, adds or removes datapoints
    relative to ``version_id``/``environment`` (default: the latest version)."""
    return upsert_op(KIND, DatasetRequest, locals(),
                     ("version_id", "environment", "include_datapoints"))


def _list_datapoints(
    id: str, *, version_id: str | None = None, environment: str | None = None,
    page: int | None = None, size: int | None = None,
    request_options: RequestOptions | None = None,
) -> Pages[DatapointResponse]:
    """The datapoints of a version, page by page as you iterate."""
    params = query(locals())
    url = path("datasets", params.pop("id"), "datapoints")
    params.pop("page", None)
    return Pages(lambda n: Operation(name="datasets.list_datapoints", method="GET", path=url,
                                     cast_to=PaginatedData_DatapointResponse_,
                                     params={**params, "page": n}, options=request_options),
                 page, size)


def _upload_csv(
    id: str, *, file: bytes | tuple[str, bytes] | IO[bytes], version_id: str | None = None,
    environment: str | None = None, version_name: str | None = None,
    version_description: str | None = None, request_options: RequestOptions | None = None,
) -> Operation[DatasetResponse]:
    """Add the CSV's rows as datapoints in a new version (columns are inputs, except
    ``messages`` and ``target`` as JSON)."""
    form = {k: v for k, v in (("version_name", version_name),
                              ("version_description", version_description)) if v is not None}
    upload = file if isinstance(file, tuple) else ("datapoints.csv", file)
    return Operation(name="datasets.upload_csv", method="POST",
                     path=path("datasets", id, "datapoints", "csv"), cast_to=DatasetResponse,
                     params={"version_id": version_id, "environment": environment},
                     files={"file": upload}, form=form, options=request_options)


class DatasetsResource(SyncFileResource[DatasetResponse, ListDatasets]):
    """``client.datasets``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_dataset_version = SyncFileResource.update_version
    delete_dataset_version = SyncFileResource.delete_version
    get = sync_call(_get)  # the shared get, plus include_datapoints
    upsert = sync_call(_upsert)
    upload_csv = sync_call(_upload_csv)
    list_datapoints = sync_pages(_list_datapoints)


class AsyncDatasetsResource(AsyncFileResource[DatasetResponse, ListDatasets]):
    """``client.datasets`` of ``AsyncHumanloop``."""

    _kind = KIND
    # The official SDK's names for the shared version operations.
    update_dataset_version = AsyncFileResource.update_version
    delete_dataset_version = AsyncFileResource.delete_version
    get = async_call(_get)  # the shared get, plus include_datapoints
    upsert = async_call(_upsert)
    upload_csv = async_call(_upload_csv)
    list_datapoints = async_pages(_list_datapoints)
