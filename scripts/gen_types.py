"""Generate humanloop_core/types/_models.py from the Humanloop v5 OpenAPI description.

Run: python scripts/gen_types.py ../shared/humanloop-openapi-v5.json

Why generated: the wire schemas are the contract, so the models are derived from them
mechanically and a test regenerates them to prove they have not drifted. The output is the
one module in the tree allowed past the house size limit.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "humanloop_core" / "types" / "_models.py"

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
    if keyword.iskeyword(name) or not name.isidentifier():
        py_name = re.sub(r"\W", "_", name) + "_"
        alias = f"alias={name!r}"
    nullable = any(s.get("type") == "null" for s in schema.get("anyOf", []))
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
        "Generated by scripts/gen_types.py from humanloop-openapi-v5.json; do not edit by hand.",
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
    spec_path = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/humanloop-openapi-v5.json")
    OUT.write_text(render(json.loads(spec_path.read_text())))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
