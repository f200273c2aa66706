"""Evaluations: run evaluators over a dataset against file versions, read stats and logs.
Each method is one builder, sent by both clients (see ``_shells``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from ..core._operation import Operation
from ..types import (
    CreateEvaluationRequest,
    EvaluateeRequest,
    EvaluationResponse,
    EvaluationRunResponse,
    EvaluationRunsResponse,
    EvaluationsAddEvaluatorsRequest,
    EvaluationsAddLogsToRunRequest,
    EvaluationsCreateRunRequest,
    EvaluationStats,
    EvaluationStatus,
    EvaluationsUpdateEvaluationRunRequest,
    PaginatedData_EvaluationResponse_,
    PaginatedDataEvaluationLogResponse,
    UpdateEvaluationRequest,
    UpdateEvaluationStatusRequest,
)
from ._base import AsyncResource, SyncResource, body, path, query, split
from ._shells import Pages, async_call, async_pages, sync_call, sync_pages

if TYPE_CHECKING:
    from ..core.request_options import RequestOptions
    from ..evals import EvaluationResult
    from ._params import DatasetRef, EvaluateeRefs, EvaluatorRefs, FileRef, Json

EvaluationLogs = PaginatedDataEvaluationLogResponse
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
    *, evaluators: EvaluatorRefs, dataset: DatasetRef | None = None, evaluatees: EvaluateeRefs | None = None,
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
    run_id: str | Sequence[str] | None = None, request_options: RequestOptions | None = None,
) -> Operation[EvaluationLogs]:
    """One page of the evaluation's logs (of ``run_id`` only, when given) with their judgments."""
    params = query(locals())
    url = path("evaluations", params.pop("id"), "logs")
    return _op("get_logs", "GET", url, EvaluationLogs, request_options, params=params)


def _list_runs_for_evaluation(id: str, *, request_options: RequestOptions | None = None,
                              ) -> Operation[EvaluationRunsResponse]:
    """The evaluation's runs, newest first."""
    return _op("list_runs_for_evaluation", "GET", path("evaluations", id, "runs"), EvaluationRunsResponse,
               request_options)


def _create_run(
    id: str, *, dataset: Json | None = None, version: Json | None = None,
    orchestrated: bool | None = None, use_existing_logs: bool | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[EvaluationRunResponse]:
    """A run of ``version`` on ``dataset``: made by the server when ``orchestrated`` (the
    default), else by you, logging with its ``run_id``."""
    _, fields = split(locals(), ("id",))
    return _op("create_run", "POST", path("evaluations", id, "runs"), EvaluationRunResponse, request_options,
               json=body("evaluations.create_run", EvaluationsCreateRunRequest, fields))


def _add_existing_run(id: str, run_id: str, *, request_options: RequestOptions | None = None,
                      ) -> Operation[Any]:
    """Add a run of another evaluation to this one, to compare them."""
    return _op("add_existing_run", "POST", path("evaluations", id, "runs", run_id), None, request_options)


def _remove_run(id: str, run_id: str, *, request_options: RequestOptions | None = None) -> Operation[None]:
    """Remove the run from the evaluation (its logs stay)."""
    return _op("remove_run", "DELETE", path("evaluations", id, "runs", run_id), None, request_options)


def _update_evaluation_run(
    id: str, run_id: str, *, control: bool | None = None, status: EvaluationStatus | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[EvaluationRunResponse]:
    """Make the run the control, or set it ``cancelled`` (stops it) or ``completed``."""
    _, fields = split(locals(), ("id", "run_id"))
    return _op("update_evaluation_run", "PATCH", path("evaluations", id, "runs", run_id), EvaluationRunResponse,
               request_options, json=body("evaluations.update_evaluation_run",
                                          EvaluationsUpdateEvaluationRunRequest, fields))


def _add_logs_to_run(
    id: str, run_id: str, *, log_ids: Sequence[str], request_options: RequestOptions | None = None,
) -> Operation[EvaluationRunResponse]:
    """Add existing logs to the run; the evaluation's evaluators judge them."""
    _, fields = split(locals(), ("id", "run_id"))
    return _op("add_logs_to_run", "POST", path("evaluations", id, "runs", run_id, "logs"),
               EvaluationRunResponse, request_options,
               json=body("evaluations.add_logs_to_run", EvaluationsAddLogsToRunRequest, fields))


def _add_evaluators(
    id: str, *, evaluators: Sequence[Json], request_options: RequestOptions | None = None,
) -> Operation[EvaluationResponse]:
    """Add evaluators; they judge the logs the runs already have, and later ones."""
    _, fields = split(locals(), ("id",))
    return _op("add_evaluators", "POST", path("evaluations", id, "evaluators"), EvaluationResponse,
               request_options, json=body("evaluations.add_evaluators", EvaluationsAddEvaluatorsRequest, fields))


def _remove_evaluator(id: str, evaluator_version_id: str, *, request_options: RequestOptions | None = None,
                      ) -> Operation[EvaluationResponse]:
    """Stop judging the evaluation's logs with this evaluator version."""
    return _op("remove_evaluator", "DELETE", path("evaluations", id, "evaluators", evaluator_version_id),
               EvaluationResponse, request_options)




def _update_setup(
    id: str, *, dataset: DatasetRef | None = None, evaluatees: EvaluateeRefs | None = None,
    evaluators: EvaluatorRefs | None = None, name: str | None = None, file: FileRef | None = None,
    request_options: RequestOptions | None = None,
) -> Operation[EvaluationResponse]:
    """Change the evaluation's dataset, evaluatees, evaluators, name or file."""
    _, fields = split(locals(), ())
    fields.pop("id")
    return _op("update_setup", "PATCH", path("evaluations", id), EvaluationResponse,
               request_options, json=body("evaluations.update_setup", UpdateEvaluationRequest, fields))


def _update_status(
    id: str, *, status: EvaluationStatus, request_options: RequestOptions | None = None,
) -> Operation[EvaluationResponse]:
    """Set the evaluation's status (e.g. ``completed`` once every log is in)."""
    json = body("evaluations.update_status", UpdateEvaluationStatusRequest, {"status": status})
    return _op("update_status", "PATCH", path("evaluations", id, "status"), EvaluationResponse,
               request_options, json=json)


def _pin_evaluatee(
    id: str, *, version_id: str | None = None, path: str | None = None,
    file_id: str | None = None, environment: str | None = None, batch_id: str | None = None,
    orchestrated: bool | None = None, request_options: RequestOptions | None = None,
) -> Operation[EvaluationResponse]:
    """Pin one evaluatee: the baseline the others are compared with."""
    _, fields = split(locals(), ())
    fields.pop("id")
    return _op("pin_evaluatee", "POST", _path("evaluations", id, "pin-evaluatee"),
               EvaluationResponse, request_options,
               json=body("evaluations.pin_evaluatee", EvaluateeRequest, fields))


_path = path  # _pin_evaluatee's `path` argument shadows the helper


class EvaluationsResource(SyncResource):
    """``client.evaluations``."""

    list = sync_pages(_list)
    get = sync_call(_get)
    create = sync_call(_create)
    delete = sync_call(_delete)
    get_stats = sync_call(_get_stats)
    get_logs = sync_call(_get_logs)
    list_runs_for_evaluation = sync_call(_list_runs_for_evaluation)
    create_run = sync_call(_create_run)
    add_existing_run = sync_call(_add_existing_run)
    remove_run = sync_call(_remove_run)
    update_evaluation_run = sync_call(_update_evaluation_run)
    add_logs_to_run = sync_call(_add_logs_to_run)
    add_evaluators = sync_call(_add_evaluators)
    remove_evaluator = sync_call(_remove_evaluator)
    update_setup = sync_call(_update_setup)
    update_status = sync_call(_update_status)
    pin_evaluatee = sync_call(_pin_evaluatee)

    def run(self, *, file: Mapping[str, Any], dataset: Mapping[str, Any],
            evaluators: Sequence[Mapping[str, Any]] | None = None, name: str | None = None,
            workers: int = 4, timeout: float = 600.0, progress: bool | None = None,
            stream: TextIO | None = None) -> EvaluationResult:
        """Evaluate a local function or a Humanloop file over a dataset; see
        :mod:`humanloop_core.evals`. The arguments are the official SDK's ``evaluations.run``
        ones; the result's ``passed`` says whether every threshold was reached.

        Args:
            file: ``{"path" | "id", "type": "prompt" | "flow" | "agent"}``, with ``"callable"``
                to make the logs here (called as ``callable(**inputs)``), else the server
                calls the file; ``"version"`` upserts that version first.
            dataset: ``{"path" | "id"}``, with ``"datapoints"`` to set its contents.
            evaluators: ``{"path" | "id", "threshold"?}`` for evaluators on the server;
                ``{"path", "callable", "return_type", "args_type"?, "threshold"?}`` for local ones.
            name: The evaluation's name; runs under one name are compared with each other.
            workers: Datapoints processed at once by a local ``callable``.
            timeout: Seconds to wait for the run to finish.
            progress: Show a progress bar; default: when ``stream`` is a terminal.
            stream: Where the progress bar and the summary table go; default stderr.
        """
        from ..evals._run import run

        return run(self._transport, file=file, dataset=dataset, evaluators=evaluators, name=name,
                   workers=workers, timeout=timeout, progress=progress, stream=stream)


class AsyncEvaluationsResource(AsyncResource):
    """``client.evaluations`` of ``AsyncHumanloop``."""

    list = async_pages(_list)
    get = async_call(_get)
    create = async_call(_create)
    delete = async_call(_delete)
    get_stats = async_call(_get_stats)
    get_logs = async_call(_get_logs)
    list_runs_for_evaluation = async_call(_list_runs_for_evaluation)
    create_run = async_call(_create_run)
    add_existing_run = async_call(_add_existing_run)
    remove_run = async_call(_remove_run)
    update_evaluation_run = async_call(_update_evaluation_run)
    add_logs_to_run = async_call(_add_logs_to_run)
    add_evaluators = async_call(_add_evaluators)
    remove_evaluator = async_call(_remove_evaluator)
    update_setup = async_call(_update_setup)
    update_status = async_call(_update_status)
    pin_evaluatee = async_call(_pin_evaluatee)

    async def run(self, *, file: Mapping[str, Any], dataset: Mapping[str, Any],
                  evaluators: Sequence[Mapping[str, Any]] | None = None, name: str | None = None,
                  workers: int = 4, timeout: float = 600.0, progress: bool | None = None,
                  stream: TextIO | None = None) -> EvaluationResult:
        """:meth:`EvaluationsResource.run`, awaited; ``async def`` callables are awaited on
        this loop."""
        from ..evals._run import run_async

        return await run_async(self._transport, file=file, dataset=dataset, evaluators=evaluators, name=name,
                               workers=workers, timeout=timeout, progress=progress, stream=stream)
