"""Light spans: the decorators' spans on a pipeline whose spans only Humanloop export reads.

An SDK span pays for what only other consumers need: attribute validation and copying,
a lock per attribute, the sampler, span limits and the fan-out to every span processor.
When a :class:`~humanloop_core.exporter.TracingPipeline`'s tracer provider has no span
processor but ours (and no sampler configured through the environment), its tracer makes
these instead: an API :class:`~opentelemetry.trace.Span` that records into a plain dict and
hands itself to the Humanloop span processor when it ends, carrying the fields the OTLP
encoder reads. It is current in the OpenTelemetry context like any span, so model-call
spans the SDK makes inside it (an instrumented openai call) are its children, and W3C
propagation sees its ids. Once another processor is added to the provider, the tracer
makes SDK spans again.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as context_api
from opentelemetry import trace as trace_api
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, Tracer
from opentelemetry.util import types

_ROOT_FLAGS = TraceFlags(TraceFlags.SAMPLED | getattr(TraceFlags, "RANDOM_TRACE_ID", 0))


class LightEvent:
    """A span event as the OTLP encoder reads it."""

    __slots__ = ("attributes", "name", "timestamp")

    def __init__(self, name: str, attributes: Mapping[str, Any] | None, timestamp: int | None) -> None:
        self.name, self.timestamp = name, timestamp or time.time_ns()
        self.attributes = dict(attributes or {})


class LightSpan(trace_api.Span):
    """A recording span with a dict for attributes; ends exactly once, into ``on_end``."""

    __slots__ = ("_on_end", "attributes", "context", "end_time", "events", "instrumentation_scope",
                 "kind", "links", "name", "parent", "resource", "start_time", "status")

    def __init__(self, name: str, context: SpanContext, parent: SpanContext | None, kind: SpanKind,
                 attributes: types.Attributes, start_time: int | None, owner: LightTracer) -> None:
        self.name, self.context, self.parent, self.kind = name, context, parent, kind
        # Copied: callers pass one attribute dict for every call of a decorated function.
        self.attributes: dict[str, Any] = dict(attributes) if attributes else {}
        self.start_time = start_time or time.time_ns()
        self.end_time: int | None = None
        self.status = Status(StatusCode.UNSET)
        self.events: list[LightEvent] = []
        self.links: list[Link] = []
        self.resource, self.instrumentation_scope = owner.resource, owner.scope
        self._on_end: Callable[[Any], None] | None = owner.on_end

    def get_span_context(self) -> SpanContext:
        return self.context

    def is_recording(self) -> bool:
        return self.end_time is None

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self.end_time is None and value is not None:  # None is no value, as for SDK spans
            self.attributes[key] = value

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_event(self, name: str, attributes: types.Attributes = None, timestamp: int | None = None) -> None:
        if self.end_time is None:
            self.events.append(LightEvent(name, attributes, timestamp))

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self.end_time is None:
            self.links.append(Link(context, attributes))

    def update_name(self, name: str) -> None:
        if self.end_time is None:
            self.name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self.end_time is not None or self.status.status_code is StatusCode.OK:
            return  # OK is final, as the SDK has it
        self.status = status if isinstance(status, Status) else Status(status, description)

    def record_exception(self, exception: BaseException, attributes: types.Attributes = None,
                         timestamp: int | None = None, escaped: bool = False) -> None:
        stack = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
        self.add_event("exception", {"exception.type": type(exception).__qualname__,
                                     "exception.message": str(exception), "exception.stacktrace": stack,
                                     "exception.escaped": str(escaped), **dict(attributes or {})}, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self.end_time is not None:
            return
        self.end_time = end_time or time.time_ns()
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end(self)


class LightTracer(Tracer):
    """Makes :class:`LightSpan` while ``light()`` says only Humanloop export reads the
    provider's spans, else delegates to the SDK tracer ``sdk``."""

    def __init__(self, sdk: Tracer, light: Callable[[], bool], resource: Any, scope: Any,
                 on_start: Callable[[Any], None], on_end: Callable[[Any], None]) -> None:
        self.sdk, self.light = sdk, light
        self.resource, self.scope = resource, scope
        self.on_start, self.on_end = on_start, on_end

    def start_span(self, name: str, context: context_api.Context | None = None,
                   kind: SpanKind = SpanKind.INTERNAL, attributes: types.Attributes = None,
                   links: Sequence[Link] | None = (), start_time: int | None = None,
                   record_exception: bool = True, set_status_on_exception: bool = True) -> trace_api.Span:
        if not self.light():
            return self.sdk.start_span(name, context, kind, attributes, links, start_time,
                                       record_exception, set_status_on_exception)
        parent: SpanContext | None = trace_api.get_current_span(context).get_span_context()
        if parent is not None and parent.is_valid:
            if not parent.trace_flags.sampled:  # the parent-based sampling the SDK default does
                return trace_api.NonRecordingSpan(parent)
            trace_id, flags = parent.trace_id, parent.trace_flags
        else:
            parent, trace_id, flags = None, random.getrandbits(128) or 1, _ROOT_FLAGS
        own = SpanContext(trace_id, random.getrandbits(64) or 1, is_remote=False, trace_flags=flags,
                          trace_state=parent.trace_state if parent is not None else None)
        span = LightSpan(name, own, parent, kind, attributes, start_time, self)
        for link in links or ():
            span.add_link(link.context, link.attributes)
        self.on_start(span)
        return span

    # The API types this with a private context-manager decorator; a plain one is the same.
    @contextmanager
    def start_as_current_span(  # type: ignore[override]
            self, name: str, context: context_api.Context | None = None,
                              kind: SpanKind = SpanKind.INTERNAL, attributes: types.Attributes = None,
                              links: Sequence[Link] | None = (), start_time: int | None = None,
                              record_exception: bool = True, set_status_on_exception: bool = True,
                              end_on_exit: bool = True) -> Iterator[trace_api.Span]:
        span = self.start_span(name, context, kind, attributes, links, start_time,
                               record_exception, set_status_on_exception)
        with trace_api.use_span(span, end_on_exit=end_on_exit, record_exception=record_exception,
                                set_status_on_exception=set_status_on_exception) as current:
            yield current
