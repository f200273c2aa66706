"""Which ``@prompt`` is running, so a model-call span started inside it can be claimed."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class PromptFrame:
    path: str
    inputs: str | None = None  # the call's inputs as JSON, for the model call's log
    provider_calls: int = 0
    # The @prompt span's id: only the processor that saw that span start may claim a model
    # call for this frame (a closed pipeline's, or another server's, must not swallow it).
    span_id: int = 0


_CURRENT: ContextVar[PromptFrame | None] = ContextVar("humanloop_prompt_frame", default=None)


def current_prompt() -> PromptFrame | None:
    return _CURRENT.get()


def enter_prompt(frame: PromptFrame) -> object:
    return _CURRENT.set(frame)


def leave_prompt(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]
