"""``humanloop-server`` / ``python -m humanloop_core.server``: run the server."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .limits import Limits


def default_db() -> str:
    import platformdirs

    directory = Path(platformdirs.user_data_dir("humanloop-core", appauthor=False))
    directory.mkdir(parents=True, exist_ok=True)
    return str(directory / "humanloop.sqlite")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="humanloop-server",
                                     description="A self-hostable Humanloop v5 compatible server.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--db", default=None,
                        help="SQLite file (default: in the user data directory), ':memory:' for a throwaway one, "
                             "or a postgresql:// URL (needs the `postgres` extra)")
    parser.add_argument("--api-key", default=None,
                        help="key clients send as X-API-KEY (default: $HUMANLOOP_API_KEY, else generated; "
                             "prefer the variable: arguments show in the process list)")
    parser.add_argument("--mock-chunk-delay", type=float, default=0.0,
                        help="seconds the mock provider waits before each streamed chunk")
    parser.add_argument("--prices", default=None,
                        help="JSON price table whose entries win over the shipped one (default: $HUMANLOOP_PRICES); "
                             "re-read when it changes")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes sharing the port (default 1), all on the one database "
                             "(a SQLite file or PostgreSQL; not ':memory:')")
    parser.add_argument("--sandbox-timeout", type=float, default=None,
                        help="seconds of wall clock a code evaluator or code tool may run (default 5)")
    parser.add_argument("--sandbox-memory-mb", type=int, default=None,
                        help="address space a code evaluator or code tool may use, in MiB (default 512)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    limits = parser.add_argument_group("limits")
    limits.add_argument("--max-body-bytes", type=int, default=Limits.max_body_bytes,
                        help=f"largest request body accepted, in bytes (default {Limits.max_body_bytes})")
    limits.add_argument("--max-json-depth", type=int, default=Limits.max_json_depth,
                        help=f"deepest JSON nesting accepted in a body (default {Limits.max_json_depth})")
    limits.add_argument("--graceful-timeout", type=float, default=5.0,
                        help="seconds requests in flight get to finish on SIGTERM/SIGINT before they are "
                             "cancelled (a cancelled stream still stores its log) (default 5)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    import uvicorn

    from . import create_app, generate_api_key
    from .store import open_store

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    api_key = args.api_key or os.environ.get("HUMANLOOP_API_KEY")
    if not api_key:
        api_key = generate_api_key()
        # Shown once, here, so the operator can configure clients; never logged afterwards.
        print(f"Generated API key (shown once): {api_key}", file=sys.stderr, flush=True)
    if args.prices:
        from . import prices

        prices.table(args.prices)  # a broken file fails now, not on the first call
        os.environ[prices.ENV] = args.prices
    db = args.db or default_db()
    # Through the environment, so --workers processes get the same limits.
    for env, value in ((_ENV_SANDBOX_TIMEOUT, args.sandbox_timeout), (_ENV_SANDBOX_MEMORY, args.sandbox_memory_mb)):
        if value is not None:
            os.environ[env] = str(value)
    if args.workers > 1:
        _run_workers(args, db, api_key)
        return
    store = open_store(db)
    limits = Limits(max_body_bytes=args.max_body_bytes, max_json_depth=args.max_json_depth)
    app = create_app(store, api_key, mock_chunk_delay=args.mock_chunk_delay, sandbox=_sandbox(),
                     limits=limits)
    print(f"Humanloop v5 API on http://{args.host}:{args.port}/v5 (db: {describe_db(db)})",
          file=sys.stderr, flush=True)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False,
                    log_level=args.log_level, lifespan="on", timeout_graceful_shutdown=args.graceful_timeout)
    finally:
        store.close()


_ENV_DB, _ENV_DELAY = "HUMANLOOP_SERVER_DB", "HUMANLOOP_SERVER_MOCK_CHUNK_DELAY"
_ENV_SANDBOX_TIMEOUT, _ENV_SANDBOX_MEMORY = "HUMANLOOP_SANDBOX_TIMEOUT", "HUMANLOOP_SANDBOX_MEMORY_MB"
_ENV_BODY, _ENV_DEPTH = "HUMANLOOP_SERVER_MAX_BODY_BYTES", "HUMANLOOP_SERVER_MAX_JSON_DEPTH"


def _sandbox() -> Any:
    """The sandbox with the limits the command line set (else its defaults)."""
    from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Sandbox

    return Sandbox(timeout=float(os.environ.get(_ENV_SANDBOX_TIMEOUT, DEFAULT_TIMEOUT)),
                   memory_mb=int(os.environ.get(_ENV_SANDBOX_MEMORY, DEFAULT_MEMORY_MB)))


def _run_workers(args: argparse.Namespace, db: str, api_key: str) -> None:
    """``--workers N``: uvicorn's supervisor binds the port and starts N processes, each
    building the app with :func:`worker_app`. The settings reach them through the
    environment (readable only by this user), never through arguments."""
    import uvicorn

    if db == ":memory:":
        raise SystemExit("--workers needs a database they can share: a SQLite file or a postgresql:// URL")
    from .store import open_store

    open_store(db).close()  # migrate once, here, and fail before forking if the db is unusable
    os.environ.update({_ENV_DB: db, "HUMANLOOP_API_KEY": api_key, _ENV_DELAY: str(args.mock_chunk_delay),
                       _ENV_BODY: str(args.max_body_bytes), _ENV_DEPTH: str(args.max_json_depth)})
    print(f"Humanloop v5 API on http://{args.host}:{args.port}/v5 (db: {describe_db(db)}, "
          f"{args.workers} workers)", file=sys.stderr, flush=True)
    uvicorn.run("humanloop_core.server.__main__:worker_app", factory=True, workers=args.workers, host=args.host, port=args.port, log_config=None,
                access_log=False, log_level=args.log_level, lifespan="on",
                timeout_graceful_shutdown=args.graceful_timeout)


def worker_app() -> Any:
    """The app of one ``--workers`` process (uvicorn calls it in each)."""
    from . import create_app
    from .store import open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    limits = Limits(max_body_bytes=int(os.environ.get(_ENV_BODY, Limits.max_body_bytes)),
                    max_json_depth=int(os.environ.get(_ENV_DEPTH, Limits.max_json_depth)))
    return create_app(open_store(os.environ[_ENV_DB]), os.environ["HUMANLOOP_API_KEY"],
                      mock_chunk_delay=float(os.environ.get(_ENV_DELAY, "0")), sandbox=_sandbox(),
                      limits=limits)


def describe_db(db: str) -> str:
    """``db`` for a log line: a PostgreSQL URL without its password."""
    from .store import describe

    return describe(db)


if __name__ == "__main__":
    main()
