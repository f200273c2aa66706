"""Files (prompts, tools, datasets, evaluators, flows): one generic service for all kinds.

A file is a path in the directory tree plus versions. A version is identified by the
hash of its canonical kernel (the request minus path, id and commit message, with the
schema's defaults filled), so upserting an unchanged kernel returns the same version_id.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from humanloop_core import types as t
from humanloop_core.types._base import ResponseModel

from . import versions
from .errors import ApiProblem, invalid, not_found
from .rendering import template_variables
from .store import Row, Store

# Re-exported: services reach these through files, where the file rules live.
from .versions import environment as environment
from .versions import resolve_version as resolve_version

# Request fields that describe or address a version rather than make it up.
# File-level metadata: kept on the file, not in a version (the SDK's kernel requests lack
# these fields), so editing one changes no version.
FILE_META = ("description", "tags", "readme")
_NOT_KERNEL = {"path", "id", "commit_message", "action", "version_name", "version_description",
               *FILE_META}
# Listings that filter in Python read every row first (files are few; logs are paged in SQL).
_ALL = 1_000_000


@dataclass(frozen=True)
class FileKind:
    """Everything that differs between file types, so routes and services are written once."""

    type: str
    route: str
    label: str
    prefix: str
    # builtins.type: inside this class body a bare `type` is the field above.
    request: builtins.type[BaseModel]
    update: builtins.type[BaseModel]
    response: builtins.type[ResponseModel]
    page: builtins.type[BaseModel]
    versions: builtins.type[BaseModel]
    counts_logs: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


KINDS: dict[str, FileKind] = {
    k.type: k
    for k in (
        FileKind("prompt", "prompts", "Prompt", "pr", t.PromptRequest, t.UpdatePromptRequest,
                 t.PromptResponse, t.PaginatedData_PromptResponse_, t.ListPrompts),
        FileKind("tool", "tools", "Tool", "tl", t.ToolRequest, t.UpdateToolRequest,
                 t.ToolResponse, t.PaginatedData_ToolResponse_, t.ListTools),
        FileKind("dataset", "datasets", "Dataset", "ds", t.DatasetRequest, t.UpdateDatasetRequest,
                 t.DatasetResponse, t.PaginatedData_DatasetResponse_, t.ListDatasets, counts_logs=False),
        FileKind("evaluator", "evaluators", "Evaluator", "ev", t.EvaluatorRequest,
                 t.UpdateEvaluatorRequest, t.EvaluatorResponse, t.PaginatedData_EvaluatorResponse_,
                 t.ListEvaluators),
        FileKind("flow", "flows", "Flow", "fl", t.FlowRequest, t.UpdateFlowRequest, t.FlowResponse,
                 t.PaginatedData_FlowResponse_, t.ListFlows),
        # An agent: a prompt's kernel plus tools with a stop rule (server/agents.py runs it).
        FileKind("agent", "agents", "Agent", "ag", t.AgentsUpsertRequest, t.AgentsMoveRequest,
                 t.AgentResponse, t.PaginatedDataAgentResponse, t.ListAgents),
    )
}


def canonical_kernel(request: BaseModel) -> dict[str, Any]:
    """The versioned part of an upsert body, defaults included, ``None`` dropped."""
    dumped = request.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in dumped.items() if k not in _NOT_KERNEL}


def kernel_hash(kernel: dict[str, Any]) -> str:
    blob = json.dumps(kernel, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def clean_path(path: str) -> str:
    """Paths are stored without surrounding slashes; an empty segment is a client mistake."""
    parts = path.strip().strip("/").split("/")
    if not path.strip("/ ") or any(not p.strip() for p in parts):
        raise invalid(["body", "path"], f"invalid path {path!r}: use names separated by '/'")
    return "/".join(p.strip() for p in parts)


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def check_free(store: Store, path: str, *, creating_file: bool = False) -> None:
    """Refuse (409) a new path already held by a file or directory, or below a file.

    ``creating_file``: the caller creates a file and accepts one already there (two
    upserts of one new path race, and both get the file the store keeps)."""
    if not creating_file and store.get_file_by_path(path) is not None:
        raise ApiProblem(409, f"path {path!r} is already taken by a file")
    held = store.get_directory(path)
    if held is not None and held["path"] == path:
        raise ApiProblem(409, f"path {path!r} is already taken by a directory")
    parts = path.split("/")
    for depth in range(1, len(parts)):
        ancestor = "/".join(parts[:depth])
        if store.get_file_by_path(ancestor) is not None:
            raise ApiProblem(409, f"{ancestor!r} is a file: nothing can be created below it")


# -- lookups ---------------------------------------------------------------------------
def get_file(store: Store, kind: FileKind, file_id: str) -> Row:
    row = store.get_file(file_id)
    if row is None or row["type"] != kind.type:
        raise not_found(kind.label, file_id)
    return row


def find_file(store: Store, kind: FileKind, *, path: str | None, id: str | None) -> Row | None:
    """The file named by id (must exist) or path (may not exist yet)."""
    if id:
        return get_file(store, kind, id)
    if path:
        row = store.get_file_by_path(clean_path(path))
        if row is not None and row["type"] != kind.type:
            raise ApiProblem(409, f"path {path!r} is a {row['type']}, not a {kind.type}")
        return row
    raise invalid(["body", "path"], f"give the {kind.type}'s `path` or `id`", "missing")


# -- writes ----------------------------------------------------------------------------
def create_or_get(store: Store, kind: FileKind, path: str | None, id: str | None) -> Row:
    file = find_file(store, kind, path=path, id=id)
    if file is None:
        path = clean_path(path or "")
        check_free(store, path, creating_file=True)
        store.ensure_directories(parent_of(path))
        file = store.create_file(kind.prefix, kind.type, path)
    return file


def upsert(store: Store, kind: FileKind, path: str | None, id: str | None,
           kernel: dict[str, Any], *, explicit: bool, request: BaseModel | None = None) -> tuple[Row, Row]:
    """Create the file if needed and return it with the version holding ``kernel``.

    ``explicit``: an upsert (True) or a kernel carried by a call/log (False); see
    ``versions`` for what that changes. ``request`` supplies the version's name and
    description (``version_name``/``version_description``, or the older ``commit_message``).
    """
    file = create_or_get(store, kind, path, id)
    version = versions.save(store, file, kind.prefix + "v", kernel_hash(kernel), kernel,
                            explicit=explicit, **version_labels(request))
    if request is not None:
        save_meta(store, file, request)
    return store.get_file(file["id"]) or file, version


def save_meta(store: Store, file: Row, request: BaseModel) -> None:
    """Merge the file-level fields an upsert sets (``FILE_META``) into the file's."""
    given = request.model_dump(mode="json", include=set(FILE_META), exclude_unset=True)
    if given:
        with store.transaction(lock_file=file["id"]):  # two upserts editing different fields
            current = (store.get_file(file["id"]) or file).get("meta") or {}
            if {**current, **given} != current:
                store.set_file_meta(file["id"], {**current, **given})


def version_labels(request: BaseModel | None) -> dict[str, str | None]:
    """Name, description and legacy commit message a request body gives its version."""
    if request is None:
        return {}
    return {"name": getattr(request, "version_name", None),
            "description": getattr(request, "version_description", None),
            "commit_message": getattr(request, "commit_message", None)}


def move(store: Store, kind: FileKind, file_id: str, body: BaseModel) -> Row:
    file = get_file(store, kind, file_id)
    data = body.model_dump(exclude_none=True)
    if "path" in data:
        new_path = clean_path(data["path"])
    elif "name" in data or "directory_id" in data:
        name = clean_path(data.get("name") or file["path"].rsplit("/", 1)[-1])
        parent = parent_of(file["path"])
        if "directory_id" in data:
            directory = store.get_directory(data["directory_id"])
            if directory is None or directory["id"] != data["directory_id"]:
                raise not_found("Directory", data["directory_id"])
            parent = directory["path"]
        new_path = "/".join(p for p in (parent, name) if p)
    else:
        return file
    if new_path == file["path"]:
        return file
    check_free(store, new_path)
    store.ensure_directories(parent_of(new_path))
    return store.move_file(file_id, new_path)


def delete(store: Store, kind: FileKind, file_id: str) -> None:
    """Delete a file with its versions, deployments and logs."""
    get_file(store, kind, file_id)
    store.delete_file(file_id)


def commit(store: Store, kind: FileKind, file_id: str, version_id: str, message: str) -> dict[str, Any]:
    file = get_file(store, kind, file_id)
    version = resolve_version(store, file, version_id=version_id)
    store.commit_version(version["id"], message)
    return current(store, kind, file_id, version_id)


def deploy(store: Store, kind: FileKind, file_id: str, env_key: str, version_id: str) -> Row:
    file = get_file(store, kind, file_id)
    version = resolve_version(store, file, version_id=version_id)
    store.set_deployment(file_id, environment(store, env_key)["id"], version["id"])
    return file


def undeploy(store: Store, kind: FileKind, file_id: str, env_key: str) -> None:
    get_file(store, kind, file_id)
    env = environment(store, env_key)
    if env["id"] not in store.deployments(file_id):
        raise ApiProblem(404, f"nothing of {file_id!r} is deployed to {env['name']!r}")
    store.remove_deployment(file_id, env["id"])


# -- responses -------------------------------------------------------------------------
def current(store: Store, kind: FileKind, file_id: str, version_id: str | None = None,
            environment_name: str | None = None) -> dict[str, Any]:
    """The response of a file at the version a read names (see resolve_version)."""
    file = get_file(store, kind, file_id)
    return file_response(store, kind, file, resolve_version(store, file, version_id, environment_name))


def list_versions(store: Store, kind: FileKind, file_id: str, status: str | None) -> list[dict[str, Any]]:
    """The versions of a file (newest first) with ``status``; without one, every version
    but deleted ones (listed only when asked for by status)."""
    file = get_file(store, kind, file_id)
    return [file_response(store, kind, file, v) for v in store.list_versions(file_id)
            if v["status"] == status or (status is None and versions.live(v))]


def environments(store: Store, kind: FileKind, file_id: str) -> list[dict[str, Any]]:
    """Every environment, with the version of this file deployed to it, if any."""
    file = get_file(store, kind, file_id)
    deployed = store.deployments(file_id)
    result = []
    for env in store.list_environments():
        item = env_wire(env)
        version = store.get_version(deployed[env["id"]]) if env["id"] in deployed else None
        if version is not None:
            item["file"] = file_response(store, kind, file, version)
        result.append(item)
    return result


def env_wire(env: Row) -> dict[str, Any]:
    return {"id": env["id"], "created_at": env["created_at"], "name": env["name"], "tag": env["tag"]}


def file_response(store: Store, kind: FileKind, file: Row, version: Row) -> dict[str, Any]:
    """The wire dict of ``kind.response`` for one version of a file."""
    deployed = store.deployments(file["id"])
    envs = [env_wire(e) for e in store.list_environments() if deployed.get(e["id"]) == version["id"]]
    directory = store.get_directory(parent_of(file["path"])) if "/" in file["path"] else None
    kernel = dict(version["kernel"])
    body: dict[str, Any] = {
        **{k: v for k, v in kernel.items() if not k.startswith("_")},
        **(file.get("meta") or {}),
        "path": file["path"], "id": file["id"], "name": file["path"].rsplit("/", 1)[-1],
        "version_id": version["id"], "type": kind.type, "environments": envs,
        "created_at": file["created_at"], "updated_at": file["updated_at"],
        "last_used_at": file["last_used_at"], "status": version["status"],
        "commit_message": version.get("commit_message"),
        "version_name": version.get("version_name"),
        "version_description": version.get("version_description") or version.get("commit_message"),
        "directory_id": directory["id"] if directory else None,
    }
    if kind.counts_logs:
        counts = store.count_logs(file["id"])
        body["version_logs_count"] = counts.get(version["id"], 0)
        body["total_logs_count"] = sum(counts.values())
    if kind.type in ("prompt", "agent"):
        body["inputs"] = [{"name": n} for n in template_variables(kernel.get("template"), kernel.get("template_language"))]
    if kind.type == "prompt":
        body["linked_tools"] = linked_tools(store, kernel)
    elif kind.type == "agent":
        body["tools"] = kernel.get("tools") or []
    elif kind.type in ("tool", "evaluator"):
        body["inputs"] = _tool_inputs(kernel) if kind.type == "tool" else []
    elif kind.type == "dataset":
        body["datapoints_count"] = kernel.get("_count", 0)
    if kind.type == "flow":
        body.pop("total_logs_count", None)
    return kind.response.model_validate(body).to_wire()


def linked_tools(store: Store, kernel: dict[str, Any]) -> list[dict[str, Any]]:
    """A prompt's ``linked_tools`` (tool file ids) as the tools' current functions; ids of
    deleted tools, or tools without a function, drop out."""
    resolved = []
    for tool_id in kernel.get("linked_tools") or []:
        file = store.get_file(tool_id)
        if file is None or file["type"] != "tool":
            continue
        version = resolve_version(store, file)
        function = version["kernel"].get("function")
        if function:
            resolved.append({**function, "id": file["id"], "version_id": version["id"]})
    return resolved


def _tool_inputs(kernel: dict[str, Any]) -> list[dict[str, str]]:
    properties = ((kernel.get("function") or {}).get("parameters") or {}).get("properties") or {}
    return [{"name": name} for name in properties] if isinstance(properties, dict) else []


def retrieve_by_path(store: Store, path: str, version_id: str | None,
                     environment_name: str | None) -> dict[str, Any]:
    """``POST /files/retrieve-by-path``: the file at ``path``, whatever its kind, at a version."""
    file = store.get_file_by_path(clean_path(path))
    if file is None:
        raise not_found("File", path)
    return file_response(store, KINDS[file["type"]], file,
                         resolve_version(store, file, version_id, environment_name))


def describe(store: Store, file: Row) -> dict[str, Any] | None:
    """The response of a file at its current version, for listings; None while a file
    being created by a concurrent request has no version yet."""
    try:
        version = resolve_version(store, file)
    except ApiProblem:
        return None
    return file_response(store, KINDS[file["type"]], file, version)


def describe_all(store: Store, rows: list[Row]) -> list[dict[str, Any]]:
    return [d for d in (describe(store, r) for r in rows) if d is not None]


def list_page(store: Store, types: list[str], name: str | None, page: int, size: int,
              sort_by: str | None, desc: bool, environment_name: str | None = None,
              ) -> tuple[list[dict[str, Any]], int]:
    """One page of files of ``types`` (and deployed to ``environment_name`` if given)."""
    if environment_name is None:
        rows, total = store.list_files(types, name, page, size, sort_by, desc)
        return describe_all(store, rows), total
    env = next((e for e in store.list_environments() if e["name"] == environment_name), None)
    every, _ = store.list_files(types, name, 1, _ALL, sort_by, desc)
    kept = [r for r in every if env is not None and env["id"] in store.deployments(r["id"])]
    return describe_all(store, kept[(page - 1) * size: page * size]), len(kept)
