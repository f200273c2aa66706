"""The span processor that ships finished spans to a Humanloop server in background batches.

The application thread only appends to a bounded deque (``on_end``); one daemon thread
encodes batches as OTLP/JSON and posts them gzipped. A failed send (connection refused,
timeout, 429, 5xx) keeps its batch and retries with capped exponential backoff while new
spans queue behind it up to the bound, so spans made while the server was briefly away
arrive once it is back; past the bound new spans are dropped and counted, never blocking.
The drop count is reported once, at shutdown (also run at interpreter exit).

Needs ``opentelemetry-sdk`` (imported by whoever builds this processor, never by
``import humanloop_core``).
"""

from __future__ import annotations

import atexit
import gzip
import json
import logging
import random
import threading
import time
import weakref
from collections import deque

import httpx
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind

from . import _schema as hl
from ._frames import current_prompt
from ._otlp_json import encode

logger = logging.getLogger("humanloop_core.tracing")

EXPORT_PATH = "/import/otel/v1/traces"
_PROMPT_SPAN = hl.SPAN_NAMES["prompt"]
# Instrumentation scopes whose CLIENT spans are model calls a @prompt should record.
PROVIDER_SCOPES = ("opentelemetry.instrumentation.openai", "opentelemetry.instrumentation.anthropic",
                   "opentelemetry.instrumentation.groq", "opentelemetry.instrumentation.cohere",
                   "opentelemetry.instrumentation.mistralai", "opentelemetry.instrumentation.bedrock",
                   "opentelemetry.instrumentation.google_genai", "opentelemetry.instrumentation.vertexai")


def backoff(attempt: int, cap: float) -> float:
    """Seconds before retry ``attempt`` (1-based): exponential from 0.25 s, capped, jittered."""
    return float(min(cap, 0.25 * 2.0 ** (attempt - 1)) * (0.5 + random.random() / 2))


def _shutdown_at_exit(ref: weakref.ref[HumanloopSpanProcessor]) -> None:
    processor = ref()
    if processor is not None:
        processor.shutdown()


def _unclaimed_model_call(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
    return scope.startswith(PROVIDER_SCOPES) and hl.FILE_TYPE not in (span.attributes or {})


class HumanloopSpanProcessor(SpanProcessor):
    """Exports every span ending on its tracer provider to a Humanloop server's OTLP import.

    Args:
        api_key: The server's API key (sent as ``X-API-KEY``).
        base_url: The API root, e.g. ``http://127.0.0.1:8000/v5``.
        max_queue_size: Spans held while waiting to send; past it new spans are dropped.
        max_batch_size: Spans per request.
        schedule_delay: Seconds between sends when fewer than a batch are waiting.
        max_backoff: Longest wait between retries of a failed send.
        timeout: Seconds allowed per send.
        transport: An httpx transport (tests inject faults with it).
    """

    def __init__(self, api_key: str, base_url: str, *, max_queue_size: int = 10_000,
                 max_batch_size: int = 512, schedule_delay: float = 0.5, max_backoff: float = 10.0,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        self._url = base_url.rstrip("/") + EXPORT_PATH
        self._headers = {"X-API-KEY": api_key, "Content-Type": "application/json",
                         "Content-Encoding": "gzip"}
        self._max_queue, self._max_batch = max_queue_size, max_batch_size
        self._delay, self._max_backoff, self._timeout = schedule_delay, max_backoff, timeout
        self._transport = transport
        self._queue: deque[ReadableSpan] = deque()
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._closed = False
        self._prompts: set[int] = set()  # span ids of this provider's @prompt spans running
        self._stop = threading.Event()
        self.dropped = 0
        self.rejected = 0
        self.exported = 0
        self._thread = threading.Thread(target=self._run, name="humanloop-span-export", daemon=True)
        self._thread.start()
        atexit.register(_shutdown_at_exit, weakref.ref(self))

    def __repr__(self) -> str:  # never the key
        return f"HumanloopSpanProcessor(url={self._url!r}, queued={len(self._queue)}, dropped={self.dropped})"

    # -- the application's side: O(1), never raises ----------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if span.name == _PROMPT_SPAN:
            self._prompts.add(span.context.span_id)
            return
        frame = current_prompt()
        if frame is None or span.kind is not SpanKind.CLIENT or frame.span_id not in self._prompts:
            return  # no @prompt running, or its span is not ours (another or a closed pipeline)
        scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
        if scope.startswith(PROVIDER_SCOPES):
            # A model call inside @prompt: this span is the prompt's log, at its path.
            span.set_attribute(hl.FILE_TYPE, "prompt")
            span.set_attribute(hl.FILE_PATH, frame.path)
            if frame.inputs is not None:
                span.set_attribute(hl.LOG_INPUTS, frame.inputs)
            frame.provider_calls += 1

    def on_end(self, span: ReadableSpan) -> None:
        if span.name == _PROMPT_SPAN:
            self._prompts.discard(span.context.span_id)
        if span.parent is None and span.kind is SpanKind.CLIENT and _unclaimed_model_call(span):
            return  # a model call outside any @prompt or trace: not this app's to log
        queue = self._queue
        if self._closed or len(queue) >= self._max_queue:
            self.dropped += 1
            return
        queue.append(span)
        if self._idle.is_set():  # a plain read; clear() takes a lock, so only when needed
            self._idle.clear()
        if len(queue) == self._max_batch:  # crossing, not every span past it
            self._wake.set()

    # -- flushing and shutting down ----------------------------------------------------------
    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Send what is queued now; False if it could not all be sent within the timeout."""
        deadline = time.monotonic() + timeout_millis / 1000
        while True:
            if not self._queue and self._idle.is_set():
                return True
            self._wake.set()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._thread.is_alive():
                return False
            self._idle.wait(min(remaining, 0.05))

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting spans, send what is queued (for up to ``timeout`` seconds), stop."""
        if self._closed:
            return
        self._closed = True
        self._prompts.clear()
        self.force_flush(int(timeout * 1000))
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=1.0)
        left = len(self._queue)
        self.dropped += left
        self._queue.clear()
        if self.dropped or self.rejected:
            logger.warning("Humanloop span export: %d spans dropped (queue full, or unsent at "
                           "shutdown), %d refused by the server, %d exported",
                           self.dropped, self.rejected, self.exported)

    # -- the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        client = httpx.Client(timeout=self._timeout, transport=self._transport)
        batch: list[ReadableSpan] = []
        body: bytes | None = None  # the batch encoded once, however often it is retried
        attempt = 0
        try:
            while not self._stop.is_set():
                if not batch:
                    self._wake.wait(self._delay)
                    self._wake.clear()
                    batch = self._take()
                    if batch:
                        self._idle.clear()
                    else:
                        if not self._queue:
                            self._idle.set()
                        continue
                if body is None:
                    body = self._encode(batch)
                outcome = self._send(client, body, len(batch)) if body else len(batch)
                if outcome is None:
                    attempt += 1
                    # Waiting on _stop (not sleep) lets shutdown end a long backoff.
                    self._stop.wait(backoff(attempt, self._max_backoff))
                    continue
                self.rejected += outcome
                self.exported += len(batch) - outcome
                batch, body, attempt = [], None, 0
                if self._queue:
                    self._wake.set()
                else:
                    self._idle.set()
        finally:
            self.dropped += len(batch)
            client.close()

    def _take(self) -> list[ReadableSpan]:
        batch: list[ReadableSpan] = []
        queue = self._queue
        while queue and len(batch) < self._max_batch:
            batch.append(queue.popleft())
        return batch

    @staticmethod
    def _encode(batch: list[ReadableSpan]) -> bytes:
        try:
            return gzip.compress(json.dumps(encode(batch), separators=(",", ":")).encode(), 5)
        except Exception:  # retrying cannot help a batch that does not encode
            logger.debug("span export could not encode a batch", exc_info=True)
            return b""

    def _send(self, client: httpx.Client, body: bytes, size: int) -> int | None:
        """How many spans of the batch the server refused (all of it on a 4xx, those its
        OTLP partial success names on a 200), or None to retry."""
        try:
            response = client.post(self._url, content=body, headers=self._headers)
        except httpx.HTTPError as exc:
            logger.debug("span export failed, will retry: %s", type(exc).__name__)
            return None
        if response.status_code == 429 or response.status_code >= 500:
            return None
        if response.status_code >= 400:
            logger.debug("span export refused: %s %s", response.status_code, response.text[:200])
            return size
        return min(_partially_rejected(response), size)


def _partially_rejected(response: httpx.Response) -> int:
    """``partialSuccess.rejectedSpans`` of an OTLP/JSON answer (0 when absent or unreadable)."""
    try:
        partial = response.json().get("partialSuccess") or {}
        rejected = int(partial.get("rejectedSpans") or 0)
    except (ValueError, AttributeError, TypeError):
        return 0
    if rejected:
        logger.debug("span export: %d spans refused: %s", rejected, str(partial.get("errorMessage"))[:200])
    return max(rejected, 0)
