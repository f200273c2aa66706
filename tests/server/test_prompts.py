"""Prompts over raw HTTP: upsert/versions/deploy, call (plain and streamed), log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from humanloop_core.server import LocalServer
from tests.server.conftest import MOCK, sse_items
from tests.server.wire import validate_schema

CHAT = [{"role": "system", "content": "You are {{persona}}."}]


def upsert(http: httpx.Client, path: str, **kernel: object) -> dict:
    response = http.post("/prompts", json={"path": path, **MOCK, **kernel})
    assert response.status_code == 200, response.text
    return response.json()


def test_upsert_same_kernel_same_version_changed_kernel_new_version(http: httpx.Client, unique_path: str) -> None:
    first = upsert(http, unique_path, template=CHAT)
    again = upsert(http, unique_path, template=CHAT, provider="mock", max_tokens=-1)  # defaults spelled out
    changed = upsert(http, unique_path, template=CHAT, temperature=0.2)
    assert first["id"] == again["id"] == changed["id"]
    assert first["version_id"] == again["version_id"]
    assert changed["version_id"] != first["version_id"]
    assert first["inputs"] == [{"name": "persona"}]
    assert first["name"] == unique_path.rsplit("/", 1)[-1] and first["path"] == unique_path

    versions = http.get(f"/prompts/{first['id']}/versions").json()["records"]
    assert [v["version_id"] for v in versions] == [changed["version_id"], first["version_id"]]
    # Without a deployment the newest version is current.
    assert http.get(f"/prompts/{first['id']}").json()["version_id"] == changed["version_id"]


def test_deploy_and_select_by_environment(http: httpx.Client, unique_path: str) -> None:
    old = upsert(http, unique_path, template="v1")
    new = upsert(http, unique_path, template="v2")
    deployed = http.post(f"/prompts/{old['id']}/environments/production",
                         params={"version_id": old["version_id"]})
    assert deployed.status_code == 200
    assert [e["name"] for e in deployed.json()["environments"]] == ["production"]
    # The default environment's deployment now wins over the newest version.
    assert http.get(f"/prompts/{old['id']}").json()["version_id"] == old["version_id"]
    by_id = http.get(f"/prompts/{old['id']}", params={"version_id": new["version_id"]}).json()
    assert by_id["template"] == "v2"
    envs = http.get(f"/prompts/{old['id']}/environments").json()
    production = next(e for e in envs if e["name"] == "production")
    assert production["file"]["version_id"] == old["version_id"]
    assert http.get(f"/prompts/{old['id']}", params={"environment": "staging"}).status_code == 404
    assert http.delete(f"/prompts/{old['id']}/environments/production").status_code == 204
    assert http.get(f"/prompts/{old['id']}").json()["version_id"] == new["version_id"]


def test_call_renders_template_and_logs(http: httpx.Client, unique_path: str) -> None:
    prompt = upsert(http, unique_path, template=CHAT)
    response = http.post("/prompts/call", json={
        "path": unique_path, "inputs": {"persona": "terse"}, "metadata": {"run": "r1"},
        "messages": [{"role": "user", "content": "What is 2 plus 2?"}],
    })
    assert response.status_code == 200, response.text
    body = response.json()
    log = body["logs"][0]
    assert log["output"] == "You said: What is 2 plus 2?"
    assert log["output_message"] == {"role": "assistant", "content": log["output"]}
    assert log["finish_reason"] == "stop" and log["output_tokens"] == 7
    assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    assert body["prompt"]["version_id"] == prompt["version_id"]

    stored = http.get(f"/logs/{body['id']}").json()
    assert stored["output"] == log["output"]
    assert stored["inputs"] == {"persona": "terse"} and stored["metadata"] == {"run": "r1"}
    assert stored["prompt"]["id"] == prompt["id"]
    listed = http.get("/logs", params={"file_id": prompt["id"]}).json()
    assert listed["total"] == 1 and listed["records"][0]["id"] == body["id"]


def test_call_with_kernel_creates_prompt(http: httpx.Client, unique_path: str) -> None:
    body = {"path": unique_path, "prompt": {**MOCK, "template": "Say {{word}}"}, "inputs": {"word": "hi"}}
    first = http.post("/prompts/call", json=body).json()
    second = http.post("/prompts/call", json=body).json()
    assert first["prompt"]["version_id"] == second["prompt"]["version_id"]
    assert first["logs"][0]["output"] == "You said: Say hi"
    assert second["prompt"]["version_logs_count"] == 2


def test_missing_input_is_422_naming_it(http: httpx.Client, unique_path: str) -> None:
    upsert(http, unique_path, template=CHAT)
    response = http.post("/prompts/call", json={"path": unique_path, "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 422
    assert "persona" in response.json()["detail"][0]["msg"]


def test_stream_events_and_log_written_before_last_event(http: httpx.Client, unique_path: str) -> None:
    upsert(http, unique_path)
    with http.stream("POST", "/prompts/call", json={
        "path": unique_path, "stream": True, "messages": [{"role": "user", "content": "one two three"}],
    }) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        items = sse_items(response)
    assert len(items) == 5
    for item in items:
        validate_schema("PromptCallStreamResponse", item)
    assert "".join(i["output"] for i in items) == "You said: one two three"
    assert items[-1]["finish_reason"] == "stop" and items[-1]["output_tokens"] == 5
    assert all(i.get("finish_reason") is None for i in items[:-1])
    assert http.get(f"/logs/{items[0]['id']}").json()["output"] == "You said: one two three"


def test_provider_failure_is_logged_and_reported(http: httpx.Client, unique_path: str) -> None:
    prompt = upsert(http, unique_path, other={"mock_error": "model overloaded"})
    response = http.post("/prompts/call", json={"path": unique_path})
    assert response.status_code == 400
    assert "model overloaded" in response.json()["detail"]
    logs = http.get("/logs", params={"file_id": prompt["id"]}).json()["records"]
    assert logs[0]["error"] == "model overloaded"

    with http.stream("POST", "/prompts/call", json={"path": unique_path, "stream": True}) as streamed:
        items = sse_items(streamed)
    assert items[-1]["error"] == "model overloaded"
    assert http.get("/logs", params={"file_id": prompt["id"]}).json()["total"] == 2


def test_stream_failure_midway_keeps_partial_output(http: httpx.Client, unique_path: str) -> None:
    upsert(http, unique_path, other={"mock_error": "cut", "mock_error_after": 2})
    with http.stream("POST", "/prompts/call", json={
        "path": unique_path, "stream": True, "messages": [{"role": "user", "content": "a b c d"}],
    }) as response:
        items = sse_items(response)
    assert [i.get("output") for i in items[:2]] == ["You ", "said: "]
    assert items[-1]["error"] == "cut"
    log = http.get(f"/logs/{items[0]['id']}").json()
    assert log["output"] == "You said: " and log["error"] == "cut"


@pytest.mark.parametrize(("provider", "variable"), [("anthropic", "ANTHROPIC_API_KEY"), ("cohere", "CO_API_KEY")])
def test_provider_without_a_key_is_a_400_naming_the_variable_and_logged(
    http: httpx.Client, unique_path: str, provider: str, variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(variable, raising=False)
    prompt = upsert(http, unique_path, provider=provider)
    response = http.post("/prompts/call", json={"path": unique_path})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert variable in detail and f"provider_api_keys.{provider}" in detail
    assert http.get("/logs", params={"file_id": prompt["id"]}).json()["total"] == 1


def test_prompt_log_and_update(http: httpx.Client, unique_path: str) -> None:
    created = http.post("/prompts/log", json={
        "path": unique_path, "prompt": MOCK, "output": "hand written", "prompt_tokens": 3,
        "messages": [{"role": "user", "content": "hi"}], "trace_parent_id": None,
    })
    assert created.status_code == 200, created.text
    ids = created.json()
    patched = http.patch(f"/prompts/{ids['prompt_id']}/log/{ids['id']}", json={"output": "edited"})
    assert patched.status_code == 200 and patched.json()["output"] == "edited"
    assert http.get(f"/logs/{ids['id']}").json()["prompt_tokens"] == 3


def test_auth_and_not_found(http: httpx.Client, base_url: str) -> None:
    assert httpx.get(base_url + "/prompts").status_code == 401
    wrong = httpx.get(base_url + "/prompts", headers={"X-API-KEY": "nope"})
    assert wrong.status_code == 401 and "X-API-KEY" in wrong.json()["detail"]
    missing = http.get("/prompts/pr_doesnotexist")
    assert missing.status_code == 404 and "pr_doesnotexist" in missing.json()["detail"]
    assert http.post("/prompts/call", json={"path": "no/such/prompt"}).status_code == 404
    assert http.get("/nothing-here").status_code == 404


def test_invalid_bodies_are_422(http: httpx.Client) -> None:
    bad_role = http.post("/prompts/call", json={"prompt": MOCK, "path": "x/y",
                                                "messages": [{"role": "robot", "content": "x"}]})
    assert bad_role.status_code == 422
    bad_provider = http.post("/prompts", json={"path": "x/y", "model": "m", "provider": "acme"})
    assert bad_provider.status_code == 422 and "provider" in bad_provider.json()["detail"][0]["loc"]
    no_model = http.post("/prompts", json={"path": "x/y"})
    assert no_model.status_code == 422 and no_model.json()["detail"][0]["loc"] == ["body", "model"]
    not_json = http.post("/prompts", content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 422


def test_retried_post_with_same_idempotency_key_is_not_applied_twice(http: httpx.Client, unique_path: str) -> None:
    body = {"path": unique_path, "prompt": MOCK, "messages": [{"role": "user", "content": "once"}]}
    first = http.post("/prompts/call", json=body, headers={"Idempotency-Key": unique_path})
    again = http.post("/prompts/call", json=body, headers={"Idempotency-Key": unique_path})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    file_id = first.json()["prompt"]["id"]
    assert http.get("/logs", params={"file_id": file_id}).json()["total"] == 1
    other = http.post("/prompts/call", json={**body, "inputs": {"x": "1"}}, headers={"Idempotency-Key": unique_path})
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    fresh = http.post("/prompts/call", json=body, headers={"Idempotency-Key": unique_path + "-2"})
    assert fresh.json()["id"] != first.json()["id"]


def test_call_selects_version_by_id_or_environment(http: httpx.Client, unique_path: str) -> None:
    old = upsert(http, unique_path, template="old {{x}}")
    new = upsert(http, unique_path, template="new {{x}}")
    http.post(f"/prompts/{old['id']}/environments/staging", params={"version_id": old["version_id"]})

    def output(**selection: object) -> str:
        body = {"path": unique_path, "inputs": {"x": "1"}, **selection.pop("body", {})}  # type: ignore[dict-item]
        response = http.post("/prompts/call", json=body, params=selection)
        assert response.status_code == 200, response.text
        return response.json()["logs"][0]["output"]

    assert output() == "You said: new 1"
    assert output(body={"environment": "staging"}) == "You said: old 1"
    assert output(environment="staging") == "You said: old 1"
    assert output(version_id=old["version_id"]) == "You said: old 1"
    assert http.post("/prompts/call", json={"path": unique_path, "inputs": {"x": "1"}},
                     params={"environment": "development"}).status_code == 404
    assert new["version_id"] != old["version_id"]


def test_spec_check_rejects_a_response_the_spec_forbids() -> None:
    # The `http` fixture's hook is only worth something if it can fail: feed it a bad body.
    from tests.server.conftest import _check

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"path": "p", "name": "p"})  # no id, model, version_id...

    with httpx.Client(base_url="http://server/v5", transport=httpx.MockTransport(handler),
                      event_hooks={"response": [_check]}) as client, pytest.raises(Exception, match="id"):
        client.get("/prompts/pr_1")


def test_client_leaving_a_stream_early_still_logs_what_was_produced(tmp_path: Path) -> None:
    with LocalServer(db=tmp_path / "db.sqlite", mock_chunk_delay=0.05) as srv, httpx.Client(
        base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        body = {"path": "early/leave", "prompt": MOCK, "stream": True,
                "messages": [{"role": "user", "content": "a b c d e f g h i j"}]}
        with http.stream("POST", "/prompts/call", json=body) as response:
            first = json.loads(next(response.iter_lines())[5:])
        for _ in range(100):
            log = http.get(f"/logs/{first['id']}")
            if log.status_code == 200:
                break
            time.sleep(0.02)
        assert log.status_code == 200
        assert log.json()["error"] == "stream interrupted before the end"
        assert log.json()["output"].startswith("You ")
