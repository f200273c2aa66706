"""Model providers the server can call, looked up by the prompt's ``provider``."""

from __future__ import annotations

from .base import Chunk, Completion, Provider, ProviderError, ProviderRequest
from .mock import MockProvider
from .openai import OpenAIProvider

__all__ = [
    "Chunk",
    "Completion",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "ProviderRequest",
    "ProviderRegistry",
]


class ProviderRegistry:
    """Name -> provider. Unknown names fail with the list of what this server supports."""

    def __init__(self, providers: dict[str, Provider]) -> None:
        self._providers = dict(providers)

    @classmethod
    def default(cls, mock_chunk_delay: float = 0.0) -> ProviderRegistry:
        return cls({"mock": MockProvider(mock_chunk_delay), "openai": OpenAIProvider()})

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
