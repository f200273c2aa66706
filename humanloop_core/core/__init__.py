"""The transport layer: errors, streams, pagers and per-request options.

Transports themselves (``SyncTransport``, ``AsyncTransport``) live in
``humanloop_core.core._client``; the client builds them, users never need to.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
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
from .request_options import RequestOptions

if TYPE_CHECKING:
    from ._pagination import AsyncPager, SyncPager
    from ._streaming import AsyncStream, Stream

# Streams and pagers pull in pydantic; they load when first named, keeping imports light.
_LAZY = {
    "AsyncPager": "._pagination",
    "SyncPager": "._pagination",
    "AsyncStream": "._streaming",
    "Stream": "._streaming",
}

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APITimeoutError",
    "ApiError",
    "AsyncPager",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "PromptCallError",
    "RateLimitError",
    "RequestOptions",
    "RequestValidationError",
    "Stream",
    "SyncPager",
    "UnprocessableEntityError",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
