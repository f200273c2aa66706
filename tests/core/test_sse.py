"""The SSE decoder against the WHATWG rules, fed whole, byte by byte and split at every offset."""

from __future__ import annotations

import itertools

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanloop_core.core._sse import ServerSentEvent, SSEDecoder, aiter_events, iter_events

# A stream exercising every rule: comments, multi-line data, event/id/retry fields, the
# three line endings, a field without a colon, no space after the colon, unknown fields,
# multi-byte UTF-8 (2, 3 and 4 bytes), a retry that is not a number, an id with NUL.
STREAM = (
    ": keep-alive comment\r\n"
    'data: {"output": "h\u00e9llo"}\n'
    "\n"
    "event: update\r"
    "id: 7\r"
    "data: first line\r"
    "data:second line, no space\r"
    "data:  two spaces keep one\r"
    "\r"
    "retry: 1500\r\n"
    "unknown: ignored\r\n"
    "data: \u4e16\u754c \U0001f389 emoji\r\n"
    "\r\n"
    "data\n"
    "\n"
    "retry: soon\n"
    "id: bad\0id\n"
    "event: last\n"
    "data: tail\n"
    "\n"
    "event: only-a-type\n"
    "\n"
    "data: after the typed blank\n"
    "\n"
).encode()

EXPECTED = [
    ServerSentEvent('{"output": "h\u00e9llo"}'),
    ServerSentEvent("first line\nsecond line, no space\n two spaces keep one", "update", "7"),
    ServerSentEvent("\u4e16\u754c \U0001f389 emoji", "message", "7", 1500),
    ServerSentEvent("", "message", "7", 1500),
    ServerSentEvent("tail", "last", "7", 1500),
    ServerSentEvent("after the typed blank", "message", "7", 1500),
]


def decode(chunks: list[bytes]) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events, decoder


def test_whole_stream() -> None:
    events, decoder = decode([STREAM])
    assert events == EXPECTED
    assert not decoder.incomplete


def test_byte_by_byte() -> None:
    events, _ = decode([STREAM[i : i + 1] for i in range(len(STREAM))])
    assert events == EXPECTED


@pytest.mark.parametrize("offset", range(1, len(STREAM)))
def test_split_at_every_offset(offset: int) -> None:
    events, decoder = decode([STREAM[:offset], STREAM[offset:]])
    assert events == EXPECTED
    assert not decoder.incomplete


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_split_at_any_set_of_offsets(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(STREAM)]
    events, _ = decode([STREAM[a:b] for a, b in itertools.pairwise(bounds)])
    assert events == EXPECTED


def test_events_complete_as_soon_as_their_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent("a")]
    assert decoder.feed(b"data: b\r") == []
    # The CR already ended the line; the LF completing CRLF must not count as a blank line.
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\r\n") == [ServerSentEvent("b")]


def test_cr_then_blank_line_dispatches_once() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: x\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent("x")]
    assert decoder.feed(b"\n") == []  # CRLF's LF: no second, empty dispatch


def test_byte_order_mark_only_at_start() -> None:
    events, _ = decode([b"\xef\xbb", b"\xbfdata: x\n\n"])
    assert events == [ServerSentEvent("x")]
    events, _ = decode([b"data: x\n\n\xef\xbb\xbfdata: y\n\n"])
    # A later BOM is part of a field name, so that line is an unknown field.
    assert events == [ServerSentEvent("x")]


def test_invalid_utf8_becomes_replacement_character() -> None:
    events, _ = decode([b"data: a\xffb\n\n"])
    assert events == [ServerSentEvent("a\ufffdb")]


def test_incomplete_event_is_not_dispatched_but_reported() -> None:
    events, decoder = decode([b'data: {"a": 1}\n\ndata: {"b"'])
    assert events == [ServerSentEvent('{"a": 1}')]
    assert decoder.incomplete

    events, decoder = decode([b"data: whole line but no blank line\n"])
    assert events == []
    assert decoder.incomplete

    events, decoder = decode([b"data: x\n\n: trailing comment\n"])
    assert events == [ServerSentEvent("x")]
    assert not decoder.incomplete


def test_split_multibyte_character_is_not_mangled() -> None:
    text = "data: \U0001f389\u00e9\u4e16\n\n".encode()
    for offset in range(len(text) + 1):
        events, _ = decode([text[:offset], text[offset:]])
        assert events == [ServerSentEvent("\U0001f389\u00e9\u4e16")], offset


def test_sync_and_async_iterators_over_httpx_byte_streams() -> None:
    response = httpx.Response(200, content=STREAM)
    assert list(iter_events(response.iter_bytes())) == EXPECTED


async def test_async_iterator() -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(STREAM), 5):
            yield STREAM[i : i + 5]

    assert [e async for e in aiter_events(chunks())] == EXPECTED
