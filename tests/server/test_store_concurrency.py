"""Shared state under concurrency, through the real server: one Idempotency-Key sent by many
requests at once applies once; concurrent dataset edits all land."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.server.conftest import MOCK


def test_concurrent_requests_with_one_idempotency_key_store_one_log(base_url: str, api_key: str,
                                                                     unique_path: str) -> None:
    body = {"path": unique_path, "prompt": MOCK, "output": "once", "inputs": {"n": 1}}
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30) as http:
        def post(_: int) -> httpx.Response:
            return http.post("/prompts/log", json=body, headers={"Idempotency-Key": unique_path})

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(8)))
        assert [a.status_code for a in answers] == [200] * 8
        assert len({a.json()["id"] for a in answers}) == 1
        assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 7
        file_id = answers[0].json()["prompt_id"]
        assert http.get("/logs", params={"file_id": file_id}).json()["total"] == 1


def test_concurrent_dataset_adds_keep_every_datapoint(base_url: str, api_key: str, unique_path: str) -> None:
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": api_key}, timeout=30) as http:
        first = http.post("/datasets", json={"path": unique_path, "datapoints": [{"inputs": {"n": "base"}}]})
        assert first.status_code == 200

        def add(i: int) -> int:
            return http.post("/datasets", json={"path": unique_path, "action": "add",
                                                "datapoints": [{"inputs": {"n": str(i)}}]}).status_code

        with ThreadPoolExecutor(20) as pool:
            assert list(pool.map(add, range(20))) == [200] * 20
        dataset = http.get(f"/datasets/{first.json()['id']}").json()
        points = http.get(f"/datasets/{dataset['id']}/datapoints",
                          params={"version_id": dataset["version_id"], "size": 100}).json()
        assert points["total"] == 21
        assert {p["inputs"]["n"] for p in points["records"]} == {"base", *map(str, range(20))}
