"""Telemetry driven directly, as the transport drives it, with fake results and chunks."""

from __future__ import annotations

import gc
import json
import logging
from typing import Any

import pytest
from opentelemetry import context, metrics, propagate, trace
from opentelemetry.trace import SpanKind, StatusCode

from humanloop_core._tracing import NOOP, SUPPRESSED, _telemetry
from humanloop_core.tracing import Telemetry
from tests.tracing.conftest import Otel
from tests.tracing.fakes import (
    API_KEY,
    URL,
    FakeApiError,
    call_op,
    call_response,
    get_op,
    stream_items,
)

CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def test_chat_span_with_inline_kernel(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(), URL)
    inv.inject({})
    inv.succeed(call_response())

    span = otel.span()
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.stop_sequences": ("\n\n",),
        "gen_ai.request.seed": 7,
        "gen_ai.prompt.name": "demo/weather",
        "humanloop.prompt.id": "pr_1",
        "humanloop.prompt.version_id": "prv_1",
        "humanloop.environment": "production",
        "server.address": "api.example.test",
        "server.port": 443,
        "gen_ai.response.id": "log_1",
        "humanloop.log.id": "log_1",
        "humanloop.trace.id": "tr_1",
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5,
        "humanloop.cost": pytest.approx(0.003),
    }


def test_chat_span_named_after_the_stored_prompts_model(otel: Otel) -> None:
    """No kernel sent: the model and provider come from the version the server ran."""
    inv = otel.telemetry().start(call_op(kernel=None), URL)
    inv.succeed(call_response(model="claude-x", provider="bedrock"))

    span = otel.span()
    assert span.name == "chat claude-x"
    attrs = span.attributes or {}
    assert attrs["gen_ai.request.model"] == "claude-x"
    assert attrs["gen_ai.provider.name"] == "aws.bedrock"
    assert attrs["gen_ai.request.temperature"] == 0.5
    assert attrs["gen_ai.request.max_tokens"] == 128


def test_chat_span_without_a_known_model_is_named_chat(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(kernel=None), URL)
    inv.fail(FakeApiError(404))
    span = otel.span()
    assert span.name == "chat"
    assert (span.attributes or {})["gen_ai.provider.name"] == "humanloop"


def test_plain_operation_gets_an_http_client_span(otel: Otel) -> None:
    url = URL.copy_with(path="/v5/prompts/pr_1", username="u", password="p",
                        params={"version_id": "prv_1", "api_key": "leak"})
    inv = otel.telemetry().start(get_op(), url)
    inv.succeed({"id": "pr_1"}, status_code=200)

    span = otel.span()
    assert span.name == "GET prompts.get"
    assert span.kind is SpanKind.CLIENT
    attrs = dict(span.attributes or {})
    assert attrs["http.request.method"] == "GET"
    assert attrs["http.response.status_code"] == 200
    assert attrs["humanloop.operation"] == "prompts.get"
    assert attrs["server.address"] == "api.example.test"
    assert attrs["url.full"] == "https://api.example.test/v5/prompts/pr_1?version_id=prv_1&api_key=REDACTED"
    assert not any(k.startswith("gen_ai.") for k in attrs)
    assert otel.points("gen_ai.client.operation.duration") == []


def test_http_failure_sets_error_status_and_type(otel: Otel) -> None:
    inv = otel.telemetry().start(get_op(), URL)
    inv.fail(FakeApiError(503))
    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "503"
    assert (span.attributes or {})["http.response.status_code"] == 503


def test_exception_failure_uses_the_class_name(otel: Otel) -> None:
    class ConnectBoom(ConnectionError):
        pass

    inv = otel.telemetry().start(call_op(), URL)
    inv.fail(ConnectBoom("refused"))
    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "refused"
    assert (span.attributes or {})["error.type"] == ConnectBoom.__qualname__
    (point,) = otel.points("gen_ai.client.operation.duration")
    assert point.attributes["error.type"] == ConnectBoom.__qualname__


def test_retried_then_succeeded_is_not_failed(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(), URL)
    first: dict[str, str] = {}
    second: dict[str, str] = {}
    inv.inject(first)  # attempt 1: the transport saw a 503 and retried
    inv.inject(second)
    inv.succeed(call_response())

    span = otel.span()
    assert span.status.status_code is StatusCode.UNSET
    assert "error.type" not in (span.attributes or {})
    assert (span.attributes or {})["http.request.resend_count"] == 1
    assert first["traceparent"] == second["traceparent"]
    (point,) = otel.points("gen_ai.client.operation.duration")
    assert "error.type" not in point.attributes


def test_inject_carries_the_calls_span_without_attaching_it(otel: Otel) -> None:
    tracer = otel.tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("parent") as parent:
        inv = otel.telemetry().start(call_op(stream=True), URL)
        headers: dict[str, str] = {}
        inv.inject(headers)
        for item in stream_items():
            inv.chunk(item)
            assert trace.get_current_span() is parent  # never left current between chunks
        inv.end()

    child = next(s for s in otel.spans() if s.name.startswith("chat"))
    ctx = child.get_span_context()
    assert child.parent is not None and child.parent.span_id == parent.get_span_context().span_id
    version, trace_id, span_id, flags = headers["traceparent"].split("-")
    assert (version, trace_id, span_id) == ("00", f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")
    assert int(flags, 16) & 1  # sampled


def test_stream_attributes_and_time_to_first_chunk(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(stream=True), URL)
    for item in stream_items():
        inv.chunk(item)
    inv.end()
    inv.end()  # closing an exhausted stream again must not end the span twice

    span = otel.span()
    attrs = span.attributes or {}
    assert attrs["gen_ai.request.stream"] is True
    assert attrs["gen_ai.response.id"] == "log_9"
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 3
    assert 0 <= attrs["gen_ai.response.time_to_first_chunk"] < 5
    assert span.status.status_code is StatusCode.UNSET
    (ttfc,) = otel.points("gen_ai.client.operation.time_to_first_chunk")
    assert ttfc.count == 1


def test_stream_broken_off_ends_one_span_marked_cut(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(stream=True), URL)
    inv.chunk(stream_items()[0])
    inv.end()  # the caller broke out of the loop
    inv.chunk(stream_items()[1])  # late items after end are ignored
    inv.fail(RuntimeError("late"))

    span = otel.span()
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)
    # the response never completed: an error, with its own error.type (no exception here)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "incomplete_stream"


def test_stream_failure_mid_way(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(stream=True), URL)
    inv.chunk(stream_items()[0])
    inv.fail(FakeApiError(502))
    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "502"
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)


def test_stream_dropped_without_end_still_ends_its_span(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(stream=True), URL)
    inv.chunk(stream_items()[0])
    del inv
    gc.collect()
    span = otel.span()
    assert (span.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)


def test_metrics_use_the_advised_buckets(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(), URL)
    inv.succeed(call_response())

    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert list(duration.explicit_bounds) == [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28,
                                              2.56, 5.12, 10.24, 20.48, 40.96, 81.92]
    assert duration.attributes == {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini",
        "server.address": "api.example.test", "server.port": 443,
    }
    tokens = {p.attributes["gen_ai.token.type"]: p for p in otel.points("gen_ai.client.token.usage")}
    assert tokens["input"].sum == 12 and tokens["output"].sum == 5
    assert list(tokens["input"].explicit_bounds)[:3] == [1, 4, 16]
    assert list(tokens["input"].explicit_bounds)[-1] == 67108864
    assert "gen_ai.client.operation.time_to_first_chunk" not in otel.metric_names()


def test_content_is_absent_by_default(otel: Otel) -> None:
    inv = otel.telemetry().start(call_op(), URL)
    inv.succeed(call_response())
    attrs = otel.span().attributes or {}
    assert "gen_ai.input.messages" not in attrs
    assert "gen_ai.output.messages" not in attrs


def test_content_on_opt_in(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    inv = otel.telemetry().start(call_op(), URL)
    inv.succeed(call_response(tool=True))

    attrs = otel.span().attributes or {}
    assert json.loads(str(attrs["gen_ai.input.messages"])) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]},
    ]
    assert json.loads(str(attrs["gen_ai.output.messages"])) == [{
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather",
                   "arguments": {"city": "Paris"}}],
        "finish_reason": "tool_call",
    }]


def test_streamed_content_on_opt_in(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE, "TRUE")
    inv = otel.telemetry().start(call_op(stream=True), URL)
    for item in stream_items():
        inv.chunk(item)
    inv.end()
    attrs = otel.span().attributes or {}
    assert json.loads(str(attrs["gen_ai.output.messages"])) == [{
        "role": "assistant", "parts": [{"type": "text", "content": "Rainy, 14C."}],
        "finish_reason": "stop",
    }]


def test_no_key_anywhere(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    op = call_op(provider_api_keys={"openai": API_KEY})
    inv = otel.telemetry().start(op, URL)
    headers = {"X-API-KEY": API_KEY, "Authorization": f"Bearer {API_KEY}"}
    inv.inject(headers)
    inv.fail(FakeApiError(401))

    span = otel.span()
    dumped = repr(dict(span.attributes or {})) + repr(span.events) + repr(span.status)
    assert API_KEY not in dumped
    assert "X-API-KEY" not in dumped and "Authorization" not in dumped


def test_suppressed_instrumentation_records_nothing(otel: Otel) -> None:
    token = context.attach(context.set_value(context._SUPPRESS_INSTRUMENTATION_KEY, True))
    try:
        inv = otel.telemetry().start(call_op(), URL)
        headers: dict[str, str] = {}
        inv.inject(headers)
        inv.succeed(call_response())
    finally:
        context.detach(token)
    assert inv is SUPPRESSED and inv.suppressed
    assert headers == {}
    assert otel.spans() == []
    assert otel.metric_names() == set()


def test_no_sdk_returns_the_shared_noop() -> None:
    telemetry = Telemetry(trace.NoOpTracerProvider(), metrics.NoOpMeterProvider())
    inv = telemetry.start(call_op(), URL)
    assert inv is NOOP
    inv.inject({})
    inv.succeed(call_response())
    inv.end()


def test_unsampled_span_does_no_serialisation_work(otel_off: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    called: list[str] = []

    def spy(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise AssertionError(name)
        return fail

    for name in ("to_json", "input_messages", "output_message", "chat_request_attrs",
                 "chat_response_attrs", "safe_url"):
        monkeypatch.setattr(_telemetry, name, spy(name))
    monkeypatch.setattr(json, "dumps", spy("json.dumps"))

    telemetry = otel_off.telemetry()
    inv = telemetry.start(call_op(), URL)
    headers: dict[str, str] = {}
    inv.inject(headers)
    inv.succeed(call_response())
    streamed = telemetry.start(call_op(stream=True), URL)
    for item in stream_items():
        streamed.chunk(item)
    streamed.end()
    plain = telemetry.start(get_op(), URL)
    plain.succeed({})

    assert called == []
    assert otel_off.spans() == []
    assert not int(headers["traceparent"][-2:], 16) & 1  # context still propagates, unsampled
    # Metrics do not depend on sampling.
    durations = otel_off.points("gen_ai.client.operation.duration")
    assert sum(p.count for p in durations) == 2  # the chat call and the stream, not prompts.get
    # one model, one attribute set: the stream's response model is the kernel's it sent
    assert {p.attributes.get("gen_ai.response.model") for p in durations} == {"gpt-4o-mini"}


def test_hooks_never_raise(otel: Otel, caplog: pytest.LogCaptureFixture) -> None:
    class Hostile:
        def __getattr__(self, name: str) -> Any:
            raise RuntimeError("boom")

    caplog.set_level(logging.DEBUG, logger="humanloop_core.tracing")
    telemetry = otel.telemetry()
    inv = telemetry.start(call_op(), URL)
    inv.inject(None)  # type: ignore[arg-type]
    inv.succeed(Hostile())
    streamed = telemetry.start(call_op(stream=True), URL)
    streamed.chunk(Hostile())
    streamed.end()
    assert telemetry.start(None, URL) is NOOP  # type: ignore[arg-type]
    assert len(otel.spans()) == 2  # spans still end when describing the result failed
    assert any("telemetry" in r.getMessage() for r in caplog.records)


def test_global_providers_are_resolved_lazily(monkeypatch: pytest.MonkeyPatch, otel: Otel) -> None:
    """A client made before the SDK is configured still traces once it is."""
    telemetry = Telemetry()
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(_telemetry._metrics_internal, "_METER_PROVIDER", None)
    assert telemetry.start(call_op(), URL) is NOOP
    # What trace.set_tracer_provider() does, without leaking a global into other tests.
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", otel.tracer_provider)
    telemetry.start(call_op(), URL).succeed(call_response())
    assert otel.span().name == "chat gpt-4o-mini"
    assert otel.metric_names() == set()  # the meter provider is still the API's no-op


def test_noop_inject_passes_an_upstream_context_along() -> None:
    telemetry = Telemetry(trace.NoOpTracerProvider(), metrics.NoOpMeterProvider())
    upstream = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    empty: dict[str, str] = {}
    telemetry.start(call_op(), URL).inject(empty)
    assert empty == {}
    token = context.attach(propagate.extract({"traceparent": upstream}))
    try:
        headers: dict[str, str] = {}
        telemetry.start(call_op(), URL).inject(headers)
    finally:
        context.detach(token)
    assert headers["traceparent"] == upstream


def test_stream_with_no_items_and_tool_call_deltas(otel: Otel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CAPTURE, "true")
    telemetry = otel.telemetry()
    empty = telemetry.start(call_op(stream=True), URL)
    empty.end()
    tools = telemetry.start(call_op(stream=True), URL)
    base = {"index": 0, "id": "log_2", "prompt_id": "pr_1", "version_id": "prv_1"}
    deltas = [
        {"id": "call_7", "type": "function", "function": {"name": "get_weather", "arguments": '{"ci'}},
        {"id": "", "type": "function", "function": {"name": "", "arguments": 'ty": "Oslo"}'}},
    ]
    for delta in deltas:
        tools.chunk({**base, "output_message": {"role": "assistant", "tool_calls": [delta]}})
    tools.chunk({**base, "finish_reason": "tool_call"})
    tools.end()

    first, second = otel.spans()
    assert json.loads(str((first.attributes or {})["gen_ai.output.messages"])) == []
    assert (first.attributes or {})["gen_ai.response.finish_reasons"] == ("error",)
    assert json.loads(str((second.attributes or {})["gen_ai.output.messages"])) == [{
        "role": "assistant",
        "parts": [{"type": "tool_call", "id": "call_7", "name": "get_weather", "arguments": {"city": "Oslo"}}],
        "finish_reason": "tool_call",
    }]


def test_a_request_that_cannot_be_described_still_gets_an_ended_span(otel: Otel) -> None:
    class Odd(dict):  # type: ignore[type-arg]
        def get(self, key: str, default: Any = None) -> Any:
            if key == "prompt":  # enough to name the span; the rest of the body is unreadable
                return super().get(key, default)
            raise RuntimeError("odd body")

    op = call_op()
    odd = type(op)(name=op.name, method=op.method, path=op.path, params=op.params, json=Odd(op.json))
    inv = otel.telemetry().start(odd, URL)
    inv.succeed(call_response())
    span = otel.span()
    assert span.name == "chat gpt-4o-mini"
    assert (span.attributes or {})["gen_ai.response.id"] == "log_1"
