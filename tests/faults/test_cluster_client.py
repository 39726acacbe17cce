"""The client's cluster rules against scripted fake nodes: seeds, replica moves on
retry, in_doubt, error-rate limiting, pool minimum and idle trimming.

Two fakes make a cluster: A is master of every partition, B the prole, each
lists the other as a peer. The embedded-cluster tests are in
test_cluster_faults.py.
"""
from __future__ import annotations

import asyncio
import base64
import socket
import time

import pytest

from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_async.protocol.message import Message, Op, encode_message
from aerospike_async.protocol.particles import encode_particle
from conftest import blocking_wait_for, client_of
from fake_node import FakeNode

KEY = ("test", "cluster", "k")
ALL = base64.b64encode(b"\xff" * 512).decode()
NONE = base64.b64encode(b"\x00" * 512).decode()


def record_reply(value: int = 7, generation: int = 3) -> bytes:
    ptype, data = encode_particle(value)
    return encode_message(Message(generation=generation, ops=[Op(1, ptype, "v", data)]))


def write_reply() -> bytes:
    return encode_message(Message(generation=1))


class PairNode(FakeNode):
    """A fake in a two-node cluster: ``role`` 0 (master everywhere) or 1 (prole)."""

    def __init__(self, name: str, role: int, cluster_name: str = "asd-pair") -> None:
        super().__init__(name, namespaces=("test",))
        self.role = role
        self.peer: PairNode | None = None
        self.cluster_name = cluster_name

    def info_value(self, command: str) -> str | None:
        if command == "peers-clear-std" and self.peer is not None:
            return f"1,3000,[[{self.peer.name},,[127.0.0.1:{self.peer.port}]]]"
        if command == "replicas":
            maps = [ALL, NONE] if self.role == 0 else [NONE, ALL]
            return f"test:0,2,{','.join(maps)}"
        if command == "cluster-name":
            return self.cluster_name
        return super().info_value(command)


@pytest.fixture
def pair():
    a, b = PairNode("A", 0).start(), PairNode("B", 1).start()
    a.peer, b.peer = b, a
    yield a, b
    a.stop()
    b.stop()


@pytest.fixture
async def pclient(pair):
    a, _b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "tend_interval": 100}) as c:
        yield c


@pytest.fixture(params=["async", "sync"])
async def rclient(request, pair):
    """A client of the pair through either API: the retry rules are the same for both."""
    a, _b = pair
    async with client_of(request.param,
                         {"hosts": [("127.0.0.1", a.port)], "tend_interval": 100}) as c:
        yield c


def dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- seeds ------------------------------------------------------------------
async def test_peers_are_discovered_from_one_seed(pair, pclient):
    assert sorted(n["node_name"] for n in pclient.get_node_names()) == ["A", "B"]
    assert pclient.is_connected()


async def test_a_dead_seed_does_not_stop_connect(pair):
    a, b = pair
    hosts = [("127.0.0.1", dead_port()), ("127.0.0.1", b.port), ("127.0.0.1", dead_port())]
    async with Client({"hosts": hosts}) as c:
        assert sorted(n["node_name"] for n in c.get_node_names()) == ["A", "B"]


async def test_a_silent_seed_costs_at_most_the_connect_timeout(pair):
    a, _b = pair
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    try:
        started = time.monotonic()
        async with Client({"hosts": [silent.getsockname(), ("127.0.0.1", a.port)],
                           "connect_timeout": 300}) as c:
            assert len(c.get_nodes()) == 2
        assert time.monotonic() - started < 1.0
    finally:
        silent.close()


async def test_a_hostname_seed(pair):
    a, _b = pair
    async with Client({"hosts": [("localhost", a.port)]}) as c:
        assert sorted(n["node_name"] for n in c.get_node_names()) == ["A", "B"]
        a.script([[record_reply(6)]])
        assert (await c.get(KEY))[2] == {"v": 6}


async def test_no_reachable_seed_raises_connection_error_in_time():
    started = time.monotonic()
    with pytest.raises(E.ConnectionError) as info:
        await Client({"hosts": [("127.0.0.1", dead_port()), ("127.0.0.1", dead_port())],
                      "connect_timeout": 500}).connect()
    assert info.value.code == -10
    assert time.monotonic() - started < 1.0


async def test_a_wrong_cluster_name_is_refused(pair):
    a, _b = pair
    with pytest.raises(E.ConnectionError):
        await Client({"hosts": [("127.0.0.1", a.port)], "cluster_name": "other"}).connect()
    async with Client({"hosts": [("127.0.0.1", a.port)], "cluster_name": "asd-pair"}) as c:
        assert len(c.get_nodes()) == 2


async def test_info_shapes(pair, pclient):
    a, b = pair
    assert sorted(pclient.get_nodes()) == sorted([("127.0.0.1", a.port), ("127.0.0.1", b.port)])
    assert await pclient.info_all("node") == {"A": (None, "A\n"), "B": (None, "B\n")}
    assert await pclient.info_single_node("node", "B") == "node\tB\n"
    assert await pclient.info_node("node", ("127.0.0.1", b.port)) == "node\tB\n"
    assert await pclient.info_random_node("build") == "build\t8.1.2.0\n"
    with pytest.raises(E.ParamError):
        await pclient.info_single_node("node", "nope")
    with pytest.raises(E.ParamError):
        await pclient.info_node("node", "127.0.0.1")
    with pytest.raises(E.ConnectionError):
        await pclient.info_node("node", ("127.0.0.1", dead_port()))


# -- retries ---------------------------------------------------------------
async def test_a_read_retry_moves_to_the_next_replica(pair, rclient):
    a, b = pair
    a.script([[record_reply()[:10], None]])
    b.script([[record_reply(8)]])
    _, _, bins = await rclient.get(KEY)
    assert bins == {"v": 8}
    assert len(a.requests) == 1 and len(b.requests) == 1


async def test_master_policy_reads_stay_on_the_master(pair, rclient):
    a, b = pair
    a.script([[record_reply()[:10], None], [record_reply(9)]])
    b.script([])
    _, _, bins = await rclient.get(KEY, policy={"replica": 0})
    assert bins == {"v": 9} and len(a.requests) == 2 and not b.requests


async def test_a_write_timeout_stays_on_the_master_and_is_in_doubt(pair, rclient):
    a, b = pair
    a.script([[0.4, write_reply()], [0.4, write_reply()]])
    b.script([])
    with pytest.raises(E.TimeoutError) as info:
        await rclient.put(KEY, {"v": 1}, policy={"max_retries": 1, "socket_timeout": 50,
                                                 "total_timeout": 1000})
    assert info.value.in_doubt is True
    assert len(a.requests) == 2 and not b.requests


async def test_each_command_gets_its_own_timeout_on_a_reused_connection(pair, rclient):
    a, b = pair
    a.script([[record_reply(1)], [0.4, record_reply(2)], [record_reply(3)]])
    b.script([])
    assert (await rclient.get(KEY, policy={"replica": 0}))[2] == {"v": 1}
    with pytest.raises(E.TimeoutError):
        await rclient.get(KEY, policy={"replica": 0, "max_retries": 0, "socket_timeout": 50,
                                       "total_timeout": 1000})
    assert (await rclient.get(KEY, policy={"replica": 0}))[2] == {"v": 3}


async def test_a_write_connection_error_moves_on_and_is_in_doubt_once_sent_twice(pair, rclient):
    a, b = pair
    a.script([[write_reply()[:5], None]])
    b.script([[write_reply()[:5], None]])
    with pytest.raises(E.ConnectionError) as info:
        await rclient.put(KEY, {"v": 1}, policy={"max_retries": 1})
    assert info.value.in_doubt is True  # sent twice
    assert len(a.requests) == 1 and len(b.requests) == 1


async def test_a_server_error_is_final(pair, rclient):
    a, b = pair
    a.script([[encode_message(Message(result_code=2))]])
    b.script([])
    with pytest.raises(E.RecordNotFound):
        await rclient.get(KEY)
    assert len(a.requests) == 1 and not b.requests


async def test_server_timeout_is_retried_on_the_next_replica_for_reads(pair, rclient):
    a, b = pair
    a.script([[encode_message(Message(result_code=9))]])
    b.script([[record_reply(4)]])
    assert (await rclient.get(KEY))[2] == {"v": 4}


async def test_sleep_between_retries(pair, rclient):
    a, b = pair
    a.script([[record_reply()[:5], None], [record_reply()[:5], None]])
    b.script([[record_reply()[:5], None]])
    started = time.monotonic()
    with pytest.raises(E.ConnectionError) as info:
        await rclient.get(KEY, policy={"max_retries": 2, "sleep_between_retries": 100})
    # the first retry moves on without sleeping; the second sleeps
    assert 0.09 < time.monotonic() - started < 0.5
    assert info.value.in_doubt is False
    assert len(a.requests) + len(b.requests) == 3


# -- error rate -------------------------------------------------------------
async def test_max_error_rate_stops_sending_to_a_failing_node(pair):
    a, b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "tend_interval": 100,
                       "max_error_rate": 1, "error_rate_window": 1000}) as c:
        a.script([[record_reply()[:5], None]] * 3)
        b.script([])
        with pytest.raises(E.MaxErrorRateExceeded) as info:
            await c.get(KEY, policy={"replica": 0, "max_retries": 3})
        assert len(a.requests) == 2  # the third and fourth attempts were not sent
        assert info.value.in_doubt is False
        node = c.cluster.nodes_by_name["A"]
        node.error_count = 0  # what the window's reset does
        a.script([[record_reply(3)]])
        assert (await c.get(KEY, policy={"replica": 0}))[2] == {"v": 3}


async def test_the_error_count_resets_every_window(pair):
    a, _b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "tend_interval": 50,
                       "error_rate_window": 2}) as c:
        node = c.cluster.nodes_by_name["A"]
        node.error_count = 50
        await asyncio.sleep(0.3)
        assert node.error_count == 0


# -- pools -----------------------------------------------------------------
async def test_min_conns_per_node_are_opened_and_kept(pair):
    a, _b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "min_conns_per_node": 3,
                       "tend_interval": 50}) as c:
        for _ in range(100):
            if all(n.pool.idle >= 3 for n in c.cluster.nodes):
                break
            await asyncio.sleep(0.02)
        assert [n.pool.idle for n in c.cluster.nodes] == [3, 3]
        pool = c.cluster.nodes_by_name["A"].pool
        pool._idle.pop().close()
        pool.total -= 1
        c.cluster.tend_count = 29  # the next tend balances
        for _ in range(100):
            if pool.idle == 3:
                break
            await asyncio.sleep(0.02)
        assert pool.total == pool.idle == 3


def test_the_sync_clients_minimum_is_refilled(pair):
    import aerospike
    a, _b = pair
    client = aerospike.client({"hosts": [("127.0.0.1", a.port)], "min_conns_per_node": 2,
                               "tend_interval": 50})
    try:
        nodes = client._async.cluster.nodes
        blocking_wait_for(lambda: all(n.sync_pool.idle == 2 for n in nodes))
        assert [n.pool.total for n in nodes] == [0, 0]  # the loop keeps none of its own
        pool = client._async.cluster.nodes_by_name["A"].sync_pool
        pool.discard(pool.take())
        client._async.cluster.tend_count = 29  # the next tend balances
        blocking_wait_for(lambda: pool.idle == 2)
        assert pool.total == 2 and pool.opened == 3
    finally:
        client.close()


async def test_idle_connections_are_trimmed(pair):
    a, _b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "max_socket_idle": 1,
                       "tend_interval": 50}) as c:
        a.script([[record_reply()]] * 4)
        await asyncio.gather(*(c.get(KEY, policy={"replica": 0}) for _ in range(4)))
        pool = c.cluster.nodes_by_name["A"].pool
        assert pool.total >= 1
        for conn in pool._idle:
            conn.last_used -= 5
        c.cluster.tend_count = 29
        await asyncio.sleep(0.2)
        assert pool.total == 0


async def test_max_conns_per_node_fails_with_no_more_connections(pair):
    a, _b = pair
    async with Client({"hosts": [("127.0.0.1", a.port)], "max_conns_per_node": 1}) as c:
        a.script([[0.3, record_reply()]] + [[record_reply()]] * 3)
        slow = asyncio.ensure_future(c.get(KEY, policy={"replica": 0}))
        await asyncio.sleep(0.05)
        with pytest.raises(E.NoMoreConnectionsError):
            await c.get(KEY, policy={"replica": 0, "total_timeout": 100, "max_retries": 0})
        await slow


# -- racks and strong consistency ----------------------------------------------
class RackNode(PairNode):
    def __init__(self, name: str, role: int, rack: int, regime: int = 0) -> None:
        super().__init__(name, role)
        self.rack = rack
        self.regime = regime

    def info_value(self, command: str) -> str | None:
        if command == "rack-ids":
            return f"test:{self.rack}"
        if command == "replicas":
            maps = [ALL, NONE] if self.role == 0 else [NONE, ALL]
            return f"test:{self.regime},2,{','.join(maps)}"
        return super().info_value(command)


@pytest.fixture
def racks(request):
    regime = getattr(request, "param", 0)
    a, b = RackNode("A", 0, rack=1, regime=regime).start(), RackNode("B", 1, rack=2,
                                                                     regime=regime).start()
    a.peer, b.peer = b, a
    yield a, b
    a.stop()
    b.stop()


async def test_prefer_rack_reads_from_the_configured_rack(racks):
    a, b = racks
    cfg = {"hosts": [("127.0.0.1", a.port)], "rack_aware": True, "rack_id": 2,
           "policies": {"read": {"replica": 3}}}
    async with Client(cfg) as c:
        assert c.cluster.nodes_by_name["B"].racks == {"test": 2}
        b.script([[record_reply(2)]])
        a.script([[write_reply()]])
        assert (await c.get(KEY))[2] == {"v": 2}
        await c.put(KEY, {"v": 1})  # writes go to the master whatever the rack
        assert len(a.requests) == 1 and len(b.requests) == 1
        # the rack's node fails: the retry goes to the other rack
        b.script([[record_reply()[:5], None]])
        a.script([[record_reply(1)]])
        assert (await c.get(KEY))[2] == {"v": 1}
    async with Client({**cfg, "rack_ids": [5, 1]}) as c:
        a.script([[record_reply(1)]])
        assert (await c.get(KEY))[2] == {"v": 1}


@pytest.mark.parametrize("racks", [3], indirect=True)
async def test_strong_consistency_session_reads_go_to_the_master(racks):
    a, b = racks
    cfg = {"hosts": [("127.0.0.1", a.port)], "rack_aware": True, "rack_id": 2}
    async with Client(cfg) as c:
        assert c.cluster.sc_namespaces == {"test"}
        pol = {"replica": 3, "max_retries": 0}
        a.script([[record_reply(1)]])
        b.script([])
        assert (await c.get(KEY, policy=pol))[2] == {"v": 1}
        assert len(a.requests) == 1 and not b.requests
        # linearize: prefer-rack becomes sequence (the master first)
        a.script([[record_reply(1)]])
        assert (await c.get(KEY, policy={**pol, "read_mode_sc": 1}))[2] == {"v": 1}
        assert len(a.requests) == 1 and not b.requests
        # allow-replica keeps the rack preference
        a.script([])
        b.script([[record_reply(2)]])
        assert (await c.get(KEY, policy={**pol, "read_mode_sc": 2}))[2] == {"v": 2}
        assert not a.requests and len(b.requests) == 1
