"""Services behind the SDK 0.8.38 additions to prompts, agents, tools and datasets:
``.prompt``/``.agent`` serialisation, ``populate``, tool environment variables, CSV upload."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from humanloop_core import types as t

from . import datasets, fileformat, files
from .errors import ApiProblem, invalid
from .rendering import render_messages
from .store import Row, Store

MAX_CSV_BYTES = 10 * 1024 * 1024  # a larger upload is refused with a 413, not half-read
_KERNELS: dict[str, type[t.PromptKernelRequest] | type[t.AgentKernelRequest]] = {
    "prompt": t.PromptKernelRequest, "agent": t.AgentKernelRequest}


def serialize(store: Store, kind: files.FileKind, file_id: str, version_id: str | None,
              environment: str | None) -> str:
    """The ``.prompt``/``.agent`` text of a version (default: the deployed one)."""
    file = files.get_file(store, kind, file_id)
    version = files.resolve_version(store, file, version_id, environment)
    return fileformat.serialize(_kernel_fields(kind.type, version["kernel"]))


def _kernel_fields(kind_type: str, kernel: dict[str, Any]) -> dict[str, Any]:
    """The kernel fields the file format carries (what the kernel request model defines)."""
    model = _KERNELS[kind_type]
    return {k: v for k, v in kernel.items() if k in model.model_fields and v is not None}


def deserialize(text: str, kind_type: str) -> dict[str, Any]:
    """The kernel a ``.prompt``/``.agent`` text describes, validated as the SDK's model."""
    kernel = fileformat.deserialize(text, kind_type)
    try:
        model = _KERNELS[kind_type].model_validate(kernel)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise invalid(["body", kind_type], f"not a valid {kind_type} kernel: {exc}") from None
    wire: dict[str, Any] = model.to_wire()
    return wire


def populate(store: Store, file_id: str, inputs: dict[str, Any], version_id: str | None,
             environment: str | None) -> dict[str, Any]:
    """The prompt at a version with its template rendered from ``inputs`` exactly as a call
    renders it (same renderer, same language, missing inputs refused the same way)."""
    kind = files.KINDS["prompt"]
    file = files.get_file(store, kind, file_id)
    version = files.resolve_version(store, file, version_id, environment)
    body = files.file_response(store, kind, file, version)
    kernel = version["kernel"]
    template = kernel.get("template")
    messages = render_messages(template, inputs, kernel.get("template_language"))
    if isinstance(template, str):
        body["populated_template"] = messages[0]["content"] if messages else ""
    else:
        body["populated_template"] = messages
    result: dict[str, Any] = t.PopulateTemplateResponse.model_validate(body).to_wire()
    return result


# -- tool environment variables -------------------------------------------------------
def masked(value: str) -> str:
    """What reads show of a variable's value: a fixed mask, plus the last four characters
    of a long value as a hint (short values would be given away by them)."""
    return "********" + (value[-4:] if len(value) >= 16 else "")


def environment_variables(store: Store, tool_id: str) -> list[dict[str, str]]:
    """The tool's variables, values masked: they are written once and only ever read
    whole by the sandbox that runs the tool (toolcalls, agents), never by an endpoint."""
    files.get_file(store, files.KINDS["tool"], tool_id)
    return [{"name": k, "value": masked(v)} for k, v in store.env_vars(tool_id).items()]


def add_environment_variables(store: Store, tool_id: str, values: list[dict[str, Any]]) -> list[dict[str, str]]:
    files.get_file(store, files.KINDS["tool"], tool_id)
    store.set_env_vars(tool_id, {str(v["name"]): str(v["value"]) for v in values})
    return environment_variables(store, tool_id)


def delete_environment_variable(store: Store, tool_id: str, name: str) -> list[dict[str, str]]:
    if name not in store.env_vars(files.get_file(store, files.KINDS["tool"], tool_id)["id"]):
        raise ApiProblem(404, f"tool {tool_id!r} has no environment variable {name!r}")
    store.delete_env_var(tool_id, name)
    return environment_variables(store, tool_id)


# -- dataset CSV upload ---------------------------------------------------------------
def upload_csv(store: Store, dataset_id: str, content: bytes, version_id: str | None,
               environment: str | None, version_name: str | None,
               version_description: str | None) -> tuple[Row, Row]:
    """Add the CSV's rows as datapoints to the base version, as a new version. Columns are
    inputs, except ``messages`` (a JSON list of chat messages) and ``target`` (JSON)."""
    if len(content) > MAX_CSV_BYTES:
        raise ApiProblem(413, f"the CSV is larger than {MAX_CSV_BYTES} bytes")
    file = files.get_file(store, files.KINDS["dataset"], dataset_id)
    points = _datapoints(content)
    request = t.DatasetRequest.model_validate({
        "id": file["id"], "datapoints": points, "action": "add",
        "version_name": version_name, "version_description": version_description})
    return datasets.upsert(store, request, version_id, environment)


def _datapoints(content: bytes) -> list[dict[str, Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid(["body", "file"], "the CSV must be UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise invalid(["body", "file"], "the CSV has no header row")
    points = []
    for line, row in enumerate(reader, start=2):
        point: dict[str, Any] = {"inputs": {}}
        for column, value in row.items():
            if column is None:
                raise invalid(["body", "file"], f"line {line} has more cells than the header")
            if column in ("messages", "target") and value:
                try:
                    point[column] = json.loads(value)
                except json.JSONDecodeError:
                    raise invalid(["body", "file"], f"line {line}: {column} is not JSON") from None
            elif column not in ("messages", "target"):
                point["inputs"][column] = value
        points.append(point)
    if not points:
        raise invalid(["body", "file"], "the CSV has a header but no rows")
    return points
