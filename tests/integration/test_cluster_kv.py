"""The key-value tests (async API and sync drop-in) against an embedded 3-node cluster
with replication factor 2, in every run; and the official client tending that cluster.

The test functions of test_kv_async.py and compat/test_sync_api.py are collected here a
second time, with ``hosts`` overridden by this module's cluster.
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
from typing import Iterator

import pytest

TESTS = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
from conftest import load_test_module, start_embedded_cluster, module_tests  # noqa: E402
from official import official_python, why_unavailable  # noqa: E402


globals().update(module_tests(load_test_module(TESTS / "integration" / "test_kv_async.py",
                                          "_cluster_kv_async")))
globals().update({f"{k}_sync": v for k, v in module_tests(
    load_test_module(TESTS / "compat" / "test_sync_api.py", "_cluster_sync_api")).items()})


@pytest.fixture(scope="module")
def embedded_cluster():
    cluster = start_embedded_cluster(3)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def hosts(embedded_cluster) -> Iterator[list[tuple[str, int]]]:
    yield list(embedded_cluster.seeds)


async def test_the_client_sees_three_nodes_and_asks_each(client, embedded_cluster):
    names = client.get_node_names()
    assert sorted(n["node_name"] for n in names) == ["B1", "B2", "B3"]
    assert sorted(client.get_nodes()) == sorted(embedded_cluster.seeds)
    assert set(names[0]) == {"address", "port", "node_name"}
    answers = await client.info_all("node")
    assert answers == {name: (None, f"{name}\n") for name in ("B1", "B2", "B3")}
    for n in names:
        assert await client.info_single_node("node", n["node_name"]) == \
            f"node\t{n['node_name']}\n"
        assert await client.info_node("node", (n["address"], n["port"])) == \
            f"node\t{n['node_name']}\n"
    rows = client.cluster.partition_map["test"]
    assert len(rows) == 2 and all(rows[0]) and all(rows[1])


async def test_keys_land_on_their_partition_masters(client, make_key, embedded_cluster):
    from aerospike_async.protocol.digest import partition_id
    for i in range(30):
        key = make_key(i)
        await client.put(key, {"i": i})
        _, meta, bins = await client.get(key)
        assert bins == {"i": i}
        digest = bytes((await client.exists(key))[0][3])
        pid = partition_id(digest)
        assert pid == client.get_key_partition_id(*key)
        assert client.cluster.node_for("test", digest, True, 2, 0).name == \
            embedded_cluster.master(pid)

OFFICIAL_SCRIPT = r"""
import json, sys, aerospike
hosts = [tuple(h) for h in json.loads(sys.argv[1])]
c = aerospike.client({"hosts": hosts, "tend_interval": 250}).connect()
out = {"names": sorted(n["node_name"] for n in c.get_node_names()),
       "nodes": sorted(list(n) for n in c.get_nodes()),
       "info_all": sorted(c.info_all("node"))}
for i in range(50):
    key = ("test", "official-cluster", i)
    c.put(key, {"i": i})
    assert c.get(key)[2] == {"i": i}
out["rw"] = 50
c.close()
print(json.dumps(out))
"""


def test_the_official_client_tends_the_embedded_cluster(embedded_cluster):
    python = official_python()
    if python is None:
        pytest.skip(f"official client unavailable: {why_unavailable()}")
    done = subprocess.run([python, "-c", OFFICIAL_SCRIPT, json.dumps(embedded_cluster.seeds[:1])],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["names"] == ["B1", "B2", "B3"] == out["info_all"]
    assert out["nodes"] == sorted([list(s) for s in embedded_cluster.seeds])
    assert out["rw"] == 50
