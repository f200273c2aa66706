"""Context windows and output limits of well-known models: one table for both adapters.

A Humanloop prompt names its model; frameworks size their work by it (LlamaIndex packs
retrieved chunks and trims chat memory to ``context_window``; LangChain's model profile
has ``max_input_tokens``). The table is maintained by hand from the providers' published
model pages; a model it does not know gets ``None`` and the framework's own default, and
every adapter takes an explicit override (LlamaIndex ``context_window=``/``num_output=``,
LangChain ``profile=``).

Lookup: the exact name, else the longest known name that the model's name extends with a
``-`` (dated snapshots such as ``gpt-4o-mini-2024-07-18``); a ``provider/`` prefix is
ignored. ``encoding`` names the tiktoken encoding of OpenAI models, for token counting.

Example:
    >>> model_limits("gpt-4o-mini-2024-07-18").context_window
    128000
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["LIMITS", "ModelLimits", "model_limits"]


@dataclass(frozen=True)
class ModelLimits:
    """What one model accepts and may produce, in tokens.

    Attributes:
        context_window: Input and output tokens together.
        max_output_tokens: The most one response may hold.
        encoding: The tiktoken encoding (OpenAI models), else ``None``.
    """

    context_window: int
    max_output_tokens: int
    encoding: str | None = None

    def output_reserve(self, context_window: int | None = None) -> int:
        """Tokens to keep free for the answer when packing a prompt into
        ``context_window`` (default: the model's): the output limit, but never more than
        a quarter of the window, so models whose output limit equals their window
        (``gpt-4``) or a window overridden smaller still leave room for the input."""
        return min(self.max_output_tokens, (context_window or self.context_window) // 4)


_O200K, _CL100K = "o200k_base", "cl100k_base"

LIMITS: Mapping[str, ModelLimits] = MappingProxyType({
    # OpenAI
    "gpt-5": ModelLimits(400_000, 128_000, _O200K),
    "gpt-5-mini": ModelLimits(400_000, 128_000, _O200K),
    "gpt-5-nano": ModelLimits(400_000, 128_000, _O200K),
    "gpt-4.1": ModelLimits(1_047_576, 32_768, _O200K),
    "gpt-4.1-mini": ModelLimits(1_047_576, 32_768, _O200K),
    "gpt-4.1-nano": ModelLimits(1_047_576, 32_768, _O200K),
    "gpt-4o": ModelLimits(128_000, 16_384, _O200K),
    "gpt-4o-mini": ModelLimits(128_000, 16_384, _O200K),
    "o1": ModelLimits(200_000, 100_000, _O200K),
    "o1-mini": ModelLimits(128_000, 65_536, _O200K),
    "o3": ModelLimits(200_000, 100_000, _O200K),
    "o3-mini": ModelLimits(200_000, 100_000, _O200K),
    "o4-mini": ModelLimits(200_000, 100_000, _O200K),
    "gpt-4-turbo": ModelLimits(128_000, 4_096, _CL100K),
    "gpt-4-1106-preview": ModelLimits(128_000, 4_096, _CL100K),
    "gpt-4-0125-preview": ModelLimits(128_000, 4_096, _CL100K),
    "gpt-4": ModelLimits(8_192, 8_192, _CL100K),
    "gpt-4-32k": ModelLimits(32_768, 32_768, _CL100K),
    "gpt-3.5-turbo": ModelLimits(16_385, 4_096, _CL100K),
    # Anthropic
    "claude-opus-4": ModelLimits(200_000, 32_000),
    "claude-opus-4-1": ModelLimits(200_000, 32_000),
    "claude-sonnet-4": ModelLimits(200_000, 64_000),
    "claude-3-7-sonnet": ModelLimits(200_000, 64_000),
    "claude-3-5-sonnet": ModelLimits(200_000, 8_192),
    "claude-3-5-haiku": ModelLimits(200_000, 8_192),
    "claude-3-opus": ModelLimits(200_000, 4_096),
    "claude-3-haiku": ModelLimits(200_000, 4_096),
    # Google
    "gemini-2.5-pro": ModelLimits(1_048_576, 65_536),
    "gemini-2.5-flash": ModelLimits(1_048_576, 65_536),
    "gemini-2.0-flash": ModelLimits(1_048_576, 8_192),
    "gemini-1.5-pro": ModelLimits(2_097_152, 8_192),
    "gemini-1.5-flash": ModelLimits(1_048_576, 8_192),
    # Mistral
    "mistral-large-latest": ModelLimits(131_072, 131_072),
    "mistral-small-latest": ModelLimits(131_072, 131_072),
})


def model_limits(model: str | None) -> ModelLimits | None:
    """The limits of ``model`` from :data:`LIMITS`, or ``None`` when it is not known."""
    if not model:
        return None
    name = model.rsplit("/", 1)[-1].strip().lower()
    found = LIMITS.get(name)
    if found is not None:
        return found
    prefixes = [known for known in LIMITS if name.startswith(known + "-")]
    return LIMITS[max(prefixes, key=len)] if prefixes else None
