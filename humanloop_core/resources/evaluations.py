"""Evaluations: run evaluators over a dataset against file versions, read stats and logs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

if TYPE_CHECKING:
    from ..core._pagination import AsyncPager, SyncPager
    from ..core.request_options import RequestOptions
    from ._params import DatasetRef, EvaluateeRefs, EvaluatorRefs, FileRef

EvaluationLogs = PaginatedData_EvaluationReportLogResponse_
T = TypeVar("T")


def _op(name: str, method: str, url: str, cast_to: Any, options: RequestOptions | None,
        **rest: Any) -> Operation[Any]:
    return Operation(name=f"evaluations.{name}", method=method, path=url, cast_to=cast_to,
                     options=options, **rest)


def list_op(args: Mapping[str, Any]) -> Callable[[int], Operation[Any]]:
    """Page ``n`` of ``GET /evaluations`` of file ``file_id``."""
    params = query(args)
    params.pop("page", None)
    options = args.get("request_options")
    return lambda n: _op("list", "GET", "/evaluations", PaginatedData_EvaluationResponse_,
                         options, params={**params, "page": n})


def create_op(args: Mapping[str, Any]) -> Operation[EvaluationResponse]:
    _, fields = split(args, ())
    return _op("create", "POST", "/evaluations", EvaluationResponse, args.get("request_options"),
               json=body("evaluations.create", CreateEvaluationRequest, fields))


def by_id_op(name: str, method: str, id: str, cast_to: type[T] | None,
             options: RequestOptions | None, *tail: str) -> Operation[T]:
    """get / delete / get_stats: one evaluation, optionally a sub-resource of it."""
    return _op(name, method, path("evaluations", id, *tail), cast_to, options)


def get_logs_op(args: Mapping[str, Any]) -> Operation[EvaluationLogs]:
    params = query(args)
    url = path("evaluations", params.pop("id"), "logs")
    return _op("get_logs", "GET", url, EvaluationLogs, args.get("request_options"), params=params)


class EvaluationsResource(SyncResource):
    """``client.evaluations``."""

    def list(
        self, file_id: str, *, page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> SyncPager[EvaluationResponse]:
        """The evaluations of file ``file_id``, page by page as you iterate."""
        return self._transport.paginate(list_op(locals()), page, size)

    def get(self, id: str, *, request_options: RequestOptions | None = None) -> EvaluationResponse:
        """One evaluation."""
        return self._transport.execute(
            by_id_op("get", "GET", id, EvaluationResponse, request_options)
        )

    def create(
        self, *, dataset: DatasetRef, evaluators: EvaluatorRefs,
        evaluatees: EvaluateeRefs | None = None, name: str | None = None,
        file: FileRef | None = None, request_options: RequestOptions | None = None,
    ) -> EvaluationResponse:
        """Create an evaluation of ``evaluatees`` on ``dataset`` judged by ``evaluators``."""
        return self._transport.execute(create_op(locals()))

    def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete the evaluation."""
        self._transport.execute(by_id_op("delete", "DELETE", id, None, request_options))

    def get_stats(
        self, id: str, *, request_options: RequestOptions | None = None,
    ) -> EvaluationStats:
        """Progress and per-version aggregate statistics."""
        return self._transport.execute(
            by_id_op("get_stats", "GET", id, EvaluationStats, request_options, "stats")
        )

    def get_logs(
        self, id: str, *, page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> EvaluationLogs:
        """One page of the evaluation's logs with their judgments."""
        return self._transport.execute(get_logs_op(locals()))


class AsyncEvaluationsResource(AsyncResource):
    """``client.evaluations`` of ``AsyncHumanloop``."""

    async def list(
        self, file_id: str, *, page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> AsyncPager[EvaluationResponse]:
        """The evaluations of file ``file_id``, page by page as you iterate."""
        return await self._transport.paginate(list_op(locals()), page, size)

    async def get(
        self, id: str, *, request_options: RequestOptions | None = None,
    ) -> EvaluationResponse:
        """One evaluation."""
        return await self._transport.execute(
            by_id_op("get", "GET", id, EvaluationResponse, request_options)
        )

    async def create(
        self, *, dataset: DatasetRef, evaluators: EvaluatorRefs,
        evaluatees: EvaluateeRefs | None = None, name: str | None = None,
        file: FileRef | None = None, request_options: RequestOptions | None = None,
    ) -> EvaluationResponse:
        """Create an evaluation of ``evaluatees`` on ``dataset`` judged by ``evaluators``."""
        return await self._transport.execute(create_op(locals()))

    async def delete(self, id: str, *, request_options: RequestOptions | None = None) -> None:
        """Delete the evaluation."""
        await self._transport.execute(by_id_op("delete", "DELETE", id, None, request_options))

    async def get_stats(
        self, id: str, *, request_options: RequestOptions | None = None,
    ) -> EvaluationStats:
        """Progress and per-version aggregate statistics."""
        return await self._transport.execute(
            by_id_op("get_stats", "GET", id, EvaluationStats, request_options, "stats")
        )

    async def get_logs(
        self, id: str, *, page: int | None = None, size: int | None = None,
        request_options: RequestOptions | None = None,
    ) -> EvaluationLogs:
        """One page of the evaluation's logs with their judgments."""
        return await self._transport.execute(get_logs_op(locals()))
