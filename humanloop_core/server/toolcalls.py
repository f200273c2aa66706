"""``POST /tools/call``: run a tool's Python ``source_code`` in the sandbox and log the call.

The function called is the one named by the tool's ``function.name`` (else the last one the
code defines), with the call's ``inputs`` as keyword arguments. Its return value is the log's
``output`` (JSON unless it is a string); an exception, a timeout or a crash is the log's
``error``, and the call still answers 200 with that log, as a failed prompt call is logged.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from humanloop_core import types as t

from . import files, logs
from .errors import invalid
from .sandbox import Sandbox, SandboxError
from .store import Row, Store, new_id, now

TOOL = files.KINDS["tool"]


ToolCallBody = t.ToolsCallRequest


def _resolve(store: Store, body: ToolCallBody, version_id: str | None,
             environment: str | None) -> tuple[Row, Row]:
    file, version = logs.resolve_for_log(store, TOOL, body, "tool", version_id, body.environment or environment)
    if not version["kernel"].get("source_code"):
        raise invalid(["body", "tool", "source_code"],
                      f"tool {file['path']!r} has no source_code to run: this server calls Python tools;"
                      " log other tools' calls with POST /tools/log")
    return file, version


async def call(store: Store, sandbox: Sandbox, body: ToolCallBody, version_id: str | None,
               environment: str | None) -> dict[str, Any]:
    file, version = await asyncio.to_thread(_resolve, store, body, version_id, environment)
    kernel = version["kernel"]
    fields = logs.log_fields(body)
    fields.pop("save", None)
    fields.setdefault("inputs", {})
    fields["start_time"] = fields.get("start_time") or now()
    clock = time.monotonic()
    try:
        # Only this tool's environment variables reach its code; they go nowhere else.
        env = await asyncio.to_thread(store.env_vars, file["id"])
        result = await sandbox.run(kernel["source_code"], [], kwargs=body.inputs or {},
                                   entry=(kernel.get("function") or {}).get("name"), env=env)
        if result.ok:
            fields["output"] = result.value if isinstance(result.value, str) else json.dumps(result.value)
        else:
            fields["error"] = f"{result.kind}: {result.error}"
        if result.stdout:
            fields["stdout"] = result.stdout
    except SandboxError as exc:
        fields["error"] = str(exc)
    fields.update(end_time=fields.get("end_time") or now(), provider_latency=round(time.monotonic() - clock, 6))
    log_id = body.log_id or new_id("log")
    if body.save is not False:
        await asyncio.to_thread(logs.create_log, store, "tool", file, version, fields, log_id=log_id)
    tool = await asyncio.to_thread(files.file_response, store, TOOL, file, version)
    return {**fields, "id": log_id, "tool": tool, "evaluator_logs": []}
