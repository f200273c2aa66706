"""A LlamaIndex call's arguments: which of them change the prompt's kernel, and which are
``prompts.call`` parameters. Pure functions.

Looking the stored prompt up, caching it and merging these overrides and bound tools
into it is humanloop_core's ``PromptResolver``, shared with the LangChain adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from humanloop_core import PromptTarget

from ._convert import tool_to_wire

# prompts.call fields a caller may pass per call (or in ``additional_kwargs``), besides
# messages, inputs and kernel fields.
CALL_PARAMS = (
    "metadata",
    "source",
    "user",
    "save",
    "trace_parent_id",
    "source_datapoint_id",
)

# Kernel fields the LLM has settings for; a call may also override the two after them.
OVERRIDE_SETTINGS = (
    "model",
    "provider",
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
)
OVERRIDABLE = (*OVERRIDE_SETTINGS, "response_format", "other")

# The LLM's settings a call is planned from (besides its private provider keys).
SETTINGS = (
    *OVERRIDE_SETTINGS,
    "path",
    "id",
    "version_id",
    "environment",
    "inputs",
    "additional_kwargs",
)


class Plan(NamedTuple):
    """One call before any I/O: its ``prompts.call`` parameters (no address, no messages),
    the prompt it targets, and what it changes in that prompt's kernel."""

    call: dict[str, Any]
    target: PromptTarget
    overrides: dict[str, Any]
    tools: list[dict[str, Any]]


def plan_call(settings: Mapping[str, Any], kwargs: Mapping[str, Any]) -> Plan:
    """Split the LLM's settings and one call's kwargs into a ``Plan``.

    Per-call values win over the LLM's settings; ``inputs`` merge key by key.

    Raises:
        TypeError: for a keyword ``prompts.call`` has no place for.
    """
    kwargs = dict(kwargs)
    overrides = {key: settings.get(key) for key in OVERRIDABLE}
    overrides.update({key: kwargs.pop(key) for key in OVERRIDABLE if key in kwargs})
    tools = [
        dict(tool) if isinstance(tool, Mapping) else tool_to_wire(tool)
        for tool in kwargs.pop("tools", None) or ()
    ]
    tool_choice = kwargs.pop("tool_choice", None)
    call: dict[str, Any] = {**settings.get("additional_kwargs", {})}
    call.update({key: kwargs.pop(key) for key in CALL_PARAMS if key in kwargs})
    call["inputs"] = {**settings.get("inputs", {}), **(kwargs.pop("inputs", None) or {})} or None
    call["provider_api_keys"] = settings.get("provider_api_keys")
    selection = {
        key: kwargs.pop(key, None) or settings.get(key) for key in ("version_id", "environment")
    }
    if kwargs:
        raise TypeError(f"Humanloop got unexpected keyword arguments: {sorted(kwargs)}")
    if tools:
        call["tool_choice"] = tool_choice if tool_choice is not None else "auto"
    target = PromptTarget(path=settings.get("path"), id=settings.get("id"), **selection)
    changes = {key: value for key, value in overrides.items() if value is not None}
    return Plan(_without_none(call), target, changes, tools)


def _without_none(call: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in call.items() if value is not None}
