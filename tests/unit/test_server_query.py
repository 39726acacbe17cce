"""Secondary indexes, scans, queries, batches and background jobs of the embedded server,
driven through its engine and info commands (no sockets), plus one streamed scan over a
socket."""
from __future__ import annotations

import base64
import json
import struct
import time

import pytest

from aerospike_async.protocol import cdt
from aerospike_async.protocol.digest import compute_digest, key_bytes, partition_id
from aerospike_async.protocol.framing import FrameReader
from aerospike_async.protocol.message import (
    FIELD_BATCH_INDEX, FIELD_BVAL_ARRAY, FIELD_DIGEST, FIELD_DIGEST_ARRAY,
    FIELD_INDEX_CONTEXT, FIELD_INDEX_RANGE, FIELD_INDEX_TYPE, FIELD_KEY, FIELD_MAX_RECORDS,
    FIELD_NAMESPACE, FIELD_PID_ARRAY, FIELD_SET, FIELD_TASK_ID, INFO1_BATCH, INFO1_GET_ALL,
    INFO1_NOBINDATA, INFO1_READ, INFO2_DELETE, INFO2_WRITE, INFO3_LAST,
    INFO3_PARTITION_DONE, OP_INCR, OP_READ, Message, encode_message,
    parse_messages,
)
from aerospike_async.protocol.particles import PARTICLE_INTEGER, PARTICLE_STRING, encode_particle
from aerospike_async.testing import EmbeddedServer
from aerospike_async.testing.node import Node, partition_bitmap
from aerospike_async.testing.sindex import bytes_bval, distance_m, parse_shape, wyhash64
from aerospike_async.testing.store import Store
from aerospike_async.types import GeoJSON
from server_raw import write_op

SET = "qs"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def node(clock):
    return Node(Store(clock=clock))


def info(node: Node, command: str) -> str:
    return node.info_value(command)


def put(node: Node, key, bins: dict, ttl: int = 0, set_name: str = SET) -> None:
    ktype, kbytes = key_bytes(key)
    msg = Message(info2=INFO2_WRITE, expiration=ttl,
                  fields=[(FIELD_NAMESPACE, b"test"), (FIELD_SET, set_name.encode()),
                          (FIELD_DIGEST, compute_digest(set_name, key)),
                          (FIELD_KEY, bytes((ktype,)) + kbytes)],
                  ops=[write_op(n, v) for n, v in bins.items()])
    answer = node.engine.execute(msg)
    assert answer[13] == 0


def remove(node: Node, key) -> None:
    node.engine.execute(Message(info2=INFO2_WRITE | INFO2_DELETE, fields=[
        (FIELD_NAMESPACE, b"test"), (FIELD_SET, SET.encode()),
        (FIELD_DIGEST, compute_digest(SET, key))]))


def run(node: Node, msg: Message) -> list[Message]:
    """Every AS_MSG of an answer (streamed or not)."""
    out = node.engine.execute(msg)
    data = out if isinstance(out, bytes) else b"".join(out)
    reader = FrameReader()
    reader.feed(data)
    msgs: list[Message] = []
    for _t, payload in reader:
        msgs.extend(parse_messages(payload))
    return msgs


def int_range(bin_name: str, lo: int, hi: int) -> bytes:
    nb = bin_name.encode()
    return (bytes([1, len(nb)]) + nb + bytes([PARTICLE_INTEGER]) + struct.pack(">I", 8)
            + struct.pack(">q", lo) + struct.pack(">I", 8) + struct.pack(">q", hi))


def str_range(bin_name: str, value: str, ptype: int = PARTICLE_STRING) -> bytes:
    nb, vb = bin_name.encode(), value.encode() if isinstance(value, str) else value
    return (bytes([1, len(nb)]) + nb + bytes([ptype]) + struct.pack(">I", len(vb)) + vb
            + struct.pack(">I", len(vb)) + vb)


def geo_range(bin_name: str, doc: dict) -> bytes:
    return str_range(bin_name, json.dumps(doc), 23)


def query(rng: bytes | None = None, itype: int | None = None, ctx: bytes | None = None,
          pids=None, digests: list[tuple[int, bytes]] | None = None, max_records: int = 0,
          info1: int = INFO1_READ, bins: list[str] | None = None, set_name: str = SET
          ) -> Message:
    fields = [(FIELD_NAMESPACE, b"test"), (FIELD_SET, set_name.encode()),
              (FIELD_TASK_ID, struct.pack(">Q", 12345))]
    if rng is not None:
        fields.append((FIELD_INDEX_RANGE, rng))
    if itype is not None:
        fields.append((FIELD_INDEX_TYPE, bytes([itype])))
    if ctx is not None:
        fields.append((FIELD_INDEX_CONTEXT, ctx))
    if pids is None and digests is None:
        pids = range(4096)
    if pids is not None:
        fields.append((FIELD_PID_ARRAY, b"".join(struct.pack("<H", p) for p in pids)))
    if digests:
        fields.append((FIELD_DIGEST_ARRAY, b"".join(d for _b, d in digests)))
        if rng is not None:
            fields.append((FIELD_BVAL_ARRAY, b"".join(struct.pack("<q", b) for b, _d in digests)))
    if max_records:
        fields.append((FIELD_MAX_RECORDS, struct.pack(">Q", max_records)))
    return Message(info1=info1, info3=INFO3_PARTITION_DONE, fields=fields,
                   ops=[write_op(b, None, OP_READ) for b in bins or []])


def records(msgs: list[Message]) -> list[Message]:
    assert msgs[-1].info3 & INFO3_LAST
    return [m for m in msgs if not m.info3]


def keys_of(msgs: list[Message]) -> list[int]:
    return sorted(struct.unpack(">q", m.field(FIELD_KEY)[1:])[0] for m in records(msgs))


def create(node: Node, name: str, bin_name: str, ktype: str = "NUMERIC", itype: str = "",
           ctx: str = "", set_name: str = SET) -> str:
    spec = f"indextype={itype};" if itype else ""
    spec = (f"context={ctx};" if ctx else "") + spec
    return info(node, f"sindex-create:namespace=test;set={set_name};indexname={name};"
                      f"{spec}bin={bin_name};type={ktype}")


# -- hashing and geometry -------------------------------------------------------------------

def test_wyhash_matches_the_bvals_the_server_sent():
    assert wyhash64(b"v07").to_bytes(8, "little").hex() == "018582834e5316dd"
    assert wyhash64(b"k3").to_bytes(8, "little").hex() == "5f18fc12096c5fe7"
    for n in (0, 1, 3, 4, 8, 16, 17, 48, 49, 100):
        assert 0 <= wyhash64(bytes(range(n))) < 1 << 64
    assert bytes_bval(b"x") == bytes_bval(b"x") != bytes_bval(b"y")


def test_geometry():
    square = parse_shape('{"type": "Polygon", "coordinates": [[[0,0],[2,0],[2,2],[0,2],[0,0]]]}')
    assert square.contains(1, 1) and not square.contains(3, 1)
    holed = parse_shape('{"type": "Polygon", "coordinates": [[[0,0],[4,0],[4,4],[0,4],[0,0]],'
                        '[[1,1],[3,1],[3,3],[1,3],[1,1]]]}')
    assert holed.contains(0.5, 0.5) and not holed.contains(2, 2)
    circle = parse_shape('{"type": "AeroCircle", "coordinates": [[-122.0, 37.0], 50000]}')
    assert circle.contains(-122.3, 37.1) and not circle.contains(-121.0, 37.0)
    assert 110_000 < distance_m((0, 0), (0, 1)) < 112_000
    assert parse_shape("not json") is None


# -- index info commands --------------------------------------------------------------------

def test_create_list_stat_delete(node):
    assert create(node, "ix_i", "i") == "ok"
    assert create(node, "ix_i", "i") == "ok"   # same definition again: ok
    assert create(node, "ix_i", "j") == \
        "ERROR:200:'indexname' already exists with different definition"
    assert create(node, "ix_long", "abcdefghijklmnop") == "ERROR:4:'bin' value too long"
    assert create(node, "v" * 70, "i") == "ERROR:4:'indexname' value too long"
    assert "indexname=ix_i:set=qs:bin=i:type=numeric:indextype=default" in \
        info(node, "sindex-list:ns=test")
    assert create(node, "ix_i2", "i") == "ok"   # same definition, other name: renamed
    listed = info(node, "sindex-list:ns=test")
    assert "indexname=ix_i2:" in listed and "indexname=ix_i:" not in listed
    assert create(node, "ix_i", "i") == "ok"    # and back
    put(node, 1, {"i": 5})
    stat = info(node, "sindex-stat:namespace=test;indexname=ix_i")
    assert "entries=1;" in stat and "load_pct=100" in stat
    assert info(node, "sindex-exists:ns=test;indexname=ix_i") == "true"
    assert info(node, "sindex-delete:namespace=test;indexname=ix_i") == "ok"
    assert info(node, "sindex-delete:namespace=test;indexname=ix_i") == "ok"
    assert info(node, "sindex-exists:ns=test;indexname=ix_i") == "false"
    assert info(node, "sindex-stat:namespace=nosuch;indexname=x") == \
        "ERROR:20:namespace not found on node"
    assert info(node, "sindex-create:namespace=test;set=qs;indexname=s1;indextype=SET") == "ok"
    assert info(node, "sindex-stat:namespace=test;indexname=s1") == \
        "entries=0;used_bytes=0;load_pct=100"


def test_create_parameters_as_the_real_node_reads_them(node):
    base = "sindex-create:namespace=test;indexname=ix"
    # the older indexdata=<bin>,<type> form, with ns= for namespace
    assert info(node, "sindex-create:ns=test;set=qs;indexname=ix_old;indextype=list;"
                      "indexdata=l,string") == "ok"
    assert "indexname=ix_old:set=qs:bin=l:type=string:indextype=list" in \
        info(node, "sindex-list:ns=test")
    assert info(node, base + ";indexdata=l") == "ERROR:4:'indexdata' missing bin type"
    assert info(node, base + ";indexdata=l,str") == (
        "ERROR:4:bad 'indexdata' bin type - must be one of 'numeric', 'string', 'blob', "
        "'geo2dsphere'")
    assert info(node, base + ";indexdata=l,string;type=string;bin=l") == \
        "ERROR:4:both 'indexdata' and 'type' are specified"
    assert info(node, base + ";bin=l") == "ERROR:4:both 'indexdata' and 'type' are missing"
    assert info(node, base + ";bin=l;type=text").startswith("ERROR:4:bad 'type' - ")
    # values longer than the node's buffers: a 64-character set name, a long namespace
    assert info(node, base + ";set=" + "s" * 64 + ";bin=l;type=string") == \
        "ERROR:4:'set' value too long"
    assert info(node, base + ";set=" + "s" * 63 + ";bin=l;type=string") == "ok"
    assert info(node, "sindex-create:namespace=" + "n" * 32 + ";indexname=ix;bin=l;"
                      "type=string") == "ERROR:20:'namespace' value too long"
    assert info(node, "sindex-create:indexname=ix;bin=l;type=string") == \
        "ERROR:20:missing 'namespace'"
    assert info(node, "sindex-create:namespace=test;bin=l;type=string") == \
        "ERROR:4:missing 'indexname'"
    assert info(node, "sindex-create:namespace=test;indexname=ix2;set=qs;indextype=mapkeys;"
                      "bin=m;type=geo2dsphere").startswith(
        "ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys'")
    assert info(node, "sindex-list:ns=nosuch") == "ERROR:20:namespace not found on node"


# -- index maintenance and queries ----------------------------------------------------------

def test_index_follows_writes_deletes_and_expiry(node, clock):
    create(node, "ix", "i")
    for k in range(10):
        put(node, k, {"i": k}, ttl=100 if k == 9 else 0)
    assert keys_of(run(node, query(int_range("i", 3, 9)))) == [3, 4, 5, 6, 7, 8, 9]
    put(node, 3, {"i": 300})      # value changed
    remove(node, 4)               # record gone
    put(node, 5, {"x": 1})        # bin gone (replace keeps other bins: write i as a string)
    put(node, 6, {"i": "six"})    # type changed: no longer in a numeric index
    clock.now += 200              # record 9 expires
    assert keys_of(run(node, query(int_range("i", 3, 9)))) == [5, 7, 8]
    assert keys_of(run(node, query(int_range("i", 300, 300)))) == [3]
    create(node, "late", "i", set_name=SET)   # an index built over existing records
    assert "entries=" in info(node, "sindex-stat:namespace=test;indexname=late")


def test_query_answers_bval_and_selected_bins(node):
    create(node, "ix_s", "s", "STRING")
    for k in range(5):
        put(node, k, {"s": f"v{k}", "n": k})
    msgs = records(run(node, query(str_range("s", "v3"), bins=["s"])))
    assert len(msgs) == 1
    rec = msgs[0]
    assert rec.field(FIELD_BVAL_ARRAY) == struct.pack("<q", bytes_bval(b"v3"))
    assert [(o.name, o.value) for o in rec.ops] == [("s", b"v3")]
    assert [t for t, _ in rec.fields] == [FIELD_NAMESPACE, FIELD_DIGEST, FIELD_SET, FIELD_KEY,
                                          FIELD_BVAL_ARRAY]
    nobins = records(run(node, query(str_range("s", "v3"), info1=INFO1_READ | INFO1_NOBINDATA)))
    assert nobins[0].info1 == INFO1_NOBINDATA and not nobins[0].ops


def test_missing_index_and_type_mismatch_answer_201(node):
    create(node, "ix", "i")
    for rng in (int_range("nope", 1, 1), str_range("i", "str")):
        msgs = run(node, query(rng))
        assert [(m.result_code, m.info3) for m in msgs] == [(201, 0)]


def test_collection_and_context_indexes(node):
    create(node, "l", "l", itype="LIST")
    create(node, "mk", "m", "STRING", itype="MAPKEYS")
    create(node, "mv", "m", itype="MAPVALUES")
    create(node, "c", "c", ctx=base64.b64encode(cdt.pack([0x22, "k"])).decode())
    for k in range(6):
        put(node, k, {"l": [k, k + 100], "m": {f"k{k}": k * 10}, "c": {"k": k % 3}})
    assert keys_of(run(node, query(int_range("l", 100, 102), itype=1))) == [0, 1, 2]
    assert keys_of(run(node, query(str_range("m", "k4"), itype=2))) == [4]
    assert keys_of(run(node, query(int_range("m", 20, 40), itype=3))) == [2, 3, 4]
    assert keys_of(run(node, query(int_range("c", 1, 1), ctx=cdt.pack([0x22, "k"])))) == [1, 4]
    # a range over a list index answers a record once though several of its elements
    # match, as long as they fall in one burst of the node's index walk (100 entries)
    put(node, 9, {"l": [1, 2]})
    assert keys_of(run(node, query(int_range("l", 1, 2), itype=1))) == [1, 2, 9]
    put(node, 9, {"l": list(range(1000, 1150))})
    assert keys_of(run(node, query(int_range("l", 1000, 1149), itype=1))) == [9, 9]


def test_geo_queries(node):
    create(node, "pts", "g", "GEO2DSPHERE")
    create(node, "rgn", "r", "GEO2DSPHERE")
    for k in range(10):
        put(node, k, {"g": GeoJSON({"type": "Point", "coordinates": [k * 1.0, k * 1.0]}),
                      "r": GeoJSON({"type": "AeroCircle", "coordinates": [[k * 10.0, 0.0], 100000]})})
    box = {"type": "Polygon", "coordinates": [[[1.5, 1.5], [5.5, 1.5], [5.5, 5.5], [1.5, 5.5],
                                               [1.5, 1.5]]]}
    assert keys_of(run(node, query(geo_range("g", box)))) == [2, 3, 4, 5]
    circle = {"type": "AeroCircle", "coordinates": [[0.0, 0.0], 200000]}
    assert keys_of(run(node, query(geo_range("g", circle)))) == [0, 1]
    point = {"type": "Point", "coordinates": [30.5, 0.0]}
    assert keys_of(run(node, query(geo_range("r", point)))) == [3]


# -- scans ----------------------------------------------------------------------------------

def test_scan_partitions_resume_and_max_records(node):
    for k in range(200):
        put(node, k, {"k": k})
    put(node, 1000, {"k": 0}, set_name="other")
    assert keys_of(run(node, query())) == list(range(200))
    one = partition_id(compute_digest(SET, 7))
    assert 7 in keys_of(run(node, query(pids=[one])))
    # max_records caps the whole command; resuming after the last digest of each
    # partition returns each record exactly once
    seen: list[int] = []
    resume: dict[int, bytes] = {}
    done: set[int] = set()
    pending = list(range(4096))
    for _page in range(100):
        digests = [(0, resume[p]) for p in pending if p in resume]
        msgs = records(run(node, query(pids=[p for p in pending if p not in resume],
                                       digests=digests, max_records=30)))
        if not msgs:
            break
        for m in msgs:
            d = m.field(FIELD_DIGEST)
            resume[partition_id(d)] = d
            seen.append(struct.unpack(">q", m.field(FIELD_KEY)[1:])[0])
        if len(msgs) < 30:
            break
        last_pid = partition_id(msgs[-1].field(FIELD_DIGEST))
        done.update(p for p in pending if p < last_pid)
        pending = [p for p in pending if p not in done]
    assert sorted(seen) == list(range(200))


def test_scan_marks_partitions_the_node_does_not_hold(node):
    node.replicas["test"] = [partition_bitmap(range(0, 2048))]
    for k in range(50):
        put(node, k, {"k": k})
    msgs = run(node, query(pids=[1, 2049, 4000]))
    done = [(m.result_code, m.generation) for m in msgs if m.info3 & INFO3_PARTITION_DONE]
    assert done == [(11, 2049), (11, 4000)]


def test_scan_bad_requests(node):
    dup = query(pids=[5, 5])
    assert [m.result_code for m in run(node, dup)] == [4]
    no_pid_done = query()
    no_pid_done.info3 = 0
    assert [m.result_code for m in run(node, no_pid_done)] == [16]
    unknown = query()
    unknown.fields[0] = (FIELD_NAMESPACE, b"nosuch")
    assert [m.result_code for m in run(node, unknown)] == [20]


# -- background jobs ------------------------------------------------------------------------

def test_background_ops_and_query_show(node):
    create(node, "ix", "i")
    for k in range(10):
        put(node, k, {"i": k})
    msg = Message(info2=INFO2_WRITE, fields=[
        (FIELD_NAMESPACE, b"test"), (FIELD_SET, SET.encode()),
        (FIELD_TASK_ID, struct.pack(">Q", 777)), (FIELD_INDEX_RANGE, int_range("i", 2, 4))],
        ops=[write_op("bg", 1), write_op("i", 100, OP_INCR)])
    assert [(m.info3, m.result_code) for m in run(node, msg)] == [(INFO3_LAST, 0)]
    show = info(node, "query-show:id=777")
    assert show.startswith("trid=777:ns=test:set=qs:sindex-name=ix:")
    assert "status=done(ok)" in show and "recs-succeeded=3" in show
    assert "job-type=background-ops" in show
    assert keys_of(run(node, query(int_range("i", 102, 104)))) == [2, 3, 4]
    assert info(node, "query-show:id=1") == "ERROR:2:job not found"


# -- batch ----------------------------------------------------------------------------------

def batch_field(rows: list[bytes], flags: int = 0x0D) -> bytes:
    return struct.pack(">IB", len(rows), flags) + b"".join(rows)


def read_row(index: int, key, first: bool) -> bytes:
    head = struct.pack(">I", index) + compute_digest(SET, key)
    if not first:
        return head + b"\x01"
    ns = struct.pack(">IB", 5, FIELD_NAMESPACE) + b"test"
    st = struct.pack(">IB", 1 + len(SET), FIELD_SET) + SET.encode()
    return head + b"\x00" + bytes([INFO1_READ | INFO1_GET_ALL]) + struct.pack(">HH", 2, 0) + ns + st


def test_batch_rows_repeat_and_answer_in_index_slots(node):
    put(node, 1, {"a": 1})
    put(node, 3, {"a": 3})
    field = batch_field([read_row(0, 1, True), read_row(1, 2, False), read_row(2, 3, False)])
    msgs = run(node, Message(info1=INFO1_BATCH, fields=[(FIELD_BATCH_INDEX, field)]))
    assert [(m.timeout, m.result_code) for m in msgs[:-1]] == [(0, 0), (1, 2), (2, 0)]
    assert msgs[-1].info3 == INFO3_LAST and msgs[-1].result_code == 0
    assert msgs[2].ops[0].value == struct.pack(">q", 3)


def test_batch_stops_at_an_unknown_namespace(node):
    bad = (struct.pack(">I", 1) + compute_digest(SET, 1) + b"\x00" + bytes([INFO1_READ])
           + struct.pack(">HH", 1, 0) + struct.pack(">IB", 7, FIELD_NAMESPACE) + b"nosuch")
    put(node, 1, {"a": 1})
    msgs = run(node, Message(info1=INFO1_BATCH, fields=[
        (FIELD_BATCH_INDEX, batch_field([read_row(0, 1, True), bad]))]))
    assert [m.result_code for m in msgs] == [0, 4]


def test_batch_udf_rows_fail_without_udf_support(node):
    put(node, 1, {"a": 1})
    row = (struct.pack(">I", 0) + compute_digest(SET, 1) + b"\x02" + bytes([0, INFO2_WRITE, 0])
           + struct.pack(">HH", 4, 0) + struct.pack(">IB", 5, FIELD_NAMESPACE) + b"test"
           + struct.pack(">IB", 1 + len(SET), FIELD_SET) + SET.encode()
           + struct.pack(">IB", 4, 30) + b"mod" + struct.pack(">IB", 3, 31) + b"fn")
    msgs = run(node, Message(info1=INFO1_BATCH, fields=[(FIELD_BATCH_INDEX, batch_field([row]))]))
    assert msgs[0].result_code == 100 and msgs[0].ops[0].name == "FAILURE"


# -- streaming over a socket ----------------------------------------------------------------

def test_large_scan_streams_over_a_socket():
    import socket
    with EmbeddedServer.run_in_thread() as srv:
        ns = srv.store.namespace("test")
        from aerospike_async.testing.store import Record
        for k in range(50_000):
            ns.put(compute_digest("big", k), Record({"k": encode_particle(k)}, b"big",
                                                    None, 1, 0, 0, 0))
        sock = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
        started = time.monotonic()
        sock.sendall(encode_message(query(set_name="big")))
        reader, count, frames, last = FrameReader(), 0, 0, False
        while not last:
            reader.feed(sock.recv(1 << 20))
            for _t, payload in reader:
                frames += 1
                for m in parse_messages(payload):
                    last = last or bool(m.info3 & INFO3_LAST)
                    count += not m.info3
        sock.close()
        assert count == 50_000 and frames > 10
        assert time.monotonic() - started < 20
