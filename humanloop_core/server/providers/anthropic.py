"""The ``anthropic`` provider: the Messages API (``POST /v1/messages``), plain and SSE.

Key: ``provider_api_keys.anthropic``, else ``ANTHROPIC_API_KEY``; base URL
``ANTHROPIC_BASE_URL``. The system message goes in ``system``, ``max_tokens`` is always
sent (the API requires it), tool results travel as ``tool_result`` blocks of a user turn.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from ._convert import arguments, data_url, image_url, parts_of, schema_of, text_of
from ._http import HttpProvider, api_key, base_url, server_status
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
# The API requires max_tokens; used when the prompt sets none (-1 or unset).
DEFAULT_MAX_TOKENS = 4096
FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "pause_turn": "stop", "refusal": "content_filter"}


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    role = message.get("role")
    if role == "tool":
        return [{"type": "tool_result", "tool_use_id": message.get("tool_call_id") or "",
                 "content": text_of(message.get("content"))}]
    blocks: list[dict[str, Any]] = []
    for part in parts_of(message.get("content")):
        if part.get("type") == "text":
            if part.get("text"):
                blocks.append({"type": "text", "text": part["text"]})
        elif part.get("type") == "image_url":
            url = image_url(part)
            inline = data_url("anthropic", url)
            source = ({"type": "base64", "media_type": inline[0], "data": inline[1]} if inline
                      else {"type": "url", "url": url})
            blocks.append({"type": "image", "source": source})
    for call in message.get("tool_calls") or []:
        blocks.append({"type": "tool_use", "id": call.get("id", ""),
                       "name": (call.get("function") or {}).get("name", ""),
                       "input": arguments("anthropic", call)})
    return blocks


def to_wire_messages(messages: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
    """(system, messages): system messages joined into ``system``; tool messages become
    user turns; consecutive turns of one role merge (tool results must share one turn)."""
    system = [text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")]
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") in ("system", "developer"):
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        blocks = _blocks(message)
        if wire and wire[-1]["role"] == role:
            wire[-1]["content"].extend(blocks)
        else:
            wire.append({"role": role, "content": blocks})
    return ("\n\n".join(s for s in system if s) or None), wire


def _tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    if isinstance(choice, dict):
        return {"type": "tool", "name": (choice.get("function") or {}).get("name", "")}
    return {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}.get(choice)


def build_payload(request: ProviderRequest, stream: bool) -> dict[str, Any]:
    system, messages = to_wire_messages(request.messages)
    payload: dict[str, Any] = {"model": request.model, "messages": messages,
                               "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS}
    if system:
        payload["system"] = system
    if request.tools:
        payload["tools"] = [{"name": t["name"], "description": t.get("description") or "",
                             "input_schema": t.get("parameters") or {"type": "object", "properties": {}}}
                            for t in request.tools]
        choice = _tool_choice(request.tool_choice)
        if choice:
            payload["tool_choice"] = choice
    schema = schema_of(request.response_format)
    output_config: dict[str, Any] = {}
    if schema is not None:
        output_config["format"] = {"type": "json_schema", "schema": schema}
    effort = request.reasoning_effort
    if isinstance(effort, str):
        output_config["effort"] = effort
    elif isinstance(effort, int):
        payload["thinking"] = {"type": "enabled", "budget_tokens": effort}
        # The answer must have room after the thinking: max_tokens counts both.
        payload["max_tokens"] = max(payload["max_tokens"], effort + DEFAULT_MAX_TOKENS)
    if output_config:
        payload["output_config"] = output_config
    optional = {"temperature": request.temperature, "top_p": request.top_p,
                "stop_sequences": request.stop or None}
    payload.update({k: v for k, v in optional.items() if v is not None})
    payload.update(request.other)
    if stream:
        payload["stream"] = True
    return payload


def _prompt_tokens(usage: dict[str, Any]) -> int:
    return sum(int(usage.get(k) or 0) for k in
               ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))


def completion_from_wire(body: dict[str, Any]) -> Completion:
    blocks = body.get("content") or []
    calls = [{"id": b.get("id", ""), "type": "function",
              "function": {"name": b.get("name", ""), "arguments": json.dumps(b.get("input") or {})}}
             for b in blocks if b.get("type") == "tool_use"]
    usage = body.get("usage") or {}
    return Completion(
        output="".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
        tool_calls=calls or None, finish_reason=FINISH.get(body.get("stop_reason") or "", "stop"),
        prompt_tokens=_prompt_tokens(usage), output_tokens=int(usage.get("output_tokens") or 0))


class StreamState:
    """What a stream's later events need from its earlier ones: each content block's tool
    call (by block index) and the prompt tokens ``message_start`` reported."""

    def __init__(self) -> None:
        self.calls: dict[int, dict[str, str]] = {}
        self.prompt_tokens = 0


_ERROR_STATUS = {"overloaded_error": 529, "rate_limit_error": 429, "api_error": 500,
                 "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
                 "not_found_error": 404, "request_too_large": 413, "timeout_error": 504}


def chunk_from_event(kind: str, data: dict[str, Any], state: StreamState) -> Chunk | None:
    if kind == "message_start":
        state.prompt_tokens = _prompt_tokens((data.get("message") or {}).get("usage") or {})
        return None
    if kind == "content_block_start":
        block = data.get("content_block") or {}
        if block.get("type") == "tool_use":
            started = state.calls[data.get("index", 0)] = {"id": block.get("id", ""), "name": block.get("name", "")}
            return Chunk(tool_calls=[_call_delta(started, "")])
        return Chunk(output=block.get("text") or "") if block.get("text") else None
    if kind == "content_block_delta":
        delta = data.get("delta") or {}
        if delta.get("type") == "text_delta":
            return Chunk(output=delta.get("text") or "")
        if delta.get("type") == "input_json_delta":
            call = state.calls.get(data.get("index", 0))
            if call is not None:
                return Chunk(tool_calls=[_call_delta(call, delta.get("partial_json") or "")])
        return None
    if kind == "message_delta":
        usage = data.get("usage") or {}
        return Chunk(finish_reason=FINISH.get((data.get("delta") or {}).get("stop_reason") or "", "stop"),
                     prompt_tokens=state.prompt_tokens, output_tokens=int(usage.get("output_tokens") or 0))
    if kind == "error":
        error = data.get("error") or {}
        status = _ERROR_STATUS.get(error.get("type", ""), 500)
        raise ProviderError(f"anthropic stream failed ({error.get('type')}): {error.get('message')}",
                            server_status(status))
    return None  # ping, content_block_stop, message_stop


def _call_delta(call: dict[str, str], piece: str) -> dict[str, Any]:
    return {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": piece}}


class AnthropicProvider(HttpProvider):
    name = "anthropic"
    # No seed, penalties, n, logprobs or schema-less JSON mode in the Messages API.
    capabilities = Capabilities(json_object=False, seed=False, penalties=False, max_temperature=1.0,
                                reasoning=("effort", "budget"))

    def _target(self, request: ProviderRequest) -> tuple[str, dict[str, str]]:
        key = api_key(request, "Anthropic API key", "anthropic", ("ANTHROPIC_API_KEY",))
        base = base_url("ANTHROPIC_BASE_URL", DEFAULT_BASE_URL)
        return base + "/v1/messages", {"x-api-key": key, "anthropic-version": API_VERSION}

    async def complete(self, request: ProviderRequest) -> Completion:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        return completion_from_wire(await self._post_json(url, build_payload(request, False), headers,
                                                          request.api_key))

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        check_supported(self.name, self.capabilities, request)
        url, headers = self._target(request)
        state = StreamState()
        async for event in self._sse(url, build_payload(request, True), headers, request.api_key):
            data = event.json()
            chunk = chunk_from_event(data.get("type") or event.event, data, state)
            if chunk is not None:
                yield chunk
