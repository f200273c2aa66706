"""Datasets: versions whose kernel is a list of datapoints.

Datapoints live in their own table, keyed by version; a datapoint's id is the hash of its
content, so the same datapoint keeps its id across versions.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from humanloop_core import types as t

from . import files, versions
from .store import Row, Store

DATASET = files.KINDS["dataset"]
_ALL = 1_000_000


def _canonical(datapoint: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in datapoint.items() if k != "id"}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def _with_ids(datapoints: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    seen: dict[str, int] = {}
    result = []
    for dp in datapoints:
        base = "dp_" + hashlib.sha256(_canonical(dp).encode()).hexdigest()[:20]
        seen[base] = seen.get(base, 0) + 1
        # A repeated datapoint is kept (datasets may weight cases) under a distinct id.
        result.append((base if seen[base] == 1 else f"{base}_{seen[base]}",
                       {k: v for k, v in dp.items() if k != "id"}))
    return result


def upsert(store: Store, request: t.DatasetRequest, version_id: str | None,
           environment: str | None) -> tuple[Row, Row]:
    """Apply ``action`` (set, add, remove) to the base version and store the result."""
    file = files.create_or_get(store, DATASET, request.path, request.id)
    # The base is read and the new version written in one transaction that holds the file:
    # two concurrent adds on any replicas apply one after the other, and neither is lost.
    with store.transaction(lock_file=file["id"]):
        version = _apply(store, file, request, version_id, environment)
    return store.get_file(file["id"]) or file, version


def _apply(store: Store, file: Row, request: t.DatasetRequest, version_id: str | None,
           environment: str | None) -> Row:
    base: list[dict[str, Any]] = []
    if store.list_versions(file["id"]) and request.action != "set":
        base_version = files.resolve_version(store, file, version_id, environment)
        base = store.list_datapoints(base_version["id"], 1, _ALL)[0]
    incoming = [dp.model_dump(mode="json", exclude_none=True) for dp in request.datapoints]
    if request.action == "add":
        result = [{k: v for k, v in dp.items() if k != "id"} for dp in base] + incoming
    elif request.action == "remove":
        drop = {_canonical(dp) for dp in incoming}
        result = [dp for dp in base if _canonical(dp) not in drop]
    else:
        result = incoming
    with_ids = _with_ids(result)
    kernel: dict[str, Any] = {
        "_datapoints": hashlib.sha256("\n".join(_canonical(d) for _, d in with_ids).encode()).hexdigest(),
        "_count": len(with_ids),
    }
    if request.attributes is not None:
        kernel["attributes"] = request.attributes
    version = versions.save(store, file, DATASET.prefix + "v", files.kernel_hash(kernel), kernel,
                            explicit=True, **files.version_labels(request))
    if with_ids and store.list_datapoints(version["id"], 1, 0)[1] == 0:
        store.put_datapoints(version["id"], with_ids)
    return version


def datapoints_page(store: Store, version: Row, page: int, size: int) -> tuple[list[dict[str, Any]], int]:
    records, total = store.list_datapoints(version["id"], page, size)
    return [t.DatapointResponse.model_validate(r).to_wire() for r in records], total


def all_datapoints(store: Store, version_id: str) -> list[dict[str, Any]]:
    return datapoints_page(store, {"id": version_id}, 1, _ALL)[0]
