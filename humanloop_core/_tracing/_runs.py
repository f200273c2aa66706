"""Callback-style runs -> spans, for the LangChain and LlamaIndex handlers.

Frameworks report runs as start/end callbacks keyed by a run id with a parent run id,
possibly from several threads or tasks, so spans here are started with an explicit parent
and start time and never made current. Runs that are not logs (a chain step, a graph
node) get no span: their children hang from the nearest ancestor that has one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode, Tracer

from . import _schema as hl
from ._schema_json import to_json

logger = logging.getLogger("humanloop_core.tracing")


class RunSpans:
    """Open spans by run id; every method swallows its own failures (telemetry never
    breaks the app), logging them at debug level."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        self._spans: dict[Hashable, Span] = {}
        # run without a span -> the nearest ancestor run with one (or None at the top)
        self._via: dict[Hashable, Hashable | None] = {}
        self._lock = threading.Lock()

    def anchor(self, parent: Hashable | None) -> Hashable | None:
        """The run whose span a child of ``parent`` hangs from."""
        with self._lock:
            while parent is not None and parent not in self._spans:
                if parent not in self._via:
                    return None
                parent = self._via[parent]
            return parent

    def has(self, run: Hashable) -> bool:
        return run in self._spans

    def pass_through(self, run: Hashable, parent: Hashable | None) -> None:
        """``run`` is not a log: its children belong to its nearest logged ancestor."""
        anchor = self.anchor(parent)
        with self._lock:
            self._via[run] = anchor

    def start(self, run: Hashable, parent: Hashable | None, name: str, attributes: Mapping[str, Any],
              start_ns: int | None = None) -> None:
        try:
            anchor = self.anchor(parent)
            context = trace.set_span_in_context(self._spans[anchor]) if anchor is not None else None
            span = self._tracer.start_span(name, context=context, attributes=dict(attributes),
                                           start_time=start_ns or time.time_ns())
            with self._lock:
                self._spans[run] = span
        except Exception:
            logger.debug("could not start a span for run %s", run, exc_info=True)

    def end(self, run: Hashable, attributes: Mapping[str, Any] | None = None,
            error: BaseException | None = None) -> None:
        with self._lock:
            span = self._spans.pop(run, None)
            self._via.pop(run, None)
        if span is None:
            return
        try:
            if attributes:
                span.set_attributes(dict(attributes))
            if error is not None:
                span.set_attribute(hl.LOG_ERROR, f"{type(error).__name__}: {error}")
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()
        except Exception:
            logger.debug("could not end the span of run %s", run, exc_info=True)

    def forget(self, run: Hashable) -> None:
        with self._lock:
            self._via.pop(run, None)


def file_attributes(kind: str, path: str, kernel: Mapping[str, Any] | None = None,
                    inputs: Any = None) -> dict[str, Any]:
    """The ``humanloop.*`` attributes that make a span a flow / tool log at ``path``."""
    out: dict[str, Any] = {hl.FILE_TYPE: kind, hl.FILE_PATH: path}
    if kernel is not None:
        out[hl.FILE_KERNEL] = to_json(kernel)
    if inputs is not None:
        out[hl.LOG_INPUTS] = to_json(inputs)
    return out


def prompt_attributes(path: str, model: str | None, provider: str | None,
                      params: Mapping[str, Any], messages: list[dict[str, Any]],
                      tools: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A model call in the GenAI conventions, claimed as a prompt log at ``path``."""
    out: dict[str, Any] = {hl.FILE_TYPE: "prompt", hl.FILE_PATH: path, "gen_ai.operation.name": "chat",
                           "gen_ai.input.messages": to_json(messages)}
    if model:
        out["gen_ai.request.model"] = model
    if provider:
        out["gen_ai.provider.name"] = provider
    for key in ("temperature", "top_p", "max_tokens", "seed", "presence_penalty", "frequency_penalty"):
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"gen_ai.request.{key}"] = value
    stop = params.get("stop")
    if isinstance(stop, str):
        out["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, (list, tuple)) and stop:
        out["gen_ai.request.stop_sequences"] = [str(s) for s in stop]
    if tools:
        out["gen_ai.tool.definitions"] = to_json(tools)
    return out


def response_attributes(message: dict[str, Any] | None, input_tokens: Any, output_tokens: Any,
                        finish_reason: Any = None, model: Any = None) -> dict[str, Any]:
    """The end of a model call: its output message (GenAI parts), usage, finish reason."""
    out: dict[str, Any] = {}
    if message is not None:
        if finish_reason:
            message = {**message, "finish_reason": str(finish_reason)}
        out["gen_ai.output.messages"] = to_json([message])
    if isinstance(input_tokens, int):
        out["gen_ai.usage.input_tokens"] = input_tokens
    if isinstance(output_tokens, int):
        out["gen_ai.usage.output_tokens"] = output_tokens
    if finish_reason:
        out["gen_ai.response.finish_reasons"] = [str(finish_reason)]
    if isinstance(model, str) and model:
        out["gen_ai.response.model"] = model
    return out


def message(role: str, text: str | None = None, tool_calls: list[dict[str, Any]] | None = None,
            tool_call_id: str | None = None) -> dict[str, Any]:
    """One message in the GenAI conventions' parts form."""
    parts: list[dict[str, Any]] = []
    if tool_call_id is not None:
        parts.append({"type": "tool_call_response", "id": tool_call_id, "response": text or ""})
    elif text:
        parts.append({"type": "text", "content": text})
    for call in tool_calls or ():
        parts.append({"type": "tool_call", "id": call.get("id"), "name": call.get("name"),
                      "arguments": call.get("arguments")})
    return {"role": role, "parts": parts}
