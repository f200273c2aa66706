"""The description of one API call, built by resources and executed by the transport.

Resources are pure: they turn arguments into an ``Operation``. The sync and async
transports only send it, retry it, parse it and (for streams) iterate it, so every
decision about *what* is sent lives once, outside both shells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .request_options import RequestOptions

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """One HTTP call.

    Attributes:
        name: Stable dotted name, e.g. ``"prompts.call"``; tracing keys on it.
        method: HTTP method in upper case.
        path: Path below the base URL with ids already URL-quoted, e.g. ``"/prompts/pr_1"``.
        cast_to: Pydantic model (or any type a ``TypeAdapter`` accepts) of the 2xx body;
            ``None`` when the body is ignored (e.g. 204 on delete).
        params: Query parameters; ``None`` values are dropped by the transport.
        json: JSON-ready request body (already validated and dumped), or ``None``.
        options: The caller's per-request options.
        stream_item: When set, the response is a server-sent-event stream whose
            ``data`` payloads are parsed into this type and yielded one by one.
        files: Multipart file fields (name -> ``(filename, bytes)`` or bytes); with
            ``form`` (text fields) they make a ``multipart/form-data`` body instead of JSON.
        item_failure: For a stream whose items can report a failure (a prompt call's
            chunk with ``error`` set): the failure's message, or ``None``. The stream
            raises ``PromptCallError`` on one instead of ending as if complete.
    """

    name: str
    method: str
    path: str
    cast_to: Any = None
    params: Mapping[str, Any] | None = None
    json: Any = None
    options: RequestOptions | None = None
    stream_item: type[T] | None = None
    item_failure: Callable[[Any], str | None] | None = None
    files: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = None
