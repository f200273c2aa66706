"""Turning ``prompts.call`` results into LlamaIndex ``ChatResponse``s.

The streaming state machine lives here once, free of I/O: the sync and async shells
only differ in ``for`` versus ``async for`` around :meth:`StreamAccumulator.feed`.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    MessageRole,
    TextBlock,
    ToolCallBlock,
)

from humanloop_core import PromptCallError

from ._convert import from_wire_message, parse_arguments, usage


def response_from_call(response: Any) -> ChatResponse:
    """A non-streamed ``PromptCallResponse`` as a ``ChatResponse`` (first sample)."""
    log = response.logs[0]
    if log.error and log.output is None and log.output_message is None:
        raise PromptCallError(
            body=response.to_wire(),
            message=f"Humanloop log {response.id} recorded an error: {log.error}",
        )
    counts = usage(log.prompt_tokens, log.output_tokens)
    # raw is the wire JSON plus OpenAI-style usage, which LlamaIndex's token counter reads.
    raw = response.to_wire()
    raw["usage"] = counts
    return ChatResponse(
        message=from_wire_message(log.output_message, log.output),
        raw=raw,
        additional_kwargs=dict(counts),
    )


class StreamAccumulator:
    """Builds the cumulative message of a stream, one ``ChatResponse`` per event.

    Every response carries the text so far and its ``delta``; tool calls carry their
    arguments as (possibly partial) JSON text. The closing response (the whole message
    with parsed arguments, the usage in ``raw`` and ``additional_kwargs``) comes once,
    from :meth:`finish` after the stream has ended, not with the ``finish_reason``
    event: providers such as OpenAI report usage in a later event (``choices: []``),
    and a consumer reading the last response must find it there.
    """

    def __init__(self) -> None:
        self.text = ""
        self.calls: list[dict[str, Any]] = []
        self.prompt_tokens: int | None = None
        self.output_tokens: int | None = None
        self.ids: dict[str, Any] = {}
        self.finish_reason: str | None = None

    def feed(self, item: Any) -> ChatResponse | None:
        """The response for one stream event; ``None`` when the event carries no text
        and no tool call (only usage or the finish reason, kept for :meth:`finish`).
        (An event reporting that the model failed never arrives here: the client's
        stream raises ``PromptCallError`` for it.)"""
        message = item.output_message
        delta = item.output
        if delta is None and message is not None and isinstance(message.content, str):
            delta = message.content
        delta = delta or ""
        self.text += delta
        calls = message.tool_calls if message is not None else None
        if calls:
            for call in calls:
                self._merge_call(call)
        if item.prompt_tokens is not None:
            self.prompt_tokens = item.prompt_tokens
        if item.output_tokens is not None:
            self.output_tokens = item.output_tokens
        self.ids = {"id": item.id, "prompt_id": item.prompt_id, "version_id": item.version_id}
        if item.finish_reason is not None:
            self.finish_reason = item.finish_reason
        if not delta and not calls:
            return None
        # raw is the stream item itself, as llama-index's OpenAI passes its chunk objects:
        # dumping every item to a dict would cost more than the rest of this method.
        return ChatResponse(message=self._message(final=False), delta=delta, raw=item)

    def finish(self) -> ChatResponse:
        """The closing response, once the stream has ended: no delta of its own."""
        message = self._message(final=True)
        counts = usage(self.prompt_tokens, self.output_tokens)
        raw = {
            **self.ids,
            "output": self.text,
            "output_message": self._wire_message(),
            "prompt_tokens": self.prompt_tokens,
            "output_tokens": self.output_tokens,
            "finish_reason": self.finish_reason,
            "usage": counts,
        }
        return ChatResponse(message=message, delta="", raw=raw, additional_kwargs=dict(counts))

    def _wire_calls(self) -> list[dict[str, Any]]:
        return [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["arguments"]},
            }
            for c in self.calls
        ]

    def _wire_message(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.calls:
            wire["tool_calls"] = self._wire_calls()
        return wire

    def _merge_call(self, call: Any) -> None:
        """Fold one tool-call delta in: same id (or no id) continues the call it names."""
        function = call.function
        index = getattr(call, "index", None)
        target = None
        if call.id:
            target = next((c for c in self.calls if c["id"] == call.id), None)
        elif isinstance(index, int) and index < len(self.calls):
            target = self.calls[index]
        elif self.calls:
            target = self.calls[-1]
        if target is None:
            self.calls.append(
                {"id": call.id, "name": function.name or "", "arguments": function.arguments or ""}
            )
            return
        if function.name and not target["name"]:
            target["name"] = function.name
        target["arguments"] += function.arguments or ""

    def _message(self, final: bool) -> ChatMessage:
        blocks: list[Any] = [TextBlock(text=self.text)] if self.text or not self.calls else []
        for call in self.calls:
            arguments = parse_arguments(call["arguments"]) if final else call["arguments"]
            blocks.append(
                ToolCallBlock(
                    tool_call_id=call["id"], tool_name=call["name"], tool_kwargs=arguments
                )
            )
        extra = {"tool_calls": self._wire_calls()} if self.calls else {}
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)
