"""The ``replicate`` provider: a prediction on a language model hosted on Replicate.

Key: ``provider_api_keys.replicate``, else ``REPLICATE_API_TOKEN``; base URL
``REPLICATE_BASE_URL`` (as Replicate's SDK reads them). The prompt's ``model`` is
``owner/name`` (the model's current version) or ``owner/name:version``. Replicate models
take a ``prompt`` string, not a conversation: the system message goes in
``system_prompt`` and the other turns become a ``User:``/``Assistant:`` transcript ending
with ``Assistant:`` (one user message is sent as it is). Streams read the prediction's
``urls.stream`` event source; the token counts come from the finished prediction.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from ._convert import text_of
from ._http import HttpProvider, api_key, base_url
from .base import Capabilities, Chunk, Completion, ProviderError, ProviderRequest, check_supported

DEFAULT_BASE_URL = "https://api.replicate.com"
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
_SPEAKER = {"user": "User", "assistant": "Assistant", "tool": "Tool"}


def build_input(request: ProviderRequest) -> dict[str, Any]:
    system = "\n\n".join(text_of(m.get("content")) for m in request.messages
                         if m.get("role") in ("system", "developer"))
    turns = [m for m in request.messages if m.get("role") not in ("system", "developer")]
    if len(turns) == 1 and turns[0].get("role") == "user":
        prompt = text_of(turns[0].get("content"))
    else:
        lines = [f"{_SPEAKER.get(str(m.get('role')), 'User')}: {text_of(m.get('content'))}" for m in turns]
        prompt = "\n".join([*lines, "Assistant:"])
    values: dict[str, Any] = {
        "prompt": prompt, "system_prompt": system or None, "max_tokens": request.max_tokens,
        "temperature": request.temperature, "top_p": request.top_p, "seed": request.seed,
        # Replicate's language models take their stop sequences comma-separated.
        "stop_sequences": ",".join(request.stop) if request.stop else None,
        "presence_penalty": request.presence_penalty, "frequency_penalty": request.frequency_penalty,
    }
    return {**{k: v for k, v in values.items() if v is not None}, **request.other}


def _output(prediction: dict[str, Any]) -> str:
    output = prediction.get("output")
    if isinstance(output, list):
        return "".join(str(piece) for piece in output)
    return "" if output is None else str(output)


def completion_from_wire(prediction: dict[str, Any]) -> Completion:
    status = prediction.get("status")
    if status != "succeeded":
        raise ProviderError(f"replicate prediction {status}: {prediction.get('error') or 'no error given'}", 502)
    metrics = prediction.get("metrics") or {}
    return Completion(output=_output(prediction), tool_calls=None, finish_reason="stop",
                      prompt_tokens=int(metrics.get("input_token_count") or 0),
                      output_tokens=int(metrics.get("output_token_count") or 0))


class ReplicateProvider(HttpProvider):
    name = "replicate"
    capabilities = Capabilities(tools=False, json_object=False, json_schema=False, images=False,
                                endpoints=("chat", "complete"), max_temperature=5.0)
    poll_interval = 0.5

    def _key(self, request: ProviderRequest) -> str:
        return api_key(request, "Replicate API token", "replicate", ("REPLICATE_API_TOKEN",))

    def _create(self, request: ProviderRequest, stream: bool) -> tuple[str, dict[str, Any], dict[str, str]]:
        base = base_url("REPLICATE_BASE_URL", DEFAULT_BASE_URL)
        model, _, version = request.model.partition(":")
        if model.count("/") != 1:
            raise ProviderError(f"a replicate model is 'owner/name' or 'owner/name:version', not {request.model!r}",
                                400)
        body: dict[str, Any] = {"input": build_input(request)}
        if stream:
            body["stream"] = True
        url = f"{base}/v1/models/{model}/predictions"
        if version:
            url, body["version"] = f"{base}/v1/predictions", version
        headers = {"Authorization": f"Bearer {self._key(request)}"}
        if not stream:
            headers["Prefer"] = "wait"  # answer when done (up to a minute) instead of at once
        return url, body, headers

    async def _finished(self, prediction: dict[str, Any], headers: dict[str, str], secret: str) -> dict[str, Any]:
        """Poll ``urls.get`` until the prediction ends (sleeping on the loop, never blocking it)."""
        deadline = time.monotonic() + self._timeout
        while prediction.get("status") not in TERMINAL:
            if time.monotonic() > deadline:
                raise ProviderError(f"replicate prediction still {prediction.get('status')} after "
                                    f"{self._timeout:g}s", 504)
            await asyncio.sleep(self.poll_interval)
            url = (prediction.get("urls") or {}).get("get")
            if not url:
                raise ProviderError("replicate answered a prediction without urls.get", 502)
            prediction = await self._get_json(url, headers, secret)
        return prediction

    async def _get_json(self, url: str, headers: dict[str, str], secret: str) -> Any:
        async for body in self._send("GET", url, headers, secret, None, _read_json):
            return body
        raise ProviderError("replicate answered nothing", 502)

    async def complete(self, request: ProviderRequest) -> Completion:
        check_supported(self.name, self.capabilities, request)
        url, body, headers = self._create(request, False)
        key = headers["Authorization"][7:]
        prediction = await self._post_json(url, body, headers, key)
        headers.pop("Prefer")
        return completion_from_wire(await self._finished(prediction, headers, key))

    async def stream(self, request: ProviderRequest) -> AsyncIterator[Chunk]:
        check_supported(self.name, self.capabilities, request)
        url, body, headers = self._create(request, True)
        key = headers["Authorization"][7:]
        prediction = await self._post_json(url, body, headers, key)
        stream_url = (prediction.get("urls") or {}).get("stream")
        if not stream_url:
            raise ProviderError(f"replicate model {request.model!r} does not stream its output", 400)
        done = False
        async for event in self._sse(stream_url, None, headers, key, method="GET"):
            # Read to the end of the body even after "done": the connection then goes
            # back to the pool instead of being closed.
            if event.event == "output" and not done:
                yield Chunk(output=event.data)
            elif event.event == "error":
                raise ProviderError(f"replicate prediction failed: {event.data}", 502)
            elif event.event == "done":
                done = True
        # The event stream carries no usage: the finished prediction's metrics do.
        get_url = (prediction.get("urls") or {}).get("get")
        if not get_url:
            raise ProviderError("replicate answered a prediction without urls.get", 502)
        final = completion_from_wire(await self._finished(await self._get_json(get_url, headers, key),
                                                          headers, key))
        yield Chunk(finish_reason="stop", prompt_tokens=final.prompt_tokens, output_tokens=final.output_tokens)


async def _read_json(response: Any) -> AsyncIterator[Any]:
    await response.aread()
    yield response.json()
