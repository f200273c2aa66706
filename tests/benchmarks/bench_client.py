"""Client overhead per call and per streamed event, all three on the same bytes.

One canned ``PromptCallResponse`` body and one SSE body of ``EVENTS``
``PromptCallStreamResponse`` events are generated once and served by an in-process
``httpx.MockTransport``, so no network or server is timed: only what each client does
around the bytes. Compared, interleaved repeat by repeat:

- raw: ``httpx.Client.post`` + ``json.loads`` (the floor any client pays);
  for streams, ``iter_lines`` + ``json.loads`` of each ``data:`` line;
- this client: ``humanloop_core.Humanloop(http_client=...)``, ``prompts.call``;
- the official SDK: ``humanloop.Humanloop(httpx_client=...)``, ``prompts.call`` /
  ``prompts.call_stream``.

``python -m tests.benchmarks.bench_client --profile`` prints a cProfile of this client.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import httpx

from tests.benchmarks._common import Row, compare, print_rows, row

BASE_URL = "http://bench.local/v5"
EVENTS = 200
TEXT = "The quick brown fox jumps over the lazy dog. " * 4
MESSAGES = [{"role": "user", "content": "Tell me about foxes."}]
NOW = "2026-01-01T00:00:00Z"
# (one non-streamed call, one whole stream returning its event count)
Variant = tuple[Callable[[], Any], Callable[[], int]]


def _prompt() -> dict[str, Any]:
    return {
        "path": "bench/assistant", "id": "pr_bench", "name": "assistant", "model": "gpt-4o-mini",
        "endpoint": "chat", "provider": "openai", "version_id": "prv_bench", "type": "prompt",
        "template": [{"role": "system", "content": "You are a helpful assistant."}],
        "temperature": 0.7, "max_tokens": -1, "top_p": 1, "presence_penalty": 0,
        "frequency_penalty": 0, "status": "committed", "created_at": NOW, "updated_at": NOW,
        "last_used_at": NOW, "version_logs_count": 10, "total_logs_count": 10, "inputs": [],
        "environments": [{"id": "env_prod", "name": "production", "tag": "default", "created_at": NOW}],
    }


def call_body() -> bytes:
    """A realistic non-streamed ``POST /prompts/call`` response."""
    log = {
        "index": 0, "output": TEXT, "created_at": NOW, "provider_latency": 0.42,
        "output_message": {"role": "assistant", "content": TEXT},
        "prompt_tokens": 21, "output_tokens": 40, "prompt_cost": 0.0001, "output_cost": 0.0002,
        "finish_reason": "stop",
    }
    body = {
        "id": "log_bench", "trace_id": None, "prompt": _prompt(), "messages": MESSAGES,
        "inputs": {}, "source": "bench", "metadata": {}, "save": True,
        "start_time": NOW, "end_time": NOW, "logs": [log],
    }
    return json.dumps(body).encode()


def stream_body(events: int = EVENTS) -> bytes:
    """An SSE body of ``events`` ``PromptCallStreamResponse`` deltas, the last one final."""
    lines = []
    for i in range(events):
        item: dict[str, Any] = {
            "index": 0, "id": "log_bench", "prompt_id": "pr_bench", "version_id": "prv_bench",
            "output": f"word{i} ", "created_at": NOW,
        }
        if i == events - 1:
            item.update(finish_reason="stop", prompt_tokens=21, output_tokens=events)
        lines.append(f"data: {json.dumps(item)}\n\n")
    return "".join(lines).encode()


def mock_transport(call: bytes, stream: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        wants_stream = b'"stream":true' in request.content.replace(b" ", b"")
        if wants_stream:
            return httpx.Response(200, content=stream, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, content=call, headers={"content-type": "application/json"})

    return httpx.MockTransport(handler)


def _raw(transport: httpx.MockTransport) -> Variant:
    http = httpx.Client(transport=transport, base_url=BASE_URL, headers={"X-API-KEY": "k"})
    payload = {"path": "bench/assistant", "messages": MESSAGES}

    def call() -> Any:
        return json.loads(http.post("/prompts/call", json=payload).content)

    def stream() -> int:
        n = 0
        with http.stream("POST", "/prompts/call", json={**payload, "stream": True}) as r:
            for line in r.iter_lines():
                if line.startswith("data:"):
                    json.loads(line[5:])
                    n += 1
        return n

    return call, stream


def _sdk_variant(call: Callable[..., Any], stream: Callable[..., Iterable[Any]]) -> Variant:
    """The two timed closures for an SDK, given its call and streaming-call methods."""
    kwargs = {"path": "bench/assistant", "messages": MESSAGES}
    return (lambda: call(**kwargs)), (lambda: sum(1 for _ in stream(**kwargs)))


def _ours(transport: httpx.MockTransport) -> Variant:
    from humanloop_core import Humanloop

    client = Humanloop(api_key="k", base_url=BASE_URL, http_client=httpx.Client(transport=transport))
    return _sdk_variant(client.prompts.call, partial(client.prompts.call, stream=True))


def _official(transport: httpx.MockTransport) -> Variant:
    from humanloop import Humanloop as Official

    client = Official(api_key="k", base_url=BASE_URL, httpx_client=httpx.Client(transport=transport))
    return _sdk_variant(client.prompts.call, client.prompts.call_stream)


def _check(variants: dict[str, Variant]) -> None:
    """Every variant must really parse the bytes, or the comparison means nothing."""
    for name, (call, stream) in variants.items():
        events = stream()
        assert events == EVENTS, f"{name}: {events} events, expected {EVENTS}"
        result = call()
        output = result["logs"][0]["output"] if isinstance(result, dict) else result.logs[0].output
        assert output == TEXT, f"{name}: wrong output {output!r}"


def run(loops: int = 200, repeats: int = 9) -> list[Row]:
    transport = mock_transport(call_body(), stream_body())
    variants = {
        "raw httpx + json": _raw(transport),
        "humanloop_core": _ours(transport),
        "official humanloop 0.8.38": _official(transport),
    }
    _check(variants)
    calls = compare({n: v[0] for n, v in variants.items()}, loops=loops, repeats=repeats)
    streams = compare({n: v[1] for n, v in variants.items()}, loops=max(loops // 20, 5), repeats=repeats, warmup=3)
    raw_call, raw_stream = calls["raw httpx + json"], streams["raw httpx + json"]
    rows: list[Row] = []
    for name, seconds in calls.items():
        target = "<=1.5x" if name == "humanloop_core" else ""
        rows.append(row(f"prompts.call, {name}", seconds * 1e6, "us/call", seconds / raw_call, target))
    for name, seconds in streams.items():
        target = "<=1.5x" if name == "humanloop_core" else ""
        per_event = seconds / EVENTS
        rows.append(row(f"stream event, {name}", per_event * 1e6, "us/event", seconds / raw_stream, target))
    return rows


def _repeat(fn: Callable[[], Any], n: int) -> None:
    for _ in range(n):
        fn()


def profile() -> None:
    """cProfile of this client's call and stream paths, sorted by own time."""
    import cProfile
    import pstats

    transport = mock_transport(call_body(), stream_body())
    call, stream = _ours(transport)
    for label, fn, n in (("prompts.call", call, 2000), ("stream", stream, 100)):
        prof = cProfile.Profile()
        prof.runcall(_repeat, fn, n)
        print(f"\n==== {label} x{n} ====")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        profile()
    else:
        print_rows(run())
