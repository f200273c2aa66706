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
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, get_args

import httpx
import pytest

from humanloop_core.server import LocalServer
from humanloop_core.types._models import ModelProviders
from tests.server.conftest import sse_items
from tests.server.fakes._server import Failure, Fake, Reply
from tests.server.fakes.anthropic import AnthropicFake
from tests.server.fakes.azure import AzureFake
from tests.server.fakes.bedrock import BedrockFake
from tests.server.fakes.cohere import CohereFake
from tests.server.fakes.deepseek import DeepSeekFake
from tests.server.fakes.google import GoogleFake, signature
from tests.server.fakes.groq import GroqFake
from tests.server.fakes.openai import OpenAIFake
from tests.server.fakes.replicate import ReplicateFake

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
    retry_after: bool = True  # the provider tells when to retry (Bedrock does not)
    body_of: Callable[[Any], dict[str, Any]] = field(default=lambda fake: fake.requests[-1].json())


def _anthropic_plain(body: dict[str, Any]) -> None:
    assert body["system"] == "Be brief." and body["max_tokens"] == 4096
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Capital of France?"}]}]
    assert body["temperature"] == 0.5 and body["stop_sequences"] == ["END"]


def _openai_plain(body: dict[str, Any]) -> None:
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Capital of France?"}]
    assert body["temperature"] == 0.5 and body["stop"] == ["END"] and "n" not in body


def _openai_json(body: dict[str, Any]) -> None:
    assert body["response_format"] == {"type": "json_schema", "json_schema": {"name": "answer", "schema": SCHEMA}}


def _google_plain(body: dict[str, Any]) -> None:
    assert body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert body["contents"] == [{"role": "user", "parts": [{"text": "Capital of France?"}]}]
    assert body["generationConfig"] == {"temperature": 0.5, "stopSequences": ["END"]}


def _google_json(body: dict[str, Any]) -> None:
    config = body["generationConfig"]
    assert config["responseMimeType"] == "application/json" and config["responseJsonSchema"] == SCHEMA


def _cohere_plain(body: dict[str, Any]) -> None:
    assert body["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Capital of France?"}]
    assert (body["temperature"], body["stop_sequences"]) == (0.5, ["END"])


def _bedrock_plain(body: dict[str, Any]) -> None:
    assert body["system"] == [{"text": "Be brief."}]
    assert body["messages"] == [{"role": "user", "content": [{"text": "Capital of France?"}]}]
    assert body["inferenceConfig"] == {"temperature": 0.5, "stopSequences": ["END"]}


def _replicate_plain(body: dict[str, Any]) -> None:
    assert body == {"input": {"prompt": "Capital of France?", "system_prompt": "Be brief.", "temperature": 0.5,
                              "stop_sequences": "END"}}


CASES: dict[str, Case] = {
    "google": Case(GoogleFake, lambda f: {"GOOGLE_GEMINI_BASE_URL": f.url, "GEMINI_API_KEY": f.key},
                   "gemini-2.0-flash-001", _google_plain, _google_json),
    "cohere": Case(CohereFake, lambda f: {"CO_API_URL": f.url, "CO_API_KEY": f.key}, "command-r-08-2024",
                   _cohere_plain,
                   lambda body: body["response_format"] == {"type": "json_object", "json_schema": SCHEMA}),
    # Through the AWS credential chain: botocore signs, the fake recomputes the signature.
    "bedrock": Case(BedrockFake, lambda f: {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": f.url, "AWS_REGION": f.region,
                                            "AWS_ACCESS_KEY_ID": f.access_key, "AWS_SECRET_ACCESS_KEY": f.secret_key},
                    "us.anthropic.claude-3-5-haiku-20241022-v1:0", _bedrock_plain, None, retry_after=False),
    "replicate": Case(ReplicateFake, lambda f: {"REPLICATE_BASE_URL": f.url, "REPLICATE_API_TOKEN": f.key},
                      "meta/meta-llama-3-8b-instruct", _replicate_plain, None, tools=False,
                      body_of=lambda f: next(r for r in reversed(f.requests) if r.method == "POST").json()),
    "openai": Case(OpenAIFake, lambda f: {"OPENAI_BASE_URL": f.url + "/v1", "OPENAI_API_KEY": f.key},
                   "gpt-4o-mini-2024-07-18", _openai_plain, _openai_json),
    "openai_azure": Case(
        AzureFake, lambda f: {"AZURE_OPENAI_ENDPOINT": f.url, "AZURE_OPENAI_API_KEY": f.key,
                              "OPENAI_API_VERSION": "2024-10-21"},
        "gpt-4o-mini", _openai_plain, _openai_json),
    "groq": Case(GroqFake, lambda f: {"GROQ_BASE_URL": f.url, "GROQ_API_KEY": f.key},
                 "llama-3.3-70b-versatile", _openai_plain, _openai_json),
    "deepseek": Case(DeepSeekFake, lambda f: {"DEEPSEEK_BASE_URL": f.url, "DEEPSEEK_API_KEY": f.key},
                     "deepseek-chat", _openai_plain, None),
    "anthropic": Case(
        AnthropicFake, lambda f: {"ANTHROPIC_BASE_URL": f.url, "ANTHROPIC_API_KEY": f.key},
        "claude-3-5-haiku-20241022", _anthropic_plain,
        lambda body: body["output_config"] == {"format": {"type": "json_schema", "schema": SCHEMA}}),
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Fake]]:
    started = {name: case.fake() for name, case in CASES.items()}
    with pytest.MonkeyPatch.context() as patch:
        # Nothing of the machine's own configuration may decide where a call goes.
        for variable in ("GOOGLE_API_KEY", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                         "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION"):
            patch.delenv(variable, raising=False)
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
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


# deepseek is a provider of the official SDK 0.8.38, not of the vendored v5 description:
# the server accepts it once the generated wire types carry the SDK's enum.
PROVIDERS = [p for p in sorted(CASES) if p in get_args(ModelProviders)]


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
    assert items[-1].get("prompt_cost") == stored.get("prompt_cost")  # the closing event has the cost
    assert (stored["output"], stored["prompt_tokens"], stored["output_tokens"]) == (
        "Paris is the capital of France.", 9, 8)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_streams_keep_the_provider_connection_for_the_next_call(http: httpx.Client, fakes: dict[str, Fake],
                                                                provider: str) -> None:
    """A stream read to its end hands its connection back to the pool: a second call
    reuses it instead of paying a new TCP (and, for real providers, TLS) handshake."""
    fake = fakes[provider]
    call(http, provider, stream=True)
    before = len(fake.requests)
    for _ in range(2):
        assert "error" not in call(http, provider, stream=True)[-1]
    peers = {r.peer for r in fake.requests[before:]}
    assert len(peers) == 1, peers


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
    assert response.status_code == 429
    assert response.headers.get("retry-after") == ("17" if CASES[provider].retry_after else None)
    assert "slow down" in response.json()["detail"]
    items = call(http, provider, stream=True)
    assert "slow down" in items[-1]["error"]
    fakes[provider].script = [Failure(400, "model: unknown model")]
    refused = call(http, provider)
    assert refused.status_code == 400 and "unknown model" in refused.json()["detail"]


def test_num_samples_one_request_with_n_or_one_request_each(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    fakes["openai"].requests.clear()
    fakes["openai"].script = [Reply(text="Paris.", prompt_tokens=10, output_tokens=3)]
    native = call(http, "openai", num_samples=3).json()
    assert [log["index"] for log in native["logs"]] == [0, 1, 2] and len(fakes["openai"].requests) == 1
    assert fakes["openai"].requests[-1].json()["n"] == 3
    fakes["anthropic"].requests.clear()
    fakes["anthropic"].script = [Reply(text=f"Sample {i}.", prompt_tokens=10, output_tokens=2) for i in range(3)]
    separate = call(http, "anthropic", num_samples=3).json()
    assert len(fakes["anthropic"].requests) == 3 and "n" not in fakes["anthropic"].requests[-1].json()
    assert sorted(log["output"] for log in separate["logs"]) == ["Sample 0.", "Sample 1.", "Sample 2."]
    assert separate["logs"][0]["prompt_tokens"] == 30  # the call's total, as the stored log says
    fakes["anthropic"].script = [Reply(text=f"Streamed sample {i}") for i in range(2)]
    items = call(http, "anthropic", stream=True, num_samples=2)
    by_index: dict[int, str] = {}
    for item in items:
        by_index[item["index"]] = by_index.get(item["index"], "") + item.get("output", "")
    assert sorted(by_index.values()) == ["Streamed sample 0", "Streamed sample 1"]
    too_many = call(http, "anthropic", num_samples=50)
    assert too_many.status_code == 400 and "num_samples is at most" in too_many.json()["detail"]


def test_keys_from_the_call_and_never_in_answers(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    azure = fakes["openai_azure"]
    response = call(http, "openai_azure", provider_api_keys={"openai_azure": "wrong-azure-key-123456",
                                                             "openai_azure_endpoint": azure.url})
    assert response.status_code == 400 and "Incorrect API key" in response.json()["detail"]
    assert "wrong-azure-key-123456" not in response.text
    log_id = re.search(r"logged as (\w+)", response.json()["detail"]).group(1)  # type: ignore[union-attr]
    stored = http.get(f"/logs/{log_id}").json()
    assert "Incorrect API key" in stored["error"] and "wrong-azure-key-123456" not in json.dumps(stored)
    # A key from the server's environment is redacted too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_API_KEY", "sk-env-key-that-is-wrong")
        from_env = call(http, "openai")
    assert from_env.status_code == 400 and "Incorrect API key" in from_env.text
    assert "sk-env-key-that-is-wrong" not in from_env.text
    ok = call(http, "openai_azure", provider_api_keys={"openai_azure": azure.key})
    assert ok.status_code == 200 and azure.requests[-1].headers["api-key"] == azure.key
    assert azure.requests[-1].path == f"/openai/deployments/{CASES['openai_azure'].model}/chat/completions"
    # A Bedrock API key from the call goes as a bearer token, with no SigV4 signing.
    bedrock = fakes["bedrock"]
    assert call(http, "bedrock", provider_api_keys={"bedrock": bedrock.token}).status_code == 200
    assert bedrock.requests[-1].headers["authorization"] == f"Bearer {bedrock.token}"


@pytest.mark.parametrize(("provider", "message"), [("anthropic", "overloaded_error"),
                                                   ("bedrock", "modelStreamErrorException")])
def test_an_error_inside_a_stream_ends_it_with_the_providers_message_and_keeps_the_partial_log(
        http: httpx.Client, fakes: dict[str, Fake], provider: str, message: str) -> None:
    fakes[provider].script = [Reply(text="one two three four", break_after=2)]
    items = call(http, provider, stream=True)
    assert "".join(i.get("output", "") for i in items) == "one two "
    assert message in items[-1]["error"]
    stored = http.get(f"/logs/{items[-1]['id']}").json()
    assert stored["output"] == "one two " and message in stored["error"]


def test_reasoning_effort_in_each_providers_terms(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    assert call(http, "openai", kernel={"reasoning_effort": "low"}).status_code == 200
    assert fakes["openai"].requests[-1].json()["reasoning_effort"] == "low"
    assert call(http, "anthropic", kernel={"reasoning_effort": 2048}).status_code == 200
    sent = fakes["anthropic"].requests[-1].json()
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 2048} and sent["max_tokens"] > 2048
    assert call(http, "google", kernel={"reasoning_effort": 512}).status_code == 200
    assert fakes["google"].requests[-1].json()["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 512}
    assert call(http, "cohere", kernel={"reasoning_effort": 1000}).status_code == 200
    assert fakes["cohere"].requests[-1].json()["thinking"] == {"type": "enabled", "token_budget": 1000}
    refused = call(http, "cohere", kernel={"reasoning_effort": "high"})
    assert refused.status_code == 400 and "token budget" in refused.json()["detail"]
    refused = call(http, "bedrock", kernel={"reasoning_effort": "high"})
    assert refused.status_code == 400 and "reasoning_effort" in refused.json()["detail"]


def test_gemini_thought_signatures_go_back_with_their_function_calls(http: httpx.Client,
                                                                   fakes: dict[str, Fake]) -> None:
    fake = fakes["google"]
    fake.script = [Reply(calls=[("signed_1", "get_weather", {"city": "Oslo"})], finish="tool_calls"),
                   Reply(text="Cold.")]
    first = call(http, "google", kernel={"tools": TOOLS}).json()["logs"][0]["output_message"]
    call_id = first["tool_calls"][0]["id"]
    history = [first, {"role": "tool", "tool_call_id": call_id, "content": "-5C"}]
    second = call(http, "google", kernel={"tools": TOOLS}, messages=history)
    assert second.status_code == 200, second.text  # the fake refuses a signed call sent back unsigned
    sent = fake.requests[-1].json()["contents"]
    assert sent[-2]["parts"][0] == {"functionCall": {"id": "signed_1", "name": "get_weather", "args": {"city": "Oslo"}},
                                    "thoughtSignature": signature("signed_1")}
    assert sent[-1]["parts"][0]["functionResponse"]["id"] == "signed_1"


def test_complete_endpoint_goes_to_openai_completions_with_suffix(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    fake = fakes["openai"]
    fake.script = [Reply(text="a fine day."), Reply(text="a fine day.")]
    kernel = {"endpoint": "complete", "template": "It was {{country}} and"}
    done = call(http, "openai", kernel=kernel, suffix=" The end.")
    assert done.status_code == 200, done.text
    assert done.json()["logs"][0]["output"] == "a fine day."
    sent = fake.requests[-1]
    assert sent.path == "/v1/completions"
    assert sent.json()["prompt"] == "It was France and" and sent.json()["suffix"] == " The end."
    items = call(http, "openai", stream=True, kernel=kernel)
    assert "".join(i.get("output", "") for i in items) == "a fine day." and items[-1]["output_tokens"] == 7
    refused = call(http, "openai", suffix="x")
    assert refused.status_code == 400 and "suffix" in refused.json()["detail"]


async def test_replicate_polls_a_prediction_that_is_not_done_yet(fakes: dict[str, Fake]) -> None:
    from humanloop_core.server.providers import ProviderRequest, ReplicateProvider

    fake = fakes["replicate"]
    assert isinstance(fake, ReplicateFake)
    fake.wait = False  # answer "starting" even to Prefer: wait, as a long prediction does
    fake.script = [Reply(text="slow but sure", prompt_tokens=4, output_tokens=3)]
    provider = ReplicateProvider()
    provider.poll_interval = 0.01
    try:
        done = await provider.complete(ProviderRequest(model="meta/meta-llama-3-8b-instruct",
                                                       messages=[{"role": "user", "content": "hi"}]))
    finally:
        fake.wait = True
    assert (done.output, done.prompt_tokens, done.output_tokens) == ("slow but sure", 4, 3)
    assert [r.method for r in fake.requests[-2:]] == ["POST", "GET"]


def test_what_a_provider_lacks_is_a_400_naming_it(http: httpx.Client) -> None:
    image = {"role": "user", "content": [{"type": "text", "text": "what is this"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}
    cases = [("anthropic", {"kernel": {"temperature": 1.5}}, "temperature above 1"),
             ("anthropic", {"kernel": {"seed": 7}}, "does not support seed"),
             ("anthropic", {"logprobs": 2}, "does not support logprobs"),
             ("anthropic", {"kernel": {"endpoint": "complete"}}, "endpoint 'complete'"),
             ("anthropic", {"kernel": {"response_format": {"type": "json_object"}}}, "json_object"),
             ("bedrock", {"kernel": {"presence_penalty": 0.5}}, "presence_penalty"),
             ("replicate", {"messages": [image]}, "does not support images"),
             ("groq", {"num_samples": 1, "logprobs": 1}, "does not support logprobs")]
    for provider, extra, expected in cases:
        response = call(http, provider, **extra)
        assert response.status_code == 400 and expected in response.json()["detail"], (provider, response.text)
        assert provider in response.json()["detail"]


def test_images_logprobs_and_dated_model_cost(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    data = "data:image/png;base64,iVBORw0KGgo="
    image = {"role": "user", "content": [{"type": "text", "text": "what is this"},
                                         {"type": "image_url", "image_url": {"url": data}}]}
    assert call(http, "anthropic", messages=[image]).status_code == 200
    sent = fakes["anthropic"].requests[-1].json()["messages"][-1]["content"]
    assert sent[-1] == {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
    assert call(http, "google", messages=[image]).status_code == 200
    assert fakes["google"].requests[-1].json()["contents"][-1]["parts"][-1] == {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    fakes["openai"].script = [Reply(text="Paris is", prompt_tokens=1000, output_tokens=2000)]
    answered = call(http, "openai", logprobs=2).json()["logs"][0]
    assert [t["token"] for t in answered["logprobs"]["content"]] == ["Paris ", "is"]
    assert fakes["openai"].requests[-1].json()["top_logprobs"] == 2
    # gpt-4o-mini-2024-07-18 is priced as gpt-4o-mini: $0.15 / $0.60 per million tokens.
    assert (answered["prompt_cost"], answered["output_cost"]) == (0.00015, 0.0012)
    fakes["openai"].script = [Reply(text="Paris is")]
    streamed = call(http, "openai", stream=True, logprobs=1)
    assert [t["token"] for i in streamed if i.get("logprobs") for t in i["logprobs"]["content"]] == ["Paris ", "is"]
    fakes["openai"].script = [Reply(text="Paris is", prompt_tokens=1000, output_tokens=2000)]
    closing = call(http, "openai", stream=True)[-1]
    assert (closing["prompt_cost"], closing["output_cost"]) == (0.00015, 0.0012)


def test_the_official_sdk_calls_providers_and_jinja_prompts(http: httpx.Client, fakes: dict[str, Fake]) -> None:
    """The official humanloop 0.8.38 SDK as the client: an Anthropic prompt plain and
    streamed, a jinja template (the SDK sends template_language), a rate limit."""
    humanloop = pytest.importorskip("humanloop")
    from humanloop.core.api_error import ApiError

    sdk = humanloop.Humanloop(api_key=http.headers["X-API-KEY"], base_url=str(http.base_url).rstrip("/"))
    prompt = {"model": CASES["anthropic"].model, "provider": "anthropic", "template_language": "jinja",
              "template": [{"role": "user", "content": "{% for c in cities %}{{ c }} {% endfor %}weather?"}]}
    fakes["anthropic"].script = [Reply(text="Sunny in both.", prompt_tokens=1000, output_tokens=100),
                                 Reply(text="Rain later today.")]
    called = sdk.prompts.call(path="contract/sdk", prompt=prompt, inputs={"cities": ["Oslo", "Rome"]})
    assert called.logs[0].output == "Sunny in both." and called.logs[0].prompt_cost == 0.0008
    sent = fakes["anthropic"].requests[-1].json()
    assert sent["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Oslo Rome weather?"}]}]
    streamed = list(sdk.prompts.call_stream(path="contract/sdk", prompt=prompt, inputs={"cities": ["Oslo"]}))
    assert "".join(item.output or "" for item in streamed) == "Rain later today." and len(streamed) >= 3
    fakes["anthropic"].script = [Failure(429, "slow down please", "9")]
    with pytest.raises(Exception) as raised:  # the SDK's overlay wraps the ApiError
        sdk.prompts.call(path="contract/sdk", prompt=prompt, inputs={"cities": []},
                         request_options={"max_retries": 0})
    limited: BaseException | None = raised.value
    while limited is not None and not isinstance(limited, ApiError):
        limited = limited.__cause__ or limited.__context__
    assert isinstance(limited, ApiError) and limited.status_code == 429
    assert (limited.headers or {}).get("retry-after") == "9" and "slow down please" in str(limited.body)
