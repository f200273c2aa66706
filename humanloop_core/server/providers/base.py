"""The provider interface: what prompts.call hands a model provider and gets back.

Messages, tools and tool calls stay in the Humanloop wire shape (plain dicts of
``ChatMessage``, ``ToolFunction``, ``ToolCall``); each provider converts at its edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderError(Exception):
    """A provider call that failed. ``status`` is what the server answers with: 4xx when
    the request can't succeed as sent, 502 when the provider itself failed."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ProviderRequest:
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    other: dict[str, Any] = field(default_factory=dict)
    api_key: str | None = None

    @classmethod
    def from_kernel(cls, kernel: dict[str, Any], messages: list[dict[str, Any]],
                    tool_choice: Any, api_key: str | None) -> ProviderRequest:
        stop = kernel.get("stop")
        max_tokens = kernel.get("max_tokens")
        return cls(
            model=kernel["model"], messages=messages, tools=list(kernel.get("tools") or []),
            tool_choice=tool_choice, response_format=kernel.get("response_format"),
            # -1 is the schema's "no limit"
            max_tokens=max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else None,
            temperature=kernel.get("temperature"), top_p=kernel.get("top_p"),
            stop=[stop] if isinstance(stop, str) else list(stop or []), seed=kernel.get("seed"),
            presence_penalty=kernel.get("presence_penalty"),
            frequency_penalty=kernel.get("frequency_penalty"),
            other=dict(kernel.get("other") or {}), api_key=api_key,
        )


@dataclass
class Completion:
    output: str
    tool_calls: list[dict[str, Any]] | None
    finish_reason: str
    prompt_tokens: int
    output_tokens: int

    def output_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.output}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message


@dataclass
class Chunk:
    """One streamed delta. ``tool_calls`` deltas repeat each call's id and name and carry a
    piece of its ``arguments``: concatenate the pieces per id."""

    output: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None


class Provider(Protocol):
    name: str

    async def complete(self, request: ProviderRequest) -> Completion: ...

    def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]: ...
