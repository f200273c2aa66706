"""Derive the OpenAPI overlay of the official SDK 0.8.38 from the installed ``humanloop``.

Run: python -m scripts.sdk_overlay   (writes spec/humanloop-sdk-0.8.38.json; or `make types`)

Why: the vendored v5 description predates agents, evaluation runs, version names, ... The
official SDK is the contract for those, so its wire is read mechanically: every operation from
the AST of its ``*/raw_client.py`` (method, path, query, body keys; the argument annotations
and parsed response type resolved in the module), every schema from its pydantic ``types``.
``gen_types.load_contract`` lays this overlay over the v5 description; a test regenerates it
from the installed SDK and compares.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib
import inspect
import json
import sys
import types as pytypes
import typing
from pathlib import Path
from typing import Any

import pydantic
import typing_extensions

from scripts.gen_types import RENAMES

OUT = Path(__file__).resolve().parents[1] / "spec" / "humanloop-sdk-0.8.38.json"
SDK_VERSION = "0.8.38"
REF = "#/components/schemas/"

# Request bodies the v5 description names; new operations get f"{Group}{Method}Request".
_OMIT_ARGS = {"self", "request_options"}


def _sdk() -> Any:
    import humanloop

    if humanloop.__version__ != SDK_VERSION if hasattr(humanloop, "__version__") else False:
        raise SystemExit(f"expected humanloop {SDK_VERSION}")
    return humanloop


class Schemas:
    """Python types of the SDK -> OpenAPI 3.0 schema fragments, models registered by name."""

    def __init__(self, v5_names: typing.Iterable[str] = ()) -> None:
        self.components: dict[str, Any] = {}
        # HttpValidationError is v5's HTTPValidationError, PaginatedDataPromptResponse its
        # PaginatedData_PromptResponse_: one schema keeps one (the older) name.
        self._v5 = {_squash(n): n for n in v5_names}
        self._v5.update({_squash(sdk): v5 for sdk, v5 in _PAGE_NAMES.items()})
        # Names gen_types gives v5 schemas (ChatToolType) are the same schemas in the SDK.
        self._v5.update({_squash(readable): raw for raw, readable in RENAMES.items()})
        self._v5[_squash("FilesToolType")] = "src__domain__files__tool__ToolType"
        self._aliases = self._named_aliases()

    def name(self, sdk_name: str) -> str:
        return self._v5.get(_squash(sdk_name), sdk_name)

    def _named_aliases(self) -> dict[Any, str]:
        # The enum aliases of humanloop.types (ModelProviders, LogStatus, ...) keep their
        # names as components, so the generated module keeps them as aliases. Only enums:
        # Fern names each structural union per field (three identical "Template" unions).
        mod = importlib.import_module("humanloop.types")
        candidates: dict[Any, list[str]] = {}
        for name in sorted(dir(mod)):
            value = getattr(mod, name)
            members = (
                [value]
                if typing.get_origin(value) is typing.Literal
                else [m for m in typing.get_args(value) if m is not Any]
                if typing.get_origin(value) is typing.Union
                else []
            )
            if members and all(typing.get_origin(m) is typing.Literal for m in members):
                candidates.setdefault(value, []).append(name)
        # Equal enums under two names: the v5 name if there is one, else the shortest.
        return {
            value: min(names, key=lambda n: (_squash(n) not in self._v5, len(n), n))
            for value, names in candidates.items()
        }

    def of(self, tp: Any) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        if origin is typing_extensions.Annotated or origin is typing.Annotated:
            return self.of(typing.get_args(tp)[0])
        if tp is type(None):
            return {}
        try:
            alias = self._aliases.get(tp)
        except TypeError:
            alias = None
        if alias is not None:
            return self._named(alias, tp)
        return self._inline(tp)

    def _named(self, name: str, tp: Any) -> dict[str, Any]:
        name = self.name(name)
        if name not in self.components:
            self.components[name] = {}  # placeholder against recursion
            self.components[name] = self._inline(tp, named_ok=False)
        return {"$ref": REF + name}

    def _inline(self, tp: Any, named_ok: bool = True) -> dict[str, Any]:
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Union or origin is pytypes.UnionType:
            return self._union([a for a in args if a is not type(None)], named_ok)
        if origin is typing.Literal:
            return _enum(list(args))
        if origin in (list, list, typing.Sequence, tuple, set) or origin is _abc_seq():
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin in (dict, dict) or origin is _abc_map():
            value = self.of(args[1]) if len(args) == 2 else {}
            return (
                {"type": "object", "additionalProperties": value} if value else {"type": "object"}
            )
        return self._leaf(tp)

    def _union(self, members: list[Any], named_ok: bool = True) -> dict[str, Any]:
        literals = [m for m in members if typing.get_origin(m) is typing.Literal]
        if literals:
            # Fern writes enums open (Union[Literal[...], Any]); the contract is the values.
            members = [m for m in members if m is not Any]
        alias = self._aliases.get(typing.Union[tuple(members)]) if named_ok else None  # noqa: UP007 (a runtime lookup key)
        if alias is None and literals and named_ok:
            alias = self._aliases.get(typing.Union[(*members, Any)])
        if alias is not None:
            return self._named(alias, typing.Union[tuple(members)])  # noqa: UP007
        if len(members) == 1:
            return self.of(members[0])
        if literals and len(literals) == len(members):
            return _enum([v for m in literals for v in typing.get_args(m)])
        parts: list[dict[str, Any]] = []
        for member in members:
            part = self.of(member)
            if part not in parts:
                parts.append(part)
        if all("$ref" in part for part in parts):
            # typing caches List[Union[A, B]] as equal to List[Union[B, A]], so the order
            # the SDK wrote depends on import history: sort, to derive the same overlay.
            parts.sort(key=lambda part: part["$ref"])
        return parts[0] if len(parts) == 1 else {"anyOf": parts}

    def _leaf(self, tp: Any) -> dict[str, Any]:
        simple: dict[Any, dict[str, Any]] = {
            str: {"type": "string"},
            int: {"type": "integer"},
            float: {"type": "number"},
            bool: {"type": "boolean"},
            dt.datetime: {"type": "string", "format": "date-time"},
            dt.date: {"type": "string", "format": "date"},
            Any: {},
            object: {},
        }
        if tp in simple:
            return dict(simple[tp])
        if isinstance(tp, (typing.ForwardRef, str)):  # circular models name each other late
            name = tp.__forward_arg__ if isinstance(tp, typing.ForwardRef) else tp
            return self.of(getattr(importlib.import_module("humanloop.types"), name))
        if inspect.isclass(tp) and issubclass(tp, pydantic.BaseModel):
            return self._model(tp)
        if _is_typeddict(tp):
            model = _model_of_params(tp)
            return self._model(model) if model is not None else self._typeddict(tp)
        if getattr(tp, "__name__", "") == "File" or tp is typing.IO or tp is bytes:
            return {"type": "string", "format": "binary"}
        origin = typing.get_origin(tp)
        if (
            origin is not None
            and typing.get_origin(origin) is None
            and str(tp).startswith("typing.IO")
        ):
            return {"type": "string", "format": "binary"}
        raise TypeError(f"no schema for {tp!r}")

    def _model(self, cls: type[pydantic.BaseModel]) -> dict[str, Any]:
        name = self.name(cls.__name__)
        if name in self.components:
            return {"$ref": REF + name}
        self.components[name] = {}
        hints = typing.get_type_hints(cls, include_extras=True)
        fields = {
            name: (hints.get(name, info.annotation), info.is_required())
            for name, info in cls.model_fields.items()
        }
        self.components[name] = self._object(fields, inspect.getdoc(cls))
        return {"$ref": REF + name}

    def _typeddict(self, tp: Any) -> dict[str, Any]:
        name = tp.__name__.removesuffix("Params")
        if name not in self.components:
            self.components[name] = {}
            hints = typing.get_type_hints(tp, include_extras=True)
            required = getattr(tp, "__required_keys__", frozenset())
            fields = {key: (ann, key in required) for key, ann in hints.items()}
            self.components[name] = self._object(fields, None)
        return {"$ref": REF + name}

    def _object(self, fields: dict[str, tuple[Any, bool]], doc: str | None) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for py_name, (ann, is_required) in fields.items():
            wire = _alias(ann) or py_name
            schema = self.of(ann)
            if is_required and _is_optional(ann):
                schema = (
                    {**schema, "nullable": True}
                    if "$ref" not in schema
                    else {"allOf": [schema], "nullable": True}
                )
            props[wire] = schema
            if is_required:
                required.append(wire)
        out: dict[str, Any] = {"type": "object", "properties": props}
        if required:
            out["required"] = required
        if doc and not doc.startswith(("Usage:", "!!!")):
            out["description"] = doc.strip().split("\n")[0]
        return out

    def body(self, name: str, fields: dict[str, tuple[Any, bool]]) -> dict[str, Any]:
        self.components[name] = self._object(fields, None)
        return {"$ref": REF + name}


# Pages the SDK names without the "Data" the v5 description has.
_PAGE_NAMES = {
    f"Paginated{kind}Response": f"PaginatedData_{kind}Response_"
    for kind in ("Datapoint", "Dataset", "Evaluation")
}


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _abc_seq() -> Any:
    import collections.abc

    return collections.abc.Sequence


def _abc_map() -> Any:
    import collections.abc

    return collections.abc.Mapping


def _enum(values: list[Any]) -> dict[str, Any]:
    kinds = {type(v) for v in values}
    kind = {str: "string", int: "integer", bool: "boolean"}.get(next(iter(kinds)), "string")
    return {"type": kind, "enum": values}


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__")


def _model_of_params(tp: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model the SDK pairs with a request TypedDict (``XParams`` -> ``X``)."""
    module = tp.__module__.replace(".requests.", ".types.")
    try:
        found = getattr(importlib.import_module(module), tp.__name__.removesuffix("Params"), None)
    except ImportError:
        return None
    return found if inspect.isclass(found) and issubclass(found, pydantic.BaseModel) else None


def _alias(ann: Any) -> str | None:
    if typing.get_origin(ann) in (typing.Annotated, typing_extensions.Annotated):
        for meta in typing.get_args(ann)[1:]:
            alias = getattr(meta, "alias", None)
            if isinstance(alias, str):
                return alias
    return None


def _is_optional(ann: Any) -> bool:
    if typing.get_origin(ann) in (typing.Annotated, typing_extensions.Annotated):
        ann = typing.get_args(ann)[0]
    return type(None) in typing.get_args(ann)


# --- operations ------------------------------------------------------------------------


class Operation(typing.NamedTuple):
    group: str  # "prompts"
    method: str  # "call_stream"
    http_method: str  # "POST"
    path: str  # "/prompts/{id}"
    path_args: list[str]
    query: dict[str, str]  # wire name -> argument name
    body: dict[str, Any] | str | None  # wire key -> argument name / constant; or one argument
    body_kind: str  # "json" | "multipart" | ""
    response: Any  # python type parsed from a 2xx, None when nothing is
    streaming: bool
    function: Any  # the sync raw-client function (for its annotations)


def sdk_groups() -> list[str]:
    root = Path(_sdk().__file__).parent
    return sorted(p.parent.name for p in root.glob("*/raw_client.py"))


def sdk_operations() -> list[Operation]:
    """Every operation of the official SDK's sync raw clients, in source order."""
    ops: list[Operation] = []
    for group in sdk_groups():
        module = importlib.import_module(f"humanloop.{group}.raw_client")
        tree = ast.parse(Path(module.__file__ or "").read_text())
        for cls in tree.body:
            if isinstance(cls, ast.ClassDef) and not cls.name.startswith("Async"):
                for fn in cls.body:
                    if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_"):
                        op = _operation(group, module, getattr(module, cls.name), fn)
                        if op is not None:
                            ops.append(op)
    return ops


def _operation(group: str, module: Any, cls: Any, fn: ast.FunctionDef) -> Operation | None:
    call = next(
        (
            node
            for node in ast.walk(fn)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("request", "stream")
            and ast.unparse(node.func.value).endswith("httpx_client")
        ),
        None,
    )
    if call is None:
        return None
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    path, path_args = _path(call.args[0])
    body: dict[str, Any] | str | None = None
    kind = ""
    if "json" in kw:
        kind = "json"
        body = _dict_args(kw["json"]) if isinstance(kw["json"], ast.Dict) else _arg_name(kw["json"])
    elif "files" in kw or "data" in kw:
        kind = "multipart"
        body = {**_dict_args(kw.get("data")), **_dict_args(kw.get("files"))}
    response = None
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "construct_type":
            type_ = next(k.value for k in node.keywords if k.arg == "type_")
            text = ast.unparse(type_)
            if "HttpValidationError" not in text:
                response = eval(text, vars(module))  # noqa: S307 (SDK source, resolved in its module)
                break
    if response is None and "data=_response.text" in ast.unparse(fn):
        response = _Text  # serialize answers the file's text, not JSON
    query = {key: str(value) for key, value in _dict_args(kw.get("params")).items()}
    return Operation(
        group=group,
        method=fn.name,
        http_method=ast.literal_eval(kw["method"]),
        path=path,
        path_args=path_args,
        query=query,
        body=body,
        body_kind=kind,
        response=response,
        streaming="httpx_sse" in ast.unparse(fn),
        function=getattr(cls, fn.name),
    )


class _Text:
    """Marks an operation whose 2xx body is plain text."""


def _path(node: ast.expr) -> tuple[str, list[str]]:
    if isinstance(node, ast.Constant):
        return "/" + str(node.value), []
    assert isinstance(node, ast.JoinedStr), ast.dump(node)
    parts: list[str] = []
    names: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        else:
            assert isinstance(value, ast.FormattedValue)
            name = _arg_name(value.value)
            names.append(name)
            parts.append("{" + name + "}")
    return "/" + "".join(parts), names


def _arg_name(node: ast.expr) -> str:
    """The argument a wire value comes from: ``x``, ``jsonable_encoder(x)`` or
    ``convert_and_respect_annotation_metadata(object_=x, ...)``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.IfExp):  # serialize_datetime(x) if x is not None else None
        return _arg_name(node.body)
    if isinstance(node, ast.Call):
        for k in node.keywords:
            if k.arg == "object_":
                return _arg_name(k.value)
        if node.args:
            return _arg_name(node.args[0])
    raise ValueError(ast.unparse(node))


def _dict_args(node: ast.expr | None) -> dict[str, Any]:
    if node is None:
        return {}
    assert isinstance(node, ast.Dict), ast.dump(node)
    out: dict[str, Any] = {}
    for key, value in zip(node.keys, node.values, strict=True):
        assert isinstance(key, ast.Constant)
        if isinstance(value, ast.Constant):
            out[str(key.value)] = ("const", value.value)
        else:
            out[str(key.value)] = _arg_name(value)
    return out


# --- the overlay ------------------------------------------------------------------------


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in text.split("_"))


def build_overlay(v5: dict[str, Any]) -> dict[str, Any]:
    """The SDK's operations and schemas as an OpenAPI fragment to lay over ``v5``."""
    schemas = Schemas(v5.get("components", {}).get("schemas", {}))
    paths: dict[str, dict[str, Any]] = {}
    grouped: dict[tuple[str, str], list[Operation]] = {}
    for op in sdk_operations():
        grouped.setdefault((op.path, op.http_method.lower()), []).append(op)
    for (path, method), ops in grouped.items():
        paths.setdefault(path, {})[method] = _path_item(schemas, v5, path, method, ops)
    return {
        "x-source": f"derived from the official humanloop SDK {SDK_VERSION} by scripts/sdk_overlay.py",
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }


def _signature(op: Operation) -> tuple[dict[str, Any], set[str]]:
    sig = inspect.signature(op.function)
    hints = typing.get_type_hints(op.function, include_extras=True)
    required = {
        name
        for name, p in sig.parameters.items()
        if p.default is inspect.Parameter.empty and name not in _OMIT_ARGS
    }
    return hints, required


def _path_item(
    schemas: Schemas, v5: dict[str, Any], path: str, method: str, ops: list[Operation]
) -> dict[str, Any]:
    first = ops[0]
    old = v5.get("paths", {}).get(path, {}).get(method, {})
    item: dict[str, Any] = {
        "operationId": f"{first.group}_{first.method}",
        "x-sdk-methods": [f"{op.group}.{op.method}" for op in ops],
        "parameters": [],
    }
    hints, required = _signature(first)
    for name in first.path_args:
        item["parameters"].append(
            {"name": name, "in": "path", "required": True, "schema": schemas.of(hints[name])}
        )
    for wire, arg in first.query.items():
        item["parameters"].append(
            {
                "name": wire,
                "in": "query",
                "required": arg in required,
                "schema": schemas.of(hints[arg]),
            }
        )
    body = _body(schemas, old, ops)
    if body is not None:
        item["requestBody"] = body
    item["responses"] = _responses(schemas, old, ops)
    item["security"] = [{"APIKeyHeader": []}]  # the SDK sends X-API-KEY on every call
    return item


def _body(schemas: Schemas, old: dict[str, Any], ops: list[Operation]) -> dict[str, Any] | None:
    first = ops[0]
    if first.body is None:
        return None
    if isinstance(first.body, str):  # the whole body is one argument (a list, say)
        hints, _ = _signature(first)
        schema = schemas.of(hints[first.body])
        return {"required": True, "content": {"application/json": {"schema": schema}}}
    fields: dict[str, tuple[Any, bool]] = {}
    for op in ops:  # call and call_stream share one body, differing in `stream`
        hints, required = _signature(op)
        assert isinstance(op.body, dict)
        for wire, source in op.body.items():
            if isinstance(source, tuple):  # a constant the method always sends
                fields[wire] = (type(source[1]), False)
            elif wire not in fields:
                fields[wire] = (hints[source], source in required)
    old_ref = (
        old.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ).get("$ref", "")
    name = old_ref.rsplit("/", 1)[-1] or f"{_pascal(first.group)}{_pascal(first.method)}Request"
    if first.body_kind == "multipart":
        name = (
            old.get("requestBody", {})
            .get("content", {})
            .get("multipart/form-data", {})
            .get("schema", {})
            .get("$ref", "")
            .rsplit("/", 1)[-1]
            or f"Body{_pascal(first.group)}{_pascal(first.method)}"
        )
        ref = schemas.body(name, fields)
        return {"required": True, "content": {"multipart/form-data": {"schema": ref}}}
    ref = schemas.body(name, fields)
    return {"required": True, "content": {"application/json": {"schema": ref}}}


def _responses(schemas: Schemas, old: dict[str, Any], ops: list[Operation]) -> dict[str, Any]:
    ok_status = next((s for s in old.get("responses", {}) if s.startswith("2")), None)
    content: dict[str, Any] = {}
    for op in ops:
        if op.response is None:
            continue
        if op.response is _Text:
            content["text/plain"] = {"schema": {"type": "string"}}
            continue
        media = "text/event-stream" if op.streaming else "application/json"
        content[media] = {"schema": schemas.of(op.response)}
    status = ok_status or ("200" if content else "204")
    ok: dict[str, Any] = {"description": "Successful Response"}
    if content:
        ok["content"] = content
    invalid = {
        "description": "Validation Error",
        "content": {"application/json": {"schema": schemas.of(_http_validation_error())}},
    }
    return {status: ok, "422": invalid}


def _http_validation_error() -> Any:
    from humanloop.types import HttpValidationError

    return HttpValidationError


def main() -> None:
    v5 = json.loads((OUT.parent / "humanloop-openapi-v5.json").read_text())
    OUT.write_text(json.dumps(build_overlay(v5), indent=1, sort_keys=False) + "\n")
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
