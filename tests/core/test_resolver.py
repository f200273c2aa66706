"""The prompt resolver's rules, alone: kernels, merging, the cache policy (fake clock)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from humanloop_core import PromptCache, PromptTarget
from humanloop_core._resolver import call_arguments, changes_kernel, kernel_of, merge_kernel

STORED: dict[str, Any] = {
    "model": "gpt-4o", "provider": "openai", "temperature": 0.7,
    "template": [{"role": "system", "content": "You are {{persona}}."}],
    "tools": [{"name": "lookup", "description": "stored", "parameters": {}}],
    "linked_tools": [{"id": "tl_1", "name": "x", "description": "", "version_id": "tv_1"}],
    "other": {"a": 1, "b": 2},
    "id": "pr_1", "version_id": "prv_1", "created_at": "2026-01-01T00:00:00Z",
}
ADD = {"name": "add", "description": "adds", "parameters": {}}


def test_kernel_of_keeps_kernel_fields_and_names_linked_tools_by_id() -> None:
    kernel = kernel_of(STORED)
    assert set(kernel) == {"model", "provider", "template", "temperature", "tools", "linked_tools",
                           "other"}
    assert kernel["linked_tools"] == ["tl_1"]


def test_overrides_replace_their_fields_and_other_merges_key_by_key() -> None:
    kernel = merge_kernel(STORED, {"temperature": 0.0, "model": None, "other": {"b": 3}})
    assert (kernel["model"], kernel["temperature"], kernel["template"]) == (
        "gpt-4o", 0.0, STORED["template"])
    assert kernel["other"] == {"a": 1, "b": 3}
    assert [t["name"] for t in kernel["tools"]] == ["lookup"] and kernel["linked_tools"] == ["tl_1"]


def test_bound_tools_are_exactly_what_the_model_sees() -> None:
    kernel = merge_kernel(STORED, {}, [ADD])
    assert kernel["tools"] == [ADD] and "linked_tools" not in kernel
    same_name = {"name": "lookup", "description": "bound", "parameters": {}}
    assert merge_kernel(STORED, {}, [same_name])["tools"] == [same_name]


def test_merging_never_mutates_its_inputs() -> None:
    stored, bound = copy.deepcopy(STORED), [dict(ADD)]
    merge_kernel(stored, {"temperature": 0.1, "other": {"z": 0}}, bound)
    assert stored == STORED and bound == [ADD]


def test_without_a_stored_prompt_the_overrides_need_a_model() -> None:
    assert merge_kernel(None, {"model": "mock-1", "provider": "mock"}) == {"model": "mock-1",
                                                                           "provider": "mock"}
    with pytest.raises(ValueError, match="names a model"):
        merge_kernel(None, {"temperature": 0.1})


def test_call_arguments_send_the_address_or_a_kernel_never_both_selectors() -> None:
    target = PromptTarget(path="/support/bot/", environment="production")
    assert target.path == "support/bot"
    assert not changes_kernel({"temperature": None}, [])
    assert call_arguments(target, None, {}) == {"path": "support/bot", "environment": "production"}
    with_kernel = call_arguments(target, STORED, {"temperature": 0.2})
    assert set(with_kernel) == {"path", "prompt"} and with_kernel["prompt"]["temperature"] == 0.2
    with pytest.raises(ValueError, match="path"):
        PromptTarget()


def test_cache_keeps_entries_for_its_seconds_misses_included() -> None:
    now = [100.0]
    cache = PromptCache(60, clock=lambda: now[0])
    a, b = PromptTarget(path="a"), PromptTarget(path="a", environment="staging")
    assert cache.get(a) == (False, None)
    cache.put(a, None)  # "no such prompt" is remembered too
    cache.put(b, "B")  # type: ignore[arg-type]
    assert cache.get(a) == (True, None) and cache.get(b) == (True, "B")
    now[0] += 59.9
    assert cache.get(b) == (True, "B")
    now[0] += 0.2
    assert cache.get(b) == (False, None)
    off = PromptCache(0, clock=lambda: now[0])
    off.put(a, "A")  # type: ignore[arg-type]
    assert off.get(a) == (False, None)
    with pytest.raises(ValueError):
        PromptCache(-1)
