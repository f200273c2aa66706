"""``Telemetry`` and the per-call ``Invocation`` the transport drives.

Cost model: with no SDK configured (the API's proxy/no-op providers) and no meter either,
``start()`` returns a shared no-op invocation after a context lookup and two global reads.
With an SDK whose sampler drops the span, the span is non-recording and only the handful
of attributes a sampler may look at are built; no request or response is walked and no
JSON is written. Everything else happens only for recording spans.
"""

from __future__ import annotations

import logging
import os
import time
import weakref
from collections.abc import Callable, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import httpx
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import _names as n
from ._attributes import (
    Attributes,
    chat_request_attrs,
    chat_response_attrs,
    error_type,
    field,
    kernel,
    provider_name,
    safe_url,
    server_attrs,
    usage_attrs,
)
from ._content import input_messages, output_message, to_json
from ._stream import StreamState

try:  # The API's default meter provider and its global; private, so tolerate their absence.
    from opentelemetry.metrics import _internal as _metrics_internal
    from opentelemetry.metrics._internal import _ProxyMeterProvider as _ProxyMP

    _NOOP_METER_PROVIDERS: tuple[type, ...] = (metrics.NoOpMeterProvider, _ProxyMP)
except ImportError:  # pragma: no cover - older/newer API layouts
    _metrics_internal = None  # type: ignore[assignment]
    _NOOP_METER_PROVIDERS = (metrics.NoOpMeterProvider,)
_NOOP_TRACER_PROVIDERS = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
_SUPPRESS_KEY = getattr(otel_context, "_SUPPRESS_INSTRUMENTATION_KEY", "suppress_instrumentation")
_NOOP_TRACER = trace.NoOpTracer()
_NOTHING_CURRENT: AbstractContextManager[object] = nullcontext()
_UNKNOWN = object()
# With these set, the API builds a provider on first use: then always ask it, never shortcut.
_PROVIDER_ENV = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")


def _no_global_providers() -> bool:
    """Whether neither a global tracer provider nor a global meter provider is set.

    Reads the API's globals directly: ``get_tracer_provider()`` probes ``os.environ`` on
    every call while nothing is set, which alone would be most of the no-SDK cost.
    """
    return (
        getattr(trace, "_TRACER_PROVIDER", _UNKNOWN) is None
        and getattr(_metrics_internal, "_METER_PROVIDER", _UNKNOWN) is None
    )


logger = logging.getLogger("humanloop_core.tracing")
F = TypeVar("F", bound=Callable[..., None])


def _guarded(method: F) -> F:
    """Telemetry must never raise into the caller: log its own failures at debug level."""

    def wrapper(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception:
            logger.debug("telemetry hook %s failed", method.__name__, exc_info=True)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper  # type: ignore[return-value]


class Invocation:
    """One API call as telemetry sees it. This base class is the no-op used when nothing
    is configured or instrumentation is suppressed; every method is safe to call in any
    order and any number of times."""

    __slots__ = ("suppressed",)

    def __init__(self, suppressed: bool = False) -> None:
        self.suppressed = suppressed

    def inject(self, headers: MutableMapping[str, str]) -> None:
        """Add W3C trace context for the outgoing attempt to ``headers``."""
        if self.suppressed:
            return
        try:
            # No SDK: still pass along a context the caller holds (e.g. extracted upstream);
            # an empty one has nothing to propagate, so skip the propagators.
            if otel_context.get_current():
                propagate.inject(headers)
        except Exception:
            logger.debug("trace context injection failed", exc_info=True)

    def sending(self) -> AbstractContextManager[object]:
        """Context in which one attempt is sent: the call's span is current there."""
        return _NOTHING_CURRENT

    def succeed(self, result: Any, status_code: int | None = None) -> None:
        """A plain call returned ``result`` (with HTTP ``status_code``, when the caller passes it)."""

    def chunk(self, item: Any) -> None:
        """A stream yielded ``item``."""

    def fail(self, exc: BaseException) -> None:
        """The call (or the stream) ended with ``exc``."""

    def end(self) -> None:
        """The stream is over: exhausted, closed, broken off or collected."""


NOOP = Invocation()
SUPPRESSED = Invocation(suppressed=True)


class _Current:
    """Makes a call's span the current one while an attempt is sent, so a span the HTTP
    layer starts (httpx instrumentation) is its child and carries the trace onward."""

    __slots__ = ("_call", "_token")

    def __init__(self, call: _Call) -> None:
        self._call = call
        self._token: object = None

    def __enter__(self) -> None:
        try:
            self._token = otel_context.attach(self._call.context())
        except Exception:
            logger.debug("making the call's span current failed", exc_info=True)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            try:
                otel_context.detach(self._token)  # type: ignore[arg-type]
            except Exception:
                logger.debug("restoring the context failed", exc_info=True)
            self._token = None


class _Instruments:
    __slots__ = ("duration", "tokens", "ttfc")

    def __init__(self, meter: metrics.Meter) -> None:
        self.duration = meter.create_histogram(
            n.DURATION_METRIC, unit="s", description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=n.SECONDS_BUCKETS,
        )
        self.tokens = meter.create_histogram(
            n.TOKEN_USAGE_METRIC, unit="{token}", description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=n.TOKEN_BUCKETS,
        )
        self.ttfc = meter.create_histogram(
            n.TTFC_METRIC, unit="s",
            description="Time to receive the first chunk of a streamed response.",
            explicit_bucket_boundaries_advisory=n.SECONDS_BUCKETS,
        )


class Telemetry:
    """Creates one ``Invocation`` per API call.

    Args:
        tracer_provider: Provider for spans; the global one (resolved at each call, so an
            SDK configured after the client is created is picked up) when ``None``.
        meter_provider: Provider for the GenAI metrics; the global one when ``None``.
    """

    def __init__(
        self,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: metrics.MeterProvider | None = None,
    ) -> None:
        self._tracer_provider = tracer_provider
        self._meter_provider = meter_provider
        # Only global providers, and none configured by environment: start() may shortcut.
        self._globals_only = (
            tracer_provider is None and meter_provider is None
            and not any(key in os.environ for key in _PROVIDER_ENV)
        )
        self._seen_tp: object = None
        self._tracer: trace.Tracer | None = None
        self._seen_mp: object = None
        self._instruments: _Instruments | None = None

    def start(self, op: Any, url: httpx.URL) -> Invocation:
        """Begin telemetry for ``op`` about to be sent to ``url``; never raises."""
        try:
            if otel_context.get_value(_SUPPRESS_KEY):
                return SUPPRESSED
            if self._globals_only and _no_global_providers():
                return NOOP
            tracer = self._resolve_tracer()
            instruments = self._resolve_instruments()
            if tracer is None and instruments is None:
                return NOOP
            return _Call(op, url, tracer or _NOOP_TRACER, instruments)
        except Exception:
            logger.debug("telemetry start failed", exc_info=True)
            return NOOP

    def _resolve_tracer(self) -> trace.Tracer | None:
        provider = self._tracer_provider or trace.get_tracer_provider()
        if provider is not self._seen_tp:
            noop = isinstance(provider, _NOOP_TRACER_PROVIDERS)
            self._tracer = None if noop else provider.get_tracer(n.INSTRUMENTATION_NAME)
            self._seen_tp = provider
        return self._tracer

    def _resolve_instruments(self) -> _Instruments | None:
        provider = self._meter_provider or metrics.get_meter_provider()
        if provider is not self._seen_mp:
            noop = isinstance(provider, _NOOP_METER_PROVIDERS)
            self._instruments = None if noop else _Instruments(provider.get_meter(n.INSTRUMENTATION_NAME))
            self._seen_mp = provider
        return self._instruments


def _capture_content() -> bool:
    return os.environ.get(n.CAPTURE_CONTENT_ENV, "").strip().lower() in n.CAPTURE_CONTENT_ON


def _end_abandoned(span: trace.Span) -> None:
    """Finalizer for a stream dropped without end(): the span still ends, marked cut."""
    try:
        span.set_attribute(n.RESPONSE_FINISH_REASONS, [n.CUT_FINISH_REASON])
        span.set_attribute(n.ERROR_TYPE, n.CUT_ERROR_TYPE)
        span.set_status(Status(StatusCode.ERROR, "the stream was dropped before it ended"))
        span.end()
    except Exception:
        logger.debug("ending an abandoned stream span failed", exc_info=True)


class _Call(Invocation):
    """A live invocation: one CLIENT span, plus the GenAI metrics for chat calls."""

    __slots__ = (
        "_span", "_ctx", "_t0", "_attempts", "_chat", "_recording", "_capture", "_kernel_sent",
        "_metric_attrs", "_instruments", "_stream", "_ttfc", "_done", "_finalizer", "_kernel_model",
        "__weakref__",
    )

    def __init__(self, op: Any, url: httpx.URL, tracer: trace.Tracer, instruments: _Instruments | None):
        super().__init__()
        self._t0 = time.perf_counter()
        self._ctx: otel_context.Context | None = None
        self._attempts = 0
        self._ttfc: float | None = None
        self._done = False
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._chat = op.name in n.CHAT_OPERATIONS
        prompt = kernel(op.json) if self._chat else None
        self._kernel_sent = prompt is not None
        self._kernel_model = field(prompt, "model") if prompt is not None else None
        name, attrs = _start_attrs(op, url, prompt, self._chat)
        self._span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)
        self._recording = self._span.is_recording()
        self._instruments = instruments if self._chat else None
        # Metric attributes are the sampling-time ones, refined when the response names the model.
        self._metric_attrs = attrs if self._instruments is not None else None
        streaming = op.stream_item is not None
        self._capture = self._chat and self._recording and _capture_content()
        needs_state = streaming and (self._recording or self._instruments is not None)
        self._stream = StreamState(capture=self._capture) if needs_state else None
        if self._recording:
            if streaming:
                self._finalizer = weakref.finalize(self, _end_abandoned, self._span)
            try:  # the span exists now: a failure describing the request must not orphan it
                self._set_request_attrs(op, url, streaming)
            except Exception:
                logger.debug("describing the request failed", exc_info=True)

    def _set_request_attrs(self, op: Any, url: httpx.URL, streaming: bool) -> None:
        if self._chat:
            self._span.set_attributes(chat_request_attrs(op.json, op.params, streaming))
            messages = field(op.json, "messages") if op.json is not None else None
            if self._capture and messages:
                self._span.set_attribute(n.INPUT_MESSAGES, to_json(input_messages(messages)))
        else:
            self._span.set_attributes({n.URL_FULL: safe_url(url), n.HL_OPERATION: op.name})

    def context(self) -> otel_context.Context:
        """The caller's context with this call's span current."""
        if self._ctx is None:
            self._ctx = trace.set_span_in_context(self._span)
        return self._ctx

    @_guarded
    def inject(self, headers: MutableMapping[str, str]) -> None:
        self._attempts += 1
        propagate.inject(headers, context=self.context())

    def sending(self) -> AbstractContextManager[object]:
        return _Current(self)

    @_guarded
    def succeed(self, result: Any, status_code: int | None = None) -> None:
        if not self._done:
            if status_code is not None and self._recording and not self._chat:
                self._span.set_attribute(n.HTTP_STATUS, status_code)
            self._finish(lambda: self._chat_result(result) if self._chat else {}, None)

    def _chat_result(self, result: Any) -> Attributes:
        """Describe a ``PromptCallResponse``; returns its token usage for the metric."""
        prompt = field(result, "prompt")
        if self._metric_attrs is not None and prompt is not None:
            self._refine_metric_attrs(prompt)
        if not self._recording:
            return _log_usage(result) if self._instruments is not None else {}
        attrs = chat_response_attrs(result, self._kernel_sent)
        self._span.set_attributes(attrs)
        model = attrs.get(n.REQUEST_MODEL)
        if model and not self._kernel_sent:
            self._span.update_name(f"{n.CHAT} {model}")
        if self._capture:
            sent = field(result, "messages")
            if sent:
                self._span.set_attribute(n.INPUT_MESSAGES, to_json(input_messages(sent)))
            logs = field(result, "logs") or ()
            outputs = [
                output_message(field(log, "output_message"), field(log, "output"),
                               field(log, "finish_reason"))
                for log in logs
            ]
            self._span.set_attribute(n.OUTPUT_MESSAGES, to_json(outputs))
        return attrs

    def _refine_metric_attrs(self, prompt: Any) -> None:
        attrs = dict(self._metric_attrs or {})
        model = field(prompt, "model")
        if model:
            attrs[n.RESPONSE_MODEL] = str(model)
        if not self._kernel_sent:
            if model:
                attrs[n.REQUEST_MODEL] = str(model)
            provider = provider_name(field(prompt, "provider"))
            if provider:
                attrs[n.PROVIDER_NAME] = provider
        self._metric_attrs = attrs

    @_guarded
    def chunk(self, item: Any) -> None:
        if self._done:
            return
        if self._ttfc is None:
            self._ttfc = time.perf_counter() - self._t0
            self._learn_model(item)
            if self._recording:
                self._span.set_attribute(n.RESPONSE_TIME_TO_FIRST_CHUNK, self._ttfc)
            if self._instruments is not None:
                self._instruments.ttfc.record(self._ttfc, self._metric_attrs)
        if self._stream is not None:
            self._stream.add(item)

    def _learn_model(self, item: Any) -> None:
        """What the first stream item says of the model (this project's server adds
        ``model`` and ``provider`` to its items; the v5 schema has no such fields), else,
        when a kernel was sent, the kernel's model: Humanloop runs exactly that one."""
        model = getattr(item, "model", None) or self._kernel_model
        if not model:
            return
        provider = None if self._kernel_sent else provider_name(getattr(item, "provider", None))
        attrs: Attributes = {n.RESPONSE_MODEL: str(model)}
        if not self._kernel_sent:
            attrs[n.REQUEST_MODEL] = str(model)
            if provider:
                attrs[n.PROVIDER_NAME] = provider
        if self._metric_attrs is not None:
            self._metric_attrs = {**self._metric_attrs, **attrs}
        if self._recording:
            self._span.set_attributes(attrs)
            if not self._kernel_sent:
                self._span.update_name(f"{n.CHAT} {model}")

    @_guarded
    def end(self) -> None:
        if self._done:
            return
        state = self._stream
        if state is not None and state.cut():
            # Ended before every sample finished (closed, broken off, collected): the
            # call did not complete, which is an error for the span and the metrics.
            self._finish(self._cut_result, n.CUT_ERROR_TYPE)
        else:
            self._finish(self._stream_result, None)

    def _cut_result(self) -> Attributes:
        if self._recording:
            self._span.set_attribute(n.ERROR_TYPE, n.CUT_ERROR_TYPE)
            self._span.set_status(Status(StatusCode.ERROR, "the stream ended before the response was complete"))
        return self._stream_result()

    @_guarded
    def fail(self, exc: BaseException) -> None:
        if not self._done:
            etype = error_type(exc)
            self._finish(lambda: self._failure(exc, etype), etype)

    def _finish(self, describe: Callable[[], Attributes], etype: str | None) -> None:
        """End exactly once: describe the outcome (returning token usage), record the
        metrics, and end the span even when describing the outcome failed."""
        self._done = True
        try:
            usage = describe()
            if self._recording and self._attempts > 1:
                self._span.set_attribute(n.HTTP_RESEND_COUNT, self._attempts - 1)
            self._record_metrics(etype, usage)
        finally:
            if self._finalizer is not None:
                self._finalizer.detach()
            self._span.end()

    def _failure(self, exc: BaseException, etype: str) -> Attributes:
        if self._recording:
            status = getattr(exc, "status_code", None)
            if isinstance(status, int) and not self._chat:
                self._span.set_attribute(n.HTTP_STATUS, status)
            self._span.set_attribute(n.ERROR_TYPE, etype)
            self._span.set_status(Status(StatusCode.ERROR, _describe(exc)))
        return self._stream_result()

    def _stream_result(self) -> Attributes:
        """Report what a stream delivered (samples without a finish reason were cut);
        returns its token usage. Nothing for a plain call."""
        state = self._stream
        if state is None:
            return {}
        if self._recording:
            self._span.set_attributes(state.attributes(cut=True))
            if self._capture:
                self._span.set_attribute(n.OUTPUT_MESSAGES, to_json(state.output_messages(cut=True)))
        return state.usage()

    def _record_metrics(self, etype: str | None, usage: Attributes) -> None:
        instruments = self._instruments
        if instruments is None:
            return
        attrs: Attributes = dict(self._metric_attrs or {})
        if etype is not None:
            attrs[n.ERROR_TYPE] = etype
        instruments.duration.record(time.perf_counter() - self._t0, attrs)
        for token_type, key in (("input", n.USAGE_INPUT_TOKENS), ("output", n.USAGE_OUTPUT_TOKENS)):
            count = usage.get(key)
            if count is not None:
                instruments.tokens.record(count, {**attrs, n.TOKEN_TYPE: token_type})


def _start_attrs(op: Any, url: httpx.URL, prompt: Any, chat: bool) -> tuple[str, Attributes]:
    """Span name and the attributes a sampler may need, known before anything is sent."""
    attrs = server_attrs(url)
    if not chat:
        attrs[n.HTTP_METHOD] = op.method
        return f"{op.method} {op.name}", attrs
    attrs[n.OPERATION_NAME] = n.CHAT
    model = field(prompt, "model") if prompt is not None else None
    provider = provider_name(field(prompt, "provider")) if prompt is not None else None
    attrs[n.PROVIDER_NAME] = provider or n.DEFAULT_PROVIDER
    if model:
        attrs[n.REQUEST_MODEL] = str(model)
        return f"{n.CHAT} {model}", attrs
    return n.CHAT, attrs


def _log_usage(result: Any) -> Attributes:
    logs = field(result, "logs") or ()
    return usage_attrs([field(log, "prompt_tokens") for log in logs],
                       [field(log, "output_tokens") for log in logs])


def _describe(exc: BaseException) -> str:
    """Status description: the error's own message, bounded (errors never carry the key)."""
    text = str(exc) or type(exc).__qualname__
    return text if len(text) <= 300 else text[:297] + "..."
