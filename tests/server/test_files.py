"""Tools, datasets, evaluators, flows, directories, files and evaluations over raw HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.server.conftest import MOCK

TOOL = {"function": {"name": "get_weather", "description": "Weather for a city",
                     "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                    "required": ["city"]}}}
EVALUATOR = {"spec": {"arguments_type": "target_free", "return_type": "boolean", "evaluator_type": "external"}}
KINDS = {
    "prompts": {**MOCK},
    "tools": TOOL,
    "datasets": {"datapoints": [{"inputs": {"q": "1"}}]},
    "evaluators": EVALUATOR,
    "flows": {"attributes": {"team": "a"}},
}


@pytest.mark.parametrize("route", list(KINDS))
def test_every_kind_upsert_get_list_move_versions_deploy_delete(
    http: httpx.Client, unique_path: str, route: str
) -> None:
    created = http.post(f"/{route}", json={"path": unique_path, **KINDS[route]})
    assert created.status_code == 200, created.text
    file = created.json()
    assert file["path"] == unique_path and file["type"] == route[:-1]
    same = http.post(f"/{route}", json={"path": unique_path, **KINDS[route]}).json()
    assert same["version_id"] == file["version_id"]

    assert http.get(f"/{route}/{file['id']}").json()["version_id"] == file["version_id"]
    listed = http.get(f"/{route}", params={"name": unique_path.rsplit("/", 1)[-1], "size": 5}).json()
    assert [r["id"] for r in listed["records"]] == [file["id"]] and listed["total"] == 1

    moved = http.patch(f"/{route}/{file['id']}", json={"name": "renamed"})
    assert moved.status_code == 200 and moved.json()["path"] == unique_path.rsplit("/", 1)[0] + "/renamed"
    assert len(http.get(f"/{route}/{file['id']}/versions").json()["records"]) == 1
    deployed = http.post(f"/{route}/{file['id']}/environments/staging", params={"version_id": file["version_id"]})
    assert deployed.status_code == 200
    assert http.get(f"/{route}/{file['id']}", params={"environment": "staging"}).status_code == 200
    committed = http.post(f"/{route}/{file['id']}/versions/{file['version_id']}/commit",
                          json={"commit_message": "first"})
    assert committed.status_code == 200 and committed.json()["commit_message"] == "first"

    assert http.delete(f"/{route}/{file['id']}").status_code == 204
    assert http.get(f"/{route}/{file['id']}").status_code == 404
    assert http.delete(f"/{route}/{file['id']}").status_code == 404


def test_path_of_another_kind_conflicts(http: httpx.Client, unique_path: str) -> None:
    http.post("/flows", json={"path": unique_path, "attributes": {}})
    clash = http.post("/prompts", json={"path": unique_path, **MOCK})
    assert clash.status_code == 409 and "flow" in clash.json()["detail"]


def test_dataset_actions_and_datapoints(http: httpx.Client, unique_path: str) -> None:
    points = [{"inputs": {"q": str(i)}, "target": {"a": i}} for i in range(5)]
    v1 = http.post("/datasets", json={"path": unique_path, "datapoints": points}).json()
    assert v1["datapoints_count"] == 5
    page = http.get(f"/datasets/{v1['id']}/datapoints", params={"page": 2, "size": 2}).json()
    assert page["total"] == 5 and [p["inputs"]["q"] for p in page["records"]] == ["2", "3"]
    v2 = http.post("/datasets", json={"path": unique_path, "action": "add",
                                      "datapoints": [{"inputs": {"q": "new"}}]}).json()
    assert v2["datapoints_count"] == 6 and v2["version_id"] != v1["version_id"]
    v3 = http.post("/datasets", json={"path": unique_path, "action": "remove", "datapoints": points[:2]}).json()
    assert v3["datapoints_count"] == 4
    full = http.get(f"/datasets/{v1['id']}", params={"include_datapoints": True,
                                                   "version_id": v1["version_id"]}).json()
    assert [p["inputs"]["q"] for p in full["datapoints"]] == ["0", "1", "2", "3", "4"]
    # A datapoint keeps its id across versions.
    old_ids = {p["id"] for p in full["datapoints"]}
    new_ids = {p["id"] for p in http.get(f"/datasets/{v1['id']}/datapoints", params={"size": 10}).json()["records"]}
    assert old_ids & new_ids == old_ids - {p["id"] for p in full["datapoints"][:2]}


def test_tool_flow_and_evaluator_logs_form_a_trace(http: httpx.Client, unique_path: str) -> None:
    flow = http.post("/flows/log", json={"path": unique_path + "/flow", "flow": {"attributes": {}},
                                         "inputs": {"q": "hi"}})
    assert flow.status_code == 200, flow.text
    flow_log = flow.json()["id"]
    tool = http.post("/tools/log", json={"path": unique_path + "/tool", "tool": TOOL, "output": "sunny",
                                         "trace_parent_id": flow_log}).json()
    call = http.post("/prompts/call", json={"path": unique_path + "/prompt", "prompt": MOCK,
                                            "trace_parent_id": flow_log}).json()
    assert call["trace_id"] == flow_log
    evaluator = http.post("/evaluators/log", json={"path": unique_path + "/judge", "spec": EVALUATOR["spec"],
                                                   "parent_id": tool["id"], "judgment": True})
    assert evaluator.status_code == 200, evaluator.text

    done = http.patch(f"/flows/logs/{flow_log}", json={"trace_status": "complete", "output": "done"})
    assert done.status_code == 200 and done.json()["trace_status"] == "complete"
    trace = http.get(f"/logs/{flow_log}").json()
    assert {c["id"] for c in trace["trace_children"]} == {tool["id"], call["id"]}
    tool_child = next(c for c in trace["trace_children"] if c["id"] == tool["id"])
    assert tool_child["evaluator_logs"][0]["judgment"] is True
    assert tool_child["trace_id"] == flow_log
    bad_parent = http.post("/tools/log", json={"path": unique_path + "/tool", "trace_parent_id": "log_missing"})
    assert bad_parent.status_code == 404


def test_logs_filters_pagination_and_delete(http: httpx.Client, unique_path: str) -> None:
    ids = []
    for i in range(6):
        body = {"path": unique_path, "prompt": MOCK, "inputs": {"n": str(i)}, "metadata": {"tag": f"t{i % 2}"},
                "messages": [{"role": "user", "content": f"message number {i}"}]}
        ids.append(http.post("/prompts/call", json=body).json()["id"])
    file_id = http.get(f"/logs/{ids[0]}").json()["prompt"]["id"]
    page = http.get("/logs", params={"file_id": file_id, "page": 1, "size": 4}).json()
    assert page["total"] == 6 and len(page["records"]) == 4 and page["records"][0]["id"] == ids[-1]
    assert http.get("/logs", params={"file_id": file_id, "search": "number 3"}).json()["total"] == 1
    assert http.get("/logs", params={"file_id": file_id, "metadata_search": "t1"}).json()["total"] == 3
    assert http.get("/logs", params={"file_id": file_id, "in_trace_filter": "true"}).json()["total"] == 0
    assert http.delete("/logs", params={"id": ids[:2]}).status_code == 204
    assert http.get("/logs", params={"file_id": file_id}).json()["total"] == 4
    assert http.get(f"/logs/{ids[0]}").status_code == 404


def test_directories_and_files_listing(http: httpx.Client, unique_path: str) -> None:
    http.post("/prompts", json={"path": f"{unique_path}/a/p1", **MOCK})
    http.post("/tools", json={"path": f"{unique_path}/a/t1", **TOOL})
    directories = {d["path"]: d for d in http.get("/directories").json()}
    a = directories[f"{unique_path}/a"]
    detail = http.get(f"/directories/{a['id']}").json()
    assert sorted(f["name"] for f in detail["files"]) == ["p1", "t1"]
    assert [p["path"] for p in detail["parents"]][-1] == unique_path
    created = http.post("/directories", json={"path": f"{unique_path}/empty"})
    assert created.status_code == 201
    assert http.post("/directories", json={"path": f"{unique_path}/empty"}).status_code == 409
    assert http.delete(f"/directories/{a['id']}").status_code == 409  # not empty
    moved = http.patch(f"/directories/{a['id']}", json={"name": "b"})
    assert moved.status_code == 200 and moved.json()["path"] == f"{unique_path}/b"
    listed = http.get("/files", params={"name": "t1", "type": ["tool"]}).json()
    assert any(r["path"] == f"{unique_path}/b/t1" for r in listed["records"])
    flow = http.post("/flows", json={"path": f"{unique_path}/f", "attributes": {}}).json()
    into = http.patch(f"/flows/{flow['id']}", json={"directory_id": created.json()["id"]})
    assert into.json()["path"] == f"{unique_path}/empty/f"
    assert into.json()["directory_id"] == created.json()["id"]
    assert http.delete(f"/directories/{created.json()['id']}").status_code == 409
    http.delete(f"/flows/{flow['id']}")
    assert http.delete(f"/directories/{created.json()['id']}").status_code == 204
    assert httpx.get(str(http.base_url) + "openapi.json").status_code == 200  # no key needed


def test_evaluation_lifecycle(http: httpx.Client, unique_path: str) -> None:
    dataset = http.post("/datasets", json={"path": unique_path + "/data",
                                           "datapoints": [{"inputs": {"q": "x"}}, {"inputs": {"q": "y"}}]}).json()
    prompt = http.post("/prompts", json={"path": unique_path + "/p", **MOCK}).json()
    judge = http.post("/evaluators", json={"path": unique_path + "/judge", **EVALUATOR}).json()
    created = http.post("/evaluations", json={
        "name": "e1", "dataset": {"file_id": dataset["id"]},
        "evaluatees": [{"version_id": prompt["version_id"]}], "evaluators": [{"path": judge["path"]}]})
    assert created.status_code == 201, created.text
    evaluation = created.json()
    assert evaluation["status"] == "pending" and evaluation["file_id"] == prompt["id"]
    points = http.get(f"/datasets/{dataset['id']}/datapoints").json()["records"]
    for point, verdict in zip(points, [True, False], strict=True):
        log = http.post("/prompts/log", json={"id": prompt["id"], "output": "o", "evaluation_id": evaluation["id"],
                                              "source_datapoint_id": point["id"], "inputs": point["inputs"]}).json()
        http.post("/evaluators/log", json={"id": judge["id"], "parent_id": log["id"], "judgment": verdict})
    stats = http.get(f"/evaluations/{evaluation['id']}/stats").json()
    assert stats["overall_stats"] == {"num_datapoints": 2, "total_logs": 2, "total_evaluator_logs": 2}
    judged = stats["version_stats"][0]["evaluator_version_stats"][0]
    assert (judged["num_true"], judged["num_false"]) == (1, 1)
    report = http.get(f"/evaluations/{evaluation['id']}/logs").json()
    assert report["total"] == 2 and {r["datapoint"]["id"] for r in report["records"]} == {p["id"] for p in points}
    assert http.get("/evaluations", params={"file_id": prompt["id"]}).json()["total"] == 1
    status = http.patch(f"/evaluations/{evaluation['id']}/status", json={"status": "completed"})
    assert status.json()["status"] == "completed"
    assert http.delete(f"/evaluations/{evaluation['id']}").status_code == 204
    assert http.get(f"/evaluations/{evaluation['id']}").status_code == 404


def test_remaining_operations_answer_in_spec_shape(http: httpx.Client, unique_path: str) -> None:
    prompt = http.post("/prompts", json={"path": unique_path + "/p", **MOCK}).json()
    judge = http.post("/evaluators", json={"path": unique_path + "/judge", **EVALUATOR}).json()
    monitored = http.post(f"/prompts/{prompt['id']}/evaluators",
                          json={"activate": [{"evaluator_version_id": judge["version_id"]}]})
    assert monitored.status_code == 200 and monitored.json()["id"] == prompt["id"]

    tool_log = http.post("/tools/log", json={"path": unique_path + "/t", "tool": TOOL, "output": "a"}).json()
    updated = http.patch(f"/tools/{tool_log['tool_id']}/log/{tool_log['id']}", json={"output": "b"})
    assert updated.status_code == 200 and updated.json()["output"] == "b"
    assert http.patch(f"/prompts/{prompt['id']}/log/{tool_log['id']}", json={}).status_code == 404

    judged = http.post("/evaluators/log", json={"id": judge["id"], "parent_id": tool_log["id"], "judgment": False}).json()
    with_parent = http.get("/logs", params={"file_id": judge["id"], "include_parent": True}).json()
    assert with_parent["records"][0]["parent"]["id"] == tool_log["id"]
    assert with_parent["records"][0]["id"] == judged["id"]

    dataset = http.post("/datasets", json={"path": unique_path + "/d", "datapoints": [{"inputs": {"a": "1"}}]}).json()
    other = http.post("/prompts", json={"path": unique_path + "/p", **MOCK, "temperature": 0.5}).json()
    evaluation = http.post("/evaluations", json={
        "dataset": {"path": dataset["path"]}, "evaluators": [{"file_id": judge["id"]}],
        "evaluatees": [{"version_id": prompt["version_id"]}]}).json()
    changed = http.patch(f"/evaluations/{evaluation['id']}", json={
        "name": "renamed", "evaluatees": [{"version_id": prompt["version_id"]}, {"version_id": other["version_id"]}]})
    assert changed.status_code == 200 and changed.json()["name"] == "renamed"
    assert len(changed.json()["evaluatees"]) == 2
    pinned = http.post(f"/evaluations/{evaluation['id']}/pin-evaluatee", json={"version_id": other["version_id"]})
    assert [e["pinned"] for e in pinned.json()["evaluatees"]] == [False, True]
    bad = http.post("/evaluations", json={"dataset": {"path": prompt["path"]}, "evaluators": []})
    assert bad.status_code == 422 and "expected: dataset" in bad.json()["detail"][0]["msg"]


def test_linked_tools_are_resolved_and_offered_to_the_model(http: httpx.Client, unique_path: str) -> None:
    tool = http.post("/tools", json={"path": unique_path + "/weather", **TOOL}).json()
    prompt = http.post("/prompts", json={"path": unique_path + "/p", **MOCK, "linked_tools": [tool["id"]]}).json()
    (linked,) = prompt["linked_tools"]
    assert (linked["id"], linked["version_id"], linked["name"]) == (tool["id"], tool["version_id"], "get_weather")
    called = http.post("/prompts/call", json={"id": prompt["id"],
                                              "messages": [{"role": "user", "content": "get_weather for 'Oslo'"}]})
    call = called.json()["logs"][0]["output_message"]["tool_calls"][0]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Oslo"}'}
