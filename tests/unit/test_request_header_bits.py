"""Header bits a command's request carries for its policy, as the official client 19.3 sets
them (seen on the wire through a logging proxy): which commands ask for a compressed reply
under ``compress``, and which writes carry ``on_locking_only``."""
from __future__ import annotations

import pytest
from fake_node import FakeNode

from aerospike_async import Client
from aerospike_async.protocol.message import Message, encode_message
from aerospike_helpers.operations import operations as op

KEY = ("test", "bits", "k")
COMPRESS = {"compress": True}
LOCKING = {"on_locking_only": True}

# (call, the request's info1 & 0x80, its info4)
CASES = {
    "get": (lambda c: c.get(KEY, policy=COMPRESS), 0x80, 0),
    "select": (lambda c: c.select(KEY, ["a"], policy=COMPRESS), 0x80, 0),
    "exists": (lambda c: c.exists(KEY, policy=COMPRESS), 0, 0),
    "put": (lambda c: c.put(KEY, {"a": 1}, policy=COMPRESS), 0, 0),
    "remove": (lambda c: c.remove(KEY, policy=COMPRESS), 0, 0),
    "operate write": (lambda c: c.operate(KEY, [op.write("a", 1)], policy=COMPRESS), 0x80, 0),
    "touch": (lambda c: c.touch(KEY, policy=COMPRESS), 0x80, 0),
    "apply": (lambda c: c.apply(KEY, "m", "f", [], policy=COMPRESS), 0x80, 0),
    "batch_operate one key": (
        lambda c: c.batch_operate([KEY], [op.write("a", 1)], policy_batch=COMPRESS), 0x80, 0),
    "batch_remove one key": (lambda c: c.batch_remove([KEY], policy_batch=COMPRESS), 0, 0),
    "put on_locking_only": (lambda c: c.put(KEY, {"a": 1}, policy=LOCKING), 0, 0x10),
    "operate on_locking_only": (
        lambda c: c.operate(KEY, [op.write("a", 1)], policy=LOCKING), 0, 0x10),
    "apply on_locking_only": (lambda c: c.apply(KEY, "m", "f", [], policy=LOCKING), 0, 0x10),
    "remove on_locking_only": (lambda c: c.remove(KEY, policy=LOCKING), 0, 0),
}


@pytest.fixture(scope="module")
def node():
    fake = FakeNode().start()
    yield fake
    fake.stop()


@pytest.mark.parametrize("name", CASES)
async def test_request_header_bits_follow_the_official_client(node, name):
    call, compress_bit, info4 = CASES[name]
    node.script([[encode_message(Message(generation=1))]])
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        try:
            await call(client)
        except Exception:   # noqa: BLE001 - the scripted reply may not fit the command
            pass
    request = node.requests[-1]
    assert (request[9] & 0x80, request[12]) == (compress_bit, info4)


def test_a_key_without_a_set_sends_an_empty_set_field():
    from aerospike_async.protocol.record import key_fields
    fields, count = key_fields("test", None, bytes(20))
    assert count == 3
    assert fields == (b"\x00\x00\x00\x05\x00test" + b"\x00\x00\x00\x01\x01"
                      + b"\x00\x00\x00\x15\x04" + bytes(20))


@pytest.mark.parametrize("ops", [[op.read("")], [op.read(""), op.read("a")]])
async def test_a_read_without_a_bin_name_asks_for_the_whole_record(node, ops):
    node.script([[encode_message(Message(generation=1))]])
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        await client.operate(KEY, ops)
    request = node.requests[-1]
    assert request[9] & 0x02 and not request[10] & 0x80   # GET_ALL, not RESPOND_ALL_OPS


async def test_a_batch_request_carries_the_total_timeout(node):
    """Its header timeout is the total timeout even when the socket timeout is shorter;
    a single-record command's is the socket timeout."""
    last = encode_message(Message(info3=1))   # the batch's LAST message
    timeouts = {"socket_timeout": 2000, "total_timeout": 8000}
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        node.script([[last]])
        await client.batch_read([KEY, (KEY[0], KEY[1], "other")], policy=timeouts)
        batch_request = node.requests[-1]
        node.script([[encode_message(Message(generation=1))]])
        await client.get(KEY, policy=timeouts)
        single_request = node.requests[-1]
    assert int.from_bytes(batch_request[22:26], "big") == 8000
    assert int.from_bytes(single_request[22:26], "big") == 2000


async def test_batch_write_entries_carry_on_locking_only(node):
    from aerospike_async.protocol.batch import iter_entries
    from aerospike_async.protocol.message import parse_messages
    keys = [KEY, (KEY[0], KEY[1], "other")]
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        node.script([[encode_message(Message(info3=1))]])
        await client.batch_operate(keys, [op.write("a", 1)], policy_batch_write=LOCKING)
    batch_field = parse_messages(node.requests[-1][8:])[0].field(41)
    entries = [entry for _i, _d, entry in iter_entries(batch_field) if entry is not None]
    # entry flags: info, info4, generation and ttl; info4 after info3 carries the flag
    assert [(entry[0], entry[4]) for entry in entries] == [(0x1E, 0x10)]


async def test_a_shared_write_policy_filter_goes_once_for_the_whole_batch(node):
    """batch_operate's write policy filter travels as the batch's filter, in place of the
    batch policy's, and not in each entry, as the official client sends it."""
    from aerospike_async.protocol.batch import iter_entries
    from aerospike_async.protocol.message import parse_messages
    from aerospike_async.protocol.expressions import encode_expression
    from aerospike_helpers import expressions as exp
    write_filter = exp.Eq(exp.IntBin("a"), 1).compile()
    keys = [KEY, (KEY[0], KEY[1], "other")]
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        node.script([[encode_message(Message(info3=1))]])
        await client.batch_operate(
            keys, [op.write("a", 2)],
            policy_batch={"expressions": exp.Eq(exp.IntBin("a"), 9).compile()},
            policy_batch_write={"expressions": write_filter})
    request = parse_messages(node.requests[-1][8:])[0]
    assert request.field(43) == encode_expression(write_filter)
    entries = [e for _i, _d, e in iter_entries(request.field(41)) if e is not None]
    assert entries and all(43 not in _entry_field_types(entry) for entry in entries)


def _entry_field_types(entry: bytes) -> list[int]:
    """The field types of a batch entry (flags, info bytes, generation, ttl, counts)."""
    flags = entry[0]
    pos = 4 + (1 if flags & 0x10 else 0) + (2 if flags & 0x04 else 0) + (4 if flags & 0x08 else 0)
    n_fields = int.from_bytes(entry[pos:pos + 2], "big")
    pos += 4
    types = []
    for _ in range(n_fields):
        types.append(entry[pos + 4])
        pos += 4 + int.from_bytes(entry[pos:pos + 4], "big")
    return types


@pytest.mark.parametrize("kind", ["scan", "query"])
async def test_scans_and_queries_ask_for_a_compressed_reply_under_compress(node, kind):
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        node.script([[encode_message(Message(info3=1))]])
        await getattr(client, kind)("test", "bits").results(policy=COMPRESS)
    assert node.requests[-1][9] & 0x80


@pytest.mark.parametrize("arguments, arglist", [(None, b""), ([], b"\x90"), ([1], b"\x91\x01")])
async def test_background_jobs_as_the_official_client_sends_them(node, arguments, arglist):
    """The header carries the socket timeout; an argument list, even empty, is packed."""
    from aerospike_async.protocol.message import parse_messages
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as client:
        node.script([[encode_message(Message(info3=1))]])
        scan = client.scan("test", "bits")
        scan.apply("m", "f", arguments)
        await scan.execute_background({"socket_timeout": 4000, "total_timeout": 9000})
    request = node.requests[-1]
    assert int.from_bytes(request[22:26], "big") == 4000
    assert parse_messages(request[8:])[0].field(32) == arglist   # UDF_ARGLIST
