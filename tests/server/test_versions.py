"""Version semantics over raw HTTP: what a request without a version gets, and who can change it.

The rule under test (README "Versions and deployments"): the default environment's
deployment, else the newest explicitly saved (upserted) version, else the first one; a
kernel carried by a call or log files a version but never moves the default.
"""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from humanloop_core.server import files
from humanloop_core.server.store import SqliteStore
from tests.server.conftest import MOCK

TOOL_FN = {"name": "get_weather", "description": "Weather for a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
HELLO = [{"role": "user", "content": "hello"}]


def _default(http: httpx.Client, route: str, file_id: str) -> str:
    got = http.get(f"/{route}/{file_id}")
    assert got.status_code == 200, got.text
    return str(got.json()["version_id"])


# One way per kind for a log or call to carry a kernel the file has not seen.
def _carry_kernel(http: httpx.Client, route: str, path: str, n: int) -> httpx.Response:
    if route == "prompts":
        return http.post("/prompts/call", json={
            "path": path, "messages": HELLO,
            "prompt": {**MOCK, "temperature": 0.5, "tools": [{**TOOL_FN, "name": f"t{n}"}]}})
    if route == "tools":
        return http.post("/tools/log", json={"path": path, "tool": {"function": {**TOOL_FN, "name": f"t{n}"}},
                                             "output": "x"})
    if route == "agents":
        # log_status given: the server echoes None otherwise, which the contract refuses
        # (an agents-route bug outside this test's subject).
        return http.post("/agents/log", json={"path": path, "agent": {**MOCK, "temperature": n / 10},
                                              "output": "x", "log_status": "complete"})
    if route == "flows":
        return http.post("/flows/log", json={"path": path, "flow": {"attributes": {"n": n}},
                                             "output": "x"})
    parent = http.post("/prompts/log", json={"path": path + "-judged", "prompt": MOCK, "output": "x"})
    return http.post("/evaluators/log", json={
        "path": path, "parent_id": parent.json()["id"], "judgment": True,
        "spec": {"arguments_type": "target_free", "return_type": "number",
                 "evaluator_type": "external", "attributes": {"n": n}}})


FIRST = {
    "prompts": MOCK,
    "tools": {"function": TOOL_FN},
    "flows": {"attributes": {"team": "a"}},
    "agents": MOCK,
    "evaluators": {"spec": {"arguments_type": "target_free", "return_type": "boolean",
                            "evaluator_type": "external"}},
}


@pytest.mark.parametrize("route", list(FIRST))
def test_a_kernel_in_a_call_or_log_never_moves_the_default(http: httpx.Client, unique_path: str,
                                                           route: str) -> None:
    file = http.post(f"/{route}", json={"path": unique_path, **FIRST[route]}).json()
    for n in range(5):
        carried = _carry_kernel(http, route, unique_path, n)
        assert carried.status_code == 200, carried.text
    listed = http.get(f"/{route}/{file['id']}/versions").json()["records"]
    assert len(listed) == 6  # every carried kernel is recorded as a version...
    assert _default(http, route, file["id"]) == file["version_id"]  # ...none becomes the default
    # A path-only log lands on the default version too.
    if route == "prompts":
        called = http.post("/prompts/call", json={"path": unique_path, "messages": HELLO}).json()
        assert called["prompt"]["version_id"] == file["version_id"]
        assert called["log_id"] == called["id"]


def test_hundred_kernel_calls_leave_plain_calls_on_one_version(http: httpx.Client,
                                                               unique_path: str) -> None:
    created = http.post("/prompts", json={"path": unique_path, **MOCK,
                                          "template": [{"role": "system", "content": "Be terse."}]})
    before = http.post("/prompts/call", json={"path": unique_path, "messages": HELLO}).json()
    for n in range(100):
        assert _carry_kernel(http, "prompts", unique_path, n % 7).status_code == 200
    after = http.post("/prompts/call", json={"path": unique_path, "messages": HELLO}).json()
    assert before["prompt"]["version_id"] == after["prompt"]["version_id"] == created.json()["version_id"]
    assert not after["prompt"].get("tools")


def test_upsert_moves_an_undeployed_file_and_a_deployment_pins_it(http: httpx.Client,
                                                                  unique_path: str) -> None:
    v1 = http.post("/prompts", json={"path": unique_path, **MOCK}).json()
    v2 = http.post("/prompts", json={"path": unique_path, **MOCK, "temperature": 0.2}).json()
    assert _default(http, "prompts", v1["id"]) == v2["version_id"]  # nothing deployed: newest save
    # Re-saving an older kernel is a rollback: it is the newest save again.
    assert http.post("/prompts", json={"path": unique_path, **MOCK}).json()["version_id"] == v1["version_id"]
    assert _default(http, "prompts", v1["id"]) == v1["version_id"]

    deployed = http.post(f"/prompts/{v1['id']}/environments/production",
                         params={"version_id": v2["version_id"]})
    assert deployed.status_code == 200
    v3 = http.post("/prompts", json={"path": unique_path, **MOCK, "temperature": 0.9}).json()
    assert _default(http, "prompts", v1["id"]) == v2["version_id"]  # an upsert no longer moves it
    http.post(f"/prompts/{v1['id']}/environments/production", params={"version_id": v3["version_id"]})
    assert _default(http, "prompts", v1["id"]) == v3["version_id"]  # only a deployment does
    assert http.delete(f"/prompts/{v1['id']}/environments/production").status_code == 204
    assert _default(http, "prompts", v1["id"]) == v3["version_id"]  # back to the newest save


def test_a_file_created_by_a_call_keeps_its_first_version(http: httpx.Client, unique_path: str) -> None:
    first = http.post("/prompts/call", json={"path": unique_path, "messages": HELLO,
                                             "prompt": MOCK}).json()
    for n in range(3):
        _carry_kernel(http, "prompts", unique_path, n)
    assert _default(http, "prompts", first["prompt"]["id"]) == first["prompt"]["version_id"]


def test_datasets_follow_their_newest_save(http: httpx.Client, unique_path: str) -> None:
    one = http.post("/datasets", json={"path": unique_path, "datapoints": [{"inputs": {"q": "1"}}]}).json()
    two = http.post("/datasets", json={"path": unique_path, "action": "add",
                                       "datapoints": [{"inputs": {"q": "2"}}]}).json()
    assert two["datapoints_count"] == 2 and _default(http, "datasets", one["id"]) == two["version_id"]


def test_patch_names_and_describes_a_version_names_are_unique(http: httpx.Client,
                                                              unique_path: str) -> None:
    v1 = http.post("/prompts", json={"path": unique_path, **MOCK}).json()
    v2 = http.post("/prompts", json={"path": unique_path, **MOCK, "seed": 2}).json()
    url = f"/prompts/{v1['id']}/versions"
    named = http.patch(f"{url}/{v1['version_id']}", json={"name": "baseline", "description": "first"})
    assert named.status_code == 200, named.text
    assert (named.json()["version_name"], named.json()["version_description"]) == ("baseline", "first")
    assert named.json()["version_id"] == v1["version_id"]
    taken = http.patch(f"{url}/{v2['version_id']}", json={"name": "baseline"})
    assert taken.status_code == 409 and "baseline" in taken.json()["detail"]
    assert http.patch(f"{url}/{v1['version_id']}", json={"name": "  "}).status_code == 422
    assert http.patch(f"{url}/{v1['version_id']}", json={"nmae": "x"}).status_code == 422
    assert http.patch(f"{url}/prv_nope", json={"name": "x"}).status_code == 404
    # The description alone changes; the name stays.
    described = http.patch(f"{url}/{v1['version_id']}", json={"description": "the original"}).json()
    assert (described["version_name"], described["version_description"]) == ("baseline", "the original")


def test_commit_message_still_describes_a_version(http: httpx.Client, unique_path: str) -> None:
    made = http.post("/prompts", json={"path": unique_path, **MOCK, "commit_message": "from an old client"})
    assert made.status_code == 200, made.text
    assert made.json()["commit_message"] == "from an old client"
    assert made.json()["version_description"] == "from an old client"


def test_delete_version_rules(http: httpx.Client, unique_path: str) -> None:
    v1 = http.post("/tools", json={"path": unique_path, "function": TOOL_FN}).json()
    url = f"/tools/{v1['id']}/versions/{v1['version_id']}"
    last = http.delete(url)
    assert last.status_code == 409 and "last version" in last.json()["detail"]
    logged = http.post("/tools/log", json={"path": unique_path, "output": "sunny"}).json()
    v2 = http.post("/tools", json={"path": unique_path, "function": {**TOOL_FN, "description": "v2"}}).json()
    http.post(f"/tools/{v1['id']}/environments/staging", params={"version_id": v1["version_id"]})
    busy = http.delete(url)
    assert busy.status_code == 409 and "staging" in busy.json()["detail"]
    assert http.delete(f"/tools/{v1['id']}/environments/staging").status_code == 204
    assert http.delete(url).status_code == 204

    listed = http.get(f"/tools/{v1['id']}/versions").json()["records"]
    assert [v["version_id"] for v in listed] == [v2["version_id"]]
    gone = http.get(f"/tools/{v1['id']}/versions", params={"status": "deleted"}).json()["records"]
    assert [v["version_id"] for v in gone] == [v1["version_id"]]
    assert http.get(f"/tools/{v1['id']}", params={"version_id": v1["version_id"]}).status_code == 404
    assert http.delete(url).status_code == 404
    # Its log stays readable, still pointing at it.
    log = http.get(f"/logs/{logged['id']}")
    assert log.status_code == 200 and log.json()["tool"]["version_id"] == v1["version_id"]
    # Saving the same kernel again brings the version back.
    again = http.post("/tools", json={"path": unique_path, "function": TOOL_FN}).json()
    assert again["version_id"] == v1["version_id"]
    assert len(http.get(f"/tools/{v1['id']}/versions").json()["records"]) == 2


@pytest.mark.parametrize("route", ["prompts", "tools", "datasets", "evaluators", "flows"])
def test_retrieve_by_path_for_every_kind(http: httpx.Client, unique_path: str, route: str) -> None:
    body: dict[str, Any] = ({"datapoints": [{"inputs": {"q": "1"}}]} if route == "datasets"
                            else FIRST[route])
    made = http.post(f"/{route}", json={"path": unique_path, **body}).json()
    found = http.post("/files/retrieve-by-path", json={"path": unique_path})
    assert found.status_code == 200, found.text
    assert (found.json()["id"], found.json()["type"]) == (made["id"], route[:-1])
    # Surrounding slashes do not matter, as for every path the server takes.
    assert http.post("/files/retrieve-by-path", json={"path": f"/{unique_path}/"}).json()["id"] == made["id"]
    http.post(f"/{route}/{made['id']}/environments/staging", params={"version_id": made["version_id"]})
    staged = http.post("/files/retrieve-by-path", params={"environment": "staging"},
                       json={"path": unique_path})
    assert staged.json()["version_id"] == made["version_id"]
    pinned = http.post("/files/retrieve-by-path", params={"version_id": made["version_id"]},
                       json={"path": unique_path})
    assert pinned.json()["version_id"] == made["version_id"]


def test_retrieve_by_path_refusals(http: httpx.Client, unique_path: str) -> None:
    missing = http.post("/files/retrieve-by-path", json={"path": unique_path})
    assert missing.status_code == 404 and unique_path in missing.json()["detail"]
    assert http.post("/files/retrieve-by-path", json={"path": "a//b"}).status_code == 422
    assert http.post("/files/retrieve-by-path", json={}).status_code == 422
    http.post("/prompts", json={"path": unique_path, **MOCK})
    nowhere = http.post("/files/retrieve-by-path", params={"environment": "development"},
                        json={"path": unique_path})
    assert nowhere.status_code == 404 and "development" in nowhere.json()["detail"]


def test_a_database_from_before_versions_had_names_opens_and_resolves_as_before(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    old = sqlite3.connect(db)
    old.executescript("""
        CREATE TABLE files(id TEXT PRIMARY KEY, type TEXT NOT NULL, path TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_used_at TEXT NOT NULL);
        CREATE TABLE versions(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
            file_id TEXT NOT NULL, hash TEXT NOT NULL, kernel TEXT NOT NULL, commit_message TEXT,
            status TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE(file_id, hash));
        INSERT INTO files VALUES ('pr_1', 'prompt', 'old/p', 't', 't', 't');
        INSERT INTO versions(id, file_id, hash, kernel, status, created_at)
            VALUES ('prv_a', 'pr_1', 'ha', '{"model":"m"}', 'committed', 't'),
                   ('prv_b', 'pr_1', 'hb', '{"model":"n"}', 'committed', 't');
    """)
    old.commit()
    old.close()
    for _ in range(2):  # the migration runs once and is idempotent
        store = SqliteStore(str(db))
        file = store.get_file("pr_1") or {}
        assert files.resolve_version(store, file)["id"] == "prv_b"  # yesterday's answer
        store.close()


@pytest.mark.parametrize("route", ["prompts", "tools", "datasets", "evaluators", "flows"])
def test_upsert_names_versions_uniquely_per_file(http: httpx.Client, unique_path: str, route: str) -> None:
    def body(n: int, **labels: str) -> dict[str, Any]:
        if route == "datasets":
            return {"path": unique_path, "datapoints": [{"inputs": {"n": str(n)}}], **labels}
        kernel = copy.deepcopy(FIRST[route])
        key = "spec" if route == "evaluators" else ("function" if route == "tools" else None)
        target = kernel[key] if key else kernel
        target.setdefault("attributes", {})["n"] = n
        return {"path": unique_path, **kernel, **labels}

    one = http.post(f"/{route}", json=body(1, version_name="v1", version_description="first"))
    assert one.status_code == 200, one.text
    assert (one.json()["version_name"], one.json()["version_description"]) == ("v1", "first")
    again = http.post(f"/{route}", json=body(1, version_name="v1"))  # the same save: fine
    assert again.status_code == 200 and again.json()["version_id"] == one.json()["version_id"]
    reused = http.post(f"/{route}", json=body(2, version_name="v1"))
    assert reused.status_code == 409 and "'v1'" in reused.json()["detail"]
    renamed = http.post(f"/{route}", json=body(1, version_name="other"))
    assert renamed.status_code == 409 and "PATCH" in renamed.json()["detail"]
    # Other files may use the same name.
    elsewhere = body(1, version_name="v1")
    elsewhere["path"] = unique_path + "-b"
    assert http.post(f"/{route}", json=elsewhere).status_code == 200
    # A deleted version frees its name.
    two = http.post(f"/{route}", json=body(2, version_name="v2")).json()
    file_id = one.json()["id"]
    assert http.delete(f"/{route}/{file_id}/versions/{one.json()['version_id']}").status_code == 204
    three = http.post(f"/{route}", json=body(3, version_name="v1"))
    assert three.status_code == 200 and three.json()["version_id"] not in (one.json()["version_id"],
                                                                          two["version_id"])
