"""A function's signature as the JSON schema of a tool's parameters, and values as JSON."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean",
                            type(None): "null"}


def function_schema(func: Callable[..., Any]) -> dict[str, Any]:
    """``{"name", "description", "parameters"}`` for ``func`` (``*args``/``**kwargs`` skipped)."""
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        hints = dict(getattr(func, "__annotations__", {}))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or name in ("self", "cls"):
            continue
        hint = hints.get(name, Any)
        properties[name] = type_schema(hint)
        if param.default is param.empty and not _optional(hint):
            required.append(name)
    return {"name": func.__name__, "description": inspect.getdoc(func) or "",
            "parameters": {"type": "object", "properties": properties, "required": required}}


def type_schema(hint: Any) -> dict[str, Any]:
    """The JSON schema of one annotation; anything unknown is unconstrained (``{}``)."""
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        return type_schema(options[0]) if len(options) == 1 else {"anyOf": [type_schema(a) for a in options]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is typing.Annotated:
        return type_schema(args[0])
    if origin in (list, tuple, set, frozenset, Sequence) or hint in (list, tuple, set):
        return {"type": "array", "items": type_schema(args[0])} if args else {"type": "array"}
    if origin in (dict, Mapping) or hint is dict:
        return {"type": "object"}
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return {"enum": [m.value for m in hint]}
    schema = getattr(hint, "model_json_schema", None)
    if callable(schema):  # a pydantic model
        return dict(schema())
    return {}


def _optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


def to_json(value: Any) -> str:
    """JSON for span attributes; what JSON cannot say is written as its repr."""
    # One encoder built once: json.dumps with options builds a new one per call.
    return _ENCODER.encode(value)


def output_text(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json")
        except Exception:
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


_ENCODER = json.JSONEncoder(default=_plain, ensure_ascii=False, separators=(",", ":"))
