"""Each provider fake, driven by that provider's official SDK: if the SDK reads the fake's
answers (plain, streamed, tool calls, errors) the fake speaks the provider's wire format,
so the contract tests of the server against it mean something."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.server.fakes._server import Failure, Reply
from tests.server.fakes.anthropic import AnthropicFake

CALLS = [("call_a", "get_weather", {"city": "Paris"}), ("call_b", "get_time", {"tz": "CET"})]


@pytest.fixture(scope="module")
def anthropic_fake() -> Iterator[AnthropicFake]:
    with AnthropicFake() as fake:
        yield fake


def test_anthropic_sdk_reads_the_fake(anthropic_fake: AnthropicFake) -> None:
    anthropic = pytest.importorskip("anthropic")
    client = anthropic.Anthropic(api_key=anthropic_fake.key, base_url=anthropic_fake.url, max_retries=0)
    anthropic_fake.script = [Reply(text="Hello there, friend."), Reply(calls=CALLS, finish="tool_calls"),
                             Reply(text="streamed words arrive"), Reply(text="x", calls=CALLS, finish="tool_calls"),
                             Failure(429, "Number of requests exceeded", "13")]
    args = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    plain = client.messages.create(**args)
    assert plain.content[0].text == "Hello there, friend." and plain.stop_reason == "end_turn"
    assert (plain.usage.input_tokens, plain.usage.output_tokens) == (11, 7)
    tools = client.messages.create(**args, tools=[{"name": "get_weather", "input_schema": {"type": "object"}}])
    assert [(b.id, b.name, b.input) for b in tools.content] == CALLS and tools.stop_reason == "tool_use"
    with client.messages.stream(**args) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(texts) == 3 and "".join(texts) == "streamed words arrive" and final.usage.output_tokens == 7
    with client.messages.stream(**args) as stream:
        final = stream.get_final_message()
    assert [(b.name, b.input) for b in final.content if b.type == "tool_use"] == [(n, a) for _, n, a in CALLS]
    with pytest.raises(anthropic.RateLimitError) as limited:
        client.messages.create(**args)
    assert limited.value.response.headers["retry-after"] == "13"
    assert "Number of requests exceeded" in str(limited.value)
    # The fake refuses what the API refuses, in the API's error shape.
    no_max = httpx.post(anthropic_fake.url + "/v1/messages", headers={"x-api-key": anthropic_fake.key,
                        "anthropic-version": "2023-06-01"}, json={k: v for k, v in args.items() if k != "max_tokens"})
    assert no_max.status_code == 400 and "max_tokens" in no_max.json()["error"]["message"]
    with pytest.raises(anthropic.BadRequestError, match="role"):
        client.messages.create(**{**args, "messages": [{"role": "system", "content": "x"}]})
    sent = json.loads(anthropic_fake.requests[0].body)
    assert sent["max_tokens"] == 64
