"""Shared by the examples: where the API lives, a mock prompt, a one-line span printer.

Every example runs by itself with no account: when ``HUMANLOOP_BASE_URL`` is unset it
starts the embedded local server (in-memory SQLite, deterministic ``mock`` provider)
for the length of the script. Set ``HUMANLOOP_BASE_URL`` / ``HUMANLOOP_API_KEY`` to
run the same script against a server you host.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# A prompt served by the server's deterministic mock provider: any model name works.
MOCK_PROMPT: dict[str, Any] = {
    "model": "mock-1",
    "provider": "mock",
    "template": [{"role": "system", "content": "You are a concise assistant."}],
    "temperature": 0.0,
}


@contextmanager
def backend() -> Iterator[tuple[str, str]]:
    """Yield ``(base_url, api_key)``: the configured server, else an embedded one."""
    base_url = os.environ.get("HUMANLOOP_BASE_URL")
    if base_url:
        yield base_url, os.environ.get("HUMANLOOP_API_KEY", "")
        return
    from humanloop_core.server import LocalServer

    with LocalServer(db=":memory:") as server:
        print(f"(embedded local server at {server.base_url})")
        yield server.base_url, server.api_key


@contextmanager
def backend_with_prompt(path: str) -> Iterator[tuple[str, str]]:
    """``backend()``, with the mock prompt saved at ``path`` (the adapters call it by path)."""
    from humanloop_core import Humanloop

    with backend() as (base_url, api_key):
        with Humanloop(api_key=api_key, base_url=base_url) as client:
            client.prompts.upsert(path=path, **MOCK_PROMPT)
        yield base_url, api_key


def _short(value: Any, limit: int = 40) -> str:
    if isinstance(value, (list, tuple)):
        text = ",".join(map(str, value))
    elif isinstance(value, float):
        text = f"{value:.3g}"
    else:
        text = str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Span attributes worth one glance, with short labels; the rest stay in the span.
_SHOWN = {
    "gen_ai.provider.name": "provider",
    "gen_ai.request.model": "model",
    "gen_ai.prompt.name": "prompt",
    "gen_ai.usage.input_tokens": "in_tokens",
    "gen_ai.usage.output_tokens": "out_tokens",
    "gen_ai.response.finish_reasons": "finish",
    "gen_ai.response.time_to_first_chunk": "ttfc_s",
    "humanloop.log.id": "log",
    "http.response.status_code": "http",
    "error.type": "error",
}


# Spans printed: the client's and the examples' own. An embedded server in the same
# process may trace its routes into the same provider; those stay off the console.
_SCOPES = ("humanloop_core", "examples")


def span_line(span: Any) -> str:
    """``name  12.3 ms  key=value ...`` for a finished OpenTelemetry ``ReadableSpan``."""
    duration_ms = ((span.end_time or 0) - (span.start_time or 0)) / 1e6
    attrs = dict(span.attributes or {})
    shown = [f"{label}={_short(attrs[key])}" for key, label in _SHOWN.items() if key in attrs]
    if span.status is not None and span.status.status_code.name == "ERROR":
        shown.append("status=ERROR")
    indent = "  " if span.parent is not None else ""
    return f"[span] {indent}{span.name:<34} {duration_ms:8.1f} ms  {' '.join(shown)}"


def console_tracer_provider() -> Any:
    """A tracer provider that prints one compact line per finished client span.

    With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, spans go to that OTLP/HTTP collector
    instead (and a line says so).
    """
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        SimpleSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    lock = threading.Lock()  # the embedded server's threads end spans too: one line at a time

    class CompactConsoleExporter(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            for span in spans:
                scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
                if scope.startswith(_SCOPES):
                    with lock:
                        sys.stdout.write(span_line(span) + "\n")
                        sys.stdout.flush()
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        print(f"(exporting spans over OTLP to {os.environ['OTEL_EXPORTER_OTLP_ENDPOINT']})")
    else:
        provider.add_span_processor(SimpleSpanProcessor(CompactConsoleExporter()))
    return provider
