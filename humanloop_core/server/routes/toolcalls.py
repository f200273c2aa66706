"""``POST /tools/call``: a tool's Python source run in the sandbox, logged."""

from typing import Any

from fastapi import APIRouter, Request

from .. import toolcalls
from .common import DB, ok

router = APIRouter()


@router.post("/tools/call", tags=["tools"], summary="Call a Tool")
async def call_tool(*, body: toolcalls.ToolCallBody, request: Request, version_id: str | None = None,
                    environment: str | None = None, db: DB) -> Any:
    sandbox = request.app.state.worker.rt.sandbox
    return ok(await toolcalls.call(db, sandbox, body, version_id, environment))
