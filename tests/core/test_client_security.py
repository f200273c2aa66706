"""Client-side hygiene against careless input and hostile peers (issue 16).

The key with a stray newline, the key on errors and in pickles, credentials in the base
URL, redirects to another origin, one endless SSE line and a gzip bomb. Hostile servers
are ``httpx.MockTransport`` handlers: a real server does not produce these on purpose.
"""

from __future__ import annotations

import gzip
import logging
import pickle
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from humanloop_core import (
    APIConnectionError,
    ApiError,
    APIResponseValidationError,
    AsyncHumanloop,
    Humanloop,
    InternalServerError,
)
from humanloop_core.client import InvalidApiKeyError
from humanloop_core.core._sse import LineTooLongError, SSEDecoder

KEY = "hl-sk-very-secret-0123456789"
BASE = "http://api.example.test/v5"
PAGE = b'{"records": [], "page": 1, "size": 10, "total": 0}'


def client_on(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> Humanloop:
    http = httpx.Client(transport=httpx.MockTransport(handler), **kwargs.pop("http", {}))
    return Humanloop(api_key=kwargs.pop("api_key", KEY), base_url=kwargs.pop("base_url", BASE),
                     http_client=http, max_retries=0, **kwargs)


def test_a_key_with_a_trailing_newline_works_against_the_real_server(local_server: Any) -> None:
    client = Humanloop(api_key=local_server.api_key + "\n", base_url=local_server.base_url)
    assert client.prompts.list(size=1) is not None  # before: httpx refused it, quoting the key


@pytest.mark.parametrize("bad", [KEY[:5] + "\n" + KEY[5:], KEY + "\x00x", KEY[:3] + "é" + KEY[3:]])
def test_a_key_no_header_can_carry_is_a_typed_error_without_the_key(bad: str) -> None:
    with pytest.raises(InvalidApiKeyError) as raised:
        Humanloop(api_key=bad, base_url=BASE)
    err = raised.value
    assert "position" in str(err) and isinstance(err, ValueError) and isinstance(err, ApiError)
    for shown in (str(err), repr(err), pickle.dumps(err)):
        assert KEY[5:15] not in (shown if isinstance(shown, str) else shown.decode("latin-1"))


def _secret_free(err: ApiError) -> None:
    """Nothing reachable from the error, nor its pickle, holds the key."""
    places: list[Any] = [str(err), repr(err), pickle.dumps(err)]
    if err.response is not None:
        places += [str(err.response.request.headers), str(err.response.request.url),
                   err.response.request.content]
    request = getattr(err, "request", None)
    if request is not None:
        places += [str(request.headers), str(request.url)]
    cause = err.__cause__
    if isinstance(cause, httpx.RequestError):
        places += [str(cause.request.headers), str(cause)]
    for place in places:
        text = place.decode("latin-1") if isinstance(place, bytes) else place
        assert KEY not in text and "s3cret" not in text and "sk-provider" not in text


def test_the_key_is_not_reachable_from_an_http_error_or_its_pickle() -> None:
    client = client_on(lambda r: httpx.Response(500, json={"detail": "boom"}))
    with pytest.raises(InternalServerError) as raised:
        client.prompts.call(path="p", messages=[{"role": "user", "content": "hi"}],
                            provider_api_keys={"openai": "sk-provider-abc"})
    err = raised.value
    assert err.response is not None and err.response.request.headers["x-api-key"] == "[redacted]"
    _secret_free(err)
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), copy.status_code, copy.body, str(copy)) == (
        InternalServerError, 500, {"detail": "boom"}, str(err))


def test_the_key_is_not_reachable_from_a_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(APIConnectionError) as raised:
        client_on(refuse).prompts.list()
    _secret_free(raised.value)


def test_base_url_credentials_stay_out_of_debug_lines_and_reprs(caplog: pytest.LogCaptureFixture) -> None:
    base = "http://user:s3cret@api.example.test/v5"
    client = client_on(lambda r: httpx.Response(200, content=PAGE), base_url=base)
    with caplog.at_level(logging.DEBUG, logger="humanloop_core"):
        client.prompts.list()
        with pytest.raises(ApiError) as raised:
            client_on(lambda r: httpx.Response(404, json={"detail": "no"}), base_url=base).prompts.get("x")
    lines = [r.getMessage() for r in caplog.records]
    assert any("HTTP request: GET http://api.example.test/v5/prompts" in line for line in lines)
    assert not any("s3cret" in line for line in lines)
    assert "s3cret" not in repr(client) and "s3cret" not in repr(client._transport)
    _secret_free(raised.value)


def test_the_key_never_follows_a_redirect_to_another_origin() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.example.test":
            return httpx.Response(307, headers={"location": "http://collector.evil.test/v5/prompts"})
        return httpx.Response(200, content=PAGE)

    client = client_on(handler, http={"follow_redirects": True})
    with pytest.raises(ApiError) as raised:
        client.prompts.list()
    assert [r.url.host for r in seen] == ["api.example.test"]  # the other origin got nothing
    assert raised.value.status_code == 307 and "collector.evil.test" in str(raised.value)
    _secret_free(raised.value)


def test_sse_decoding_is_linear_in_a_long_line() -> None:
    line = b"data: " + b"x" * (16 << 20) + b"\n\n"
    decoder = SSEDecoder(max_line_length=32 << 20)
    started = time.perf_counter()
    events = [e for i in range(0, len(line), 4096) for e in decoder.feed(line[i:i + 4096])]
    elapsed = time.perf_counter() - started
    assert len(events) == 1 and len(events[0].data) == 16 << 20
    # Quadratic joining took minutes here (4,096 chunks each copying the line so far).
    assert elapsed < 10, elapsed


def test_sse_line_length_is_bounded() -> None:
    decoder = SSEDecoder(max_line_length=1000)
    decoder.feed(b"data: " + b"y" * 900)
    with pytest.raises(LineTooLongError):
        decoder.feed(b"y" * 200)
    with pytest.raises(LineTooLongError):  # also when the long line arrives whole
        SSEDecoder(max_line_length=1000).feed(b"data: " + b"z" * 2000 + b"\n")


def _endless_line(request: httpx.Request) -> httpx.Response:
    body = b"data: " + b"w" * 300_000
    return httpx.Response(200, headers={"content-type": "text/event-stream"},
                          stream=httpx.ByteStream(body))


def test_a_stream_with_an_overlong_line_ends_in_a_typed_error() -> None:
    client = client_on(_endless_line, max_sse_line_length=100_000)
    with pytest.raises(APIResponseValidationError, match="max_sse_line_length"):
        list(client.prompts.call(path="p", stream=True, messages=[{"role": "user", "content": "x"}]))


async def test_an_async_stream_with_an_overlong_line_ends_in_a_typed_error() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(_endless_line))
    client = AsyncHumanloop(api_key=KEY, base_url=BASE, http_client=http, max_retries=0,
                            max_sse_line_length=100_000)
    stream = await client.prompts.call(path="p", stream=True, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(APIResponseValidationError, match="max_sse_line_length"):
        async with stream:
            [item async for item in stream]  # noqa: B018


BOMB = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # ~64 KiB inflating to 64 MiB


def _bomb(status: int) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"content-encoding": "gzip",
                                               "content-type": "application/json"},
                              stream=httpx.ByteStream(BOMB))
    return handler


def test_a_gzip_bomb_success_body_is_refused_at_the_limit() -> None:
    client = client_on(_bomb(200), max_response_bytes=1 << 20)
    with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
        client.prompts.list()


def test_a_gzip_bomb_error_body_is_cut_at_the_limit() -> None:
    client = client_on(_bomb(500), max_response_bytes=1 << 20)
    with pytest.raises(InternalServerError) as raised:
        client.prompts.list()
    err = raised.value
    assert err.response is not None and len(err.response.content) <= 1 << 20
    assert isinstance(err.body, str) and len(err.body) <= 1 << 20


async def test_async_gzip_bomb_is_refused_too() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(_bomb(200)))
    client = AsyncHumanloop(api_key=KEY, base_url=BASE, http_client=http, max_retries=0,
                            max_response_bytes=1 << 20)
    with pytest.raises(APIResponseValidationError, match="max_response_bytes"):
        await client.prompts.list()


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        Humanloop(api_key=KEY, base_url=BASE, max_response_bytes=0)


def test_llama_index_keeps_provider_keys_as_secrets() -> None:
    from llama_index.llms.humanloop import Humanloop as LlamaHumanloop
    from pydantic import SecretStr

    llm = LlamaHumanloop(path="p", api_key=KEY, provider_api_keys={"openai": "sk-provider-abc"})
    private = llm.__pydantic_private__ or {}
    keys = private["_provider_api_keys"]
    assert all(isinstance(v, SecretStr) for v in keys.values())
    assert "sk-provider-abc" not in str(private) and "sk-provider-abc" not in repr(llm)
    plan = llm._plan([], {})
    assert plan.call["provider_api_keys"] == {"openai": "sk-provider-abc"}  # still sent
