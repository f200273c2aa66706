"""The transport's shared decisions: request building, options, parsing, pools, logs."""

from __future__ import annotations

import inspect
import json
import logging
import subprocess
import sys
from collections.abc import Callable

import httpx
import pytest

import humanloop_core.core as core
from humanloop_core.core import AsyncPager, AsyncStream, Stream, SyncPager
from humanloop_core.core._client import AsyncTransport, SyncTransport
from humanloop_core.core._telemetry import NoopTelemetry, default_telemetry
from tests.core.harness import API_KEY, Harness, replies
from tests.core.models import Item, get_op, ok, post_op


async def test_request_carries_url_params_headers_and_body(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())), default_headers={"X-Team": "core"})
    op = post_op(
        path="/prompts/call",
        params={"version_id": "v1", "environment": None, "tags": ["a", "b"], "flag": True},
        json={"messages": [{"role": "user", "content": "h\u00e9"}], "n": 1},
    )
    await h.execute(op)
    request = h.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/v5/prompts/call"
    assert request.url.params.multi_items() == [
        ("version_id", "v1"),
        ("tags", "a"),
        ("tags", "b"),
        ("flag", "true"),
    ]
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["user-agent"].startswith("humanloop-core/")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-team"] == "core"
    assert request.headers["traceparent"].startswith("00-")  # telemetry injected into the attempt
    assert request.content == '{"messages":[{"role":"user","content":"h\u00e9"}],"n":1}'.encode()


async def test_request_options_merge(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())))
    options = {
        "additional_headers": {"X-Extra": "1"},
        "additional_query_parameters": {"debug": "yes"},
        "additional_body_parameters": {"save": False},
        "timeout_in_seconds": 3.5,
    }
    await h.execute(post_op(params={"a": 1}, options=options))
    request = h.requests[0]
    assert request.headers["x-extra"] == "1"
    assert dict(request.url.params) == {"a": "1", "debug": "yes"}
    assert json.loads(request.content) == {"id": "it_1", "save": False}
    assert request.extensions["timeout"] == httpx.Timeout(3.5).as_dict()


async def test_body_parameters_alone_make_a_body(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())))
    await h.execute(get_op(options={"additional_body_parameters": {"x": 1}}))
    assert json.loads(h.requests[0].content) == {"x": 1}


async def test_default_timeout_and_none(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())), timeout=12.0)
    await h.execute(get_op())
    assert h.requests[0].extensions["timeout"] == httpx.Timeout(12.0).as_dict()


async def test_parsing_models_other_types_and_no_content(make: Callable[..., Harness]) -> None:
    h = make(
        replies(
            httpx.Response(200, json=ok("x", 3)),
            httpx.Response(200, json=[ok("a"), ok("b")]),
            httpx.Response(204),
            httpx.Response(200, json={"ignored": True}),
        )
    )
    item = await h.execute(get_op())
    assert isinstance(item, Item) and (item.id, item.n) == ("x", 3)
    items = await h.execute(get_op(cast_to=list[Item]))
    assert [i.id for i in items] == ["a", "b"]
    assert await h.execute(get_op(method="DELETE")) is None
    assert await h.execute(get_op(cast_to=None)) is None
    assert h.telemetry.names().count("succeed") == 4


async def test_json_body_refuses_nan_before_sending(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())))
    with pytest.raises(ValueError):
        await h.execute(post_op(json={"temperature": float("nan")}))
    assert h.requests == []


async def test_own_pool_closed_callers_pool_left_open(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(200, json=ok())))
    await h.close()
    assert not h.http.is_closed  # the caller's client is the caller's to close

    kind = SyncTransport if h.kind == "sync" else AsyncTransport
    own = kind(api_key=API_KEY, base_url="http://x", telemetry=NoopTelemetry())
    clone = own.with_options(max_retries=0)
    if h.kind == "sync":
        clone.close()  # type: ignore[union-attr]
        assert not own.http_client.is_closed
        own.close()  # type: ignore[union-attr]
    else:
        await clone.aclose()  # type: ignore[union-attr]
        assert not own.http_client.is_closed
        await own.aclose()  # type: ignore[union-attr]
    assert own.http_client.is_closed


async def test_with_options_shares_the_pool(make: Callable[..., Harness]) -> None:
    h = make(
        replies(httpx.Response(500), httpx.Response(500), httpx.Response(200, json=ok())),
        timeout=60.0,
    )
    clone = h.transport.with_options(timeout=5.0, max_retries=0)
    assert clone.http_client is h.transport.http_client
    assert (clone.max_retries, h.transport.max_retries) == (0, 2)
    h.transport = clone
    with pytest.raises(core.InternalServerError):
        await h.execute(get_op())
    assert len(h.requests) == 1
    assert h.requests[0].extensions["timeout"] == httpx.Timeout(5.0).as_dict()
    # None keeps the current values.
    same = clone.with_options()
    assert same.max_retries == 0 and same._timeout == clone._timeout


async def test_debug_log_lines_without_the_key(
    make: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    h = make(replies(httpx.Response(503), httpx.Response(200, json=ok())))
    with caplog.at_level(logging.DEBUG, logger="humanloop_core"):
        await h.execute(get_op(params={"q": "1"}))
    lines = [r.getMessage() for r in caplog.records if r.name == "humanloop_core"]
    assert lines[0] == "HTTP request: GET http://hl.test/v5/items/it_1?q=1 (attempt 1)"
    assert lines[1].startswith("HTTP response: GET http://hl.test/v5/items/it_1?q=1 -> 503 (")
    assert "retrying in" in lines[2]
    assert lines[-1].startswith("HTTP response: GET http://hl.test/v5/items/it_1?q=1 -> 200 (")
    assert lines[-1].endswith(" ms)")
    assert all(API_KEY not in line for line in lines)


def test_humanloop_log_env_turns_debug_on(monkeypatch: pytest.MonkeyPatch) -> None:
    log = logging.getLogger("humanloop_core")
    monkeypatch.setattr(log, "level", logging.NOTSET)
    monkeypatch.delenv("HUMANLOOP_LOG", raising=False)
    SyncTransport(api_key=API_KEY, base_url="http://x", telemetry=NoopTelemetry()).close()
    assert log.level == logging.NOTSET
    monkeypatch.setenv("HUMANLOOP_LOG", "debug")
    SyncTransport(api_key=API_KEY, base_url="http://x", telemetry=NoopTelemetry()).close()
    assert log.level == logging.DEBUG


def test_repr_hides_the_key() -> None:
    transport = SyncTransport(api_key=API_KEY, base_url="http://x/v5/", telemetry=NoopTelemetry())
    assert repr(transport) == "SyncTransport(base_url='http://x/v5', max_retries=2)"
    transport.close()


def test_default_telemetry_is_the_tracing_module() -> None:
    from humanloop_core.tracing import Telemetry

    assert isinstance(default_telemetry(), Telemetry)


def _public(cls: type) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}


@pytest.mark.parametrize(
    ("sync", "async_", "renames"),
    [
        (SyncTransport, AsyncTransport, {"close": "aclose"}),
        (Stream, AsyncStream, {"close": "aclose"}),
        (SyncPager, AsyncPager, {}),
    ],
)
def test_sync_async_parity(sync: type, async_: type, renames: dict[str, str]) -> None:
    assert {renames.get(n, n) for n in _public(sync)} == _public(async_)
    for name in _public(sync) - set(renames):
        member = getattr(sync, name)
        if callable(member) and not isinstance(member, type):
            sync_params = [
                (p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()
            ]
            async_member = inspect.signature(getattr(async_, name))
            assert sync_params == [
                (p.name, p.kind, p.default) for p in async_member.parameters.values()
            ], name


def test_all_is_sorted_and_complete() -> None:
    assert core.__all__ == sorted(core.__all__)
    assert all(getattr(core, name) is not None for name in core.__all__)
    with pytest.raises(AttributeError):
        core.NotAThing  # noqa: B018


def test_import_stays_light() -> None:
    code = (
        "import sys, humanloop_core.core.errors, humanloop_core.core;"
        "print('humanloop_core.types' in sys.modules, 'humanloop_core.core._streaming' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "False"]


def test_own_pool_carries_the_fixed_headers() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ok())

    transport = SyncTransport(
        api_key=API_KEY,
        base_url="http://hl.test/v5",
        default_headers={"X-Team": "core"},
        telemetry=NoopTelemetry(),
    )
    transport.http_client._transport = httpx.MockTransport(handler)  # the one seam of a pool we own
    transport.execute(post_op(options={"additional_headers": {"X-Team": "override"}}))
    headers = seen[0].headers
    assert headers["x-api-key"] == API_KEY
    assert headers["user-agent"].startswith("humanloop-core/")
    assert headers["x-team"] == "override"
    assert headers.get_list("x-team") == ["override"]
    assert headers["x-retry-count"] == "0" and len(headers["idempotency-key"]) == 32
    transport.close()
