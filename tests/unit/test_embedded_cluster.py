"""The embedded cluster against a real 3-node cluster's recording (wire-vectors/cluster).

Topology replies must parse with the client's topology parsers and have the recorded
shapes; partitions must have ``replication_factor`` distinct owners; a stopped node's
partitions move to the survivors with their data; a restarted node comes back empty,
joins and takes its partitions back; generations move when the cluster changes.
"""
from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections import Counter
from pathlib import Path

import pytest

from aerospike_async.protocol.digest import compute_digest, partition_id
from aerospike_async.protocol.framing import MSG_AS, MSG_INFO, FrameReader
from aerospike_async.protocol.info import encode_info_request, parse_info_response
from aerospike_async.protocol.message import encode_message, parse_message
from aerospike_async.protocol.topology import owned_partitions, parse_peers, parse_replicas
from aerospike_async.testing import EmbeddedCluster, EmbeddedServer
from server_raw import bins_of, get, put

RECORDING = Path("/work/shared/wire-vectors/cluster/three-nodes.json")
N = 4096
TOPOLOGY = ("node", "cluster-name", "partition-generation", "peers-generation",
            "peers-clear-std", "peers-clear-alt", "peers-tls-std", "alumni-clear-std",
            "service-clear-std", "service-clear-alt", "partitions", "replicas",
            "replicas-all", "replicas-master", "racks:", "rebalance-generation",
            "cluster-stable", "namespaces")

B64 = r"[A-Za-z0-9+/]{683}="
PEERS = r"\d+,\d+,\[(\[[^\[\],]+,[^\[\],]*,\[[^\[\]]+\]\](,(?=\[)|(?=\])))*\]"
SHAPES = {
    "node": r"[0-9A-Za-z]+",
    "partition-generation": r"-1|\d+",
    "peers-generation": r"\d+",
    "peers-clear-std": PEERS,
    "peers-clear-alt": r"\d+,\d+,\[\]",
    "peers-tls-std": r"ERROR:25:enterprise only",
    "alumni-clear-std": PEERS,
    "service-clear-std": r"[\d.]+:\d+",
    "service-clear-alt": r"",
    "partitions": r"4096",
    "replicas": rf"\w+:0,[12],{B64}(,{B64})?",
    "replicas-all": rf"\w+:[12],{B64}(,{B64})?",
    "replicas-master": rf"\w+:{B64}",
    "racks:": r"ERROR:25:enterprise only",
    "rebalance-generation": r"\d+",
    "cluster-stable": r"[0-9A-F]{12}|ERROR:7:unstable cluster",
}


# -- helpers -------------------------------------------------------------------------


async def exchange(port: int, data: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        frames = FrameReader()
        while (frame := frames.next_frame()) is None:
            chunk = await asyncio.wait_for(reader.read(1 << 16), 5)
            if not chunk:
                raise ConnectionError("closed")
            frames.feed(chunk)
        return frame
    finally:
        writer.close()


async def info(port: int, *commands: str) -> dict[str, str]:
    mtype, payload = await exchange(port, encode_info_request(*commands))
    assert mtype == MSG_INFO
    return parse_info_response(payload)


async def command(port: int, msg) -> object:
    mtype, payload = await exchange(port, encode_message(msg))
    assert mtype == MSG_AS
    return parse_message(payload)[0]


async def partition_map(cluster: EmbeddedCluster, ns: str = "test") -> dict[int, list[str]]:
    """pid -> owner names by replica index, from every joined node's ``replicas``."""
    owners: dict[int, dict[int, str]] = {pid: {} for pid in range(N)}
    for node in cluster.nodes:
        if not node.joined:
            continue
        reply = await info(node.port, "node", "replicas")
        for index, bitmap in enumerate(parse_replicas(reply["replicas"])[ns].bitmaps):
            for pid in owned_partitions(bitmap):
                assert index not in owners[pid], f"partition {pid} index {index} twice"
                owners[pid][index] = reply["node"]
    return {pid: [by[i] for i in sorted(by)] for pid, by in owners.items()}


def keys(n: int, set_name: str = "c") -> list[tuple[str, str, str]]:
    return [("test", set_name, f"k{i}") for i in range(n)]


def pid_of(key: tuple[str, str, str]) -> int:
    return partition_id(compute_digest(key[1], key[2]))


@pytest.fixture
async def cluster():
    async with EmbeddedCluster(size=3, replication_factor=2, namespaces=("test",),
                               cluster_name="asd-cluster3", join_delay=0.05,
                               migration_steps=3, migration_interval=0.01) as c:
        yield c


# -- formats ---------------------------------------------------------------------------


def test_shapes_describe_the_recording():
    """The shape table is checked against every recorded reply first."""
    snapshots = [s for s in json.loads(RECORDING.read_text()) if "nodes" in s]
    seen = Counter()
    for snap in snapshots:
        for node in snap["nodes"].values():
            for name, shape in SHAPES.items():
                assert re.fullmatch(shape, node[name]), (snap["label"], name, node[name][:80])
                seen[name] += 1
    assert min(seen.values()) >= 30


async def test_replies_have_the_recorded_shapes_and_parse(cluster):
    for node in cluster.nodes:
        reply = await info(node.port, *TOPOLOGY)
        for name, shape in SHAPES.items():
            assert re.fullmatch(shape, reply[name]), (name, reply[name][:80])
        assert reply["node"] == node.name and reply["cluster-name"] == "asd-cluster3"
        assert reply["namespaces"] == "test"
        gen, peers = parse_peers(reply["peers-clear-std"])
        assert gen == int(reply["peers-generation"])
        assert sorted(p.name for p in peers) == sorted(
            n.name for n in cluster.nodes if n is not node)
        assert {(h, p) for peer in peers for h, p in peer.hosts} == {
            n.address for n in cluster.nodes if n is not node}
        replicas = parse_replicas(reply["replicas"])["test"]
        assert replicas.regime == 0 and len(replicas.bitmaps) == 2
        assert reply["replicas-master"] == "test:" + reply["replicas"].split(",")[2]
        assert reply["replicas-all"] == "test:" + reply["replicas"].split(",", 1)[1]
        assert reply["service-clear-std"] == f"127.0.0.1:{node.port}"


async def test_every_partition_has_replication_factor_distinct_owners(cluster):
    owners = await partition_map(cluster)
    masters = Counter()
    for pid, names in owners.items():
        assert len(names) == 2 and len(set(names)) == 2, pid
        assert names == cluster.owners(pid)
        masters[names[0]] += 1
    assert set(masters) == {"B1", "B2", "B3"}
    assert all(abs(count - N / 3) < 150 for count in masters.values()), masters


async def test_one_node_cluster_and_five_nodes():
    async with EmbeddedCluster(size=1, replication_factor=2) as one:
        assert all(len(one.owners(pid)) == 1 for pid in range(N))
        reply = await info(one.nodes[0].port, "replicas", "peers-clear-std")
        assert len(parse_replicas(reply["replicas"])["test"].bitmaps) == 1
        assert parse_peers(reply["peers-clear-std"])[1] == []
    async with EmbeddedCluster(size=5, replication_factor=3) as five:
        owners = await partition_map(five)
        assert all(len(set(names)) == 3 for names in owners.values())
        assert set(five.owners(0)) <= {n.name for n in five.nodes}


def test_validates_its_arguments():
    with pytest.raises(ValueError):
        EmbeddedCluster(size=0)
    with pytest.raises(ValueError):
        EmbeddedCluster(size=2, node_names=["X", "X"])


# -- records: proxying and replication ------------------------------------------------


async def test_misrouted_requests_are_answered_as_recorded(cluster):
    """The recorded put and get, sent to every node in turn: each answers as the real
    cluster did (generations 1, 2, 3), whichever node holds the partition."""
    entry = next(s for s in json.loads(RECORDING.read_text())
                 if s["label"] == "misrouted requests, 3 nodes")["detail"]
    put_request = bytes.fromhex(entry["put_request"])
    get_request = bytes.fromhex(entry["get_request"])
    recorded = list(entry["answers"].values())
    pid = entry["partition"]
    owners = cluster.owners(pid)
    order = sorted(cluster.nodes, key=lambda n: n.name in owners)  # non-owner first
    assert order[0].name not in owners
    for node, answer in zip(order, recorded):
        for request, name in ((put_request, "put"), (get_request, "get")):
            mtype, payload = await exchange(node.port, request)
            assert (bytes([2, mtype]) + len(payload).to_bytes(6, "big") + payload).hex() \
                == answer[name], (node.name, name)
    digest = bytes.fromhex(entry["digest"])
    holders = {n.name for n in cluster.nodes if digest in n.store.namespace("test").records}
    assert holders == set(owners)


async def test_writes_reach_master_and_replica_and_reads_work_anywhere(cluster):
    written = keys(120)
    seed = cluster.nodes[0]
    for i, key in enumerate(written):
        reply = await command(seed.port, put(key, {"v": i}))
        assert reply.result_code == 0
    for i, key in enumerate(written):
        digest = compute_digest(key[1], key[2])
        owners = cluster.owners(pid_of(key))
        for node in cluster.nodes:
            stored = node.store.namespace("test").records.get(digest)
            assert (stored is not None) == (node.name in owners), (key, node.name)
            reply = await command(node.port, get(key))
            assert reply.result_code == 0 and bins_of(reply) == [("v", i)]


# -- stop and restart ---------------------------------------------------------------------


async def test_stop_moves_partitions_with_their_data_and_restart_takes_them_back(cluster):
    written = keys(300)
    for i, key in enumerate(written):
        assert (await command(cluster.nodes[i % 3].port, put(key, {"v": i}))).result_code == 0
    before = await partition_map(cluster)
    gens_before = {n.name: await info(n.port, "partition-generation", "peers-generation",
                                      "rebalance-generation", "cluster-stable")
                   for n in cluster.nodes}
    victim = cluster.node("B3")
    old_port = victim.port

    await victim.stop()
    with pytest.raises(OSError):
        await info(old_port, "node")
    survivors = [n for n in cluster.nodes if n is not victim]
    after = await partition_map(cluster)
    for pid, names in after.items():
        assert len(names) == 2 and set(names) == {"B1", "B2"}, pid
        if before[pid][0] != "B3":
            assert names[0] == before[pid][0]  # masters that survive keep their partitions
        else:
            assert names[0] == before[pid][1]  # the replica is promoted
    for n in survivors:
        now = await info(n.port, "partition-generation", "peers-generation",
                         "rebalance-generation", "cluster-stable", "peers-clear-std")
        was = gens_before[n.name]
        assert int(now["partition-generation"]) > int(was["partition-generation"])
        assert int(now["peers-generation"]) == int(was["peers-generation"]) + 1
        assert int(now["rebalance-generation"]) == int(was["rebalance-generation"]) + 1
        assert now["cluster-stable"] != was["cluster-stable"]
        assert [p.name for p in parse_peers(now["peers-clear-std"])[1]] == [
            s.name for s in survivors if s is not n]
    for i, key in enumerate(written):
        master = cluster.node(after[pid_of(key)][0])
        for node in (master, *survivors):
            reply = await command(node.port, get(key))
            assert reply.result_code == 0 and bins_of(reply) == [("v", i)], (key, node.name)
    # a write while B3 is down lands on both survivors
    assert (await command(survivors[0].port, put(written[0], {"v": -1}))).result_code == 0

    await victim.restart(join_delay=0.3)
    assert victim.port == old_port
    early = await info(victim.port, "partition-generation", "peers-generation",
                       "peers-clear-std", "alumni-clear-std", "replicas", "cluster-stable",
                       "rebalance-generation")
    assert early["partition-generation"] == "-1"
    assert early["peers-clear-std"] == f"0,{old_port},[]"
    assert early["alumni-clear-std"] == f"0,{old_port},[]"
    assert early["rebalance-generation"] == "0"
    assert early["cluster-stable"] == "ERROR:7:unstable cluster"
    assert all(not b.strip(b"\0") for b in parse_replicas(early["replicas"])["test"].bitmaps)

    await cluster.wait_stable()
    final = await partition_map(cluster)
    assert final == before  # succession lists: it takes back exactly what it had
    late = await info(victim.port, "partition-generation", "peers-generation", "cluster-stable")
    assert int(late["partition-generation"]) > 0 and late["peers-generation"] == "1"
    assert re.fullmatch(r"[0-9A-F]{12}", late["cluster-stable"])
    victim_records = victim.store.namespace("test").records
    for i, key in enumerate(written):
        expected = -1 if i == 0 else i
        owners = final[pid_of(key)]
        if "B3" in owners:
            assert compute_digest(key[1], key[2]) in victim_records
        reply = await command(victim.port, get(key))
        assert reply.result_code == 0 and bins_of(reply) == [("v", expected)], key


async def test_migration_is_gradual_and_visible(cluster):
    victim = cluster.node("B2")
    await victim.stop()
    await victim.restart(join_delay=0)
    await asyncio.sleep(0)  # the join runs
    counts = []
    stable = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        reply = await info(victim.port, "replicas", "cluster-stable")
        bitmaps = parse_replicas(reply["replicas"])["test"].bitmaps
        counts.append(sum(len(owned_partitions(b)) for b in bitmaps))
        stable.append(reply["cluster-stable"])
        if not cluster.stable and len(counts) < 50:
            await asyncio.sleep(0.003)
            continue
        if cluster.stable:
            break
    await cluster.wait_stable()
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert "ERROR:7:unstable cluster" in stable


async def test_stopping_two_of_three_leaves_one_owner_with_everything(cluster):
    written = keys(60)
    for i, key in enumerate(written):
        await command(cluster.nodes[0].port, put(key, {"v": i}))
    await cluster.node("B1").stop()
    await cluster.node("B2").stop()
    last = cluster.node("B3")
    owners = await partition_map(cluster)
    assert all(names == ["B3"] for names in owners.values())
    for i, key in enumerate(written):
        assert bins_of(await command(last.port, get(key))) == [("v", i)]


# -- faults ---------------------------------------------------------------------------------


async def test_slow_delays_data_replies_not_info(cluster):
    node = cluster.nodes[0]
    await node.slow(0.2)
    started = time.monotonic()
    await command(node.port, put(("test", "c", "slow"), {"v": 1}))
    assert time.monotonic() - started >= 0.19
    started = time.monotonic()
    await info(node.port, "node")
    assert time.monotonic() - started < 0.15
    await node.slow(0)
    started = time.monotonic()
    await command(node.port, get(("test", "c", "slow")))
    assert time.monotonic() - started < 0.15


async def test_slow_keeps_pipelined_replies_in_order(cluster):
    node = cluster.nodes[1]
    await node.slow(0.05, info=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(encode_info_request("node") + encode_info_request("build")
                 + encode_info_request("partitions"))
    frames = FrameReader()
    got = []
    while len(got) < 3:
        frames.feed(await asyncio.wait_for(reader.read(1 << 16), 5))
        while (frame := frames.next_frame()) is not None:
            got.append(parse_info_response(frame[1]))
    writer.close()
    assert [list(g) for g in got] == [["node"], ["build"], ["partitions"]]
    await node.clear_faults()


async def test_kill_mid_reply_cuts_the_next_reply_then_recovers(cluster):
    node = cluster.nodes[0]
    key = ("test", "c", "cut")
    await command(node.port, put(key, {"v": "x" * 100}))
    await node.kill_mid_reply()
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(encode_message(get(key)))
    data = await asyncio.wait_for(reader.read(), 5)  # until EOF
    writer.close()
    full_size = len(encode_message(get(key)))  # not the reply, just non-empty
    assert 0 < len(data) and full_size
    assert 8 <= len(data) < 8 + int.from_bytes(data[2:8], "big")
    reply = await command(node.port, get(key))
    assert reply.result_code == 0


async def test_garble_answers_garbage_once(cluster):
    node = cluster.nodes[2]
    await node.garble()
    mtype_or_error = None
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(encode_message(get(("test", "c", "nothing"))))
    data = await asyncio.wait_for(reader.read(64), 5)
    writer.close()
    assert data[0] != 2  # not protocol version 2: no client can frame it
    assert mtype_or_error is None
    assert (await command(node.port, get(("test", "c", "nothing")))).result_code == 2


# -- ways to run it -------------------------------------------------------------------------


def test_thread_runner_gives_blocking_controls():
    with EmbeddedCluster.run_in_thread(size=3, namespaces=("test",), join_delay=0.05,
                                       migration_interval=0.01) as c:
        assert len(c.seeds) == 3 and len({p for _h, p in c.seeds}) == 3
        assert [n.name for n in c.nodes] == ["B1", "B2", "B3"]
        victim = c.nodes[1]
        victim.stop()
        assert not victim.alive and not victim.joined
        with pytest.raises(OSError):
            socket.create_connection(victim.address, timeout=1).close()
        assert all("B2" not in c.owners(pid) for pid in range(N))
        victim.restart()
        c.wait_stable()
        assert victim.joined and sum(c.master(pid) == "B2" for pid in range(N)) > 1000
        victim.slow(0)
        victim.garble(0)
        victim.kill_mid_reply(0)


async def test_fixed_ports_are_consecutive_and_the_single_server_still_works():
    # after a whole suite, client ports waiting out TIME_WAIT fill much of the ephemeral
    # range, where the probe finds its ports too: a free pair may take many tries
    for _attempt in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 65000:
            continue
        try:
            async with EmbeddedCluster(size=2, port=base, port_step=1) as c:
                assert [n.port for n in c.nodes] == [base, base + 1]
            break
        except OSError:
            continue
    else:
        pytest.skip("no two consecutive free ports")
    async with EmbeddedServer() as srv:
        reply = await info(srv.port, "replicas", "peers-clear-std", "cluster-stable")
        assert parse_replicas(reply["replicas"])["test"].bitmaps[0] == b"\xff" * 512
        assert reply["peers-clear-std"] == f"0,{srv.port},[]"


async def test_a_batch_sent_to_one_node_finds_every_key(cluster):
    """Batch rows for partitions the node does not hold are answered by their masters."""
    from aerospike_async.protocol.batch import (
        batch_flags, encode_batch_request, ns_set_fields, parse_batch_payload, read_entry,
    )
    from aerospike_async.protocol.message import INFO1_GET_ALL, INFO1_READ
    written = keys(150, set_name="bt")
    for i, key in enumerate(written):
        await command(cluster.nodes[i % 3].port, put(key, {"v": i}))
    fields, n_fields = ns_set_fields("test", "bt")
    items = [(i, compute_digest(k[1], k[2]),
              read_entry(INFO1_READ | INFO1_GET_ALL, 0, 0, 0, fields, n_fields, b"", 0))
             for i, k in enumerate(written)]
    request = encode_batch_request(items, batch_flags(True, False, True), 0, 1000)
    node = cluster.node("B2")
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(request)
    frames = FrameReader()
    found: dict[int, list] = {}
    done = False
    while not done:
        frames.feed(await asyncio.wait_for(reader.read(1 << 16), 5))
        while (frame := frames.next_frame()) is not None:
            replies, done, rc = parse_batch_payload(frame[1])
            assert rc == 0
            for r in replies:
                assert r.result_code == 0, r
                found[r.index] = r.bins
    writer.close()
    assert found == {i: [("v", i)] for i in range(150)}
    # the node's scans answer only what it masters
    owner = node.node.engine.partition_owner
    assert owner is not None
    assert [pid for pid in range(N) if owner("test", pid)] == [
        pid for pid in range(N) if cluster.master(pid) == "B2"]


async def test_secondary_indexes_are_cluster_wide_and_replayed_on_join(cluster):
    created = await info(cluster.nodes[0].port,
                         "sindex-create:ns=test;set=c;indexname=idx_v;bin=v;type=numeric")
    assert list(created.values()) == ["ok"], created
    for node in cluster.nodes:
        assert "idx_v" in (await info(node.port, "sindex-list:ns=test"))["sindex-list:ns=test"]
    victim = cluster.node("B1")
    await victim.stop()
    await victim.restart(join_delay=0)
    await cluster.wait_stable()
    assert "idx_v" in (await info(victim.port, "sindex-list:ns=test"))["sindex-list:ns=test"]
