"""A batch answer arrives as proto messages cut anywhere by the network: both APIs (the
async client through its Protocol, the sync client through its blocking connections)
read it whole, and report a garbled one alike."""
from __future__ import annotations

import pytest

from aerospike_async.protocol.framing import MSG_AS, proto_word
from aerospike_async.protocol.message import Message, Op, encode_message
from aerospike_async.protocol.particles import encode_particle
from aerospike_async.testing.batch import last_message
from conftest import SyncAwaitable, client_of
from fake_node import FakeNode

KEYS = [("test", "stream", i) for i in range(5)]


def record(index: int) -> bytes:
    """The as_msg of one batch answer (no proto header): bin v = index * 10."""
    ptype, data = encode_particle(index * 10)
    return encode_message(Message(generation=index + 1, timeout=index,
                                  ops=[Op(1, ptype, "v", data)]))[8:]


def proto(*bodies: bytes) -> bytes:
    body = b"".join(bodies)
    return proto_word(MSG_AS, len(body)).to_bytes(8, "big") + body


# two proto messages of records (3, then 2), then the LAST one
ANSWER = proto(*map(record, range(3))) + proto(*map(record, range(3, 5))) + last_message()

CUTS = {
    "whole": [ANSWER],
    "in a header": [ANSWER[:3], 0.02, ANSWER[3:]],
    "in a record": [ANSWER[:40], 0.02, ANSWER[40:]],
    "at a message": [ANSWER[:len(ANSWER) - 30], 0.02, ANSWER[len(ANSWER) - 30:]],
    "every 7 bytes": [step for i in range(0, len(ANSWER), 7)
                      for step in (ANSWER[i:i + 7], 0.001)],
}


@pytest.fixture
def node():
    fake = FakeNode().start()
    yield fake
    fake.stop()


@pytest.fixture(params=["async", "sync"])
async def client(request, node):
    """A client of the scripted node through either API."""
    async with client_of(request.param, {"hosts": [("127.0.0.1", node.port)]}) as c:
        yield c


def batch_pool(client):
    """The pool the client's batch commands take their connections from."""
    if isinstance(client, SyncAwaitable):
        return client.client._async.cluster.nodes[0].sync_pool
    return client.cluster.nodes[0].pool


@pytest.mark.parametrize("cut", list(CUTS))
async def test_a_batch_answer_cut_anywhere_is_read_whole(node, client, cut):
    node.script([CUTS[cut]])
    res = await client.batch_read(KEYS)
    assert res.result == 0 and batch_pool(client).in_use == 0
    assert [(r.result, r.record[1]["gen"], r.record[2]) for r in res.batch_records] == [
        (0, i + 1, {"v": i * 10}) for i in range(5)]


async def test_a_garbled_message_fails_the_keys_still_waiting(node, client):
    garbled = proto(*map(record, range(3))) + b"\x07" * 8 + ANSWER[-30:]
    node.script([[garbled]])
    res = await client.batch_read(KEYS)
    assert batch_pool(client).in_use == 0
    assert res.result == -1   # ClientError: an answer that cannot be read
    assert [r.result for r in res.batch_records] == [0, 0, 0, -15, -15]
    assert [r.record[2]["v"] for r in res.batch_records[:3]] == [0, 10, 20]


async def test_bytes_after_the_last_message_retire_the_connection(node, client):
    """Bytes a node sends past a batch answer's LAST message would be read as the next
    command's reply: the connection is closed, and the next command runs on a new one."""
    ptype, data = encode_particle(7)
    get_reply = encode_message(Message(generation=9, ops=[Op(1, ptype, "v", data)]))
    node.script([[ANSWER + b"\x02\x03"], [get_reply]])
    res = await client.batch_read(KEYS)
    record = await client.get(KEYS[0])
    assert res.result == 0 and [r.result for r in res.batch_records] == [0] * 5
    assert record[1]["gen"] == 9 and record[2] == {"v": 7}
    assert batch_pool(client).opened == 2
