"""``prompts.call``: resolve the version, render, call the provider, log, answer.

Preparation, the log body and the response are pure-ish functions shared by the plain
and the streamed call; the two shells differ only in how they drive the provider.
Every call is logged, failures included, so a broken provider leaves a trace.

The async shells never touch the store on the event loop: a writer in another process
holding the SQLite lock would otherwise freeze every request for the busy timeout.
Storage runs in worker threads (``to_thread.run_sync``, which also finishes a write it
started when the request is cancelled), in the two lanes of ``lanes``: one starts calls
(resolve, render), one finishes them (commit the log, build the answer).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio

from humanloop_core import types as t

from . import files, lanes, logs, prices, sampling
from .errors import ApiProblem
from .providers import Chunk, Completion, ProviderError, ProviderRegistry, ProviderRequest
from .rendering import render_messages
from .store import Conflict, Row, Store, new_id, now

PROMPT = files.KINDS["prompt"]
logger = logging.getLogger("humanloop_core.server")


@dataclass
class CallPlan:
    request: t.PromptCallRequest
    file: Row
    version: Row
    messages: list[dict[str, Any]]
    provider_request: ProviderRequest
    log_id: str = field(default_factory=lambda: new_id("log"))
    samples: list[Completion] = field(default_factory=list)
    start: str = field(default_factory=now)
    started: float = field(default_factory=time.monotonic)


def prepare(store: Store, request: t.PromptCallRequest, version_id: str | None,
            environment: str | None) -> CallPlan:
    file, version = logs.resolve_for_log(store, PROMPT, request, "prompt", version_id,
                                         request.environment or environment)
    if request.trace_parent_id and store.get_log(request.trace_parent_id) is None:
        raise ApiProblem(404, f"trace parent log not found: {request.trace_parent_id!r}")
    kernel = version["kernel"]
    messages = render_messages(kernel.get("template"), request.inputs, kernel.get("template_language"),
                               _snippets(store, kernel))
    messages += [m.to_wire() for m in request.messages or []]
    keys = request.provider_api_keys.to_wire() if request.provider_api_keys else {}
    provider = kernel.get("provider") or "openai"
    tool_choice: Any = request.tool_choice
    if isinstance(tool_choice, t.ToolChoice):
        tool_choice = tool_choice.to_wire()
    # Linked tools join the prompt's own, as their current versions' functions.
    linked = [{k: v for k, v in tool.items() if k not in ("id", "version_id")}
              for tool in files.linked_tools(store, kernel)]
    kernel = {**kernel, "tools": [*(kernel.get("tools") or []), *linked]}
    provider_request = ProviderRequest.from_kernel(kernel, messages, tool_choice, keys.get(provider))
    provider_request.endpoint_url = keys.get("openai_azure_endpoint") if provider == "openai_azure" else None
    provider_request.logprobs = request.logprobs
    provider_request.suffix = request.suffix
    return CallPlan(request, file, version, messages, provider_request)


async def prepare_off_loop(store: Store, request: t.PromptCallRequest, version_id: str | None,
                           environment: str | None) -> CallPlan:
    """:func:`prepare` in the start lane."""
    return await lanes.starting(prepare, store, request, version_id, environment)


def _snippets(store: Store, kernel: dict[str, Any]) -> Callable[[str, str], str | None]:
    """The template tools a ``{{ name(key) }}`` can reach: a tool linked to the prompt by
    that name, else the tool file at path ``name``; its current version's
    ``setup_values[key]`` is the text inserted."""
    def lookup(name: str, key: str) -> str | None:
        candidates = [store.get_file(i) for i in kernel.get("linked_tools") or []]
        file = next((f for f in candidates if f and f["type"] == "tool" and f["path"].rsplit("/", 1)[-1] == name),
                    None) or store.get_file_by_path(name)
        if file is None or file["type"] != "tool":
            return None
        value = (files.resolve_version(store, file)["kernel"].get("setup_values") or {}).get(key)
        return None if value is None else value if isinstance(value, str) else json.dumps(value)

    return lookup


def _log_body(plan: CallPlan, completion: Completion | None, error: str | None) -> dict[str, Any]:
    req = plan.request
    body = logs.log_fields(req)
    for drop in ("stream", "num_samples", "return_inputs", "provider_api_keys", "logprobs", "suffix"):
        body.pop(drop, None)
    body.update(messages=plan.messages, start_time=plan.start, end_time=now(),
                provider_latency=round(time.monotonic() - plan.started, 6))
    body.setdefault("inputs", {})
    if completion is not None:
        body.update(output=completion.output, output_message=completion.output_message(),
                    prompt_tokens=completion.prompt_tokens, output_tokens=completion.output_tokens,
                    finish_reason=completion.finish_reason)
        prices.add_cost(body, plan.version["kernel"])
    if error is not None:
        body["error"] = error
    return body


def record(store: Store, plan: CallPlan, completion: Completion | None, error: str | None) -> dict[str, Any]:
    """Store the call's log (unless ``save`` is false) and return its body."""
    body = _log_body(plan, completion, error)
    if plan.request.save is not False:
        logs.create_log(store, "prompt", plan.file, plan.version, body, log_id=plan.log_id)
    return body


def call_response(store: Store, plan: CallPlan, body: dict[str, Any]) -> dict[str, Any]:
    req = plan.request
    sample: dict[str, Any] = {k: body[k] for k in ("output", "created_at", "provider_latency", "output_message",
                                   "prompt_tokens", "output_tokens", "prompt_cost", "output_cost",
                                   "finish_reason") if k in body}
    wire: dict[str, Any] = {
        k: v for k, v in body.items()
        if k in t.PromptCallResponse.model_fields and k not in ("inputs", "messages")
    }
    # `log_id` as the official SDK 0.8.38 reads it; `id` as older clients do.
    wire.update(id=plan.log_id, log_id=plan.log_id, messages=plan.messages, environment=req.environment,
                prompt=files.file_response(store, PROMPT, _file_after(plan, body), plan.version),
                logs=[sample_entry(sample, completion, i) for i, completion in enumerate(plan.samples or [None])])
    if req.return_inputs is not False:
        wire["inputs"] = body.get("inputs", {})
    if req.batch_id:
        wire["batch_id"] = req.batch_id
    if req.trace_parent_id:
        wire["trace_id"] = logs.trace_root(store, {"id": plan.log_id, "trace_parent_id": req.trace_parent_id})["id"]
    return t.PromptCallResponse.model_validate(wire).to_wire()


def _file_after(plan: CallPlan, body: dict[str, Any]) -> Row:
    """The file row as the call's own write left it (``insert_log`` sets ``last_used_at`` to
    the log's time), without reading it back."""
    if plan.request.save is False:
        return plan.file
    return {**plan.file, "last_used_at": body.get("created_at") or plan.file["last_used_at"]}


def sample_entry(first: dict[str, Any], completion: Completion | None, index: int) -> dict[str, Any]:
    """One entry of the call's ``logs``: the stored log's fields for the first sample
    (token counts and cost are the call's totals), each further sample its own output."""
    if index == 0 or completion is None:
        entry = {**first, "index": index}
    else:
        entry = {"output": completion.output, "output_message": completion.output_message(),
                 "finish_reason": completion.finish_reason, "index": index,
                 "created_at": first.get("created_at"), "provider_latency": first.get("provider_latency")}
    if completion is not None and completion.logprobs is not None:
        entry["logprobs"] = completion.logprobs
    return entry


async def call(store: Store, registry: ProviderRegistry, plan: CallPlan) -> dict[str, Any]:
    """A plain call. Provider failures are logged, then raised as ``ApiProblem``."""
    try:
        completion = await _complete(registry, plan)
    except ProviderError as exc:
        await lanes.finishing(record, store, plan, None, str(exc))
        headers = {"Retry-After": exc.retry_after} if exc.retry_after else None
        raise ApiProblem(exc.status, f"{exc} (logged as {plan.log_id})", headers) from None
    return await lanes.finishing(_record_and_answer, store, plan, completion)


def _record_and_answer(store: Store, plan: CallPlan, completion: Completion) -> dict[str, Any]:
    plan.samples = [completion, *completion.alternatives]
    return call_response(store, plan, record(store, plan, completion, None))


async def _complete(registry: ProviderRegistry, plan: CallPlan) -> Completion:
    provider = registry.get(plan.version["kernel"].get("provider") or "openai")
    try:
        return await sampling.complete(provider, plan.provider_request, _samples(plan))
    except ProviderError:
        raise
    except Exception as exc:
        raise _unexpected(provider.name, exc) from exc


def _samples(plan: CallPlan) -> int:
    wanted = plan.request.num_samples or 1
    if wanted > sampling.MAX_SAMPLES:
        raise ProviderError(f"num_samples is at most {sampling.MAX_SAMPLES} (got {wanted})", 400)
    return max(wanted, 1)


def _unexpected(provider: str, exc: Exception) -> ProviderError:
    """A provider bug or an answer it could not read: logged with its traceback here, and
    reported (and stored) as a provider failure rather than a bare 500."""
    logger.exception("provider %s failed unexpectedly", provider)
    return ProviderError(f"the {provider} provider failed: {type(exc).__name__}: {exc}"[:500], 502)


def _merge(completion: Completion, chunk: Chunk, calls: dict[str, dict[str, Any]],
           usage: dict[int, list[int]]) -> None:
    """Fold a chunk into the stored log: sample 0's text and tool calls, every sample's usage."""
    counted = usage.setdefault(chunk.index, [0, 0])
    if chunk.prompt_tokens is not None:
        counted[0] = chunk.prompt_tokens
    if chunk.output_tokens is not None:
        counted[1] = chunk.output_tokens
    completion.prompt_tokens = sum(c[0] for c in usage.values())
    completion.output_tokens = sum(c[1] for c in usage.values())
    if chunk.index != 0:
        return
    completion.output += chunk.output
    for delta in chunk.tool_calls or []:
        known = calls.setdefault(delta["id"], {"id": delta["id"], "type": "function",
                                               "function": {"name": delta["function"]["name"], "arguments": ""}})
        known["function"]["arguments"] += delta["function"].get("arguments") or ""
    if chunk.finish_reason:
        completion.finish_reason = chunk.finish_reason


def _only_usage(chunk: Chunk) -> bool:
    return (not chunk.output and not chunk.tool_calls and chunk.finish_reason is None
            and (chunk.prompt_tokens is not None or chunk.output_tokens is not None))


def _event(plan: CallPlan, chunk: Chunk | None, error: str | None = None,
           cost: dict[str, float] | None = None) -> bytes:
    kernel = plan.version["kernel"]
    # model/provider are not in the v5 stream schema (clients keep unknown fields): they let
    # a client name what ran (span names, response_metadata) without asking for the version.
    item: dict[str, Any] = {"index": chunk.index if chunk else 0, "id": plan.log_id, "prompt_id": plan.file["id"],
                            "version_id": plan.version["id"], "created_at": now(),
                            "model": kernel.get("model"), "provider": kernel.get("provider") or "openai"}
    if chunk is not None:
        message: dict[str, Any] = {"role": "assistant", "content": chunk.output}
        if chunk.tool_calls:
            message["tool_calls"] = chunk.tool_calls
        item.update(output=chunk.output, output_message=message, finish_reason=chunk.finish_reason,
                    prompt_tokens=chunk.prompt_tokens, output_tokens=chunk.output_tokens)
        if chunk.logprobs is not None:
            item["logprobs"] = chunk.logprobs
    if error is not None:
        item["error"] = error
    item.update(cost or {})
    wire = t.PromptCallStreamResponse.model_validate(item).to_wire()
    return f"data: {json.dumps(wire, separators=(',', ':'))}\n\n".encode()


async def stream(store: Store, registry: ProviderRegistry, plan: CallPlan) -> AsyncIterator[bytes]:
    """SSE events of the call, each sent as soon as the provider's delta arrives. Only the
    closing event (finish reason, usage) is held until the log is committed, so a client
    that stops reading at the finish can already fetch the log."""
    completion = Completion("", None, "stop", 0, 0)
    calls: dict[str, dict[str, Any]] = {}
    usage: dict[int, list[int]] = {}
    pending: Chunk | None = None
    produced = False
    error: str | None = None
    try:
        provider = registry.get(plan.version["kernel"].get("provider") or "openai")
        async for chunk in sampling.stream(provider, plan.provider_request, _samples(plan)):
            _merge(completion, chunk, calls, usage)
            produced = True
            if pending is not None and _only_usage(chunk) and chunk.index == pending.index:
                # Providers report usage after the finish (OpenAI, Bedrock): one last event
                # carries both, as a Humanloop stream's does.
                pending.prompt_tokens, pending.output_tokens = chunk.prompt_tokens, chunk.output_tokens
                continue
            if pending is not None:
                yield _event(plan, pending)
                pending = None
            if chunk.finish_reason is not None or _only_usage(chunk):
                pending = chunk  # a closing event: held until the log is committed
            elif chunk.output or chunk.tool_calls:
                yield _event(plan, chunk)
    except ProviderError as exc:
        error = str(exc)
    except Exception as exc:  # only the provider raises these; the client's leaving is below
        error = str(_unexpected(plan.version["kernel"].get("provider") or "openai", exc))
    except BaseException:
        # The client went away (or the server is stopping): keep what was produced. The
        # scope is shielded so the cancellation that brought us here can't cut the write.
        completion.tool_calls = list(calls.values()) or None
        with anyio.CancelScope(shield=True):
            try:
                await lanes.finishing(record, store, plan, completion, "stream interrupted before the end")
            except Exception:
                logger.exception("could not store the log of an interrupted stream")
        raise
    completion.tool_calls = list(calls.values()) or None
    body: dict[str, Any] = {}
    try:
        body = await lanes.finishing(record, store, plan, completion if error is None or produced else None, error)
    except Conflict as exc:  # the prompt was deleted while the stream ran: say so, last
        error = str(exc)
        pending = None
    if pending is not None:
        # The closing event carries the call's cost, as the stored log does.
        yield _event(plan, pending, cost={k: body[k] for k in ("prompt_cost", "output_cost") if k in body})
    if error is not None:
        yield _event(plan, None, error)
