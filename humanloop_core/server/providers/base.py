"""The provider interface: what prompts.call hands a model provider and gets back.

Messages, tools and tool calls stay in the Humanloop wire shape (plain dicts of
``ChatMessage``, ``ToolFunction``, ``ToolCall``); each provider converts at its edge.
What a provider can do is declared once, in its ``Capabilities``: the server refuses what
a provider lacks from that table (a 400 naming the limit) and the README table is built
from it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class ProviderError(Exception):
    """A provider call that failed. ``status`` is what the server answers with: 4xx when
    the request can't succeed as sent, 429 when the provider is rate limiting (with its
    ``Retry-After``), 502/503/504 when the provider itself failed."""

    def __init__(self, message: str, status: int = 502, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class Capabilities:
    """What a provider's API accepts. ``n``: several samples in one request (otherwise
    the server makes one request per sample)."""

    tools: bool = True
    json_object: bool = True
    json_schema: bool = True
    images: bool = True
    n: bool = False
    logprobs: bool = False
    seed: bool = True
    penalties: bool = True
    endpoints: tuple[str, ...] = ("chat",)
    max_temperature: float = 2.0
    # reasoning_effort forms the API takes: "effort" (low/medium/high), "budget" (tokens).
    reasoning: tuple[str, ...] = ()


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
    n: int = 1
    logprobs: int | None = None
    endpoint: str = "chat"
    # A key the caller passed for a second setting of the provider (Azure's endpoint).
    endpoint_url: str | None = None
    suffix: str | None = None
    reasoning_effort: str | int | None = None

    def __repr__(self) -> str:  # the key never shows in a repr, traceback or log line
        return f"ProviderRequest(model={self.model!r}, messages={len(self.messages)}, endpoint={self.endpoint!r})"

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
            temperature=kernel.get("temperature"), top_p=_unless(kernel.get("top_p"), 1),
            stop=[stop] if isinstance(stop, str) else list(stop or []), seed=kernel.get("seed"),
            presence_penalty=_unless(kernel.get("presence_penalty"), 0),
            frequency_penalty=_unless(kernel.get("frequency_penalty"), 0),
            other=dict(kernel.get("other") or {}), api_key=api_key,
            endpoint=kernel.get("endpoint") or "chat", reasoning_effort=kernel.get("reasoning_effort"),
        )


def _unless(value: Any, neutral: float) -> Any:
    """None for a parameter at its neutral value (the kernel's defaults fill top_p=1 and
    zero penalties): sending it changes nothing but some APIs refuse it (Gemini models
    without penalties, Claude models given both temperature and top_p)."""
    return None if value == neutral else value


def check_supported(provider: str, caps: Capabilities, request: ProviderRequest) -> None:
    """Refuse, naming the limit, what ``provider`` cannot do: a parameter silently
    dropped would give the caller a different model behaviour than the one versioned."""
    def refuse(what: str) -> None:
        raise ProviderError(f"the {provider} provider does not support {what}", 400)

    if request.endpoint not in caps.endpoints:
        refuse(f"endpoint {request.endpoint!r} (supported: {', '.join(caps.endpoints)})")
    rf = (request.response_format or {}).get("type")
    if rf == "json_object" and not caps.json_object:
        refuse("response_format json_object")
    if rf == "json_schema" and not caps.json_schema:
        refuse("response_format json_schema")
    if request.tools and not caps.tools:
        refuse("tools")
    if not caps.seed and request.seed is not None:
        refuse("seed")
    if not caps.penalties and (request.presence_penalty or request.frequency_penalty):
        refuse("presence_penalty/frequency_penalty (leave them 0 or unset)")
    if request.suffix is not None and request.endpoint != "complete":
        refuse("suffix outside endpoint 'complete'")
    effort = request.reasoning_effort
    if effort is not None:
        form = "budget" if isinstance(effort, int) else "effort"
        if form not in caps.reasoning:
            takes = " or ".join({"effort": "low/medium/high", "budget": "a token budget"}[f] for f in caps.reasoning)
            refuse(f"reasoning_effort {effort!r}" + (f" (it takes {takes})" if takes else ""))
    if request.logprobs and not caps.logprobs:
        refuse("logprobs")
    if request.temperature is not None and request.temperature > caps.max_temperature:
        refuse(f"temperature above {caps.max_temperature:g} (got {request.temperature:g})")
    if not caps.images and any(isinstance(m.get("content"), list) and any(
            isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"])
            for m in request.messages):
        refuse("images in messages")


@dataclass
class Completion:
    output: str
    tool_calls: list[dict[str, Any]] | None
    finish_reason: str
    prompt_tokens: int
    output_tokens: int
    logprobs: Any = None
    # Further samples of the same request (num_samples > 1), each a full Completion.
    alternatives: list[Completion] = field(default_factory=list)

    def output_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.output}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        return message


@dataclass
class Chunk:
    """One streamed delta. ``tool_calls`` deltas repeat each call's id and name and carry a
    piece of its ``arguments``: concatenate the pieces per id. ``index`` is the sample."""

    output: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    index: int = 0
    logprobs: Any = None  # the provider's log probabilities of this delta's tokens


class Provider(Protocol):
    name: str
    capabilities: Capabilities

    async def complete(self, request: ProviderRequest) -> Completion: ...

    def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]: ...
