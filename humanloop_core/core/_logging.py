"""The ``humanloop_core`` logger: one DEBUG line per request and per response.

Lines carry the method, URL, status and elapsed time, never headers, so the API key
cannot reach a log. ``HUMANLOOP_LOG=debug`` turns them on when a client is built.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("humanloop_core")

_ENV_VAR = "HUMANLOOP_LOG"
_handler: logging.Handler | None = None


def configure_from_env() -> None:
    """Honour ``HUMANLOOP_LOG=debug`` (read now, so tests and apps may set it late)."""
    global _handler
    if os.environ.get(_ENV_VAR, "").strip().lower() != "debug":
        return
    logger.setLevel(logging.DEBUG)
    # One handler of our own, added once, only when nothing is configured to print ours.
    if _handler is None and not logger.hasHandlers():
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(_handler)
