"""The ``prompts.call`` arguments for one LangChain call, built by pure functions.

This module only turns LangChain's arguments (instance fields, ``invoke`` kwargs, bound
tools) into a ``CallPlan``: looking the stored prompt up, caching it and merging the
plan's overrides and tools into it is humanloop_core's ``PromptResolver``, the same for
the LlamaIndex adapter.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._convert import ToolChoiceWire, tool_choice_to_wire, tool_names, tools_to_wire

# Kernel fields a caller may override, at construction or per call.
KERNEL_OVERRIDES = (
    "model", "provider", "temperature", "max_tokens", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "response_format",
)
# ``prompts.call`` arguments a caller may pass per call (``model.invoke(..., user=...)``).
CALL_ARGS = frozenset({
    "inputs", "source", "user", "trace_parent_id", "source_datapoint_id",
    "save", "provider_api_keys", "return_inputs", "request_options",
})
# Per-call names that differ from ``prompts.call``'s: LangChain's ``invoke`` already
# takes ``metadata`` (for its own run tracing), so the log's metadata goes by another name.
RENAMED_ARGS = {"log_metadata": "metadata"}
# Per-call keys LangChain itself may pass that carry nothing for the wire.
_IGNORED = frozenset({"stream"})
# ChatOpenAI call options with no ``prompts.call`` field of their own: they travel in the
# kernel's ``other`` (provider parameters the server forwards to OpenAI-style providers).
OTHER_ARGS = frozenset({"parallel_tool_calls"})
# Asking for log probabilities: the v5 call response has no field to bring them back.
LOGPROB_ARGS = frozenset({"logprobs", "top_logprobs"})
_ACCEPTED = frozenset({*KERNEL_OVERRIDES, *CALL_ARGS, *RENAMED_ARGS, *OTHER_ARGS, *LOGPROB_ARGS,
                       "tools", "tool_choice"})


@dataclass(frozen=True)
class CallPlan:
    """What one call changes relative to the stored prompt, before any lookup."""

    overrides: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: ToolChoiceWire | None = None
    call_args: dict[str, Any] = field(default_factory=dict)

    @property
    def changes_kernel(self) -> bool:
        return bool(self.overrides or self.tools)


def plan_call(
    defaults: Mapping[str, Any], inputs: Mapping[str, Any] | None,
    stop: Sequence[str] | None, kwargs: Mapping[str, Any],
) -> CallPlan:
    """Split the instance defaults and one call's kwargs into a ``CallPlan``.

    Per-call values win over instance values; ``inputs`` merge key by key.

    Raises:
        TypeError: a keyword ``prompts.call`` has no place for.
    """
    unknown = kwargs.keys() - _ACCEPTED - _IGNORED
    if unknown:
        raise TypeError(
            f"ChatHumanloop got unexpected call argument(s) {sorted(unknown)}; accepted: {sorted(_ACCEPTED)}"
        )
    refuse_logprobs(kwargs)
    overrides = {k: v for k, v in defaults.items() if v is not None and v != {}}
    other = {k: kwargs[k] for k in OTHER_ARGS if kwargs.get(k) is not None}
    if other:
        overrides["other"] = {**overrides.get("other", {}), **other}
    overrides.update({k: kwargs[k] for k in KERNEL_OVERRIDES if kwargs.get(k) is not None})
    if stop:
        overrides["stop"] = list(stop)
    if not overrides.get("stop"):
        overrides.pop("stop", None)  # an empty list means "no stop sequences", not a change
    raw_tools = list(kwargs.get("tools") or [])
    call_args = {k: v for k, v in kwargs.items() if k in CALL_ARGS and v is not None}
    call_args.update({RENAMED_ARGS[k]: v for k, v in kwargs.items() if k in RENAMED_ARGS and v is not None})
    merged_inputs = {**(inputs or {}), **(call_args.get("inputs") or {})}
    if merged_inputs:
        call_args["inputs"] = merged_inputs
    return CallPlan(
        overrides=overrides,
        tools=tools_to_wire(raw_tools),
        tool_choice=(tool_choice_to_wire(choice, tool_names(raw_tools))
                     if (choice := kwargs.get("tool_choice")) is not None else None),
        call_args=call_args,
    )


def refuse_logprobs(kwargs: Mapping[str, Any]) -> None:
    """``logprobs=True`` (or ``top_logprobs=n``) cannot be honoured: say so before calling.

    Raises:
        ValueError: log probabilities were asked for.
    """
    if kwargs.get("logprobs") or kwargs.get("top_logprobs"):
        raise ValueError(
            "ChatHumanloop cannot return log probabilities: Humanloop's prompts.call response "
            "has no field for them (logprobs=False and top_logprobs=None are accepted)"
        )


def move_unknown_fields(values: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """Constructor values as ChatOpenAI treats them: an unknown keyword is moved into
    ``model_kwargs`` with a warning, and a known field found in ``model_kwargs`` is moved
    out to its field with a warning (a new dict; ``values`` is left as it was).

    Raises:
        ValueError: a keyword given both directly and in ``model_kwargs``.
    """
    values = dict(values)
    extra = dict(values.get("model_kwargs") or {})
    for name in [k for k in values if k not in fields]:
        if name in extra:
            raise ValueError(f"ChatHumanloop got {name!r} both directly and in model_kwargs")
        warnings.warn(
            f"ChatHumanloop has no parameter {name!r}; it was moved into model_kwargs, which are "
            "sent as the prompt kernel's provider parameters (`other`). Check it is intended.",
            stacklevel=4,
        )
        extra[name] = values.pop(name)
    for name in sorted(fields.intersection(extra)):
        if name in values:
            raise ValueError(f"ChatHumanloop got {name!r} both directly and in model_kwargs")
        warnings.warn(f"ChatHumanloop: pass {name!r} as a parameter, not in model_kwargs; "
                      "it was moved there", stacklevel=4)
        values[name] = extra.pop(name)
    values["model_kwargs"] = extra
    return values


def build_payload(messages: list[dict[str, Any]], plan: CallPlan,
                  resolved: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``client.prompts.call`` / ``call_stream``: the messages, this
    call's arguments and what the prompt resolver gave (the address, and the merged
    kernel when the call changes one)."""
    payload: dict[str, Any] = {"messages": messages, **plan.call_args, **resolved}
    if plan.tool_choice is not None:
        payload["tool_choice"] = plan.tool_choice
    return payload


def model_of(payload: Mapping[str, Any], deployed: Any | None) -> str | None:
    """The model a call will run, when known before the response arrives."""
    kernel = payload.get("prompt")
    if kernel and kernel.get("model"):
        return str(kernel["model"])
    return getattr(deployed, "model", None)
