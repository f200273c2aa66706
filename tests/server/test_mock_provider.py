"""The mock provider's documented rules, as pure functions (no server)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from humanloop_core.server.providers import MockProvider, ProviderError, ProviderRequest
from humanloop_core.server.providers.mock import build_arguments, reply, to_chunks

WEATHER = {"name": "get_weather", "description": "Weather",
           "parameters": {"type": "object", "required": ["city"],
                          "properties": {"city": {"type": "string"},
                                         "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                                                  "default": "celsius"},
                                         "days": {"type": "integer"}}}}
ADD = {"name": "add", "description": "Add",
       "parameters": {"type": "object", "required": ["a", "b"],
                      "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}


def request(text: str | None = "hello", **kwargs: Any) -> ProviderRequest:
    messages = [{"role": "system", "content": "sys"}]
    if text is not None:
        messages.append({"role": "user", "content": text})
    return ProviderRequest(model="mock-1", messages=kwargs.pop("messages", messages), **kwargs)


def test_reply_echoes_last_user_message_with_word_token_counts() -> None:
    done = reply(request("what is the plan"))
    assert done.output == "You said: what is the plan"
    assert (done.prompt_tokens, done.output_tokens, done.finish_reason) == (5, 6, "stop")
    assert reply(request(None)).output == "You said nothing."
    assert reply(request("what is the plan")) == done  # deterministic


def test_stop_and_max_tokens() -> None:
    stopped = reply(request("alpha beta gamma", stop=["gamma"]))
    assert (stopped.output, stopped.finish_reason) == ("You said: alpha beta ", "stop")
    cut = reply(request("alpha beta gamma", max_tokens=3))
    assert (cut.output, cut.finish_reason, cut.output_tokens) == ("You said: alpha", "length", 3)


def test_auto_tool_call_when_message_names_a_tool() -> None:
    done = reply(request('Use get weather for "Paris" over 3 days', tools=[ADD, WEATHER]))
    assert done.finish_reason == "tool_calls" and done.output == ""
    (call,) = done.tool_calls or []
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris", "unit": "celsius", "days": 3}
    assert reply(request("no tool mentioned", tools=[WEATHER])).tool_calls is None
    assert reply(request("get_weather please", tools=[WEATHER], tool_choice="none")).tool_calls is None


def test_auto_tool_call_when_message_has_every_distinctive_word_of_the_name() -> None:
    done = reply(request("What is the weather in San Francisco, CA?", tools=[ADD, WEATHER]))
    assert [c["function"]["name"] for c in done.tool_calls or []] == ["get_weather"]
    # "weatherman" is not the word "weather"; "add" is too short to count on its own.
    assert reply(request("ask the weatherman", tools=[WEATHER])).tool_calls is None
    assert reply(request("we had an address", tools=[ADD])).tool_calls is None


def test_required_and_named_tool_choice() -> None:
    required = reply(request("add 2 and 3.5", tools=[WEATHER, ADD], tool_choice="required"))
    assert json.loads(required.tool_calls[0]["function"]["arguments"]) == {"a": 2, "b": 3.5}
    first = reply(request("nothing named", tools=[WEATHER, ADD], tool_choice="required"))
    assert first.tool_calls[0]["function"]["name"] == "get_weather"
    named = reply(request("hi", tools=[WEATHER, ADD],
                          tool_choice={"type": "function", "function": {"name": "add"}}))
    assert named.tool_calls[0]["function"]["name"] == "add"
    with pytest.raises(ProviderError, match="nope"):
        reply(request("hi", tools=[ADD], tool_choice={"type": "function", "function": {"name": "nope"}}))


def test_fallback_string_is_last_capitalised_word() -> None:
    assert build_arguments(WEATHER["parameters"], "What is the weather in Paris today?")["city"] == "Paris"
    assert build_arguments(WEATHER["parameters"], "weather here")["city"] == "here"


def test_refs_arrays_and_nested_objects() -> None:
    schema = {"type": "object", "required": ["point", "tags", "values"],
              "$defs": {"P": {"type": "object", "required": ["x"], "properties": {"x": {"type": "integer"}}}},
              "properties": {"point": {"$ref": "#/$defs/P"},
                             "tags": {"type": "array", "items": {"type": "string"}},
                             "values": {"type": "array", "items": {"type": "number"}},
                             "flag": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": True}}}
    args = build_arguments(schema, "start at 7 then 1.5 and 2, tag 'a' and \"b\"")
    assert args == {"point": {"x": 7}, "tags": ["a", "b"], "values": [1.5, 2], "flag": True}


def test_after_tool_result_reply_includes_it() -> None:
    messages = [{"role": "user", "content": "weather in Paris via get_weather"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny, 21C"}]
    done = reply(request(messages=messages, tools=[WEATHER]))
    assert done.output == "The tool returned: get_weather -> sunny, 21C"
    assert done.tool_calls is None


def test_json_schema_and_json_object_response_formats() -> None:
    schema = {"type": "object", "required": ["name", "age", "mood"],
              "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                             "mood": {"type": "string", "enum": ["happy", "sad"]}}}
    done = reply(request('"Ada" is 36 and sad', response_format={
        "type": "json_schema", "json_schema": {"name": "person", "schema": schema}}))
    value = json.loads(done.output)
    OAS30Validator(schema).validate(value)
    assert value == {"name": "Ada", "age": 36, "mood": "sad"}
    bare = reply(request("x", response_format={"type": "json_schema", "json_schema": schema}))
    OAS30Validator(schema).validate(json.loads(bare.output))
    assert json.loads(reply(request("hi", response_format={"type": "json_object"})).output) == {
        "reply": "You said: hi"}
    keyed = reply(request("""A JSON with 'setup' and "punchline" keys""",
                          response_format={"type": "json_object"}))
    said = """You said: A JSON with 'setup' and "punchline" keys"""
    assert json.loads(keyed.output) == {"setup": said, "punchline": said}


def test_chunks_reassemble_and_carry_finish_on_last() -> None:
    done = reply(request("one two three"))
    chunks = to_chunks(done)
    assert len(chunks) == 5 and "".join(c.output for c in chunks) == done.output
    assert [c.finish_reason for c in chunks] == [None] * 4 + ["stop"]
    assert chunks[-1].output_tokens == done.output_tokens
    call = reply(request("use add with 1 and 2", tools=[ADD]))
    pieces = to_chunks(call)
    assert len(pieces) > 2
    assert all(p.tool_calls[0]["id"] == call.tool_calls[0]["id"] for p in pieces)
    joined = "".join(p.tool_calls[0]["function"]["arguments"] for p in pieces)
    assert joined == call.tool_calls[0]["function"]["arguments"]


def test_failures_and_chunk_delay() -> None:
    with pytest.raises(ProviderError) as failed:
        reply(request(other={"mock_error": "boom", "mock_error_status": 503}))
    assert failed.value.status == 503

    async def collect(provider: MockProvider, req: ProviderRequest) -> list[Any]:
        return [c async for c in provider.stream(req)]

    with pytest.raises(ProviderError):
        asyncio.run(collect(MockProvider(), request("a b c", other={"mock_error": "x", "mock_error_after": 2})))
    loop = asyncio.new_event_loop()
    started = loop.time()
    chunks = loop.run_until_complete(collect(MockProvider(chunk_delay=0.02), request("a b")))
    assert loop.time() - started >= 0.02 * len(chunks) * 0.9
    loop.close()


def test_schema_bounds_win_over_message_values() -> None:
    schema = {"type": "object", "required": ["n", "s", "items", "pick"],
              "properties": {"n": {"type": "integer", "minimum": 10, "maximum": 20},
                             "s": {"type": "string", "minLength": 5, "maxLength": 6},
                             "items": {"type": "array", "minItems": 2, "items": {"type": "integer"}},
                             "pick": {"const": "fixed"}}}
    args = build_arguments(schema, "set 99 and 'ab'")
    assert args == {"n": 20, "s": "abxxx", "items": [0, 0], "pick": "fixed"}
    OAS30Validator(schema).validate(args)


def _schemas() -> Any:
    from hypothesis import strategies as st

    names = st.text(alphabet="abcdefgh", min_size=1, max_size=5)
    bounds = st.integers(-50, 50)
    leaves = st.one_of(
        st.builds(lambda lo, span: {"type": "integer", "minimum": lo, "maximum": lo + span}, bounds, st.integers(0, 9)),
        st.just({"type": "number"}),
        st.just({"type": "boolean"}),
        st.builds(lambda lo: {"type": "string", "minLength": lo}, st.integers(0, 4)),
        st.lists(names, min_size=1, max_size=3, unique=True).map(lambda e: {"type": "string", "enum": e}),
    )

    def objects(children: Any) -> Any:
        return st.dictionaries(names, children, max_size=4).flatmap(
            lambda props: st.sets(st.sampled_from(sorted(props)) if props else st.nothing()).map(
                lambda req: {"type": "object", "properties": props, "required": sorted(req)}))

    def arrays(children: Any) -> Any:
        return st.builds(lambda item, n: {"type": "array", "items": item, "minItems": n}, children, st.integers(0, 3))

    return st.recursive(leaves, lambda children: objects(children) | arrays(children), max_leaves=10)


def test_json_schema_output_is_always_valid() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from jsonschema import Draft7Validator

    @given(schema=_schemas(), text=st.text(max_size=40))
    @settings(max_examples=300, deadline=None, derandomize=True)
    def check(schema: dict[str, Any], text: str) -> None:
        done = reply(request(text, response_format={"type": "json_schema", "json_schema": {"schema": schema}}))
        Draft7Validator(schema).validate(json.loads(done.output))

    check()
