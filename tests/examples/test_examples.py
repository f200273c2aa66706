"""Every script in examples/ runs by itself, exits 0 and prints what it promises.

Each runs as a user would run it: a fresh interpreter, no HUMANLOOP_BASE_URL (so it
starts its own embedded server), no OpenAI key, no OTLP endpoint. The expected lines
follow from the mock provider's documented rules (``You said: <last user message>``,
tool calls with arguments taken from the message), so a wrong answer fails here.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

EXPECTED: dict[str, list[str]] = {
    "quickstart.py": [
        r"answer: You said: What is the capital of France\?",
        r"first page: \[.+\] \(more pages: True\)",
        r"all prompts: \[.*'examples/more/prompt-2'.*'examples/quickstart'\]",
        r"error handled: NotFoundError status=404",
    ],
    "streaming.py": [
        r"streamed: You said: Tell me a short story about a lighthouse\.",
        r"finish_reason=stop",
        r"stream done: ([2-9]|\d\d+) chunks",
    ],
    "async_calls.py": [
        r"'What is 2 \+ 2\?' -> 'You said: What is 2 \+ 2\?'",
        r"4 concurrent calls in \d+ ms",
        r"async stream: 'You said: Count to five\.",
        r"async pagination: \['examples/async'\]",
    ],
    "tracing.py": [
        r"call: 'You said: Why is the sky blue\?'",
        r"\[span\] +chat mock-1 .*\bmodel=mock-1\b.*in_tokens=\d+ out_tokens=\d+ finish=stop",
        r"\[span\] .*status=ERROR",
        r"\[span\] answer_question ",
        r"tracing done",
    ],
    "self_hosting.py": [
        r"official SDK saved prompt 'examples/self-hosted'",
        r"humanloop_core read it back: model=mock-1 provider=mock",
        r"official SDK call: +'You said: Hello from two clients'",
        r"same deterministic answer from both clients: True",
    ],
    "openai_backend.py": [r"OPENAI_API_KEY is not set"],
    "langchain_chain.py": [
        r"invoke: 'You said: A tagline for a solar kettle, please\.'",
        r"batch: \['You said: A tagline for rain boots, please\.', 'You said: A tagline for a desk lamp",
        r"stream: You said: A tagline for a bicycle bell, please\.",
    ],
    "langchain_tools.py": [
        r"tool call: get_weather\(\{'city': 'Paris'\}\)",
        r"final answer: 'The tool returned: get_weather -> 18°C and sunny in Paris'",
    ],
    "llamaindex_chat.py": [
        r"chat: 'You said: Recommend a book about the sea\.'",
        r"complete: 'You said: Finish this sentence",
        r"stream_chat: You said: Describe rain in five words\.",
    ],
    "llamaindex_agent.py": [
        r"tool call: multiply\(\{'a': 6, 'b': 7\}\) -> 42",
        r"agent answer: The tool returned: multiply -> 42",
    ],
    "demo.py": [
        r"answer: 'You said: What is a lighthouse\?'",
        r"streamed: You said: Describe the sea at night\.",
        r"page 1: \['demo/.+'\], has_next=True",
        r"caught NotFoundError: status=404",
        r"chain\.invoke: 'You said: A tagline for a solar kettle\.'",
        r"tool call: get_weather\(\{'city': 'Lisbon'\}\) -> '18°C and sunny in Lisbon'",
        r"tool call: multiply\(\{'a': 6, 'b': 7\}\) -> 42",
        r"agent answer: The tool returned: multiply -> 42",
        r"\[span\] +demo 6: LangChain",
        r"\[span\]   \S.*model=mock-1",
        r"flow log demo/traced/weather: inputs=\{'city': 'Paris'\} output='18°C and sunny in Paris'",
        r"  child PromptLogResponse: demo/traced/gpt-4o-mini, 11\+5 tokens, [0-9.]+ ms",
        r"  child ToolLogResponse: demo/traced/get_weather, [0-9.]+ ms",
        r"demo/evals/matches +100\.0% +- +0 +90\.0% pass",
        r"demo/evals/llm-judge +5\.50 +- +0",
        r"template 'Echo \{\{n\}\}': passed=True \(a CI job exits 0\)",
        r"demo/evals/matches +0\.0% +-100\.0% +0 +90\.0% FAIL",
        r"FAILED: below threshold: demo/evals/matches",
        r"template 'Repeat \{\{n\}\}': passed=False \(a CI job exits 1\)",
        r"demo complete",
    ],
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUMANLOOP_", "OPENAI_", "OTEL_"))}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(script: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**_env(), **extra_env},
        timeout=240,
    )


@contextmanager
def _serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """A loopback HTTP server in a thread for the length of the block; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """All examples started at once, a few at a time: most of each run is waiting on
    imports and a server start, so overlapping them shortens the suite."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        yield {script: pool.submit(_run, script) for script in sorted(EXPECTED)}


def test_every_example_is_tested() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(EXPECTED)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script: str, runs: dict[str, Future[subprocess.CompletedProcess[str]]]) -> None:
    proc = runs[script].result()
    output = proc.stdout
    assert proc.returncode == 0, f"{script} exited {proc.returncode}\n{output}\n{proc.stderr[-4000:]}"
    missing = [pattern for pattern in EXPECTED[script] if not re.search(pattern, output)]
    assert not missing, f"{script} output lacks {missing}:\n{output}"
    assert "Traceback" not in proc.stderr, proc.stderr[-4000:]


class _OtlpSink(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and remembers what arrived."""

    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append((self.path, len(body)))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass


def test_tracing_example_exports_over_otlp_when_configured() -> None:
    with _serving(_OtlpSink) as url:
        proc = _run("tracing.py", OTEL_EXPORTER_OTLP_ENDPOINT=url)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "exporting spans over OTLP" in proc.stdout
    assert "[span]" not in proc.stdout  # the console summary is replaced, not doubled
    assert _OtlpSink.received and all(path == "/v1/traces" for path, _ in _OtlpSink.received)
    assert sum(size for _, size in _OtlpSink.received) > 500  # several spans, not an empty batch


class _FakeOpenAI(http.server.BaseHTTPRequestHandler):
    """A minimal OpenAI-compatible chat-completions endpoint that echoes the question."""

    seen: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        self.seen.append((self.headers.get("authorization", ""), body))
        text = f"Fake model says: {body['messages'][-1]['content']}"
        if body.get("stream"):
            words = [w + " " for w in text.split(" ")]
            events = [{"choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]} for w in words]
            events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            events.append({"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(words)}})
            payload = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            self._reply(payload.encode(), "text/event-stream")
        else:
            completion = {
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 7, "completion_tokens": len(text.split())},
            }
            self._reply(json.dumps(completion).encode(), "application/json")

    def _reply(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_openai_backend_example_calls_the_configured_model() -> None:
    with _serving(_FakeOpenAI) as url:
        proc = _run(
            "openai_backend.py",
            OPENAI_API_KEY="sk-test-example",
            OPENAI_BASE_URL=f"{url}/v1",
            OPENAI_MODEL="fake-model",
        )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "fake-model: Fake model says: Why do lighthouses flash in patterns?" in proc.stdout
    assert "streamed: Fake model says: Why do lighthouses flash in patterns?" in proc.stdout
    assert "usage: " in proc.stdout and "openai backend done" in proc.stdout
    assert len(_FakeOpenAI.seen) == 2
    assert all(auth == "Bearer sk-test-example" for auth, _ in _FakeOpenAI.seen)
    assert [body["model"] for _, body in _FakeOpenAI.seen] == ["fake-model", "fake-model"]
    assert [bool(body.get("stream")) for _, body in _FakeOpenAI.seen] == [False, True]
    assert "sk-test-example" not in proc.stdout + proc.stderr  # the provider key is never echoed
