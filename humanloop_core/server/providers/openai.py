"""The ``openai`` provider and the providers that speak its dialect (Azure, Groq, DeepSeek).

Works with OpenAI itself and with servers that speak its API (vLLM, Ollama, llama.cpp).
Key: the call's ``provider_api_keys.openai``, else ``OPENAI_API_KEY`` in the server's
environment; base URL: ``OPENAI_BASE_URL``, else OpenAI's. Converters are pure module
functions; the classes only say where to send and with which header.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

from ._http import HttpProvider, Target, api_key, base_url
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

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


def prompt_text(messages: list[dict[str, Any]]) -> str:
    """The text a completion (not chat) endpoint gets: the messages' text, in order."""
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        parts.append(content or "")
    return "\n".join(parts)


def build_payload(request: ProviderRequest, stream: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": request.model}
    if request.endpoint == "complete":
        payload["prompt"] = prompt_text(request.messages)
        if request.suffix is not None:
            payload["suffix"] = request.suffix
    else:
        payload["messages"] = to_wire_messages(request.messages)
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
        "n": request.n if request.n > 1 else None,
        "reasoning_effort": request.reasoning_effort,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    if request.logprobs:
        if request.endpoint == "complete":
            payload["logprobs"] = request.logprobs
        else:
            payload.update(logprobs=True, top_logprobs=request.logprobs)
    payload.update(request.other)
    if stream:
        payload["stream"] = True
        payload["stream_options"] = {"include_usage": True}
    return payload


def _calls_from_wire(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"id": c.get("id", ""), "type": "function",
             "function": {"name": c["function"]["name"], "arguments": c["function"].get("arguments", "")}}
            for c in message.get("tool_calls") or []]


def _usage(body: dict[str, Any]) -> dict[str, Any]:
    # Groq reports a stream's usage under x_groq.
    return body.get("usage") or (body.get("x_groq") or {}).get("usage") or {}


def completion_from_wire(body: dict[str, Any]) -> Completion:
    usage = _usage(body)
    samples = []
    for choice in sorted(body.get("choices") or [{}], key=lambda c: c.get("index", 0)):
        message = choice.get("message") or {}
        calls = _calls_from_wire(message)
        samples.append(Completion(
            output=message.get("content") or choice.get("text") or "", tool_calls=calls or None,
            finish_reason=choice.get("finish_reason") or "stop", prompt_tokens=0, output_tokens=0,
            logprobs=choice.get("logprobs")))
    first = samples[0]
    first.prompt_tokens = int(usage.get("prompt_tokens") or 0)
    first.output_tokens = int(usage.get("completion_tokens") or 0)
    first.alternatives = samples[1:]
    return first


def chunk_from_wire(event: dict[str, Any], calls: dict[tuple[int, int], dict[str, str]]) -> list[Chunk]:
    """One ``chat.completion.chunk`` -> Chunks (one per choice). ``calls`` remembers each
    tool call's id and name by (choice, index): OpenAI sends them only on a call's first delta."""
    usage = _usage(event)
    chunks = []
    for choice in event.get("choices") or []:
        sample = choice.get("index", 0)
        delta = choice.get("delta") or {}
        tool_calls = []
        for call in delta.get("tool_calls") or []:
            known = calls.setdefault((sample, call.get("index", 0)), {"id": "", "name": ""})
            fn = call.get("function") or {}
            known["id"] = call.get("id") or known["id"]
            known["name"] = fn.get("name") or known["name"]
            tool_calls.append({"id": known["id"], "type": "function",
                               "function": {"name": known["name"], "arguments": fn.get("arguments") or ""}})
        chunks.append(Chunk(output=delta.get("content") or choice.get("text") or "",
                            tool_calls=tool_calls or None, finish_reason=choice.get("finish_reason"),
                            index=sample, logprobs=choice.get("logprobs") or None))
    if usage:
        if not chunks:
            chunks.append(Chunk())
        chunks[-1].prompt_tokens = usage.get("prompt_tokens")
        chunks[-1].output_tokens = usage.get("completion_tokens")
    return chunks


class OpenAIProvider(HttpProvider):
    """OpenAI chat completions (and legacy completions for ``endpoint: complete``)."""

    name = "openai"
    capabilities = Capabilities(n=True, logprobs=True, endpoints=("chat", "complete"), reasoning=("effort",))
    key_env = "OPENAI_API_KEY"
    base_env = "OPENAI_BASE_URL"
    default_base = DEFAULT_BASE_URL
    path_prefix = ""

    def _key(self, request: ProviderRequest) -> str:
        return api_key(request, f"{self.name} API key", self.name, (self.key_env,))

    def _target(self, request: ProviderRequest) -> Target:
        base = base_url(self.base_env, self.default_base) + self.path_prefix
        path = "/completions" if request.endpoint == "complete" else "/chat/completions"
        return base + path, {"Authorization": f"Bearer {self._key(request)}"}

    async def complete(self, request: ProviderRequest) -> Completion:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        body = await self._post_json(url, build_payload(request, False), headers, request.api_key)
        return completion_from_wire(body)

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        calls: dict[tuple[int, int], dict[str, str]] = {}
        async for event in self._sse(url, build_payload(request, True), headers, request.api_key):
            # Read on past [DONE] to the end of the body: leaving a response unread closes
            # its connection, and the next call would pay a new TCP (and TLS) handshake.
            if event.data.strip() == "[DONE]":
                continue
            for chunk in chunk_from_wire(json.loads(event.data), calls):
                yield chunk


class AzureOpenAIProvider(OpenAIProvider):
    """Azure OpenAI: the prompt's ``model`` is the deployment name."""

    name = "openai_azure"
    capabilities = Capabilities(n=True, logprobs=True, reasoning=("effort",))
    key_env = "AZURE_OPENAI_API_KEY"
    default_api_version = "2024-10-21"

    def _target(self, request: ProviderRequest) -> Target:
        endpoint = request.endpoint_url or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ProviderError("no Azure OpenAI endpoint: pass provider_api_keys.openai_azure_endpoint "
                                "in the call or set AZURE_OPENAI_ENDPOINT where the server runs", 400)
        version = os.environ.get("OPENAI_API_VERSION") or self.default_api_version
        url = f"{endpoint.rstrip('/')}/openai/deployments/{request.model}/chat/completions?api-version={version}"
        return url, {"api-key": self._key(request)}


class GroqProvider(OpenAIProvider):
    name = "groq"
    # Groq's OpenAI dialect: n must be 1, no logprobs, penalties "not yet supported".
    capabilities = Capabilities(n=False, logprobs=False, penalties=False, reasoning=("effort",))
    key_env = "GROQ_API_KEY"
    base_env = "GROQ_BASE_URL"
    # GROQ_BASE_URL is the host, as Groq's SDK reads it; the API lives under /openai/v1.
    default_base = "https://api.groq.com"
    path_prefix = "/openai/v1"


class DeepSeekProvider(OpenAIProvider):
    name = "deepseek"
    capabilities = Capabilities(n=False, logprobs=True, json_schema=False, images=False, seed=False)
    key_env = "DEEPSEEK_API_KEY"
    base_env = "DEEPSEEK_BASE_URL"
    default_base = "https://api.deepseek.com"
