"""``LocalServer``: the server in a background thread, for tests, examples and notebooks."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import API_PREFIX, create_app
from .limits import Limits
from .providers import ProviderRegistry
from .sandbox import Sandbox
from .store import Store, describe, open_store


def generate_api_key() -> str:
    return "hl-local-" + secrets.token_urlsafe(24)


class LocalServer:
    """A running server on a free loopback port, stopped on exit.

    Args:
        db: SQLite file path, ``":memory:"`` for a throwaway database, or a
            ``postgresql://`` URL.
        api_key: Key clients must send; a random one when omitted.
        mock_chunk_delay: Seconds the mock provider waits before each streamed chunk.
        host: Interface to bind; loopback by default.
        port: Port to bind; ``0`` picks a free one.
        store: Use this store instead of opening ``db`` (it is not closed on exit).
        providers: Model providers; defaults to ``mock`` and ``openai``.
        sandbox: Where user code runs (code evaluators, code tools); default limits if omitted.
        limits: Bounds on request bodies; :class:`~humanloop_core.server.limits.Limits`
            defaults when omitted.

    Example:
        >>> with LocalServer() as srv:
        ...     client = Humanloop(api_key=srv.api_key, base_url=srv.base_url)
    """

    def __init__(self, db: str | os.PathLike[str] = ":memory:", api_key: str | None = None,
                 mock_chunk_delay: float = 0.0, *, host: str = "127.0.0.1", port: int = 0,
                 store: Store | None = None, providers: ProviderRegistry | None = None,
                 sandbox: Sandbox | None = None, limits: Limits | None = None) -> None:
        self._db = os.fspath(db)
        self._api_key = api_key or generate_api_key()
        self._mock_chunk_delay = mock_chunk_delay
        self._host, self._port = host, port
        self._given_store = store
        self._providers = providers
        self._sandbox = sandbox
        self._limits = limits
        self._store: Store | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        return self._api_key

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:53117``."""
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """The API base URL clients use, e.g. ``http://127.0.0.1:53117/v5``."""
        return self.url + API_PREFIX

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the server is not running")
        return self._store

    def __repr__(self) -> str:  # never the key
        state = "running" if self._thread and self._thread.is_alive() else "stopped"
        return f"LocalServer(base_url={self.base_url!r}, db={describe(self._db)!r}, {state})"

    def start(self) -> LocalServer:
        if self._thread is not None:
            raise RuntimeError("LocalServer already started")
        self._store = self._given_store or open_store(self._db)
        app = create_app(self._store, self._api_key, self._providers, self._mock_chunk_delay,
                         self._sandbox, self._limits)
        # Bind first so the port is known (and reserved) before the thread starts.
        # proto=IPPROTO_TCP matters: asyncio only turns Nagle off (TCP_NODELAY) on sockets
        # that say they are TCP, and without it every response stalls ~40 ms on delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((self._host, self._port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                timeout_graceful_shutdown=2, timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"humanloop-server:{self._port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the local Humanloop server failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._store is not None and self._given_store is None:
            self._store.close()
        self._server = self._thread = self._store = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
