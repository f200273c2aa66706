"""With httpx instrumentation on, a call's spans form one tree, as the OpenAI
instrumentation's do: app span > ``chat {model}`` > httpx span > server span, for plain
and streamed calls, sync and async. The server span comes from a small ASGI middleware
that continues the W3C context it receives, as any instrumented server does.

Also: streams of a stored prompt (no kernel sent) are named by their model; one model's
metrics share one attribute set; a stream broken off early ends with an error status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import propagate
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from humanloop_core import AsyncHumanloop, Humanloop
from humanloop_core.server import LocalServer, local
from tests.tracing.conftest import Otel

KERNEL = {"model": "mock-1", "provider": "mock"}
MESSAGES = [{"role": "user", "content": "hello there"}]


class ServerSpans:
    """ASGI middleware: one SERVER span per request, continuing the caller's trace."""

    def __init__(self, app: Any, otel: Otel) -> None:
        self.app = app
        self.tracer = otel.tracer_provider.get_tracer("server")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with self.tracer.start_as_current_span(f"server {scope['method']} {scope['path']}",
                                               context=propagate.extract(carrier), kind=SpanKind.SERVER):
            await self.app(scope, receive, send)


@pytest.fixture
def traced_server(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalServer]:
    build = local.create_app
    monkeypatch.setattr(local, "create_app", lambda *a, **k: ServerSpans(build(*a, **k), otel))
    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:  # left on by another test
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=otel.tracer_provider)
    try:
        with LocalServer() as server:
            yield server
    finally:
        instrumentor.uninstrument()


def _options(server: LocalServer, otel: Otel) -> dict[str, Any]:
    return {"api_key": server.api_key, "base_url": server.base_url, "max_retries": 0,
            "tracer_provider": otel.tracer_provider, "meter_provider": otel.meter_provider}


async def _call(server: LocalServer, otel: Otel, mode: str, streamed: bool, **call: Any) -> None:
    if mode == "sync":
        with Humanloop(**_options(server, otel)) as client:
            if streamed:
                assert list(client.prompts.call(stream=True, **call))
            else:
                client.prompts.call(**call)
    else:
        async with AsyncHumanloop(**_options(server, otel)) as aclient:
            if streamed:
                assert [item async for item in await aclient.prompts.call(stream=True, **call)]
            else:
                await aclient.prompts.call(**call)


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def _child(spans: list[ReadableSpan], parent: ReadableSpan) -> ReadableSpan:
    children = _children(spans, parent)
    assert len(children) == 1, [s.name for s in children]
    return children[0]


def _server_span(otel: Otel, http: ReadableSpan) -> ReadableSpan:
    """The server thread ends its span just after the last byte is sent, which may be
    after the client is done: wait for it (bounded)."""
    deadline = time.monotonic() + 5
    while not _children(otel.spans(), http) and time.monotonic() < deadline:
        time.sleep(0.005)
    return _child(otel.spans(), http)


@pytest.mark.parametrize("streamed", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_app_chat_httpx_server_is_one_chain(
    traced_server: LocalServer, otel: Otel, mode: str, streamed: bool,
) -> None:
    with otel.tracer_provider.get_tracer("app").start_as_current_span("app"):
        await _call(traced_server, otel, mode, streamed, path="tracing/tree", prompt=KERNEL,
                    messages=MESSAGES)
    spans = otel.spans()
    app = next(s for s in spans if s.name == "app")
    chat = _child(spans, app)
    assert chat.name == "chat mock-1" and chat.kind is SpanKind.CLIENT
    http = _child(spans, chat)
    assert http.kind is SpanKind.CLIENT and http.name.startswith("POST")
    http_attrs = http.attributes or {}  # old or new HTTP semconv, as the instrumentation emits
    assert http_attrs.get("http.response.status_code", http_attrs.get("http.status_code")) == 200
    server = _server_span(otel, http)
    assert server.kind is SpanKind.SERVER and server.name.endswith("/prompts/call")
    assert {s.context.trace_id for s in otel.spans()} == {app.context.trace_id}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stream_of_a_stored_prompt_is_named_by_its_model(
    traced_server: LocalServer, otel: Otel, mode: str,
) -> None:
    with Humanloop(api_key=traced_server.api_key, base_url=traced_server.base_url) as setup:
        setup.prompts.upsert(path="tracing/stored", **KERNEL)
    otel.exporter.clear()
    await _call(traced_server, otel, mode, True, path="tracing/stored", messages=MESSAGES)
    (chat,) = [s for s in otel.spans() if (s.attributes or {}).get("gen_ai.operation.name") == "chat"]
    attrs = chat.attributes or {}
    assert chat.name == "chat mock-1"
    assert attrs["gen_ai.provider.name"] == "mock"
    assert attrs["gen_ai.request.model"] == attrs["gen_ai.response.model"] == "mock-1"


async def test_one_models_metrics_share_one_attribute_set(traced_server: LocalServer, otel: Otel) -> None:
    with Humanloop(api_key=traced_server.api_key, base_url=traced_server.base_url) as setup:
        setup.prompts.upsert(path="tracing/metrics", **KERNEL)
    for streamed in (False, True):
        await _call(traced_server, otel, "sync", streamed, path="tracing/metrics", prompt=KERNEL,
                    messages=MESSAGES)  # kernel sent
        await _call(traced_server, otel, "async", streamed, path="tracing/metrics",
                    messages=MESSAGES)  # the stored version, by path
    sets = {frozenset(p.attributes.items()) for p in otel.points("gen_ai.client.operation.duration")}
    assert len(sets) == 1, sets
    (only,) = sets
    assert dict(only)["gen_ai.response.model"] == "mock-1"
    assert dict(only)["gen_ai.provider.name"] == "mock"
    (ttfc,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert frozenset(ttfc.attributes.items()) == only and ttfc.count == 2
    tokens = {frozenset((k, v) for k, v in p.attributes.items() if k != "gen_ai.token.type")
              for p in otel.points("gen_ai.client.token.usage")}
    assert tokens == {only}


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_stream_broken_off_early_ends_with_an_error_status(
    local_server: LocalServer, otel: Otel, mode: str,
) -> None:
    options = _options(local_server, otel)
    call = {"path": "tracing/broken", "prompt": KERNEL, "messages": MESSAGES, "stream": True}
    if mode == "sync":
        with Humanloop(**options) as client, client.prompts.call(**call) as stream:
            next(iter(stream))
    else:
        async with AsyncHumanloop(**options) as aclient:
            stream = await aclient.prompts.call(**call)
            async with stream:
                await stream.__anext__()
    (chat,) = [s for s in otel.spans() if s.name == "chat mock-1"]
    assert chat.status.status_code is StatusCode.ERROR
    assert (chat.attributes or {})["error.type"] == "incomplete_stream"
    assert (chat.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "incomplete_stream"
