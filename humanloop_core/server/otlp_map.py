"""Which spans are logs, and the log each one becomes (pure: spans in, plans out).

A span is a log when it says so (``humanloop.file.type``: the official SDK's decorators,
ours, the LangChain/LlamaIndex handlers) or when the GenAI conventions say it is a model
call (``gen_ai.operation.name`` chat / text_completion / generate_content, or OpenLLMetry's
``llm.request.type``), a tool execution (``execute_tool``, ``traceloop.span.kind`` tool) or
an agent / workflow run (``invoke_agent``, ``traceloop.span.kind`` workflow or agent).

A prompt is named by ``humanloop.file.path``, else ``gen_ai.prompt.name``, else
``{service.name}/{model}``; its kernel (model, provider, sampling parameters, tools) comes
from the ``gen_ai.request.*`` attributes, so a new model or temperature is a new version,
exactly as a call with an inline kernel is.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from humanloop_core._tracing import _schema as hl

from .otlp_wire import STATUS_ERROR, OtelSpan

PROMPT_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "completion"})
# Humanloop provider ids by the conventions' provider names (gen_ai.provider.name / system).
PROVIDERS = {
    "openai": "openai", "anthropic": "anthropic", "azure.ai.openai": "openai_azure",
    "az.ai.openai": "openai_azure", "aws.bedrock": "bedrock", "gcp.gen_ai": "google",
    "gcp.vertex_ai": "google", "gcp.gemini": "google", "google": "google", "cohere": "cohere",
    "groq": "groq", "mistral_ai": "mistral", "mistral": "mistral", "replicate": "replicate",
    "deepseek": "deepseek",
}
_PARAMS = {
    "gen_ai.request.temperature": "temperature", "gen_ai.request.top_p": "top_p",
    "gen_ai.request.max_tokens": "max_tokens", "gen_ai.request.seed": "seed",
    "gen_ai.request.presence_penalty": "presence_penalty",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
}
_LOG_FIELDS = ("inputs", "output", "error", "messages", "output_message", "metadata",
               "trace_parent_id", "prompt_tokens", "output_tokens", "finish_reason", "user")


@dataclass
class LogPlan:
    """What one span asks the store for."""

    kind: str
    path: str
    kernel: dict[str, Any] | None
    body: dict[str, Any]
    # A log that already exists (an official-SDK flow opened by /flows/log, or a
    # prompts.call logged by the server): update or link it instead of creating one.
    existing_log_id: str | None = None
    # The fields the span states in ``humanloop.log.*``: what updating an existing log merges.
    explicit: dict[str, Any] = field(default_factory=dict)


def classify(span: OtelSpan) -> str | None:
    attrs = span.attributes
    declared = attrs.get(hl.FILE_TYPE)
    if declared in hl.FILE_TYPES:
        return str(declared)
    operation = attrs.get("gen_ai.operation.name") or attrs.get("llm.request.type")
    if operation in PROMPT_OPERATIONS:
        return "prompt"
    if operation == "execute_tool":
        return "tool"
    if operation in ("invoke_agent", "invoke_workflow"):
        return "flow"
    return {"tool": "tool", "workflow": "flow", "agent": "flow"}.get(str(attrs.get("traceloop.span.kind")))


def plan(span: OtelSpan) -> LogPlan | None:
    """The log ``span`` becomes, or None when it is not a log (an HTTP span, a task...)."""
    kind = classify(span)
    if kind is None:
        return None
    attrs = span.attributes
    if span.scope.startswith("humanloop.sdk"):
        attrs = {k: _unrepr(v) for k, v in attrs.items()}
    log = _loads_tree(unflatten(attrs, hl.LOG_PREFIX))
    body: dict[str, Any] = {"start_time": _iso(span.start_ns), "end_time": _iso(span.end_ns),
                            "created_at": _iso(span.end_ns or span.start_ns)}
    if span.end_ns and span.start_ns:
        body["provider_latency"] = max(0, span.end_ns - span.start_ns) / 1e9
    error = _error(span)
    if error:
        body["error"] = error
    kernel: dict[str, Any] | None
    if kind == "prompt":
        kernel = _prompt_kernel(attrs)
        body.update(_prompt_log(attrs, span.events))
    elif kind == "tool":
        kernel = _tool_kernel(attrs)
        args = _json(attrs.get("gen_ai.tool.call.arguments"))
        if args is not None:
            body["inputs"] = args if isinstance(args, dict) else {"arguments": args}
        if attrs.get("gen_ai.tool.call.result") is not None:
            body["output"] = _text(attrs["gen_ai.tool.call.result"])
    else:
        declared = _file_kernel(attrs)
        kernel = {"attributes": (declared or {}).get("attributes") or {}}
        body["trace_status"] = "complete"
    explicit = {k: log[k] for k in _LOG_FIELDS if k in log and log[k] is not None}
    if "output" in explicit and not isinstance(explicit["output"], str):
        explicit["output"] = json.dumps(explicit["output"])
    body.update(explicit)
    if log.get("log_status") in ("complete", "incomplete") and kind == "flow":
        body["trace_status"] = explicit["trace_status"] = log["log_status"]
    service = span.resource.get("service.name")
    metadata = body.get("metadata")
    body["metadata"] = {**(metadata if isinstance(metadata, dict) else {}),
                        "otel": {"trace_id": span.trace_id, "span_id": span.span_id,
                                 "span_name": span.name,
                                 **({"service": service} if service else {})}}
    existing = attrs.get(hl.LOG_ID) or log.get("id")
    return LogPlan(kind=kind, path=_path(kind, span, kernel), kernel=kernel, body=body,
                   existing_log_id=str(existing) if existing else None, explicit=explicit)


# -- prompts -------------------------------------------------------------------------------
def _prompt_kernel(attrs: dict[str, Any]) -> dict[str, Any] | None:
    kernel: dict[str, Any] = {}
    model = attrs.get("gen_ai.request.model") or attrs.get("gen_ai.response.model")
    if model:
        kernel["model"] = str(model)
    provider = PROVIDERS.get(str(attrs.get("gen_ai.provider.name") or attrs.get("gen_ai.system") or "").lower())
    if provider:
        kernel["provider"] = provider
    for attr, key in _PARAMS.items():
        value = _number(attrs.get(attr))
        if value is not None:
            kernel[key] = int(value) if key in ("max_tokens", "seed") else value
    stop = attrs.get("gen_ai.request.stop_sequences")
    if stop:
        kernel["stop"] = [str(s) for s in stop] if isinstance(stop, (list, tuple)) else [str(stop)]
    tools = _json(attrs.get("gen_ai.tool.definitions"))
    if isinstance(tools, list):
        kernel["tools"] = [_tool_function(t) for t in tools if isinstance(t, dict)]
    declared = _file_kernel(attrs) or {}
    kernel.update({k: v for k, v in declared.items() if k in ("template", "model", "provider",
                                                              "temperature", "max_tokens", "tools")})
    # A prompt version needs a model; without one the log goes to the prompt's current version.
    return kernel if kernel.get("model") else None


def _tool_function(tool: dict[str, Any]) -> dict[str, Any]:
    inner = tool.get("function")
    fn: dict[str, Any] = inner if isinstance(inner, dict) else tool
    out = {"name": str(fn.get("name") or "tool"), "description": str(fn.get("description") or "")}
    if isinstance(fn.get("parameters"), dict):
        out["parameters"] = fn["parameters"]
    return out


def _prompt_log(attrs: dict[str, Any], events: tuple[tuple[str, dict[str, Any]], ...]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    from_events, choices = _event_messages(events)
    messages = _semconv_messages(attrs.get("gen_ai.system_instructions"), "system")
    messages += (_semconv_messages(attrs.get("gen_ai.input.messages")) or _legacy_messages(attrs, "gen_ai.prompt")
                 or from_events)
    if messages:
        body["messages"] = messages
    outputs = (_semconv_messages(attrs.get("gen_ai.output.messages"))
               or _legacy_messages(attrs, "gen_ai.completion") or choices)
    if outputs:
        body["output_message"] = outputs[0]
        content = outputs[0].get("content")
        body["output"] = content if isinstance(content, str) else ""
    for keys, name in ((("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"), "prompt_tokens"),
                       (("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"), "output_tokens")):
        value = next((_number(attrs[k]) for k in keys if k in attrs), None)
        if value is not None:
            body[name] = int(value)
    reasons = attrs.get("gen_ai.response.finish_reasons")
    if isinstance(reasons, (list, tuple)) and reasons:
        body["finish_reason"] = str(reasons[0])
    elif isinstance(reasons, str) and reasons:
        body["finish_reason"] = reasons
    return body


def _semconv_messages(raw: Any, role: str | None = None) -> list[dict[str, Any]]:
    """GenAI convention messages (``{"role", "parts": [...]}``) as Humanloop chat messages."""
    value = _json(raw)
    if not isinstance(value, list):
        return []
    if role is not None:  # system instructions: a list of parts
        joined = "".join(str(p.get("content", "")) for p in value if isinstance(p, dict))
        return [{"role": role, "content": joined}] if joined else []
    out = []
    for message in value:
        if not isinstance(message, dict):
            continue
        text: list[str] = []
        calls: list[dict[str, Any]] = []
        call_id = None
        for part in message.get("parts") or []:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text":
                text.append(str(part.get("content", "")))
            elif kind == "tool_call":
                args = part.get("arguments")
                calls.append({"id": str(part.get("id") or ""), "type": "function", "function": {
                    "name": str(part.get("name") or ""),
                    "arguments": args if isinstance(args, str) else json.dumps(args or {})}})
            elif kind == "tool_call_response":
                call_id = part.get("id")
                response = part.get("response")
                text.append(response if isinstance(response, str) else json.dumps(response))
        out.append(_message(message.get("role"), "".join(text), calls, call_id))
    return out


def _legacy_messages(attrs: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """OpenLLMetry's older flattened form: ``gen_ai.prompt.0.role`` / ``.content``."""
    tree = unflatten(attrs, prefix)
    if not isinstance(tree, list):
        return []
    out = []
    for item in tree:
        if not isinstance(item, dict):
            continue
        calls = [{"id": str(c.get("id") or ""), "type": "function",
                  "function": {"name": str(c.get("name") or ""), "arguments": str(c.get("arguments") or "")}}
                 for c in (item.get("tool_calls") or []) if isinstance(c, dict)]
        content = item.get("content")
        out.append(_message(item.get("role"), content if isinstance(content, str) else "",
                            calls, item.get("tool_call_id")))
    return out


_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}


def _event_messages(events: tuple[tuple[str, dict[str, Any]], ...]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The earlier conventions' span events: one per input message, ``gen_ai.choice`` per output."""
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    for name, attrs in events:
        if name not in _EVENT_ROLES and name != "gen_ai.choice":
            continue
        body = _json(attrs.get("gen_ai.event.content"))
        body = body if isinstance(body, dict) else attrs
        if name == "gen_ai.choice":
            body = body.get("message") if isinstance(body.get("message"), dict) else body
        calls = [{"id": str(c.get("id") or ""), "type": "function", "function": {
                     "name": str((c.get("function") or {}).get("name") or ""),
                     "arguments": _text((c.get("function") or {}).get("arguments") or "")}}
                 for c in (_json(body.get("tool_calls")) or []) if isinstance(c, dict)]
        content = body.get("content")
        message = _message(_EVENT_ROLES.get(name, "assistant"), content if isinstance(content, str) else "",
                           calls, body.get("id") if name == "gen_ai.tool.message" else None)
        (outputs if name == "gen_ai.choice" else inputs).append(message)
    return inputs, outputs


def _message(role: Any, text: str, calls: list[dict[str, Any]], call_id: Any) -> dict[str, Any]:
    role = str(role or "user")
    role = "system" if role == "developer" else role
    message: dict[str, Any] = {"role": role if role in ("user", "assistant", "system", "tool") else "user",
                               "content": text}
    if calls:
        message["tool_calls"] = calls
    if call_id:
        message["tool_call_id"] = str(call_id)
    return message


# -- tools, flows, paths -------------------------------------------------------------------
def _tool_kernel(attrs: dict[str, Any]) -> dict[str, Any]:
    declared = _file_kernel(attrs) or {}
    kernel = {k: declared[k] for k in ("function", "source_code", "setup_values", "attributes")
              if declared.get(k) is not None}
    if "function" not in kernel and attrs.get("gen_ai.tool.name"):
        kernel["function"] = {"name": str(attrs["gen_ai.tool.name"]),
                              "description": str(attrs.get("gen_ai.tool.description") or "")}
    return kernel


def _file_kernel(attrs: dict[str, Any]) -> dict[str, Any] | None:
    """A kernel sent as JSON (ours) or flattened under ``humanloop.file`` (the official SDK)."""
    declared = _json(attrs.get(hl.FILE_KERNEL))
    if isinstance(declared, dict):
        return declared
    tree = _loads_tree(unflatten(attrs, hl.FILE_PREFIX))
    if not isinstance(tree, dict):
        return None
    kernel = {k: v for k, v in tree.items() if k not in ("type", "path", "kernel")}
    return kernel or None


def _path(kind: str, span: OtelSpan, kernel: dict[str, Any] | None) -> str:
    attrs = span.attributes
    declared = attrs.get(hl.FILE_PATH) or (attrs.get("gen_ai.prompt.name") if kind == "prompt" else None)
    if declared:
        return str(declared)
    service = str(span.resource.get("service.name") or "otel")
    if service.startswith("unknown_service"):
        service = "otel"
    if kind == "prompt":
        return f"{service}/{(kernel or {}).get('model') or span.name or 'model'}"
    if kind == "tool":
        name = attrs.get("gen_ai.tool.name") or ((kernel or {}).get("function") or {}).get("name")
        return f"{service}/{name or span.name or 'tool'}"
    return f"{service}/{attrs.get('gen_ai.agent.name') or span.name or 'flow'}"


def _error(span: OtelSpan) -> str | None:
    if span.status_code != STATUS_ERROR:
        return None
    for name, attrs in span.events:
        if name == "exception":
            kind, message = attrs.get("exception.type"), attrs.get("exception.message")
            return f"{kind}: {message}" if kind and message else str(message or kind or "error")
    return span.status_message or str(span.attributes.get("error.type") or "error")


# -- small readers -------------------------------------------------------------------------
def unflatten(attrs: dict[str, Any], prefix: str) -> Any:
    """Rebuild ``prefix.a.b = v`` keys into nested dicts; all-numeric keys become lists."""
    root: dict[str, Any] = {}
    start = prefix + "."
    for key, value in attrs.items():
        if not key.startswith(start):
            continue
        node = root
        parts = key[len(start):].split(".")
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def _loads_tree(tree: Any) -> Any:
    """Our structured values are JSON strings; the official SDK's are flattened (done)."""
    if isinstance(tree, dict):
        return {k: (_json(v, keep=True) if k in ("inputs", "messages", "output_message", "metadata",
                                                 "function", "attributes", "setup_values")
                    else _loads_tree(v)) for k, v in tree.items()}
    return tree


def _json(value: Any, keep: bool = False) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value if keep else None
    return value


def _unrepr(value: Any) -> Any:
    """The official SDK exports every attribute as ``str(value)``: read back its bools,
    tuples and lists (numbers stay text: "2" may have been a string)."""
    if not isinstance(value, str):
        return value
    if value in ("True", "False"):
        return value == "True"
    if value[:1] in ("(", "[") and value[-1:] in (")", "]") and len(value) <= 10_000:
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            return value
        return list(parsed) if isinstance(parsed, tuple) else parsed
    return value


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _iso(ns: int) -> str | None:
    return datetime.fromtimestamp(ns / 1e9, timezone.utc).isoformat() if ns else None
