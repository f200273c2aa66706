"""Evaluation runs the server orchestrates, driven by the official SDK (0.8.38) as the client.

The shared setup: a 20-datapoint dataset, a prompt on the mock provider (``Echo {{n}}``), a
code evaluator comparing the output with the datapoint's target (wrong for n = 5, 10, 15,
20: 16 true, 4 false) and an LLM judge whose mock reply ends with n (mean 10.5).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

humanloop = pytest.importorskip("humanloop")
from humanloop import Humanloop  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402

MOCK = {"model": "mock-1", "provider": "mock"}
CODE_JUDGE = {"arguments_type": "target_required", "return_type": "boolean", "evaluator_type": "python",
              "code": "def ends_as_expected(log, testcase):\n"
                      "    return log['output'].endswith(testcase['target']['expected'])\n"}
LLM_JUDGE = {"arguments_type": "target_free", "return_type": "number", "evaluator_type": "llm",
             "prompt": {**MOCK, "template": [{"role": "user",
                                              "content": "Score this reply from 0 to 20: {{log.output}}"}]}}


def datapoints(n: int = 20) -> list[dict[str, Any]]:
    return [{"inputs": {"n": str(i)}, "target": {"expected": f"Echo {i if i % 5 else 0}"}}
            for i in range(1, n + 1)]


def wait_for(check: Callable[[], Any], timeout: float = 30.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {check}")
        time.sleep(every)


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


def setup_files(sdk: Humanloop, root: str, prompt_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    prompt = sdk.prompts.upsert(path=f"{root}/echo", **MOCK, **(prompt_extra or {}),
                                template=[{"role": "user", "content": "Echo {{n}}"}])
    dataset = sdk.datasets.upsert(path=f"{root}/numbers", datapoints=datapoints())
    code = sdk.evaluators.upsert(path=f"{root}/ends-as-expected", spec=CODE_JUDGE)
    llm = sdk.evaluators.upsert(path=f"{root}/llm-score", spec=LLM_JUDGE)
    evaluation = sdk.evaluations.create(name="orchestrated", file={"id": prompt.id},
                                        evaluators=[{"version_id": code.version_id},
                                                    {"version_id": llm.version_id}])
    return {"prompt": prompt, "dataset": dataset, "code": code, "llm": llm, "evaluation": evaluation}


def run_stats(sdk: Humanloop, evaluation_id: str, run_id: str) -> Any:
    stats = sdk.evaluations.get_stats(id=evaluation_id)
    return next(s for s in stats.run_stats if s.run_id == run_id)


def test_an_orchestrated_run_completes_with_every_judgment(sdk: Humanloop, local_server: LocalServer,
                                                            unique_path: str) -> None:
    f = setup_files(sdk, unique_path)
    evaluation = f["evaluation"]
    run = sdk.evaluations.create_run(id=evaluation.id, dataset={"version_id": f["dataset"].version_id},
                                     version={"version_id": f["prompt"].version_id})
    assert run.orchestrated and run.status == "running" and run.version.id == f["prompt"].id

    done = wait_for(lambda: (s := run_stats(sdk, evaluation.id, run.id)).status == "completed" and s)
    assert done.num_logs == 20
    by_version = {s.evaluator_version_id: s for s in done.evaluator_stats}
    code, llm = by_version[f["code"].version_id], by_version[f["llm"].version_id]
    assert (code.total_logs, code.num_true, code.num_false, code.num_errors) == (20, 16, 4, 0)
    assert (llm.total_logs, llm.num_judgments, llm.num_errors) == (20, 20, 0)
    assert llm.mean == pytest.approx(10.5) and llm.sum == pytest.approx(210)

    stats = sdk.evaluations.get_stats(id=evaluation.id)
    assert stats.status == "completed"
    assert "ends-as-expected" in stats.report and "80.0%" in stats.report and "10.50" in stats.report
    assert [r.status for r in sdk.evaluations.list_runs_for_evaluation(id=evaluation.id).runs] == ["completed"]

    # The SDK's own parsing takes ~0.4 s a record here: two records through it, all over raw HTTP.
    page = sdk.evaluations.get_logs(id=evaluation.id, size=2)
    assert page.total == 20 and page.records[0].run_id == run.id and len(page.records[0].evaluator_logs) == 2
    records = httpx.get(f"{local_server.base_url}/evaluations/{evaluation.id}/logs", params={"size": 50},
                        headers={"X-API-KEY": local_server.api_key}).json()["records"]
    assert len(records) == 20
    for record in records:
        assert record["run_id"] == run.id
        judged = {j["evaluator"]["version_id"]: j for j in record["evaluator_logs"]}
        assert set(judged) == {f["code"].version_id, f["llm"].version_id}
        n = int(record["datapoint"]["inputs"]["n"])
        assert judged[f["code"].version_id]["judgment"] is (n % 5 != 0)
        assert judged[f["llm"].version_id]["judgment"] == n
        assert record["log"]["output"] == f"You said: Echo {n}"


def test_a_run_whose_every_call_fails_ends_failed_with_the_reason(sdk: Humanloop, unique_path: str) -> None:
    f = setup_files(sdk, unique_path, {"other": {"mock_error": "the model is down", "mock_error_status": 503}})
    run = sdk.evaluations.create_run(id=f["evaluation"].id, dataset={"version_id": f["dataset"].version_id},
                                     version={"version_id": f["prompt"].version_id})
    runs = wait_for(lambda: [r for r in sdk.evaluations.list_runs_for_evaluation(id=f["evaluation"].id).runs
                             if r.status == "failed"])
    assert runs[0].id == run.id
    assert "every call of the run failed" in runs[0].error and "the model is down" in runs[0].error


def test_a_run_for_a_flow_must_be_fed_by_the_client(sdk: Humanloop, unique_path: str) -> None:
    f = setup_files(sdk, unique_path)
    flow = sdk.flows.upsert(path=f"{unique_path}/flow", attributes={"a": 1})
    with pytest.raises(humanloop.core.api_error.ApiError) as raised:
        sdk.evaluations.create_run(id=f["evaluation"].id, dataset={"version_id": f["dataset"].version_id},
                                   version={"version_id": flow.version_id})
    assert raised.value.status_code == 422 and "orchestrated: false" in str(raised.value.body)


def test_cancelling_stops_a_run(tmp_path: Any, unique_path: str) -> None:
    with LocalServer(db=tmp_path / "slow.sqlite", mock_chunk_delay=0.1) as server:
        sdk = Humanloop(api_key=server.api_key, base_url=server.base_url)
        f = setup_files(sdk, unique_path)
        run = sdk.evaluations.create_run(id=f["evaluation"].id, dataset={"version_id": f["dataset"].version_id},
                                         version={"version_id": f["prompt"].version_id})
        time.sleep(0.3)
        cancelled = sdk.evaluations.update_evaluation_run(id=f["evaluation"].id, run_id=run.id, status="cancelled")
        assert cancelled.status == "cancelled"
        made = run_stats(sdk, f["evaluation"].id, run.id).num_logs
        time.sleep(1.0)
        after = run_stats(sdk, f["evaluation"].id, run.id)
        assert after.status == "cancelled" and after.num_logs == made < 20


def test_an_orchestrated_run_of_an_agent(sdk: Humanloop, unique_path: str) -> None:
    f = setup_files(sdk, unique_path)
    agent = sdk.agents.upsert(path=f"{unique_path}/agent", **MOCK, template=[{"role": "user", "content": "Echo {{n}}"}])
    evaluation = sdk.evaluations.create(name="agent", file={"id": agent.id},
                                        evaluators=[{"version_id": f["code"].version_id}])
    run = sdk.evaluations.create_run(id=evaluation.id, dataset={"version_id": f["dataset"].version_id},
                                     version={"version_id": agent.version_id})
    done = wait_for(lambda: (s := run_stats(sdk, evaluation.id, run.id)).status == "completed" and s)
    assert done.num_logs == 20
    assert (done.evaluator_stats[0].num_true, done.evaluator_stats[0].num_false) == (16, 4)
