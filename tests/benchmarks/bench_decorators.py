"""What tracing your own code into Humanloop costs the app, per call.

Decorators: one small function called undecorated (the baseline), under ``@tool`` with
no OpenTelemetry SDK (the global no-op tracer), with an SDK span but no exporter, and
with the Humanloop exporter while the server is down (connection refused: every batch
fails and is retried in the background) and up (a real server in its own process
ingesting every span). The goal: with the server down, under 20 us more per call than
undecorated.

LangChain: one ``ChatOpenAI.invoke`` on canned bytes (an in-process MockTransport, as in
``bench_langchain``) with no callback handler, with ``HumanloopCallbackHandler`` (server
down, so only the app's side is timed), and with LangSmith's ``LangChainTracer`` (its
client pointed at a closed port, so it too only queues). Langfuse's handler is not
installed here (its SDK pulls a large dependency tree); LangSmith's is part of
langchain-core's stack.

    python -m tests.benchmarks.bench_decorators
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks._common import Row, compare, print_rows, row

BASELINE = "undecorated"
# hl.tool's path: the pipeline's tracer, light spans while only Humanloop export reads them.
DOWN = "@tool, hl.tool pipeline (light spans), server down"
# What hl.tool did before light spans, and what an app's own provider + our processor pays.
SDK_DOWN = "@tool, SDK span + Humanloop exporter, server down"
UP = "@tool, hl.tool pipeline (light spans), server up"
QUEUE = 10_000_000  # never full while timing: the queued path, not the drop path, is measured


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v5"


def _target(i: int, label: str = "x") -> dict[str, Any]:
    return {"i": i, "label": label}


def _decorated(tracer: Any) -> Callable[[], Any]:
    from humanloop_core.decorators import tool

    fn = tool(path="bench/step", tracer=tracer)(_target)
    return lambda: fn(1, label="y")


def _bare(tracer: Any) -> Any:
    span = tracer.start_span("bare")
    try:
        return _target(1, label="y")
    finally:
        span.end()


def _provider(processor: Any = None) -> Any:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    if processor is not None:
        provider.add_span_processor(processor)
    return provider


def decorator_rows(loops: int, repeats: int) -> list[Row]:
    """Two phases, each interleaving its variants: the server-up exporter's worker (and
    the server process) compete for the CPU, so they are kept out of the other phase."""
    from opentelemetry import trace

    from humanloop_core.exporter import HumanloopSpanProcessor, pipeline
    from tests.reliability.server_process import ServerProcess

    plain = _provider()
    down = HumanloopSpanProcessor("k", _closed_url(), max_queue_size=QUEUE)
    down_provider = _provider(down)
    light = pipeline("k", _closed_url(), instrument=False)
    light.processor._max_queue = QUEUE  # the queued path, as for the others
    bare = plain.get_tracer("bare")
    try:
        first = compare({
            BASELINE: lambda: _target(1, label="y"),
            "a bare SDK span around it (reference)": lambda: _bare(bare),
            "@tool, no OpenTelemetry SDK": _decorated(trace.get_tracer("bench")),
            "@tool, SDK span, no exporter": _decorated(plain.get_tracer("bench")),
            SDK_DOWN: _decorated(down_provider.get_tracer("bench")),
            DOWN: _decorated(light.tracer),
        }, loops=loops, repeats=repeats)
    finally:
        down_provider.shutdown(), plain.shutdown(), light.shutdown()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "bench.sqlite").start()
        up_pipeline = pipeline(server.api_key, server.base_url, instrument=False)
        up = up_pipeline.processor
        up._max_queue = QUEUE
        try:
            second = compare({
                BASELINE: lambda: _target(1, label="y"),
                UP: _decorated(up_pipeline.tracer),
            }, loops=loops, repeats=repeats)
            delivered = up.force_flush(300_000)
        finally:
            up_pipeline.shutdown()
            server.stop()
    assert delivered and up.exported > 0 and up.dropped == 0, (up.exported, up.dropped)
    rows = [row(f"call, {name}", s * 1e6, "us/call", s / first[BASELINE]) for name, s in first.items()]
    rows.append(row(f"call, {UP}", second[UP] * 1e6, "us/call", second[UP] / second[BASELINE]))
    rows.append(row("added per call, hl.tool (light spans), server down",
                    max((first[DOWN] - first[BASELINE]) * 1e6, 1e-3), "us", None, "<20 us"))
    rows.append(row("added per call, exporter on an app's SDK provider, server down",
                    max((first[SDK_DOWN] - first[BASELINE]) * 1e6, 1e-3), "us", None))
    rows.append(row("added per call, hl.tool (light spans), server up",
                    max((second[UP] - second[BASELINE]) * 1e6, 1e-3), "us", None))
    return rows


def _chat_openai() -> Any:
    import httpx
    from langchain_openai import ChatOpenAI

    from tests.benchmarks._canned import (
        EVENTS,
        OPENAI_BASE,
        canned,
        openai_body,
        openai_stream_body,
    )

    http = httpx.Client(transport=canned(openai_body(), openai_stream_body(EVENTS)))
    return ChatOpenAI(model="gpt-4o-mini", api_key="sk-bench", base_url=OPENAI_BASE, http_client=http)


def handler_rows(loops: int, repeats: int) -> list[Row]:
    from langchain_core.tracers import LangChainTracer
    from langchain_humanloop import HumanloopCallbackHandler
    from langsmith import Client as LangSmith

    from humanloop_core.exporter import HumanloopSpanProcessor

    llm = _chat_openai()
    processor = HumanloopSpanProcessor("k", _closed_url(), max_queue_size=QUEUE)
    provider = _provider(processor)
    ours = HumanloopCallbackHandler(tracer=provider.get_tracer("bench"))
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    # Its client reports every failed upload (the port is closed on purpose) on stderr.
    logging.getLogger("langsmith").setLevel(logging.CRITICAL)
    langsmith = LangChainTracer(client=LangSmith(api_url=_closed_url(), api_key="ls-bench"),
                                project_name="bench")
    variants = {
        "ChatOpenAI.invoke, no handler": lambda: llm.invoke("hi"),
        "ChatOpenAI.invoke, HumanloopCallbackHandler": lambda: llm.invoke("hi", config={"callbacks": [ours]}),
        "ChatOpenAI.invoke, LangSmith LangChainTracer": lambda: llm.invoke("hi", config={"callbacks": [langsmith]}),
    }
    try:
        seconds = compare(variants, loops=max(loops // 10, 2), repeats=repeats, warmup=5)
    finally:
        provider.shutdown()
    base = seconds["ChatOpenAI.invoke, no handler"]
    return [row(name, s * 1e6, "us/call", s / base) for name, s in seconds.items()]


def run(loops: int = 5000, repeats: int = 7) -> list[Row]:
    return decorator_rows(loops, repeats) + handler_rows(loops, repeats)


if __name__ == "__main__":
    print_rows(run())
