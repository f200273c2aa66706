"""Evaluations: run evaluators over a dataset against file versions, read stats and logs.
Each method is one builder, sent by both clients (see ``_shells``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..core._operation import Operation
from ..types import (
    CreateEvaluationRequest,
    EvaluationResponse,
    EvaluationStats,
    PaginatedData_EvaluationReportLogResponse_,
    PaginatedData_EvaluationResponse_,
)
from ._base import AsyncResource, SyncResource, body, path, query, split
from ._shells import Pages, async_call, async_pages, sync_call, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ._params import DatasetRef, EvaluateeRefs, EvaluatorRefs, FileRef

EvaluationLogs = PaginatedData_EvaluationReportLogResponse_
T = TypeVar("T")


def _op(name: str, method: str, url: str, cast_to: type[T] | None,
        options: RequestOptions | None, **rest: Any) -> Operation[T]:
    return Operation(name=f"evaluations.{name}", method=method, path=url, cast_to=cast_to,
                     options=options, **rest)


def _list(
    file_id: str, *, page: int | None = None, size: int | None = None,
    request_options: RequestOptions | None = None,
) -> Pages[EvaluationResponse]:
    """The evaluations of file ``file_id``, page by page as you iterate."""
    params = query(locals())
    params.pop("page", None)
    return Pages(lambda n: _op("list", "GET", "/evaluations", PaginatedData_EvaluationResponse_,
                               request_options, params={**params, "page": n}), page, size)


def _get(id: str, *, request_options: RequestOptions | None = None) -> Operation[EvaluationResponse]:
    """One evaluation."""
    return _op("get", "GET", path("evaluations", id), EvaluationResponse, request_options)


def _create(
    *, dataset: DatasetRef, evaluators: EvaluatorRefs, evaluatees: EvaluateeRefs | None = None,
    name: str | None = None, file: FileRef | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[EvaluationResponse]:
    """Create an evaluation of ``evaluatees`` on ``dataset`` judged by ``evaluators``."""
    _, fields = split(locals(), ())
    return _op("create", "POST", "/evaluations", EvaluationResponse, request_options,
               json=body("evaluations.create", CreateEvaluationRequest, fields))


def _delete(id: str, *, request_options: RequestOptions | None = None) -> Operation[None]:
    """Delete the evaluation."""
    return _op("delete", "DELETE", path("evaluations", id), None, request_options)


def _get_stats(
    id: str, *, request_options: RequestOptions | None = None,
) -> Operation[EvaluationStats]:
    """Progress and per-version aggregate statistics."""
    return _op("get_stats", "GET", path("evaluations", id, "stats"), EvaluationStats,
               request_options)


def _get_logs(
    id: str, *, page: int | None = None, size: int | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[EvaluationLogs]:
    """One page of the evaluation's logs with their judgments."""
    params = query(locals())
    url = path("evaluations", params.pop("id"), "logs")
    return _op("get_logs", "GET", url, EvaluationLogs, request_options, params=params)


class EvaluationsResource(SyncResource):
    """``client.evaluations``."""

    list = sync_pages(_list)
    get = sync_call(_get)
    create = sync_call(_create)
    delete = sync_call(_delete)
    get_stats = sync_call(_get_stats)
    get_logs = sync_call(_get_logs)


class AsyncEvaluationsResource(AsyncResource):
    """``client.evaluations`` of ``AsyncHumanloop``."""

    list = async_pages(_list)
    get = async_call(_get)
    create = async_call(_create)
    delete = async_call(_delete)
    get_stats = async_call(_get_stats)
    get_logs = async_call(_get_logs)
