"""The openai provider against recorded chat-completions shapes served by httpx.MockTransport
(no OpenAI-compatible endpoint is reachable here), alone and through the server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from humanloop_core.server import LocalServer, ProviderRegistry
from humanloop_core.server.providers import (
    MockProvider,
    OpenAIProvider,
    ProviderError,
    ProviderRequest,
)
from tests.server.conftest import sse_items

COMPLETION = {
    "id": "chatcmpl-abc", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                 "message": {"role": "assistant", "content": "Hello! How can I help?", "refusal": None}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18},
}
TOOL_COMPLETION = {
    "id": "chatcmpl-def", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None,
        "tool_calls": [{"id": "call_1", "type": "function",
                        "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
    "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39},
}
STREAM = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}},
]
TOOL_STREAM = [
    {"choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [
        {"index": 0, "id": "call_9", "type": "function", "function": {"name": "add", "arguments": ""}}]},
        "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\":"}}]},
                  "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"arguments": "1}"}}]},
                  "finish_reason": None}]},
    {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
]


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


class Recorder:
    """A MockTransport that answers with canned bodies and keeps what it was sent."""

    def __init__(self, status: int = 200, body: Any = COMPLETION, stream: bytes | None = None) -> None:
        self.sent: list[httpx.Request] = []
        self.status, self.body, self.stream = status, body, stream

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.stream is not None:
            return httpx.Response(200, content=self.stream, headers={"content-type": "text/event-stream"})
        return httpx.Response(self.status, json=self.body)

    def provider(self) -> OpenAIProvider:
        return OpenAIProvider(transport=httpx.MockTransport(self.handler))

    def payload(self) -> dict[str, Any]:
        return json.loads(self.sent[-1].content)


def req(**kwargs: Any) -> ProviderRequest:
    kwargs.setdefault("messages", [{"role": "user", "content": "hi"}])
    return ProviderRequest(model="gpt-4o-mini", api_key="sk-test", **kwargs)


def test_request_mapping_and_plain_completion() -> None:
    recorder = Recorder()
    tools = [{"name": "get_weather", "description": "w", "parameters": {"type": "object"}}]
    done = asyncio.run(recorder.provider().complete(req(
        tools=tools, tool_choice="auto", max_tokens=50, stop=["\n"], temperature=0.1,
        response_format={"type": "json_schema", "json_schema": {"type": "object"}}, other={"user": "u1"})))
    assert (done.output, done.prompt_tokens, done.output_tokens, done.finish_reason) == (
        "Hello! How can I help?", 12, 6, "stop")
    sent = recorder.sent[-1]
    assert sent.url.path.endswith("/chat/completions") and sent.headers["authorization"] == "Bearer sk-test"
    payload = recorder.payload()
    assert payload["tools"] == [{"type": "function", "function": tools[0]}]
    assert payload["response_format"] == {"type": "json_schema",
                                          "json_schema": {"name": "response", "schema": {"type": "object"}}}
    assert (payload["max_tokens"], payload["stop"], payload["user"]) == (50, ["\n"], "u1")
    assert "stream" not in payload


def test_tool_call_completion() -> None:
    done = asyncio.run(Recorder(body=TOOL_COMPLETION).provider().complete(req()))
    assert done.finish_reason == "tool_calls" and done.output == ""
    assert done.tool_calls == [{"id": "call_1", "type": "function",
                                "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]


async def collect(provider: OpenAIProvider, request: ProviderRequest) -> list[Any]:
    return [chunk async for chunk in provider.stream(request)]


def test_stream_text_and_usage() -> None:
    recorder = Recorder(stream=sse(STREAM))
    chunks = asyncio.run(collect(recorder.provider(), req()))
    assert "".join(c.output for c in chunks) == "Hello"
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]
    assert (chunks[-1].prompt_tokens, chunks[-1].output_tokens) == (5, 2)
    assert recorder.payload()["stream"] is True and recorder.payload()["stream_options"] == {"include_usage": True}


def test_stream_tool_call_deltas_keep_id_and_name() -> None:
    chunks = asyncio.run(collect(Recorder(stream=sse(TOOL_STREAM)).provider(), req()))
    deltas = [d for c in chunks for d in c.tool_calls or []]
    assert {d["id"] for d in deltas} == {"call_9"} and {d["function"]["name"] for d in deltas} == {"add"}
    assert "".join(d["function"]["arguments"] for d in deltas) == "{\"a\":1}"


@pytest.mark.parametrize(("status", "expected"), [(401, 400), (404, 400), (429, 429), (500, 502), (503, 503)])
def test_upstream_errors(status: int, expected: int) -> None:
    body = {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
    with pytest.raises(ProviderError) as failed:
        asyncio.run(Recorder(status=status, body=body).provider().complete(req()))
    assert failed.value.status == expected and str(status) in str(failed.value)


def test_missing_key_is_a_clear_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ProviderError, match="OPENAI_API_KEY") as failed:
        asyncio.run(Recorder().provider().complete(ProviderRequest(model="m", messages=[])))
    assert failed.value.status == 400


def test_env_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://llm.local:8080/v1/")
    recorder = Recorder()
    asyncio.run(recorder.provider().complete(ProviderRequest(model="m", messages=[])))
    assert str(recorder.sent[-1].url) == "http://llm.local:8080/v1/chat/completions"
    assert recorder.sent[-1].headers["authorization"] == "Bearer sk-env"


def test_through_the_server_with_provider_api_keys(tmp_path: Any) -> None:
    recorder = Recorder(stream=None)
    registry = ProviderRegistry({"mock": MockProvider(), "openai": recorder.provider()})
    with LocalServer(db=tmp_path / "db.sqlite", providers=registry) as srv, httpx.Client(
        base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        body = {"path": "openai/p", "prompt": {"model": "gpt-4o-mini", "provider": "openai", "template": "Hi {{n}}"},
                "inputs": {"n": "Bo"}, "provider_api_keys": {"openai": "sk-from-call"}}
        called = http.post("/prompts/call", json=body).json()
        assert called["logs"][0]["output"] == "Hello! How can I help?"
        assert called["logs"][0]["prompt_tokens"] == 12
        assert recorder.sent[-1].headers["authorization"] == "Bearer sk-from-call"
        assert recorder.payload()["messages"] == [{"role": "user", "content": "Hi Bo"}]
        stored = http.get(f"/logs/{called['id']}").json()
        assert "sk-from-call" not in json.dumps(stored)  # the provider key is never stored

        recorder.stream = sse(STREAM)
        with http.stream("POST", "/prompts/call", json={**body, "stream": True}) as streamed:
            items = sse_items(streamed)
        assert "".join(i.get("output", "") for i in items) == "Hello"
        assert items[-1]["output_tokens"] == 2


def test_unreadable_upstream_answer_is_a_logged_502_not_a_crash(tmp_path: Any) -> None:
    recorder = Recorder(body={"choices": "not a list"}, stream=b"data: {not json}\n\n")
    registry = ProviderRegistry({"openai": recorder.provider()})
    with LocalServer(db=tmp_path / "db.sqlite", providers=registry) as srv, httpx.Client(
        base_url=srv.base_url, headers={"X-API-KEY": srv.api_key}) as http:
        body = {"path": "openai/broken", "prompt": {"model": "m", "provider": "openai"},
                "provider_api_keys": {"openai": "sk-x"}}
        with http.stream("POST", "/prompts/call", json={**body, "stream": True}) as streamed:
            items = sse_items(streamed)
        assert "openai provider failed" in items[-1]["error"]
        recorder.stream = None
        plain = http.post("/prompts/call", json=body)
        assert plain.status_code == 502 and "openai provider failed" in plain.json()["detail"]
        file_id = http.get(f"/logs/{items[-1]['id']}").json()["prompt"]["id"]
        logged = http.get("/logs", params={"file_id": file_id}).json()["records"]
        assert len(logged) == 2 and all("failed" in log["error"] for log in logged)


def test_calls_in_one_loop_share_one_pooled_client() -> None:
    provider = Recorder().provider()

    async def twice() -> set[int]:
        await provider.complete(req())
        first = provider._client()
        await provider.complete(req(seed=7))
        return {id(first), id(provider._client())}

    assert len(asyncio.run(twice())) == 1
