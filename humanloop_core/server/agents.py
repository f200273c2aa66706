"""Agents: a prompt's kernel with tools and a stop rule, run as a model/tool loop.

``agents.call`` renders the template, then repeats: call the model with the agent's tools;
run each tool call the server can run (a linked Humanloop tool with Python
``source_code``, in the sandbox), feeding results back. It stops when the model answers
without tool calls, when a tool marked ``on_agent_call: stop`` ran, after
``max_iterations`` model turns, or when the model calls a tool the server cannot run (an
inline tool, or a linked one without code): then the turn is suspended with the pending
tool calls (``log_status: incomplete``, ``finish_reason: tool_call``) until
``agents.continue_call`` brings their results. Each tool run is a tool log in the agent
log's trace; the agent log holds the conversation.

The loop is one async generator of events; the plain call keeps the last state, the
streamed call sends every event.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from humanloop_core import types as t

from . import calls, fileformat, files, logs, sampling
from .errors import ApiProblem, invalid
from .providers import Completion, ProviderError, ProviderRegistry, ProviderRequest
from .rendering import render_messages, template_variables
from .sandbox import Sandbox, SandboxError
from .store import Row, Store, new_id, now

AGENT = files.KINDS["agent"]
TOOL = files.KINDS["tool"]
DEFAULT_MAX_ITERATIONS = 5
MAX_ITERATIONS = 50  # model turns of one call, at most
MAX_DEPTH = 3  # agents calling agents as tools, at most this deep (an agent may link itself)
_NOT_LOGGED = ("stream", "provider_api_keys", "return_inputs", "include_trace_children")


@dataclass
class AgentRun:
    """One agent log being driven: where it is, what was said, what the model may call."""

    store: Store
    file: Row
    version: Row
    log_id: str
    body: dict[str, Any]  # the agent log's stored fields
    api_key: str | None
    tool_choice: Any = None
    saved: bool = True  # False when the caller asked save=false: nothing is stored
    depth: int = 0  # 0 for a called agent; 1 for an agent it runs as a tool, ...
    started: float = field(default_factory=time.monotonic)

    @property
    def kernel(self) -> dict[str, Any]:
        kernel: dict[str, Any] = self.version["kernel"]
        return kernel

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body.setdefault("messages", [])
        return messages


def _kernel_of(request: Any) -> Any:
    """A ``.agent`` file's text in ``agent`` becomes the kernel it describes."""
    if isinstance(request.agent, str):
        kernel = t.AgentKernelRequest.model_validate(fileformat.deserialize(request.agent, "agent"))
        return request.model_copy(update={"agent": kernel})
    return request


def start(store: Store, request: t.AgentsCallStreamRequest, version_id: str | None,
          environment: str | None) -> AgentRun:
    """Resolve the agent and version, render the template, store the log (incomplete)."""
    request = _kernel_of(request)
    file, version = logs.resolve_for_log(store, AGENT, request, "agent", version_id,
                                         request.environment or environment)
    if request.trace_parent_id and store.get_log(request.trace_parent_id) is None:
        raise ApiProblem(404, f"trace parent log not found: {request.trace_parent_id!r}")
    kernel = version["kernel"]
    body = logs.log_fields(request)
    for key in _NOT_LOGGED:
        body.pop(key, None)
    rendered = render_messages(kernel.get("template"), request.inputs, kernel.get("template_language"))
    body.update(messages=[*rendered, *(m.to_wire() for m in request.messages or [])],
                start_time=body.get("start_time") or now(), log_status="incomplete",
                inputs=body.get("inputs", {}), _iterations=0)
    keys = request.provider_api_keys.to_wire() if request.provider_api_keys else {}
    log_id = request.log_id or new_id("log")
    if request.save is not False:
        logs.create_log(store, "agent", file, version, body, log_id=log_id)
    choice = request.tool_choice.to_wire() if isinstance(request.tool_choice, t.ToolChoice) else request.tool_choice
    return AgentRun(store, file, version, log_id, body, keys.get(kernel.get("provider") or "openai"), choice,
                    saved=request.save is not False)


def resume(store: Store, request: t.AgentsContinueCallStreamRequest) -> AgentRun:
    """The suspended agent log ``request.log_id``, its pending tool calls answered."""
    log = store.get_log(request.log_id)
    if log is None or log["type"] != "agent":
        raise ApiProblem(404, f"agent log not found: {request.log_id!r}")
    if log["body"].get("log_status") != "incomplete":
        raise ApiProblem(409, f"agent log {request.log_id!r} is complete: nothing to continue")
    file, version = store.get_file(log["file_id"]), store.get_version(log["version_id"])
    if file is None or version is None:
        raise ApiProblem(404, f"the agent of log {request.log_id!r} was deleted")
    body = dict(log["body"])
    answered = [m.to_wire() for m in request.messages]
    pending = {c["id"] for c in (body.get("output_message") or {}).get("tool_calls") or []}
    unanswered = pending - {m.get("tool_call_id") for m in answered}
    if unanswered:
        raise invalid(["body", "messages"], "give a tool message (tool_call_id) for each pending "
                      f"tool call; missing: {sorted(unanswered)}")
    body["messages"] = [*body.get("messages", []), *answered]
    keys = request.provider_api_keys.to_wire() if request.provider_api_keys else {}
    return AgentRun(store, file, version, log["id"], body,
                    keys.get(version["kernel"].get("provider") or "openai"))


def _tools(store: Store, kernel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The agent's tools by function name: the function the model sees, how a call ends
    the turn, and the tool file (with code) that runs it server-side, if any."""
    found: dict[str, dict[str, Any]] = {}
    for tool in kernel.get("tools") or []:
        entry: dict[str, Any] = {"stop": tool.get("on_agent_call") == "stop", "file": None}
        if tool.get("type") == "inline" or "json_schema" in tool:
            entry["function"] = tool["json_schema"]
        else:
            link = tool.get("link") or {}
            linked = store.get_file(link.get("file_id", ""))
            if linked is None or linked["type"] not in ("tool", "prompt", "agent"):
                continue
            version = files.resolve_version(store, linked, link.get("version_id"))
            function = version["kernel"].get("function") or {} if linked["type"] == "tool" \
                else _file_function(linked, version)
            entry.update(function=function, file=linked, version=version)
        if entry.get("function", {}).get("name"):
            found[entry["function"]["name"]] = entry
    return found


def _file_function(file: Row, version: Row) -> dict[str, Any]:
    """A linked prompt or agent as a function the model can call: named after the file,
    its template's inputs as (string) parameters; a call runs it with them as inputs."""
    kernel = version["kernel"]
    names = template_variables(kernel.get("template"), kernel.get("template_language"))
    about = (file.get("meta") or {}).get("description") or kernel.get("description")
    return {"name": re.sub(r"[^A-Za-z0-9_-]", "_", file["path"].rsplit("/", 1)[-1])[:64],
            "description": about or f"Calls the {file['type']} {file['path']}",
            "parameters": {"type": "object", "properties": {n: {"type": "string"} for n in names},
                           "required": list(names)}}


def _event(run: AgentRun, kind: str, message: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"log_id": run.log_id, "message": message, "type": kind, "created_at": now()}
    if payload is not None:
        event["payload"] = payload
    return event


async def loop(run: AgentRun, registry: ProviderRegistry, sandbox: Sandbox) -> AsyncIterator[dict[str, Any]]:
    """Drive the agent to its next stop, yielding stream events; the log is saved at each stop."""
    kernel = run.kernel
    tools = await asyncio.to_thread(_tools, run.store, kernel)
    # Bounded whatever the kernel says: one call must not hold a sandbox and a provider forever.
    limit = min(kernel.get("max_iterations") or DEFAULT_MAX_ITERATIONS, MAX_ITERATIONS)
    provider = registry.get(kernel.get("provider") or "openai")
    yield _event(run, "agent_turn_start", "agent turn started")
    while True:
        if run.body.get("_iterations", 0) >= limit:
            yield await _finish(run, "max_iterations", "complete")
            return
        request = ProviderRequest.from_kernel(
            {**kernel, "tools": [e["function"] for e in tools.values()]}, run.messages,
            run.tool_choice, run.api_key)
        sent, clock, started = list(run.messages), time.monotonic(), now()
        try:
            completion = await sampling.complete(provider, request, 1)
        except ProviderError as exc:
            run.body["error"] = str(exc)
            await _log_turn(run, sent, started, clock, None, str(exc))
            yield await _finish(run, "error", "complete", "agent_generation_error")
            return
        run.body["_iterations"] = run.body.get("_iterations", 0) + 1
        message = completion.output_message()
        await _log_turn(run, sent, started, clock, completion, None)
        run.messages.append(message)
        run.body.update(output=completion.output, output_message=message,
                        prompt_tokens=(run.body.get("prompt_tokens") or 0) + completion.prompt_tokens,
                        output_tokens=(run.body.get("output_tokens") or 0) + completion.output_tokens)
        if not completion.tool_calls:
            yield await _finish(run, completion.finish_reason or "stop", "complete")
            return
        pending, stop = [], False
        for call in completion.tool_calls:
            tool = tools.get(call["function"]["name"])
            if tool is None or tool["file"] is None or (
                    tool["file"]["type"] == "tool" and not tool["version"]["kernel"].get("source_code")):
                pending.append(call)
                continue
            yield _event(run, "tool_start", f"running tool {call['function']['name']}", call)
            result = await _run_tool(run, sandbox, tool, call) if tool["file"]["type"] == "tool" \
                else await _run_file(run, registry, sandbox, tool, call)
            run.messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
            yield _event(run, "tool_end", f"tool {call['function']['name']} returned")
            stop = stop or tool["stop"]
        if pending:
            # The caller runs these and answers with continue_call.
            yield await _finish(run, "tool_call", "incomplete", "agent_turn_suspend")
            return
        if stop:
            yield await _finish(run, "tool_call", "complete")
            return


async def _log_turn(run: AgentRun, sent: list[dict[str, Any]], started: str, clock: float,
                    completion: Completion | None, error: str | None) -> None:
    """One model turn as a step of the agent log's trace: what the model was sent and
    what it answered (an agent-type log of the same version, ``source: agent_turn``)."""
    if not run.saved:
        return
    fields: dict[str, Any] = {"messages": sent, "start_time": started, "end_time": now(),
                              "provider_latency": round(time.monotonic() - clock, 6),
                              "source": "agent_turn", "log_status": "complete"}
    if completion is not None:
        fields.update(output=completion.output, output_message=completion.output_message(),
                      prompt_tokens=completion.prompt_tokens,
                      output_tokens=completion.output_tokens,
                      finish_reason=completion.finish_reason)
    if error is not None:
        fields["error"] = error
    await asyncio.to_thread(logs.create_log, run.store, "agent", run.file, run.version, fields,
                            trace_parent_id=run.log_id)


async def _run_tool(run: AgentRun, sandbox: Sandbox, tool: dict[str, Any], call: dict[str, Any]) -> str:
    """Run a linked tool's code with the call's arguments; log it in the agent's trace."""
    kernel = tool["version"]["kernel"]
    fields: dict[str, Any] = {"start_time": now(), "source": "agent"}
    clock = time.monotonic()
    try:
        arguments = json.loads(call["function"].get("arguments") or "{}")
        fields["inputs"] = arguments if isinstance(arguments, dict) else {"arguments": arguments}
        # Only this tool's environment variables reach its code; they go nowhere else.
        env = await asyncio.to_thread(run.store.env_vars, tool["file"]["id"])
        result = await sandbox.run(kernel["source_code"], [], kwargs=fields["inputs"],
                                   entry=(kernel.get("function") or {}).get("name"), env=env)
        if result.ok:
            fields["output"] = result.value if isinstance(result.value, str) else json.dumps(result.value)
        else:
            fields["error"] = f"{result.kind}: {result.error}"
    except (SandboxError, ValueError) as exc:
        fields["error"] = str(exc)
    fields.update(end_time=now(), provider_latency=round(time.monotonic() - clock, 6))
    # Every store call off the loop (get_log too: a lock held elsewhere would freeze it).
    if run.body.get("save", True) is not False and (
            await asyncio.to_thread(run.store.get_log, run.log_id) is not None):
        await asyncio.to_thread(logs.create_log, run.store, "tool", tool["file"], tool["version"],
                                fields, trace_parent_id=run.log_id)
    return str(fields.get("output") if "output" in fields else f"error: {fields['error']}")


async def _run_file(run: AgentRun, registry: ProviderRegistry, sandbox: Sandbox,
                    tool: dict[str, Any], call: dict[str, Any]) -> str:
    """Call a linked prompt or agent with the call's arguments as its inputs, logged (as
    calls of it are) in the agent's trace; the answer (or the error) goes back to the model."""
    file, version = tool["file"], tool["version"]
    provider = run.kernel.get("provider") or "openai"
    try:
        arguments = json.loads(call["function"].get("arguments") or "{}")
        inputs = arguments if isinstance(arguments, dict) else {"arguments": arguments}
        fields: dict[str, Any] = {
            "id": file["id"], "inputs": inputs, "save": run.saved,
            "trace_parent_id": run.log_id if run.saved else None,
            "provider_api_keys": {provider: run.api_key}
            if run.api_key and provider in t.ProviderApiKeys.model_fields else None}
        if file["type"] == "prompt":
            plan = await calls.prepare_off_loop(run.store, t.PromptCallRequest.model_validate(fields),
                                                version["id"], None)
            answer = await calls.call(run.store, registry, plan)
            return str((answer.get("logs") or [{}])[0].get("output") or "")
        if run.depth + 1 >= MAX_DEPTH:
            return f"error: agents run as tools nest at most {MAX_DEPTH} deep"
        nested = await asyncio.to_thread(start, run.store, t.AgentsCallStreamRequest.model_validate(fields),
                                         version["id"], None)
        nested.depth = run.depth + 1
        async for _ in loop(nested, registry, sandbox):
            pass
        if nested.body.get("log_status") != "complete":
            return f"error: the agent {file['path']} stopped for tool calls it cannot run"
        return str(nested.body.get("output") or "")
    except (ApiProblem, ValueError) as exc:
        return f"error: {exc}"


async def _finish(run: AgentRun, reason: str, status: str, kind: str = "agent_turn_end") -> dict[str, Any]:
    run.body.update(finish_reason=reason, log_status=status, end_time=now(),
                    provider_latency=round(time.monotonic() - run.started, 6))
    if await asyncio.to_thread(run.store.get_log, run.log_id) is not None:
        await asyncio.to_thread(run.store.update_log, run.log_id, run.body)
    return _event(run, kind, f"agent turn ended: {reason}", _stream_payload(run))


def _stream_payload(run: AgentRun) -> dict[str, Any]:
    keys = ("output", "created_at", "error", "provider_latency", "output_message",
            "prompt_tokens", "output_tokens", "finish_reason")
    return {**{k: run.body[k] for k in keys if run.body.get(k) is not None},
            "id": run.log_id, "agent_id": run.file["id"], "version_id": run.version["id"]}


def response(run: AgentRun, include_trace_children: bool | None) -> dict[str, Any]:
    """The AgentCallResponse of a run at its stop (continue_call answers the same shape)."""
    if run.store.get_log(run.log_id) is not None:
        wire = logs.get_log(run.store, run.log_id)
    else:  # save=false: nothing stored, the body answers
        wire = {k: v for k, v in run.body.items() if not k.startswith("_")}
        wire.update(id=run.log_id, evaluator_logs=[],
                    agent=files.file_response(run.store, AGENT, run.file, run.version))
    if not include_trace_children:
        wire.pop("trace_children", None)
    wire["log_id"] = run.log_id
    messages = run.messages
    previous = next((m for m in reversed(messages[:-1]) if m.get("role") == "assistant"), None)
    if previous is not None:
        wire["previous_agent_message"] = previous
    return t.AgentCallResponse.model_validate(wire).to_wire()


def sse(event: dict[str, Any]) -> bytes:
    wire = t.AgentCallStreamResponse.model_validate(event).to_wire()
    return f"data: {json.dumps(wire, separators=(',', ':'))}\n\n".encode()
