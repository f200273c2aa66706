"""How a call's overrides and tools combine with the stored prompt's kernel.

A Humanloop prompt is more than a model name: its deployed version holds a template,
parameters and tools. Sending a kernel with ``prompts.call`` replaces all of that, so
whenever the adapter must send one (tools bound, parameters overridden) it starts from
the deployed version's kernel and changes only what the caller set. Pure functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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

# Parameters a caller may override, on the LLM or per call.
OVERRIDABLE = (
    "model",
    "provider",
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "other",
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
