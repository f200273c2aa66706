"""Raw-HTTP fixtures for the server suite: every 2xx/422 answer is checked against the spec."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.server.wire import validate_response

MOCK = {"model": "mock-1", "provider": "mock"}


def _check(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return  # streams are checked event by event in their tests
    response.read()
    if response.status_code < 300 or response.status_code == 422:
        validate_response(response.request, response)


@pytest.fixture
def http(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    """An httpx client on the session server that validates responses against the spec."""
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30,
                      event_hooks={"response": [_check]}) as client:
        yield client


def sse_items(response: httpx.Response) -> list[dict[str, Any]]:
    """The JSON payloads of a server-sent-event stream, in order."""
    import json

    items = []
    for block in response.read().decode().split("\n\n"):
        data = [line[5:].lstrip() for line in block.splitlines() if line.startswith("data:")]
        if data:
            items.append(json.loads("\n".join(data)))
    return items


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """One real PostgreSQL for the session (skipped, naming what is missing, where none can run)."""
    from tests.server.postgres_server import PostgresServer, missing_reason

    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    """A URL on the session's PostgreSQL whose tables live in a schema of this test's own."""
    return str(postgres_server.fresh_schema())
