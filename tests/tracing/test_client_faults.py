"""Faults a real server will not produce on demand, over ``httpx.MockTransport``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.trace import StatusCode

from humanloop_core import (
    APIConnectionError,
    APIResponseValidationError,
    AsyncHumanloop,
    Humanloop,
    InternalServerError,
)
from tests.tracing.conftest import Otel
from tests.tracing.fakes import call_response

BASE_URL = "http://mock.test/v5"
Handler = Callable[[httpx.Request], httpx.Response]


def _flaky(failures: int, status: int = 503) -> tuple[Handler, list[httpx.Request]]:
    """Fail the first ``failures`` attempts with ``status`` (retry at once), then succeed."""
    seen: list[httpx.Request] = []
    body = call_response().model_dump_json().encode()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= failures:
            return httpx.Response(status, json={"detail": "busy"}, headers={"retry-after-ms": "0"})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    return handler, seen


async def _call(kind: str, otel: Otel, handler: Handler, max_retries: int) -> Any:
    options: dict[str, Any] = {
        "api_key": "k", "base_url": BASE_URL, "max_retries": max_retries,
        "tracer_provider": otel.tracer_provider, "meter_provider": otel.meter_provider,
    }
    kwargs = {"path": "demo/weather", "messages": [{"role": "user", "content": "hi"}]}
    if kind == "sync":
        client = Humanloop(http_client=httpx.Client(transport=httpx.MockTransport(handler)), **options)
        return client.prompts.call(**kwargs)
    aclient = AsyncHumanloop(http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)), **options)
    return await aclient.prompts.call(**kwargs)


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_retried_then_succeeded_is_not_failed(kind: str, otel: Otel) -> None:
    handler, seen = _flaky(failures=2)
    result = await _call(kind, otel, handler, max_retries=2)

    assert result.id == "log_1" and len(seen) == 3
    span = otel.span()
    assert span.status.status_code is StatusCode.UNSET
    attrs = span.attributes or {}
    assert "error.type" not in attrs
    assert attrs["http.request.resend_count"] == 2
    assert span.name == "chat gpt-4o-mini"  # named from the response: no kernel was sent
    traceparents = {r.headers["traceparent"] for r in seen}
    ctx = span.get_span_context()
    assert traceparents == {f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"}
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert "error.type" not in duration.attributes


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_retries_exhausted_marks_the_span_failed(kind: str, otel: Otel) -> None:
    handler, seen = _flaky(failures=5, status=500)
    with pytest.raises(InternalServerError):
        await _call(kind, otel, handler, max_retries=1)

    assert len(seen) == 2
    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "500"
    (duration,) = otel.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "500"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_connection_error_is_typed_by_class(kind: str, otel: Otel) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(APIConnectionError):
        await _call(kind, otel, handler, max_retries=0)

    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "APIConnectionError"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_unparsable_success_is_typed_by_class_not_status(kind: str, otel: Otel) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "log_1"})  # no prompt, no logs

    with pytest.raises(APIResponseValidationError):
        await _call(kind, otel, handler, max_retries=0)

    span = otel.span()
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "APIResponseValidationError"
