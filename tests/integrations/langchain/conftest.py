"""Fixtures for the LangChain adapter tests: chat models on the session's local server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from langchain_humanloop import ChatHumanloop


def fresh_path(prefix: str = "tests/langchain") -> str:
    """A prompt path no other test uses, so stored versions never leak between tests."""
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_chat(base_url: str, api_key: str) -> Callable[..., ChatHumanloop]:
    """``make_chat(**fields)``: a ChatHumanloop on the local server with a mock kernel."""

    def make(**fields: Any) -> ChatHumanloop:
        params: dict[str, Any] = {"path": fresh_path(), "model": "mock-1", "provider": "mock",
                                  "base_url": base_url, "api_key": api_key, "max_retries": 0}
        return ChatHumanloop(**{**params, **fields})

    return make


@pytest.fixture
def client(base_url: str, api_key: str) -> Iterator[Any]:
    from humanloop_core import Humanloop

    with Humanloop(base_url=base_url, api_key=api_key, max_retries=0) as hl:
        yield hl
