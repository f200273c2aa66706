"""Directory paths match exactly: case counts, and ``_``/``%`` are plain characters.

Moves, listings and deletes once matched paths with SQL ``LIKE`` (case-insensitive,
wildcards), so moving ``Team`` dragged ``team/billing`` along and moving ``a_b`` took
``axb/two``; two paths differing only in case made a move collide into a 500.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from humanloop_core.server import SqliteStore
from humanloop_core.server.store import Conflict
from tests.server.conftest import MOCK


def _make(http: httpx.Client, *paths: str) -> None:
    for path in paths:
        assert http.post("/prompts", json={"path": path, **MOCK}).status_code == 200


def _dirs(http: httpx.Client) -> dict[str, str]:
    return {d["path"]: d["id"] for d in http.get("/directories").json()}


def _file_paths(http: httpx.Client, root: str) -> set[str]:
    records = http.get("/files", params={"size": 1000}).json()["records"]
    return {r["path"] for r in records if r["path"].startswith(root + "/")}


def test_moving_a_directory_moves_only_its_own_tree(http: httpx.Client, unique_path: str) -> None:
    u = unique_path
    _make(http, f"{u}/Team/x", f"{u}/team/x", f"{u}/team/billing", f"{u}/a_b/one", f"{u}/axb/two",
          f"{u}/a%c/three", f"{u}/abc/four")
    dirs = _dirs(http)
    # Team/x and team/x would both become Moved/x under LIKE: a collision, once a 500.
    moved = http.patch(f"/directories/{dirs[f'{u}/Team']}", json={"path": f"{u}/Moved"})
    assert moved.status_code == 200, moved.text
    assert http.patch(f"/directories/{dirs[f'{u}/a_b']}", json={"name": "ab2"}).status_code == 200
    assert http.patch(f"/directories/{dirs[f'{u}/a%c']}", json={"name": "pct"}).status_code == 200
    assert _file_paths(http, u) == {f"{u}/Moved/x", f"{u}/team/x", f"{u}/team/billing", f"{u}/ab2/one",
                                    f"{u}/axb/two", f"{u}/pct/three", f"{u}/abc/four"}
    assert {p for p in _dirs(http) if p.startswith(u + "/")} == {
        f"{u}/Moved", f"{u}/team", f"{u}/ab2", f"{u}/axb", f"{u}/pct", f"{u}/abc"}


def test_directory_detail_and_delete_see_only_their_own_tree(http: httpx.Client, unique_path: str) -> None:
    u = unique_path
    _make(http, f"{u}/team/billing", f"{u}/axb/two")
    for path in (f"{u}/Team", f"{u}/a_b"):
        assert http.post("/directories", json={"path": path}).status_code == 201
    dirs = _dirs(http)
    detail = http.get(f"/directories/{dirs[f'{u}/Team']}").json()
    assert detail["files"] == [] and detail["subdirectories"] == []
    # Empty, whatever `team/` and `axb/` hold: deletable.
    assert http.delete(f"/directories/{dirs[f'{u}/Team']}").status_code == 204
    assert http.delete(f"/directories/{dirs[f'{u}/a_b']}").status_code == 204
    assert http.delete(f"/directories/{dirs[f'{u}/team']}").json()["detail"] == f"directory '{u}/team' is not empty"
    assert _file_paths(http, u) == {f"{u}/team/billing", f"{u}/axb/two"}


def test_a_path_is_held_by_one_thing(http: httpx.Client, unique_path: str) -> None:
    u = unique_path
    _make(http, f"{u}/c/x", f"{u}/d/y", f"{u}/file")
    dirs = _dirs(http)
    prompt = http.get("/files", params={"size": 1000}).json()["records"]
    file_id = next(r["id"] for r in prompt if r["path"] == f"{u}/d/y")
    cases = [
        (http.patch(f"/directories/{dirs[f'{u}/c']}", json={"path": f"{u}/d"}),
         f"path '{u}/d' is already taken by a directory"),
        (http.patch(f"/directories/{dirs[f'{u}/c']}", json={"path": f"{u}/file"}),
         f"path '{u}/file' is already taken by a file"),
        (http.patch(f"/directories/{dirs[f'{u}/c']}", json={"path": f"{u}/file/c"}),
         f"'{u}/file' is a file: nothing can be created below it"),
        (http.patch(f"/prompts/{file_id}", json={"path": f"{u}/c"}),
         f"path '{u}/c' is already taken by a directory"),
        (http.post("/prompts", json={"path": f"{u}/file/inner", **MOCK}),
         f"'{u}/file' is a file: nothing can be created below it"),
        (http.post("/directories", json={"path": f"{u}/file"}), f"path '{u}/file' is already taken by a file"),
    ]
    for response, detail in cases:
        assert (response.status_code, response.json()["detail"]) == (409, detail)
    assert _file_paths(http, u) == {f"{u}/c/x", f"{u}/d/y", f"{u}/file"}


def test_store_move_collision_is_a_conflict_not_a_crash(tmp_path: Path) -> None:
    # Two writers racing past the service's checks meet the unique paths in the store.
    store = SqliteStore(str(tmp_path / "race.sqlite"))
    try:
        store.ensure_directories("src/sub")
        store.ensure_directories("dst/sub")
        store.create_file("pr", "prompt", "src/sub/p")
        src = store.get_directory("src")
        assert src is not None
        store.delete_directory(store.get_directory("dst")["id"])  # type: ignore[index]
        with pytest.raises(Conflict, match="'src' to 'dst' collides"):
            store.move_directory(src["id"], "dst")
        assert store.get_file_by_path("src/sub/p") is not None  # rolled back whole
        assert store.get_directory("src/sub") is not None
    finally:
        store.close()
