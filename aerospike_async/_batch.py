"""The batch calls of the client: validation, entry encoding, result shapes.

``batch_read``, ``batch_operate``, ``batch_write``, ``batch_apply`` and
``batch_remove`` build one ``BatchItem`` per key (its batch entry, and a
builder of its single-record request for a key alone on its node), run them through
``command.batch.BatchExecutor`` and fill ``aerospike_helpers.batch.records``
objects in key order. As in the official client, ``BatchRecords.result`` is the error of
a node's request that failed (its keys keep -15, no response), else 0, or -16
(BATCH_FAILED) when a record failed with anything but not-found (2) or filtered-out (27).
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aerospike_helpers.batch.records import (Apply, BatchRecord, BatchRecords, Read, Remove,
                                             Write)

from . import constants as C
from ._validate import (check_bin_names, check_meta, echoed_user_key, param_error, parse_key,
                        set_name_fits, udf_call_fields)
from .command.batch import PIECE_KEYS, BatchExecutor, BatchItem, SingleRequest, Wording
from .exceptions import AerospikeError, ParamError
from .policy import METADATA_KEYS, Policy, check_keys, check_op_policies, write_info4
from .protocol import batch as B
from .protocol import message as M
from .protocol.digest import key_bytes, set_states
from .protocol.operations import encode_operation
from .protocol.particles import raw_collections
from .protocol.record import encode_command, encode_name_ops, key_fields

BATCH_FAILED = -16
NO_RESPONSE = -15
_OK_CODES = frozenset({0, 2, 27})
_KEYS_MSG = "keys should be a list of aerospike key tuples"


def filter_bytes(pol: Any) -> bytes | None:
    """The filter-expression field data of a policy (None when it has none)."""
    expr = pol.get("expressions") if pol is not None else None
    if expr is None:
        return None
    if isinstance(expr, (bytes, bytearray)):
        return bytes(expr)
    from .protocol.expressions import encode_expression
    return encode_expression(expr)


_I64_PACK = struct.Struct(">q").pack
_NO_SET = object()
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _check_keys(keys: Any) -> list[tuple]:
    """Check every key as parse_key does, before anything is sent. A (ns, set, int or
    ASCII str key) tuple whose set has pre-hashed digest states is only checked: it stays
    as given, its digest left to _digest_chunks; any other key is parsed whole."""
    if not isinstance(keys, list):
        raise param_error(_KEYS_MSG)
    out: list[tuple] = []
    append = out.append
    last_set: Any = _NO_SET
    fast = False
    for i, key in enumerate(keys):
        if type(key) is tuple and len(key) == 3:
            ns, set_name, user_key = key
            if set_name is not last_set:
                last_set = set_name
                fast = (set_name is None or (type(set_name) is str
                                             and set_name_fits(set_name))
                        ) and set_states(set_name) is not None
            if fast and type(ns) is str:
                t = type(user_key)
                if (t is int and _INT64_MIN <= user_key <= _INT64_MAX) or (
                        t is str and user_key.isascii()):
                    append(key)
                    continue
        try:
            append(parse_key(key))
        except ParamError as exc:
            raise param_error(f"failed to convert key at index: {i} -> {exc.msg}") from None
    return out


def _result_key(ns: str, set_name: str | None, user_key: Any, digest: bytes) -> tuple:
    """The key a batch record reports, as the official client reports it: an empty set
    is None, a bytes user key a str."""
    return (ns, set_name or None, echoed_user_key(user_key), bytearray(digest))


def _digest_chunks(checked: list[tuple], size: int, as_result: bool = False
                   ) -> Iterator[list[tuple[str, str | None, Any, Any]]]:
    """The keys _check_keys gave, ``size`` at a time, each parsed to (ns, set, user_key,
    digest): a digest left to compute comes from its set's pre-hashed states, the same
    bytes as compute_digest. ``as_result``: the digest as a bytearray, the key tuple a
    record reports."""
    wrap: Any = bytearray if as_result else bytes
    pack = _I64_PACK
    last_set: Any = _NO_SET
    bases: Any = None
    out_set: str | None = None   # the set the key tuple carries (a result's: '' is None)
    for start in range(0, len(checked), size):
        out: list[tuple[str, str | None, Any, Any]] = []
        append = out.append
        for key in checked[start:start + size]:
            if len(key) == 3:
                ns, set_name, user_key = key
                if set_name is not last_set:
                    last_set = set_name
                    bases = set_states(set_name)
                    out_set = (set_name or None) if as_result else set_name
                if type(user_key) is int:
                    h = bases[0].copy()
                    h.update(pack(user_key))
                else:
                    h = bases[1].copy()
                    h.update(user_key.encode())
                append((ns, out_set, user_key, wrap(h.digest())))
            elif as_result:
                append(_result_key(*key))
            else:
                append(key)
        yield out


def _parse_keys(keys: Any) -> list[tuple[str, str | None, Any, bytes]]:
    """parse_key of every key."""
    checked = _check_keys(keys)
    return next(_digest_chunks(checked, len(checked)), []) if checked else []


def _encode_ops(client: Any, operations: Any) -> tuple[bytes, int, bool, bool, int | None]:
    """(ops bytes, count, any reads, any writes, a touch's ttl) of a batch's operations."""
    if not isinstance(operations, list):
        raise param_error("Operations should be of type list")
    if client._policies.validate_keys:
        check_op_policies(operations)
    parts = []
    reads = writes = False
    ttl = None
    as_int = client._bool_as_int
    for op in operations:
        if as_int and isinstance(op, dict) and "val" in op:
            from .client import _bools_to_ints
            op = {**op, "val": _bools_to_ints(op["val"])}
        encoded = encode_operation(op)
        parts.append(encoded.data)
        reads |= encoded.reads
        writes |= encoded.writes
        if encoded.ttl is not None:
            ttl = encoded.ttl
    return b"".join(parts), len(parts), reads, writes, ttl


class _Call:
    """One batch call: its items and the records they fill."""

    __slots__ = ("client", "parent", "reply_bits", "stopped_by", "entry_filters", "items",
                 "singles", "records", "keys", "no_bins", "make_read", "item_chunks",
                 "batch_filter", "failure", "unanswered")

    def __init__(self, client: Any, parent: Policy) -> None:
        self.client = client
        self.parent = parent
        # a key alone on its node goes as a single-record command: asking, as the official
        # client's do (a remove's aside), for a compressed reply when the batch does
        self.reply_bits = M.INFO1_COMPRESS_RESPONSE if parent.compress else 0
        self.stopped_by: int | None = None   # the first failure a batch request answered
        self.entry_filters = True   # False: the records share one filter (shared_filter)
        self.items: list[BatchItem] = []
        self.singles: list[SingleRequest] = []  # per key: (index, timeout)
        self.records: list[BatchRecord] = []
        self.keys: list[tuple] = []       # (ns, set, user_key, digest bytes)
        self.no_bins = False   # read_many's records: (key, meta), without bins
        # read_many leaves its records None: each is made when its answer arrives (or by
        # flush()), in one step instead of a default record that the answer then rewrites
        self.make_read: Callable[[tuple, int, tuple | None], BatchRecord] | None = None
        # read_many's items, made chunk by chunk while the first chunks are already sent
        self.item_chunks: Iterator[list[BatchItem]] | None = None
        # the batch policy's filter, for single-record requests of keys without their own
        self.batch_filter: bytes | None = None
        # the error of the first node request that failed, and the keys it left unanswered
        self.failure: int | None = None
        self.unanswered: set[int] = set()

    def flush(self) -> None:
        """Make the records read_many left None, still without an answer (result -15)."""
        make = self.make_read
        if make is None:
            return
        self.make_read = None
        records = self.records
        keys = self.keys
        for i, rec in enumerate(records):
            if rec is None:
                records[i] = make(keys[i], -15, None)  # read_many's keys are result keys

    # -- encoding helpers ------------------------------------------------------
    @staticmethod
    def entry_fields(ns: str, set_name: str | None, user_key: Any, send_key: bool,
                     filt: bytes | None) -> tuple[bytes, int]:
        fields, n = B.ns_set_fields(ns, set_name)
        if filt is not None:   # before the key, in the official client's order
            fields += B.field(M.FIELD_FILTER_EXP, filt)
            n += 1
        if send_key and user_key is not None:
            fields += B.key_field(*key_bytes(user_key))
            n += 1
        return fields, n

    def single_fields(self, ns: str, set_name: str | None, user_key: Any, digest: bytes,
                      send_key: bool, filt: bytes | None) -> tuple[bytes, int]:
        """The fields of a key's single-record request (a key alone on its node): its own
        filter, else the batch's, as the batch request would have applied it."""
        fields, n = key_fields(ns, set_name, digest,
                               user_key if send_key and user_key is not None else None)
        if filt is None:
            filt = self.batch_filter
        if filt is not None:
            fields += B.field(M.FIELD_FILTER_EXP, filt)
            n += 1
        return fields, n

    def write_fields(self, parsed: tuple, pol: Policy
                     ) -> tuple[bool, bytes | None, bytes, int]:
        """(whether the key is sent, the entry's own filter, its fields and their count) of
        a write, remove or UDF entry under ``pol``; no filter of its own when the call's
        records share one (``entry_filters`` False)."""
        send = pol.key == C.POLICY_KEY_SEND
        filt = filter_bytes(pol) if self.entry_filters else None
        fields, n = self.entry_fields(parsed[0], parsed[1], parsed[2], send, filt)
        return send, filt, fields, n

    def shared_filter(self, pol: Policy) -> bytes | None:
        """The records all share ``pol``: its filter goes once, for the whole batch, in
        place of the batch policy's (as the official client sends it), and not in each
        entry. Returns the batch's filter."""
        self.entry_filters = False
        return filter_bytes(pol) or filter_bytes(self.parent)

    def add(self, record: BatchRecord, parsed: tuple, entry: bytes, group: Any,
            is_write: bool, single: Any) -> None:
        ns, _set, _uk, digest = parsed
        self.items.append((len(self.items), ns, digest, entry, group, is_write))
        self.singles.append(single)
        self.records.append(record)
        self.keys.append(parsed)

    # -- item builders -----------------------------------------------------------
    def read(self, record: BatchRecord, parsed: tuple, pol: Policy, info1: int, ops: bytes,
             n_ops: int, filt: bytes | None, group: Any) -> None:
        ns, set_name, user_key, digest = parsed
        r1, info3 = self.client._read_bits(pol)
        info1 |= r1 & M.INFO1_READ_MODE_AP_ALL
        ttl = pol.read_touch_ttl_percent or 0
        fields, n_fields = self.entry_fields(ns, set_name, user_key, False, filt)
        entry = B.read_entry(info1, 0, info3, ttl, fields, n_fields, ops, n_ops)
        single_info1 = info1 | self.reply_bits

        def single(_index: int, timeout: int) -> bytes:
            f, n = self.single_fields(ns, set_name, user_key, digest, False, filt)
            return encode_command(single_info1, 0, info3, 0, 0, ttl, timeout, f, n, ops,
                                  n_ops)

        self.add(record, parsed, entry, group, False, single)

    def read_many(self, chunks: Iterable[list[tuple]], total: int, pol: Policy, info1: int,
                  ops: bytes, n_ops: int, no_bins: bool) -> None:
        """``read`` of ``total`` keys, parsed ``chunks`` at a time as the key tuples their
        records report (digest a bytearray; no per-entry filter, entries grouped by
        namespace and set): the entry encoded once per namespace and set and one
        single-record builder shared by the keys. Their items are made as run() sends them,
        their records (plain BatchRecords, as the official client returns) as the answers
        arrive. The only adder of a call."""
        assert not self.items and self.item_chunks is None
        r1, info3 = self.client._read_bits(pol)
        info1 |= r1 & M.INFO1_READ_MODE_AP_ALL
        ttl = pol.read_touch_ttl_percent or 0
        single_fields = self.single_fields
        keys: list[tuple] = [()] * total   # each filled as its chunk is parsed
        self.keys = keys
        single_info1 = info1 | self.reply_bits

        def single(index: int, timeout: int) -> bytes:
            ns, set_name, user_key, digest = keys[index]
            f, n = single_fields(ns, set_name, user_key, bytes(digest), False, None)
            return encode_command(single_info1, 0, info3, 0, 0, ttl, timeout, f, n, ops,
                                  n_ops)

        entry_fields = self.entry_fields

        # a namespace and set's (group, entry): the entry is all the policy's, so it is
        # kept in pol.derived for the next call's keys of that namespace and set (in this
        # call's own dict once pol.derived is full)
        derived = pol.derived

        def item_chunks() -> Iterator[list[BatchItem]]:
            entries: dict[tuple, tuple] = {}
            last_ns = last_set = None
            group: Any = None
            entry = b""
            index = 0
            for parsed in chunks:
                n = len(parsed)
                keys[index:index + n] = parsed
                items: list[BatchItem] = []
                append = items.append
                for ns, set_name, user_key, digest in parsed:
                    if ns is not last_ns or set_name is not last_set or group is None:
                        # keys of one namespace and set share one group object and entry
                        last_ns, last_set = ns, set_name
                        kept = ("batch_read", ns, set_name, info1, ops)
                        got = derived.get(kept) or entries.get(kept)
                        if got is None:
                            fields, n_fields = entry_fields(ns, set_name, user_key, False, None)
                            got = ((ns, set_name),
                                   B.read_entry(info1, 0, info3, ttl, fields, n_fields, ops,
                                                n_ops))
                            (derived if len(derived) < 64 else entries)[kept] = got
                        group, entry = got
                    append((index, ns, digest, entry, group, False))
                    index += 1
                yield items

        self.item_chunks = item_chunks()
        self.singles = [single] * total
        self.no_bins = no_bins
        self.records = [None] * total  # type: ignore[list-item]

        self.make_read = _answer_record

    def write(self, record: BatchRecord, parsed: tuple, pol: Policy, meta: dict, ops: bytes,
              n_ops: int, reads: bool, group: Any) -> None:
        ns, set_name, user_key, digest = parsed
        info2, info3, gen, ttl = self.client._write_header(pol, meta)
        info2 |= M.INFO2_RESPOND_ALL_OPS
        info1 = M.INFO1_READ if reads else 0
        send, filt, fields, n_fields = self.write_fields(parsed, pol)
        info4 = write_info4(pol)
        entry = B.write_entry(info1, info2, info3, gen, ttl, fields, n_fields, ops, n_ops, info4)
        single_info1 = info1 | self.reply_bits

        def single(_index: int, timeout: int) -> bytes:
            f, n = self.single_fields(ns, set_name, user_key, digest, send, filt)
            return encode_command(single_info1, info2, info3, info4, gen, ttl, timeout, f, n,
                                  ops, n_ops)

        self.add(record, parsed, entry, None if send else group, True, single)

    def remove(self, record: BatchRecord, parsed: tuple, pol: Policy, group: Any) -> None:
        ns, set_name, user_key, digest = parsed
        generation = pol.get("generation", 0) or 0
        info2, info3, gen, _ttl = self.client._write_header(pol, {"gen": generation})
        info2 |= M.INFO2_DELETE
        send, filt, fields, n_fields = self.write_fields(parsed, pol)
        entry = B.write_entry(0, info2 | M.INFO2_RESPOND_ALL_OPS, info3, gen, 0, fields,
                              n_fields, b"", 0)

        def single(_index: int, timeout: int) -> bytes:
            f, n = self.single_fields(ns, set_name, user_key, digest, send, filt)
            return encode_command(0, info2, info3, 0, gen, 0, timeout, f, n)

        self.add(record, parsed, entry, None if send else group, True, single)

    def apply(self, record: BatchRecord, parsed: tuple, pol: Policy, module: Any,
              function: Any, args: Any, group: Any) -> None:
        ns, set_name, user_key, digest = parsed
        udf, n_udf = udf_call_fields(module, function, args)
        info2 = M.INFO2_WRITE
        info3 = M.INFO3_COMMIT_MASTER if pol.commit_level == C.POLICY_COMMIT_LEVEL_MASTER else 0
        if pol.durable_delete:
            info2 |= M.INFO2_DURABLE_DELETE
        ttl = pol.ttl or 0
        send, filt, fields, n_fields = self.write_fields(parsed, pol)
        reply_bits, info4 = self.reply_bits, write_info4(pol)
        entry = B.write_entry(0, info2, info3, 0, ttl, fields + udf, n_fields + n_udf, b"", 0,
                              info4)

        def single(_index: int, timeout: int) -> bytes:
            f, n = self.single_fields(ns, set_name, user_key, digest, send, filt)
            return encode_command(reply_bits, info2, info3, info4, 0, ttl, timeout, f + udf,
                                  n + n_udf)

        self.add(record, parsed, entry, None if send else group, True, single)

    # -- running -------------------------------------------------------------------
    async def run(self, filt: bytes | None, reset: bool = True) -> None:
        self.batch_filter = filt
        parent = self.parent
        records = self.records
        keys = self.keys
        no_bins = self.no_bins

        make_read = self.make_read

        def on_replies(replies: list, wording: Wording, batched: bool) -> None:
            it = iter(replies)
            for index, rc, gen, ttl, bins in zip(it, it, it, it, it):
                rec = records[index]
                if rec is None:   # read_many's record, its key the result key already
                    key = keys[index]
                else:
                    key = _result_key(*keys[index])
                if rc == 0:
                    record = ((key, {"ttl": ttl, "gen": gen}) if no_bins
                              else (key, {"ttl": ttl, "gen": gen}, bins))
                else:
                    record = None
                if rec is None:
                    rec = records[index] = make_read(key, rc, record)  # type: ignore[misc]
                else:
                    rec.result = rc
                    rec.record = record
                if rc and rc != 2:   # a failure (not-found is none) gets a message
                    rec.message = wording(rc, bins)
                    if batched and self.stopped_by is None and rc not in _OK_CODES:
                        self.stopped_by = rc

        def on_error(index: int, exc: AerospikeError, in_doubt: bool, refused: bool) -> None:
            rec = records[index]
            if rec is None:
                rec = records[index] = make_read(keys[index], 0, None)
            code = exc.code if exc.code is not None else -1
            if refused:   # never sent: the refusal is the key's own result
                rec.result = code
            else:         # its node's request failed: no response, the call reports it
                rec.result = NO_RESPONSE
                self.unanswered.add(index)
                if self.failure is None:
                    self.failure = code
            rec.message = None
            rec.record = None
            rec.in_doubt = in_doubt

        flags = B.batch_flags(bool(parent.allow_inline), bool(parent.allow_inline_ssd),
                              bool(parent.respond_all_keys))
        info1 = M.INFO1_COMPRESS_RESPONSE if parent.compress else 0
        singles = self.singles
        executor = BatchExecutor(self.client.cluster, parent, flags, info1, filt,
                                 lambda index, timeout: singles[index](index, timeout),
                                 on_replies, on_error)
        if reset:
            for rec in records:
                rec.result = NO_RESPONSE  # until an answer arrives
                rec.record = None
                rec.in_doubt = False
        raw = raw_collections.set(True) if parent.deserialize is False else None
        try:
            if self.item_chunks is not None:
                chunks, self.item_chunks = self.item_chunks, None
                await executor.run_chunks(chunks, len(records))
            else:
                await executor.run(self.items)
        finally:
            if raw is not None:
                raw_collections.reset(raw)
            # the single-record builders close over this call: dropped, the call and its
            # records are freed as soon as the caller lets go, not by the cycle collector
            self.singles = []
        self.flush()
        if not parent.respond_all_keys:
            # the node leaves out what it did not find; a failed request's keys stay -15
            unanswered = self.unanswered
            for i, rec in enumerate(records):
                if rec.result == NO_RESPONSE and i not in unanswered:
                    rec.result = 2

    def outcome(self, batch: BatchRecords) -> BatchRecords:
        if self.failure is not None:
            batch.result = self.failure
        else:
            ok = {r.result for r in self.records} <= _OK_CODES
            if ok:
                batch.result = 0
            elif self.parent.respond_all_keys or self.stopped_by is None:
                batch.result = BATCH_FAILED
            else:   # the node stopped at a record's failure: the call reports its code
                batch.result = self.stopped_by
        return batch


def _answer_record(key: tuple, result: int, record: tuple | None,
                   new: Any = BatchRecord.__new__) -> BatchRecord:
    """The BatchRecord of an answer: what BatchRecord(key) sets, in the same order, with
    the answer's result and record."""
    rec = new(BatchRecord)
    rec.key = key
    rec.record = record
    rec.result = result
    rec.message = None
    rec.subcode = 0
    rec.in_doubt = False
    return rec


def _record_for(parsed: tuple) -> BatchRecord:
    """The BatchRecord reporting on a parsed key: batch_operate, batch_remove and
    batch_apply return these, as the official client does, not the Write, Remove or
    Apply records they imply."""
    return _answer_record(_result_key(*parsed), 0, None)


# -- the public calls ----------------------------------------------------------------------
async def batch_read(client: Any, keys: Any, bins: Any = None, policy: Any = None
                     ) -> BatchRecords:
    checked = _check_keys(keys)
    pol = client._policies.resolve("batch", policy)
    filt = filter_bytes(pol)
    if bins is None:
        info1, ops, n_ops = M.INFO1_READ | M.INFO1_GET_ALL, b"", 0
    else:
        if not isinstance(bins, list):
            raise param_error("Bins argument should be a list.")
        names = check_bin_names(bins, "Bin name should be a string or unicode string.")
        if names:
            ops, n_ops = encode_name_ops(M.OP_READ, names)
            info1 = M.INFO1_READ
        else:
            info1, ops, n_ops = M.INFO1_READ | M.INFO1_NOBINDATA, b"", 0
    call = _Call(client, pol)
    call.read_many(_digest_chunks(checked, PIECE_KEYS, True), len(checked), pol, info1, ops,
                   n_ops, bins is not None and not bins)
    await call.run(filt, reset=False)
    return call.outcome(BatchRecords(call.records))


async def batch_operate(client: Any, keys: Any, ops: Any, policy_batch: Any = None,
                        policy_batch_write: Any = None, ttl: Any = None) -> BatchRecords:
    parsed = _parse_keys(keys)
    # checked even when no operation writes
    client._policies.resolve("batch_write", policy_batch_write)
    if not isinstance(ops, list) or not ops:
        raise param_error("ops should be a list of op dictionaries")
    if not all(isinstance(op, dict) for op in ops):
        raise param_error("op should be an aerospike operation dictionary")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool)):
        raise param_error("ttl should be an int")
    data, n_ops, reads, writes, _op_ttl = _encode_ops(client, ops)
    parent = client._policies.resolve("batch_parent_write" if writes else "batch",
                                      policy_batch)
    call = _Call(client, parent)
    if writes:
        wpol = client._policies.resolve("batch_write", policy_batch_write)
        filt = call.shared_filter(wpol)
        # the ttl argument, else the write policy's: a touch's ttl is not used, as in C
        meta = {} if ttl is None else {"ttl": ttl}
        for p in parsed:
            call.write(_record_for(p), p, wpol, meta, data, n_ops, reads, (p[0], p[1]))
    else:
        filt = filter_bytes(parent)
        keys_out = [_result_key(*p) for p in parsed]
        call.read_many([keys_out], len(parsed), parent, M.INFO1_READ, data, n_ops, False)
    await call.run(filt, reset=bool(writes))
    return call.outcome(BatchRecords(call.records))


async def batch_remove(client: Any, keys: Any, policy_batch: Any = None,
                       policy_batch_remove: Any = None) -> BatchRecords:
    parsed = _parse_keys(keys)
    parent = client._policies.resolve("batch_parent_write", policy_batch)
    rpol = client._policies.resolve("batch_remove", policy_batch_remove)
    call = _Call(client, parent)
    filt = call.shared_filter(rpol)
    for p in parsed:
        call.remove(_record_for(p), p, rpol, (p[0], p[1]))
    await call.run(filt)
    return call.outcome(BatchRecords(call.records))


async def batch_apply(client: Any, keys: Any, module: Any, function: Any, args: Any,
                      policy_batch: Any = None, policy_batch_apply: Any = None
                      ) -> BatchRecords:
    parsed = _parse_keys(keys)
    parent = client._policies.resolve("batch_parent_write", policy_batch)
    apol = client._policies.resolve("batch_apply", policy_batch_apply)
    call = _Call(client, parent)
    filt = call.shared_filter(apol)
    for p in parsed:
        call.apply(_record_for(p), p, apol, module, function, args, (p[0], p[1]))
    await call.run(filt)
    return call.outcome(BatchRecords(call.records))


async def batch_write(client: Any, batch_records: Any, policy_batch: Any = None
                      ) -> BatchRecords:
    if not isinstance(batch_records, BatchRecords) or not isinstance(
            getattr(batch_records, "batch_records", None), list):
        raise param_error("batch_records must be a BatchRecords object")
    parent = client._policies.resolve("batch_parent_write", policy_batch)
    call = _Call(client, parent)
    records = batch_records.batch_records
    mismatched = False   # a Write record that writes nothing, or a Read record that writes
    for i, rec in enumerate(records):
        if not isinstance(rec, BatchRecord):
            raise param_error(f"batch_records[{i}] is not a batch record")
        try:
            p = parse_key(rec.key)
        except ParamError as exc:
            raise param_error(f"failed to convert key at index: {i} -> {exc.msg}") from None
        # consecutive records may repeat the previous entry only when nothing of their
        # own (operations, arguments, policy) differs, as the C client decides
        if isinstance(rec, Write):
            if not isinstance(rec.ops, list) or not rec.ops:
                raise param_error("py_ops_list is NULL or not a list, ops must be a list of "
                                  "aerospike operation dicts")
            pol = client._policies.resolve("batch_write", rec.policy)
            meta = check_meta(rec.meta)
            if client._policies.validate_keys:
                check_keys(meta, METADATA_KEYS, "record metadata")
            data, n, reads, writes, op_ttl = _encode_ops(client, rec.ops)
            mismatched |= not writes
            if op_ttl is not None:   # a touch's ttl wins over meta's, as in C
                meta = {**meta, "ttl": op_ttl}
            call.write(rec, p, pol, meta, data, n, reads, None)
        elif isinstance(rec, Read):
            # without a policy of its own, a Read record takes the batch policy's read
            # settings (its filter goes once, for the whole batch), as in C
            pol = (parent if rec.policy is None
                   else client._policies.resolve("batch_read", rec.policy))
            if rec.ops is None:
                info1 = M.INFO1_READ | (M.INFO1_GET_ALL if rec.read_all_bins
                                        else M.INFO1_NOBINDATA)
                data, n = b"", 0
                group = ("R", p[0], p[1], info1) if rec.policy is None else None
            else:
                data, n, _r, writes, _t = _encode_ops(client, rec.ops)
                mismatched |= writes
                info1 = M.INFO1_READ
                group = None
            call.read(rec, p, pol, info1, data, n,
                      None if rec.policy is None else filter_bytes(pol), group)
        elif isinstance(rec, Remove):
            pol = client._policies.resolve("batch_remove", rec.policy)
            call.remove(rec, p, pol, ("D", p[0], p[1]) if rec.policy is None else None)
        elif isinstance(rec, Apply):
            pol = client._policies.resolve("batch_apply", rec.policy)
            call.apply(rec, p, pol, rec.module, rec.function, rec.args, None)
        else:
            raise param_error(f"batch_records[{i}] has an unknown type")
    if mismatched and len(records) > 1:
        # the official client sends no such batch: the call fails, no record is answered
        for rec in records:
            rec.result, rec.record, rec.in_doubt = NO_RESPONSE, None, False
        batch_records.result = -2
        return batch_records
    await call.run(filter_bytes(parent))
    return call.outcome(batch_records)


__all__ = ["batch_read", "batch_operate", "batch_remove", "batch_apply", "batch_write",
           "filter_bytes"]
