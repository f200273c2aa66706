"""The API key never leaves the X-API-KEY header: not in repr, str, errors (their args,
attributes and whole cause chain), DEBUG logs or spans (the adapters: test_secrets_adapters.py).

Each test first proves the key was really in play (the fault server saw it in the
header, or the adapter was built with it), so an absence is meaningful.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from typing import Any

import pytest

from humanloop_core import ApiError, AsyncHumanloop, Humanloop
from tests.reliability.conftest import API_KEY, Driver
from tests.reliability.fault_server import (
    PROXY_502_HTML,
    EventStream,
    FaultServer,
    Reply,
    Reset,
    Stall,
    call_body,
    closed_port,
    sse,
    stream_events,
    validation_body,
)

PROVIDER_KEY = "sk-provider-secret-5b2d9a"
SECRETS = (API_KEY, PROVIDER_KEY)


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, (
            f"secret leaked into {where}: ...{text[max(0, text.find(secret) - 80) :][:200]}"
        )


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def assert_error_clean(error: BaseException) -> None:
    """str, repr, args and attributes of the error and every exception it chains to."""
    assert_no_secret("".join(traceback.format_exception(error)), "the formatted traceback")
    for exc in _chain(error):
        name = type(exc).__name__
        assert_no_secret(str(exc), f"str({name})")
        assert_no_secret(repr(exc), f"repr({name})")
        assert_no_secret(repr(exc.args), f"{name}.args")
        assert_no_secret(repr(getattr(exc, "__dict__", {})), f"vars({name})")
        assert_no_secret(repr(getattr(exc, "__notes__", "")), f"{name}.__notes__")


def test_client_repr_and_str_hide_the_key() -> None:
    for cls in (Humanloop, AsyncHumanloop):
        client = cls(api_key=API_KEY, base_url="http://127.0.0.1:9/v5")
        for shown in (client, client.with_options(max_retries=1), client.prompts):
            assert_no_secret(repr(shown), f"repr({type(shown).__name__})")
            assert_no_secret(str(shown), f"str({type(shown).__name__})")


FAILURES = {
    "401": Reply(401, {"detail": "Invalid API key"}),
    "422": Reply(422, validation_body()),
    "502-html": Reply(502, PROXY_502_HTML, {"Content-Type": "text/html"}),
    "reset": Reset(),
    "timeout": Stall(5),
    "cut-stream": EventStream(stream_events(["a", "b"]), cut=True),
    "bad-event": EventStream([sse("{broken")]),
}


@pytest.mark.parametrize("scenario", sorted(FAILURES))
async def test_errors_never_carry_the_key(
    driver: Driver, fault: FaultServer, scenario: str
) -> None:
    fault.play(FAILURES[scenario])
    client = driver.client(fault.base_url, max_retries=0, timeout=0.3)
    if scenario in ("cut-stream", "bad-event"):
        error = (await driver.stream(client)).error
    else:
        with pytest.raises(ApiError) as caught:
            await driver.call(client, provider_api_keys={"openai": PROVIDER_KEY})
        error = caught.value
    assert isinstance(error, ApiError)
    assert fault.attempts[0].headers["x-api-key"] == API_KEY  # the key was really sent
    assert_error_clean(error)


async def test_connection_refused_error_hides_the_key(driver: Driver) -> None:
    client = driver.client(f"http://127.0.0.1:{closed_port()}/v5", max_retries=0)
    with pytest.raises(ApiError) as caught:
        await driver.call(client)
    assert_error_clean(caught.value)


async def _mixed_traffic(driver: Driver, fault: FaultServer, **client_kwargs: Any) -> None:
    """A success, a retried 503, a stream, and a 401 (each with a provider key in the body)."""
    fault.play(
        Reply(200, call_body()),
        Reply(503, {"detail": "busy"}, {"retry-after-ms": "1"}),
        Reply(200, call_body()),
        EventStream(stream_events(["a", "b"])),
        Reply(401, {"detail": "Invalid API key"}),
    )
    client = driver.client(fault.base_url, **client_kwargs)
    secret_body = {"provider_api_keys": {"openai": PROVIDER_KEY}}
    await driver.call(client, **secret_body)
    await driver.call(client, **secret_body)
    assert (await driver.stream(client)).error is None
    with pytest.raises(ApiError):
        await driver.call(client, **secret_body)
    assert len(fault.attempts) == 5
    assert all(a.headers["x-api-key"] == API_KEY for a in fault.attempts)


async def test_debug_logs_show_requests_and_responses_without_the_key(
    driver: Driver, fault: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="humanloop_core")
    await _mixed_traffic(driver, fault)
    records = [r for r in caplog.records if r.name.startswith("humanloop_core")]
    text = "\n".join(r.getMessage() for r in records)
    assert_no_secret(text, "DEBUG log messages")
    assert_no_secret(caplog.text, "DEBUG log output")
    assert_no_secret(repr([(r.msg, r.args) for r in records]), "DEBUG log record args")
    # Each attempt is logged as a request line and a response line (status included).
    assert text.count("/v5/prompts/call") >= 2 * len(fault.attempts), text
    for status in ("200", "503", "401"):
        assert status in text, f"no response line with {status}:\n{text}"


_LOG_SCRIPT = """
import sys
from humanloop_core import Humanloop, ApiError
client = Humanloop(api_key=sys.argv[2], base_url=sys.argv[1], max_retries=1)
client.prompts.call(path="p", messages=[{"role": "user", "content": "hi"}],
                    provider_api_keys={"openai": sys.argv[3]})
try:
    client.prompts.call(path="p", messages=[{"role": "user", "content": "hi"}])
except ApiError as exc:
    print("raised", exc.status_code)
"""


def test_humanloop_log_env_enables_redacted_debug_logging(fault: FaultServer) -> None:
    fault.play(Reply(200, call_body()), Reply(503, {"detail": "busy"}, {"retry-after-ms": "1"}))
    env = {**os.environ, "HUMANLOOP_LOG": "debug"}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_LOG_SCRIPT), fault.base_url, API_KEY, PROVIDER_KEY],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "raised 503" in done.stdout
    output = done.stdout + done.stderr
    assert_no_secret(output, "HUMANLOOP_LOG=debug output")
    assert len(fault.attempts) == 3
    assert output.count("/v5/prompts/call") >= 6, output  # request + response line per attempt
    assert "200" in output and "503" in output, output


async def test_spans_never_carry_the_key(
    driver: Driver, fault: FaultServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    # Content capture on: message bodies go into spans, so a key in them would too.
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    await _mixed_traffic(driver, fault, tracer_provider=provider)
    spans = exporter.get_finished_spans()
    assert len(spans) == 4  # one span per call, not per attempt
    dumped = "\n".join(span.to_json() for span in spans)
    assert "gen_ai" in dumped  # spans have real content, so the absence below means something
    assert_no_secret(dumped, "exported spans")
