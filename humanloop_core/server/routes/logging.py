"""Creating, updating, reading and calling: prompts.call, the ``/log`` operations of each
kind and the ``/logs`` collection."""

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from humanloop_core import types as t

from .. import calls, files, logs
from ..providers import ProviderRegistry
from ..serving import Draining
from ..store import Store
from .common import DB, Page, Size, no_content, ok, page_of

router = APIRouter()
KINDS = files.KINDS


@router.post("/prompts/call", tags=["prompts"], summary="Call a Prompt",
             responses={200: {"model": t.PromptCallResponse,
                              "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/PromptCallStreamResponse"}}}}})
async def call_prompt(*, body: t.PromptCallRequest, version_id: str | None = None,
                      environment: str | None = None, request: Request) -> Any:
    # The app's parts read from its state directly: the hottest route skips solving three
    # dependencies per request (the same objects ``DB``/``Providers``/``Drain`` give).
    state = request.app.state
    db: Store = state.store
    registry: ProviderRegistry = state.providers
    draining: Draining = state.draining
    # Both kinds of call write their log on the way out, even when cancelled at shutdown.
    draining.add_current()
    plan = await calls.prepare_off_loop(db, body, version_id, environment)
    if body.stream:
        return StreamingResponse(draining.track(calls.stream(db, registry, plan)), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return ok(await calls.call(db, registry, plan))


@router.post("/prompts/log", tags=["prompts"], summary="Log to a Prompt",
             responses={200: {"model": t.CreatePromptLogResponse}})
def log_prompt(*, body: t.PromptLogRequest, version_id: str | None = None,
               environment: str | None = None, db: DB) -> Any:
    file, version, log_id, _ = logs.log_request(db, "prompt", body, "prompt", version_id, environment)
    return ok({"id": log_id, "prompt_id": file["id"], "version_id": version["id"]})


@router.post("/tools/log", tags=["tools"], summary="Log to a Tool",
             responses={200: {"model": t.CreateToolLogResponse}})
def log_tool(*, body: t.ToolLogRequest, version_id: str | None = None,
             environment: str | None = None, db: DB) -> Any:
    file, version, log_id, _ = logs.log_request(db, "tool", body, "tool", version_id, environment)
    return ok({"id": log_id, "tool_id": file["id"], "version_id": version["id"]})


@router.post("/flows/log", tags=["flows"], summary="Log to a Flow",
             responses={200: {"model": t.CreateFlowLogResponse}})
def log_flow(*, body: t.FlowLogRequest, version_id: str | None = None,
             environment: str | None = None, db: DB) -> Any:
    file, version, log_id, fields = logs.log_request(
        db, "flow", body, "flow", version_id, environment, {"trace_status": "incomplete"}, log_id=body.log_id)
    return ok({"id": log_id, "flow_id": file["id"], "version_id": version["id"],
               "trace_status": fields["trace_status"]})


@router.post("/evaluators/log", tags=["evaluators"], summary="Log an Evaluator judgment",
             responses={200: {"model": t.CreateEvaluatorLogResponse}})
def log_evaluator(*, body: t.CreateEvaluatorLogRequest, version_id: str | None = None,
                  environment: str | None = None, db: DB) -> Any:
    version, log_id = logs.log_evaluator(db, body, version_id, environment)
    return ok({"id": log_id, "parent_id": body.parent_id, "version_id": version["id"]})


def _update(db: Store, log_id: str, kind_type: str, file_id: str | None, body: Any) -> Any:
    # exclude_unset: a field the caller sent as null is cleared, one it left out is kept.
    return ok(logs.update_log(db, log_id, kind_type, file_id, body.model_dump(mode="json", exclude_unset=True)))


@router.patch("/prompts/{id}/log/{log_id}", tags=["prompts"], summary="Update a Prompt Log",
              responses={200: {"model": t.PromptLogResponse}})
def update_prompt_log(*, id: str, log_id: str, body: t.PromptLogUpdateRequest, db: DB) -> Any:
    return _update(db, log_id, "prompt", id, body)


@router.patch("/tools/{id}/log/{log_id}", tags=["tools"], summary="Update a Tool Log",
              responses={200: {"model": t.ToolLogResponse}})
def update_tool_log(*, id: str, log_id: str, body: t.ToolLogUpdateRequest, db: DB) -> Any:
    return _update(db, log_id, "tool", id, body)


@router.patch("/flows/logs/{log_id}", tags=["flows"], summary="Update a Flow Log (trace)",
              responses={200: {"model": t.FlowLogResponse}})
def update_flow_log(*, log_id: str, body: t.UpdateTraceRequest, db: DB) -> Any:
    return _update(db, log_id, "flow", None, body)


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(timezone.utc).isoformat()


@router.get("/logs", tags=["logs"], summary="List Logs",
            responses={200: {"model": t.PaginatedData_LogResponse_}})
def list_logs(*, file_id: str, page: Page = 1, size: Size = 10, version_id: str | None = None,
              version_status: t.VersionStatus | None = None, search: str | None = None,
              metadata_search: str | None = None, start_date: datetime | None = None,
              end_date: datetime | None = None, include_parent: bool = False,
              in_trace_filter: Annotated[list[bool] | None, Query()] = None, db: DB) -> Any:
    in_trace = in_trace_filter[0] if in_trace_filter and len(set(in_trace_filter)) == 1 else None
    where = {"file_id": file_id, "version_id": version_id, "search": search, "metadata": metadata_search,
             "start": _utc(start_date), "end": _utc(end_date), "in_trace": in_trace}
    records, total = logs.list_page(db, where, page, size, include_parent, version_status)
    return ok(page_of(records, page, size, total))


@router.get("/logs/{id}", tags=["logs"], summary="Get a Log", responses={200: {"model": t.LogResponse}})
def get_log(*, id: str, db: DB) -> Any:
    return ok(logs.get_log(db, id))


@router.delete("/logs", tags=["logs"], status_code=204, response_class=Response, response_model=None,
                summary="Delete Logs")
def delete_logs(*, id: Annotated[list[str], Query()], db: DB) -> Any:
    logs.delete(db, id)
    return no_content()
