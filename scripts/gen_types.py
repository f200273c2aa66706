"""Generate humanloop_core/types/_models.py from the wire contract.

Run: python -m scripts.gen_types   (or `make types`)

The contract is the vendored v5 OpenAPI description with the overlay derived from the official
SDK 0.8.38 (scripts/sdk_overlay.py) laid over it: ``load_contract()`` is that merge, read by
this generator and by the spec-conformance tests alike.

Why generated: the wire schemas are the contract, so the models are derived from them
mechanically and a test regenerates them to prove they have not drifted. The output is the
one module in the tree allowed past the house size limit.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "humanloop_core" / "types" / "_models.py"
V5_SPEC = ROOT / "spec" / "humanloop-openapi-v5.json"
SDK_OVERLAY = ROOT / "spec" / "humanloop-sdk-0.8.38.json"
# Hand-written: what this project accepts beyond both (a version_id on retrieve-by-path, ...).
EXTENSIONS = ROOT / "spec" / "humanloop-core-extensions.json"


def merge(v5: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """``overlay`` laid over ``v5``: an operation the overlay has replaces v5's; a schema both
    have takes the overlay's fields, keeping the v5 fields the SDK dropped (commit_message,
    batch_id, ...) as optional so older callers keep working; other schemas are added."""
    out = json.loads(json.dumps(v5))
    for path, item in overlay.get("paths", {}).items():
        out["paths"].setdefault(path, {}).update(item)
    schemas = out["components"]["schemas"]
    for name, schema in overlay.get("components", {}).get("schemas", {}).items():
        old = schemas.get(name)
        if old is None or "properties" not in old or "properties" not in schema:
            schemas[name] = schema
            continue
        props = {**old["properties"], **schema["properties"]}
        for field, sub in schema["properties"].items():
            # The SDK states no defaults (Fern sends None); v5's (max_tokens=-1) still hold.
            before = old["properties"].get(field, {})
            if "default" in before and "default" not in sub:
                props[field] = {**sub, "default": before["default"]}
        if name.endswith("Request") or name.startswith("Body_"):
            # A body field whose shape the SDK changed (evaluators by {"id"} rather than
            # {"file_id"}) accepts both, so callers of the older shape keep working.
            for field in schema["properties"]:
                before = old["properties"].get(field)
                if before is not None and _shape(before) != _shape(props[field]):
                    props[field] = _either(props[field], before)
        # A field v5 left optional stays optional (a caller that omitted it keeps working);
        # the SDK's required fields that v5 lacked, or also required, are required.
        was_optional = set(old["properties"]) - set(old.get("required", []))
        required = [f for f in schema.get("required", []) if f not in was_optional]
        merged = {**old, **schema, "properties": props}
        merged.pop("required", None)
        if required:
            merged["required"] = required
        schemas[name] = merged
    return out


def _either(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    members: list[dict[str, Any]] = []
    for schema in (new, old):
        for member in schema.get("anyOf", [schema]):
            if all(_shape(member) != _shape(m) for m in members):
                members.append(member)
    return members[0] if len(members) == 1 else {"anyOf": members}


def _shape(schema: dict[str, Any]) -> Any:
    """A schema without its prose, to tell a changed field from a re-described one."""
    if isinstance(schema, dict):
        return {
            k: _shape(v) for k, v in schema.items() if k not in ("title", "description", "default")
        }
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def load_contract() -> dict[str, Any]:
    """The whole wire contract: v5 description + official SDK overlay + this project's
    extensions (query parameters added to an operation the SDK defines)."""
    spec = merge(json.loads(V5_SPEC.read_text()), json.loads(SDK_OVERLAY.read_text()))
    extensions = json.loads(EXTENSIONS.read_text())
    spec = merge(spec, extensions)
    for path, methods in extensions.get("x-query-parameters", {}).items():
        for method, params in methods.items():
            spec["paths"][path][method].setdefault("parameters", []).extend(params)
    return spec


# Schemas whose spec names are implementation paths get readable names.
RENAMES = {
    "src__domain__chat_types__enums__ToolType": "ChatToolType",
    "src__domain__files__tool__ToolType": "ToolType",
    "src__external__app__models__v5__datasets__DatasetRequest": "DatasetRequest",
    "src__external__app__models__v5__evaluations__DatasetRequest": "EvaluationDatasetRequest",
    "src__external__app__models__v5__evaluations__EvaluatorRequest": "EvaluationEvaluatorRequest",
    "src__external__app__models__v5__evaluators__EvaluatorRequest": "EvaluatorRequest",
    "Body_update_status_evaluations__id__status_patch": "UpdateEvaluationStatusRequest",
    "Body_upload_csv_datasets__id__datapoints_csv_post": "UploadCsvRequest",
}


_BASE_ATTRS = frozenset(dir(BaseModel))


def class_name(ref_or_name: str) -> str:
    name = ref_or_name.rsplit("/", 1)[-1]
    return RENAMES.get(name, name)


def literal(values: list[Any]) -> str:
    return "Literal[" + ", ".join(repr(v) for v in values) + "]"


def annotation(schema: dict[str, Any]) -> str:
    """Python annotation for one schema fragment (never adds Optional)."""
    if "$ref" in schema:
        return class_name(schema["$ref"])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return annotation(schema["allOf"][0])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts: list[str] = []
            for sub in schema[key]:
                if sub.get("type") == "null":
                    continue
                ann = annotation(sub)
                if ann not in parts:
                    parts.append(ann)
            merged = _merge_literals(parts)
            return merged[0] if len(merged) == 1 else "Union[" + ", ".join(merged) + "]"
    if "enum" in schema:
        return literal(schema["enum"])
    if "const" in schema:
        return literal([schema["const"]])
    kind = schema.get("type")
    if kind == "string":
        return "datetime" if schema.get("format") == "date-time" else "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return f"list[{annotation(schema.get('items', {}))}]"
    if kind == "object" or "additionalProperties" in schema:
        extra = schema.get("additionalProperties")
        value = annotation(extra) if isinstance(extra, dict) and extra else "Any"
        return f"dict[str, {value}]"
    return "Any"


def _merge_literals(parts: list[str]) -> list[str]:
    """Fold Literal['a'], Literal['b'] into Literal['a', 'b'] so unions stay readable."""
    values: list[str] = []
    rest: list[str] = []
    for part in parts:
        match = re.fullmatch(r"Literal\[(.*)\]", part)
        if match:
            values.extend(v.strip() for v in match.group(1).split(","))
        else:
            rest.append(part)
    return (["Literal[" + ", ".join(values) + "]"] if values else []) + rest


def field_line(name: str, schema: dict[str, Any], required: bool) -> str:
    ann = annotation(schema)
    py_name = name
    alias = ""
    # "schema" is a wire field and a BaseModel method: the attribute takes a trailing "_".
    if keyword.iskeyword(name) or not name.isidentifier() or name in _BASE_ATTRS:
        py_name = re.sub(r"\W", "_", name) + "_"
        alias = f"alias={name!r}"
    nullable = schema.get("nullable") is True or any(
        s.get("type") == "null" for s in schema.get("anyOf", [])
    )
    if required:
        ann = f"Optional[{ann}]" if nullable else ann
        default = f"Field({alias})" if alias else ""
    else:
        ann = f"Optional[{ann}]"
        spec_default = schema.get("default")
        simple = spec_default is not None and not isinstance(spec_default, (dict, list))
        value = repr(spec_default) if simple else "None"
        default = f"Field({value}, {alias})" if alias else value
    return f"    {py_name}: {ann}" + (f" = {default}" if default else "")


def doc(schema: dict[str, Any]) -> str:
    text = (schema.get("description") or schema.get("title") or "").strip().split("\n")[0]
    return text.replace('"""', "'").replace("\\", "\\\\")[:200]


def render(spec: dict[str, Any]) -> str:
    schemas = spec["components"]["schemas"]
    aliases: list[str] = []
    classes: list[str] = []
    unions: list[str] = []
    for raw_name, schema in schemas.items():
        name = class_name(raw_name)
        if schema.get("type") == "object" or "properties" in schema:
            # A body the client sends is strict (unknown fields fail before sending);
            # everything the server sends tolerates fields a newer server adds.
            is_request = raw_name.endswith("Request") or raw_name.startswith("Body_")
            base = "RequestModel" if is_request else "ResponseModel"
            lines = [f"class {name}({base}):"]
            if doc(schema):
                lines.append(f'    """{doc(schema)}"""')
                lines.append("")
            required = set(schema.get("required", []))
            props = schema.get("properties", {})
            for field, sub in props.items():
                lines.append(field_line(field, sub, field in required))
            if not props:
                lines.append("    pass")
            classes.append("\n".join(lines))
        elif "enum" in schema:
            aliases.append(f"{name} = {annotation(schema)}")
        else:  # unions of models: defined after the classes they name
            unions.append(f"{name} = {annotation(schema)}")
    names = sorted(class_name(n) for n in schemas)
    header = [
        '"""Pydantic models of the Humanloop v5 wire schemas.',
        "",
        "Generated by scripts/gen_types.py from humanloop-openapi-v5.json and the official SDK",
        "overlay humanloop-sdk-0.8.38.json; do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from datetime import datetime",
        "from typing import Any, Literal, Optional, Union",
        "",
        "from pydantic import Field",
        "",
        "from ._base import RequestModel, ResponseModel",
        "",
        "__all__ = [",
        *[f"    {n!r}," for n in names],
        "]",
        "",
    ]
    return "\n".join(header + aliases + ["", ""] + ["\n\n\n".join(classes), "", ""] + unions) + "\n"


def main() -> None:
    OUT.write_text(render(load_contract()))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
