"""``HumanloopCallbackHandler``: trace any LangChain runnable (or LangGraph graph) into Humanloop.

Attach it with ``config={"callbacks": [handler]}``. Each top-level run becomes a flow log;
each chat model or LLM call, of any provider, a prompt log (messages, model and
parameters from the invocation params, output, tool calls, token usage, latency, error);
each tool a tool log; each retriever a tool log whose output is its documents; nested as
the run tree (chain steps and graph nodes are not logs: their children hang from the
nearest run that is). Runs become OpenTelemetry spans sent by the batching exporter, so
the handler never waits on the network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from opentelemetry.trace import Tracer

from humanloop_core._tracing._runs import (
    RunSpans,
    file_attributes,
    message,
    prompt_attributes,
    response_attributes,
)
from humanloop_core._tracing._schema import LOG_OUTPUT
from humanloop_core._tracing._schema_json import output_text

__all__ = ["HumanloopCallbackHandler"]

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool",
          "function": "tool", "chat": "user", "AIMessageChunk": "assistant"}


class HumanloopCallbackHandler(BaseCallbackHandler):
    """Logs runs to Humanloop as flows, prompts and tools.

    Args:
        client: A ``humanloop_core.Humanloop`` (or ``AsyncHumanloop``) naming the server
            and key to send to.
        directory: Folder the files are named in: ``{directory}/{run name}`` for flows,
            ``{directory}/{model}`` for prompts, ``{directory}/{tool name}`` for tools.
        flow_path: Path of the flow every top-level run logs to (default: by run name).
        tracer: Send through this OpenTelemetry tracer instead (its provider must export
            to Humanloop, e.g. with ``HumanloopSpanProcessor``).
    """

    raise_error = False
    run_inline = True  # keeps the run tree's order as it happened

    def __init__(self, client: Any = None, *, directory: str = "langchain", flow_path: str | None = None,
                 tracer: Tracer | None = None) -> None:
        super().__init__()
        if tracer is None:
            if client is None:
                raise ValueError("pass a Humanloop client (or a tracer that exports to Humanloop)")
            from humanloop_core.exporter import pipeline_for

            self._pipeline: Any = pipeline_for(client, instrument=False)
            tracer = self._pipeline.tracer
        else:
            self._pipeline = None
        self._runs = RunSpans(tracer)
        self._directory = directory.strip("/")
        self._flow_path = flow_path

    def flush(self, timeout: float = 30.0) -> bool:
        """Send what has been traced so far (tests and short scripts)."""
        return bool(self._pipeline.processor.force_flush(int(timeout * 1000))) if self._pipeline else True

    def _path(self, name: str) -> str:
        return f"{self._directory}/{name}" if self._directory else name

    def _top(self, serialized: dict[str, Any] | None, inputs: Any, run_id: UUID,
             parent_run_id: UUID | None, kwargs: dict[str, Any]) -> UUID | None:
        """A top-level run opens its flow; returns the run the actual span hangs from."""
        if parent_run_id is not None:
            return parent_run_id
        name = kwargs.get("name") or _name(serialized) or "run"
        path = self._flow_path or self._path(name)
        plain = _plain(inputs)
        self._runs.start(("flow", run_id), None, "humanloop.flow", file_attributes(
            "flow", path, {"attributes": {}}, plain if isinstance(plain, dict) else {"input": plain}))
        return ("flow", run_id)  # type: ignore[return-value]

    # -- chains (and graph nodes) --------------------------------------------------------------
    def on_chain_start(self, serialized: dict[str, Any], inputs: dict[str, Any], *, run_id: UUID,
                       parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        anchor = self._top(serialized, inputs, run_id, parent_run_id, kwargs)
        self._runs.pass_through(run_id, anchor)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                     **kwargs: Any) -> None:
        self._runs.forget(run_id)
        if parent_run_id is None:
            self._runs.end(("flow", run_id), {LOG_OUTPUT: output_text(_plain(outputs))})

    def on_chain_error(self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None,
                       **kwargs: Any) -> None:
        self._runs.forget(run_id)
        if parent_run_id is None:
            self._runs.end(("flow", run_id), error=error)

    # -- models --------------------------------------------------------------------------------
    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[BaseMessage]], *,
                            run_id: UUID, parent_run_id: UUID | None = None,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        inputs = [_message(m) for m in (messages[0] if messages else [])]
        self._model_start(serialized, inputs, run_id, parent_run_id, metadata, kwargs)

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID,
                     parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:
        inputs = [message("user", prompts[0])] if prompts else []
        self._model_start(serialized, inputs, run_id, parent_run_id, metadata, kwargs)

    def _model_start(self, serialized: dict[str, Any], inputs: list[dict[str, Any]], run_id: UUID,
                     parent_run_id: UUID | None, metadata: dict[str, Any] | None,
                     kwargs: dict[str, Any]) -> None:
        anchor = self._top(serialized, {"messages": inputs}, run_id, parent_run_id, kwargs)
        params = {**((serialized or {}).get("kwargs") or {}), **(kwargs.get("invocation_params") or {})}
        meta = metadata or {}
        model = (params.get("model") or params.get("model_name") or meta.get("ls_model_name")
                 or _name(serialized) or "model")
        if "max_tokens" not in params and params.get("max_completion_tokens") is not None:
            params["max_tokens"] = params["max_completion_tokens"]
        params.setdefault("temperature", meta.get("ls_temperature"))
        tools = [t.get("function", t) for t in params.get("tools") or [] if isinstance(t, dict)]
        provider = meta.get("ls_provider") or str(params.get("_type", "")).split("-")[0] or None
        self._runs.start(run_id, anchor, f"chat {model}",
                         prompt_attributes(self._path(str(model)), str(model), provider, params, inputs, tools))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, parent_run_id: UUID | None = None,
                   **kwargs: Any) -> None:
        generation = response.generations[0][0] if response.generations and response.generations[0] else None
        out, usage, finish = None, {}, None
        if isinstance(generation, ChatGeneration):
            out = _message(generation.message)
            usage = dict(getattr(generation.message, "usage_metadata", None) or {})
            finish = (generation.generation_info or {}).get("finish_reason") or \
                generation.message.response_metadata.get("finish_reason")
        elif generation is not None:
            out = message("assistant", generation.text)
            finish = (generation.generation_info or {}).get("finish_reason")
        token_usage = (response.llm_output or {}).get("token_usage") or {}
        model = (response.llm_output or {}).get("model_name")
        self._runs.end(run_id, response_attributes(
            out, usage.get("input_tokens", token_usage.get("prompt_tokens")),
            usage.get("output_tokens", token_usage.get("completion_tokens")), finish, model))
        self._close_top(run_id, parent_run_id, out)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None,
                     **kwargs: Any) -> None:
        self._runs.end(run_id, error=error)
        self._close_top(run_id, parent_run_id, None, error)

    # -- tools and retrievers --------------------------------------------------------------------
    def on_tool_start(self, serialized: dict[str, Any], input_str: str, *, run_id: UUID,
                      parent_run_id: UUID | None = None, inputs: dict[str, Any] | None = None,
                      **kwargs: Any) -> None:
        name = kwargs.get("name") or _name(serialized) or "tool"
        anchor = self._top(serialized, inputs or input_str, run_id, parent_run_id, kwargs)
        function = {"name": name, "description": (serialized or {}).get("description") or ""}
        self._runs.start(run_id, anchor, f"execute_tool {name}", file_attributes(
            "tool", self._path(name), {"function": function}, inputs if inputs is not None else {"input": input_str}))

    def on_tool_end(self, output: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                    **kwargs: Any) -> None:
        content = getattr(output, "content", output)
        self._runs.end(run_id, {LOG_OUTPUT: output_text(_plain(content))})
        self._close_top(run_id, parent_run_id, content)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None,
                      **kwargs: Any) -> None:
        self._runs.end(run_id, error=error)
        self._close_top(run_id, parent_run_id, None, error)

    def on_retriever_start(self, serialized: dict[str, Any], query: str, *, run_id: UUID,
                           parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        name = kwargs.get("name") or _name(serialized) or "retriever"
        anchor = self._top(serialized, {"query": query}, run_id, parent_run_id, kwargs)
        function = {"name": name, "description": "retriever",
                    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}
        self._runs.start(run_id, anchor, f"retrieve {name}",
                         file_attributes("tool", self._path(name), {"function": function}, {"query": query}))

    def on_retriever_end(self, documents: Sequence[Any], *, run_id: UUID,
                         parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        docs = [{"page_content": getattr(d, "page_content", str(d)), "metadata": getattr(d, "metadata", {})}
                for d in documents]
        self._runs.end(run_id, {LOG_OUTPUT: output_text(docs)})
        self._close_top(run_id, parent_run_id, docs)

    def on_retriever_error(self, error: BaseException, *, run_id: UUID,
                           parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._runs.end(run_id, error=error)
        self._close_top(run_id, parent_run_id, None, error)

    def _close_top(self, run_id: UUID, parent_run_id: UUID | None, output: Any,
                   error: BaseException | None = None) -> None:
        """A model, tool or retriever called on its own was also its own top-level flow."""
        if parent_run_id is None:
            self._runs.end(("flow", run_id), None if error else {LOG_OUTPUT: output_text(_plain(output))},
                           error)


def _name(serialized: dict[str, Any] | None) -> str | None:
    if not serialized:
        return None
    name = serialized.get("name")
    if name:
        return str(name)
    ident = serialized.get("id")
    return str(ident[-1]) if isinstance(ident, list) and ident else None


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                       if isinstance(b, (str, dict)))
    return str(content)


def _message(msg: BaseMessage) -> dict[str, Any]:
    role = _ROLES.get(msg.type, "user")
    calls = [{"id": c.get("id"), "name": c.get("name"), "arguments": c.get("args")}
             for c in getattr(msg, "tool_calls", None) or []]
    call_id = getattr(msg, "tool_call_id", None) if role == "tool" else None
    return message(role, _text(msg.content), calls, call_id)


def _plain(value: Any) -> Any:
    """Run inputs/outputs as JSON-able values: messages become GenAI messages."""
    if isinstance(value, BaseMessage):
        return {"role": _ROLES.get(value.type, "user"), "content": _text(value.content)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return getattr(value, "page_content", None) or repr(value)
