"""Evaluations: create, read, update, delete, status, stats and the report's logs."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from humanloop_core import types as t

from .. import evalstats, evaluations, runs
from .common import DB, Page, Size, no_content, ok, page_of

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


@router.get("", summary="List Evaluations of a File",
            responses={200: {"model": t.PaginatedData_EvaluationResponse_}})
def list_evaluations(*, file_id: str, page: Page = 1, size: Size = 10, db: DB) -> Any:
    records, total = evaluations.list_page(db, file_id, page, size)
    return ok(page_of(records, page, size, total))


@router.post("", status_code=201, summary="Create an Evaluation",
             responses={201: {"model": t.EvaluationResponse}})
def create_evaluation(*, body: evaluations.CreateEvaluationBody, db: DB) -> Any:
    return ok(evaluations.create(db, body), 201)


@router.get("/{id}", summary="Get an Evaluation", responses={200: {"model": t.EvaluationResponse}})
def get_evaluation(*, id: str, db: DB) -> Any:
    return ok(evaluations.render(db, evaluations.get(db, id)))


@router.delete("/{id}", status_code=204, response_class=Response, response_model=None,
               summary="Delete an Evaluation")
def delete_evaluation(*, id: str, db: DB) -> Any:
    evaluations.delete(db, id)
    return no_content()


@router.patch("/{id}", summary="Update an Evaluation's setup", responses={200: {"model": t.EvaluationResponse}})
def update_evaluation(*, id: str, body: t.UpdateEvaluationRequest, db: DB) -> Any:
    return ok(evaluations.update(db, id, body))


@router.patch("/{id}/status", summary="Set an Evaluation's status", responses={200: {"model": t.EvaluationResponse}})
def update_status(*, id: str, body: t.UpdateEvaluationStatusRequest, db: DB) -> Any:
    return ok(evaluations.update(db, id, {"status": body.status}))


@router.get("/{id}/stats", summary="Evaluation statistics", responses={200: {"model": t.EvaluationStats}})
def get_stats(*, id: str, db: DB) -> Any:
    return ok(evalstats.stats(db, id))


@router.get("/{id}/logs", summary="Logs of an Evaluation",
            responses={200: {"model": t.PaginatedData_EvaluationReportLogResponse_}})
def get_logs(*, id: str, page: Page = 1, size: Size = 10,
             run_id: Annotated[list[str] | None, Query()] = None, db: DB) -> Any:
    records, total = runs.logs_page(db, id, page, size, run_id)
    return ok(page_of(records, page, size, total))


def _worker(request: Request) -> Any:
    return request.app.state.worker


def _woken(request: Request, answer: Any) -> Any:
    """``answer``, once the worker is told that it has new work (logs or evaluators to run):
    without it the work would wait for the worker's next poll."""
    _worker(request).wake()
    return ok(answer)


@router.get("/{id}/runs", summary="List the Runs of an Evaluation")
def list_runs(*, id: str, db: DB) -> Any:
    return ok(runs.list_runs(db, id))


@router.post("/{id}/runs", summary="Create a Run")
def create_run(*, id: str, body: runs.CreateRunBody, request: Request, db: DB) -> Any:
    return _woken(request, runs.create(db, id, body))


@router.post("/{id}/runs/{run_id}", summary="Add an existing Run to an Evaluation")
def add_existing_run(*, id: str, run_id: str, db: DB) -> Any:
    return ok(runs.add_existing(db, id, run_id))


@router.delete("/{id}/runs/{run_id}", status_code=204, response_class=Response, response_model=None,
               summary="Remove a Run from an Evaluation")
def remove_run(*, id: str, run_id: str, db: DB) -> Any:
    runs.remove(db, id, run_id)
    return no_content()


@router.patch("/{id}/runs/{run_id}", summary="Update a Run (control, cancel, complete)")
def update_run(*, id: str, run_id: str, body: runs.UpdateRunBody, request: Request, db: DB) -> Any:
    updated = runs.update(db, id, run_id, body)
    if body.status == "cancelled":
        _worker(request).cancel_run(run_id)
    return ok(updated)


@router.post("/{id}/runs/{run_id}/logs", summary="Add Logs to a Run")
def add_logs_to_run(*, id: str, run_id: str, body: runs.AddLogsBody, request: Request, db: DB) -> Any:
    return _woken(request, runs.add_logs(db, id, run_id, body))


@router.post("/{id}/evaluators", summary="Add Evaluators to an Evaluation")
def add_evaluators(*, id: str, body: runs.AddEvaluatorsBody, request: Request, db: DB) -> Any:
    return _woken(request, runs.add_evaluators(db, id, body))


@router.delete("/{id}/evaluators/{evaluator_version_id}", summary="Remove an Evaluator from an Evaluation")
def remove_evaluator(*, id: str, evaluator_version_id: str, db: DB) -> Any:
    return ok(runs.remove_evaluator(db, id, evaluator_version_id))


@router.post("/{id}/pin-evaluatee", summary="Pin an evaluatee", responses={200: {"model": t.EvaluationResponse}})
def pin_evaluatee(*, id: str, body: t.EvaluateeRequest, db: DB) -> Any:
    return ok(evaluations.pin(db, id, body))
