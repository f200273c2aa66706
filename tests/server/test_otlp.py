"""OTLP ingestion against the session server: encodings, the trace tree, bounds, and real
exporters (the OpenTelemetry SDK's OTLP exporter with opentelemetry-instrumentation-openai)."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from humanloop_core.server import LocalServer
from humanloop_core.server.otlp import log_id_for
from tests.tracing.fake_openai import PROMPT_TOKENS, fake_openai

PATHS = ["/v1/traces", "/v5/import/otel/v1/traces"]


@pytest.fixture
def otlp(local_server: LocalServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_server.url, headers={"X-API-KEY": local_server.api_key},
                      timeout=30) as client:
        yield client


def ids() -> tuple[str, Iterator[str]]:
    trace = uuid.uuid4().hex

    def spans() -> Iterator[str]:
        while True:
            yield uuid.uuid4().hex[:16]
    return trace, spans()


def attr(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    if isinstance(value, list):
        return {"key": key, "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}}}
    return {"key": key, "value": {"stringValue": value}}


def span(trace: str, span_id: str, parent: str | None, name: str, attrs: dict[str, Any],
         start: int = 1_700_000_000_000_000_000, duration_ms: int = 250, error: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "traceId": trace, "spanId": span_id, "name": name, "kind": 3,
        "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + duration_ms * 1_000_000),
        "attributes": [attr(k, v) for k, v in attrs.items()],
    }
    if parent:
        out["parentSpanId"] = parent
    if error:
        out["status"] = {"code": 2, "message": error}
    return out


def request(*spans: dict[str, Any], service: str = "checkout") -> dict[str, Any]:
    return {"resourceSpans": [{"resource": {"attributes": [attr("service.name", service)]},
                               "scopeSpans": [{"scope": {"name": "test"}, "spans": list(spans)}]}]}


def chat_attrs(model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
        "gen_ai.request.model": model, "gen_ai.request.temperature": 0.5,
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": "stop",
                                               "parts": [{"type": "text", "content": "Hello!"}]}]),
        "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3,
        "gen_ai.response.finish_reasons": ["stop"], **extra,
    }


def get_log(client: httpx.Client, log_id: str) -> dict[str, Any]:
    response = client.get(f"/v5/logs/{log_id}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("path", PATHS)
def test_genai_chat_span_becomes_a_prompt_log_at_a_kernel_version(otlp: httpx.Client, path: str,
                                                                  unique_path: str) -> None:
    trace, sid = ids()
    s = next(sid)
    response = otlp.post(path, json=request(span(trace, s, None, "chat gpt-4o-mini",
                                                  chat_attrs(**{"humanloop.file.path": unique_path}))))
    assert response.status_code == 200, response.text
    assert response.json()["records"] == [log_id_for(trace, s)]
    log = get_log(otlp, log_id_for(trace, s))
    assert log["prompt"]["path"] == unique_path
    assert (log["prompt"]["model"], log["prompt"]["provider"], log["prompt"]["temperature"]) == (
        "gpt-4o-mini", "openai", 0.5)
    assert log["messages"] == [{"role": "user", "content": "Hi"}]
    assert log["output"] == "Hello!" and log["output_message"]["content"] == "Hello!"
    assert (log["prompt_tokens"], log["output_tokens"], log["finish_reason"]) == (12, 3, "stop")
    assert log["provider_latency"] == pytest.approx(0.25)
    # Same kernel again: same version; a new temperature: a new version, as calls do.
    again = span(trace, next(sid), None, "chat", chat_attrs(**{"humanloop.file.path": unique_path}))
    hotter = span(trace, next(sid), None, "chat", chat_attrs(**{"humanloop.file.path": unique_path,
                                                                "gen_ai.request.temperature": 0.9}))
    records = otlp.post(path, json=request(again, hotter)).json()["records"]
    versions = [get_log(otlp, r)["prompt"]["version_id"] for r in records]
    assert versions[0] == log["prompt"]["version_id"] != versions[1]


def test_path_derived_from_service_and_model_when_not_given(otlp: httpx.Client) -> None:
    trace, sid = ids()
    model = f"model-{uuid.uuid4().hex[:6]}"
    records = otlp.post("/v1/traces", json=request(span(trace, next(sid), None, "chat", chat_attrs(model)),
                                                   service="billing")).json()["records"]
    assert get_log(otlp, records[0])["prompt"]["path"] == f"billing/{model}"


def test_tree_across_batches_children_first_through_non_log_spans(otlp: httpx.Client,
                                                                  unique_path: str) -> None:
    """flow -> (http span, not a log) -> chat, and flow -> tool; sent leaf first, in three
    requests, the intermediate span last: the tree comes out right anyway."""
    trace, sid = ids()
    flow_id, http_id, chat_id, tool_id = next(sid), next(sid), next(sid), next(sid)
    flow = span(trace, flow_id, None, "agent run", {"humanloop.file.type": "flow",
                                                    "humanloop.file.path": unique_path,
                                                    "humanloop.log.inputs": json.dumps({"q": "weather?"}),
                                                    "humanloop.log.output": "sunny"}, duration_ms=900)
    tool = span(trace, tool_id, flow_id, "execute_tool get_weather", {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
        "gen_ai.tool.call.arguments": json.dumps({"city": "Paris"}), "gen_ai.tool.call.result": "sunny",
        "humanloop.file.path": unique_path + "-tool"})
    chat = span(trace, chat_id, http_id, "chat", chat_attrs(**{"humanloop.file.path": unique_path + "-llm"}))
    http_span = span(trace, http_id, flow_id, "POST /chat", {"http.request.method": "POST"})
    for batch in ([chat], [tool, flow], [http_span]):
        assert otlp.post("/v1/traces", json=request(*batch)).status_code == 200
    root = get_log(otlp, log_id_for(trace, flow_id))
    assert root["flow"]["path"] == unique_path and root["trace_status"] == "complete"
    assert root["inputs"] == {"q": "weather?"} and root["output"] == "sunny"
    children = {c["id"]: c for c in root["trace_children"]}
    assert set(children) == {log_id_for(trace, chat_id), log_id_for(trace, tool_id)}
    tool_log = children[log_id_for(trace, tool_id)]
    assert tool_log["inputs"] == {"city": "Paris"} and tool_log["output"] == "sunny"
    assert tool_log["tool"]["function"]["name"] == "get_weather"
    assert children[log_id_for(trace, chat_id)]["trace_parent_id"] == root["id"]


def test_resent_batch_stores_nothing_twice(otlp: httpx.Client, local_server: LocalServer,
                                           unique_path: str) -> None:
    trace, sid = ids()
    body = request(span(trace, next(sid), None, "chat", chat_attrs(**{"humanloop.file.path": unique_path})))
    first = otlp.post("/v1/traces", json=body).json()["records"]
    second = otlp.post("/v1/traces", json=body).json()["records"]
    assert first == second
    prompt = local_server.store.get_file_by_path(unique_path)
    assert prompt is not None and sum(local_server.store.count_logs(prompt["id"]).values()) == 1


def test_protobuf_and_gzip_answer_in_kind(otlp: httpx.Client, unique_path: str) -> None:
    from google.protobuf.json_format import ParseDict

    trace, sid = ids()
    s = next(sid)
    doc = request(span(trace, s, None, "chat", chat_attrs(**{"humanloop.file.path": unique_path})))
    # protobuf's own JSON mapping wants base64 ids; OTLP/JSON's hex ids are converted here.
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                for key in ("traceId", "spanId"):
                    sp[key] = __import__("base64").b64encode(bytes.fromhex(sp[key])).decode()
    message = ParseDict(doc, ExportTraceServiceRequest())
    response = otlp.post("/v1/traces", content=gzip.compress(message.SerializeToString()),
                         headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/x-protobuf"
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")
    assert get_log(otlp, log_id_for(trace, s))["prompt"]["path"] == unique_path


def test_unusable_span_is_a_partial_success_not_a_failed_batch(otlp: httpx.Client, unique_path: str) -> None:
    trace, sid = ids()
    good, bad = next(sid), next(sid)
    attrs = chat_attrs(**{"humanloop.file.path": unique_path + "-ok"})
    taken = otlp.post("/v5/prompts", json={"path": unique_path + "-taken", "model": "gpt-4o"})
    assert taken.status_code == 200, taken.text
    # A tool log at a prompt's path: refused, the rest of the batch stored.
    tool = {"humanloop.file.type": "tool", "humanloop.file.path": unique_path + "-taken"}
    body = otlp.post("/v1/traces", json=request(span(trace, good, None, "chat", attrs),
                                                span(trace, bad, None, "tool", tool))).json()
    assert body["records"] == [log_id_for(trace, good)]
    assert body["partialSuccess"]["rejectedSpans"] == 1
    assert bad in body["partialSuccess"]["errorMessage"], body


def test_model_call_naming_no_model_is_logged_under_an_unknown_model(otlp: httpx.Client,
                                                                    unique_path: str) -> None:
    """A new prompt's first log without a model (a @prompt whose provider call went to
    another tracer) is kept, on a version of model "unknown"; a later log naming its model
    files that model's version."""
    trace, sid = ids()
    first, second = next(sid), next(sid)
    no_model = {k: v for k, v in chat_attrs(**{"humanloop.file.path": unique_path}).items()
                if k != "gen_ai.request.model"}
    body = otlp.post("/v1/traces", json=request(span(trace, first, None, "chat", no_model))).json()
    assert body["records"] == [log_id_for(trace, first)] and "partialSuccess" not in body
    assert get_log(otlp, log_id_for(trace, first))["prompt"]["model"] == "unknown"
    otlp.post("/v1/traces", json=request(span(trace, second, None, "chat", chat_attrs(
        **{"humanloop.file.path": unique_path}))))
    assert get_log(otlp, log_id_for(trace, second))["prompt"]["model"] == "gpt-4o-mini"


def test_span_error_becomes_the_log_error(otlp: httpx.Client, unique_path: str) -> None:
    trace, sid = ids()
    s = next(sid)
    otlp.post("/v1/traces", json=request(span(trace, s, None, "chat", chat_attrs(
        **{"humanloop.file.path": unique_path}), error="RateLimitError: slow down")))
    assert get_log(otlp, log_id_for(trace, s))["error"] == "RateLimitError: slow down"


@pytest.mark.parametrize(("body", "headers", "status", "words"), [
    (b"{not json", {"content-type": "application/json"}, 400, "not valid JSON"),
    (b"\x0a\xff\xff\xff", {"content-type": "application/x-protobuf"}, 400, "not an OTLP protobuf"),
    (b"<xml/>", {"content-type": "application/xml"}, 415, "unsupported content type"),
    (b"abc", {"content-type": "application/json", "content-encoding": "br"}, 415, "content encoding"),
    (b"not gzip", {"content-type": "application/json", "content-encoding": "gzip"}, 400, "not valid gzip"),
    (gzip.compress(b"{" + b" " * (17 * 1024 * 1024) + b"}"),
     {"content-type": "application/json", "content-encoding": "gzip"}, 413, "body too large"),
    (json.dumps(request(span("ab" * 16, "zz" * 8, None, "x", {}))).encode(),
     {"content-type": "application/json"}, 400, "spanId"),
    (json.dumps({"resourceSpans": "nope"}).encode(), {"content-type": "application/json"}, 400, "array"),
])
def test_bad_input_is_refused_precisely(otlp: httpx.Client, body: bytes, headers: dict[str, str],
                                        status: int, words: str) -> None:
    response = otlp.post("/v1/traces", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_bounds_on_spans_attributes_and_nesting(otlp: httpx.Client) -> None:
    trace, sid = ids()
    many = request(*[span(trace, next(sid), None, "x", {}) for _ in range(10_001)])
    response = otlp.post("/v1/traces", json=many)
    assert response.status_code == 413 and "too many spans" in response.json()["detail"]
    wide = request(span(trace, next(sid), None, "x", {f"k{i}": "v" for i in range(1_001)}))
    response = otlp.post("/v1/traces", json=wide)
    assert response.status_code == 413 and "attributes" in response.json()["detail"]
    value: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(20):
        value = {"arrayValue": {"values": [value]}}
    deep = request(span(trace, next(sid), None, "x", {}))
    deep["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"] = [{"key": "d", "value": value}]
    response = otlp.post("/v1/traces", json=deep)
    assert response.status_code == 400 and "nests deeper" in response.json()["detail"]
    assert otlp.post("/v1/traces", json=request(), headers={"X-API-KEY": "wrong"}).status_code == 401


def test_opentelemetry_instrumentation_openai_spans_arrive_as_prompt_logs(local_server: LocalServer) -> None:
    """The real chain: openai SDK -> OpenLLMetry's instrumentation -> OTel SDK -> OTLP/HTTP
    protobuf exporter -> /v1/traces."""
    import openai
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    service = f"svc-{uuid.uuid4().hex[:6]}"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{local_server.url}/v1/traces", headers={"X-API-KEY": local_server.api_key})))
    instrumentor = OpenAIInstrumentor()
    # The instrumentor is a process-wide singleton: the official SDK's client instruments
    # OpenAI when an earlier test builds one, and a second instrument() would be a no-op
    # that leaves spans going to that earlier provider.
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with fake_openai() as (url, _):
            client = openai.OpenAI(base_url=url, api_key="sk-fake-key")
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "ping"}])
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    prompt = local_server.store.get_file_by_path(f"{service}/gpt-4o-mini")
    assert prompt is not None, "no prompt at service/model"
    rows, total = local_server.store.list_logs({"file_id": prompt["id"]}, 1, 10)
    assert total == 1
    body = rows[0]["body"]
    assert body["messages"] == [{"role": "user", "content": "ping"}]
    assert body["output"] == "Fake answer to: ping" and body["prompt_tokens"] == PROMPT_TOKENS
    assert "sk-fake-key" not in json.dumps(body)
