"""AWS event-stream framing (``application/vnd.amazon.eventstream``), as Bedrock's
ConverseStream sends it: a pure decoder, ``feed(bytes) -> messages``.

A message is: total length (4 bytes), headers length (4), prelude CRC32 (4), headers,
payload, message CRC32 (4); all big-endian. Both CRCs are checked.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE = 16 * 1024 * 1024  # the format's own limit


class EventStreamError(ValueError):
    pass


@dataclass
class Message:
    headers: dict[str, Any]
    payload: bytes


def _headers(raw: bytes) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    at = 0
    while at < len(raw):
        size = raw[at]
        name = raw[at + 1: at + 1 + size].decode()
        at += 1 + size
        kind = raw[at]
        at += 1
        if kind in (0, 1):
            value: Any = kind == 0
        elif kind in (2, 3, 4, 5, 8):
            width = {2: 1, 3: 2, 4: 4, 5: 8, 8: 8}[kind]
            value = int.from_bytes(raw[at: at + width], "big", signed=True)
            at += width
        elif kind in (6, 7):
            (length,) = struct.unpack_from(">H", raw, at)
            data = raw[at + 2: at + 2 + length]
            value = data.decode() if kind == 7 else data
            at += 2 + length
        elif kind == 9:
            value, at = raw[at: at + 16], at + 16
        else:
            raise EventStreamError(f"unknown event-stream header type {kind}")
        headers[name] = value
    return headers


def encode(headers: dict[str, str], payload: bytes) -> bytes:
    """One message with string headers (used by test fakes and kept beside the decoder so
    the two agree)."""
    raw = b"".join(struct.pack(">B", len(k.encode())) + k.encode() + b"\x07"
                   + struct.pack(">H", len(v.encode())) + v.encode() for k, v in headers.items())
    total = 12 + len(raw) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + raw + payload
    return body + struct.pack(">I", zlib.crc32(body))


class EventStreamDecoder:
    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages = []
        while len(self._buffer) >= 12:
            total, header_size, prelude_crc = struct.unpack_from(">III", self._buffer)
            if zlib.crc32(bytes(self._buffer[:8])) != prelude_crc:
                raise EventStreamError("event-stream prelude checksum mismatch")
            if total > MAX_MESSAGE or total < 16 + header_size:
                raise EventStreamError(f"event-stream message of impossible length {total}")
            if len(self._buffer) < total:
                break
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            (crc,) = struct.unpack_from(">I", frame, total - 4)
            if zlib.crc32(frame[:-4]) != crc:
                raise EventStreamError("event-stream message checksum mismatch")
            messages.append(Message(_headers(frame[12: 12 + header_size]), frame[12 + header_size: -4]))
        return messages
