"""Light spans: what a pipeline's tracer makes while only Humanloop export reads its spans."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

from humanloop_core._tracing._light import LightSpan, LightTracer
from humanloop_core._tracing._otlp_json import encode
from humanloop_core.decorators import flow, tool
from humanloop_core.exporter import pipeline


class Sink:
    def __init__(self) -> None:
        self.started: list[Any] = []
        self.ended: list[Any] = []
        self.light = True
        sdk_provider = TracerProvider()
        self.tracer = LightTracer(sdk_provider.get_tracer("t"), lambda: self.light, sdk_provider.resource,
                                  None, self.started.append, self.ended.append)


def test_nesting_ids_and_attributes_follow_the_otel_context() -> None:
    sink = Sink()

    @tool(path="t/add", tracer=sink.tracer)
    def add(a: int, b: int) -> int:
        return a + b

    @flow(path="t/flow", tracer=sink.tracer)
    def run() -> int:
        return add(1, 2) + add(3, 4)

    assert run() == 10
    first, second, root = sink.ended
    assert all(isinstance(s, LightSpan) for s in sink.ended) and sink.started[0] is root
    assert root.parent is None and first.parent == second.parent == root.context
    assert len({s.context.trace_id for s in sink.ended}) == 1
    assert len({s.context.span_id for s in sink.ended}) == 3
    assert first.attributes["humanloop.log.inputs"] == '{"a":1,"b":2}' and first.attributes["humanloop.log.output"] == "3"
    assert root.start_time <= first.start_time <= first.end_time <= root.end_time
    # What the export thread encodes: an OTLP span with its parent and attributes.
    [otlp] = encode([first])["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert otlp["parentSpanId"] == format(root.context.span_id, "016x")
    assert {"key": "humanloop.file.path", "value": {"stringValue": "t/add"}} in otlp["attributes"]


def test_errors_end_once_with_an_exception_event_and_status() -> None:
    sink = Sink()

    @tool(path="t/boom", tracer=sink.tracer)
    def boom() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError):
        boom()
    [span] = sink.ended
    assert span.status.status_code is StatusCode.ERROR
    [event] = span.events
    assert event.name == "exception" and event.attributes["exception.type"] == "ValueError"
    assert "raise ValueError" in event.attributes["exception.stacktrace"]
    span.end()
    span.set_attribute("late", 1)
    assert len(sink.ended) == 1 and "late" not in span.attributes and not span.is_recording()
    otlp = encode([span])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert otlp["status"]["code"] == StatusCode.ERROR.value and otlp["events"][0]["name"] == "exception"


def test_status_ok_is_final_and_none_values_are_not_recorded() -> None:
    span = Sink().tracer.start_span("s", kind=SpanKind.CLIENT)
    span.set_status(Status(StatusCode.OK))
    span.set_status(StatusCode.ERROR, "later")
    span.set_attribute("gone", None)
    assert isinstance(span, LightSpan) and span.status.status_code is StatusCode.OK and "gone" not in span.attributes


def test_an_unsampled_parent_makes_no_span_and_an_sdk_child_parents_to_a_light_span() -> None:
    sink = Sink()
    unsampled = SpanContext(1, 2, is_remote=True, trace_flags=TraceFlags(TraceFlags.DEFAULT))
    with trace.use_span(NonRecordingSpan(unsampled)):
        assert not sink.tracer.start_span("s").is_recording()
    assert sink.started == []
    memory = InMemorySpanExporter()
    sdk = TracerProvider()
    sdk.add_span_processor(SimpleSpanProcessor(memory))
    with sink.tracer.start_as_current_span("outer") as outer, sdk.get_tracer("x").start_as_current_span("inner"):
        pass
    [inner] = memory.get_finished_spans()
    assert inner.parent is not None and inner.parent.span_id == outer.get_span_context().span_id
    assert sink.ended == [outer]


def test_a_second_processor_on_the_pipeline_gets_sdk_spans() -> None:
    p = pipeline("light-key", "http://127.0.0.1:9/v5", instrument=False)
    try:
        @tool(path="t/seen", tracer=p.tracer)
        def seen() -> str:
            return "ok"

        seen()
        assert p.processor._queue and isinstance(p.processor._queue[-1], LightSpan)
        memory = InMemorySpanExporter()
        p.provider.add_span_processor(SimpleSpanProcessor(memory))
        seen()
        [span] = memory.get_finished_spans()  # the app's own processor sees the decorator's span
        assert span.attributes is not None and span.attributes["humanloop.file.path"] == "t/seen"
        assert p.processor._queue[-1].context.span_id == span.context.span_id  # and so does ours
    finally:
        p.processor.shutdown(timeout=0.1)
        p.provider.shutdown()
