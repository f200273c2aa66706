"""How a call's overrides and tools combine with the stored prompt's kernel.

A Humanloop prompt is more than a model name: its deployed version holds a template,
parameters and tools. Sending a kernel with ``prompts.call`` replaces all of that, so
whenever the adapter must send one (tools bound, parameters overridden) it starts from
the deployed version's kernel and changes only what the caller set. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._convert import tool_to_wire

# Fields of a version that make up its kernel (PromptKernelRequest); everything else
# on a PromptResponse (ids, timestamps, counts) describes the version, not the call.
KERNEL_FIELDS = (
    "model",
    "endpoint",
    "template",
    "provider",
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "other",
    "seed",
    "response_format",
    "tools",
    "linked_tools",
    "attributes",
)

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


def kernel_of(prompt: Any) -> dict[str, Any]:
    """The kernel of a stored version (``PromptResponse`` or its dict), JSON-ready."""
    data = (
        prompt if isinstance(prompt, Mapping) else prompt.model_dump(mode="json", exclude_none=True)
    )
    kernel = {key: data[key] for key in KERNEL_FIELDS if data.get(key) is not None}
    linked = kernel.get("linked_tools")
    if linked:
        # A version lists linked tools in full; a request names them by id.
        kernel["linked_tools"] = [tool if isinstance(tool, str) else tool["id"] for tool in linked]
    return kernel


def merge_kernel(
    deployed: Mapping[str, Any] | None,
    overrides: Mapping[str, Any],
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The kernel to send: the deployed one, with set overrides and extra tools.

    Template, model and tools of the deployed version are kept unless overridden;
    a bound tool replaces a stored tool of the same name and adds to the others.

    Raises:
        ValueError: when there is neither a deployed version nor a ``model`` override.
    """
    kernel = dict(deployed or {})
    kernel.update({key: value for key, value in overrides.items() if value is not None})
    if tools:
        bound = {tool["name"] for tool in tools}
        kept = [tool for tool in kernel.get("tools") or () if tool["name"] not in bound]
        kernel["tools"] = [*kept, *tools]
    if not kernel.get("model"):
        raise ValueError(
            "No deployed prompt version was found to take the model from; pass `model` "
            "(and `provider`) to Humanloop(...), or point `path`/`id` at a stored prompt."
        )
    return kernel


def plan_call(
    settings: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``prompts.call`` arguments (without messages) for one call, and the kernel
    changes (overrides, plus bound ``tools``) when a kernel must be sent, else None.

    Per-call values win over the LLM's settings; ``inputs`` merge key by key. Without a
    kernel the version is chosen by ``version_id``/``environment``; with one, the kernel
    itself names the version, so they are not sent.

    Raises:
        TypeError: for a keyword ``prompts.call`` has no place for.
    """
    kwargs = dict(kwargs)
    overrides = {key: settings.get(key) for key in OVERRIDABLE}
    overrides.update({key: kwargs.pop(key) for key in OVERRIDABLE if key in kwargs})
    tools = [
        tool if isinstance(tool, Mapping) else tool_to_wire(tool)
        for tool in kwargs.pop("tools", None) or ()
    ]
    tool_choice = kwargs.pop("tool_choice", None)
    call: dict[str, Any] = {**settings.get("additional_kwargs", {})}
    call.update({key: kwargs.pop(key) for key in CALL_PARAMS if key in kwargs})
    call["inputs"] = {**settings.get("inputs", {}), **(kwargs.pop("inputs", None) or {})} or None
    call["provider_api_keys"] = settings.get("provider_api_keys")
    call.update(path=settings.get("path"), id=settings.get("id"))
    selection = {
        key: kwargs.pop(key, None) or settings.get(key) for key in ("version_id", "environment")
    }
    if kwargs:
        raise TypeError(f"Humanloop got unexpected keyword arguments: {sorted(kwargs)}")
    if tools:
        call["tool_choice"] = tool_choice if tool_choice is not None else "auto"
    changes = {key: value for key, value in overrides.items() if value is not None}
    if not changes and not tools:
        return _without_none({**call, **selection}), None
    return _without_none(call), {**changes, "tools": tools}


def _without_none(call: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in call.items() if value is not None}


def basename(path: str | None) -> str:
    """The name filter that lists the prompt at ``path`` (its last segment)."""
    return (path or "").rstrip("/").rsplit("/", 1)[-1]


def id_for_path(prompts: Iterable[Any], path: str | None) -> str | None:
    """The id of the prompt at exactly ``path`` among a name-filtered listing."""
    wanted = (path or "").strip("/")
    return next((p.id for p in prompts if p.path.strip("/") == wanted), None)
