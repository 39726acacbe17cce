"""Scans, secondary-index queries and background jobs of the embedded server.

A foreground scan or query (a command with a task id and no digest) streams its
records as AS_MSGs packed into proto messages of about ``CHUNK_SIZE`` bytes, then a
LAST message. Partitions are read in ascending order, records of a partition in digest
order (index queries: in (bval, digest) order), so a client resuming a partition after
the digest (and bval) it last received gets every record exactly once. A partition this
node does not hold is answered with a PARTITION_DONE message carrying result code 11
and the partition id in the generation slot, as the real server does; partitions it
holds get no marker. ``max_records`` caps the records of the whole command.

A background command (info2 WRITE) registers a job and answers at once; the job then
applies its operations to every matching record as a task of the server's loop (at most
``records_per_second`` records a second when the command sets it, pausing with asyncio
sleeps), and ``query-show`` / ``scan-show`` report it as ``active(ok)`` with its
progress while it runs and ``done(ok)`` after. A job with a record UDF runs it on every
record (``testing.udf_exec``), counting the records it failed on. Filter expressions
(field 43) are run on every record.

An aggregation (UDF op 1: a query or scan with a stream UDF) runs the server part of the
stream UDF over the matching records of each partition this node masters and answers
each value it yields as a record-less message with one ``SUCCESS`` bin, then LAST, as
the real server does; a failing UDF ends the answer with result code 100 and a
``FAILURE`` bin holding the message.

A query on an index over an expression (INDEX_EXPRESSION field, empty bin name in the
range) is answered from the index whose expression bytes are the field's; none is
INDEX_NOT_FOUND (201), as on the real server.

A query carrying an INDEX_NAME field (21) uses the index of that name alone, as the real
server (as/src/query/query.c) does: the set, key type and index type of the request do
not select it (the index's own type and collection type decide what matches; a range of
another key type matches nothing), records are still limited to the query's set, and an
unknown name is INDEX_NOT_FOUND. The name with a bin name in the range, with an index
context or expression, or empty or of 64 bytes or more is PARAMETER_ERROR (4).
"""
from __future__ import annotations

import asyncio
import struct
import time
from typing import TYPE_CHECKING, Any, Iterator

from ..protocol.framing import MSG_AS, proto_word
from ..protocol.message import (
    FIELD_BVAL_ARRAY, FIELD_DIGEST, FIELD_DIGEST_ARRAY, FIELD_FILTER_EXP, FIELD_INDEX_CONTEXT,
    FIELD_INDEX_EXPRESSION, FIELD_INDEX_NAME, FIELD_INDEX_RANGE, FIELD_INDEX_TYPE,
    FIELD_KEY,
    FIELD_MAX_RECORDS, FIELD_NAMESPACE, FIELD_PID_ARRAY, FIELD_QUERY_BINLIST,
    FIELD_RECORDS_PER_SECOND, FIELD_SET, FIELD_TASK_ID, FIELD_UDF_ARGLIST, FIELD_UDF_FUNCTION,
    FIELD_UDF_OP,
    FIELD_UDF_PACKAGE_NAME, INFO1_NOBINDATA, INFO2_RESPOND_ALL_OPS, INFO2_WRITE,
    INFO3_PARTITION_DONE,
    INFO3_LAST, INFO3_UPDATE_ONLY, OP_READ, Message, field_bytes,
)
from .batch import last_message
from .expressions import BuildError, Context, Expression, build_filter, matches
from .sindex import (
    indexes_of, info_sindex_create, info_sindex_delete, info_sindex_exists, info_sindex_list,
    Range, SIndex, de_dup, info_sindex_stat, lookup, parse_range,
)
from .store import N_PARTITIONS, Namespace, Record

if TYPE_CHECKING:
    from .engine import Answer, Engine
    from .node import Node

OK = 0
PARAMETER_ERROR = 4
UNAVAILABLE = 11
UNSUPPORTED_FEATURE = 16
NAMESPACE_NOT_FOUND = 20
UDF_EXECUTION = 100
INDEX_NOT_FOUND = 201
INAME_MAX_SZ = 64   # index names are shorter (as/include/sindex/sindex_manager.h)

UDF_OP_AGGREGATE = 1
UDF_OP_BACKGROUND = 2

CHUNK_SIZE = 64 * 1024
DEFAULT_RPS = 10000

_HEADER = struct.Struct(">BBBBBBIIIHH")
_PROTO = struct.Struct(">Q")
_OP_HEADER = struct.Struct(">IBBBB")
_U64 = struct.Struct(">Q")
_I64_LE = struct.Struct("<q")


def _reply(result_code: int) -> bytes:
    """A single error message (not LAST), as the real node answers a command it refuses."""
    return _PROTO.pack(proto_word(MSG_AS, 22)) + _HEADER.pack(
        22, 0, 0, 0, 0, result_code, 0, 0, 0, 0, 0)


class Job:
    """A background scan or query, as ``query-show`` reports it."""

    __slots__ = ("trid", "ns", "set_name", "index_name", "rps", "udf", "succeeded",
                 "failed", "started", "finished", "total", "task")

    def __init__(self, trid: int, ns: str, set_name: str, index_name: str, rps: int,
                 udf: tuple[str, str] | None) -> None:
        self.trid = trid
        self.ns = ns
        self.set_name = set_name
        self.index_name = index_name
        self.rps = rps
        self.udf = udf
        self.succeeded = 0
        self.failed = 0
        self.started = time.monotonic()
        self.finished: float | None = None  # None while the job runs
        self.total = 0  # records the job will visit
        self.task: asyncio.Task | None = None

    def show(self) -> str:
        now = time.monotonic()
        finished = self.finished
        if finished is None:
            done = self.succeeded + self.failed
            progress = 100.0 * done / self.total if self.total else 0.0
            run_ms = int((now - self.started) * 1000)
            state = f"active-threads=1:status=active(ok):job-progress={progress:.2f}:" \
                    f"run-time={run_ms}:time-since-done=0"
        else:
            run_ms = int((finished - self.started) * 1000)
            since_ms = int((now - finished) * 1000)
            state = f"active-threads=0:status=done(ok):job-progress=100.00:" \
                    f"run-time={run_ms}:time-since-done={since_ms}"
        head = f"trid={self.trid}:ns={self.ns}:set={self.set_name}:"
        if self.index_name:
            head += f"sindex-name={self.index_name}:"
        text = (f"{head}rps={self.rps}:{state}:"
                f"recs-throttled={self.succeeded + self.failed}:recs-filtered-meta=0:"
                f"recs-filtered-bins=0:recs-succeeded={self.succeeded}:"
                f"recs-failed={self.failed}:from=127.0.0.1+0:")
        if self.udf is None:
            return text + ("job-type=background-ops:net-io-bytes=30:socket-timeout=10000:"
                           "ops-active=0")
        return text + (f"job-type=background-udf:net-io-bytes=30:socket-timeout=10000:"
                       f"udf-filename={self.udf[0]}:udf-function={self.udf[1]}:udf-active=0")


def info_query_show(store: object, arg: str) -> str:
    """``query-show:id=N`` (and ``scan-show``): the job's statistics, or job not found."""
    params = dict(p.partition("=")[::2] for p in arg.split(";") if p)
    jobs = getattr(store, "jobs", {})
    if "id" not in params and "trid" not in params:
        return ";".join(job.show() for job in jobs.values())
    try:
        trid = int(params.get("id") or params.get("trid") or "")
    except ValueError:
        return "ERROR:4:bad id"
    job = jobs.get(trid)
    return job.show() if job is not None else "ERROR:2:job not found"


class _Plan:
    """What a scan/query command asks for, decoded once."""

    __slots__ = ("ns", "set_name", "pids", "resume", "max_records", "bins", "no_bins",
                 "respond_all", "index", "rng", "ns_field", "set_field", "rps", "filter")

    ns: Namespace
    ns_field: bytes
    set_name: bytes
    set_field: bytes

    def __init__(self) -> None:
        self.pids: list[int] = []
        self.resume: dict[int, tuple[int, bytes]] = {}
        self.max_records = 0
        self.rps = 0
        self.bins: list[str] | None = None
        self.no_bins = False
        self.respond_all = False
        self.index: SIndex | None = None
        self.rng: Range | None = None
        self.filter: Expression | None = None


def _plan(engine: Engine, msg: Message) -> _Plan | int:
    """Decode a command; an int is the result code that refuses it."""
    plan = _Plan()
    ns_field = msg.field(FIELD_NAMESPACE)
    if ns_field is None:
        return PARAMETER_ERROR
    ns = engine.store.namespace(ns_field.decode("utf-8", "replace"))
    if ns is None:
        return NAMESPACE_NOT_FOUND
    plan.ns = ns
    plan.ns_field = field_bytes(FIELD_NAMESPACE, ns_field)
    set_raw = msg.field(FIELD_SET) or b""
    plan.set_name = set_raw
    plan.set_field = b""
    flt = msg.field(FIELD_FILTER_EXP)
    if flt is not None:
        try:
            plan.filter = build_filter(flt)
        except BuildError:
            return PARAMETER_ERROR
    pid_field = msg.field(FIELD_PID_ARRAY)
    digests = msg.field(FIELD_DIGEST_ARRAY)
    requested: set[int] = set()
    if pid_field is not None:
        if not pid_field or len(pid_field) % 2:
            return PARAMETER_ERROR
        for i in range(0, len(pid_field), 2):
            pid = pid_field[i] | (pid_field[i + 1] << 8)
            if pid >= N_PARTITIONS or pid in requested:
                return PARAMETER_ERROR
            requested.add(pid)
    if digests is not None:
        if not digests or len(digests) % 20:
            return PARAMETER_ERROR
        bvals = msg.field(FIELD_BVAL_ARRAY)
        has_where = msg.field(FIELD_INDEX_RANGE) is not None
        if has_where and (bvals is None or len(bvals) != len(digests) // 20 * 8):
            return PARAMETER_ERROR
        for n, i in enumerate(range(0, len(digests), 20)):
            digest = digests[i:i + 20]
            pid = (digest[0] | (digest[1] << 8)) & 0xFFF
            if pid in requested:
                return PARAMETER_ERROR
            requested.add(pid)
            bval = _I64_LE.unpack_from(bvals, n * 8)[0] if has_where and bvals else 0
            plan.resume[pid] = (bval, digest)
    elif msg.field(FIELD_BVAL_ARRAY) is not None:
        return PARAMETER_ERROR
    plan.pids = sorted(requested) if requested else list(range(N_PARTITIONS))
    rps_field = msg.field(FIELD_RECORDS_PER_SECOND)
    plan.rps = int.from_bytes(rps_field, "big") if rps_field else 0
    max_field = msg.field(FIELD_MAX_RECORDS)
    if max_field is not None and len(max_field) == 8:
        plan.max_records = _U64.unpack(max_field)[0]
    names = [op.name for op in msg.ops if op.op == OP_READ and op.name]
    binlist = msg.field(FIELD_QUERY_BINLIST)
    if binlist:
        names = _parse_binlist(binlist)
    plan.bins = names or None
    plan.no_bins = bool(msg.info1 & INFO1_NOBINDATA)
    plan.respond_all = bool(msg.info2 & INFO2_RESPOND_ALL_OPS)
    rng_field = msg.field(FIELD_INDEX_RANGE)
    name_field = msg.field(FIELD_INDEX_NAME)
    if name_field is not None and (msg.field(FIELD_INDEX_EXPRESSION) is not None
                                   or not name_field or len(name_field) >= INAME_MAX_SZ):
        return PARAMETER_ERROR   # checked even without a range, which makes it a scan
    if rng_field is not None:
        exp_field = msg.field(FIELD_INDEX_EXPRESSION)
        ctx_field = msg.field(FIELD_INDEX_CONTEXT)
        rng = parse_range(rng_field)
        if rng is None:
            return PARAMETER_ERROR
        itype_field = msg.field(FIELD_INDEX_TYPE)
        if itype_field is not None and not itype_field:
            return PARAMETER_ERROR
        itype = itype_field[0] if itype_field else 0
        set_name = set_raw.decode("utf-8", "replace")
        if name_field is not None:
            if rng.bin or ctx_field is not None:
                return PARAMETER_ERROR   # the name goes with no bin name and no context
            index = indexes_of(ns).by_name.get(name_field.decode("utf-8", "replace"))
        elif exp_field is None:
            if not rng.bin:
                return PARAMETER_ERROR   # neither a bin nor an expression names the index
            index = indexes_of(ns).find(set_name, rng.bin, rng.ktype, itype, ctx_field)
        elif rng.bin or ctx_field is not None or not exp_field:
            return PARAMETER_ERROR   # an expression goes with no bin name and no context
        else:
            index = indexes_of(ns).find_exp(set_name, exp_field, rng.ktype, itype)
        if index is None:
            return INDEX_NOT_FOUND
        plan.index = index
        plan.rng = rng
    return plan


def _parse_binlist(data: bytes) -> list[str]:
    count, pos, names = data[0], 1, []
    for _ in range(count):
        n = data[pos]
        names.append(data[pos + 1:pos + 1 + n].decode("utf-8", "surrogateescape"))
        pos += 1 + n
    return names


def execute_query(engine: Engine, msg: Message) -> Answer:
    """The answer to a scan, query or background command."""
    udf_op = msg.field(FIELD_UDF_OP)
    if udf_op and udf_op[0] == UDF_OP_AGGREGATE:
        plan = _plan(engine, msg)
        if isinstance(plan, int):
            return _reply(plan)
        return _aggregate(engine, msg, plan)
    background = bool(msg.info2 & INFO2_WRITE)
    if not background and not msg.info3 & INFO3_PARTITION_DONE:
        return _reply(UNSUPPORTED_FEATURE)
    plan = _plan(engine, msg)
    if isinstance(plan, int):
        return _reply(plan)
    if background:
        return _background(engine, msg, plan)
    return _stream(engine, plan)


def _owner(engine: Engine, ns: Namespace):
    owner = engine.partition_owner
    if owner is None:
        return None
    name = ns.name
    return lambda pid: owner(name, pid)


def _matches(engine: Engine, plan: _Plan
             ) -> Iterator[tuple[int, list[tuple[bytes, Record, bytes | None]] | None]]:
    """Per partition (ascending): the partition id and its records to answer, each with
    its BVAL field (index queries); partitions this node does not hold yield None."""
    ns: Namespace = plan.ns
    store = engine.store
    owns = _owner(engine, ns)
    set_name = plan.set_name
    flt = plan.filter
    if plan.index is None:
        for pid in plan.pids:
            if owns is not None and not owns(pid):
                yield pid, None
                continue
            recs = ns.partition_records(pid, store.now())
            resume = plan.resume.get(pid)
            if resume is not None:
                after = resume[1]
                recs = [(d, r) for d, r in recs if d > after]
            yield pid, [(d, r, None) for d, r in recs
                        if (not set_name or r.set_name == set_name)
                        and (flt is None or _passes(flt, r, d, store))]
        return
    wanted = set(plan.pids)
    by_pid: dict[int, list[tuple[int, bytes]]] = {}
    assert plan.rng is not None  # _plan sets index and rng together
    for pid, bval, digest in lookup(plan.index, plan.rng, wanted):
        by_pid.setdefault(pid, []).append((bval, digest))
    dedup = plan.rng.de_dups(plan.index)
    for pid in plan.pids:
        if owns is not None and not owns(pid):
            yield pid, None
            continue
        hits = by_pid.get(pid)
        if not hits:
            continue
        hits.sort()
        resume = plan.resume.get(pid)
        if resume is not None:
            hits = [hit for hit in hits if hit > resume]
        if dedup:
            hits = de_dup(hits)
        out: list[tuple[bytes, Record, bytes | None]] = []
        now = store.now()
        for bval, digest in hits:
            rec = ns.get(digest, now)
            if rec is None or (set_name and rec.set_name != set_name):
                continue
            if flt is not None and not _passes(flt, rec, digest, store):
                continue
            out.append((digest, rec, field_bytes(FIELD_BVAL_ARRAY, _I64_LE.pack(bval))))
        yield pid, out


def _passes(flt: Expression, rec: Record, digest: bytes, store: Any) -> bool:
    """Whether a record passes the command's filter expression."""
    return matches(flt, Context(rec.bins, rec, digest, store.now(), store.now_ns()))


def _stream(engine: Engine, plan: _Plan) -> Iterator[bytes | float]:
    """The messages of a foreground scan/query; with ``records_per_second`` a float
    between them now and then: the seconds the server waits before sending on (the
    records already packed go out first)."""
    ns_field = plan.ns_field
    rps = plan.rps
    start = time.monotonic()
    set_fields: dict[bytes, bytes] = {}
    select = plan.bins
    no_bins = plan.no_bins
    # the real node sends no message for a record that has none of the selected bins
    skip_empty = select is not None and not no_bins and not plan.respond_all
    info1 = INFO1_NOBINDATA if no_bins else 0
    limit = plan.max_records
    count = 0
    parts: list[bytes] = []
    size = 0
    header = _HEADER.pack
    op_header = _OP_HEADER.pack
    for pid, recs in _matches(engine, plan):
        if recs is None:
            parts.append(header(22, 0, 0, INFO3_PARTITION_DONE, 0, UNAVAILABLE, pid,
                                0, 0, 0, 0))
            size += 22
            continue
        for digest, rec, bval_field in recs:
            if limit and count >= limit:
                break
            count += 1
            fields = [ns_field, b"\x00\x00\x00\x15\x04" + digest]
            sname = rec.set_name
            if sname:
                sf = set_fields.get(sname)
                if sf is None:
                    sf = set_fields[sname] = field_bytes(FIELD_SET, sname)
                fields.append(sf)
            if rec.key is not None:
                fields.append(field_bytes(FIELD_KEY, rec.key))
            if bval_field is not None:
                fields.append(bval_field)
            ops = []
            if not no_bins:
                bins = rec.bins
                if select is None:
                    for name, (ptype, value) in bins.items():
                        nb = name.encode("utf-8", "surrogateescape")
                        ops.append(op_header(len(nb) + len(value) + 4, OP_READ, ptype, 0,
                                             len(nb)) + nb + value)
                else:
                    for name in select:
                        stored = bins.get(name)
                        if stored is not None:
                            nb = name.encode("utf-8", "surrogateescape")
                            ops.append(op_header(len(nb) + len(stored[1]) + 4, OP_READ,
                                                 stored[0], 0, len(nb)) + nb + stored[1])
                    if not ops and skip_empty:
                        continue
            msg = b"".join((header(22, info1, 0, 0, 0, 0, rec.generation, rec.void_time, 0,
                                   len(fields), len(ops)), *fields, *ops))
            parts.append(msg)
            size += len(msg)
            ahead = start + count / rps - time.monotonic() if rps else 0.0
            if size >= CHUNK_SIZE or ahead > 0.005:
                body = b"".join(parts)
                yield _PROTO.pack(proto_word(MSG_AS, len(body))) + body
                parts = []
                size = 0
                if ahead > 0.005:
                    yield ahead
        if limit and count >= limit:
            break
    if parts:
        body = b"".join(parts)
        yield _PROTO.pack(proto_word(MSG_AS, len(body))) + body
    yield last_message(OK)


def _value_message(ptype: int, data: bytes, name: bytes = b"SUCCESS", info3: int = 0,
                   result_code: int = OK) -> bytes:
    op = _OP_HEADER.pack(len(name) + len(data) + 4, OP_READ, ptype, 0, len(name)) + name + data
    return _HEADER.pack(22, 0, 0, info3, 0, result_code, 0, 0, 0, 0, 1) + op


def _aggregate(engine: Engine, msg: Message, plan: _Plan) -> Iterator[bytes]:
    """The answer to an aggregation: the stream UDF's values, partition by partition."""
    from .udf_exec import run_stream_udf
    module = (msg.field(FIELD_UDF_PACKAGE_NAME) or b"").decode("utf-8", "replace")
    function = (msg.field(FIELD_UDF_FUNCTION) or b"").decode("utf-8", "replace")
    args = msg.field(FIELD_UDF_ARGLIST) or b"\x90"
    parts: list[bytes] = []
    size = 0
    for _pid, recs in _matches(engine, plan):
        if not recs:
            continue   # empty, or not this node's: an aggregation has no partition markers
        values, error = run_stream_udf(engine.store, module, function, args,
                                       ((d, r) for d, r, _b in recs), plan.ns)
        for ptype, data in values:
            m = _value_message(ptype, data)
            parts.append(m)
            size += len(m)
        if error is not None:
            parts.append(_value_message(3, error.encode("utf-8", "surrogateescape"),
                                        b"FAILURE", INFO3_LAST, UDF_EXECUTION))
            body = b"".join(parts)
            yield _PROTO.pack(proto_word(MSG_AS, len(body))) + body
            return
        if size >= CHUNK_SIZE:
            body = b"".join(parts)
            yield _PROTO.pack(proto_word(MSG_AS, len(body))) + body
            parts, size = [], 0
    if parts:
        body = b"".join(parts)
        yield _PROTO.pack(proto_word(MSG_AS, len(body))) + body
    yield last_message(OK)


def _background(engine: Engine, msg: Message, plan: _Plan) -> bytes:
    trid_field = msg.field(FIELD_TASK_ID) or bytes(8)
    trid = _U64.unpack(trid_field[:8].rjust(8, b"\x00"))[0]
    rps_field = msg.field(FIELD_RECORDS_PER_SECOND)
    rps = int.from_bytes(rps_field, "big") if rps_field else 0
    udf = None
    if msg.field(FIELD_UDF_PACKAGE_NAME) is not None:
        udf = ((msg.field(FIELD_UDF_PACKAGE_NAME) or b"").decode("utf-8", "replace"),
               (msg.field(FIELD_UDF_FUNCTION) or b"").decode("utf-8", "replace"))
    job = Job(trid, plan.ns.name, plan.set_name.decode("utf-8", "replace"),
              plan.index.name if plan.index is not None else "", rps or DEFAULT_RPS, udf)
    targets = [digest for _pid, recs in _matches(engine, plan) if recs is not None
               for digest, _rec, _b in recs]
    job.total = len(targets)
    engine.store.jobs[trid] = job
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # an engine used without a server: run the job now
        for digest in targets:
            _apply_one(engine, msg, plan, job, udf, digest)
        job.finished = time.monotonic()
    else:
        job.task = loop.create_task(_run_job(engine, msg, plan, job, udf, targets, rps))
    return last_message(OK)


def _apply_one(engine: Engine, msg: Message, plan: _Plan, job: Job,
               udf: tuple[str, str] | None, digest: bytes) -> None:
    """Apply a background command's operations (or record UDF) to one record, counting
    the outcome."""
    rec = plan.ns.records.get(digest)
    if udf is not None:
        if rec is None:
            return
        from .udf_exec import run_record_udf
        rc, _gen, _void, _bins = run_record_udf(
            engine.store, plan.ns, digest, udf[0], udf[1],
            msg.field(FIELD_UDF_ARGLIST) or b"\x90", expiration=msg.expiration,
            set_name=rec.set_name)
        if rc == OK:
            job.succeeded += 1
        else:
            job.failed += 1
        return
    if not msg.ops:
        job.failed += 1
        return
    fields = [(FIELD_NAMESPACE, msg.field(FIELD_NAMESPACE) or b""), (FIELD_DIGEST, digest)]
    if rec is not None and rec.set_name:
        fields.insert(1, (FIELD_SET, rec.set_name))
    single = Message(info2=INFO2_WRITE | (msg.info2 & ~INFO2_WRITE),
                     info3=INFO3_UPDATE_ONLY | msg.info3, expiration=msg.expiration,
                     fields=fields, ops=msg.ops)
    answer = engine.execute_single(single)
    if answer[13] == OK:
        job.succeeded += 1
    else:
        job.failed += 1


async def _run_job(engine: Engine, msg: Message, plan: _Plan, job: Job,
                   udf: tuple[str, str] | None, targets: list[bytes], rps: int) -> None:
    """A background job: every record in turn, at most ``rps`` a second when it is set
    (sleeping until the next record is due rather than spinning)."""
    start = time.monotonic()
    try:
        for n, digest in enumerate(targets):
            if rps > 0 and n:
                ahead = start + n / rps - time.monotonic()
                if ahead > 0.001:
                    await asyncio.sleep(ahead)
            _apply_one(engine, msg, plan, job, udf, digest)
    finally:
        job.finished = time.monotonic()
        job.task = None


# -- node hooks -------------------------------------------------------------------------

def attach_queries(node: Node) -> None:
    """Let a node's engine answer only the partitions the node masters (its ``replicas``
    bitmaps, read at query time so topology changes apply)."""
    def owns(ns_name: str, pid: int) -> bool:
        maps = node.replicas.get(ns_name)
        if not maps:
            return False
        return bool(maps[0][pid >> 3] & (0x80 >> (pid & 7)))
    node.engine.partition_owner = owns


QUERY_INFO_COMMANDS = {
    "sindex-create:": lambda n, a: info_sindex_create(n.store, a),
    "sindex-delete:": lambda n, a: info_sindex_delete(n.store, a),
    "sindex-list": lambda n, a: info_sindex_list(n.store, ""),
    "sindex-list:": lambda n, a: info_sindex_list(n.store, a),
    "sindex-stat:": lambda n, a: info_sindex_stat(n.store, a),
    "sindex-exists:": lambda n, a: info_sindex_exists(n.store, a),
    "query-show": lambda n, a: info_query_show(n.store, ""),
    "query-show:": lambda n, a: info_query_show(n.store, a),
    "scan-show": lambda n, a: info_query_show(n.store, ""),
    "scan-show:": lambda n, a: info_query_show(n.store, a),
}
"""Info commands of secondary indexes and background jobs, merged into the node's table."""
