"""Fixtures for the LlamaIndex adapter: an LLM on the session's local server (mock provider)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.llms.humanloop import Humanloop

import humanloop_core


def fresh_path(name: str = "assistant") -> str:
    """A prompt path no other test uses, so versions and logs never mix between tests."""
    return f"llama-index/{uuid.uuid4().hex[:10]}/{name}"


@pytest.fixture
def client(base_url: str, api_key: str) -> Iterator[humanloop_core.Humanloop]:
    with humanloop_core.Humanloop(api_key=api_key, base_url=base_url) as hl:
        yield hl


@pytest.fixture
def llm(base_url: str, api_key: str) -> Humanloop:
    """A prompt that does not exist yet: the first call creates it from model/provider."""
    return Humanloop(
        path=fresh_path(), model="mock-1", provider="mock", base_url=base_url, api_key=api_key
    )


class Recorder(BaseEventHandler):
    """Keeps every instrumentation event it sees."""

    events: list[Any] = []

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event: Any, **kwargs: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    root = get_dispatcher()
    handler = Recorder(events=[])
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers.remove(handler)
