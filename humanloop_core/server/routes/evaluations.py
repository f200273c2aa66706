"""Evaluations: create, read, update, delete, status, stats and the report's logs."""

from typing import Any

from fastapi import APIRouter, Response

from humanloop_core import types as t

from .. import evaluations
from .common import DB, Page, Size, no_content, ok, page_of

router = APIRouter(prefix="/evaluations", tags=["evaluations"])


@router.get("", summary="List Evaluations of a File",
            responses={200: {"model": t.PaginatedData_EvaluationResponse_}})
def list_evaluations(*, file_id: str, page: Page = 1, size: Size = 10, db: DB) -> Any:
    rows, total = db.list_evaluations(file_id, page, size)
    return ok(page_of([evaluations.render(db, r) for r in rows], page, size, total))


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
    evaluations.get(db, id)
    db.delete_evaluation(id)
    return no_content()


@router.patch("/{id}", summary="Update an Evaluation's setup", responses={200: {"model": t.EvaluationResponse}})
def update_evaluation(*, id: str, body: t.UpdateEvaluationRequest, db: DB) -> Any:
    return ok(evaluations.update(db, id, body))


@router.patch("/{id}/status", summary="Set an Evaluation's status", responses={200: {"model": t.EvaluationResponse}})
def update_status(*, id: str, body: t.UpdateEvaluationStatusRequest, db: DB) -> Any:
    return ok(evaluations.update(db, id, {"status": body.status}))


@router.get("/{id}/stats", summary="Evaluation statistics", responses={200: {"model": t.EvaluationStats}})
def get_stats(*, id: str, db: DB) -> Any:
    return ok(evaluations.stats(db, id))


@router.get("/{id}/logs", summary="Logs of an Evaluation",
            responses={200: {"model": t.PaginatedData_EvaluationReportLogResponse_}})
def get_logs(*, id: str, page: Page = 1, size: Size = 10, db: DB) -> Any:
    records, total = evaluations.report_logs(db, id, page, size)
    return ok(page_of(records, page, size, total))


@router.post("/{id}/pin-evaluatee", summary="Pin an evaluatee", responses={200: {"model": t.EvaluationResponse}})
def pin_evaluatee(*, id: str, body: t.EvaluateeRequest, db: DB) -> Any:
    return ok(evaluations.pin(db, id, body))
