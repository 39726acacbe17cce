"""Proto framing: an 8-byte header (version, type, 48-bit payload size)."""
from __future__ import annotations

import struct
import zlib

PROTO_VERSION = 2
MSG_INFO = 1
MSG_ADMIN = 2
MSG_AS = 3
MSG_COMPRESSED = 4

PROTO_HEADER = struct.Struct(">Q")
_SIZE_MASK = (1 << 48) - 1
_COMPRESSED_LEN = struct.Struct(">Q")


class ProtocolError(ValueError):
    """Bytes that do not form a valid Aerospike message."""


def proto_word(msg_type: int, size: int) -> int:
    """The 64-bit proto header value for a payload of ``size`` bytes."""
    return (PROTO_VERSION << 56) | (msg_type << 48) | size


def encode_proto(msg_type: int, payload: bytes) -> bytes:
    """A whole message: proto header followed by ``payload``."""
    return PROTO_HEADER.pack(proto_word(msg_type, len(payload))) + payload


def parse_proto_header(header: bytes | bytearray | memoryview) -> tuple[int, int]:
    """(type, payload size) of an 8-byte proto header; raises ProtocolError."""
    word = PROTO_HEADER.unpack_from(header)[0]
    version = word >> 56
    if version != PROTO_VERSION:
        raise ProtocolError(f"unexpected proto version {version}")
    return (word >> 48) & 0xFF, word & _SIZE_MASK


def compress(message: bytes, level: int = 1) -> bytes:
    """Wrap a whole message (header included) as a type-4 compressed message.

    Level 1 (fastest), as the official client compresses.
    """
    body = _COMPRESSED_LEN.pack(len(message)) + zlib.compress(message, level)
    return encode_proto(MSG_COMPRESSED, body)


def decompress(payload: bytes | memoryview) -> bytes:
    """The whole inner message (proto header included) of a type-4 payload."""
    expected = _COMPRESSED_LEN.unpack_from(payload)[0]
    try:
        inner = zlib.decompress(payload[8:])
    except zlib.error as exc:
        raise ProtocolError(f"bad compressed message: {exc}") from None
    if len(inner) != expected:
        raise ProtocolError("compressed message length mismatch")
    return inner


def as_msg_payload(msg_type: int, payload: bytes | memoryview) -> bytes | memoryview:
    """The AS_MSG payload of a reply: decompressed when type 4; ProtocolError unless type 3."""
    if msg_type == MSG_COMPRESSED:
        return memoryview(decompress(payload))[8:]
    if msg_type != MSG_AS:
        raise ProtocolError(f"unexpected message type {msg_type}")
    return payload


class FrameReader:
    """Accumulates bytes and hands out whole messages as (type, payload)."""

    __slots__ = ("_buf", "max_size")

    def __init__(self, max_size: int = 1 << 30) -> None:
        self._buf = bytearray()
        self.max_size = max_size

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next_frame(self) -> tuple[int, bytes] | None:
        """The next whole message, or None until more bytes arrive."""
        buf = self._buf
        if len(buf) < 8:
            return None
        msg_type, size = parse_proto_header(buf)
        if size > self.max_size:
            raise ProtocolError(f"message of {size} bytes exceeds the limit")
        end = 8 + size
        if len(buf) < end:
            return None
        payload = bytes(buf[8:end])
        del buf[:end]
        return msg_type, payload

    def __iter__(self):
        while (frame := self.next_frame()) is not None:
            yield frame
