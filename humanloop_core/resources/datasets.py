"""Datasets: versioned collections of datapoints. Shared file operations come from
``_files``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

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

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core.request_options import RequestOptions
    from ._params import Datapoints, Json

KIND = FileKind("datasets", DatasetResponse, PaginatedData_DatasetResponse_, ListDatasets,
                UpdateDatasetRequest, aggregates=False)
_VERSION = ("version_id", "environment")
Action = Literal["set", "add", "remove"]


def get_dataset_op(args: Mapping[str, Any]) -> Operation[DatasetResponse]:
    """``GET /datasets/{id}``, optionally with the version's datapoints."""
    op = get_op(KIND, args["id"], args["version_id"], args["environment"], args["request_options"])
    params = {**(op.params or {}), "include_datapoints": args["include_datapoints"]}
    return Operation(name=op.name, method=op.method, path=op.path, cast_to=op.cast_to,
                     params=params, options=op.options)


def list_datapoints_op(args: Mapping[str, Any]) -> Callable[[int], Operation[Any]]:
    """Page ``n`` of ``GET /datasets/{id}/datapoints``."""
    params = query(args)
    url = path("datasets", params.pop("id"), "datapoints")
    params.pop("page", None)
    options = args.get("request_options")
    return lambda n: Operation(name="datasets.list_datapoints", method="GET", path=url,
                               cast_to=PaginatedData_DatapointResponse_,
                               params={**params, "page": n}, options=options)


class DatasetsResource(SyncFileResource[DatasetResponse, ListDatasets]):
    """``client.datasets``."""

    _kind = KIND

    def get(
        self, id: str, *, version_id: str | None = None, environment: str | None = None,
        include_datapoints: bool | None = None, request_options: RequestOptions | None = None,
    ) -> DatasetResponse:
        """Retrieve the dataset; ``include_datapoints`` adds the version's datapoints."""
        return self._transport.execute(get_dataset_op(locals()))

    def upsert(
        self, *, datapoints: Datapoints, version_id: str | None = None,
        environment: str | None = None, path: str | None = None, id: str | None = None,
        action: Action | None = None, attributes: Json | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> DatasetResponse:
        """Create the dataset or a new version: ``action`` sets, adds or removes datapoints
        relative to ``version_id``/``environment`` (default: the latest version)."""
        return self._transport.execute(upsert_op(KIND, DatasetRequest, locals(), _VERSION))

    def list_datapoints(
        self, id: str, *, version_id: str | None = None, environment: str | None = None,
        page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> SyncPager[DatapointResponse]:
        """The datapoints of a version, page by page as you iterate."""
        return self._transport.paginate(list_datapoints_op(locals()), page, size)


class AsyncDatasetsResource(AsyncFileResource[DatasetResponse, ListDatasets]):
    """``client.datasets`` of ``AsyncHumanloop``."""

    _kind = KIND

    async def get(
        self, id: str, *, version_id: str | None = None, environment: str | None = None,
        include_datapoints: bool | None = None, request_options: RequestOptions | None = None,
    ) -> DatasetResponse:
        """Retrieve the dataset; ``include_datapoints`` adds the version's datapoints."""
        return await self._transport.execute(get_dataset_op(locals()))

    async def upsert(
        self, *, datapoints: Datapoints, version_id: str | None = None,
        environment: str | None = None, path: str | None = None, id: str | None = None,
        action: Action | None = None, attributes: Json | None = None,
        commit_message: str | None = None, request_options: RequestOptions | None = None,
    ) -> DatasetResponse:
        """Create the dataset or a new version: ``action`` sets, adds or removes datapoints
        relative to ``version_id``/``environment`` (default: the latest version)."""
        return await self._transport.execute(upsert_op(KIND, DatasetRequest, locals(), _VERSION))

    async def list_datapoints(
        self, id: str, *, version_id: str | None = None, environment: str | None = None,
        page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[DatapointResponse]:
        """The datapoints of a version, page by page as you iterate (``async for``)."""
        return await self._transport.paginate(list_datapoints_op(locals()), page, size)
