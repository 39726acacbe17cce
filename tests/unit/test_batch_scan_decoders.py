"""The one-pass batch and scan reply decoders against plain reference decodings.

``parse_batch_records`` must answer what ``parse_batch_payload`` does (bins as a dict,
ttl from the void time), and ``parse_stream_payload`` what a message-by-message decoding
does. Both read alike records with a loop compiled for their layout: runs of alike
records must read as each record alone. Random payloads mix records with and without
set, user key or bval fields, partition-done and not-found messages, and every common
particle type.
"""
from __future__ import annotations

import os
import random
import struct
from typing import Any

import pytest

from aerospike_async.protocol import batch as batch_decoder
from aerospike_async.protocol import scan as scan_decoder
from aerospike_async.protocol._records import Loops
from aerospike_async.protocol.batch import parse_batch_payload, parse_batch_records
from aerospike_async.protocol.framing import ProtocolError
from aerospike_async.protocol.message import (INFO3_LAST, INFO3_PARTITION_DONE, field_bytes,
                                              parse_messages)
from aerospike_async.protocol.particles import decode_particle
from aerospike_async.protocol.scan import TTL_NEVER, parse_stream_payload

_HEAD = struct.Struct(">BBBBBBIIIHH")
_OP = struct.Struct(">IBBBB")
NOW = 1000


@pytest.fixture
def fresh_loops(monkeypatch: pytest.MonkeyPatch) -> tuple[Loops, Loops]:
    """The scan and batch decoders with no loops compiled yet, as in a fresh process:
    (scan's, batch's)."""
    made = Loops("scan test"), Loops("batch test")
    monkeypatch.setattr(scan_decoder, "_loops", made[0])
    monkeypatch.setattr(batch_decoder, "_loops", made[1])
    return made


@pytest.fixture
def eager_loops(fresh_loops: tuple[Loops, Loops]) -> tuple[Loops, Loops]:
    """As fresh_loops, and every layout that comes again gets its loop at once."""
    for loops in fresh_loops:
        loops.COMPILE_COST = 0
    return fresh_loops


def _ttl(void: int) -> int:
    return TTL_NEVER if void == 0 else (void - NOW if void > NOW else 1)


def _ops(rnd: random.Random) -> list[bytes]:
    out = []
    for _ in range(rnd.randrange(4)):
        name = rnd.choice([b"a", b"bb", b"n", b"\xc3\xa9"])
        ptype = rnd.choice([0, 1, 1, 2, 3, 3, 4, 17, 20])
        value = {0: b"", 1: struct.pack(">q", rnd.randrange(-99, 99)),
                 2: struct.pack(">d", rnd.random()), 3: b"xy\xff"[:rnd.randrange(4)],
                 4: os.urandom(3), 17: b"\x01", 20: b"\x92\x01\xa1z"}[ptype]
        out.append(_OP.pack(4 + len(name) + len(value), 1, ptype, 0, len(name)) + name + value)
    return out


def _scan_record(rnd: random.Random) -> bytes:
    kind = rnd.random()
    if kind < 0.05:
        return _HEAD.pack(22, 0, 0, INFO3_PARTITION_DONE, 0, rnd.choice([0, 11]),
                          rnd.randrange(4096), 0, 0, 0, 0)
    if kind < 0.08:
        return (_HEAD.pack(22, 0, 0, 0, 0, rnd.choice([2, 27]), 0, 0, 0, 1, 0)
                + field_bytes(4, os.urandom(20)))
    fields = [field_bytes(0, rnd.choice([b"test", b"bar"])), field_bytes(4, os.urandom(20))]
    if rnd.random() < 0.8:
        fields.append(field_bytes(1, rnd.choice([b"s1", b"set2"])))
    if rnd.random() < 0.1:
        fields.append(field_bytes(2, b"\x03key"))
    if rnd.random() < 0.1:
        fields.append(field_bytes(15, struct.pack("<q", rnd.randrange(100))))
    if rnd.random() < 0.2:
        rnd.shuffle(fields)
    ops = _ops(rnd)
    return (_HEAD.pack(22, 0, 0, 0, 0, 0, rnd.randrange(5), rnd.choice([0, 500, 5000]), 0,
                       len(fields), len(ops)) + b"".join(fields) + b"".join(ops))


def _reference_scan(payload: bytes) -> tuple:
    records, resume, unavailable = [], {}, []
    for m in parse_messages(payload):
        if m.info3 & INFO3_LAST:
            return records, True, (m.result_code if m.result_code not in (0, 2) else 0), \
                unavailable, resume
        if m.info3 & INFO3_PARTITION_DONE:
            if m.result_code:
                unavailable.append(m.generation)
            continue
        if m.result_code in (2, 27):
            continue
        if m.result_code:
            return records, True, m.result_code, unavailable, resume
        digest = m.field(4)
        set_raw = m.field(1)
        key = m.field(2)
        bval = m.field(15)
        user_key = None if key is None else (
            struct.unpack(">q", key[1:])[0] if key[0] == 1 else
            bytearray(key[1:]) if key[0] == 4 else key[1:].decode())
        key_t = (m.field(0).decode(), set_raw.decode() if set_raw is not None else None,
                 user_key, bytearray(digest))
        bins = {o.name: decode_particle(o.particle_type, o.value) for o in m.ops}
        records.append((key_t, {"ttl": _ttl(m.expiration), "gen": m.generation}, bins))
        resume[(digest[0] | (digest[1] << 8)) & 4095] = (
            digest, None if bval is None else struct.unpack("<q", bval)[0])
    return records, False, 0, unavailable, resume


def _reference_batch(payload: bytes) -> tuple[list, bool, int]:
    """What parse_batch_records must give, from the reply objects of parse_batch_payload:
    each answer's five items in a row, the ttl from its void time."""
    replies, last, rc = parse_batch_payload(payload)
    return ([x for r in replies
             for x in (r.index, r.result_code, r.generation, _ttl(r.ttl), dict(r.bins))],
            last, rc)


@pytest.mark.parametrize("seed", range(40))
def test_scan_decoder_matches_a_message_by_message_decoding(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(20):
        payload = b"".join(_scan_record(rnd) for _ in range(rnd.randrange(1, 25)))
        if rnd.random() < 0.2:
            payload += _HEAD.pack(22, 0, 0, INFO3_LAST, 0, rnd.choice([0, 2, 4]), 0, 0, 0, 0, 0)
        chunk = parse_stream_payload(payload, NOW)
        got = (chunk.records, chunk.last, chunk.error, chunk.unavailable, chunk.resume)
        assert got == _reference_scan(payload)
        assert parse_stream_payload(memoryview(payload), NOW).records == chunk.records


def _random_ops(rnd: random.Random, bins: list[tuple[bytes, int]]) -> list[bytes]:
    """Read operations of ``bins`` (name, particle type), values (and string and blob
    lengths, invalid UTF-8 included) drawn at random."""
    ops = []
    for name, ptype in bins:
        value = {1: struct.pack(">q", rnd.randrange(-2**63, 2**63)),
                 2: struct.pack(">d", rnd.random()),
                 3: "é✓x".encode()[:rnd.randrange(7)], 4: os.urandom(rnd.randrange(5)),
                 17: bytes([rnd.randrange(2)]), 20: b"\x92\x01\xa1z"}[ptype]
        ops.append(_OP.pack(4 + len(name) + len(value), 1, ptype, 0, len(name)) + name + value)
    return ops


def _layout(rnd: random.Random):
    """A record layout (fields, bins' names and types) and a maker of records in it whose
    values (string and blob lengths included) differ from record to record."""
    fields_first = rnd.random() < 0.5
    ns, set_name = rnd.choice([b"test", b"bar"]), rnd.choice([None, b"s1", b"set2"])
    bval = rnd.random() < 0.1
    key_type = rnd.choice([None, None, 1, 3, 4])   # a user key, after the other fields
    bins = [(rnd.choice([b"a", b"bb", b"n", b"\xc3\xa9"]), rnd.choice([1, 1, 2, 3, 3, 4, 17, 20]))
            for _ in range(rnd.randrange(5))]

    def record(_index: int = 0) -> bytes:
        fields = [field_bytes(4, os.urandom(20))]
        named = [field_bytes(0, ns)] + ([] if set_name is None else [field_bytes(1, set_name)])
        fields = named + fields if fields_first else fields + named
        if bval:
            fields.append(field_bytes(15, struct.pack("<q", rnd.randrange(100))))
        if key_type is not None:
            fields.append(field_bytes(2, bytes([key_type]) + {
                1: struct.pack(">q", rnd.randrange(-2**63, 2**63)),
                3: "kéy"[:rnd.randrange(4)].encode(), 4: os.urandom(rnd.randrange(4))}[key_type]))
        ops = _random_ops(rnd, bins)
        return (_HEAD.pack(22, 0, 0, 0, 0, 0, rnd.randrange(5), rnd.choice([0, 500, 5000]),
                           0, len(fields), len(ops)) + b"".join(fields) + b"".join(ops))
    return record


def _runs(rnd: random.Random, makers: list, between: Any = None) -> list[bytes]:
    """Runs of records (or answers) from ``makers`` (each called with its run's first
    index), a maker chosen at random per run; with ``between``, now and then one of its
    records after a run."""
    parts: list[bytes] = []
    for _ in range(rnd.randrange(1, 6)):
        make = rnd.choice(makers)
        parts += [make(len(parts)) for _ in range(rnd.randrange(1, 12))]
        if between is not None and rnd.random() < 0.3:
            parts.append(between(rnd))
    return parts


@pytest.mark.parametrize("seed", range(30))
def test_scan_decoder_reads_runs_of_alike_records_as_one_by_one(
        seed: int, eager_loops: tuple[Loops, Loops]) -> None:
    # Alike records after the first are read by a loop compiled for their layout; runs of
    # several layouts, broken by partition-done messages and by records of other layouts,
    # must read as each record read alone.
    rnd = random.Random(seed)
    layouts = [_layout(rnd) for _ in range(3)]
    for _ in range(10):
        parts = _runs(rnd, layouts, _scan_record)
        payload = b"".join(parts)
        chunk = parse_stream_payload(payload, NOW)
        reference = _reference_scan(payload)
        assert (chunk.records, chunk.last, chunk.error, chunk.unavailable,
                chunk.resume) == reference
        alone = [r for part in parts for r in parse_stream_payload(part, NOW).records]
        # reprs: types too (a bytearray key is no bytes key)
        assert repr(chunk.records) == repr(alone) == repr(reference[0])
    assert len(eager_loops[0]) > 0   # the runs were read by compiled loops


@pytest.mark.parametrize("seed", range(20))
def test_scan_resume_is_each_partitions_last_record_when_partitions_come_back(
        seed: int, eager_loops: tuple[Loops, Loops]) -> None:
    # Alike records from a few partitions, in runs and coming back, with digests of one
    # partition that differ in the bits after its 12 (the second byte's high nibble): per
    # partition, the resume digest is its last record's, as a message-by-message decoding
    # gives, however the records were read.
    rnd = random.Random(seed)
    heads = [bytes([rnd.randrange(256), high << 4 | rnd.randrange(16)])
             for high in range(2) for _ in range(3)]
    heads += [bytes([heads[0][0], heads[0][1] ^ 0x30])]   # partition of heads[0], again

    def record() -> bytes:
        fields = [field_bytes(0, b"test"), field_bytes(4, rnd.choice(heads) + os.urandom(18)),
                  field_bytes(1, b"s1")]
        ops = [_OP.pack(4 + 1 + 8, 1, 1, 0, 1) + b"n" + struct.pack(">q", rnd.randrange(99))]
        return (_HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, len(fields), len(ops))
                + b"".join(fields) + b"".join(ops))

    for _ in range(10):
        parts = []
        for _ in range(rnd.randrange(1, 40)):
            parts += [record()] * rnd.randrange(1, 4)   # a partition's run
            if rnd.random() < 0.1:
                parts.append(_scan_record(rnd))
        payload = b"".join(parts)
        chunk = parse_stream_payload(payload, NOW)
        assert chunk.resume == _reference_scan(payload)[4]
    assert len(eager_loops[0]) > 0


def test_scan_decoder_rejects_a_record_that_breaks_its_layout_midway() -> None:
    # a run of alike records, then one whose string op's size is shorter than its name:
    # the compiled loop leaves it to the field-by-field decoding, which refuses it
    fields = field_bytes(0, b"test") + field_bytes(4, b"d" * 20)
    good = _OP.pack(4 + 1 + 2, 1, 3, 0, 1) + b"a" + b"xy"
    bad = _OP.pack(4, 1, 3, 0, 1) + b"a"
    head = _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 2, 1)
    assert len(parse_stream_payload((head + fields + good) * 3, NOW).records) == 3
    with pytest.raises(ProtocolError):
        parse_stream_payload((head + fields + good) * 3 + head + fields + bad, NOW)


def _decoded(parse, payload: bytes, monkeypatch: pytest.MonkeyPatch, loops: bool
             ) -> tuple[str, int]:
    """repr of what ``parse`` makes of ``payload`` (or what it raises), with fresh Loops
    that compile every layout at once (``loops``) or none; and how many they compiled."""
    made = []
    for module in (scan_decoder, batch_decoder):
        fresh = Loops("test")
        fresh.COMPILE_COST = 0 if loops else 10**9
        monkeypatch.setattr(module, "_loops", fresh)
        made.append(fresh)
    try:
        got = repr(parse(payload))
    except Exception as exc:   # ProtocolError, or what a damaged value decodes to
        got = type(exc).__name__
    return got, sum(map(len, made))


@pytest.mark.parametrize("seed", range(40))
def test_compiled_loops_never_change_what_a_damaged_payload_decodes_to(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Payloads of alike records and answers with bytes flipped or cut: decoded with loops
    # compiled at once and with none, they give the same records or the same error.
    rnd = random.Random(seed)
    record, answer = _layout(rnd), _bins_layout(rnd)
    scan = b"".join(record() for _ in range(12))
    batch = b"".join(answer(i) for i in range(12))
    compiled_any = 0
    for parse, payload in ((lambda p: parse_stream_payload(p, NOW).records, scan),
                           (lambda p: parse_batch_records(p, NOW), batch)):
        for _ in range(25):
            damaged = bytearray(payload)
            for _ in range(rnd.randrange(1, 4)):
                damaged[rnd.randrange(len(damaged))] = rnd.randrange(256)
            if rnd.random() < 0.3:
                del damaged[rnd.randrange(len(damaged)):]
            with_loops, compiled = _decoded(parse, bytes(damaged), monkeypatch, True)
            compiled_any += compiled
            assert with_loops == _decoded(parse, bytes(damaged), monkeypatch, False)[0]
    assert compiled_any


def test_scan_decoder_rejects_truncated_payloads_of_alike_records() -> None:
    rec = b"".join(_HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0) + field_bytes(0, b"test")
                   + field_bytes(4, os.urandom(20)) + field_bytes(1, b"s") for _ in range(3))
    for cut in range(len(rec) - 40, len(rec)):
        with pytest.raises(ProtocolError):
            parse_stream_payload(rec[:cut], NOW)


@pytest.mark.parametrize("seed", range(20))
def test_batch_decoder_matches_the_reply_objects(seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(20):
        parts = []
        for index in range(rnd.randrange(1, 30)):
            ops = _ops(rnd)
            parts.append(_HEAD.pack(22, 0, 0, 0, 0, rnd.choice([0, 0, 2]), rnd.randrange(9),
                                    rnd.choice([0, 900, 5000]), index, 0, len(ops))
                         + b"".join(ops))
        if rnd.random() < 0.5:
            parts.append(_HEAD.pack(22, 0, 0, INFO3_LAST, 0, rnd.choice([0, 9]), 0, 0, 0, 0, 0))
        payload = b"".join(parts)
        assert parse_batch_records(payload, NOW) == _reference_batch(payload)
        cut = payload[:rnd.randrange(1, len(payload))]
        try:
            want = parse_batch_payload(cut)
        except ProtocolError:
            with pytest.raises(ProtocolError):
                parse_batch_records(cut, NOW)
        else:
            got = parse_batch_records(cut, NOW)
            assert got[0][::5] == [r.index for r in want[0]]


def _bins_layout(rnd: random.Random):
    """A maker of batch answers whose bins share names and types, values differing."""
    bins = [(rnd.choice([b"a", b"bb", b"n", b"\xc3\xa9"]), rnd.choice([1, 1, 2, 3, 3, 4, 17, 20]))
            for _ in range(rnd.randrange(4))]
    rc = rnd.choice([0, 0, 0, 2])

    def answer(index: int) -> bytes:
        ops = [] if rc else _random_ops(rnd, bins)
        return (_HEAD.pack(22, 0, 0, 0, 0, rc, rnd.randrange(5), rnd.choice([0, 900, 5000]),
                           index, 0, len(ops)) + b"".join(ops))
    return answer


@pytest.mark.parametrize("seed", range(20))
def test_batch_decoder_reads_runs_of_alike_answers_as_one_by_one(
        seed: int, eager_loops: tuple[Loops, Loops]) -> None:
    # alike answers after the first are read by a loop compiled for their layout
    rnd = random.Random(seed)
    layouts = [_bins_layout(rnd) for _ in range(3)]
    for _ in range(10):
        parts = _runs(rnd, layouts)
        payload = b"".join(parts)
        if rnd.random() < 0.5:
            payload += _HEAD.pack(22, 0, 0, INFO3_LAST, 0, 0, 0, 0, 0, 0, 0)
        got = parse_batch_records(payload, NOW)
        assert got == _reference_batch(payload)
        alone = [x for part in parts for x in parse_batch_records(part, NOW)[0]]
        assert repr(got[0]) == repr(alone)
    assert len(eager_loops[1]) > 0


def _optional_bins_ops(i: int, rnd: random.Random, wide: bool = False) -> list[bytes]:
    # "n" always; "deleted" now and then; "s" a string or, now and then, a blob
    ops = [_OP.pack(4 + 1 + 8, 1, 1, 0, 1) + b"n" + struct.pack(">q", i)]
    if rnd.random() < 0.3:
        ops.append(_OP.pack(4 + 7 + 8, 1, 1, 0, 7) + b"deleted" + struct.pack(">q", 1))
    value = "é✓x".encode()[:rnd.randrange(7)]
    ops.append(_OP.pack(4 + 1 + len(value), 1, 3 if rnd.random() < 0.8 else 4, 0, 1) + b"s"
               + value)
    if wide:   # more bins than a loop is compiled for
        ops += [_OP.pack(4 + 3 + 8, 1, 1, 0, 3) + b"w%02d" % j + struct.pack(">q", j)
                for j in range(70)]
    return ops


@pytest.mark.parametrize("wide", [False, True])
def test_records_with_optional_bins_read_as_one_by_one(eager_loops: tuple[Loops, Loops],
                                                       wide: bool) -> None:
    # Records of one set whose bins differ (a bin now and then, a bin of another type) go
    # through one compiled loop, which reads the bins of those unlike its layout one by
    # one; a record of more bins than a loop is compiled for is read field by field.
    rnd = random.Random(11)
    fields = (field_bytes(0, b"test"), field_bytes(1, b"s1"))
    parts, answers = [], []
    for i in range(300):
        ops = _optional_bins_ops(i, rnd, wide)
        parts.append(_HEAD.pack(22, 0, 0, 0, 0, 0, 1, 500, 0, 3, len(ops)) + fields[0]
                     + field_bytes(4, os.urandom(20)) + fields[1] + b"".join(ops))
        answers.append(_HEAD.pack(22, 0, 0, 0, 0, 0, 1, 500, i, 0, len(ops)) + b"".join(ops))
    scan = b"".join(parts)
    chunk = parse_stream_payload(scan, NOW)
    assert repr(chunk.records) == repr(_reference_scan(scan)[0])
    assert repr(chunk.records) == repr([r for part in parts
                                        for r in parse_stream_payload(part, NOW).records])
    batch = b"".join(answers)
    assert parse_batch_records(batch, NOW)[0] == _reference_batch(batch)[0]
    assert (len(eager_loops[0]) == 0) is wide


def _sparse_record(i: int, rnd: random.Random) -> bytes:
    # a record with a random subset of 20 integer bins: nearly every record a new layout
    chosen = [b"b%d" % j for j in range(20) if rnd.random() < 0.5]
    ops = [_OP.pack(4 + len(name) + 8, 1, 1, 0, len(name)) + name + struct.pack(">q", i)
           for name in chosen]
    fields = field_bytes(0, b"test") + field_bytes(4, os.urandom(20)) + field_bytes(1, b"s")
    return _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 3, len(ops)) + fields + b"".join(ops)


def test_a_layout_gets_its_loop_when_it_comes_again(fresh_loops: tuple[Loops, Loops]
                                                     ) -> None:
    rnd = random.Random(5)
    record = _layout(rnd)
    parse_stream_payload(record(), NOW)
    assert len(fresh_loops[0]) == 0       # seen once: decoded field by field
    parse_stream_payload(record() + record() + record(), NOW)
    assert len(fresh_loops[0]) == 1


def test_records_of_ever_new_layouts_compile_few_loops(fresh_loops: tuple[Loops, Loops]
                                                        ) -> None:
    # compiling costs about as much as decoding hundreds of records: sparse records, each
    # of a layout hardly ever seen again, must not compile one loop per record
    rnd = random.Random(7)
    for _ in range(4):
        parts = [_sparse_record(i, rnd) for i in range(500)]
        payload = b"".join(parts)
        chunk = parse_stream_payload(payload, NOW)
        assert repr(chunk.records) == repr(_reference_scan(payload)[0])
    assert len(fresh_loops[0]) <= 10


def _name_past_op(valid: bytes) -> bytes:
    # an op of size 5 whose name length (3) runs into the next op
    return _OP.pack(4 + 1, 1, 3, 0, 3) + b"a" + valid


def test_both_decoders_reject_an_op_whose_name_runs_past_it() -> None:
    # The shared op decoder (_records.read_bins) checks every op, as the message-by-message
    # decoding does; the scan decoder used to decode such an op into a garbage bin.
    valid = _OP.pack(4 + 1 + 2, 1, 3, 0, 1) + b"a" + b"xy"
    fields = field_bytes(0, b"test") + field_bytes(4, b"d" * 20)
    scan = _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 2, 2) + fields + _name_past_op(valid)
    with pytest.raises(ProtocolError):
        parse_messages(scan)
    for payload in (scan, _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 2, 2) + fields + valid * 2
                    + scan):
        with pytest.raises(ProtocolError):   # first record, then the compiled loop
            parse_stream_payload(payload, NOW)
    batch = _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2) + _name_past_op(valid)
    with pytest.raises(ProtocolError):
        parse_batch_records(batch, NOW)


def test_both_decoders_reject_an_op_running_past_the_payload() -> None:
    op = _OP.pack(4 + 1 + 8, 1, 1, 0, 1) + b"n" + struct.pack(">q", 5)
    fields = field_bytes(0, b"test") + field_bytes(4, b"d" * 20)
    scan = (_HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 2, 1) + fields + op) * 2
    batch = _HEAD.pack(22, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1) + op
    for cut in range(1, 9):
        with pytest.raises(ProtocolError):
            parse_stream_payload(scan[:-cut], NOW)
        with pytest.raises(ProtocolError):
            parse_batch_records(batch[:-cut], NOW)
