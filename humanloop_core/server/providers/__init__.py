"""Model providers the server can call, looked up by the prompt's ``provider``.

``PROVIDERS`` is the one table of names to implementations (every v5 ``ModelProviders``
value and those the official SDK 0.8.38 adds); a server's registry is built from it.
"""

from __future__ import annotations

from collections.abc import Callable

from .anthropic import AnthropicProvider
from .base import Capabilities, Chunk, Completion, Provider, ProviderError, ProviderRequest
from .bedrock import BedrockProvider
from .cohere import CohereProvider
from .google import GoogleProvider
from .mock import MockProvider
from .openai import AzureOpenAIProvider, DeepSeekProvider, GroqProvider, OpenAIProvider
from .replicate import ReplicateProvider

__all__ = [
    "PROVIDERS",
    "AnthropicProvider",
    "AzureOpenAIProvider",
    "BedrockProvider",
    "Capabilities",
    "Chunk",
    "CohereProvider",
    "Completion",
    "DeepSeekProvider",
    "GoogleProvider",
    "GroqProvider",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "ProviderRegistry",
    "ProviderRequest",
    "ReplicateProvider",
]

PROVIDERS: dict[str, Callable[[], Provider]] = {
    "openai": OpenAIProvider,
    "openai_azure": AzureOpenAIProvider,
    "anthropic": AnthropicProvider,
    "google": GoogleProvider,
    "bedrock": BedrockProvider,
    "cohere": CohereProvider,
    "groq": GroqProvider,
    "replicate": ReplicateProvider,
    "deepseek": DeepSeekProvider,
    "mock": MockProvider,
}


class ProviderRegistry:
    """Name -> provider. Unknown names fail with the list of what this server supports."""

    def __init__(self, providers: dict[str, Provider]) -> None:
        self._providers = dict(providers)

    @classmethod
    def default(cls, mock_chunk_delay: float = 0.0) -> ProviderRegistry:
        built = {name: make() for name, make in PROVIDERS.items() if name != "mock"}
        return cls({**built, "mock": MockProvider(mock_chunk_delay)})

    def get(self, name: str) -> Provider:
        try:
            return self._providers[name]
        except KeyError:
            supported = ", ".join(sorted(self._providers))
            raise ProviderError(
                f"provider {name!r} is not supported by this server; supported providers: {supported}",
                400,
            ) from None

    @property
    def names(self) -> list[str]:
        return sorted(self._providers)
