"""Streams: typed items, cut and malformed bodies, closing, and telemetry, sync and async."""

from __future__ import annotations

import gc
from collections.abc import Callable

import httpx
import pytest

from humanloop_core.core import (
    APIConnectionError,
    ApiError,
    APIResponseValidationError,
    AsyncStream,
    InternalServerError,
    Stream,
)
from humanloop_core.types import PromptCallStreamResponse
from tests.core.harness import Body, Harness, replies, sse_response
from tests.core.models import stream_op


def event(item_id: str, n: int = 0) -> bytes:
    return f'data: {{"id": "{item_id}", "n": {n}}}\n\n'.encode()


def streaming(
    chunks: list[bytes], error: Exception | None = None
) -> tuple[Callable[[], httpx.Response], list[Body]]:
    """A handler answer giving a fresh SSE body per request, and the bodies it gave."""
    bodies: list[Body] = []

    def answer() -> httpx.Response:
        response, body = sse_response(chunks, error)
        bodies.append(body)
        return response

    return answer, bodies


async def test_items_in_order_and_telemetry(make: Callable[..., Harness]) -> None:
    answer, bodies = streaming(
        [event("a", 1) + b": ping\n\n" + event("b", 2)[:5], event("b", 2)[5:], event("c", 3)]
    )
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert error is None
    assert [(i.id, i.n) for i in items] == [("a", 1), ("b", 2), ("c", 3)]
    assert bodies[0].closed
    assert h.telemetry.names() == ["start", "inject", "chunk", "chunk", "chunk", "end"]
    assert [arg for name, arg in h.telemetry.log if name == "chunk"] == items
    assert h.requests[0].headers["accept"] == "application/json"


async def test_real_wire_model_and_done_marker(make: Callable[..., Harness]) -> None:
    payload = b'data: {"output": "Hi", "index": 0, "id": "log_1", "prompt_id": "pr_1", "version_id": "v_1"}\n\n'
    # Anything after [DONE] is never read as an item, even if it is garbage.
    answer, bodies = streaming([payload, b"data: [DONE]\n\n", b"data: not json\n\n"])
    h = make(replies(answer))
    op = stream_op(stream_item=PromptCallStreamResponse)
    items, error = await h.collect(op)
    assert error is None
    assert len(items) == 1 and isinstance(items[0], PromptCallStreamResponse)
    assert items[0].output == "Hi" and items[0].id == "log_1"
    assert bodies[0].closed
    assert h.telemetry.names()[-1] == "end"


@pytest.mark.parametrize(
    "cut", [httpx.RemoteProtocolError("peer closed"), httpx.ReadError("reset")]
)
async def test_cut_mid_body_raises_after_received_items(
    make: Callable[..., Harness], cut: Exception
) -> None:
    answer, bodies = streaming([event("a"), event("b")], cut)
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["a", "b"]
    assert isinstance(error, APIConnectionError)
    assert error.__cause__ is cut
    assert "after 2 events" in str(error)
    assert "POST /v5/items/stream" in str(error)
    assert bodies[0].closed
    names = h.telemetry.names()
    assert names.count("fail") == 1 and "end" not in names
    assert h.telemetry.log[-1] == ("fail", error)


async def test_body_ending_mid_event_is_a_cut(make: Callable[..., Harness]) -> None:
    answer, _ = streaming([event("a"), b'data: {"id": "b"'])
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["a"]
    assert isinstance(error, APIConnectionError)
    assert "ended mid-event" in str(error)


async def test_event_without_its_blank_line_is_a_cut(make: Callable[..., Harness]) -> None:
    answer, _ = streaming([event("a"), b'data: {"id": "b"}\n'])
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["a"]
    assert isinstance(error, APIConnectionError)


async def test_malformed_event_shows_the_data(make: Callable[..., Harness]) -> None:
    answer, bodies = streaming([event("a"), b'data: {"id": 5, "n": "lots"}\n\n', event("c")])
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["a"]
    assert isinstance(error, APIResponseValidationError)
    assert error.body == '{"id": 5, "n": "lots"}'
    assert '{"id": 5, "n": "lots"}' in str(error)
    assert "n: Input should be a valid integer" in str(error)
    assert bodies[0].closed
    assert h.telemetry.log[-1] == ("fail", error)


async def test_invalid_json_event(make: Callable[..., Harness]) -> None:
    answer, _ = streaming([b"data: {oops\n\n"])
    h = make(replies(answer))
    _, error = await h.collect(stream_op())
    assert isinstance(error, APIResponseValidationError)
    assert "{oops" in str(error) and "Invalid JSON" in str(error)


async def test_error_event_raises_typed_error(make: Callable[..., Harness]) -> None:
    answer, _ = streaming(
        [event("a"), b'event: error\ndata: {"detail": "provider failed", "status_code": 502}\n\n']
    )
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert [i.id for i in items] == ["a"]
    assert isinstance(error, InternalServerError)
    assert error.status_code == 502
    assert "provider failed" in str(error)


async def test_error_status_before_stream_is_typed(make: Callable[..., Harness]) -> None:
    h = make(replies(httpx.Response(404, json={"detail": "Prompt not found"})))
    items, error = await h.collect(stream_op())
    assert items == []
    assert isinstance(error, ApiError) and error.status_code == 404
    assert "Prompt not found" in str(error)
    assert h.telemetry.names() == ["start", "inject", "fail"]


async def test_break_closes_a_dropped_stream(make: Callable[..., Harness]) -> None:
    answer, bodies = streaming([event("a"), event("b"), event("c")])
    h = make(replies(answer))
    item = await h.first_then_break(stream_op())
    assert item.id == "a"
    if h.kind == "async":
        # asyncio finalises an abandoned async generator on the loop, a tick later.
        gc.collect()
        for _ in range(3):
            await __import__("asyncio").sleep(0)
    assert bodies[0].closed
    assert h.telemetry.names().count("end") == 1
    assert "fail" not in h.telemetry.names()


async def test_a_stream_nobody_holds_lives_until_its_loop_ends(
    make: Callable[..., Harness],
) -> None:
    answer, bodies = streaming([event("a"), event("b"), event("c")])
    h = make(replies(answer))
    assert [i.id for i in await h.collect_unheld(stream_op())] == ["a", "b", "c"]
    assert bodies[0].closed and bodies[0].delivered == 3


async def test_close_and_context_manager_release_the_response(make: Callable[..., Harness]) -> None:
    answer, bodies = streaming([event("a"), event("b")])
    h = make(replies(answer))
    stream = await h.stream(stream_op())
    if h.kind == "sync":
        assert isinstance(stream, Stream)
        with stream as s:
            assert next(s).id == "a"
        assert list(stream) == []  # closed: nothing more comes out
    else:
        assert isinstance(stream, AsyncStream)
        async with stream as s:
            assert (await s.__anext__()).id == "a"
        assert [i async for i in stream] == []
    assert bodies[0].closed
    assert bodies[0].delivered == 1  # the rest of the body was never read
    assert h.telemetry.names().count("end") == 1


async def test_close_before_iterating(make: Callable[..., Harness]) -> None:
    answer, bodies = streaming([event("a")])
    h = make(replies(answer))
    stream = await h.stream(stream_op())
    if h.kind == "sync":
        stream.close()
        stream.close()
    else:
        await stream.aclose()
        await stream.aclose()
    assert bodies[0].closed
    assert h.telemetry.names() == ["start", "inject", "end"]


def test_abandoned_sync_stream_is_closed_when_collected() -> None:
    answer, bodies = streaming([event("a")])
    h = Harness("sync", replies(answer))
    stream = h.transport.stream(stream_op())  # type: ignore[union-attr]
    assert not bodies[0].closed
    del stream
    gc.collect()
    assert bodies[0].closed
    assert h.telemetry.names() == ["start", "inject", "end"]


async def test_abandoned_async_stream_ends_telemetry_and_closes() -> None:
    answer, bodies = streaming([event("a")])
    h = Harness("async", replies(answer))
    stream = await h.transport.stream(stream_op())  # type: ignore[misc]
    del stream
    gc.collect()
    await __import__("asyncio").sleep(0)
    assert h.telemetry.names() == ["start", "inject", "end"]
    assert bodies[0].closed


async def test_empty_body_is_an_empty_stream(make: Callable[..., Harness]) -> None:
    answer, _ = streaming([])
    h = make(replies(answer))
    items, error = await h.collect(stream_op())
    assert items == [] and error is None


async def test_execute_returns_a_stream_when_the_operation_streams(
    make: Callable[..., Harness],
) -> None:
    answer, _ = streaming([event("a")])
    h = make(replies(answer))
    stream = await h.execute(stream_op())
    assert isinstance(stream, Stream if h.kind == "sync" else AsyncStream)


WIRE = (
    b": stream opened\r\n"
    + "".join(
        f'data: {{"output": "{text}", "index": 0, "id": "log_1", "prompt_id": "pr_1", '
        f'"version_id": "v_1"{extra}}}\r\n\r\n'
        for text, extra in [
            ("H\u00e9llo", ""),
            (" w\u00f6rld \U0001f30d", ""),
            ("", ', "finish_reason": "stop", "output_tokens": 3'),
        ]
    ).encode()
)


async def test_a_real_stream_split_at_every_byte(make: Callable[..., Harness]) -> None:
    for offset in range(1, len(WIRE)):
        answer, bodies = streaming([WIRE[:offset], WIRE[offset:]])
        h = make(replies(answer))
        items, error = await h.collect(stream_op(stream_item=PromptCallStreamResponse))
        assert error is None, offset
        assert [i.output for i in items] == ["H\u00e9llo", " w\u00f6rld \U0001f30d", ""], offset
        assert items[-1].finish_reason == "stop"
        assert bodies[0].closed
