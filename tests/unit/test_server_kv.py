"""Single-record commands of the embedded server, as raw bytes over a socket."""
from __future__ import annotations

import asyncio
import itertools
import struct

import pytest

from aerospike_async.protocol.framing import MSG_ADMIN, MSG_AS, compress, encode_proto
from aerospike_async.protocol.message import (
    INFO1_READ, INFO2_CREATE_ONLY, INFO2_DURABLE_DELETE, INFO2_GENERATION,
    INFO2_GENERATION_GT, INFO2_RESPOND_ALL_OPS, INFO3_CREATE_OR_REPLACE, INFO3_REPLACE_ONLY,
    INFO3_UPDATE_ONLY, OP_APPEND, OP_CDT_READ, OP_DELETE, OP_INCR, OP_PREPEND, OP_READ,
    OP_TOUCH, OP_WRITE, Message, Op, encode_message, parse_message,
)
from aerospike_async.protocol.particles import PARTICLE_NULL, PARTICLE_STRING
from aerospike_async.testing import EmbeddedServer
from aerospike_async.testing.store import CITRUSLEAF_EPOCH, next_generation
from server_raw import (
    RawClient, bins_of, exists, get, key_fields, operate, put, remove, server_fixtures,
    write_op,
)

server, client = server_fixtures()

_ids = itertools.count()


@pytest.fixture
def key():
    return ("test", "unit", f"k{next(_ids)}")


def header(reply: Message) -> tuple[int, int, int]:
    return reply.result_code, reply.generation, reply.expiration


def test_put_then_get_returns_the_same_bytes(client, key):
    values = {"i": -5, "f": 1.5, "s": "héllo", "b": b"\x00\xff", "l": [1, "x", b"y"],
              "m": {"k": 1.5}, "t": True}
    r = client.command(put(key, values))
    assert header(r) == (0, 1, 0) and r.ops == [] and r.fields == []
    sent = put(key, values).ops
    r = client.command(get(key))
    assert header(r) == (0, 1, 0)
    assert [(o.name, o.particle_type, o.value) for o in r.ops] == [
        (o.name, o.particle_type, o.value) for o in sent]


def test_get_missing_and_exists(client, key):
    assert header(client.command(get(key))) == (2, 0, 0)
    assert header(client.command(exists(key))) == (2, 0, 0)
    client.command(put(key, {"a": 1}))
    r = client.command(exists(key))
    assert header(r) == (0, 1, 0) and r.ops == []


def test_select_skips_missing_bins(client, key):
    client.command(put(key, {"a": 1, "b": 2, "c": 3}))
    assert bins_of(client.command(get(key, ["c", "zz", "a"]))) == [("c", 3), ("a", 1)]
    r = client.command(get(key, ["zz"]))
    assert header(r) == (0, 1, 0) and r.ops == []


def test_put_merges_and_counts_generations(client, key):
    client.command(put(key, {"a": 1}))
    assert client.command(put(key, {"b": 2})).generation == 2
    assert bins_of(client.command(get(key))) == [("a", 1), ("b", 2)]


def test_put_without_bins_is_invalid(client, key):
    assert header(client.command(put(key, {}))) == (4, 0, 0)


def test_nil_write_deletes_bin_moving_last_into_its_place(client, key):
    client.command(put(key, {"a": 1, "s": "x", "f": 1.5, "l": [1]}))
    assert client.command(put(key, {"a": None})).generation == 2
    assert [n for n, _v in bins_of(client.command(get(key)))] == ["l", "s", "f"]


def test_deleting_the_last_bin_removes_the_record(client, key):
    assert header(client.command(put(key, {"a": None}))) == (2, 0, 0)
    client.command(put(key, {"a": 1}))
    assert header(client.command(put(key, {"a": None}))) == (0, 0, 0)
    assert client.command(exists(key)).result_code == 2


def test_exists_policies(client, key):
    assert header(client.command(put(key, {"a": 1}, info3=INFO3_UPDATE_ONLY))) == (2, 0, 0)
    assert header(client.command(put(key, {"a": 1}, info3=INFO3_REPLACE_ONLY))) == (2, 0, 0)
    assert header(client.command(put(key, {"a": 1}, info2=INFO2_CREATE_ONLY))) == (0, 1, 0)
    assert header(client.command(put(key, {"a": 2}, info2=INFO2_CREATE_ONLY))) == (5, 1, 0)
    assert client.command(put(key, {"b": 2}, info3=INFO3_REPLACE_ONLY)).generation == 2
    assert bins_of(client.command(get(key))) == [("b", 2)]
    assert client.command(put(key, {"c": 3}, info3=INFO3_CREATE_OR_REPLACE)).generation == 3
    assert bins_of(client.command(get(key))) == [("c", 3)]


def test_generation_policies(client, key):
    client.command(put(key, {"a": 1}))
    assert header(client.command(put(key, {"a": 2}, info2=INFO2_GENERATION,
                                     generation=5))) == (3, 1, 0)
    assert client.command(put(key, {"a": 2}, info2=INFO2_GENERATION,
                              generation=1)).generation == 2
    assert header(client.command(put(key, {"a": 3}, info2=INFO2_GENERATION_GT,
                                     generation=2))) == (3, 2, 0)
    assert client.command(put(key, {"a": 3}, info2=INFO2_GENERATION_GT,
                              generation=9)).generation == 3


def test_generation_wraps_to_one():
    assert next_generation(1) == 2
    assert next_generation(0xFFFF) == 1


def test_remove(client, key):
    assert header(client.command(remove(key))) == (2, 0, 0)
    client.command(put(key, {"a": 1}))
    assert header(client.command(remove(key, info2=INFO2_DURABLE_DELETE))) == (25, 0, 0)
    assert header(client.command(remove(key, info2=INFO2_GENERATION,
                                        generation=9))) == (3, 0, 0)
    assert header(client.command(remove(key, info2=INFO2_GENERATION, generation=1))) == (0, 0, 0)
    assert client.command(exists(key)).result_code == 2


def test_increment(client, key):
    assert client.command(operate(key, [write_op("i", 7, OP_INCR)])).generation == 1
    client.command(operate(key, [write_op("i", -10, OP_INCR), write_op("f", 0.5, OP_INCR)]))
    assert bins_of(client.command(get(key))) == [("i", -3), ("f", 0.5)]
    assert client.command(operate(key, [write_op("i", 0.5, OP_INCR)])).result_code == 12
    assert client.command(operate(key, [write_op("f", 1, OP_INCR)])).result_code == 12
    # a missing bin is created from the value, whatever its type; an existing one of
    # another type than the increment's is incompatible
    assert client.command(operate(key, [write_op("s", "x", OP_INCR)])).result_code == 0
    assert client.command(operate(key, [write_op("s", 1, OP_INCR)])).result_code == 12
    assert client.command(operate(key, [write_op("s", "y", OP_INCR)])).result_code == 12
    assert bins_of(client.command(get(key, ["s"]))) == [("s", "x")]
    client.command(put(key, {"i": 2**63 - 1}))
    client.command(operate(key, [write_op("i", 1, OP_INCR)]))
    assert bins_of(client.command(get(key, ["i"]))) == [("i", -2**63)]


def test_append_and_prepend(client, key):
    client.command(operate(key, [write_op("s", "b", OP_APPEND)]))
    client.command(operate(key, [write_op("s", "c", OP_APPEND), write_op("s", "a", OP_PREPEND),
                                 write_op("y", b"\x02", OP_APPEND),
                                 write_op("y", b"\x01", OP_PREPEND)]))
    assert bins_of(client.command(get(key))) == [("s", "abc"), ("y", b"\x01\x02")]
    assert client.command(operate(key, [write_op("y", "x", OP_APPEND)])).result_code == 12
    client.command(put(key, {"i": 1}))
    r = client.command(operate(key, [write_op("i", "x", OP_PREPEND)]))
    assert header(r) == (12, 3, 0)
    # prepending an integer, appending a list: incompatible with an existing bin, a
    # create of a missing one
    assert client.command(operate(key, [write_op("i", 4, OP_PREPEND)])).result_code == 12
    assert client.command(operate(key, [write_op("n", 4, OP_PREPEND),
                                        write_op("l", [1], OP_APPEND)])).result_code == 0
    assert bins_of(client.command(get(key, ["n", "l"]))) == [("n", 4), ("l", [1])]
    assert client.command(operate(key, [write_op("l", [2], OP_APPEND)])).result_code == 12


def test_operate_reads_see_earlier_writes(client, key):
    client.command(put(key, {"a": 1}))
    r = client.command(operate(key, [Op(OP_READ, 0, "a", b""), write_op("a", 5),
                                     Op(OP_READ, 0, "a", b""), Op(OP_READ, 0, "zz", b"")]))
    assert r.generation == 2 and bins_of(r) == [("a", 1), ("a", 5)]


def test_respond_all_ops(client, key):
    client.command(put(key, {"a": 1}))
    r = client.command(operate(key, [write_op("a", 2), Op(OP_READ, 0, "a", b""),
                                     Op(OP_READ, 0, "zz", b"")],
                               info2=INFO2_RESPOND_ALL_OPS))
    assert [(o.op, o.particle_type, o.name) for o in r.ops] == [
        (OP_WRITE, PARTICLE_NULL, "a"), (OP_READ, 1, "a"), (OP_READ, PARTICLE_NULL, "zz")]


def test_touch_and_delete_ops(client, key):
    assert client.command(operate(key, [Op(OP_TOUCH, 0, "", b"")])).result_code == 2
    client.command(put(key, {"a": 1, "b": 2}))
    assert header(client.command(operate(key, [Op(OP_TOUCH, 0, "", b"")]))) == (0, 2, 0)
    r = client.command(operate(key, [Op(OP_DELETE, 0, "", b""), write_op("z", 9)]))
    assert r.generation == 3
    assert bins_of(client.command(get(key))) == [("z", 9)]
    assert header(client.command(operate(key, [Op(OP_DELETE, 0, "", b"")]))) == (0, 0, 0)
    assert client.command(exists(key)).result_code == 2


def test_read_all_bins_op(client, key):
    client.command(put(key, {"a": 1, "b": "x"}))
    r = client.command(operate(key, [Op(OP_READ, 0, "", b"")]))
    assert bins_of(r) == [("a", 1), ("b", "x")]


def test_bin_name_limit(client, key):
    assert client.command(put(key, {"a" * 16: 1})).result_code == 21
    assert client.command(put(key, {"é" * 8: 1})).result_code == 21
    assert client.command(put(key, {"a" * 15: 1, "": 2})).result_code == 0
    assert bins_of(client.command(get(key))) == [("a" * 15, 1), ("", 2)]


def test_record_too_big(client, key):
    assert client.command(put(key, {"b": b"x" * (1024 * 1024)})).result_code == 13
    client.command(put(key, {"a": 1}))
    r = client.command(put(key, {"b": b"x" * (1024 * 1024)}))
    assert header(r) == (13, 1, 0)
    assert client.command(put(key, {"b": b"x" * 1_000_000})).result_code == 0


def test_unknown_and_unimplemented_ops(client, key):
    client.command(put(key, {"a": 1}))
    r = client.command(operate(key, [Op(17, PARTICLE_STRING, "a", b"\x91\x00")],
                               info1=INFO1_READ))
    assert header(r) == (4, 1, 0)
    # a bit read (wire op 12) whose bit op code (16) is not a read op: the args are
    # parsed before the bin's type is looked at, as the real server does
    r = client.command(Message(info1=INFO1_READ, fields=key_fields(*key),
                               ops=[Op(12, 4, "a", b"\x91\x10")]))
    assert header(r) == (4, 1, 0)
    # a list operation on an integer bin: the real server's incompatible-type answer
    r = client.command(Message(info1=INFO1_READ, fields=key_fields(*key),
                               ops=[Op(OP_CDT_READ, 4, "a", b"\x91\x10")]))
    assert header(r) == (12, 1, 0)


def test_unknown_namespace_and_missing_digest(client):
    assert client.command(get(("nosuch", "s", "k"))).result_code == 20
    assert client.command(Message(info1=INFO1_READ)).result_code == 4


def test_send_key_is_stored_and_checked(client, server, key):
    from aerospike_async.protocol.digest import compute_digest
    client.command(put(key, {"a": 1}, send_key=True))
    rec = server.store.namespace("test").records[compute_digest(key[1], key[2])]
    assert rec.key == b"\x03" + key[2].encode() and rec.set_name == b"unit"
    other = Message(info1=INFO1_READ, fields=key_fields(*key)[:3] + [(2, b"\x03other")])
    assert client.command(other).result_code == 19


def test_compressed_request_is_refused_plainly(client, key):
    mtype, payload = client.send_raw(compress(encode_message(put(key, {"a": 1}))))
    assert mtype == MSG_AS
    assert header(parse_message(payload)[0]) == (25, 0, 0)
    assert client.command(exists(key)).result_code == 2


def test_admin_answers_security_not_supported(client):
    mtype, payload = client.send_raw(encode_proto(MSG_ADMIN, bytes(16)))
    assert mtype == MSG_ADMIN and payload[1] == 51


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked():
    clock = FakeClock()
    with EmbeddedServer.run_in_thread(clock=clock) as srv:
        c = RawClient(srv.port)
        yield clock, c
        c.close()


def test_ttl_and_expiry(clocked):
    clock, client = clocked
    key = ("test", "ttl", "a")
    now_cl = int(clock.now) - CITRUSLEAF_EPOCH
    assert header(client.command(put(key, {"a": 1}, ttl=100))) == (0, 1, now_cl + 100)
    assert client.command(get(key)).expiration == now_cl + 100
    r = client.command(put(key, {"a": 2}, ttl=0xFFFFFFFE))
    assert r.expiration == now_cl + 100
    clock.now += 50
    r = client.command(operate(key, [Op(OP_TOUCH, 0, "", b"")], ttl=300))
    assert r.expiration == now_cl + 350
    clock.now += 400
    assert client.command(get(key)).result_code == 2
    assert client.command(put(key, {"a": 1}, ttl=0xFFFFFFFF)).expiration == 0
    assert client.command(put(key, {"a": 1}, ttl=10)).expiration != 0
    assert client.command(put(key, {"a": 1})).expiration == 0


def test_read_touch_ttl_percent(clocked):
    clock, client = clocked
    key = ("test", "ttl", "touch")
    start = client.command(put(key, {"a": 1}, ttl=1000)).expiration
    assert client.command(get(key, ttl=80)).expiration == start
    clock.now += 199   # 801 s left: above the last 80% of 1000 s
    assert client.command(get(key, ttl=80)).expiration == start
    assert client.command(get(key)).expiration == start
    clock.now += 1     # the last 80% starts: touched, answered with the time it had
    assert client.command(get(key, ttl=80)).expiration == start
    assert client.command(get(key)).expiration == start + 200


def test_a_record_lives_through_its_void_time_second(clocked):
    clock, client = clocked
    key = ("test", "ttl", "last")
    client.command(put(key, {"a": 1}, ttl=2))
    clock.now += 2
    assert client.command(get(key)).result_code == 0
    clock.now += 1
    assert client.command(get(key)).result_code == 2


async def test_async_server_answers_pipelined_requests_in_order():
    async with EmbeddedServer() as srv:
        reader, writer = await asyncio.open_connection(srv.host, srv.port)
        key = ("test", "async", "k")
        writer.write(encode_message(put(key, {"a": 1})) + encode_message(get(key))
                     + encode_message(remove(key)))
        replies = []
        for _ in range(3):
            head = await reader.readexactly(8)
            size = struct.unpack(">Q", head)[0] & ((1 << 48) - 1)
            replies.append(parse_message(await reader.readexactly(size))[0])
        writer.close()
        await writer.wait_closed()
    assert [header(r) for r in replies] == [(0, 1, 0), (0, 1, 0), (0, 0, 0)]
    assert bins_of(replies[1]) == [("a", 1)]


def test_geojson_is_validated_and_points_get_their_cell(client, key):
    from aerospike_async.types import GeoJSON
    r = client.command(put(key, {"g": GeoJSON({"type": "Nope", "coordinates": [1]})}))
    assert r.result_code == 160
    client.command(put(key, {"p": GeoJSON({"type": "Point", "coordinates": [-122.0, 37.5]})}))
    value = client.command(get(key)).ops[0].value
    assert value[:3] == b"\x00\x00\x01" and len(value) > 11
    point = bins_of(client.command(get(key)))[0][1]
    assert point.dumps() == '{"type": "Point", "coordinates": [-122.0, 37.5]}'
