"""A self-hostable Humanloop v5 compatible server (extra ``server``: FastAPI + uvicorn).

Run it with ``humanloop-server`` / ``python -m humanloop_core.server``, or in-process::

    from humanloop_core.server import LocalServer

    with LocalServer() as srv:
        client = Humanloop(api_key=srv.api_key, base_url=srv.base_url)
"""

from __future__ import annotations

try:
    import fastapi  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the Humanloop server needs the 'server' extra: pip install 'humanloop-core[server]'"
    ) from exc

from .app import create_app
from .local import LocalServer, generate_api_key
from .providers import ProviderRegistry
from .store import SqliteStore, Store, open_store

# PostgresStore is reached through open_store("postgresql://...") or .store.postgres, so
# importing the server does not import psycopg.
__all__ = ["LocalServer", "ProviderRegistry", "SqliteStore", "Store", "create_app", "generate_api_key",
           "open_store"]
