"""Server-sent events: a pure incremental decoder by the WHATWG rules, and thin iterators.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

The decoder takes bytes exactly as the network delivers them: an event, a line, a CRLF
pair or a multi-byte UTF-8 character may be split across chunks at any byte.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from ._limits import DEFAULT_MAX_LINE_LENGTH

_BOM = "\ufeff"


class LineTooLongError(ValueError):
    """An SSE line exceeded the decoder's ``max_line_length``."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"a server-sent-event line exceeded {limit} characters (max_sse_line_length)")
        self.limit = limit


@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched event (not frozen only because frozen construction is slower).

    Attributes:
        data: The data lines joined by ``"\\n"``.
        event: The event type (``"message"`` when the stream named none).
        id: The last event id seen so far in the stream, if any.
        retry: The reconnection time in milliseconds, if the stream set one.
    """

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental decoder: ``feed(bytes) -> events`` as many times as needed, then ``flush()``."""

    __slots__ = (
        "_decoder",
        "_pending",
        "_pending_size",
        "_max_line",
        "_skip_lf",
        "_started",
        "_data",
        "_event",
        "_last_id",
        "_retry",
    )

    def __init__(self, max_line_length: int = DEFAULT_MAX_LINE_LENGTH) -> None:
        # errors="replace": the spec decodes invalid UTF-8 to U+FFFD rather than failing.
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # Text after the last line terminator, as the chunks that brought it: joined only
        # when its line ends, so a line spread over many chunks costs linear time.
        self._pending: list[str] = []
        self._pending_size = 0
        self._max_line = max_line_length
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF completes CRLF
        self._started = False
        self._data: list[str] = []
        self._event = ""
        self._last_id: str | None = None
        self._retry: int | None = None

    @property
    def incomplete(self) -> bool:
        """True when an event has begun but not been dispatched (no blank line yet)."""
        return bool(self._pending or self._data or self._event)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode a chunk; return the events it completes, in order."""
        return self._feed_text(self._decoder.decode(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream. Per the spec, an event without its closing blank line is
        discarded, so this returns no new event; check :attr:`incomplete` first to tell
        a cut stream from a finished one."""
        return self._feed_text(self._decoder.decode(b"", final=True))

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
        if not self._started:  # a byte-order mark may open the stream, and only there
            self._started = True
            if text.startswith(_BOM):
                text = text[1:]
        if not text:
            return []
        if "\n" not in text and "\r" not in text:  # the line goes on: keep the piece
            self._pending_size += len(text)
            if self._pending_size > self._max_line:
                raise LineTooLongError(self._max_line)
            self._pending.append(text)
            return []
        if self._pending:
            self._pending.append(text)
            text = "".join(self._pending)
            self._pending.clear()
        if "\r" in text:
            # A CR ending this chunk is a line end already; an LF opening the next
            # completes that CRLF and must not count as a second (blank) line.
            self._skip_lf = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        tail = lines.pop()
        self._pending_size = len(tail)
        if tail:
            self._pending.append(tail)
        if self._pending_size > self._max_line or (lines and max(map(len, lines)) > self._max_line):
            raise LineTooLongError(self._max_line)
        # The hot loop: locals, and "data:" lines handled inline, since they are most lines.
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])
            elif line:
                self._field(line)
            elif data:
                joined = data[0] if len(data) == 1 else "\n".join(data)
                events.append(
                    ServerSentEvent(joined, self._event or "message", self._last_id, self._retry)
                )
                data.clear()
                self._event = ""
            else:
                self._event = ""  # nothing to dispatch: the spec resets the type only
        return events

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        # An empty name is a comment (":..."); other names are ignored, as the spec says.


def iter_events(
    chunks: Iterator[bytes], decoder: SSEDecoder | None = None
) -> Iterator[ServerSentEvent]:
    """The events of a byte stream (e.g. ``response.iter_bytes()``); incomplete tail discarded."""
    decoder = decoder or SSEDecoder()
    for chunk in chunks:
        yield from decoder.feed(chunk)
    yield from decoder.flush()


async def aiter_events(
    chunks: AsyncIterator[bytes], decoder: SSEDecoder | None = None
) -> AsyncIterator[ServerSentEvent]:
    """The events of an async byte stream (e.g. ``response.aiter_bytes()``)."""
    decoder = decoder or SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    for event in decoder.flush():
        yield event
