"""Single-record commands of the embedded server: AS_MSG request in, reply bytes out.

Operations dispatch through ``OP_HANDLERS`` (wire op code -> handler), so CDT, bit,
HLL and expression operations can be registered next to the basic ones. Result codes
and reply shapes follow what a real Aerospike 8.1 Community Edition server answers.
"""
from __future__ import annotations

import struct
from typing import Callable, Iterator, NamedTuple, Union

from ..protocol.message import (
    FIELD_BATCH_INDEX, FIELD_BATCH_INDEX_WITH_SET, FIELD_DIGEST, FIELD_FILTER_EXP, FIELD_KEY,
    FIELD_MRT_ID, FIELD_NAMESPACE, FIELD_SET, FIELD_TASK_ID, FIELD_UDF_ARGLIST, FIELD_UDF_FUNCTION,
    FIELD_UDF_PACKAGE_NAME, INFO1_BATCH,
    INFO1_GET_ALL, INFO1_NOBINDATA, INFO2_CREATE_ONLY, INFO2_DELETE, INFO2_DURABLE_DELETE,
    INFO2_GENERATION, INFO2_GENERATION_GT, INFO2_RESPOND_ALL_OPS, INFO2_WRITE,
    INFO3_CREATE_OR_REPLACE, INFO3_REPLACE_ONLY, INFO3_UPDATE_ONLY, OP_APPEND, OP_BIT_MODIFY,
    OP_BIT_READ, OP_CDT_MODIFY, OP_CDT_READ, OP_DELETE, OP_EXP_MODIFY, OP_EXP_READ,
    OP_HLL_MODIFY, OP_HLL_READ, OP_INCR, OP_PREPEND, OP_READ, OP_TOUCH, OP_WRITE, Message, Op,
    encode_parts, name_bytes, op_bytes,
)
from ..protocol.particles import (
    PARTICLE_BLOB, PARTICLE_FLOAT, PARTICLE_GEOJSON, PARTICLE_INTEGER, PARTICLE_NULL,
    PARTICLE_STRING,
)
from . import bits, cdt, expressions, hll
from .geo import store_geojson
from .store import (
    TTL_DONT_UPDATE, Bins, Namespace, Record, Store, next_generation, remove_bin, valid_ttl,
)

# result codes the server answers
OK = 0
NOT_FOUND = 2
GENERATION_ERROR = 3
PARAMETER_ERROR = 4
RECORD_EXISTS = 5
RECORD_TOO_BIG = 13
UNSUPPORTED_FEATURE = 16
KEY_MISMATCH = 19
NAMESPACE_NOT_FOUND = 20
BIN_NAME_TOO_LONG = 21
ENTERPRISE_ONLY = 25
FILTERED_OUT = 27
BIN_INCOMPATIBLE_TYPE = 12
INVALID_GEOJSON = 160
UDF_EXECUTION = 100

UDF_UNAVAILABLE = b"UDF: Execution Error 1"
"""The FAILURE text of a record UDF call whose module cannot be loaded (not registered,
or no Lua runtime: the optional ``lupa`` package)."""

MAX_BIN_NAME = 15

_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
_INT64_MASK = (1 << 64) - 1

# What a node answers a command with: one reply, or the messages of a streamed answer,
# among which a float is a pause in seconds (records_per_second).
Answer = Union[bytes, Iterator[Union[bytes, float]]]


class Txn:
    """State of one command while its operations run: the working bins and the reply ops."""

    __slots__ = ("bins", "digest", "namespace", "now", "out", "record", "respond_all")

    def __init__(self, bins: Bins, record: Record | None, respond_all: bool, now: int,
                 namespace: Namespace, digest: bytes = b"") -> None:
        self.digest = digest
        self.bins = bins
        self.out: list[bytes] = []
        self.respond_all = respond_all
        self.record = record
        self.now = now
        self.namespace = namespace

    def reply_bin(self, op: Op, name: str) -> None:
        """Answer a read of bin ``name``: its value, or a nil entry under respond-all-ops."""
        value = self.bins.get(name)
        if value is not None:
            self.out.append(op_bytes(op.op, value[0], name_bytes(name), value[1]))
        elif self.respond_all:
            self.out.append(op_bytes(op.op, PARTICLE_NULL, name_bytes(name), b""))

    def reply_nil(self, op: Op) -> None:
        """The nil entry a write op gets under respond-all-ops."""
        if self.respond_all:
            self.out.append(op_bytes(op.op, PARTICLE_NULL, name_bytes(op.name), b""))


class OpHandler(NamedTuple):
    """How one wire op code runs: ``run(txn, op) -> result code``; ``writes`` marks ops
    that need a write command."""

    run: Callable[[Txn, Op], int]
    writes: bool


def _bad_bin_name(name: str) -> bool:
    return len(name_bytes(name)) > MAX_BIN_NAME


def _op_read(txn: Txn, op: Op) -> int:
    if op.name:
        txn.reply_bin(op, op.name)
    else:
        for name, (ptype, value) in txn.bins.items():
            txn.out.append(op_bytes(op.op, ptype, name_bytes(name), value))
    return OK


def _wire_int(value: bytes) -> bytes | None:
    """An integer op value as the node reads it (1, 2, 4 or 8 big-endian bytes) in the
    8-byte form bins keep; None for another size."""
    if len(value) == 8:
        return value
    if len(value) in (1, 2, 4):
        return int.from_bytes(value, "big").to_bytes(8, "big")
    return None


def _op_write(txn: Txn, op: Op) -> int:
    """A write; also an increment, append or prepend of a missing bin, which creates it
    from the op's value whatever its type, as the node's as_bin_particle_modify_from_client
    does. Values are read as the node's particle types read them (an integer of 1, 2, 4 or
    8 bytes, a float of 8)."""
    if _bad_bin_name(op.name):
        return BIN_NAME_TOO_LONG
    ptype, value = op.particle_type, op.value
    if ptype == PARTICLE_NULL:
        remove_bin(txn.bins, op.name)
        txn.reply_nil(op)
        return OK
    if ptype == PARTICLE_INTEGER:
        wired = _wire_int(value)
        if wired is None:
            return PARAMETER_ERROR
        value = wired
    elif ptype == PARTICLE_FLOAT and len(value) != 8:
        return PARAMETER_ERROR
    elif ptype == PARTICLE_GEOJSON:
        stored = store_geojson(value)
        if stored is None:
            return INVALID_GEOJSON
        value = stored
    txn.bins[op.name] = (ptype, value)
    txn.reply_nil(op)
    return OK


def _op_incr(txn: Txn, op: Op) -> int:
    """An existing integer adds an integer, a float a float; any other pairing of the
    bin's type and the value's is BIN_INCOMPATIBLE_TYPE (the bin's type decides)."""
    if _bad_bin_name(op.name):
        return BIN_NAME_TOO_LONG
    if op.particle_type == PARTICLE_NULL:   # a nil value is a bad particle type to the node
        return PARAMETER_ERROR
    current = txn.bins.get(op.name)
    if current is None:
        return _op_write(txn, op)
    ptype = op.particle_type
    if current[0] != ptype or ptype not in (PARTICLE_INTEGER, PARTICLE_FLOAT):
        return BIN_INCOMPATIBLE_TYPE
    if ptype == PARTICLE_INTEGER:
        value = _wire_int(op.value)
        if value is None:
            return PARAMETER_ERROR
        total = (_I64.unpack(current[1])[0] + _I64.unpack(value)[0]) & _INT64_MASK
        txn.bins[op.name] = (ptype, total.to_bytes(8, "big"))
    else:
        if len(op.value) != 8:
            return PARAMETER_ERROR
        total = _F64.unpack(current[1])[0] + _F64.unpack(op.value)[0]
        txn.bins[op.name] = (ptype, _F64.pack(total))
    txn.reply_nil(op)
    return OK


def _concat(prepend: bool) -> Callable[[Txn, Op], int]:
    """Append/prepend: a string to a string, a blob to a blob; any other pairing is
    BIN_INCOMPATIBLE_TYPE."""
    def run(txn: Txn, op: Op) -> int:
        if _bad_bin_name(op.name):
            return BIN_NAME_TOO_LONG
        if op.particle_type == PARTICLE_NULL:   # as for an increment
            return PARAMETER_ERROR
        current = txn.bins.get(op.name)
        if current is None:
            return _op_write(txn, op)
        ptype = op.particle_type
        if current[0] != ptype or ptype not in (PARTICLE_STRING, PARTICLE_BLOB):
            return BIN_INCOMPATIBLE_TYPE
        joined = op.value + current[1] if prepend else current[1] + op.value
        txn.bins[op.name] = (ptype, joined)
        txn.reply_nil(op)
        return OK
    return run


def _op_touch(txn: Txn, op: Op) -> int:
    txn.reply_nil(op)
    return OK


def _op_delete(txn: Txn, op: Op) -> int:
    txn.bins.clear()
    txn.reply_nil(op)
    return OK


OP_HANDLERS: dict[int, OpHandler] = {
    OP_READ: OpHandler(_op_read, False),
    OP_WRITE: OpHandler(_op_write, True),
    OP_INCR: OpHandler(_op_incr, True),
    OP_APPEND: OpHandler(_concat(False), True),
    OP_PREPEND: OpHandler(_concat(True), True),
    OP_TOUCH: OpHandler(_op_touch, True),
    OP_DELETE: OpHandler(_op_delete, True),
    OP_CDT_READ: OpHandler(cdt.run_read, False),
    OP_CDT_MODIFY: OpHandler(cdt.run_modify, True),
    OP_EXP_READ: OpHandler(expressions.run_read, False),
    OP_EXP_MODIFY: OpHandler(expressions.run_modify, True),
    OP_BIT_READ: OpHandler(bits.run_read, False),
    OP_BIT_MODIFY: OpHandler(bits.run_modify, True),
    OP_HLL_READ: OpHandler(hll.run_read, False),
    OP_HLL_MODIFY: OpHandler(hll.run_modify, True),
}
"""Wire op code -> handler. Op codes missing here are answered with result code 4."""


def reply(result_code: int, generation: int = 0, void_time: int = 0,
          ops: list[bytes] | None = None) -> bytes:
    """A whole type-3 reply message."""
    return encode_parts(0, 0, 0, 0, result_code, generation, void_time, 0, [], ops or [])


class Engine:
    """Runs AS_MSG commands against a Store: single-record commands here, batch, scan
    and query commands in ``testing.batch`` and ``testing.query``.

    ``partition_owner(namespace, pid)`` tells scans and queries whether this node holds
    a partition (None: every partition); a node sets it from its topology.
    """

    __slots__ = ("store", "partition_owner")

    def __init__(self, store: Store) -> None:
        self.store = store
        self.partition_owner: Callable[[str, int], bool] | None = None

    def execute(self, msg: Message) -> Answer:
        """The answer to one command: reply bytes, or an iterator of whole messages for
        answers that stream (scans and queries)."""
        if msg.info1 & INFO1_BATCH or msg.field(FIELD_BATCH_INDEX) is not None \
                or msg.field(FIELD_BATCH_INDEX_WITH_SET) is not None:
            from .batch import execute_batch
            return execute_batch(self, msg)
        if msg.field(FIELD_DIGEST) is None and msg.field(FIELD_TASK_ID) is not None:
            from .query import execute_query
            return execute_query(self, msg)
        return self.execute_single(msg)

    def execute_single(self, msg: Message) -> bytes:
        """The reply to one single-record command."""
        ns_name = msg.field(FIELD_NAMESPACE)
        digest = msg.field(FIELD_DIGEST)
        if ns_name is None or digest is None or len(digest) != 20:
            return reply(PARAMETER_ERROR)
        namespace = self.store.namespace(ns_name.decode("utf-8", "replace"))
        if namespace is None:
            return reply(NAMESPACE_NOT_FOUND)
        if msg.field(FIELD_MRT_ID) is not None:  # transactions: Enterprise Edition only
            return reply(ENTERPRISE_ONLY)
        flt_data = msg.field(FIELD_FILTER_EXP)
        flt = None
        if flt_data is not None:
            try:
                flt = expressions.build_filter(flt_data)
            except expressions.BuildError:
                rec = namespace.get(digest, self.store.now())
                return reply(PARAMETER_ERROR, rec.generation if rec else 0,
                             rec.void_time if rec else 0)
        if msg.field(FIELD_UDF_PACKAGE_NAME) is not None:
            rec = namespace.get(digest, self.store.now())
            if flt is not None and rec is not None and not self._passes(flt, rec, digest):
                return reply(FILTERED_OUT, rec.generation, rec.void_time)
            return self._apply_udf(msg, namespace, digest)
        if msg.info2 & INFO2_WRITE:
            if msg.info2 & INFO2_DELETE:
                return self._delete(msg, namespace, digest, flt)
            return self._write(msg, namespace, digest, flt)
        return self._read(msg, namespace, digest, flt)

    def _apply_udf(self, msg: Message, namespace: Namespace, digest: bytes) -> bytes:
        """A record UDF call (``testing.udf_exec``)."""
        from .udf_exec import run_record_udf
        module = (msg.field(FIELD_UDF_PACKAGE_NAME) or b"").decode("utf-8", "replace")
        function = (msg.field(FIELD_UDF_FUNCTION) or b"").decode("utf-8", "replace")
        rc, gen, void, bins = run_record_udf(
            self.store, namespace, digest, module, function,
            msg.field(FIELD_UDF_ARGLIST) or b"\x90", expiration=msg.expiration,
            set_name=msg.field(FIELD_SET) or b"", key=msg.field(FIELD_KEY))
        return reply(rc, gen, void, [op_bytes(OP_READ, ptype, name_bytes(name), data)
                                     for name, ptype, data in bins])

    def _passes(self, flt: expressions.Expression, rec: Record, digest: bytes) -> bool:
        """Whether a record passes a filter expression (false or unknown: filtered out)."""
        now = self.store.now()
        return expressions.matches(flt, expressions.Context(
            rec.bins, rec, digest, now, self.store.now_ns()))

    def _read(self, msg: Message, namespace: Namespace, digest: bytes,
              flt: expressions.Expression | None = None) -> bytes:
        now = self.store.now()
        rec = namespace.get(digest, now)
        if rec is None:
            return reply(NOT_FOUND)
        if flt is not None and not self._passes(flt, rec, digest):
            return reply(FILTERED_OUT, rec.generation, rec.void_time)
        if _key_mismatch(msg, rec):
            return reply(KEY_MISMATCH, rec.generation, rec.void_time)
        gen, void = rec.generation, rec.void_time
        if 0 < msg.expiration <= 100:
            # the node queues the touch and answers with the void time it read
            _read_touch(rec, msg.expiration, now, self.store.now_ns())
        if msg.info1 & INFO1_NOBINDATA:
            return reply(OK, gen, void)
        if msg.info1 & INFO1_GET_ALL:
            ops = [op_bytes(OP_READ, ptype, name_bytes(name), value)
                   for name, (ptype, value) in rec.bins.items()]
            return reply(OK, gen, void, ops)
        if not msg.ops:   # neither all bins nor any op: the node's read_local refuses it
            return reply(PARAMETER_ERROR, gen, void)
        txn = Txn(rec.bins, rec, bool(msg.info2 & INFO2_RESPOND_ALL_OPS), now, namespace,
                  digest)
        for op in msg.ops:
            handler = OP_HANDLERS.get(op.op)
            if handler is None or handler.writes:
                return reply(PARAMETER_ERROR, gen, void)
            rc = handler.run(txn, op)
            if rc:
                return reply(rc, gen, void)
        return reply(OK, gen, void, txn.out)

    def _delete(self, msg: Message, namespace: Namespace, digest: bytes,
                flt: expressions.Expression | None = None) -> bytes:
        if msg.info2 & INFO2_DURABLE_DELETE:
            return reply(ENTERPRISE_ONLY)
        rec = namespace.get(digest, self.store.now())
        if rec is None:
            return reply(NOT_FOUND)
        if flt is not None and not self._passes(flt, rec, digest):
            return reply(FILTERED_OUT)
        if _generation_fails(msg, rec):
            return reply(GENERATION_ERROR)
        if _key_mismatch(msg, rec):
            return reply(KEY_MISMATCH)
        namespace.delete(digest)
        return reply(OK)

    def _write(self, msg: Message, namespace: Namespace, digest: bytes,
               flt: expressions.Expression | None = None) -> bytes:
        if not valid_ttl(msg.expiration):
            return reply(PARAMETER_ERROR)
        now = self.store.now()
        rec = namespace.get(digest, now)
        if rec is not None:
            gen, void = rec.generation, rec.void_time
            if flt is not None and not self._passes(flt, rec, digest):
                return reply(FILTERED_OUT, gen, void)
            if msg.info2 & INFO2_CREATE_ONLY:
                return reply(RECORD_EXISTS, gen, void)
            if _generation_fails(msg, rec):
                return reply(GENERATION_ERROR, gen, void)
            if _key_mismatch(msg, rec):
                return reply(KEY_MISMATCH, gen, void)
        elif msg.info3 & (INFO3_UPDATE_ONLY | INFO3_REPLACE_ONLY):
            return reply(NOT_FOUND)
        else:
            gen = void = 0
        if not msg.ops:
            return reply(PARAMETER_ERROR, gen, void)
        replace = msg.info3 & (INFO3_CREATE_OR_REPLACE | INFO3_REPLACE_ONLY)
        bins: Bins = {} if rec is None or replace else dict(rec.bins)
        txn = Txn(bins, rec, bool(msg.info2 & INFO2_RESPOND_ALL_OPS), now, namespace, digest)
        for op in msg.ops:
            handler = OP_HANDLERS.get(op.op)
            rc = PARAMETER_ERROR if handler is None else handler.run(txn, op)
            if rc:
                return reply(rc, gen, void)
        if not bins:
            if rec is None:
                return reply(NOT_FOUND)
            namespace.delete(digest)
            return reply(OK, 0, 0, txn.out)
        void_time = namespace.void_time_for(msg.expiration, now,
                                            void if rec is not None else None)
        if rec is not None and msg.expiration == TTL_DONT_UPDATE:
            write_ttl = rec.write_ttl
        else:
            write_ttl = void_time - now if void_time else 0
        new = Record(
            bins,
            rec.set_name if rec is not None else (msg.field(FIELD_SET) or b""),
            msg.field(FIELD_KEY) or (rec.key if rec is not None else None),
            next_generation(gen),
            void_time,
            self.store.now_ns(),
            write_ttl,
        )
        if new.size() > namespace.max_record_size:
            return reply(RECORD_TOO_BIG, gen, void)
        namespace.put(digest, new)
        return reply(OK, new.generation, new.void_time, txn.out)


def _generation_fails(msg: Message, rec: Record) -> bool:
    if msg.info2 & INFO2_GENERATION:
        return rec.generation != msg.generation
    if msg.info2 & INFO2_GENERATION_GT:
        return msg.generation <= rec.generation
    return False


def _key_mismatch(msg: Message, rec: Record) -> bool:
    key = msg.field(FIELD_KEY)
    return key is not None and rec.key is not None and key != rec.key


def _read_touch(rec: Record, percent: int, now: int, now_ns: int) -> None:
    """Reset the void time of a record read within the last ``percent`` of its time to
    live, as the real node's as_read_touch_check and touch do: from the second the last
    ``percent`` starts, to the same time to live from now (the generation stays)."""
    ttl = rec.write_ttl
    if not rec.void_time or not ttl or now < rec.void_time - ttl * percent // 100:
        return
    if now + ttl > rec.void_time:
        rec.void_time = now + ttl
        rec.last_update_ns = now_ns
