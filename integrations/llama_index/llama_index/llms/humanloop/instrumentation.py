"""Trace any LlamaIndex app into Humanloop: ``HumanloopSpanHandler.attach(client)``.

Attached to the root instrumentation dispatcher, it turns each top-level LlamaIndex span
(a query engine's ``query``, a chat engine's ``chat``, an agent's ``run``) into a flow log,
each LLM chat or completion into a prompt log (messages, model and parameters, output and
tool calls, token usage, latency, error), each retrieval into a tool log whose output is
the nodes found, and each tool call into a tool log, nested as the span tree. Everything
travels as OpenTelemetry spans through the batching exporter: nothing waits on the network.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatEndEvent,
    LLMChatStartEvent,
    LLMCompletionEndEvent,
    LLMCompletionStartEvent,
)
from llama_index.core.instrumentation.events.retrieval import RetrievalEndEvent, RetrievalStartEvent
from llama_index.core.instrumentation.span import SimpleSpan
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from opentelemetry.trace import Tracer
from pydantic import PrivateAttr

from humanloop_core._tracing._runs import (
    RunSpans,
    file_attributes,
    message,
    prompt_attributes,
    response_attributes,
)
from humanloop_core._tracing._schema import LOG_OUTPUT
from humanloop_core._tracing._schema_json import output_text

__all__ = ["HumanloopSpanHandler"]

_PARAMS = ("temperature", "max_tokens", "top_p", "seed", "presence_penalty", "frequency_penalty")


class _Events(BaseEventHandler):
    """The event half: model calls and retrievals, keyed to the span they happen in."""

    _owner: HumanloopSpanHandler = PrivateAttr()

    @classmethod
    def class_name(cls) -> str:
        return "HumanloopEventHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        with contextlib.suppress(Exception):  # telemetry never breaks the app
            self._owner._event(event)


class HumanloopSpanHandler(BaseSpanHandler[SimpleSpan]):
    """Logs LlamaIndex work to Humanloop; make one with :meth:`attach`."""

    _runs: RunSpans = PrivateAttr()
    _directory: str = PrivateAttr()
    _flow_path: str | None = PrivateAttr()
    _pipeline: Any = PrivateAttr()
    _llm_params: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _parents: dict[str, str | None] = PrivateAttr(default_factory=dict)
    # LlamaIndex span id -> the run key of the model call open inside it
    _open_prompts: dict[str, str] = PrivateAttr(default_factory=dict)
    _events: _Events = PrivateAttr()

    @classmethod
    def class_name(cls) -> str:
        return "HumanloopSpanHandler"

    @classmethod
    def attach(cls, client: Any = None, *, directory: str = "llama_index", flow_path: str | None = None,
               tracer: Tracer | None = None) -> HumanloopSpanHandler:
        """Start tracing every LlamaIndex span and event of this process into Humanloop.

        Args:
            client: A ``humanloop_core.Humanloop`` naming the server and key.
            directory: Folder of the files: ``{directory}/{component}`` for flows and
                tools, ``{directory}/{model}`` for prompts.
            flow_path: Path of the flow every top-level span logs to (default: by component).
            tracer: Send through this tracer instead (its provider must export to Humanloop).
        """
        handler = cls()
        pipeline = None
        if tracer is None:
            if client is None:
                raise ValueError("pass a Humanloop client (or a tracer that exports to Humanloop)")
            from humanloop_core.exporter import pipeline_for

            pipeline = pipeline_for(client, instrument=False)
            tracer = pipeline.tracer
        handler._pipeline = pipeline
        handler._runs = RunSpans(tracer)
        handler._directory = directory.strip("/")
        handler._flow_path = flow_path
        handler._events = _Events()
        handler._events._owner = handler
        dispatcher = _root()
        dispatcher.add_span_handler(handler)
        dispatcher.add_event_handler(handler._events)
        return handler

    def detach(self) -> None:
        """Stop tracing (spans already made are still sent)."""
        dispatcher = _root()
        if self in dispatcher.span_handlers:
            dispatcher.span_handlers.remove(self)
        if self._events in dispatcher.event_handlers:
            dispatcher.event_handlers.remove(self._events)

    def flush(self, timeout: float = 30.0) -> bool:
        """Send what has been traced so far (tests and short scripts)."""
        return bool(self._pipeline.processor.force_flush(int(timeout * 1000))) if self._pipeline else True

    def _path(self, name: str) -> str:
        return f"{self._directory}/{name}" if self._directory else name

    # -- spans -----------------------------------------------------------------------------------
    def new_span(self, id_: str, bound_args: inspect.BoundArguments, instance: Any | None = None,
                 parent_span_id: str | None = None, tags: dict[str, Any] | None = None,
                 **kwargs: Any) -> SimpleSpan:
        with contextlib.suppress(Exception):  # telemetry never breaks the app
            self._open(id_, bound_args, instance, parent_span_id)
        return SimpleSpan(id_=id_, parent_id=parent_span_id)

    def _open(self, id_: str, bound_args: inspect.BoundArguments, instance: Any,
              parent: str | None) -> None:
        self._parents[id_] = parent
        if parent is None:
            name = getattr(instance, "name", None) or type(instance).__name__ if instance else id_.split("-")[0]
            inputs = _plain(dict(bound_args.arguments))
            self._runs.start(id_, None, "humanloop.flow", file_attributes(
                "flow", self._flow_path or self._path(str(name)), {"attributes": {}}, inputs))
            return
        metadata = getattr(instance, "metadata", None)
        if _is_tool(instance) and id_.split("-")[0].rsplit(".", 1)[-1] in ("call", "acall"):
            name = str(getattr(metadata, "name", None) or type(instance).__name__)
            function = {"name": name, "description": str(getattr(metadata, "description", "") or "")}
            schema = getattr(metadata, "get_parameters_dict", None)
            if callable(schema):
                function["parameters"] = schema()
            arguments = {k: v for k, v in bound_args.arguments.items() if k != "self"}
            inputs = arguments.get("kwargs") if isinstance(arguments.get("kwargs"), dict) else arguments
            self._runs.start(id_, parent, f"execute_tool {name}",
                             file_attributes("tool", self._path(name), {"function": function}, _plain(inputs)))
            return
        if instance is not None and hasattr(instance, "metadata") and hasattr(instance, "chat"):
            # An LLM method: keep its sampling parameters for the chat event inside it.
            self._llm_params[id_] = {k: getattr(instance, k) for k in _PARAMS if hasattr(instance, k)}
        self._runs.pass_through(id_, parent)

    def prepare_to_exit_span(self, id_: str, bound_args: inspect.BoundArguments,
                             instance: Any | None = None, result: Any | None = None,
                             **kwargs: Any) -> SimpleSpan | None:
        self._llm_params.pop(id_, None)
        self._parents.pop(id_, None)
        if self._runs.has(id_):
            content = getattr(result, "content", None) if _is_tool(instance) else None
            self._runs.end(id_, {LOG_OUTPUT: output_text(_plain(content if content is not None else _result(result)))})
        else:
            self._runs.forget(id_)
        return self.open_spans.get(id_)

    def prepare_to_drop_span(self, id_: str, bound_args: inspect.BoundArguments,
                             instance: Any | None = None, err: BaseException | None = None,
                             **kwargs: Any) -> SimpleSpan | None:
        self._llm_params.pop(id_, None)
        self._parents.pop(id_, None)
        key = self._open_prompts.pop(id_, None)
        if key is not None:  # a model call that raised: no end event comes
            self._runs.end(key, error=err)
        if self._runs.has(id_):
            self._runs.end(id_, error=err)
        else:
            self._runs.forget(id_)
        return self.open_spans.get(id_)

    # -- events ----------------------------------------------------------------------------------
    def _event(self, event: BaseEvent) -> None:
        span_id = event.span_id
        if isinstance(event, (LLMChatStartEvent, LLMCompletionStartEvent)):
            if self._inside_prompt(span_id):
                return  # a chat made by a completion (or vice versa) is the same model call
            params = self._llm_params.get(span_id or "", {})
            model_dict = event.model_dict or {}
            model = str(model_dict.get("model_name") or model_dict.get("model") or "model")
            provider = str(model_dict.get("class_name") or "").split("_")[0] or None
            if isinstance(event, LLMChatStartEvent):
                inputs = [_message(m) for m in event.messages]
                tools = [t.get("function", t) for t in event.additional_kwargs.get("tools") or []
                         if isinstance(t, dict)]
            else:
                inputs, tools = [message("user", event.prompt)], []
            key = f"llm:{event.id_}"
            self._runs.start(key, span_id, f"chat {model}",
                             prompt_attributes(self._path(model), model, provider, params, inputs, tools))
            self._open_prompts[span_id or ""] = key
        elif isinstance(event, (LLMChatEndEvent, LLMCompletionEndEvent)):
            found = self._open_prompts.pop(span_id or "", "")
            if not found:
                return
            key = found
            response = event.response
            extra = getattr(response, "additional_kwargs", None) or {}
            usage = getattr(getattr(response, "raw", None), "usage", None)
            if isinstance(event, LLMChatEndEvent) and event.response is not None:
                out = _message(event.response.message)
            else:
                out = message("assistant", getattr(response, "text", None))
            self._runs.end(key, response_attributes(
                out, extra.get("prompt_tokens", getattr(usage, "prompt_tokens", None)),
                extra.get("completion_tokens", getattr(usage, "completion_tokens", None)),
                "tool_calls" if any(p["type"] == "tool_call" for p in out["parts"]) else "stop"))
        elif isinstance(event, RetrievalStartEvent):
            query = _query(event.str_or_query_bundle)
            name = span_id.split("-")[0].split(".")[0] if span_id else "retriever"
            function = {"name": name, "description": "retriever",
                        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}
            self._runs.start(f"retrieve:{span_id}", span_id, f"retrieve {name}",
                             file_attributes("tool", self._path(name), {"function": function}, {"query": query}))
        elif isinstance(event, RetrievalEndEvent):
            nodes = [{"text": n.node.get_content(), "score": n.score, "metadata": n.node.metadata}
                     for n in event.nodes]
            self._runs.end(f"retrieve:{span_id}", {LOG_OUTPUT: output_text(nodes)})

    def _inside_prompt(self, span_id: str | None) -> bool:
        """Whether an enclosing span already has a model call open."""
        seen = 0
        current = self._parents.get(span_id or "")
        while current is not None and seen < 256:
            if current in self._open_prompts:
                return True
            current, seen = self._parents.get(current), seen + 1
        return False


def _root() -> Any:
    """The root dispatcher (every component's spans and events reach it)."""
    import llama_index.core.instrumentation as instrumentation

    return instrumentation.get_dispatcher()  # type: ignore[attr-defined]


def _is_tool(instance: Any) -> bool:
    from llama_index.core.tools.types import BaseTool

    return isinstance(instance, BaseTool)


def _message(msg: Any) -> dict[str, Any]:
    role = str(getattr(getattr(msg, "role", None), "value", getattr(msg, "role", "user")) or "user")
    role = {"chatbot": "assistant", "model": "assistant", "function": "tool"}.get(role, role)
    calls = []
    for block in getattr(msg, "blocks", None) or []:
        if getattr(block, "block_type", None) == "tool_call":
            args = block.tool_kwargs
            calls.append({"id": block.tool_call_id, "name": block.tool_name,
                          "arguments": json.loads(args) if isinstance(args, str) and args.startswith("{") else args})
    extra = getattr(msg, "additional_kwargs", None) or {}
    if not calls:
        for call in extra.get("tool_calls") or []:
            fn = getattr(call, "function", None)
            calls.append({"id": getattr(call, "id", None), "name": getattr(fn, "name", None),
                          "arguments": getattr(fn, "arguments", None)})
    call_id = extra.get("tool_call_id") if role == "tool" else None
    return message(role, getattr(msg, "content", None) or "", calls, call_id)


def _query(bundle: Any) -> str:
    return str(getattr(bundle, "query_str", bundle))


def _result(result: Any) -> Any:
    """A component's result as a log's output: a Response's text, a StopEvent's result."""
    for attr in ("response", "result"):
        value = getattr(result, attr, None)
        if value is not None:
            return str(value) if not isinstance(value, (str, dict, list)) else value
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k != "self"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "query_str"):
        return value.query_str
    return str(value)
