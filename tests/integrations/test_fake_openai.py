"""The fake OpenAI speaks OpenAI's wire format: checked by driving it with the ``openai`` SDK."""

from __future__ import annotations

import openai

from tests.integrations.fake_openai import USAGE_PROMPT_TOKENS, FakeOpenAI


def test_plain_streamed_and_tool_calls_parse_with_the_openai_sdk(fake_openai: FakeOpenAI) -> None:
    sdk = openai.OpenAI(base_url=fake_openai.url, api_key="sk-x", max_retries=0)
    messages = [{"role": "user", "content": "hello there"}]
    plain = sdk.chat.completions.create(model="gpt-4o-mini", messages=messages)  # type: ignore[arg-type]
    assert plain.choices[0].message.content == "Fake says: hello there"
    assert plain.usage is not None and plain.usage.prompt_tokens == USAGE_PROMPT_TOKENS

    chunks = list(sdk.chat.completions.create(
        model="gpt-4o-mini", messages=messages, stream=True,  # type: ignore[arg-type]
        stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Fake says: hello there"
    finish = [i for i, c in enumerate(chunks) if c.choices and c.choices[0].finish_reason]
    usage = [i for i, c in enumerate(chunks) if c.usage is not None]
    assert usage == [len(chunks) - 1] and finish == [len(chunks) - 2]  # usage after finish
    assert chunks[-1].choices == []

    tool = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}
    fake_openai.tool_arguments = '{"a": 1}'
    called = sdk.chat.completions.create(model="gpt-4o-mini", messages=messages,  # type: ignore[arg-type]
                                         tools=[tool], tool_choice="required")  # type: ignore[list-item]
    call = called.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert (call.function.name, call.function.arguments) == ("add", '{"a": 1}')  # type: ignore[union-attr]
    assert called.choices[0].finish_reason == "tool_calls"


def test_fail_prefix_answers_an_openai_error(fake_openai: FakeOpenAI) -> None:
    sdk = openai.OpenAI(base_url=fake_openai.url, api_key="sk-x", max_retries=0)
    try:
        sdk.chat.completions.create(model="m", messages=[{"role": "user", "content": "FAIL now"}])
    except openai.BadRequestError as exc:
        assert "the fake model refused" in str(exc)
    else:
        raise AssertionError("expected a 400")
