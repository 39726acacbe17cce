"""The tender against a real 3-node cluster's recorded info replies.

``wire-vectors/cluster/three-nodes.json`` holds every node's answers every
half second through a node stop and restart. The pure parsers are checked on
every snapshot, and the real tender (``Cluster.tend``) is replayed over the
snapshots in order, with nodes that answer from the recording.
"""
from __future__ import annotations

import base64
import json
import pathlib

import pytest

from aerospike_async.cluster.cluster import (REPLICA_MASTER, REPLICA_PREFER_RACK,
                                             REPLICA_SEQUENCE, Cluster, ClusterSettings)
from aerospike_async.cluster.connection import ConnectionClosed
from aerospike_async.cluster.node import Node
from aerospike_async.cluster.pool import Pool
from aerospike_async.exceptions import InvalidNodeError
from aerospike_async.protocol import topology as T
from aerospike_async.protocol.digest import PARTITIONS, compute_digest, partition_id
from aerospike_async.protocol.record import record_parts

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "shared" / "wire-vectors" / "cluster"
if not VECTORS.exists():
    VECTORS = pathlib.Path("/work/shared/wire-vectors/cluster")
RECORDING = json.loads((VECTORS / "three-nodes.json").read_text())
SNAPSHOTS = [e for e in RECORDING if "nodes" in e]
MISROUTES = [e for e in RECORDING if "detail" in e]
NAMES = {"3100": "B1", "3110": "B2", "3120": "B3"}


def snapshot(label: str) -> dict:
    return next(e for e in SNAPSHOTS if e["label"] == label)


def map_of(snap: dict, key: str = "replicas") -> T.PartitionMap:
    """The map from applying every answering node's replicas, in port order."""
    pmap: T.PartitionMap = {}
    regimes: dict = {}
    for port in sorted(snap["nodes"]):
        info = snap["nodes"][port]
        if T.trusted_partition_generation(info["partition-generation"]) is None:
            continue
        claims = T.parse_replicas(info[key], with_regime=(key == "replicas"))
        pmap, _ = T.apply_replicas(pmap, regimes, info["node"], claims)
    return pmap


# -- the parsers, on every snapshot ----------------------------------------------
@pytest.mark.parametrize("snap", SNAPSHOTS, ids=[s["label"] for s in SNAPSHOTS])
def test_every_snapshot_parses(snap):
    for port, info in snap["nodes"].items():
        gen, peers = T.parse_peers(info["peers-clear-std"])
        assert gen == int(info["peers-generation"])
        assert all(p.hosts and p.hosts[0][0] == "127.0.0.1" for p in peers)
        assert {p.name for p in peers} <= set(NAMES.values()) - {info["node"]}
        assert T.parse_peers(info["peers-clear-alt"]) == (gen, [])
        assert T.is_error(info["peers-tls-std"])
        with_regime = T.parse_replicas(info["replicas"])
        without = T.parse_replicas(info["replicas-all"], with_regime=False)
        assert set(with_regime) == {"test"} == set(without)
        assert with_regime["test"].regime == 0
        assert with_regime["test"].bitmaps == without["test"].bitmaps
        assert all(len(b) == PARTITIONS // 8 for b in with_regime["test"].bitmaps)
        master = base64.b64decode(info["replicas-master"].split(":", 1)[1])
        assert master == with_regime["test"].bitmaps[0]
        assert T.parse_features(info["features"]) >= {"peers", "replicas", "pscans"}
        assert T.parse_racks(info["racks:"], info["node"]) == {}


def test_peers_of_the_stable_cluster():
    info = snapshot("stable 3 nodes")["nodes"]["3100"]
    assert T.parse_peers(info["peers-clear-std"]) == (4, [
        T.Peer("B2", "", [("127.0.0.1", 3110)]), T.Peer("B3", "", [("127.0.0.1", 3120)])])


@pytest.mark.parametrize("label", ["stable 3 nodes", "node 3120 stopped, settled",
                                   "node 3120 restarted, +3.0s", "node 3120 back, settled"])
def test_a_settled_cluster_has_a_master_and_a_prole_everywhere(label):
    snap = snapshot(label)
    for key in ("replicas", "replicas-all"):
        pmap = map_of(snap, key)
        rows = pmap["test"]
        assert len(rows) == 2
        live = {i["node"] for i in snap["nodes"].values()}
        for p in range(PARTITIONS):
            assert rows[0][p] in live and rows[1][p] in live
            assert rows[0][p] != rows[1][p]


def test_each_node_claims_its_share_once():
    snap = snapshot("stable 3 nodes")
    counts = {}
    for info in snap["nodes"].values():
        bitmaps = T.parse_replicas(info["replicas"])["test"].bitmaps
        counts[info["node"]] = [len(T.owned_partitions(b)) for b in bitmaps]
    assert sum(c[0] for c in counts.values()) == PARTITIONS
    assert sum(c[1] for c in counts.values()) == PARTITIONS
    assert all(1000 < c[0] < 1800 for c in counts.values())


def test_after_b3_stops_the_survivors_hold_everything():
    pmap = map_of(snapshot("node 3120 stopped, settled"))
    assert {n for row in pmap["test"] for n in row} == {"B1", "B2"}
    # and over the stable map, the survivors' claims displace B3 everywhere
    regimes: dict = {}
    stable = map_of(snapshot("stable 3 nodes"))
    settled = snapshot("node 3120 stopped, settled")["nodes"]
    displaced = set()
    for port in ("3100", "3110"):
        stable, d = T.apply_replicas(stable, regimes, NAMES[port],
                                     T.parse_replicas(settled[port]["replicas"]))
        displaced |= d
    assert "B3" not in {n for row in stable["test"] for n in row}
    assert "B3" in displaced


def test_a_restarting_node_is_not_trusted():
    info = snapshot("node 3120 restarted, +0.5s")["nodes"]["3120"]
    assert info["partition-generation"] == "-1"
    assert T.trusted_partition_generation(info["partition-generation"]) is None
    assert all(not any(b) for b in T.parse_replicas(info["replicas"])["test"].bitmaps)
    assert T.parse_peers(info["peers-clear-std"]) == (0, [])
    # applied anyway, its empty claims would erase its slots: the tender skips it
    pmap = map_of(snapshot("node 3120 restarted, +0.5s"))
    assert "B3" not in {n for row in pmap["test"] for n in row}
    assert all(pmap["test"][0])


@pytest.mark.parametrize("changed,failures,active,peers_count,refresh_count,expected", [
    (True, 0, True, 2, 3, True),
    (False, 0, True, 2, 3, False),
    (True, 1, True, 2, 3, False),
    (True, 0, False, 2, 3, False),
    (True, 0, True, 0, 3, False),   # split cluster: alone while others answered
    (True, 0, True, 0, 1, True),    # a genuine one-node cluster
])
def test_split_cluster_guard(changed, failures, active, peers_count, refresh_count, expected):
    assert T.may_refresh_partitions(changed, failures, active, peers_count,
                                    refresh_count) is expected


def _bitmap(parts):
    b = bytearray(PARTITIONS // 8)
    for p in parts:
        b[p >> 3] |= 0x80 >> (p & 7)
    return bytes(b)


def test_regime_rules():
    pmap: T.PartitionMap = {}
    regimes: dict = {}
    pmap, d = T.apply_replicas(pmap, regimes, "A", {"sc": T.NamespaceReplicas(5, [_bitmap([0, 1])])})
    assert pmap["sc"][0][:2] == ("A", "A") and d == set()
    # an older regime cannot take a slot
    pmap, d = T.apply_replicas(pmap, regimes, "B", {"sc": T.NamespaceReplicas(4, [_bitmap([0])])})
    assert pmap["sc"][0][0] == "A" and d == set()
    # the same or a newer regime can, and the loser is marked for refresh
    pmap, d = T.apply_replicas(pmap, regimes, "B", {"sc": T.NamespaceReplicas(5, [_bitmap([0])])})
    assert pmap["sc"][0][0] == "B" and d == {"A"}
    pmap, d = T.apply_replicas(pmap, regimes, "C", {"sc": T.NamespaceReplicas(6, [_bitmap([1])])})
    assert pmap["sc"][0][1] == "C" and regimes["sc"][1] == 6
    pmap, d = T.apply_replicas(pmap, regimes, "A", {"sc": T.NamespaceReplicas(5, [_bitmap([1])])})
    assert pmap["sc"][0][1] == "C"
    # a node no longer claiming a slot erases itself; the replica count can grow
    pmap, _ = T.apply_replicas(pmap, regimes, "B", {"sc": T.NamespaceReplicas(6, [_bitmap([]), _bitmap([0])])})
    assert pmap["sc"][0][0] is None and pmap["sc"][1][0] == "B"
    assert T.sc_namespaces({"sc": T.NamespaceReplicas(6, []), "ap": T.NamespaceReplicas(0, [])}) == {"sc"}


@pytest.mark.parametrize("nodes,refresh_count,in_map,expected", [
    ([("A", True, 0, 1), ("B", False, 0, 1)], 2, set(), ["B"]),           # inactive
    ([("A", True, 5, 1), ("B", True, 5, 1)], 0, {"A", "B"}, ["A", "B"]),  # all failing 5 times
    ([("A", True, 4, 1)], 0, {"A"}, []),                                  # not yet 5
    ([("A", True, 0, 1), ("B", True, 2, 0)], 1, {"A", "B"}, ["B"]),       # unreferenced, failing
    ([("A", True, 0, 1), ("B", True, 0, 0)], 1, {"A", "B"}, []),          # unreferenced, answering, mapped
    ([("A", True, 0, 1), ("B", True, 0, 0)], 1, {"A"}, ["B"]),            # unreferenced, answering, unmapped
    ([("A", True, 0, 0)], 1, set(), []),                                  # the only node stays
])
def test_node_removal_rules(nodes, refresh_count, in_map, expected):
    pmap = {"test": [tuple(n if n in in_map else None for n in ("A", "B"))]}
    states = [T.NodeState(*n) for n in nodes]
    assert T.nodes_to_remove(states, refresh_count, pmap) == expected


def test_rack_parsers():
    assert T.parse_rack_ids("test:1;bar:2;") == {"test": 1, "bar": 2}
    text = "ns=test:rack_1=B1,B2:rack_2=B3;ns=bar:roster_rack_1=B3:rack_3=B3,B1"
    assert T.parse_racks(text, "B3") == {"test": 2, "bar": 3}
    assert T.parse_racks(text, "B2") == {"test": 1}
    assert T.parse_racks("ERROR:25:enterprise only", "B1") == {}


# -- misrouted requests ----------------------------------------------------------
@pytest.mark.parametrize("entry", MISROUTES, ids=[e["label"] for e in MISROUTES])
def test_misrouted_requests(entry):
    detail = entry["detail"]
    digest = bytes.fromhex(detail["digest"])
    assert compute_digest("vec", "misroute-key") == digest
    assert partition_id(digest) == detail["partition"]
    # the map built from the snapshot before it agrees with the recorded roles
    before = {"misrouted requests, 3 nodes": "stable 3 nodes",
              "misrouted requests, 2 nodes": "node 3120 stopped, settled"}[entry["label"]]
    rows = map_of(snapshot(before))["test"]
    for port, roles in detail["replica_roles_by_node"].items():
        for index in (0, 1):
            assert (rows[index][detail["partition"]] == NAMES[port]) is (index in roles)
    # every node answers, owner or not: the server proxies a misrouted request
    for port, answers in detail["answers"].items():
        for kind in ("put", "get"):
            assert record_parts(memoryview(bytes.fromhex(answers[kind]))[8:])[0] == 0
        assert record_parts(memoryview(bytes.fromhex(answers["get"]))[8:])[3] == {"v": 7}
    # and they all wrote the one record: its generation counts every put
    gens = [record_parts(memoryview(bytes.fromhex(a["put"]))[8:])[1]
            for _p, a in sorted(detail["answers"].items())]
    assert gens == list(range(gens[0], gens[0] + len(gens)))


# -- the tender replayed over the recording ----------------------------------------
class World:
    def __init__(self):
        self.snap = SNAPSHOTS[0]
        self.asked: list[str] = []


class ScriptedNode(Node):
    __slots__ = ("world",)

    async def tend_info(self, *commands, timeout):
        info = self.world.snap["nodes"].get(str(self.port))
        if info is None:
            raise ConnectionClosed(f"{self.address} is down")
        self.world.asked.extend(commands)
        return {c: info.get(c, "ERROR:4:unrecognized command") for c in commands}


class ReplayCluster(Cluster):
    def __init__(self, world, **kw):
        super().__init__(ClusterSettings([("127.0.0.1", 3100)], **kw))
        self.world = world

    def _new_node(self, host, port):
        node = ScriptedNode("", host, port, frozenset(), Pool(host, port), 1.0)
        node.world = self.world
        return node


def names(cluster):
    return sorted(n.name for n in cluster.nodes)


def assert_full_map(cluster, live):
    rows = cluster.partition_map["test"]
    for p in range(PARTITIONS):
        assert rows[0][p] in live, p
        assert rows[1][p] in live and rows[1][p] != rows[0][p], p


async def test_the_tender_follows_the_recorded_stop_and_restart():
    world = World()
    cluster = ReplayCluster(world)
    await cluster.tend()
    assert names(cluster) == ["B1", "B2", "B3"]
    assert_full_map(cluster, {"B1", "B2", "B3"})
    stable_map = cluster.partition_map
    seen = []
    for snap in SNAPSHOTS[1:]:
        world.snap = snap
        await cluster.tend()
        seen.append((snap["label"], names(cluster)))
        if snap["label"].startswith("node 3120 stopped"):
            # B3 is either still known (peers still list it) or gone; never wrong data
            assert {"B1", "B2"} <= set(names(cluster))
    by_label = dict(seen)
    # peers drop B3 at +1.0s: it is removed at once (unreferenced and failing)
    assert by_label["node 3120 stopped, +0.5s"] == ["B1", "B2", "B3"]
    assert by_label["node 3120 stopped, +1.0s"] == ["B1", "B2"]
    assert by_label["node 3120 stopped, settled"] == ["B1", "B2"]
    # a restarting B3 (partition-generation -1) is not added until it is initialized
    assert by_label["node 3120 restarted, +0.5s"] == ["B1", "B2"]
    assert by_label["node 3120 restarted, +1.5s"] == ["B1", "B2"]
    assert by_label["node 3120 restarted, +2.0s"] == ["B1", "B2", "B3"]
    assert by_label["node 3120 back, settled"] == ["B1", "B2", "B3"]
    assert_full_map(cluster, {"B1", "B2", "B3"})
    assert cluster.partition_map == stable_map
    await cluster.close()


async def test_replay_settled_without_b3_has_every_partition_on_the_survivors():
    world = World()
    cluster = ReplayCluster(world)
    await cluster.tend()
    for snap in SNAPSHOTS[1:]:
        world.snap = snap
        await cluster.tend()
        if snap["label"] == "node 3120 stopped, settled":
            break
    assert names(cluster) == ["B1", "B2"]
    assert_full_map(cluster, {"B1", "B2"})
    await cluster.close()


async def test_a_dead_node_still_listed_by_peers_goes_after_five_failures_only_if_all_fail():
    world = World()
    cluster = ReplayCluster(world)
    await cluster.tend()
    # B3 stops answering but the recording's peers still list it (+0.5s): it stays,
    # and reads of its partitions move on to the next replica
    world.snap = snapshot("node 3120 stopped, +0.5s")
    for _ in range(6):
        await cluster.tend()
    assert names(cluster) == ["B1", "B2", "B3"]
    b3 = cluster.nodes_by_name["B3"]
    assert b3.failures == 6
    digest = bytes.fromhex("87f7918d6e9ed8fcd0c3ee7d78b5d6e12ed7f4c9")  # B3 is master
    assert cluster.node_for("test", digest, False, REPLICA_SEQUENCE, 0).name == "B3"
    assert cluster.node_for("test", digest, False, REPLICA_SEQUENCE, 1).name == "B2"
    assert cluster.node_for("test", digest, True, REPLICA_MASTER, 0).name == "B3"
    await cluster.close()


async def test_seeding_rejects_a_wrong_cluster_name_and_an_uninitialized_node():
    world = World()
    cluster = ReplayCluster(world, cluster_name="other")
    await cluster.tend()
    assert cluster.nodes == ()
    cluster = ReplayCluster(world, cluster_name="asd-cluster3")
    await cluster.tend()
    assert names(cluster) == ["B1", "B2", "B3"]
    await cluster.close()
    world.snap = snapshot("node 3120 restarted, +0.5s")
    lone = ReplayCluster(world)
    lone.settings.seeds = [("127.0.0.1", 3120)]
    await lone.tend()
    assert lone.nodes == ()
    lone.settings.seeds = [("127.0.0.1", 3120), ("127.0.0.1", 3110)]
    await lone.tend()
    assert names(lone) == ["B1", "B2"]


async def test_routing_policies_on_the_replayed_map():
    world = World()
    cluster = ReplayCluster(world, rack_aware=True, rack_ids=[7])
    await cluster.tend()
    digest = bytes.fromhex("87f7918d6e9ed8fcd0c3ee7d78b5d6e12ed7f4c9")  # master B3, prole B2
    pick = cluster.node_for
    assert pick("test", digest, False, REPLICA_SEQUENCE, 0).name == "B3"
    assert pick("test", digest, False, REPLICA_SEQUENCE, 1).name == "B2"
    assert pick("test", digest, False, REPLICA_SEQUENCE, 2).name == "B3"
    assert pick("test", digest, True, REPLICA_SEQUENCE, 0).name == "B3"
    assert pick("test", digest, True, REPLICA_MASTER, 5).name == "B3"
    # prefer rack: the prole is on rack 7
    cluster.nodes_by_name["B2"].racks = {"test": 7}
    assert pick("test", digest, False, REPLICA_PREFER_RACK, 0).name == "B2"
    # ...but not when it just failed: then the other rack's replica
    b2 = cluster.nodes_by_name["B2"]
    assert pick("test", digest, False, REPLICA_PREFER_RACK, 0, b2).name == "B3"
    # writes ignore racks
    assert pick("test", digest, True, REPLICA_PREFER_RACK, 0).name == "B3"
    # no rack match: sequence order
    b2.racks = {}
    assert pick("test", digest, False, REPLICA_PREFER_RACK, 0).name == "B3"
    # an inactive master is skipped by sequence, fatal for MASTER
    cluster.nodes_by_name["B3"].active = False
    assert pick("test", digest, False, REPLICA_SEQUENCE, 0).name == "B2"
    with pytest.raises(InvalidNodeError):
        pick("test", digest, False, REPLICA_MASTER, 0)
    await cluster.close()


def test_strong_consistency_read_modes():
    cluster = Cluster(ClusterSettings([("127.0.0.1", 1)]))
    cluster.sc_namespaces = frozenset({"sc"})
    assert cluster.effective_replica("sc", REPLICA_SEQUENCE, 0) == (REPLICA_MASTER, False)
    assert cluster.effective_replica("sc", REPLICA_PREFER_RACK, 1) == (REPLICA_SEQUENCE, True)
    assert cluster.effective_replica("sc", REPLICA_SEQUENCE, 2) == (REPLICA_SEQUENCE, False)
    assert cluster.effective_replica("ap", REPLICA_PREFER_RACK, 0) == (REPLICA_PREFER_RACK, False)


async def test_a_stable_cluster_is_tended_with_generations_only():
    world = World()
    cluster = ReplayCluster(world)
    await cluster.tend()
    assert world.asked.count("replicas") == 3 and world.asked.count("peers-clear-std") >= 3
    world.asked.clear()
    for _ in range(5):
        await cluster.tend()
    assert set(world.asked) == {"node", "peers-generation", "partition-generation"}
    # B3's partition generation moves: only B3's replicas are read again
    world.snap = json.loads(json.dumps(SNAPSHOTS[0]))
    world.snap["nodes"]["3120"]["partition-generation"] = "7"
    world.asked.clear()
    await cluster.tend()
    assert world.asked.count("replicas") == 1 and "peers-clear-std" not in world.asked
    assert cluster.nodes_by_name["B3"].partition_generation == 7
    await cluster.close()


def test_the_peers_command_follows_the_config():
    def cmd(**kw):
        return ClusterSettings([("h", 1)], **kw).peers_command
    assert cmd() == "peers-clear-std"
    assert cmd(use_services_alternate=True) == "peers-clear-alt"
    assert cmd(tls=True) == "peers-tls-std"
    assert cmd(tls=True, use_services_alternate=True) == "peers-tls-alt"
