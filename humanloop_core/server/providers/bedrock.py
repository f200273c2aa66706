"""The ``bedrock`` provider: Amazon Bedrock's Converse and ConverseStream APIs.

Auth, as AWS's own tools resolve it: a Bedrock API key (``provider_api_keys.bedrock`` in
the call, else ``AWS_BEARER_TOKEN_BEDROCK``) sent as a bearer token; otherwise the
standard credential chain (environment, shared files and profiles, SSO, container and
instance roles) resolved by botocore, then each request signed with SigV4 (``_sigv4``). botocore is
needed only for that second path (extra ``bedrock``). Region: ``AWS_REGION`` /
``AWS_DEFAULT_REGION`` / the profile's; endpoint: ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` or
``AWS_ENDPOINT_URL``, else the region's. Streams are AWS event-stream frames.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import httpx

from . import _sigv4 as sigv4
from ._convert import arguments, data_url, image_url, parts_of, text_of
from ._eventstream import EventStreamDecoder, EventStreamError
from ._http import HttpProvider, server_status
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
          "guardrail_intervened": "content_filter", "content_filtered": "content_filter"}
# Exceptions a stream can carry, by the status the same failure has on a plain call.
_EXCEPTION_STATUS = {"throttlingException": 429, "validationException": 400, "serviceUnavailableException": 503,
                     "modelStreamErrorException": 502, "internalServerException": 500,
                     "modelTimeoutException": 504}
_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif",
                  "image/webp": "webp"}


def _content(message: dict[str, Any]) -> list[dict[str, Any]]:
    if message.get("role") == "tool":
        return [{"toolResult": {"toolUseId": message.get("tool_call_id") or "",
                                "content": [{"text": text_of(message.get("content"))}]}}]
    blocks: list[dict[str, Any]] = []
    for part in parts_of(message.get("content")):
        if part.get("type") == "text" and part.get("text"):
            blocks.append({"text": part["text"]})
        elif part.get("type") == "image_url":
            inline = data_url("bedrock", image_url(part))
            if inline is None or inline[0] not in _IMAGE_FORMATS:
                raise ProviderError("the bedrock provider takes images as data: URLs of png, jpeg, gif "
                                    "or webp", 400)
            blocks.append({"image": {"format": _IMAGE_FORMATS[inline[0]], "source": {"bytes": inline[1]}}})
    for call in message.get("tool_calls") or []:
        blocks.append({"toolUse": {"toolUseId": call.get("id", ""),
                                   "name": (call.get("function") or {}).get("name", ""),
                                   "input": arguments("bedrock", call)}})
    return blocks


def build_payload(request: ProviderRequest) -> dict[str, Any]:
    system = [{"text": text_of(m.get("content"))} for m in request.messages
              if m.get("role") in ("system", "developer") and text_of(m.get("content"))]
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        if message.get("role") in ("system", "developer"):
            continue
        role = "assistant" if message.get("role") == "assistant" else "user"
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"].extend(_content(message))
        else:
            messages.append({"role": role, "content": _content(message)})
    payload: dict[str, Any] = {"messages": messages}
    if system:
        payload["system"] = system
    inference = {"maxTokens": request.max_tokens, "temperature": request.temperature, "topP": request.top_p,
                 "stopSequences": request.stop or None}
    inference = {k: v for k, v in inference.items() if v is not None}
    if inference:
        payload["inferenceConfig"] = inference
    # Converse has no "none" tool choice: the tools are then not offered, unless the
    # conversation already holds tool blocks, which Converse accepts only with a toolConfig.
    holds_tools = any("toolUse" in b or "toolResult" in b for m in messages for b in m["content"])
    if request.tools and (request.tool_choice != "none" or holds_tools):
        tools = [{"toolSpec": {"name": t["name"], "description": t.get("description") or t["name"],
                               "inputSchema": {"json": t.get("parameters") or {"type": "object", "properties": {}}}}}
                 for t in request.tools]
        config: dict[str, Any] = {"tools": tools}
        choice = request.tool_choice
        if isinstance(choice, dict):
            config["toolChoice"] = {"tool": {"name": (choice.get("function") or {}).get("name", "")}}
        elif choice in ("auto", "required"):
            config["toolChoice"] = {"auto": {}} if choice == "auto" else {"any": {}}
        payload["toolConfig"] = config
    if request.other:
        payload["additionalModelRequestFields"] = dict(request.other)
    return payload


def _usage(usage: dict[str, Any]) -> tuple[int, int]:
    prompt = sum(int(usage.get(k) or 0) for k in ("inputTokens", "cacheReadInputTokens", "cacheWriteInputTokens"))
    return prompt, int(usage.get("outputTokens") or 0)


def completion_from_wire(body: dict[str, Any]) -> Completion:
    blocks = ((body.get("output") or {}).get("message") or {}).get("content") or []
    calls = [{"id": b["toolUse"].get("toolUseId", ""), "type": "function",
              "function": {"name": b["toolUse"].get("name", ""), "arguments": json.dumps(b["toolUse"].get("input") or {})}}
             for b in blocks if "toolUse" in b]
    prompt_tokens, output_tokens = _usage(body.get("usage") or {})
    return Completion(output="".join(b["text"] for b in blocks if "text" in b), tool_calls=calls or None,
                      finish_reason=FINISH.get(body.get("stopReason") or "", "stop"),
                      prompt_tokens=prompt_tokens, output_tokens=output_tokens)


def chunk_from_event(kind: str, data: dict[str, Any], calls: dict[int, dict[str, str]]) -> Chunk | None:
    index = data.get("contentBlockIndex", 0)
    if kind == "contentBlockStart":
        use = (data.get("start") or {}).get("toolUse")
        if use:
            call = calls[index] = {"id": use.get("toolUseId", ""), "name": use.get("name", "")}
            return Chunk(tool_calls=[_call_delta(call, "")])
        return None
    if kind == "contentBlockDelta":
        delta = data.get("delta") or {}
        if "text" in delta:
            return Chunk(output=delta["text"])
        if "toolUse" in delta and index in calls:
            return Chunk(tool_calls=[_call_delta(calls[index], delta["toolUse"].get("input") or "")])
        return None
    if kind == "messageStop":
        return Chunk(finish_reason=FINISH.get(data.get("stopReason") or "", "stop"))
    if kind == "metadata":
        prompt_tokens, output_tokens = _usage(data.get("usage") or {})
        return Chunk(prompt_tokens=prompt_tokens, output_tokens=output_tokens)
    return None  # messageStart, contentBlockStop


def _call_delta(call: dict[str, str], piece: str) -> dict[str, Any]:
    return {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": piece}}


class _Signer:
    """The botocore credential chain, loaded on first use, and SigV4 signing. Resolving and
    refreshing credentials may read files or call a metadata service, so it runs in a
    worker thread, never on the event loop."""

    def __init__(self) -> None:
        try:
            import botocore.session  # type: ignore[import-untyped]
        except ImportError:
            raise ProviderError("bedrock without an API key needs AWS credentials through botocore: "
                                "pip install 'humanloop-core[bedrock]', or set AWS_BEARER_TOKEN_BEDROCK", 400) from None
        self._session = botocore.session.get_session()
        self._credentials: Any = None

    def region(self) -> str | None:
        return os.environ.get("AWS_REGION") or self._session.get_config_variable("region")

    def ready(self) -> bool:
        """Whether ``sign`` can run on the event loop: credentials resolved and not due
        for a refresh (resolving or refreshing may read files or call a metadata service)."""
        refresh_needed = getattr(self._credentials, "refresh_needed", None)
        return self._credentials is not None and not (refresh_needed and refresh_needed())

    def sign(self, method: str, url: str, body: bytes, region: str) -> dict[str, str]:
        if self._credentials is None:
            self._credentials = self._session.get_credentials()
        if self._credentials is None:
            raise ProviderError("no AWS credentials for bedrock: configure the AWS credential chain "
                                "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, a role) or set "
                                "AWS_BEARER_TOKEN_BEDROCK", 400)
        frozen = self._credentials.get_frozen_credentials()
        return sigv4.sign(method, url, body, region=region, service="bedrock", access_key=frozen.access_key,
                          secret_key=frozen.secret_key, token=frozen.token, now=datetime.now(timezone.utc))


class BedrockProvider(HttpProvider):
    name = "bedrock"
    capabilities = Capabilities(json_object=False, json_schema=False, seed=False, penalties=False,
                                max_temperature=1.0)

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None, timeout: float = 120.0) -> None:
        super().__init__(transport, timeout)
        self._signer: _Signer | None = None

    async def _prepare(self, request: ProviderRequest, action: str) -> tuple[str, bytes, dict[str, str], str | None]:
        check_supported(self.name, self.capabilities, request)
        body = json.dumps(build_payload(request)).encode()
        token = request.api_key or os.environ.get("AWS_BEARER_TOKEN_BEDROCK")
        signer: _Signer | None = None
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not token:
            if self._signer is None:
                self._signer = await asyncio.to_thread(_Signer)
            signer = self._signer
            region = region or await asyncio.to_thread(signer.region)
        if not region:
            raise ProviderError("no AWS region for bedrock: set AWS_REGION (or a profile's region)", 400)
        endpoint = (os.environ.get("AWS_ENDPOINT_URL_BEDROCK_RUNTIME") or os.environ.get("AWS_ENDPOINT_URL")
                    or f"https://bedrock-runtime.{region}.amazonaws.com").rstrip("/")
        url = f"{endpoint}/model/{quote(request.model, safe='')}/{action}"
        if signer is None:
            headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        elif signer.ready():  # signing alone is a few HMACs: no thread hop for it
            headers = signer.sign("POST", url, body, region)
        else:
            headers = await asyncio.to_thread(signer.sign, "POST", url, body, region)
        return url, body, headers, token

    async def complete(self, request: ProviderRequest) -> Completion:
        url, body, headers, secret = await self._prepare(request, "converse")
        async for answer in self._send("POST", url, headers, secret, body, _read_json):
            return completion_from_wire(answer)
        raise ProviderError("bedrock answered nothing", 502)

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        url, body, headers, secret = await self._prepare(request, "converse-stream")
        calls: dict[int, dict[str, str]] = {}
        async for kind, data in self._send("POST", url, headers, secret, body, _events):
            chunk = chunk_from_event(kind, data, calls)
            if chunk is not None:
                yield chunk


async def _read_json(response: httpx.Response) -> AsyncIterator[Any]:
    await response.aread()
    yield response.json()


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    decoder = EventStreamDecoder()
    async for data in response.aiter_bytes():
        try:
            messages = decoder.feed(data)
        except EventStreamError as exc:
            raise ProviderError(f"bedrock stream unreadable: {exc}", 502) from None
        for message in messages:
            payload = json.loads(message.payload or b"{}")
            if message.headers.get(":message-type") == "exception":
                kind = str(message.headers.get(":exception-type", "exception"))
                raise ProviderError(f"bedrock stream failed ({kind}): {payload.get('message')}",
                                    server_status(_EXCEPTION_STATUS.get(kind, 500)))
            yield str(message.headers.get(":event-type", "")), payload
