"""The pure converters, alone: what a kernel, a request and a stream fold into."""

from __future__ import annotations

import httpx

from humanloop_core._tracing._attributes import (
    chat_request_attrs,
    error_type,
    kernel_params,
    provider_name,
    safe_url,
    server_attrs,
)
from humanloop_core._tracing._stream import StreamState


def test_kernel_params_skip_defaults_and_sentinels() -> None:
    assert kernel_params({"model": "m", "max_tokens": -1, "presence_penalty": 0, "stop": "END"}) == {
        "gen_ai.request.stop_sequences": ["END"],
    }
    attrs = kernel_params({"temperature": 1, "frequency_penalty": 0.5, "response_format": {"type": "json_object"}})
    assert attrs == {
        "gen_ai.request.temperature": 1.0,
        "gen_ai.request.frequency_penalty": 0.5,
        "gen_ai.output.type": "json",
    }


def test_request_attrs_from_body_and_query() -> None:
    body = {"id": "pr_9", "num_samples": 3, "environment": "staging", "prompt": {"model": "m", "seed": 3}}
    assert chat_request_attrs(body, None, streaming=True) == {
        "gen_ai.request.seed": 3,
        "humanloop.prompt.id": "pr_9",
        "humanloop.environment": "staging",
        "gen_ai.request.choice.count": 3,
        "gen_ai.request.stream": True,
    }
    assert chat_request_attrs(None, None, streaming=False) == {}


def test_provider_names_follow_the_conventions() -> None:
    assert provider_name("openai_azure") == "azure.ai.openai"
    assert provider_name("bedrock") == "aws.bedrock"
    assert provider_name("google") == "gcp.gen_ai"
    assert provider_name("anthropic") == "anthropic"
    assert provider_name("mock") == "mock"
    assert provider_name(None) is None


def test_urls_and_servers() -> None:
    assert server_attrs(httpx.URL("http://h.test/v5")) == {"server.address": "h.test", "server.port": 80}
    assert server_attrs(httpx.URL("https://h.test:8443/v5")) == {"server.address": "h.test", "server.port": 8443}
    assert safe_url(httpx.URL("https://h.test/v5/prompts?page=2")) == "https://h.test/v5/prompts?page=2"
    assert safe_url(httpx.URL("https://h.test/x?access_token=abc&size=1")) == "https://h.test/x?access_token=REDACTED&size=1"


def test_error_types() -> None:
    class Coded(Exception):
        status_code = 429

    class Unparsable(Exception):
        status_code = 200

    assert error_type(Coded()) == "429"
    assert error_type(Unparsable()) == Unparsable.__qualname__
    assert error_type(TimeoutError()) == "TimeoutError"


def test_stream_state_keeps_samples_apart() -> None:
    state = StreamState()
    state.add({"index": 0, "id": "log_1", "output_tokens": 1})
    state.add({"index": 1, "id": "log_1", "output_tokens": 2, "prompt_tokens": 9, "finish_reason": "length"})
    state.add({"index": 0, "id": "log_1", "output_tokens": 4, "prompt_tokens": 9, "finish_reason": "stop",
               "prompt_cost": 0.5, "output_cost": 0.25})
    attrs = state.attributes(cut=True)
    assert attrs["gen_ai.response.finish_reasons"] == ["stop", "length"]
    assert attrs["gen_ai.usage.input_tokens"] == 9
    assert attrs["gen_ai.usage.output_tokens"] == 6
    assert attrs["humanloop.cost"] == 0.75
    partial = StreamState()
    partial.add({"index": 0, "output": "Hel"})
    assert partial.finish_reasons(cut=True) == ["error"]
    assert partial.finish_reasons(cut=False) == [""]
