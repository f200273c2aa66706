"""Humanloop responses as LangChain results: whole calls and streamed chunks.

``StreamAssembler.chunk`` is the one place a ``PromptCallStreamResponse`` becomes an
``AIMessageChunk``; the sync and async streams differ only in ``for`` vs ``async for``.
It keeps the small state streaming needs so the aggregated message is right:
usage on exactly one chunk, ``response_metadata`` set once (LangChain concatenates
string metadata when chunks are added), ``chunk_position="last"`` on the final chunk,
and tool-call chunks indexed per tool call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatResult

from humanloop_core import PromptCallError

from ._convert import (
    content_from_wire,
    finish_reason_from_wire,
    tool_calls_from_wire,
    usage_from_wire,
)

PROVIDER = "humanloop"



def response_metadata(
    *, model_name: str | None, finish_reason: str | None, log_id: str | None,
    prompt_id: str | None, version_id: str | None,
) -> dict[str, Any]:
    """The metadata every finished message carries, in one shape for calls and streams."""
    meta: dict[str, Any] = {"model_provider": PROVIDER}
    if model_name:
        meta["model_name"] = model_name
    meta["finish_reason"] = finish_reason_from_wire(finish_reason)
    if finish_reason and meta["finish_reason"] != finish_reason:
        meta["humanloop_finish_reason"] = finish_reason  # the provider's own word, kept
    meta.update(log_id=log_id, prompt_id=prompt_id, version_id=version_id)
    return meta


def result_from_response(response: Any) -> ChatResult:
    """A ``PromptCallResponse`` as a ``ChatResult`` (one generation per log sample)."""
    prompt = response.prompt
    generations = []
    for log in response.logs:
        if log.error and log.output is None and log.output_message is None:
            raise PromptCallError(body=response.to_wire(),
                                     message=f"Humanloop log {response.id} recorded an error: {log.error}")
        message = log.output_message
        tool_calls, invalid = tool_calls_from_wire(message.tool_calls if message else None)
        meta = response_metadata(
            model_name=getattr(prompt, "model", None), finish_reason=log.finish_reason,
            log_id=response.id, prompt_id=prompt.id, version_id=prompt.version_id,
        )
        ai = AIMessage(
            content=content_from_wire(message.content if message else None, log.output),
            tool_calls=tool_calls,
            invalid_tool_calls=invalid,
            usage_metadata=usage_from_wire(log.prompt_tokens, log.output_tokens),
            response_metadata=meta,
            id=response.id,
        )
        generations.append(ChatGeneration(message=ai, generation_info={"finish_reason": meta["finish_reason"]}))
    return ChatResult(generations=generations, llm_output={"model_name": getattr(prompt, "model", None)})


@dataclass
class StreamAssembler:
    """Turns stream items into chunks; one instance per stream.

    Attributes:
        model_name: The model the request names (kernel override or deployed
            version); a ``model`` field on the stream item, if the server adds one,
            takes precedence.
    """

    model_name: str | None = None
    _indices: dict[str, int] = field(default_factory=dict)
    _current: int = 0
    _count: int = 0
    _tokens: tuple[int | None, int | None] = (None, None)
    _ids: tuple[str | None, str | None, str | None] = (None, None, None)
    finished: bool = False

    def chunk(self, item: Any) -> AIMessageChunk:
        """The chunk for one ``PromptCallStreamResponse``."""
        self._ids = (item.id, item.prompt_id, item.version_id)
        self._tokens = (
            item.prompt_tokens if item.prompt_tokens is not None else self._tokens[0],
            item.output_tokens if item.output_tokens is not None else self._tokens[1],
        )
        self.model_name = getattr(item, "model", None) or self.model_name
        message = item.output_message
        text = item.output
        if text is None and message is not None and isinstance(message.content, str):
            text = message.content
        chunks = [self._tool_chunk(c) for c in (message.tool_calls or [])] if message else []
        if item.finish_reason:
            return self._final(text or "", chunks, item.finish_reason)
        return AIMessageChunk(content=text or "", tool_call_chunks=chunks, id=item.id)

    def close(self) -> AIMessageChunk | None:
        """The closing chunk when the stream ended without a finish reason, else ``None``."""
        return None if self.finished else self._final("", [], None)

    def _final(self, text: str, chunks: list[Any], finish_reason: str | None) -> AIMessageChunk:
        self.finished = True
        log_id, prompt_id, version_id = self._ids
        return AIMessageChunk(
            content=text,
            tool_call_chunks=chunks,
            usage_metadata=usage_from_wire(*self._tokens),
            response_metadata=response_metadata(
                model_name=self.model_name, finish_reason=finish_reason,
                log_id=log_id, prompt_id=prompt_id, version_id=version_id,
            ),
            chunk_position="last",
            id=log_id,
        )

    def _tool_chunk(self, call: Any) -> Any:
        """A ``ToolCallChunk`` whose index is stable per tool call.

        Servers send a tool call whole or as deltas: an unseen id (or the very first
        call) starts a new index; a seen id, or no id, continues the current call
        with id and name left out, since merging chunks concatenates strings.
        """
        call_id = call.id or None
        if (call_id and call_id not in self._indices) or (not call_id and self._count == 0):
            self._current = self._count
            self._count += 1
            if call_id:
                self._indices[call_id] = self._current
            name = call.function.name or None
            return tool_call_chunk(name=name, args=call.function.arguments or "", id=call_id, index=self._current)
        if call_id:
            self._current = self._indices[call_id]
        return tool_call_chunk(args=call.function.arguments or "", index=self._current)
