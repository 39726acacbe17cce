"""Batch index commands of the embedded server (info1 BATCH, field BATCH_INDEX or
BATCH_INDEX_WITH_SET).

Each row of the batch field is turned into a single-record command and run by the
engine, exactly as the real server turns rows into sub-transactions; each reply is
sent back with the row's index in its transaction-ttl slot, followed by a LAST message
carrying the batch's result code.

Row layout: index u32, digest (20), flags u8; with flag REPEAT the previous row's
command is reused, otherwise info1 u8, [info2 u8, info3 u8], [info4 u8], [generation
u16], [record ttl u32], field count u16, op count u16, fields, ops.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Iterator

from ..protocol.framing import MSG_AS, proto_word
from ..protocol.message import (
    FIELD_BATCH_INDEX, FIELD_BATCH_INDEX_WITH_SET, FIELD_DIGEST, FIELD_FILTER_EXP,
    FIELD_NAMESPACE, INFO1_COMPRESS_RESPONSE, INFO1_XDR, INFO3_LAST, Message, Op,
)
from .expressions import BuildError, build_filter

if TYPE_CHECKING:
    from .engine import Engine

OK = 0
NOT_FOUND = 2
PARAMETER_ERROR = 4
FILTERED_OUT = 27

REPEAT = 0x01
HAS_EXTRA_INFO = 0x02
HAS_GENERATION = 0x04
HAS_RECORD_TTL = 0x08
HAS_INFO4 = 0x10
REPORT_ALL_ERRORS = 0x04
REPORT_ERROR_REC = 0x08

CHUNK_SIZE = 128 * 1024
"""Replies are packed into proto messages of about this size, as the server's buffers."""

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_FIELD_HEADER = struct.Struct(">IB")
_OP_HEADER = struct.Struct(">IBBBB")
_PROTO = struct.Struct(">Q")
_LAST = struct.Struct(">QBBBBBBIIIHH")


def last_message(result_code: int = OK) -> bytes:
    """The whole proto message that ends a multi-record answer."""
    return _LAST.pack(proto_word(MSG_AS, 22), 22, 0, 0, INFO3_LAST, 0, result_code,
                      0, 0, 0, 0, 0)


def _parse_fields(data: bytes, pos: int, count: int) -> tuple[list[tuple[int, bytes]], int]:
    fields = []
    for _ in range(count):
        size, ftype = _FIELD_HEADER.unpack_from(data, pos)
        stop = pos + 4 + size
        if size < 1 or stop > len(data):
            raise ValueError("bad field")
        fields.append((ftype, data[pos + 5:stop]))
        pos = stop
    return fields, pos


def _parse_ops(data: bytes, pos: int, count: int) -> tuple[list[Op], int]:
    ops = []
    for _ in range(count):
        size, op, ptype, _flags, name_len = _OP_HEADER.unpack_from(data, pos)
        stop = pos + 4 + size
        if size < 4 + name_len or stop > len(data):
            raise ValueError("bad op")
        name = data[pos + 8:pos + 8 + name_len].decode("utf-8", "surrogateescape")
        ops.append(Op(op, ptype, name, data[pos + 8 + name_len:stop]))
        pos = stop
    return ops, pos


def parse_rows(data: bytes, parent: Message
               ) -> tuple[list[tuple[int, Message]], int, bool]:
    """(row index, single-record command) of each well-formed row of a batch field, the
    parent flags, and whether every announced row was read."""
    count = _U32.unpack_from(data, 0)[0]
    flags = data[4]
    pos = 5
    rows: list[tuple[int, Message]] = []
    prev: Message | None = None
    filter_exp = parent.field(FIELD_FILTER_EXP)
    try:
        while len(rows) < count and pos + 25 <= len(data):
            index = _U32.unpack_from(data, pos)[0]
            digest = data[pos + 4:pos + 24]
            row_flags = data[pos + 24]
            pos += 25
            if row_flags & REPEAT:
                if prev is None:
                    break
                fields = [(t, d) for t, d in prev.fields if t != FIELD_DIGEST]
                fields.append((FIELD_DIGEST, digest))
                msg = Message(prev.info1, prev.info2, prev.info3, prev.info4, 0,
                              prev.generation, prev.expiration, prev.timeout, fields, prev.ops)
            else:
                info1 = data[pos] & ~(INFO1_COMPRESS_RESPONSE | INFO1_XDR)
                pos += 1
                info2 = info3 = info4 = 0
                if row_flags & HAS_EXTRA_INFO:
                    info2, info3 = data[pos], data[pos + 1]
                    pos += 2
                if row_flags & HAS_INFO4:
                    info4 = data[pos]
                    pos += 1
                generation = ttl = 0
                if row_flags & HAS_GENERATION:
                    generation = _U16.unpack_from(data, pos)[0]
                    pos += 2
                if row_flags & HAS_RECORD_TTL:
                    ttl = _U32.unpack_from(data, pos)[0]
                    pos += 4
                n_fields, n_ops = _U16.unpack_from(data, pos)[0], _U16.unpack_from(data, pos + 2)[0]
                pos += 4
                fields, pos = _parse_fields(data, pos, max(n_fields, 1))
                ops, pos = _parse_ops(data, pos, n_ops)
                fields.append((FIELD_DIGEST, digest))
                if filter_exp is not None and not any(t == FIELD_FILTER_EXP for t, _ in fields):
                    fields.append((FIELD_FILTER_EXP, filter_exp))
                msg = Message(info1, info2, info3, info4, 0, generation, ttl,
                              parent.timeout, fields, ops)
                prev = msg
            rows.append((index, msg))
    except (ValueError, IndexError, struct.error):
        pass
    return rows, flags, len(rows) == count


def execute_batch(engine: Engine, msg: Message) -> bytes | Iterator[bytes]:
    """The whole answer to a batch index command."""
    data = msg.field(FIELD_BATCH_INDEX)
    if data is None:
        data = msg.field(FIELD_BATCH_INDEX_WITH_SET)
    if data is None or len(data) < 5 or _U32.unpack_from(data, 0)[0] == 0:
        return last_message(PARAMETER_ERROR)
    parent_filter = msg.field(FIELD_FILTER_EXP)
    if parent_filter is not None:
        # the real node builds the batch's filter once, and refuses the whole batch if
        # it does not build
        try:
            build_filter(parent_filter)
        except BuildError:
            return last_message(PARAMETER_ERROR)
    rows, flags, complete = parse_rows(data, msg)
    report_all = bool(flags & REPORT_ALL_ERRORS)
    store = engine.store
    out: list[bytes] = []
    size = 0
    batch_rc = OK
    for index, row in rows:
        ns = row.field(FIELD_NAMESPACE)
        if ns is None or store.namespace(ns.decode("utf-8", "replace")) is None:
            complete = False   # the real node stops reading the batch at an unknown namespace
            break
        answer = engine.execute_single(row)
        body = bytearray(answer[8:])
        body[14:18] = _U32.pack(index)
        rc = body[5]
        if not report_all and rc not in (OK, NOT_FOUND, FILTERED_OUT) and batch_rc == OK:
            batch_rc = rc
        out.append(bytes(body))
        size += len(body)
    if not complete:
        batch_rc = PARAMETER_ERROR
    chunks = []
    start = 0
    acc = 0
    for i, part in enumerate(out):
        acc += len(part)
        if acc >= CHUNK_SIZE:
            chunks.append(_proto(out[start:i + 1]))
            start, acc = i + 1, 0
    if start < len(out):
        chunks.append(_proto(out[start:]))
    chunks.append(last_message(batch_rc))
    return b"".join(chunks)


def _proto(parts: list[bytes]) -> bytes:
    body = b"".join(parts)
    return _PROTO.pack(proto_word(MSG_AS, len(body))) + body
