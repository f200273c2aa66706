"""Directories: the folders of the file tree, their listing, moves and deletion.

A directory is a path; the files and directories below it are those whose path starts
with ``<path>/``, compared exactly (case-sensitive, no wildcards). A path is held by one
thing only: a file, or a directory, never both, and nothing lives below a file.
"""

from __future__ import annotations

from typing import Any

from humanloop_core import types as t

from . import files
from .errors import ApiProblem, invalid, not_found
from .store import Row, Store


def describe(store: Store, row: Row) -> dict[str, Any]:
    """The ``DirectoryResponse`` of a stored directory."""
    parent = store.get_directory(files.parent_of(row["path"])) if "/" in row["path"] else None
    return t.DirectoryResponse.model_validate({
        "tags": [],  # required by the SDK 0.8.38 model; directories carry none yet
        **row, "name": row["path"].rsplit("/", 1)[-1], "parent_id": parent["id"] if parent else None,
    }).to_wire()


def get(store: Store, dir_id: str) -> Row:
    row = store.get_directory(dir_id)
    # get_directory also matches paths; this operation takes ids only.
    if row is None or row["id"] != dir_id:
        raise not_found("Directory", dir_id)
    return row


def below(store: Store, path: str) -> list[Row]:
    """Every directory strictly inside ``path`` (exact prefix, any depth)."""
    prefix = path + "/"
    return [d for d in store.list_directories() if d["path"].startswith(prefix)]


def list_all(store: Store) -> list[dict[str, Any]]:
    return [describe(store, row) for row in store.list_directories()]


def _target_path(store: Store, name: str | None, parent_id: str | None, path: str | None,
                 current: str | None = None) -> str:
    """The directory path a create/update body asks for."""
    if path:
        return files.clean_path(path)
    if parent_id is not None:
        parent = get(store, parent_id)["path"]
    else:
        parent = files.parent_of(current) if current else ""
    leaf = name or (current.rsplit("/", 1)[-1] if current else None)
    if not leaf:
        raise invalid(["body", "name"], "give the directory's `name` or `path`", "missing")
    return files.clean_path(f"{parent}/{leaf}" if parent else leaf)


def create(store: Store, body: t.CreateDirectoryRequest) -> dict[str, Any]:
    path = _target_path(store, body.name, body.parent_id, body.path)
    files.check_free(store, path)
    store.ensure_directories(path)
    return describe(store, store.get_directory(path) or {})


def detail(store: Store, dir_id: str) -> dict[str, Any]:
    """The directory with its parents, direct subdirectories and direct files."""
    row = get(store, dir_id)
    prefix = row["path"] + "/"
    subdirectories = [describe(store, d) for d in below(store, row["path"])
                      if "/" not in d["path"][len(prefix):]]
    parts = row["path"].split("/")
    parents = [store.get_directory("/".join(parts[:i])) for i in range(1, len(parts))]
    body = {**describe(store, row), "subdirectories": subdirectories,
            "files": files.describe_all(store, store.files_under(row["path"])),
            "parents": [describe(store, p) for p in parents if p]}
    return t.DirectoryWithParentsAndChildrenResponse.model_validate(body).to_wire()


def update(store: Store, dir_id: str, body: t.UpdateDirectoryRequest) -> dict[str, Any]:
    """Rename or move a directory with everything below it."""
    row = get(store, dir_id)
    path = _target_path(store, body.name, body.parent_id, body.path, current=row["path"])
    if path == row["path"]:
        return describe(store, row)
    if path.startswith(row["path"] + "/"):
        raise invalid(["body", "path"], "a directory can't move inside itself")
    files.check_free(store, path)
    store.ensure_directories(files.parent_of(path))
    # A race with another writer still meets the unique paths in the store (a 409).
    return describe(store, store.move_directory(dir_id, path))


def delete(store: Store, dir_id: str) -> None:
    """Delete an empty directory; one holding files or directories is a 409."""
    row = get(store, dir_id)
    if store.files_under(row["path"]) or below(store, row["path"]):
        raise ApiProblem(409, f"directory {row['path']!r} is not empty")
    store.delete_directory(dir_id)
