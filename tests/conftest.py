"""Fixtures every suite may use: one real local server for the whole session.

``local_server`` is a running :class:`~humanloop_core.server.LocalServer` on a temporary
SQLite file (so it exercises the same WAL storage as a self-hosted server); ``base_url``
and ``api_key`` are what a client needs to reach it. Tests that need isolation use unique
paths (see ``unique_path``) rather than a fresh server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from humanloop_core.server import LocalServer


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    db = tmp_path_factory.mktemp("humanloop-server") / "humanloop.sqlite"
    with LocalServer(db=db) as srv:
        yield srv


@pytest.fixture
def base_url(local_server: LocalServer) -> str:
    return local_server.base_url


@pytest.fixture
def api_key(local_server: LocalServer) -> str:
    return local_server.api_key


@pytest.fixture
def unique_path(request: pytest.FixtureRequest) -> str:
    """A file path no other test uses, e.g. ``tests/test_call-1a2b3c4d``."""
    return f"tests/{request.node.name[:40]}-{uuid.uuid4().hex[:8]}".replace("[", "-").replace("]", "")
