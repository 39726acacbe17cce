"""Batch/scan/query/index tests (both APIs) again on an embedded 3-node cluster, a scan
that loses a node midway, and a 200,000-record scan streamed with bounded client memory."""
from __future__ import annotations

import asyncio
import pathlib
import sys
from typing import Iterator

import pytest

from aerospike_async import Client

TESTS = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
from conftest import load_test_module, start_embedded_cluster, module_tests  # noqa: E402


_bsq = load_test_module(TESTS / "integration" / "test_batch_scan_query.py", "_cluster_bsq")
globals().update(module_tests(_bsq))


@pytest.fixture(scope="module")
def embedded_cluster():
    cluster = start_embedded_cluster(3)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="module")
def hosts(embedded_cluster) -> Iterator[list[tuple[str, int]]]:
    yield list(embedded_cluster.seeds)


async def test_scan_with_a_node_stopped_midway_returns_every_record_once(monkeypatch):
    """The node serving part of the scan dies after the first records arrived: its
    unfinished partitions are read again from their new owner, resuming after the last
    digest received, so every record comes exactly once."""
    from aerospike_async.command import scan as scan_command
    failed: list[str] = []
    original = scan_command.PartitionTracker.node_failed

    def node_failed(self, np, exc):  # type: ignore[no-untyped-def]
        failed.append(np.node.name)
        return original(self, np, exc)
    monkeypatch.setattr(scan_command.PartitionTracker, "node_failed", node_failed)
    # 16 KiB records, so a node's share cannot all sit in socket buffers before it stops
    n = 1800
    embedded_cluster = start_embedded_cluster(3)  # its own: a node of it is stopped
    try:
        victim = await _midway(embedded_cluster, n)
    finally:
        embedded_cluster.stop()
    assert failed == [victim], "the stopped node's stream should have failed mid-scan"


async def _midway(embedded_cluster, n: int) -> str:
    async with Client({"hosts": list(embedded_cluster.seeds),
                       "policies": {"scan": {"max_retries": 20,
                                             "sleep_between_retries": 200}}}) as client:
        set_name = "midway"
        pad = b"x" * 16384
        for start in range(0, n, 600):
            await asyncio.gather(*(client.put(("test", set_name, i), {"i": i, "pad": pad})
                                   for i in range(start, min(start + 600, n))))
        victim = client.cluster.nodes[-1].name
        seen: list[int] = []
        stopped = False
        # each node sends at most 1,000 records/s, so the victim's 600 take it >= 0.6 s:
        # it is still sending when the client has 200, however loaded the machine
        stream = client.scan("test", set_name).records({"records_per_second": 1000})
        async for _key, _meta, bins in stream:
            seen.append(bins["i"])
            if len(seen) == 200 and not stopped:
                stopped = True
                embedded_cluster.node(victim).stop()
        assert stopped
        assert len(seen) == len(set(seen)), "a record came twice"
        assert sorted(seen) == list(range(n))
        return victim


async def test_a_whole_scan_goes_to_each_partitions_master_as_the_map_changes(hosts):
    # Each of the 4096 partitions of a whole scan goes to its master in the partition map
    # of the moment, also after the map has changed (the tender replaces its rows).
    from aerospike_async import constants
    from aerospike_async.command.scan import PartitionTracker
    async with Client({"hosts": hosts}) as client:
        cluster = client.cluster
        sequence = constants.POLICY_REPLICA_SEQUENCE   # a scan's default replica policy

        def routed() -> dict[int, str]:
            return {pid: np.node.name for np in
                    PartitionTracker().assign(cluster, "test", sequence) for pid in np.parts}

        rows = cluster.partition_map["test"]
        assert routed() == dict(enumerate(rows[0]))
        first, second = sorted(set(rows[0]))[:2]
        moved = tuple(second if name == first else name for name in rows[0])
        # (no await until assign has run: the tender cannot put its own map back between)
        cluster.partition_map = {**cluster.partition_map, "test": [moved, *rows[1:]]}
        assert routed() == dict(enumerate(moved))
