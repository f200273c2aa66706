"""Operations the official SDK 0.8.38 adds beyond the shared file routes: agent logs and
calls, ``.prompt``/``.agent`` serialisation, ``populate``, tool environment variables and
dataset CSV upload. HTTP only: each calls a service."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from humanloop_core import types as t

from .. import agents, datasets, extras, files, logs
from ..errors import invalid
from .common import DB, Providers, off_loop, ok

router = APIRouter()
AGENT = files.KINDS["agent"]
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _sandbox(request: Request) -> Any:
    return request.app.state.worker.rt.sandbox


@router.post("/agents/log", tags=["agents"], summary="Log to an Agent",
             responses={200: {"model": t.CreateAgentLogResponse}})
def log_agent(*, body: t.AgentsLogRequest, version_id: str | None = None,
              environment: str | None = None, db: DB) -> Any:
    # A log sent without a status is complete (monitors judge it at once); the answer says
    # so rather than null, which the contract refuses.
    file, version, log_id, fields = logs.log_request(
        db, "agent", agents._kernel_of(body), "agent", version_id, environment,
        defaults={"log_status": "complete"}, log_id=body.log_id)
    return ok({"id": log_id, "agent_id": file["id"], "version_id": version["id"],
               "log_status": fields["log_status"]})


@router.patch("/agents/{id}/log/{log_id}", tags=["agents"], summary="Update an Agent Log",
              responses={200: {"model": t.AgentLogResponse}})
def update_agent_log(*, id: str, log_id: str, body: t.AgentsUpdateLogRequest, db: DB) -> Any:
    changes = body.model_dump(mode="json", exclude_unset=True)
    return ok(logs.update_log(db, log_id, "agent", id, changes))


@router.post("/agents/call", tags=["agents"], summary="Call an Agent",
             responses={200: {"model": t.AgentCallResponse}})
async def call_agent(*, body: t.AgentsCallStreamRequest, request: Request,
                     version_id: str | None = None, environment: str | None = None,
                     db: DB, registry: Providers) -> Any:
    run = await off_loop(agents.start, db, body, version_id, environment)
    return await _drive(run, request, registry, body.stream, body.include_trace_children)


@router.post("/agents/continue", tags=["agents"], summary="Continue an Agent call",
             responses={200: {"model": t.AgentContinueCallResponse}})
async def continue_agent(*, body: t.AgentsContinueCallStreamRequest, request: Request,
                         db: DB, registry: Providers) -> Any:
    run = await off_loop(agents.resume, db, body)
    return await _drive(run, request, registry, body.stream, body.include_trace_children)


async def _drive(run: agents.AgentRun, request: Request, registry: Any, stream: bool | None,
                 children: bool | None) -> Any:
    events = agents.loop(run, registry, _sandbox(request))
    if stream:
        async def sse() -> Any:
            async for event in events:
                yield agents.sse(event)
        return StreamingResponse(sse(), media_type="text/event-stream", headers=_SSE_HEADERS)
    async for _ in events:
        pass
    return ok(await off_loop(agents.response, run, children))


@router.get("/agents/{id}/serialize", tags=["agents"], summary="Serialize an Agent",
            response_class=PlainTextResponse)
def serialize_agent(*, id: str, version_id: str | None = None, environment: str | None = None,
                    db: DB) -> Any:
    return PlainTextResponse(extras.serialize(db, AGENT, id, version_id, environment))


@router.post("/agents/deserialize", tags=["agents"], summary="Deserialize an Agent",
             responses={200: {"model": t.AgentKernelRequest}})
def deserialize_agent(*, body: t.AgentsDeserializeRequest) -> Any:
    return ok(extras.deserialize(body.agent, "agent"))


@router.get("/prompts/{id}/serialize", tags=["prompts"], summary="Serialize a Prompt",
            response_class=PlainTextResponse)
def serialize_prompt(*, id: str, version_id: str | None = None, environment: str | None = None,
                     db: DB) -> Any:
    return PlainTextResponse(extras.serialize(db, files.KINDS["prompt"], id, version_id, environment))


@router.post("/prompts/deserialize", tags=["prompts"], summary="Deserialize a Prompt",
             responses={200: {"model": t.PromptKernelRequest}})
def deserialize_prompt(*, body: t.PromptsDeserializeRequest) -> Any:
    return ok(extras.deserialize(body.prompt, "prompt"))


@router.post("/prompts/{id}/populate", tags=["prompts"], summary="Populate a Prompt's template",
             responses={200: {"model": t.PopulateTemplateResponse}})
def populate_prompt(*, id: str, body: Annotated[dict[str, Any], Body()],
                    version_id: str | None = None, environment: str | None = None, db: DB) -> Any:
    return ok(extras.populate(db, id, body, version_id, environment))


@router.get("/tools/{id}/environment-variables", tags=["tools"],
            summary="List a Tool's environment variables",
            responses={200: {"model": list[t.FileEnvironmentVariableRequest]}})
def get_environment_variables(*, id: str, db: DB) -> Any:
    return ok(extras.environment_variables(db, id))


@router.post("/tools/{id}/environment-variables", tags=["tools"],
             summary="Add environment variables to a Tool",
             responses={200: {"model": list[t.FileEnvironmentVariableRequest]}})
def add_environment_variables(*, id: str, body: list[t.FileEnvironmentVariableRequest],
                              db: DB) -> Any:
    return ok(extras.add_environment_variables(db, id, [v.to_wire() for v in body]))


@router.delete("/tools/{id}/environment-variables/{name}", tags=["tools"],
               summary="Delete a Tool's environment variable",
               responses={200: {"model": list[t.FileEnvironmentVariableRequest]}})
def delete_environment_variable(*, id: str, name: str, db: DB) -> Any:
    return ok(extras.delete_environment_variable(db, id, name))


@router.post("/datasets/{id}/datapoints/csv", tags=["datasets"], summary="Upload CSV",
             responses={200: {"model": t.DatasetResponse}})
async def upload_csv(*, id: str, request: Request, version_id: str | None = None,
                     environment: str | None = None, db: DB) -> Any:
    form = await _form(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise invalid(["body", "file"], "send the CSV as the multipart field `file`", "missing")
    content = await upload.read(extras.MAX_CSV_BYTES + 1)
    text = {k: v for k, v in form.items() if isinstance(v, str)}
    dataset, version = await off_loop(
        extras.upload_csv, db, id, content, version_id, environment, text.get("version_name"),
        text.get("version_description") or text.get("commit_message"))
    return ok(await off_loop(files.file_response, db, files.KINDS["dataset"], dataset, version))


async def _form(request: Request) -> Any:
    """The multipart form. The official SDK 0.8.38 sends ``content-type: multipart/form-data``
    without the boundary its body uses; the body's first line names it."""
    ctype = request.headers.get("content-type", "")
    if "boundary=" in ctype or not ctype.startswith("multipart/form-data"):
        return await request.form()
    body = await request.body()
    first = body.split(b"\r\n", 1)[0]
    if not first.startswith(b"--") or len(first) < 3:
        raise invalid(["body"], "a multipart body must start with its boundary line")
    headers = [(k, v) for k, v in request.scope["headers"] if k != b"content-type"]
    headers.append((b"content-type", b"multipart/form-data; boundary=" + first[2:]))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return await Request({**request.scope, "headers": headers}, receive).form()


__all__ = ["router", "datasets"]
