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
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

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
    return ChatResult(generations=generations, llm_output=llm_output(response))


def llm_output(response: Any) -> dict[str, Any]:
    """``ChatResult.llm_output`` as ChatOpenAI fills it: ``token_usage`` in OpenAI's
    words (summed over samples), ``model_name``, and the log ``id``."""
    prompt_tokens = (response.logs[0].prompt_tokens or 0) if response.logs else 0  # one prompt
    completion_tokens = sum(log.output_tokens or 0 for log in response.logs)
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
             "total_tokens": prompt_tokens + completion_tokens}
    return {"token_usage": usage, "model_name": getattr(response.prompt, "model", None),
            "id": response.id}


def combine_llm_outputs(outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One ``llm_output`` for a batch (``generate``): token usage summed, the model named."""
    usage: dict[str, int] = {}
    model_name = None
    for output in outputs:
        if not output:
            continue
        for key, count in (output.get("token_usage") or {}).items():
            if isinstance(count, int):
                usage[key] = usage.get(key, 0) + count
        model_name = model_name or output.get("model_name")
    return {"token_usage": usage, "model_name": model_name}


def generation_info(meta: dict[str, Any]) -> dict[str, Any]:
    """A streamed generation's ``generation_info``: what ChatOpenAI puts there."""
    return {"finish_reason": meta["finish_reason"], "model_name": meta.get("model_name")}


@dataclass
class StreamAssembler:
    """Turns stream items into chunks; one instance per stream.

    The closing chunk (usage, ``response_metadata``, ``generation_info`` and
    ``chunk_position="last"``) comes from :meth:`close` once the stream has ended,
    not with the ``finish_reason`` item: providers such as OpenAI report usage in a
    later item (``choices: []``), and it must land on that one closing chunk.

    Attributes:
        model_name: The model the request names (kernel override or deployed
            version); a ``model`` field on the first stream item, which this project's
            server adds (the v5 schema has none), takes precedence.
    """

    model_name: str | None = None
    _indices: dict[str, int] = field(default_factory=dict)
    _current: int = 0
    _count: int = 0
    _tokens: tuple[int | None, int | None] = (None, None)
    _ids: tuple[str | None, str | None, str | None] = (None, None, None)
    _finish_reason: str | None = None

    def chunk(self, item: Any) -> ChatGenerationChunk | None:
        """The chunk for one ``PromptCallStreamResponse``; ``None`` when the item
        carries nothing but bookkeeping (usage, the finish reason), kept for :meth:`close`."""
        if self._ids[0] is None:  # the first item: what the server says ran, if it says
            extra = item.__pydantic_extra__ or {}
            self.model_name = extra.get("model") or self.model_name
        self._ids = (item.id, item.prompt_id, item.version_id)
        self._tokens = (
            item.prompt_tokens if item.prompt_tokens is not None else self._tokens[0],
            item.output_tokens if item.output_tokens is not None else self._tokens[1],
        )
        self._finish_reason = item.finish_reason or self._finish_reason
        message = item.output_message
        text = item.output
        if text is None and message is not None and isinstance(message.content, str):
            text = message.content
        chunks = [self._tool_chunk(c) for c in (message.tool_calls or [])] if message else []
        if not text and not chunks:
            return None
        # tool_call_chunks only when there are some: passing an empty list costs a validation
        fields: dict[str, Any] = {"tool_call_chunks": chunks} if chunks else {}
        return ChatGenerationChunk(message=AIMessageChunk(content=text or "", id=item.id, **fields))

    def close(self) -> ChatGenerationChunk:
        """The closing chunk, once the stream has ended."""
        log_id, prompt_id, version_id = self._ids
        meta = response_metadata(
            model_name=self.model_name, finish_reason=self._finish_reason,
            log_id=log_id, prompt_id=prompt_id, version_id=version_id,
        )
        message = AIMessageChunk(
            content="",
            usage_metadata=usage_from_wire(*self._tokens),
            response_metadata=meta,
            chunk_position="last",
            id=log_id,
        )
        return ChatGenerationChunk(message=message, generation_info=generation_info(meta))

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
