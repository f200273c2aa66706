"""JSON in and out of the wire: body encoding and cached, fast response parsing."""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import SchemaValidator

from .errors import APIResponseValidationError, validation_error

Parser = Callable[[Any], Any]

# One parser per target type: building a TypeAdapter costs far more than a call.
_PARSERS: dict[Any, Parser] = {}


def parser_for(target: Any) -> Parser:
    """A function from JSON text/bytes to ``target``.

    Pydantic models use their own validator's ``validate_json`` (JSON parsed and
    validated in one pass in Rust); anything else goes through a cached ``TypeAdapter``.
    """
    try:
        return _PARSERS[target]
    except KeyError:
        pass
    except TypeError:  # an unhashable annotation: build one, cache nothing
        return TypeAdapter(target).validate_json
    parser: Parser
    if isinstance(target, type) and issubclass(target, BaseModel):
        # The model's compiled validator itself: what model_validate_json calls, minus a
        # Python frame per call (it counts once per stream event). Models defer their
        # build to first use, so build now, once.
        if not target.__pydantic_complete__:
            target.model_rebuild()
        validator = target.__pydantic_validator__
        parser = (
            validator.validate_json
            if isinstance(validator, SchemaValidator)
            else target.model_validate_json
        )
    else:
        parser = TypeAdapter(target).validate_json
    _PARSERS[target] = parser
    return parser


def parse_json(response: httpx.Response, data: str | bytes, target: Any) -> Any:
    """``data`` parsed as ``target``, else :class:`APIResponseValidationError` showing it."""
    try:
        return parser_for(target)(data)
    except ValidationError as exc:
        raise invalid_data(response, data, target, exc) from exc


def invalid_data(
    response: httpx.Response, data: str | bytes, target: Any, exc: ValidationError
) -> APIResponseValidationError:
    """The error for ``data`` that failed validation as ``target``, summarising why."""
    problems = exc.errors(include_url=False, include_context=False, include_input=False)
    summary = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
        for e in problems[:5]
    )
    if len(problems) > 5:
        summary += f"; and {len(problems) - 5} more"
    name = getattr(target, "__name__", None) or repr(target)
    return validation_error(response, data, name, summary)


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON; models, dates and enums become their wire form.

    Non-finite floats are refused here, before anything is sent: JSON has no NaN.
    """
    return json.dumps(
        body, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_to_jsonable
    ).encode("utf-8")


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable: {value!r:.100}")
