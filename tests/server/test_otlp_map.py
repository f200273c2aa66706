"""The span -> log mapping alone (pure): which spans are logs, and what each becomes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from humanloop_core.server.otlp_map import classify, plan, unflatten
from humanloop_core.server.otlp_wire import OtelSpan


def span(attrs: dict[str, Any], *, name: str = "s", scope: str = "test", status: int = 0,
         events: tuple[tuple[str, dict[str, Any]], ...] = (), service: str | None = None) -> OtelSpan:
    return OtelSpan("a" * 32, "b" * 16, None, name, 3, 1_000_000_000, 3_000_000_000, attrs, status, "",
                    {"service.name": service} if service else {}, scope, events)


@pytest.mark.parametrize(("attrs", "kind"), [
    ({"gen_ai.operation.name": "chat"}, "prompt"),
    ({"llm.request.type": "completion"}, "prompt"),
    ({"gen_ai.operation.name": "execute_tool"}, "tool"),
    ({"gen_ai.operation.name": "invoke_agent"}, "flow"),
    ({"traceloop.span.kind": "workflow"}, "flow"),
    ({"traceloop.span.kind": "task"}, None),
    ({"gen_ai.operation.name": "embeddings"}, None),
    ({"http.request.method": "POST"}, None),
    ({"humanloop.file.type": "tool", "gen_ai.operation.name": "chat"}, "tool"),
])
def test_classify(attrs: dict[str, Any], kind: str | None) -> None:
    assert classify(span(attrs)) == kind


def test_openllmetry_legacy_flattened_messages_and_tool_calls() -> None:
    log = plan(span({
        "llm.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o",
        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Weather?",
        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
        "gen_ai.completion.0.tool_calls.0.id": "c1", "gen_ai.completion.0.tool_calls.0.name": "weather",
        "gen_ai.completion.0.tool_calls.0.arguments": '{"city":"Paris"}',
        "gen_ai.usage.prompt_tokens": 9, "gen_ai.usage.completion_tokens": 4,
    }, service="shop"))
    assert log is not None and log.path == "shop/gpt-4o" and log.kernel == {"model": "gpt-4o", "provider": "openai"}
    assert log.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"}]
    assert log.body["output_message"]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": '{"city":"Paris"}'}}]
    assert (log.body["prompt_tokens"], log.body["output_tokens"]) == (9, 4)


def test_semconv_messages_system_instructions_and_tool_results() -> None:
    log = plan(span({
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "azure.ai.openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.max_tokens": 100, "gen_ai.request.stop_sequences": ["\n"],
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": "Be kind."}]),
        "gen_ai.input.messages": json.dumps([
            {"role": "user", "parts": [{"type": "text", "content": "Hi"}]},
            {"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": {"x": 1}}]},
            {"role": "tool", "parts": [{"type": "tool_call_response", "id": "c1", "response": {"ok": True}}]},
            {"role": "developer", "parts": [{"type": "text", "content": "Note"}]}]),
        "gen_ai.tool.definitions": json.dumps([{"type": "function", "name": "f", "parameters": {"type": "object"}}]),
    }))
    assert log is not None
    assert log.kernel == {"model": "gpt-4o", "provider": "openai_azure", "max_tokens": 100, "stop": ["\n"],
                          "tools": [{"name": "f", "description": "", "parameters": {"type": "object"}}]}
    assert log.body["messages"] == [
        {"role": "system", "content": "Be kind."}, {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}]},
        {"role": "tool", "content": '{"ok": true}', "tool_call_id": "c1"},
        {"role": "system", "content": "Note"}]


def test_error_from_the_exception_event_and_latency_from_the_span() -> None:
    log = plan(span({"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"}, status=2,
                    events=(("exception", {"exception.type": "KeyError", "exception.message": "'x'"}),)))
    assert log is not None and log.kind == "tool" and log.path == "otel/lookup"
    assert log.body["error"] == "KeyError: 'x'" and log.body["provider_latency"] == 2.0
    assert log.kernel == {"function": {"name": "lookup", "description": ""}}


def test_official_sdk_stringified_values_are_read_back() -> None:
    log = plan(span({
        "humanloop.file.type": "tool", "humanloop.file.path": "calc",
        "humanloop.file.function.name": "add", "humanloop.file.function.strict": "True",
        "humanloop.file.function.parameters.required": "('a', 'b')",
        "humanloop.log.inputs.a": "1", "humanloop.log.output": "3",
        "humanloop.log.trace_parent_id": "log_parent",
    }, scope="humanloop.sdk.decorator"))
    assert log is not None and log.kernel is not None
    assert log.kernel["function"] == {"name": "add", "strict": True, "parameters": {"required": ["a", "b"]}}
    assert log.body["inputs"] == {"a": "1"} and log.body["trace_parent_id"] == "log_parent"


def test_unflatten_builds_lists_from_numeric_keys() -> None:
    attrs = {"p.0.a": 1, "p.1.a": 2, "p.1.b.0": "x", "q": 0}
    assert unflatten(attrs, "p") == [{"a": 1}, {"a": 2, "b": ["x"]}]


def test_messages_from_the_earlier_span_events() -> None:
    events = (
        ("gen_ai.system.message", {"content": "Be brief."}),
        ("gen_ai.user.message", {"gen_ai.event.content": json.dumps({"content": "Hi"})}),
        ("gen_ai.tool.message", {"content": "sunny", "id": "c0"}),
        ("gen_ai.choice", {"gen_ai.event.content": json.dumps({"index": 0, "finish_reason": "stop",
                                                               "message": {"content": "Hello"}})}),
    )
    log = plan(span({"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}, events=events))
    assert log is not None
    assert log.body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                                    {"role": "tool", "content": "sunny", "tool_call_id": "c0"}]
    assert log.body["output"] == "Hello"
