"""``Humanloop.evaluations.run`` against the real local server: a Humanloop prompt run by the
server, a local function run here, thresholds a CI job exits on, and the change between runs."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from humanloop_core import Humanloop
from humanloop_core.evals import EvaluationConfigError, EvaluationResult
from humanloop_core.evals._progress import Progress
from humanloop_core.server import LocalServer
from tests.server.test_evaluation_runs import CODE_JUDGE, LLM_JUDGE, MOCK, datapoints


@pytest.fixture
def client(local_server: LocalServer) -> Humanloop:
    return Humanloop(api_key=local_server.api_key, base_url=local_server.base_url)


@pytest.fixture
def files(client: Humanloop, unique_path: str) -> dict[str, str]:
    client.prompts.upsert(path=f"{unique_path}/echo", **MOCK, template=[{"role": "user", "content": "Echo {{n}}"}])
    client.evaluators.upsert(path=f"{unique_path}/code", spec=CODE_JUDGE)
    client.evaluators.upsert(path=f"{unique_path}/llm", spec=LLM_JUDGE)
    return {"prompt": f"{unique_path}/echo", "code": f"{unique_path}/code", "llm": f"{unique_path}/llm",
            "data": f"{unique_path}/data", "root": unique_path}


def by_path(result: EvaluationResult) -> dict[str, Any]:
    return {e.path.rsplit("/", 1)[-1]: e for e in result.evaluators}


def test_a_humanloop_prompt_is_run_by_the_server_and_a_threshold_fails(client: Humanloop,
                                                                       files: dict[str, str]) -> None:
    out = io.StringIO()
    result = client.evaluations.run(
        name="server-side", file={"path": files["prompt"], "type": "prompt"},
        dataset={"path": files["data"], "datapoints": datapoints()},
        evaluators=[{"path": files["code"], "threshold": 0.9}, {"path": files["llm"], "threshold": 10}],
        stream=out)
    scores = by_path(result)
    assert result.status == "completed"
    assert scores["code"].score == pytest.approx(0.8) and scores["code"].passed is False
    assert scores["llm"].score == pytest.approx(10.5) and scores["llm"].passed is True
    assert result.passed is False and [e.path for e in result.failed_checks] == [files["code"]]
    table = out.getvalue()
    assert "80.0%" in table and "90.0% FAIL" in table and "10.50" in table and "FAILED: below threshold" in table


def test_a_local_function_with_a_local_evaluator_and_the_change_since_the_last_run(
        client: Humanloop, files: dict[str, str]) -> None:
    def starts_with_echo(log: dict[str, Any]) -> bool:
        return str(log.get("output", "")).startswith("Echo")

    evaluators = [{"path": files["code"]},
                  {"path": f"{files['root']}/local", "callable": starts_with_echo, "return_type": "boolean",
                   "args_type": "target_free", "threshold": 0.9}]
    first = client.evaluations.run(
        name="local", file={"path": files["prompt"], "type": "prompt", "callable": lambda n: f"Echo {n}"},
        dataset={"path": files["data"], "datapoints": datapoints()}, evaluators=evaluators, workers=4,
        stream=io.StringIO())
    assert first.status == "completed" and first.passed
    assert by_path(first)["code"].score == pytest.approx(0.8) and by_path(first)["local"].score == 1.0

    def worse(n: str) -> str:  # every third answer is off, one raises
        if n == "7":
            raise RuntimeError("no answer")
        return f"Echo {n}" if int(n) % 3 else f"echo {n}"

    out = io.StringIO()
    second = client.evaluations.run(name="local", file={"path": files["prompt"], "type": "prompt", "callable": worse},
                                    dataset={"path": files["data"]}, evaluators=evaluators, stream=out)
    assert second.evaluation_id == first.evaluation_id and second.run_id != first.run_id
    local = by_path(second)["local"]
    assert local.previous == 1.0 and local.score == pytest.approx(13 / 20)
    assert local.delta == pytest.approx(13 / 20 - 1.0) and local.passed is False and not second.passed
    assert "-35.0%" in out.getvalue()


def test_a_local_function_costs_three_requests_a_datapoint(local_server: LocalServer, files: dict[str, str]) -> None:
    """Each datapoint: its log (carrying run_id, which joins it to the run), the log read back
    for the local evaluator, and that judgment. Linking with add_logs_to_run cost a fourth."""
    sent: list[tuple[str, str]] = []
    http = httpx.Client(event_hooks={"request": [lambda request: sent.append((request.method, request.url.path))]})
    counted = Humanloop(api_key=local_server.api_key, base_url=local_server.base_url, http_client=http)
    evaluators = [{"path": files["code"]},
                  {"path": f"{files['root']}/local-count", "callable": lambda log: True, "return_type": "boolean",
                   "args_type": "target_free"}]
    result = counted.evaluations.run(
        name="counted", file={"path": files["prompt"], "type": "prompt", "callable": lambda n: f"Echo {n}"},
        dataset={"path": files["data"], "datapoints": datapoints(6)}, evaluators=evaluators, stream=io.StringIO())
    http.close()
    assert result.status == "completed" and by_path(result)["code"].score == pytest.approx(5 / 6)
    per_datapoint = [(m, p) for m, p in sent if p.endswith(("/prompts/log", "/evaluators/log")) or "/logs/" in p]
    assert sorted(per_datapoint) == sorted([("POST", "/v5/prompts/log"), ("POST", "/v5/evaluators/log")] * 6
                                           + [("GET", p) for m, p in sent if m == "GET" and "/logs/log_" in p])
    assert sum(1 for m, p in sent if m == "GET" and "/logs/log_" in p) == 6
    assert not [p for _, p in sent if "/runs/" in p and p.endswith("/logs")]  # no add_logs_to_run


def test_arguments_that_cannot_work_fail_before_anything_is_sent(client: Humanloop) -> None:
    with pytest.raises(EvaluationConfigError, match="a flow runs in your code"):
        client.evaluations.run(file={"path": "x", "type": "flow"}, dataset={"path": "d"})
    with pytest.raises(EvaluationConfigError, match="needs logs made here"):
        client.evaluations.run(file={"path": "x", "type": "prompt"}, dataset={"path": "d"},
                               evaluators=[{"path": "e", "callable": len, "return_type": "number"}])
    with pytest.raises(EvaluationConfigError, match="return_type"):
        client.evaluations.run(file={"path": "x", "type": "prompt", "callable": str}, dataset={"path": "d"},
                               evaluators=[{"path": "e", "callable": len}])


def test_the_progress_bar_draws_only_on_a_terminal() -> None:
    shown, hidden = io.StringIO(), io.StringIO()
    bar = Progress(4, "run", shown, enabled=True)
    for _ in range(4):
        bar.advance()
    bar.close()
    Progress(4, "run", hidden).advance()  # a StringIO is not a terminal
    assert "[##############################] 4/4" in shown.getvalue() and hidden.getvalue() == ""


async def test_the_async_client_awaits_an_async_function_on_its_loop(local_server: LocalServer,
                                                                     files: dict[str, str]) -> None:
    import asyncio

    from humanloop_core import AsyncHumanloop

    loop = asyncio.get_running_loop()
    seen_loops = set()

    async def answer(n: str) -> str:
        seen_loops.add(asyncio.get_running_loop())
        await asyncio.sleep(0)
        return f"Echo {n}"

    async with AsyncHumanloop(api_key=local_server.api_key, base_url=local_server.base_url) as client:
        result = await client.evaluations.run(
            name="async", file={"path": files["prompt"], "type": "prompt", "callable": answer},
            dataset={"path": files["data"], "datapoints": datapoints(6)},
            evaluators=[{"path": files["code"], "threshold": 0.5}], stream=io.StringIO())
    assert result.status == "completed" and result.passed
    assert by_path(result)["code"].score == pytest.approx(5 / 6) and seen_loops == {loop}
