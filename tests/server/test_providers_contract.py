"""Every provider through the real server, against loopback fakes of the providers' APIs.

One server (default provider registry, real SQLite file) reaches each fake through the
environment variables an operator would set; the fakes speak each provider's documented
wire format (see test_provider_fakes.py) and refuse what the real API refuses. Each case
covers plain and streamed text, parallel tool calls (plain and streamed deltas), a tool
result round trip, JSON output, a rate limit passed through with Retry-After, and the
request shape the provider demands.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from humanloop_core.server import LocalServer
from tests.server.conftest import sse_items
from tests.server.fakes._server import Failure, Fake, Reply
from tests.server.fakes.anthropic import AnthropicFake

CALLS = [("call_a", "get_weather", {"city": "Paris"}), ("call_b", "get_time", {"tz": "CET"})]
TOOLS = [{"name": "get_weather", "description": "Weather in a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
         {"name": "get_time", "description": "Time in a zone",
          "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}}}]
SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@dataclass
class Case:
    fake: Callable[[], Fake]
    env: Callable[[Any], dict[str, str]]
    model: str
    check_plain: Callable[[dict[str, Any]], None]
    check_json: Callable[[dict[str, Any]], None] | None  # None: the provider refuses JSON output
    tools: bool = True
    body_of: Callable[[Any], dict[str, Any]] = field(default=lambda fake: fake.requests[-1].json())


def _anthropic_plain(body: dict[str, Any]) -> None:
    assert body["system"] == "Be brief." and body["max_tokens"] == 4096
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}]
    assert body["temperature"] == 0.5 and body["stop_sequences"] == ["END"]


CASES: dict[str, Case] = {
    "anthropic": Case(
        AnthropicFake, lambda f: {"ANTHROPIC_BASE_URL": f.url, "ANTHROPIC_API_KEY": f.key},
        "claude-3-5-haiku-20241022", _anthropic_plain,
        lambda body: body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}),
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Fake]]:
    started = {name: case.fake() for name, case in CASES.items()}
    with pytest.MonkeyPatch.context() as patch:
        for name, fake in started.items():
            fake.__enter__()
            for key, value in CASES[name].env(fake).items():
                patch.setenv(key, value)
        try:
            yield started
        finally:
            for fake in started.values():
                fake.__exit__(None, None, None)


@pytest.fixture(scope="module")
def http(fakes: dict[str, Fake], tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with LocalServer(db=tmp_path_factory.mktemp("providers") / "db.sqlite") as srv, httpx.Client(
            base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}, timeout=30) as client:
        yield client


def prompt(provider: str, **kernel: Any) -> dict[str, Any]:
    return {"model": CASES[provider].model, "provider": provider, "temperature": 0.5, "stop": ["END"],
            "template": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Capital of {{country}}?"}], **kernel}


def call(http: httpx.Client, provider: str, stream: bool = False, **extra: Any) -> Any:
    body = {"path": f"contract/{provider}", "prompt": prompt(provider, **extra.pop("kernel", {})),
            "inputs": {"country": "France"}, **extra}
    if not stream:
        return http.post("/prompts/call", json=body)
    with http.stream("POST", "/prompts/call", json={**body, "stream": True}) as response:
        return sse_items(response)


PROVIDERS = sorted(CASES)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_text_usage_cost_and_request_shape(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    fakes[provider].script = [Reply(text="Paris.", prompt_tokens=1000, output_tokens=2000)]
    response = call(http, provider)
    assert response.status_code == 200, response.text
    log = response.json()["logs"][0]
    assert (log["output"], log["finish_reason"], log["prompt_tokens"], log["output_tokens"]) == (
        "Paris.", "stop", 1000, 2000)
    CASES[provider].check_plain(CASES[provider].body_of(fakes[provider]))
    stored = http.get(f"/logs/{response.json()['id']}").json()
    assert stored["output"] == "Paris." and stored["prompt_cost"] == log["prompt_cost"]
    assert log["prompt_cost"] is None or log["prompt_cost"] > 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_is_streamed_from_the_provider(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    fakes[provider].script = [Reply(text="Paris is the capital of France.", prompt_tokens=9, output_tokens=8)]
    items = call(http, provider, stream=True)
    texts = [i["output"] for i in items if i.get("output")]
    assert len(texts) >= 6 and "".join(texts) == "Paris is the capital of France."  # piece by piece
    assert items[-1]["finish_reason"] == "stop" and "error" not in items[-1]
    stored = http.get(f"/logs/{items[-1]['id']}").json()
    assert (stored["output"], stored["prompt_tokens"], stored["output_tokens"]) == (
        "Paris is the capital of France.", 9, 8)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_parallel_tool_calls_plain_and_streamed(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    if not CASES[provider].tools:
        response = call(http, provider, kernel={"tools": TOOLS})
        assert response.status_code == 400 and "does not support tools" in response.json()["detail"]
        return
    fakes[provider].script = [Reply(calls=CALLS, finish="tool_calls"), Reply(calls=CALLS, finish="tool_calls")]
    response = call(http, provider, kernel={"tools": TOOLS}, tool_choice="required")
    assert response.status_code == 200, response.text
    message = response.json()["logs"][0]["output_message"]
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in message["tool_calls"]] == [
        (n, a) for _, n, a in CALLS]
    assert response.json()["logs"][0]["finish_reason"] == "tool_calls"
    items = call(http, provider, stream=True, kernel={"tools": TOOLS})
    pieces: dict[str, str] = {}
    for item in items:
        for delta in (item.get("output_message") or {}).get("tool_calls") or []:
            pieces[delta["function"]["name"]] = pieces.get(delta["function"]["name"], "") + delta["function"]["arguments"]
    assert {name: json.loads(text) for name, text in pieces.items()} == {n: a for _, n, a in CALLS}
    stored = http.get(f"/logs/{items[-1]['id']}").json()
    assert len(stored["output_message"]["tool_calls"]) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tool_results_go_back_in_the_providers_shape(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    if not CASES[provider].tools:
        pytest.skip("no tools")
    fakes[provider].script = [Reply(text="It is sunny.")]
    calls = [{"id": i, "type": "function", "function": {"name": n, "arguments": json.dumps(a)}} for i, n, a in CALLS]
    messages = [{"role": "assistant", "content": "", "tool_calls": calls},
                {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
                {"role": "tool", "tool_call_id": "call_b", "content": "12:00"}]
    response = call(http, provider, kernel={"tools": TOOLS}, messages=messages)
    assert response.status_code == 200, response.text  # the fake checks each call has its result
    assert response.json()["logs"][0]["output"] == "It is sunny."


@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_schema_output_or_a_clear_refusal(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    fakes[provider].script = [Reply(text='{"answer": "Paris"}')]
    rf = {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}
    response = call(http, provider, kernel={"response_format": rf})
    check = CASES[provider].check_json
    if check is None:
        assert response.status_code == 400 and "response_format json_schema" in response.json()["detail"]
        return
    assert response.status_code == 200, response.text
    assert json.loads(response.json()["logs"][0]["output"]) == {"answer": "Paris"}
    check(CASES[provider].body_of(fakes[provider]))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rate_limit_is_a_429_with_retry_after(http: httpx.Client, fakes: dict[str, Fake], provider: str) -> None:
    fakes[provider].script = [Failure(429, "Too many requests, slow down", "17"),
                              Failure(429, "Too many requests, slow down", "17")]
    response = call(http, provider)
    assert response.status_code == 429 and response.headers["retry-after"] == "17"
    assert "slow down" in response.json()["detail"]
    items = call(http, provider, stream=True)
    assert "slow down" in items[-1]["error"]
    fakes[provider].script = [Failure(400, "model: unknown model")]
    refused = call(http, provider)
    assert refused.status_code == 400 and "unknown model" in refused.json()["detail"]
