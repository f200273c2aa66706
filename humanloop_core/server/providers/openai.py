"""The ``openai`` provider: any OpenAI-compatible chat-completions endpoint.

Works with OpenAI itself and with servers that speak its API (vLLM, Ollama, llama.cpp).
Key: the call's ``provider_api_keys.openai``, else ``OPENAI_API_KEY`` in the server's
environment; base URL: ``OPENAI_BASE_URL``, else OpenAI's. Converters are pure module
functions; the class only sends. Tests inject an ``httpx`` transport.
"""

from __future__ import annotations

import asyncio
import json
import os
import weakref
from collections.abc import AsyncIterator
from typing import Any

import httpx

from .base import Chunk, Completion, ProviderError, ProviderRequest

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_MESSAGE_KEYS = ("role", "content", "name", "tool_call_id", "tool_calls")


def to_wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Humanloop ChatMessages -> OpenAI messages (the shapes match; drop what OpenAI lacks)."""
    return [{k: m[k] for k in _MESSAGE_KEYS if m.get(k) is not None} for m in messages]


def _response_format(rf: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rf:
        return None
    if rf.get("type") == "json_schema":
        spec = rf.get("json_schema") or {}
        if "schema" not in spec:  # a bare schema: wrap it the way OpenAI expects
            spec = {"name": "response", "schema": spec}
        return {"type": "json_schema", "json_schema": spec}
    return {"type": rf.get("type", "json_object")}


def build_payload(request: ProviderRequest, stream: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": request.model, "messages": to_wire_messages(request.messages)}
    if request.tools:
        payload["tools"] = [{"type": "function", "function": {k: v for k, v in t.items() if v is not None}}
                            for t in request.tools]
        if request.tool_choice is not None:
            payload["tool_choice"] = request.tool_choice
    optional = {
        "response_format": _response_format(request.response_format),
        "max_tokens": request.max_tokens, "temperature": request.temperature,
        "top_p": request.top_p, "stop": request.stop or None, "seed": request.seed,
        "presence_penalty": request.presence_penalty,
        "frequency_penalty": request.frequency_penalty,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    payload.update(request.other)
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    return payload


def completion_from_wire(body: dict[str, Any]) -> Completion:
    choice = (body.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    calls = [{"id": c.get("id", ""), "type": "function",
              "function": {"name": c["function"]["name"], "arguments": c["function"].get("arguments", "")}}
             for c in message.get("tool_calls") or []]
    return Completion(
        output=message.get("content") or "", tool_calls=calls or None,
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
    )


def chunk_from_wire(event: dict[str, Any], calls: dict[int, dict[str, str]]) -> Chunk | None:
    """One ``chat.completion.chunk`` -> a Chunk. ``calls`` remembers each tool call's id and
    name by index, because OpenAI sends them only on a call's first delta."""
    usage = event.get("usage") or {}
    choice = (event.get("choices") or [None])[0]
    if choice is None:
        if not usage:
            return None
        return Chunk(prompt_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens"))
    delta = choice.get("delta") or {}
    tool_calls = []
    for call in delta.get("tool_calls") or []:
        known = calls.setdefault(call.get("index", 0), {"id": "", "name": ""})
        fn = call.get("function") or {}
        known["id"] = call.get("id") or known["id"]
        known["name"] = fn.get("name") or known["name"]
        tool_calls.append({"id": known["id"], "type": "function",
                           "function": {"name": known["name"], "arguments": fn.get("arguments") or ""}})
    return Chunk(output=delta.get("content") or "", tool_calls=tool_calls or None,
                 finish_reason=choice.get("finish_reason"),
                 prompt_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens"))


def _error_from_response(response: httpx.Response) -> ProviderError:
    try:
        detail = response.json().get("error", {}).get("message") or response.text
    except (ValueError, AttributeError):
        detail = response.text
    # A 4xx means this request can't succeed as sent; anything else is the provider failing.
    status = 400 if 400 <= response.status_code < 500 else 502
    return ProviderError(f"openai returned {response.status_code}: {detail[:500]}", status)


class OpenAIProvider:
    """Sends chat completions. One pooled ``httpx.AsyncClient`` per event loop, so calls
    reuse connections (and TLS sessions) instead of opening one each."""

    name = "openai"

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 120.0) -> None:
        self._transport = transport
        self._timeout = timeout
        # Keyed weakly by loop: a client belongs to the loop it first ran in.
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
            weakref.WeakKeyDictionary())

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = httpx.AsyncClient(transport=self._transport, timeout=self._timeout)
        return client

    @staticmethod
    def _target(request: ProviderRequest) -> tuple[str, dict[str, str]]:
        key = request.api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise ProviderError("no OpenAI API key: pass provider_api_keys.openai in the call or set "
                                "OPENAI_API_KEY where the server runs", 400)
        base = (os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        return base + "/chat/completions", {"Authorization": f"Bearer {key}"}

    async def complete(self, request: ProviderRequest) -> Completion:
        url, headers = self._target(request)
        try:
            response = await self._client().post(url, json=build_payload(request, False), headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderError(f"openai request failed: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _error_from_response(response)
        return completion_from_wire(response.json())

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        url, headers = self._target(request)
        calls: dict[int, dict[str, str]] = {}
        try:
            async with self._client().stream("POST", url, json=build_payload(request, True),
                                             headers=headers) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _error_from_response(response)
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    chunk = chunk_from_wire(json.loads(data), calls)
                    if chunk is not None:
                        yield chunk
        except httpx.HTTPError as exc:
            raise ProviderError(f"openai stream failed: {type(exc).__name__}") from exc
