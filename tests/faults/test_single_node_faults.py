"""A node that drops, stalls, garbles or compresses its replies: the caller gets the
documented exception, the bad connection is discarded, and the client stays usable."""
from __future__ import annotations

import asyncio
import random

import pytest

from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_async.protocol.framing import compress
from aerospike_async.protocol.message import Message, Op, encode_message
from aerospike_async.protocol.particles import encode_particle
from fake_node import FakeNode

KEY = ("test", "faults", "k")


def record_reply(value: int = 7, generation: int = 3) -> bytes:
    ptype, data = encode_particle(value)
    return encode_message(Message(generation=generation, ops=[Op(1, ptype, "v", data)]))


def write_reply() -> bytes:
    return encode_message(Message(generation=1))


@pytest.fixture
def node():
    fake = FakeNode().start()
    yield fake
    fake.stop()


@pytest.fixture
async def fclient(node):
    async with Client({"hosts": [("127.0.0.1", node.port)]}) as c:
        yield c


def pool_of(client: Client):
    return client.cluster.nodes[0].pool


async def test_a_reply_cut_mid_message_raises_and_is_retried_for_reads(node, fclient):
    reply = record_reply()
    node.script([[reply[:20], None], [reply]])
    _, meta, bins = await fclient.get(KEY)  # first attempt cut, the retry answers
    assert bins == {"v": 7} and meta["gen"] == 3
    assert len(node.requests) == 2
    assert pool_of(fclient).in_use == 0


async def test_a_cut_write_is_not_retried_and_is_in_doubt(node, fclient):
    node.script([[write_reply()[:10], None]])
    with pytest.raises(E.ConnectionError) as info:
        await fclient.put(KEY, {"v": 1})
    assert info.value.in_doubt is True
    assert len(node.requests) == 1
    node.script([[write_reply()]])
    assert await fclient.put(KEY, {"v": 1}) == 0


async def test_a_stall_past_the_socket_timeout_raises_timeout_error(node, fclient):
    node.script([[0.5, record_reply()], [0.5, record_reply()], [0.5, record_reply()]])
    pol = {"socket_timeout": 50, "total_timeout": 1000, "max_retries": 2}
    with pytest.raises(E.TimeoutError) as info:
        await fclient.get(KEY, policy=pol)
    assert info.value.code == 9 and info.value.in_doubt is False
    assert len(node.requests) == 3  # max_retries + 1 attempts
    assert pool_of(fclient).total == 0  # every timed-out connection was closed
    node.script([[record_reply(9)]])
    assert (await fclient.get(KEY))[2] == {"v": 9}


async def test_total_timeout_bounds_the_retries(node, fclient):
    node.script([[1.0, record_reply()]] * 10)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(E.TimeoutError):
        await fclient.get(KEY, policy={"socket_timeout": 100, "total_timeout": 250,
                                       "max_retries": 10})
    assert loop.time() - started < 0.6
    assert len(node.requests) <= 3


async def test_a_write_that_timed_out_after_sending_is_in_doubt(node, fclient):
    node.script([[0.5, write_reply()]])
    with pytest.raises(E.TimeoutError) as info:
        await fclient.put(KEY, {"v": 1}, policy={"total_timeout": 50})
    assert info.value.in_doubt is True


async def test_garbage_from_the_node_is_an_error_and_the_client_recovers(node, fclient):
    node.script([[b"\x99" * 32], [b"\x02\x03" + b"\x00" * 6], [b"\x99" * 32]])
    with pytest.raises(E.AerospikeError):
        await fclient.get(KEY)
    assert pool_of(fclient).in_use == 0
    node.script([[record_reply(5)]])
    assert (await fclient.get(KEY))[2] == {"v": 5}


async def test_a_compressed_reply_is_decoded(node, fclient):
    big = "x" * 5000
    ptype, data = encode_particle(big)
    reply = encode_message(Message(generation=2, ops=[Op(1, ptype, "s", data)]))
    node.script([[compress(reply)]])
    _, meta, bins = await fclient.get(KEY, policy={"compress": True})
    assert bins == {"s": big} and meta["gen"] == 2
    assert node.requests[0][9] & 0x80  # asked for a compressed response


async def test_thousands_of_cancelled_commands_leave_no_poisoned_connection(node, fclient):
    node.script([[0.001, record_reply(i)] for i in range(2000)])
    rng = random.Random(7)
    for _ in range(10):
        tasks = [asyncio.ensure_future(fclient.get(KEY)) for _ in range(100)]
        await asyncio.sleep(rng.random() * 0.01)
        for t in tasks:
            if rng.random() < 0.5:
                t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        pool = pool_of(fclient)
        assert pool.in_use == 0 and pool.waiting == 0 and pool.total == pool.idle
    node.script([[record_reply(42)]] * 20)
    results = await asyncio.gather(*(fclient.get(KEY) for _ in range(20)))
    assert all(r[2] == {"v": 42} for r in results)
