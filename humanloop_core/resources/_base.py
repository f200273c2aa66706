"""What every resource shares: the transport slot and the pure request-building helpers.

Resource methods only collect their arguments; the helpers here turn them into the query,
the path and a body validated against the spec's request model, so a wrong argument fails
here, naming the field, before anything is sent.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError

from ..core.errors import RequestValidationError

if TYPE_CHECKING:
    from ..core._client import AsyncTransport, SyncTransport
    from ..types._base import RequestModel

# Keys of a method's ``locals()`` that never go into a request body.
_NOT_BODY = frozenset({"self", "request_options"})


class SyncResource:
    """A group of endpoints sent through a blocking transport."""

    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport


class AsyncResource:
    """A group of endpoints sent through an asyncio transport."""

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport


def path(*segments: str) -> str:
    """Join path segments, quoting each caller-supplied id so '/' or '?' cannot escape it."""
    return "".join("/" + quote(s, safe="") for s in segments)


def split(args: Mapping[str, Any], query: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a method's arguments into (query params, body fields), dropping ``None``s.

    Methods pass ``locals()`` so each parameter is listed once, in the signature.
    """
    params: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for key, value in args.items():
        if value is None or key in _NOT_BODY:
            continue
        if key in query:
            params[key] = value.isoformat() if isinstance(value, datetime) else value
        else:
            fields[key] = value
    return params, fields


def query(args: Mapping[str, Any]) -> dict[str, Any]:
    """All of a method's set arguments as query parameters (datetimes in ISO 8601)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in args.items()
        if value is not None and key not in _NOT_BODY
    }


def body(name: str, model: type[RequestModel], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``fields`` (plain values, dicts or models) against ``model`` and return the
    JSON-ready dict to send; only fields the caller set are sent."""
    try:
        return model.model_validate(fields).to_wire()
    except ValidationError as exc:
        raise validation_error(name, exc) from None


def validation_error(name: str, exc: ValidationError) -> RequestValidationError:
    """A client-side error naming each bad field. Input values are left out on purpose:
    they may hold provider keys."""
    problems: dict[str, list[str]] = {}
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p)) or "(body)"
        problems.setdefault(field, []).append(err["msg"])
    text = "; ".join(
        f"{field}: {' or '.join(dict.fromkeys(msgs))}" for field, msgs in problems.items()
    )
    return RequestValidationError(f"{name}: invalid arguments, nothing was sent: {text}",
                                  fields=list(problems))


def _is_union_tag(part: int | str) -> bool:
    """pydantic puts the union member tried into an error's location ("ToolChoice",
    "literal['none','auto']", "str"); spec field names are never such."""
    if isinstance(part, int):
        return False
    return "[" in part or part in _PRIMITIVE_TAGS or (part[:1].isupper() and part in _model_names())


_PRIMITIVE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict", "none"})


@functools.cache
def _model_names() -> frozenset[str]:
    from .. import types

    return frozenset(types.__all__)


def rename(fields: dict[str, Any], old: str, new: str) -> None:
    """Accept ``old`` (a name the official SDK uses) as another name for body field ``new``."""
    if old in fields:
        value = fields.pop(old)
        if fields.setdefault(new, value) != value:
            raise RequestValidationError(
                f"{old} and {new} name the same field; pass one of them", fields=[new]
            )
