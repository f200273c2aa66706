"""humanloop_core: a compact, typed client for the Humanloop v5 API.

    from humanloop_core import Humanloop
    client = Humanloop()  # HUMANLOOP_API_KEY, HUMANLOOP_BASE_URL
    response = client.prompts.call(path="assistant", messages=[{"role": "user", "content": "Hi"}])

Import stays light: the pydantic models, streams and pagers load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .client import AsyncHumanloop, Humanloop
from .core.errors import (
    APIConnectionError,
    ApiError,
    APIResponseValidationError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PromptCallError,
    RateLimitError,
    RequestValidationError,
    UnprocessableEntityError,
)
from .core.request_options import RequestOptions

if TYPE_CHECKING:
    from ._resolver import AsyncPromptResolver, PromptCache, PromptResolver, PromptTarget
    from .core._pagination import AsyncPager, SyncPager
    from .core._streaming import AsyncStream, Stream

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APITimeoutError",
    "ApiError",
    "AsyncHumanloop",
    "AsyncPager",
    "AsyncPromptResolver",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "Humanloop",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptCache",
    "PromptCallError",
    "PromptResolver",
    "PromptTarget",
    "RateLimitError",
    "RequestOptions",
    "RequestValidationError",
    "Stream",
    "SyncPager",
    "UnprocessableEntityError",
    "__version__",
]

# Public names whose modules are imported on first access.
_LAZY = {
    "Stream": "humanloop_core.core._streaming",
    "AsyncStream": "humanloop_core.core._streaming",
    "SyncPager": "humanloop_core.core._pagination",
    "AsyncPager": "humanloop_core.core._pagination",
    "PromptResolver": "humanloop_core._resolver",
    "AsyncPromptResolver": "humanloop_core._resolver",
    "PromptCache": "humanloop_core._resolver",
    "PromptTarget": "humanloop_core._resolver",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'humanloop_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
