"""The official SDK's ``evaluations.run`` (humanloop 0.8.38), unchanged, against the server:
a Humanloop prompt the server runs, and a local callable with a local evaluator.
(Each takes ~5 s: the SDK sleeps 5 s between polls of a run not yet finished.)"""

from __future__ import annotations

from typing import Any

import pytest

humanloop = pytest.importorskip("humanloop")
from humanloop import Humanloop  # noqa: E402

from humanloop_core.server import LocalServer  # noqa: E402
from tests.server.test_evaluation_runs import CODE_JUDGE, LLM_JUDGE, MOCK, datapoints  # noqa: E402


@pytest.fixture
def sdk(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


@pytest.fixture
def root(sdk: Humanloop, unique_path: str) -> str:
    sdk.prompts.upsert(path=f"{unique_path}/echo", **MOCK, template=[{"role": "user", "content": "Echo {{n}}"}])
    sdk.evaluators.upsert(path=f"{unique_path}/code", spec=CODE_JUDGE)
    sdk.evaluators.upsert(path=f"{unique_path}/llm", spec=LLM_JUDGE)
    return unique_path


def test_official_run_of_a_humanloop_prompt(sdk: Humanloop, root: str) -> None:
    checks = sdk.evaluations.run(
        name="official-remote", file={"path": f"{root}/echo", "type": "prompt"},
        dataset={"path": f"{root}/data", "datapoints": datapoints()},
        evaluators=[{"path": f"{root}/code", "threshold": 0.9}, {"path": f"{root}/llm", "threshold": 10}])
    by_path = {c.path: c for c in checks}
    assert by_path[f"{root}/code"].threshold_check is False  # 0.8 is below 0.9
    assert by_path[f"{root}/llm"].threshold_check is True  # 10.5
    evaluation_id = checks[0].evaluation_id
    run = sdk.evaluations.list_runs_for_evaluation(id=evaluation_id).runs[0]
    assert run.status == "completed" and run.orchestrated
    stats = sdk.evaluations.get_stats(id=evaluation_id)
    assert stats.run_stats[0].num_logs == 20


def test_official_run_of_a_local_callable_with_a_local_evaluator(sdk: Humanloop, root: str) -> None:
    def is_echo(log: Any) -> bool:
        return str(log["output"]).startswith("Echo")

    checks = sdk.evaluations.run(
        name="official-local", file={"path": f"{root}/echo", "type": "prompt", "callable": lambda n: f"Echo {n}"},
        dataset={"path": f"{root}/data", "datapoints": datapoints()},
        evaluators=[{"path": f"{root}/code", "threshold": 0.5},
                    {"path": f"{root}/is-echo", "callable": is_echo, "args_type": "target_free",
                     "return_type": "boolean", "threshold": 1.0}])
    by_path = {c.path: c for c in checks}
    assert by_path[f"{root}/code"].threshold_check is True and by_path[f"{root}/is-echo"].threshold_check is True
    stats = sdk.evaluations.get_stats(id=checks[0].evaluation_id)
    run = stats.run_stats[0]
    assert run.status == "completed" and run.num_logs == 20
    assert sorted((s.num_true, s.num_false) for s in run.evaluator_stats) == [(16, 4), (20, 0)]
