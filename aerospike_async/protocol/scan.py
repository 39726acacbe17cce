"""Scan and query requests, their streamed record replies, job and index info commands.

A scan is a query without an index range. The request carries namespace,
set, [records per second], socket timeout, task id, [index type, index
range, index name, index context], [filter expression], the partitions to read (ids,
or the digest to resume after and, for index queries, the index value of
that record), [max records], [UDF], then read or write operations.
The reply is a stream of proto messages, each packing record AS_MSGs; a
message with INFO3_PARTITION_DONE reports a partition (its id in the
generation word) and a non-zero result code when it was unavailable; the
LAST message ends the node's stream.
"""
from __future__ import annotations

import base64
import struct
from typing import Any, Iterable

from .framing import MSG_AS, ProtocolError, proto_word
from .message import (FIELD_BVAL_ARRAY, FIELD_DIGEST_ARRAY, FIELD_FILTER_EXP,
                      FIELD_INDEX_CONTEXT, FIELD_INDEX_EXPRESSION, FIELD_INDEX_NAME,
                      FIELD_INDEX_RANGE,
                      FIELD_INDEX_TYPE, FIELD_MAX_RECORDS, FIELD_NAMESPACE, FIELD_PID_ARRAY,
                      FIELD_RECORDS_PER_SECOND, FIELD_SET, FIELD_SOCKET_TIMEOUT,
                      FIELD_TASK_ID, FIELD_UDF_ARGLIST, FIELD_UDF_FUNCTION, FIELD_UDF_OP,
                      FIELD_UDF_PACKAGE_NAME, INFO3_LAST, INFO3_PARTITION_DONE,
                      MSG_HEADER_SIZE)
from ._records import (TTL_SOURCE, Layout, Loops, _names, bins_source, bound_helpers,
                       cached_name, key_layout, loop_source, op_shape, ops_source, position,
                       record_head)
from ._records import read_bins as _read_bins
from .digest import PARTITION_IDS, PARTITIONS
from .particles import decode_particle
from .record import TTL_NEVER

UDF_OP_AGGREGATE = 1
UDF_OP_BACKGROUND = 2


_HEAD = struct.Struct(">QBBBBBBIIIHH")
_REPLY_HEAD = struct.Struct(">BBBBBBIIIHH")
_FIELD = struct.Struct(">IB")
_OP = struct.Struct(">IBBBB")
_U32 = struct.Struct(">I")
_U64 = struct.Struct(">Q")
_I64LE = struct.Struct("<q")
_I64 = struct.Struct(">q")
_HEAD4 = struct.Struct(">B2xBxBII")  # header size, info3, result code, generation, void time
_COUNTS = struct.Struct(">HH")       # n_fields, n_ops (header bytes 18..22)


_ALL_PIDS = struct.pack(f"<{PARTITIONS}H", *PARTITION_IDS)   # a whole scan's pid array


def _field(ftype: int, data: bytes) -> bytes:
    return _FIELD.pack(len(data) + 1, ftype) + data


def encode_index_range(bin_name: str, particle_type: int, begin: bytes, end: bytes) -> bytes:
    """The index range field data: one filter on ``bin_name`` from ``begin`` to ``end``."""
    nb = bin_name.encode("utf-8")
    return (b"\x01" + bytes((len(nb),)) + nb + bytes((particle_type,)) + _U32.pack(len(begin))
            + begin + _U32.pack(len(end)) + end)


def encode_query(namespace: str, set_name: str | None, *, info1: int = 0, info2: int = 0,
                 info3: int = 0, expiration: int = 0, header_timeout: int = 0,
                 records_per_second: int = 0, socket_timeout: int = 0, task_id: int = 0,
                 index_type: int | None = None, index_range: bytes | None = None,
                 index_context: bytes | None = None, index_expression: bytes | None = None,
                 index_name: str | None = None, filter_exp: bytes | None = None,
                 pids: Iterable[int] | None = None,
                 digests: list[bytes] | None = None, bvals: list[int] | None = None,
                 max_records: int = 0, udf: tuple[int, str, str, bytes] | None = None,
                 ops: bytes = b"", n_ops: int = 0) -> bytes:
    """A whole scan/query request, fields in the order the official client sends them."""
    fields = [_field(FIELD_NAMESPACE, namespace.encode("utf-8"))]
    if set_name:
        fields.append(_field(FIELD_SET, set_name.encode("utf-8")))
    if records_per_second:
        fields.append(_field(FIELD_RECORDS_PER_SECOND, _U32.pack(records_per_second)))
    fields.append(_field(FIELD_SOCKET_TIMEOUT, _U32.pack(socket_timeout)))
    fields.append(_field(FIELD_TASK_ID, _U64.pack(task_id)))
    if index_type is not None:
        fields.append(_field(FIELD_INDEX_TYPE, bytes((index_type,))))
    if index_range is not None:
        fields.append(_field(FIELD_INDEX_RANGE, index_range))
    if index_name is not None:   # after the range, as the official (C) client sends it
        fields.append(_field(FIELD_INDEX_NAME, index_name.encode("utf-8")))
    if index_context is not None:
        fields.append(_field(FIELD_INDEX_CONTEXT, index_context))
    if index_expression is not None:
        fields.append(_field(FIELD_INDEX_EXPRESSION, index_expression))
    if filter_exp is not None:
        fields.append(_field(FIELD_FILTER_EXP, filter_exp))
    if pids is not None:
        pids = list(pids)
        pid_bytes = (_ALL_PIDS if pids == PARTITION_IDS
                     else struct.pack(f"<{len(pids)}H", *pids))
        if pid_bytes:
            fields.append(_field(FIELD_PID_ARRAY, pid_bytes))
    if digests:
        fields.append(_field(FIELD_DIGEST_ARRAY, b"".join(digests)))
        if bvals is not None:
            fields.append(_field(FIELD_BVAL_ARRAY, b"".join(_I64LE.pack(b) for b in bvals)))
    if max_records:
        fields.append(_field(FIELD_MAX_RECORDS, _U64.pack(max_records)))
    if udf is not None:
        op, module, function, args = udf
        fields.append(_field(FIELD_UDF_OP, bytes((op,))))
        fields.append(_field(FIELD_UDF_PACKAGE_NAME, module.encode("utf-8")))
        fields.append(_field(FIELD_UDF_FUNCTION, function.encode("utf-8")))
        fields.append(_field(FIELD_UDF_ARGLIST, args))
    body = b"".join(fields) + ops
    return _HEAD.pack(proto_word(MSG_AS, MSG_HEADER_SIZE + len(body)), MSG_HEADER_SIZE, info1,
                      info2, info3, 0, 0, 0, expiration & 0xFFFFFFFF, header_timeout,
                      len(fields), n_ops) + body


# -- replies ----------------------------------------------------------------------------------
class StreamChunk:
    """What one proto message of a scan/query stream held.

    ``records``: ``(key, meta, bins)`` tuples in arrival order; ``last``: the
    node's stream ended; ``error``: a non-zero result code that ended the stream;
    ``unavailable``: partition ids the node could not serve this round;
    ``resume``: per partition, ``(digest, bval)`` of the last record received.
    """

    __slots__ = ("records", "last", "error", "unavailable", "resume")

    def __init__(self) -> None:
        self.records: list[tuple] = []
        self.last = False
        self.error = 0
        self.unavailable: list[int] = []
        self.resume: dict[int, tuple[bytes, int | None]] = {}


def _decode_key(data: Any) -> Any:
    ktype = data[0]
    if ktype == 1:
        return _I64.unpack_from(data, 1)[0]
    if ktype == 3:
        return str(data[1:], "utf-8")
    if ktype == 4:
        return bytearray(data[1:])
    return decode_particle(ktype, data[1:])


def parse_stream_payload(payload: bytes | memoryview, now: int = 0) -> StreamChunk:
    """Decode one type-3 payload of a scan/query reply (see StreamChunk) at once.

    ``now`` is the server clock (seconds since 2010-01-01) that record void
    times are turned into ttls against.

    Raises ProtocolError on malformed bytes.
    """
    return StreamPayload(payload, now).next_chunk(None)


class StreamPayload:
    """One type-3 payload of a scan/query reply, decoded a piece at a time.

    A payload holds up to about 128 KB of records. Handed on in pieces of about 32 KB, a
    consumer takes and drops each piece's records before the next piece is decoded: they
    die young, cost the garbage collector almost nothing, and their memory is reused while
    it is still in the cache.
    """

    __slots__ = ("_data", "_copy", "_pos", "_now", "_loop")

    PIECE = 32 * 1024

    def __init__(self, payload: bytes | memoryview, now: int = 0) -> None:
        self._data = payload if type(payload) is bytes else bytes(payload)
        self._copy = bytearray(self._data)   # record digests are slices of it
        self._pos = 0
        self._now = now
        self._loop: Any = None   # the compiled loop of the last record layout seen

    @property
    def done(self) -> bool:
        """Whether every message of the payload has been decoded."""
        return self._pos >= len(self._data)

    def next_chunk(self, size: int | None = PIECE) -> StreamChunk:
        """The next records: those starting within ``size`` bytes (None: all), and at
        least one message. Raises ProtocolError on malformed bytes."""
        data = self._data
        stop = len(data) if size is None else min(self._pos + size, len(data))
        try:
            chunk, self._pos, self._loop = _parse_stream(data, self._copy, self._pos, stop,
                                                         self._now, self._loop)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
            raise ProtocolError(f"malformed scan/query reply: {exc}") from None
        if chunk.last:
            self._pos = len(data)
        return chunk


def _parse_stream(data: bytes, ba: bytearray, pos: int, stop: int, now: int, fast: Any
                  ) -> tuple[StreamChunk, int, Any]:
    # One pass over the messages starting before ``stop``. A scan's records mostly share
    # their layout: the same namespace, set and digest fields, the same bins' names and
    # types. A record of a layout not seen just before is decoded field by field here, and
    # then decodes the records after it with a loop compiled for its layout (``fast``, see
    # _record_loop), up to the first record that differs. Digests: a record's key gets a
    # slice of the payload's bytearray copy ``ba``, and per partition only the offset of its
    # last record's digest is kept until the end.
    chunk = StreamChunk()
    append = chunk.records.append
    where: dict[int, int | bytes] = {}   # partition -> offset of its last digest (or it)
    bvals: dict[int, tuple[int | bytes, int]] = {}   # partition -> (where, bval) of its
    # last record that had a bval: the resume's bval if that record is the partition's last
    end = len(data)
    head = _HEAD4.unpack_from
    counts = _COUNTS.unpack_from
    fhead = _FIELD.unpack_from
    u32 = _U32.unpack_from
    startswith = data.startswith
    names_get = _names.get
    _name = cached_name
    read_bins = _read_bins
    never = TTL_NEVER
    while pos < stop:
        if fast is not None:
            pos = fast(data, ba, pos, stop, end, append, where, now, startswith)
            if pos >= stop:
                break
        hsize, info3, rc, gen, void = head(data, pos)
        if hsize != MSG_HEADER_SIZE:
            raise ValueError(f"header size {hsize}")
        n_fields, n_ops = counts(data, pos + 18)
        if info3 & 5 or rc:   # LAST, PARTITION_DONE or a result code: the rare cases
            pos += MSG_HEADER_SIZE
            if info3 & INFO3_LAST:
                chunk.last = True
                if rc and rc != 2:
                    chunk.error = rc
                break
            if info3 & INFO3_PARTITION_DONE:
                if rc:
                    chunk.unavailable.append(gen)
            elif rc != 2 and rc != 27:  # not found / filtered out: no record, keep going
                chunk.error = rc
                chunk.last = True
                break
            for _ in range(n_fields + n_ops):
                pos += 4 + u32(data, pos)[0]
            continue
        counts_at = pos + 18
        pos += MSG_HEADER_SIZE
        ns = set_name = user_key = digest = bval = None
        d0 = key_at = key_end = 0
        simple = True   # no field a compiled loop cannot read
        for _ in range(n_fields):
            size, ftype = fhead(data, pos)
            start = pos + 5
            pos += 4 + size
            if ftype == 4:
                digest = data[start:pos]
                d0 = start
            elif ftype == 0:
                raw = data[start:pos]
                ns = names_get(raw)
                if ns is None:
                    ns = _name(raw)
            elif ftype == 1:
                raw = data[start:pos]
                set_name = names_get(raw)
                if set_name is None:
                    set_name = _name(raw)
            elif ftype == 2:
                user_key = _decode_key(data[start:pos])
                key_at, key_end = start - 5, pos
            elif ftype == 15:
                bval = _I64LE.unpack_from(data, start)[0]
                simple = False
            else:
                simple = False
        ops_at = pos
        bins: dict[Any, Any] = {}
        if n_ops:
            pos = read_bins(data, pos, n_ops, end, bins)
        if pos > end or digest is None:
            raise ValueError("record runs past the message or has no digest")
        append(((ns, set_name, user_key, bytearray(digest)),
                {"ttl": never if void == 0 else (void - now if void > now else 1), "gen": gen},
                bins))
        pid = (digest[0] | (digest[1] << 8)) & 4095
        where[pid] = here = d0 if len(digest) == 20 else digest
        if bval is not None:
            bvals[pid] = (here, bval)
        if simple and len(digest) == 20 and _loops.wanted():
            # a user key is read by the loop only as the last field, after the digest
            key = key_layout(data, key_at) if key_at > d0 and key_end == ops_at else None
            shape = op_shape(data, ops_at, n_ops, end)
            if shape is not None and (key is not None or not key_at):
                # kept when none is found: it reads records of its fields, whatever bins
                fast = _record_loop(data[counts_at - 18:counts_at - 12], data[counts_at:d0],
                                    data[d0 + 20:key_at or ops_at], ns, set_name, key,
                                    shape) or fast
    _loops.earn(len(chunk.records))
    if where:
        resume = chunk.resume
        for pid, d in where.items():
            with_bval = bvals.get(pid)
            resume[pid] = (data[d:d + 20] if isinstance(d, int) else d,
                           with_bval[1] if with_bval is not None and with_bval[0] == d
                           else None)
    return chunk, pos, fast


_loops = Loops("scan record loop")
#: the partition id of ``run_bytes``, the first two bytes of a digest as a big-endian int
#: (masked)
_PID_SOURCE = "(run_bytes >> 8 | run_bytes << 8) & 4095"


def _record_loop(lead: bytes, fields_before: bytes, fields_after: bytes, ns: str | None,
                 set_name: str | None, key: Layout | None, shape: tuple[Layout, ...]) -> Any:
    """A function decoding, from an offset, records laid out as one just decoded: its
    first six header bytes ``lead`` (header size, info bits, result code), from the field
    and operation counts to the digest's value ``fields_before``, after the digest
    ``fields_after``, then a user key field laid out as ``key`` (or none) and operations as
    ``shape`` (see Layout; a record of these fields but other bins has its bins decoded
    one by one). It returns the offset of the first message that is not such a record, or
    the first at or after ``stop``. None while the layout has no loop (see Loops)."""

    def build() -> tuple[str, list[str], dict[str, Any]]:
        bail = "return pos"
        n_fields = _U32.unpack_from(fields_before)[0] >> 16
        d0 = 18 + len(fields_before)   # the digest's offset in the record
        head, stays = record_head(lead, "gen", "void")
        # the counts and the fields before the digest, checked with the bins
        before = head.expect(18, "before", fields_before)
        # the digest's first two bytes (the partition id is their first 12 bits, read
        # little-endian; the mask keeps those): only where a run of records of one
        # partition ends is it noted
        head.read(d0, "H", "pid_bytes")
        note_run = f"where[{_PID_SOURCE}] = run_last + {d0}"   # the run's last digest
        # the fields after the digest are checked with the first bin's constant bytes (or
        # the key's); for bins decoded one by one, alone
        fallback = [f"if not startswith(_fields, pos + 22): {bail}",
                    "counts = _u32(data, pos + 18)[0]",
                    f"if counts >> 16 != {n_fields}: {bail}"]
        consts: dict[str, Any] = {}
        body: list[str] = []
        if key is None:
            fallback.append(f"if not startswith(_after, pos + {d0 + 20}): {bail}")
            at: tuple[str, int, bytes] = ("pos", d0 + 20, fields_after)
            ops_at = f"pos + {d0 + 20 + len(fields_after)}"
        else:
            body, consts, _, after_key, _ = ops_source((key,), bail, "pos", d0 + 20,
                                                       fields_after, 0, head)
            at = (*after_key, b"")
            ops_at = position(*after_key)

        def finish(bins: str, end: str) -> list[str]:
            return [f"append(((_ns, _set, {'None' if key is None else 'v0'}, "
                    f"ba[pos + {d0}:pos + {d0 + 20}]),",
                    f'        {{"ttl": {TTL_SOURCE}, "gen": gen}},',
                    f"        {bins}))",
                    "if pid_bytes & 0xFF0F != run_bytes:",
                    "    if run_bytes >= 0:",
                    f"        {note_run}",
                    "    run_bytes = pid_bytes & 0xFF0F",
                    "run_last = pos",
                    f"pos = {end}"]

        bins_lines, bins_consts = bins_source(shape, at, 1, fallback, ops_at, finish, head,
                                              (before,))
        lines, loop_consts = loop_source(
            head, stays, body + bins_lines, "stop", ("run_bytes = -1", "run_last = 0"),
            ("if run_bytes >= 0:", f"    {note_run}"))
        bound = {**bound_helpers(), **consts, **bins_consts, **loop_consts,
                 "_fields": fields_before[4:], "_after": fields_after, "_ns": ns,
                 "_set": set_name, "_never": TTL_NEVER}
        return "data, ba, pos, stop, end, append, where, now, startswith", lines, bound

    family = (lead, fields_before[:2], fields_before[4:], fields_after, key)
    return _loops.find((*family, shape), family, build)


# -- info commands: jobs and secondary indexes ----------------------------------------------
def job_info_command(job_id: int) -> str:
    return f"query-show:id={job_id}"


def parse_job_info(text: str) -> tuple[int, int, int] | None:
    """(status, progress_pct, records_read) of a ``query-show`` answer; None when the
    job is unknown (``ERROR:2:job not found``). status: 1 in progress, 2 completed."""
    text = text.strip()
    if not text or text.startswith("ERROR"):
        return None
    fields: dict[str, str] = {}
    for part in text.split(":"):
        name, sep, value = part.partition("=")
        if sep:
            fields[name] = value
    status_text = fields.get("status", "")
    status = 2 if status_text.startswith(("done", "abort")) else 1
    try:
        progress = int(float(fields.get("job-progress", "0")))
    except ValueError:
        progress = 0
    records = 0
    for name in ("recs-succeeded", "recs-read", "records-read"):
        if name in fields:
            try:
                records = int(fields[name])
            except ValueError:
                pass
            break
    return status, progress, records


_INDEX_DATATYPE = {0: "STRING", 1: "NUMERIC", 2: "GEO2DSPHERE", 3: "BLOB", 4: "NUMERIC"}
_INDEX_TYPE = {0: None, 1: "LIST", 2: "MAPKEYS", 3: "MAPVALUES"}


def sindex_create_command(namespace: str, set_name: str | None, bin_name: str | None,
                          index_name: str, index_type: int, datatype: int | None,
                          context: bytes | None = None, set_index: bool = False) -> str:
    """The ``sindex-create`` info command, options in the official client's order."""
    parts = [f"sindex-create:namespace={namespace}"]
    if set_name:
        parts.append(f"set={set_name}")
    parts.append(f"indexname={index_name}")
    if context:
        parts.append("context=" + base64.b64encode(context).decode())
    if set_index:
        parts.append("indextype=SET")
        return ";".join(parts)
    kind = _INDEX_TYPE.get(index_type)
    if kind:
        parts.append(f"indextype={kind}")
    parts.append(f"bin={bin_name}")
    parts.append(f"type={_INDEX_DATATYPE[datatype or 0]}")
    return ";".join(parts)


def sindex_stat_command(namespace: str, index_name: str) -> str:
    return f"sindex-stat:namespace={namespace};indexname={index_name}"


def sindex_delete_command(namespace: str, index_name: str) -> str:
    return f"sindex-delete:namespace={namespace};indexname={index_name}"


def parse_info_error(text: str) -> tuple[int, str] | None:
    """(code, message) of an ``ERROR:code:message`` info answer, else None."""
    text = text.strip()
    if not text.upper().startswith(("ERROR", "FAIL")):
        return None
    parts = text.split(":", 2)
    code = -1
    if len(parts) > 1:
        try:
            code = int(parts[1])
        except ValueError:
            code = -1
    msg = parts[2] if len(parts) > 2 else text
    return code, msg


__all__ = ["encode_query", "encode_index_range", "parse_stream_payload", "StreamPayload",
           "StreamChunk",
           "job_info_command", "parse_job_info", "sindex_create_command",
           "sindex_stat_command", "sindex_delete_command", "parse_info_error",
           "UDF_OP_AGGREGATE", "UDF_OP_BACKGROUND"]
