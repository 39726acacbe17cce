"""The batch index protocol (field 41): requests and the multi-record reply.

A batch request is one AS_MSG whose info1 has BATCH set and whose batch
field lists the keys of one node: ``u32 count, u8 flags``, then per key
``u32 index, 20-byte digest`` followed either by ``REPEAT`` (same
namespace, set, operations and attributes as the previous key) or by an
entry: ``u8 entry flags, info1, info2, info3, [u16 generation], u32 ttl,
u16 n_fields, u16 n_ops, fields, ops``. The reply is a stream of AS_MSGs,
one per key, whose header ``timeout`` word carries the key's index; the
last message has INFO3_LAST set.
"""
from __future__ import annotations

import struct
from typing import Any, Iterator

from .framing import MSG_AS, ProtocolError, proto_word
from .message import (FIELD_BATCH_INDEX, FIELD_FILTER_EXP, FIELD_KEY, FIELD_UDF_ARGLIST,
                      FIELD_UDF_FUNCTION, FIELD_UDF_PACKAGE_NAME, INFO1_BATCH, INFO3_LAST,
                      MSG_HEADER_SIZE)
from ._records import (TTL_SOURCE, Layout, Loops, bins_source, bound_helpers, loop_source,
                       op_shape, read_pairs, record_head)
from ._records import read_bins as _read_bins
from .record import TTL_NEVER, ns_set_field_bytes

# batch field flags
BATCH_ALLOW_INLINE = 0x1
BATCH_ALLOW_INLINE_SSD = 0x2
BATCH_RESPOND_ALL_KEYS = 0x4
BATCH_FLAGS_BASE = 0x8  # always set by the official clients
# entry flags
BATCH_MSG_READ = 0x0
BATCH_MSG_REPEAT = 0x1
BATCH_MSG_INFO = 0x2
BATCH_MSG_GEN = 0x4
BATCH_MSG_TTL = 0x8
BATCH_MSG_INFO4 = 0x10

REPEAT = b"\x01"

_HEAD = struct.Struct(">QBBBBBBIIIHH")
_REPLY_HEAD = struct.Struct(">BBBBBBIIIHH")
_FIELD = struct.Struct(">IB")
_U32 = struct.Struct(">I")
_READ_ENTRY = struct.Struct(">BBBBIHH")
_WRITE_ENTRY = struct.Struct(">BBBBHIHH")
_WRITE_ENTRY_INFO4 = struct.Struct(">BBBBBHIHH")
_INDEX = struct.Struct(">I")


def batch_flags(allow_inline: bool, allow_inline_ssd: bool, respond_all_keys: bool) -> int:
    """The flags byte of the batch field."""
    flags = BATCH_FLAGS_BASE
    if allow_inline:
        flags |= BATCH_ALLOW_INLINE
    if allow_inline_ssd:
        flags |= BATCH_ALLOW_INLINE_SSD
    if respond_all_keys:
        flags |= BATCH_RESPOND_ALL_KEYS
    return flags


def field(ftype: int, data: bytes) -> bytes:
    return _FIELD.pack(len(data) + 1, ftype) + data


def ns_set_fields(namespace: str, set_name: str | None) -> tuple[bytes, int]:
    """Namespace and set fields of an entry (the set is sent even when empty)."""
    return ns_set_field_bytes(namespace, set_name), 2


def key_field(ktype: int, kbytes: bytes) -> bytes:
    return _FIELD.pack(len(kbytes) + 2, FIELD_KEY) + bytes((ktype,)) + kbytes


def udf_fields(module: str, function: str, packed_args: bytes) -> tuple[bytes, int]:
    return (field(FIELD_UDF_PACKAGE_NAME, module.encode("utf-8"))
            + field(FIELD_UDF_FUNCTION, function.encode("utf-8"))
            + field(FIELD_UDF_ARGLIST, packed_args)), 3


def read_entry(info1: int, info2: int, info3: int, ttl: int, fields: bytes, n_fields: int,
               ops: bytes, n_ops: int) -> bytes:
    """An entry without generation (reads)."""
    return _READ_ENTRY.pack(BATCH_MSG_INFO | BATCH_MSG_TTL, info1, info2, info3,
                            ttl & 0xFFFFFFFF, n_fields, n_ops) + fields + ops


def write_entry(info1: int, info2: int, info3: int, generation: int, ttl: int, fields: bytes,
                n_fields: int, ops: bytes, n_ops: int, info4: int = 0) -> bytes:
    """An entry with generation and ttl (writes, removes, UDF applies); with ``info4`` (the
    transaction bits) that byte too, after info3."""
    if info4:
        return _WRITE_ENTRY_INFO4.pack(
            BATCH_MSG_INFO | BATCH_MSG_INFO4 | BATCH_MSG_GEN | BATCH_MSG_TTL, info1, info2,
            info3, info4, generation & 0xFFFF, ttl & 0xFFFFFFFF, n_fields, n_ops) + fields + ops
    return _WRITE_ENTRY.pack(BATCH_MSG_INFO | BATCH_MSG_GEN | BATCH_MSG_TTL, info1, info2,
                             info3, generation & 0xFFFF, ttl & 0xFFFFFFFF, n_fields,
                             n_ops) + fields + ops


def encode_batch_request(items: list[tuple[int, bytes, bytes]], flags: int, info1: int,
                         timeout: int, filter_exp: bytes | None = None) -> bytes:
    """A whole batch request for one node.

    ``items``: ``(index, digest, entry)`` in the order to send, ``entry`` being
    an encoded entry or ``REPEAT``. ``info1`` is OR-ed with INFO1_BATCH.
    """
    parts = []
    pack_index = _INDEX.pack
    for index, digest, entry in items:
        parts.append(pack_index(index))
        parts.append(digest)
        parts.append(entry)
    return encode_batch_body(b"".join(parts), len(items), flags, info1, timeout, filter_exp)


_BATCH_FIELD_HEAD = struct.Struct(">IBIB")  # field size, type, key count, batch flags


def encode_batch_body(keys: bytes, count: int, flags: int, info1: int, timeout: int,
                      filter_exp: bytes | None = None) -> bytes:
    """A whole batch request around ``keys``, the ``count`` encoded ``index, digest,
    entry-or-REPEAT`` of the batch field. ``info1`` is OR-ed with INFO1_BATCH."""
    n_fields = 1
    fields = b""
    if filter_exp is not None:
        fields = field(FIELD_FILTER_EXP, filter_exp)
        n_fields = 2
    size = MSG_HEADER_SIZE + len(fields) + 10 + len(keys)
    return b"".join((
        _HEAD.pack(proto_word(MSG_AS, size), MSG_HEADER_SIZE, info1 | INFO1_BATCH, 0, 0, 0,
                   0, 0, 0, timeout, n_fields, 0),
        fields,
        _BATCH_FIELD_HEAD.pack(len(keys) + 6, FIELD_BATCH_INDEX, count, flags),
        keys))


class BatchReply:
    """One key's answer in a batch reply."""

    __slots__ = ("index", "result_code", "generation", "ttl", "bins")

    def __init__(self, index: int, result_code: int, generation: int, ttl: int,
                 bins: list[tuple[str, Any]]) -> None:
        self.index = index
        self.result_code = result_code
        self.generation = generation
        self.ttl = ttl
        self.bins = bins

    def __repr__(self) -> str:
        return (f"BatchReply({self.index}, rc={self.result_code}, gen={self.generation}, "
                f"ttl={self.ttl}, bins={self.bins!r})")


def parse_batch_payload(payload: bytes | memoryview) -> tuple[list[BatchReply], bool, int]:
    """Decode one type-3 payload of a batch reply.

    Returns the per-key answers, whether the LAST message was seen, and the
    result code of the LAST message (non-zero when the whole batch failed on
    the node). Raises ProtocolError on malformed bytes.
    """
    try:
        return _parse_batch_payload(payload)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed batch reply: {exc}") from None


def _parse_batch_payload(payload: bytes | memoryview) -> tuple[list[BatchReply], bool, int]:
    mv = memoryview(payload)
    end = len(mv)
    pos = 0
    out: list[BatchReply] = []
    head = _REPLY_HEAD.unpack_from
    field_size = _U32.unpack_from
    while pos < end:
        (hsize, _i1, _i2, info3, _i4, rc, gen, ttl, index, n_fields,
         n_ops) = head(mv, pos)
        if hsize != MSG_HEADER_SIZE:
            raise ValueError(f"header size {hsize}")
        pos += MSG_HEADER_SIZE
        if info3 & INFO3_LAST:
            return out, True, rc
        for _ in range(n_fields):
            pos += 4 + field_size(mv, pos)[0]
        bins, pos = read_pairs(mv, pos, n_ops, end)
        if pos > end:
            raise ValueError("message runs past the payload")
        out.append(BatchReply(index, rc, gen, ttl, bins))
    return out, False, 0


# hsize, info3, result code, generation, void time, index, n_fields, n_ops
_HEAD_BATCH = struct.Struct(">BxxBxBIIIHH")


def parse_batch_records(payload: bytes | memoryview, now: int) -> tuple[list, bool, int]:
    """Decode one type-3 payload of a batch reply straight into a flat list of answers.

    Each answer is the five items ``index, result_code, generation, ttl, bins`` in a row
    (no tuple per record: read them with ``zip(it, it, it, it, it)``): ``ttl`` is what
    the API reports, from the record's void time against ``now`` (server clock, seconds
    since 2010-01-01), ``bins`` a dict (a later value of the same bin name wins).
    Also returns whether the LAST message was seen and its result code. Raises
    ProtocolError on malformed bytes.
    """
    try:
        return _parse_batch_records(payload, now)
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed batch reply: {exc}") from None


def _parse_batch_records(payload: bytes | memoryview, now: int) -> tuple[list, bool, int]:
    # One pass. A record of a layout not seen just before (its header's flags and result
    # code, no fields, its bins' names and types) is decoded here, with the bins decoder
    # shared with scan/query replies (_records.read_bins); the records after it, while
    # alike, by a loop compiled for that layout (see _batch_loop).
    data = payload if type(payload) is bytes else bytes(payload)
    end = len(data)
    pos = 0
    out: list = []
    extend = out.extend
    head = _HEAD_BATCH.unpack_from
    u32 = _U32.unpack_from
    read_bins = _read_bins
    never = TTL_NEVER
    startswith = data.startswith
    fast: Any = None
    last, last_rc = False, 0
    while pos < end:
        if fast is not None:
            pos = fast(data, pos, end, extend, now, startswith)
            if pos >= end:
                break
        hsize, info3, rc, gen, void, index, n_fields, n_ops = head(data, pos)
        if hsize != MSG_HEADER_SIZE:
            raise ValueError(f"header size {hsize}")
        start = pos
        pos += MSG_HEADER_SIZE
        if info3 & INFO3_LAST:
            last, last_rc = True, rc
            break
        if n_fields:
            for _ in range(n_fields):
                pos += 4 + u32(data, pos)[0]
        ops_at = pos
        bins: dict[str, Any] = {}
        if n_ops:
            pos = read_bins(data, pos, n_ops, end, bins)
        if pos > end:
            raise ValueError("message runs past the payload")
        extend((index, rc, gen, never if void == 0 else (void - now if void > now else 1),
                bins))
        if not n_fields and _loops.wanted():
            shape = op_shape(data, ops_at, n_ops, end)
            if shape is not None:   # kept when none is found: it reads any bins
                fast = _batch_loop(data[start:start + 6], data[start + 18:ops_at],
                                   shape) or fast
    _loops.earn(len(out) // 5)
    return out, last, last_rc


_loops = Loops("batch record loop")


def _batch_loop(lead: bytes, counts: bytes, shape: tuple[Layout, ...]) -> Any:
    """A function decoding, from an offset, records laid out as one just decoded: its
    first six header bytes ``lead`` (header size, info bits, result code), its field and
    operation counts ``counts`` (no fields), then operations as ``shape`` (see Layout;
    a record without fields whose operations differ has them decoded one by one). It
    returns the offset of the first message that is not such a record (or the end). None
    while the layout has no loop (see Loops)."""

    def build() -> tuple[str, list[str], dict[str, Any]]:
        def finish(bins: str, end: str) -> list[str]:
            return [f"extend((index, _rc, gen, {TTL_SOURCE}, {bins}))", f"pos = {end}"]

        head, stays = record_head(lead, "gen", "void", "index")
        # the counts are checked with the first operation's constant bytes
        fallback = ["counts = _u32(data, pos + 18)[0]", "if counts >> 16: return pos"]
        bins_lines, consts = bins_source(shape, ("pos", 18, counts), 0, fallback, "pos + 22",
                                         finish, head)
        lines, loop_consts = loop_source(head, stays, bins_lines, "end")
        bound = {**bound_helpers(), **consts, **loop_consts, "_rc": lead[5],
                 "_never": TTL_NEVER}
        return "data, pos, end, extend, now, startswith", lines, bound

    return _loops.find((lead, counts, shape), (lead,), build)


def iter_entries(field_data: bytes) -> Iterator[tuple[int, bytes, bytes | None]]:
    """(index, digest, entry bytes or None for REPEAT) of a batch field (tests, tools)."""
    count = _U32.unpack_from(field_data, 0)[0]
    pos = 5
    for _ in range(count):
        index = _INDEX.unpack_from(field_data, pos)[0]
        digest = bytes(field_data[pos + 4:pos + 24])
        pos += 24
        kind = field_data[pos]
        if kind == BATCH_MSG_REPEAT:
            pos += 1
            yield index, digest, None
            continue
        start = pos
        pos += 4 + (1 if kind & BATCH_MSG_INFO4 else 0) + (2 if kind & BATCH_MSG_GEN else 0) + 4
        n_fields, n_ops = struct.unpack_from(">HH", field_data, pos)
        pos += 4
        for _ in range(n_fields + n_ops):
            pos += 4 + _U32.unpack_from(field_data, pos)[0]
        yield index, digest, bytes(field_data[start:pos])


__all__ = ["BATCH_ALLOW_INLINE", "BATCH_ALLOW_INLINE_SSD", "BATCH_RESPOND_ALL_KEYS",
           "REPEAT", "batch_flags", "field", "ns_set_fields", "key_field", "udf_fields",
           "read_entry", "write_entry", "encode_batch_request", "encode_batch_body", "BatchReply",
           "parse_batch_payload", "parse_batch_records", "iter_entries"]
