"""Sending spans to a Humanloop server: the batching span processor and the ready-made
tracer provider that ``Humanloop.flow`` / ``prompt`` / ``tool`` use.

Needs ``opentelemetry-sdk`` (not a dependency of ``humanloop_core``); importing this
module without it raises an ImportError naming the package. To add Humanloop export to a
tracer provider you already have::

    from humanloop_core.exporter import HumanloopSpanProcessor
    provider.add_span_processor(HumanloopSpanProcessor(api_key, base_url))
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

try:
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("exporting spans to Humanloop needs the OpenTelemetry SDK: "
                      "pip install opentelemetry-sdk") from exc

from opentelemetry.trace import Tracer

from ._tracing._light import LightTracer
from ._tracing._processor import HumanloopSpanProcessor, backoff

__all__ = ["HumanloopSpanProcessor", "TracingPipeline", "backoff", "instrument_providers", "pipeline",
           "pipeline_for"]

logger = logging.getLogger("humanloop_core.tracing")

# (module the instrumented SDK is, instrumentation module, instrumentor class)
_INSTRUMENTATIONS = (
    ("openai", "opentelemetry.instrumentation.openai", "OpenAIInstrumentor"),
    ("anthropic", "opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor"),
)


@dataclass
class TracingPipeline:
    """A tracer provider exporting to one Humanloop server, and what it instrumented."""

    provider: TracerProvider
    processor: HumanloopSpanProcessor
    tracer: Tracer
    instrumentors: list[Any] = field(default_factory=list)
    instrumented: bool = False  # tried already (a handler's pipeline is made without)

    def shutdown(self) -> None:
        """Undo the instrumentation, send what is queued, stop the export thread."""
        for instrumentor in self.instrumentors:
            try:
                instrumentor.uninstrument()
            except Exception:
                logger.debug("could not uninstrument %r", instrumentor, exc_info=True)
        self.instrumentors.clear()
        self.provider.shutdown()


_PIPELINES: dict[tuple[str, str], TracingPipeline] = {}
_LOCK = threading.Lock()


def pipeline(api_key: str, base_url: str, *, instrument: bool = True) -> TracingPipeline:
    """The process's pipeline for this server and key (made on first use)."""
    key = (base_url.rstrip("/"), api_key)
    with _LOCK:
        found = _PIPELINES.get(key)
        if found is None or found.processor._closed:
            provider = _PipelineProvider(resource=Resource.create({}))
            processor = HumanloopSpanProcessor(api_key, base_url)
            provider.add_span_processor(processor)
            found = TracingPipeline(provider, processor, _light_tracer(provider, processor))
            _PIPELINES[key] = found
        if instrument and not found.instrumented:
            found.instrumented = True
            found.instrumentors = instrument_providers(found.provider)
        return found


class _PipelineProvider(TracerProvider):
    """A pipeline's provider: knows whether anything but Humanloop export reads its spans."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.processors = 0
        # A sampler chosen through the environment must see every span: SDK spans then.
        self.sampler_configured = bool(os.environ.get("OTEL_TRACES_SAMPLER"))

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self.processors += 1

    def only_humanloop(self) -> bool:
        return self.processors == 1 and not self.sampler_configured


def _light_tracer(provider: _PipelineProvider, processor: HumanloopSpanProcessor) -> Tracer:
    name = "humanloop_core.decorators"
    sdk = provider.get_tracer(name)
    return LightTracer(sdk, provider.only_humanloop, provider.resource, InstrumentationScope(name),
                       processor.on_start, processor.on_end)


def pipeline_for(client: Any, *, instrument: bool = True) -> TracingPipeline:
    """The pipeline exporting to the server ``client`` (a ``Humanloop`` or
    ``AsyncHumanloop``) talks to, with its key."""
    return pipeline(client._transport._headers["X-API-KEY"], client.base_url, instrument=instrument)


def instrument_providers(provider: TracerProvider, *, imported_only: bool = True) -> list[Any]:
    """Instrument the model SDKs (openai, anthropic) onto ``provider``, so a ``@prompt``
    records their calls; returns the instrumentors. Skips an SDK instrumented already, or
    without its instrumentation package installed, and by default one the app has not
    imported (importing anthropic alone can take seconds; import it before decorating)."""
    done = []
    for sdk, module, name in _INSTRUMENTATIONS:
        if imported_only and sdk not in sys.modules:
            continue
        if importlib.util.find_spec(sdk) is None or importlib.util.find_spec(module) is None:
            continue
        try:
            instrumentor = getattr(importlib.import_module(module), name)()
            if instrumentor.is_instrumented_by_opentelemetry:
                continue  # someone else's provider gets these spans; @prompt falls back
            instrumentor.instrument(tracer_provider=provider)
            done.append(instrumentor)
        except Exception:
            logger.debug("could not instrument %s", sdk, exc_info=True)
    return done
