"""Fixtures both adapters' suites share: the ``openai`` provider on a loopback fake OpenAI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integrations.fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAI]:
    """The session's local server sends ``provider: "openai"`` prompts here (the server
    reads ``OPENAI_BASE_URL``/``OPENAI_API_KEY`` at each call)."""
    with FakeOpenAI().running() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-fake-for-tests")
        yield fake
