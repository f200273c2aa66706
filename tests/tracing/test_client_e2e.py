"""Tracing through the real client: against the local server over loopback, sync and async.

Each test runs twice through the ``hl`` fixture (sync ``Humanloop`` / ``AsyncHumanloop``),
whose helpers hide only ``await`` and ``async for``. Requests are seen through an httpx
event hook, so the ``traceparent`` checked is the one that went over the wire.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import httpx
import pytest
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, StatusCode

from humanloop_core import AsyncHumanloop, AuthenticationError, Humanloop, NotFoundError
from humanloop_core._tracing import _telemetry
from tests.tracing.conftest import Otel, make_otel

CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
KERNEL = {"model": "mock-1", "provider": "mock", "temperature": 0.3, "max_tokens": 50}
MESSAGES = [{"role": "user", "content": "hello there"}]
PROVIDER_KEY = "sk-provider-secret-4242"


class Client:
    """One of the two clients, with a uniform async face for the tests."""

    def __init__(self, kind: str, server: Any, otel: Otel, **kwargs: Any) -> None:
        self.kind = kind
        self.sent: list[httpx.Request] = []
        options: dict[str, Any] = {
            "api_key": server.api_key, "base_url": server.base_url,
            "tracer_provider": otel.tracer_provider, "meter_provider": otel.meter_provider, **kwargs,
        }
        if kind == "sync":
            http = httpx.Client(event_hooks={"request": [self.sent.append]})
            self.client: Any = Humanloop(http_client=http, **options)
        else:
            async def hook(request: httpx.Request) -> None:
                self.sent.append(request)

            self.client = AsyncHumanloop(http_client=httpx.AsyncClient(event_hooks={"request": [hook]}), **options)

    async def _maybe(self, value: Any) -> Any:
        return await value if self.kind == "async" else value

    async def call(self, **kwargs: Any) -> Any:
        return await self._maybe(self.client.prompts.call(**kwargs))

    async def get(self, prompt_id: str) -> Any:
        return await self._maybe(self.client.prompts.get(prompt_id))

    async def stream(self, limit: int | None = None, **kwargs: Any) -> list[Any]:
        """Read the stream to its end, or only ``limit`` items and then drop it."""
        stream = await self._maybe(self.client.prompts.call(stream=True, **kwargs))
        items: list[Any] = []
        if self.kind == "sync":
            for item in stream:
                items.append(item)
                if len(items) == limit:
                    break
        else:
            async for item in stream:
                items.append(item)
                if len(items) == limit:
                    break
            if limit is not None:
                await stream.aclose()  # an async generator cannot be finalised synchronously
        del stream  # a sync stream broken off and dropped is closed right away
        gc.collect()
        return items


@pytest.fixture(params=["sync", "async"])
def hl(request: pytest.FixtureRequest, local_server: Any, otel: Otel) -> Client:
    return Client(request.param, local_server, otel)


def _chat_span(otel: Otel) -> Any:
    spans = [s for s in otel.spans() if s.attributes and s.attributes.get("gen_ai.operation.name") == "chat"]
    assert len(spans) == 1, [s.name for s in otel.spans()]
    return spans[0]


async def test_call_span(hl: Client, otel: Otel, local_server: Any) -> None:
    result = await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    span = _chat_span(otel)
    assert span.name == "chat mock-1"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attrs = dict(span.attributes or {})
    url = httpx.URL(local_server.base_url)
    log = result.logs[0]
    assert attrs == {
        **attrs,
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "mock",
        "gen_ai.request.model": "mock-1",
        "gen_ai.request.temperature": 0.3,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.response.id": result.id,
        "humanloop.log.id": result.id,
        "gen_ai.response.model": "mock-1",
        "gen_ai.response.finish_reasons": (log.finish_reason,),
        "gen_ai.usage.input_tokens": log.prompt_tokens,
        "gen_ai.usage.output_tokens": log.output_tokens,
        "gen_ai.prompt.name": "tracing/e2e",
        "humanloop.prompt.id": result.prompt.id,
        "humanloop.prompt.version_id": result.prompt.version_id,
        "server.address": url.host,
        "server.port": url.port,
    }
    assert "gen_ai.request.stream" not in attrs
    assert "gen_ai.input.messages" not in attrs and "gen_ai.output.messages" not in attrs
    tokens = {p.attributes["gen_ai.token.type"]: p.sum for p in otel.points("gen_ai.client.token.usage")}
    assert tokens == {"input": log.prompt_tokens, "output": log.output_tokens}
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes["gen_ai.provider.name"] == "mock" and duration.count == 1


async def test_stream_span(hl: Client, otel: Otel) -> None:
    items = await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    assert len(items) > 1
    span = _chat_span(otel)
    attrs = span.attributes or {}
    assert span.name == "chat mock-1"
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == items[-1].id
    assert attrs["gen_ai.response.finish_reasons"] == (items[-1].finish_reason,)
    assert attrs["gen_ai.usage.output_tokens"] == items[-1].output_tokens
    assert attrs["gen_ai.response.time_to_first_chunk"] > 0
    assert span.status.status_code is StatusCode.UNSET
    (ttfc,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1


async def test_stream_broken_off_early_ends_one_span(hl: Client, otel: Otel) -> None:
    items = await hl.stream(limit=1, path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    assert len(items) == 1
    span = _chat_span(otel)
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)
    assert span.end_time is not None
    assert sum(p.count for p in otel.points("gen_ai.client.operation.duration")) == 1


async def test_nested_under_the_callers_span_with_matching_traceparent(hl: Client, otel: Otel) -> None:
    tracer = otel.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("chain") as parent:
        await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
        await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
        assert trace.get_current_span() is parent

    children = [s for s in otel.spans() if s.name == "chat mock-1"]
    assert len(children) == 2 and len(hl.sent) == 2
    for child, request in zip(children, hl.sent, strict=True):
        assert child.parent is not None
        assert child.parent.span_id == parent.get_span_context().span_id
        ctx = child.get_span_context()
        _, trace_id, span_id, _ = request.headers["traceparent"].split("-")
        assert (trace_id, span_id) == (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")


async def test_plain_operation_and_its_failure(hl: Client, otel: Otel) -> None:
    result = await hl.call(path="tracing/plain", prompt=KERNEL, messages=MESSAGES)
    otel.exporter.clear()
    await hl.get(result.prompt.id)
    with pytest.raises(NotFoundError):
        await hl.get("pr_does_not_exist")

    ok, missing = otel.spans()
    assert ok.name == missing.name == "GET prompts.get"
    assert ok.kind is SpanKind.CLIENT
    assert (ok.attributes or {})["http.request.method"] == "GET"
    assert str((ok.attributes or {})["url.full"]).endswith(f"/prompts/{result.prompt.id}")
    assert ok.status.status_code is StatusCode.UNSET
    assert (ok.attributes or {})["http.response.status_code"] == 200
    assert missing.status.status_code is StatusCode.ERROR
    assert (missing.attributes or {})["error.type"] == "404"
    assert (missing.attributes or {})["http.response.status_code"] == 404


async def test_content_only_on_opt_in(hl: Client, otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
    assert "gen_ai.input.messages" not in (otel.span().attributes or {})
    otel.exporter.clear()

    monkeypatch.setenv(CAPTURE, "true")
    result = await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
    await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    plain, streamed = otel.spans()
    for span in (plain, streamed):
        sent = json.loads(str((span.attributes or {})["gen_ai.input.messages"]))
        assert sent == [{"role": "user", "parts": [{"type": "text", "content": "hello there"}]}]
    (out,) = json.loads(str((plain.attributes or {})["gen_ai.output.messages"]))
    assert out["parts"] == [{"type": "text", "content": result.logs[0].output}]
    (streamed_out,) = json.loads(str((streamed.attributes or {})["gen_ai.output.messages"]))
    assert streamed_out["parts"] == out["parts"] and streamed_out["finish_reason"] == out["finish_reason"]


async def test_no_key_anywhere(hl: Client, otel: Otel, monkeypatch: pytest.MonkeyPatch, local_server: Any) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    keys = {"openai": PROVIDER_KEY}
    await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES, provider_api_keys=keys)
    await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES, provider_api_keys=keys)
    with pytest.raises(NotFoundError):
        await hl.get("pr_does_not_exist")

    wrong_key = "hl-wrong-key-0123456789"
    bad = Client(hl.kind, local_server, otel, api_key=wrong_key)
    with pytest.raises(AuthenticationError):
        await bad.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    assert len(otel.spans()) == 4
    assert otel.spans()[-1].status.status_code is StatusCode.ERROR
    dumped = "".join(span.to_json() for span in otel.spans())
    assert wrong_key not in dumped
    assert local_server.api_key not in dumped
    assert PROVIDER_KEY not in dumped
    names = {k.lower() for span in otel.spans() for k in (span.attributes or {})}
    assert not {k for k in names if "key" in k or "auth" in k or "header" in k}


async def test_suppressed_instrumentation(hl: Client, otel: Otel) -> None:
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
        await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
    finally:
        context.detach(token)
    assert otel.spans() == []
    assert otel.metric_names() == set()
    assert all("traceparent" not in r.headers for r in hl.sent)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_unsampled_calls_do_no_serialisation_work(
    kind: str, local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    called: list[str] = []
    for name in ("to_json", "input_messages", "output_message", "chat_request_attrs", "chat_response_attrs"):
        monkeypatch.setattr(_telemetry, name, lambda *a, _n=name, **k: called.append(_n))
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    off = make_otel(ALWAYS_OFF)
    hl = Client(kind, local_server, off)
    await hl.call(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)
    await hl.stream(path="tracing/e2e", prompt=KERNEL, messages=MESSAGES)

    assert called == []
    assert off.spans() == []
    assert all(not int(r.headers["traceparent"][-2:], 16) & 1 for r in hl.sent)
