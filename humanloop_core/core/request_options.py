"""Per-request options, accepted by every resource method as ``request_options``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict


class RequestOptions(TypedDict, total=False):
    """Overrides for a single call.

    Attributes:
        timeout_in_seconds: Total timeout for this call, replacing the client's.
        max_retries: Retries after the first attempt (0 means one attempt).
        additional_headers: Headers merged over the client's defaults.
        additional_query_parameters: Query parameters merged over the method's.
        additional_body_parameters: JSON body fields merged over the method's.
    """

    timeout_in_seconds: float
    max_retries: int
    additional_headers: Mapping[str, str]
    additional_query_parameters: Mapping[str, Any]
    additional_body_parameters: Mapping[str, Any]
