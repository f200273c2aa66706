"""Each provider fake, driven by that provider's official SDK: if the SDK reads the fake's
answers (plain, streamed, tool calls, errors) the fake speaks the provider's wire format,
so the contract tests of the server against it mean something."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.server.fakes._server import Failure, Reply
from tests.server.fakes.anthropic import AnthropicFake
from tests.server.fakes.azure import AzureFake
from tests.server.fakes.bedrock import BedrockFake
from tests.server.fakes.cohere import CohereFake
from tests.server.fakes.deepseek import DeepSeekFake
from tests.server.fakes.google import GoogleFake
from tests.server.fakes.groq import GroqFake
from tests.server.fakes.openai import OpenAIFake
from tests.server.fakes.replicate import ReplicateFake

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
    anthropic_fake.script = [Reply(text="one two three", break_after=1)]
    with pytest.raises(anthropic.APIStatusError, match="Overloaded"), client.messages.stream(**args) as broken:
        list(broken.text_stream)


def _drive_openai_dialect(client: Any, fake: OpenAIFake, model: str, errors: Any) -> None:
    """Plain, streamed (text and tool-call deltas) and rate-limited calls through an
    OpenAI-dialect SDK client (openai, AzureOpenAI, groq)."""
    fake.script = [Reply(text="Hello there, friend."), Reply(calls=CALLS, finish="tool_calls"),
                   Reply(text="streamed words arrive"), Reply(calls=CALLS, finish="tool_calls"),
                   Failure(429, "Rate limit reached for requests", "3")]
    messages = [{"role": "user", "content": "hi"}]
    plain = client.chat.completions.create(model=model, messages=messages)
    assert plain.choices[0].message.content == "Hello there, friend." and plain.usage.prompt_tokens == 11
    tools = client.chat.completions.create(model=model, messages=messages)
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in tools.choices[0].message.tool_calls] == CALLS
    chunks = list(client.chat.completions.create(model=model, messages=messages, stream=True))
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert texts == ["streamed ", "words ", "arrive"]
    arguments: dict[int, str] = {}
    for chunk in client.chat.completions.create(model=model, messages=messages, stream=True):
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            arguments[delta.index] = arguments.get(delta.index, "") + (delta.function.arguments or "")
    assert [json.loads(a) for a in arguments.values()] == [a for _, _, a in CALLS]
    with pytest.raises(errors.RateLimitError) as limited:
        client.chat.completions.create(model=model, messages=messages)
    assert limited.value.response.headers["retry-after"] == "3" and "Rate limit reached" in str(limited.value)


def test_openai_sdk_reads_the_openai_and_deepseek_fakes() -> None:
    openai = pytest.importorskip("openai")
    with OpenAIFake() as fake:
        client = openai.OpenAI(api_key=fake.key, base_url=fake.url + "/v1", max_retries=0)
        fake.script = [Reply(text="Once upon a time"), Reply(text="there was")]
        done = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Tell me", suffix="The end.")
        assert done.choices[0].text == "Once upon a time" and done.usage.completion_tokens == 7
        # Streamed in a fresh interpreter: tests elsewhere in the suite leave process-wide
        # instrumentation wrapped around the SDK's client methods.
        script = ("import openai, sys; c = openai.OpenAI(api_key=sys.argv[1], base_url=sys.argv[2], max_retries=0); "
                  "s = c.completions.create(model='gpt-3.5-turbo-instruct', prompt='x', stream=True); "
                  "print(repr(''.join(ch.choices[0].text for ch in s if ch.choices)))")
        child = subprocess.run([sys.executable, "-c", script, fake.key, fake.url + "/v1"], capture_output=True,
                               text=True, timeout=120)
        assert child.stdout.strip() == "'there was'", child.stderr[-2000:]
    for fake_type in (OpenAIFake, DeepSeekFake):
        with fake_type() as fake:
            base = fake.url + ("/v1" if fake_type is OpenAIFake else "")
            client = openai.OpenAI(api_key=fake.key, base_url=base, max_retries=0)
            _drive_openai_dialect(client, fake, "gpt-4o-mini", openai)
            if fake_type is DeepSeekFake:
                with pytest.raises(openai.BadRequestError, match="unavailable"):
                    client.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "x"}],
                                                   response_format={"type": "json_schema", "json_schema": {"name": "a"}})


def test_azure_openai_sdk_reads_the_azure_fake() -> None:
    openai = pytest.importorskip("openai")
    with AzureFake() as fake:
        client = openai.AzureOpenAI(api_key=fake.key, azure_endpoint=fake.url, api_version="2024-10-21", max_retries=0)
        _drive_openai_dialect(client, fake, "my-gpt4o-deployment", openai)
        assert fake.deployment(fake.requests[-1]) == "my-gpt4o-deployment"
        assert fake.requests[-1].query["api-version"] == ["2024-10-21"]


def test_groq_sdk_reads_the_groq_fake() -> None:
    groq = pytest.importorskip("groq")
    with GroqFake() as fake:
        client = groq.Groq(api_key=fake.key, base_url=fake.url, max_retries=0)
        _drive_openai_dialect(client, fake, "llama-3.3-70b-versatile", groq)
        fake.script = [Reply(text="a b")]
        last = list(client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}],
                                                   stream=True))[-1]
        assert last.x_groq.usage.completion_tokens == 7  # Groq's dialect: the stream's usage
        with pytest.raises(groq.BadRequestError, match="at most 1"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}], n=2)


def test_google_genai_sdk_reads_the_gemini_fake() -> None:
    genai = pytest.importorskip("google.genai")
    from google.genai import errors, types

    with GoogleFake() as fake:
        client = genai.Client(api_key=fake.key, http_options=types.HttpOptions(
            base_url=fake.url, retry_options=types.HttpRetryOptions(attempts=1)))
        fake.script = [Reply(text="Hello there, friend."), Reply(calls=CALLS, finish="tool_calls"),
                       Reply(text="streamed words arrive"), Failure(429, "Resource has been exhausted", "9")]
        plain = client.models.generate_content(model="gemini-2.0-flash", contents="hi")
        assert plain.text == "Hello there, friend." and plain.usage_metadata.prompt_token_count == 11
        assert plain.candidates[0].finish_reason == types.FinishReason.STOP
        tools = client.models.generate_content(model="gemini-2.0-flash", contents="hi")
        assert [(c.id, c.name, c.args) for c in tools.function_calls] == CALLS
        chunks = list(client.models.generate_content_stream(model="gemini-2.0-flash", contents="hi"))
        assert [c.text for c in chunks if c.text] == ["streamed ", "words ", "arrive"]
        assert chunks[-1].usage_metadata.candidates_token_count == 7
        assert fake.requests[-1].query["alt"] == ["sse"]
        with pytest.raises(errors.ClientError) as limited:
            client.models.generate_content(model="gemini-2.0-flash", contents="hi")
        assert limited.value.code == 429 and "exhausted" in str(limited.value)
        with pytest.raises(errors.ClientError, match="valid role"):
            client.models.generate_content(model="gemini-2.0-flash",
                                           contents=[types.Content(role="system", parts=[types.Part(text="x")])])


def test_cohere_sdk_reads_the_cohere_fake() -> None:
    cohere = pytest.importorskip("cohere")
    with CohereFake() as fake:
        client = cohere.ClientV2(api_key=fake.key, base_url=fake.url)
        fake.script = [Reply(text="Hello there, friend."), Reply(calls=CALLS, finish="tool_calls"),
                       Reply(text="streamed words arrive"), Reply(calls=CALLS, finish="tool_calls"),
                       Failure(429, "You are using a Trial key, which is limited", "5")]
        messages = [{"role": "user", "content": "hi"}]
        plain = client.chat(model="command-a-03-2025", messages=messages)
        assert plain.message.content[0].text == "Hello there, friend." and plain.finish_reason == "COMPLETE"
        assert plain.usage.tokens.input_tokens == 11
        tools = client.chat(model="command-a-03-2025", messages=messages)
        assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in tools.message.tool_calls] == CALLS
        events = list(client.chat_stream(model="command-a-03-2025", messages=messages))
        assert [e.delta.message.content.text for e in events if e.type == "content-delta"] == [
            "streamed ", "words ", "arrive"]
        assert events[-1].type == "message-end" and events[-1].delta.usage.tokens.output_tokens == 7
        arguments: dict[int, str] = {}
        for e in client.chat_stream(model="command-a-03-2025", messages=messages):
            if e.type in ("tool-call-start", "tool-call-delta"):
                arguments[e.index] = arguments.get(e.index, "") + (e.delta.message.tool_calls.function.arguments or "")
        assert [json.loads(a) for a in arguments.values()] == [a for _, _, a in CALLS]
        with pytest.raises(cohere.errors.TooManyRequestsError) as limited:
            client.chat(model="command-a-03-2025", messages=messages, request_options={"max_retries": 0})
        assert "Trial key" in str(limited.value.body)


def test_boto3_reads_the_bedrock_fake_and_the_fake_checks_sigv4() -> None:
    boto3 = pytest.importorskip("boto3")
    from botocore.config import Config

    with BedrockFake() as fake:
        client = boto3.client("bedrock-runtime", region_name=fake.region, endpoint_url=fake.url,
                              aws_access_key_id=fake.access_key, aws_secret_access_key=fake.secret_key,
                              config=Config(retries={"total_max_attempts": 1}))
        fake.script = [Reply(text="Hello there, friend."), Reply(calls=CALLS, finish="tool_calls"),
                       Reply(text="streamed words arrive"), Reply(calls=CALLS, finish="tool_calls"),
                       Failure(429, "Too many tokens, please wait before trying again.")]
        model = "us.anthropic.claude-3-haiku-20240307-v1:0"
        messages = [{"role": "user", "content": [{"text": "hi"}]}]
        plain = client.converse(modelId=model, messages=messages)
        assert plain["output"]["message"]["content"] == [{"text": "Hello there, friend."}]
        assert plain["stopReason"] == "end_turn" and plain["usage"]["inputTokens"] == 11
        tools = client.converse(modelId=model, messages=messages)
        uses = [b["toolUse"] for b in tools["output"]["message"]["content"]]
        assert [(u["toolUseId"], u["name"], u["input"]) for u in uses] == CALLS
        events = list(client.converse_stream(modelId=model, messages=messages)["stream"])
        assert [e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e] == [
            "streamed ", "words ", "arrive"]
        assert events[-1]["metadata"]["usage"]["outputTokens"] == 7
        arguments: dict[int, str] = {}
        for e in client.converse_stream(modelId=model, messages=messages)["stream"]:
            delta = e.get("contentBlockDelta", {})
            if "toolUse" in delta.get("delta", {}):
                index = delta["contentBlockIndex"]
                arguments[index] = arguments.get(index, "") + delta["delta"]["toolUse"]["input"]
        assert [json.loads(a) for a in arguments.values()] == [a for _, _, a in CALLS]
        with pytest.raises(client.exceptions.ThrottlingException, match="Too many tokens"):
            client.converse(modelId=model, messages=messages)
        assert unquote(fake.requests[0].raw_path) == f"/model/{model}/converse"
        fake.script = [Reply(text="one two three", break_after=1)]
        from botocore.exceptions import EventStreamError

        with pytest.raises(EventStreamError, match="model stream failed"):
            list(client.converse_stream(modelId=model, messages=messages)["stream"])
        wrong = boto3.client("bedrock-runtime", region_name=fake.region, endpoint_url=fake.url,
                             aws_access_key_id=fake.access_key, aws_secret_access_key="not-the-secret")
        with pytest.raises(client.exceptions.AccessDeniedException, match="signature"):
            wrong.converse(modelId=model, messages=messages)


def test_replicate_sdk_reads_the_replicate_fake() -> None:
    replicate = pytest.importorskip("replicate")
    with ReplicateFake() as fake:
        client = replicate.Client(api_token=fake.key, base_url=fake.url)
        fake.script = [Reply(text="Hello there, friend."), Reply(text="streamed words arrive"),
                       Reply(text="polled"), Failure(429, "Request was throttled.", "2")]
        output = client.run("meta/meta-llama-3-8b-instruct", input={"prompt": "hi"})
        assert "".join(output) == "Hello there, friend."
        assert fake.requests[-1].headers["prefer"].startswith("wait")
        events = list(client.stream("meta/meta-llama-3-8b-instruct", input={"prompt": "hi"}))
        assert [str(e) for e in events if e.event.value == "output"] == ["streamed ", "words ", "arrive"]
        assert events[-1].event.value == "done"
        created = client.predictions.create(model="meta/meta-llama-3-8b-instruct", input={"prompt": "hi"})
        assert created.status == "starting"
        created.reload()
        assert created.status == "succeeded" and created.metrics["output_token_count"] == 7
        with pytest.raises(replicate.exceptions.ReplicateError) as limited:
            client.predictions.create(model="meta/meta-llama-3-8b-instruct", input={"prompt": "hi"})
        assert limited.value.status == 429 and "throttled" in str(limited.value)
        with pytest.raises(replicate.exceptions.ReplicateError, match="prompt is required"):
            client.predictions.create(model="meta/meta-llama-3-8b-instruct", input={"text": "hi"})
