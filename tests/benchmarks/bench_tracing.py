"""What tracing costs per call: compiled out, no SDK configured, and a real SDK.

The same canned bytes as ``bench_client`` are served by an ``httpx.MockTransport`` so
only client-side work is timed. Variants, interleaved repeat by repeat:

- compiled out: the transport gets the core's no-op telemetry stand-in (the floor);
- no SDK: the default client, global OpenTelemetry providers never configured
  (what every user without an SDK pays; goal: under 3% over compiled out);
- SDK, sampler off: an SDK whose ``ALWAYS_OFF`` sampler drops every span (metrics on);
- SDK, in-memory: an SDK tracer provider with a ``SimpleSpanProcessor`` into an
  ``InMemorySpanExporter`` and a meter provider with an ``InMemoryMetricReader``.

Global providers are never set: the SDK variants pass theirs to the client.

Whole-call timings on a busy machine wander by more than 3%, so the no-SDK hooks are also
timed alone (``start`` + ``inject`` + ``succeed``, and ``chunk``), with the GC off, and
shown as a share of the compiled-out call: that figure is the one the 3% goal is about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import httpx

from tests.benchmarks._common import Row, compare, print_rows, row
from tests.benchmarks.bench_client import (
    BASE_URL,
    EVENTS,
    MESSAGES,
    call_body,
    mock_transport,
    stream_body,
)

BASELINE = "compiled out"
NO_SDK = "no SDK configured"
Variant = tuple[Callable[[], Any], Callable[[], int]]


@contextmanager
def _tracing_compiled_out() -> Iterator[None]:
    """While building a client, hand its transport the core's no-op telemetry."""
    import humanloop_core.client as client_module
    from humanloop_core.core._telemetry import NoopTelemetry

    original = client_module._telemetry
    client_module._telemetry = lambda *args: NoopTelemetry()  # type: ignore[assignment]
    try:
        yield
    finally:
        client_module._telemetry = original  # type: ignore[assignment]


def _sdk(sampler: Any = None) -> dict[str, Any]:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    tracer_provider = TracerProvider(sampler=sampler) if sampler else TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {"tracer_provider": tracer_provider, "meter_provider": meter_provider}


def _variant(transport: httpx.MockTransport, **kwargs: Any) -> Variant:
    from humanloop_core import Humanloop

    client = Humanloop(api_key="k", base_url=BASE_URL, http_client=httpx.Client(transport=transport), **kwargs)
    call = partial(client.prompts.call, path="bench/assistant", messages=MESSAGES)
    stream = partial(client.prompts.call, path="bench/assistant", messages=MESSAGES, stream=True)
    return call, (lambda: sum(1 for _ in stream()))


def variants(transport: httpx.MockTransport) -> dict[str, Variant]:
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    with _tracing_compiled_out():
        baseline = _variant(transport)
    return {
        BASELINE: baseline,
        NO_SDK: _variant(transport),
        "SDK, ALWAYS_OFF sampler": _variant(transport, **_sdk(ALWAYS_OFF)),
        "SDK, in-memory exporter": _variant(transport, **_sdk()),
    }


def _hook_costs(loops: int = 20000) -> tuple[float, float]:
    """Seconds per call and per stream item spent in the no-SDK telemetry hooks alone."""
    from humanloop_core.core._operation import Operation
    from humanloop_core.tracing import Telemetry
    from humanloop_core.types import PromptCallResponse, PromptCallStreamResponse

    telemetry = Telemetry()
    url = httpx.URL(BASE_URL + "/prompts/call")
    op = Operation(name="prompts.call", method="POST", path="/prompts/call",
                   cast_to=PromptCallResponse, json={"path": "bench/assistant", "messages": MESSAGES})
    result = PromptCallResponse.model_validate_json(call_body())
    item = PromptCallStreamResponse(index=0, id="log", prompt_id="pr", version_id="prv", output="x")

    def call() -> None:
        invocation = telemetry.start(op, url)
        invocation.inject({})
        invocation.succeed(result)

    invocation = telemetry.start(op, url)
    per_call = compare({"call": call}, loops=loops, repeats=5)["call"]
    per_item = compare({"chunk": lambda: invocation.chunk(item)}, loops=loops, repeats=5)["chunk"]
    return per_call, per_item


def run(loops: int = 300, repeats: int = 11) -> list[Row]:
    transport = mock_transport(call_body(), stream_body())
    timed = variants(transport)
    for name, (call, stream) in timed.items():
        assert stream() == EVENTS, name
        assert call().logs[0].finish_reason == "stop", name
    calls = compare({n: v[0] for n, v in timed.items()}, loops=loops, repeats=repeats)
    streams = compare({n: v[1] for n, v in timed.items()}, loops=max(loops // 30, 5), repeats=repeats, warmup=3)
    rows: list[Row] = []
    for name, seconds in calls.items():
        target = "<=1.03x" if name == NO_SDK else ""
        rows.append(row(f"prompts.call, tracing {name}", seconds * 1e6, "us/call",
                        seconds / calls[BASELINE], target))
    for name, seconds in streams.items():
        target = "<=1.03x" if name == NO_SDK else ""
        rows.append(row(f"stream of {EVENTS} events, tracing {name}", seconds / EVENTS * 1e6,
                        "us/event", seconds / streams[BASELINE], target))
    per_call, per_item = _hook_costs()
    rows.append(row("no-SDK hooks alone (start+inject+succeed)", per_call * 1e6, "us/call",
                    1 + per_call / calls[BASELINE], "<=1.03x"))
    rows.append(row("no-SDK hook alone (chunk)", per_item * 1e6, "us/event",
                    1 + per_item / (streams[BASELINE] / EVENTS), "<=1.03x"))
    return rows


if __name__ == "__main__":
    print_rows(run())
