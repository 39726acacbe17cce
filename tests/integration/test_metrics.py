"""Extended metrics (``enable_metrics``/``disable_metrics``/``get_stats``) through the async
client and the sync drop-in. Counts are checked as lower bounds, so the tests hold
against a real, shared server too. Snapshots come every ``interval`` tends: the clients
here tend every 50 ms.
"""
from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from aerospike_async import exceptions as E
from aerospike_async.client import Client
from aerospike_helpers.metrics import (Cluster, ClusterStats, ConnectionStats, MetricsListeners,
                                       MetricsPolicy, NamespaceMetrics, Node, NodeStats)

HEADER = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d header\(2\) cluster\[name,clientType,"
                    r"clientVersion,appId,label\[\],cpu,mem,invalidNodeCount,commandCount,"
                    r"retryCount,delayQueueTimeoutCount,eventloop\[\],node\[\]\] .* "
                    r"latency\(5,2\)\[type\[l1,l2,l3\.\.\.\]\]$")
CLUSTER = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d cluster\[[^,]*,python,[^,]+,"
                     r"[^,]*,\[\[env,test\]\],\d+,\d+,\d+,(\d+),\d+,0,\[\],\[(.*)\]\]$")


class Recorder:
    """MetricsListeners that record what they were called with, and on which thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, str]] = []
        self.snapshot = threading.Event()

    def listeners(self) -> MetricsListeners:
        def on(name: str):
            def call(*args: Any) -> None:
                self.events.append((name, args[0] if args else None,
                                    threading.current_thread().name))
                if name == "snapshot":
                    self.snapshot.set()
            return call
        return MetricsListeners(on("enable"), on("snapshot"), on("node_close"), on("disable"))

    def of(self, name: str) -> list[Any]:
        return [arg for event, arg, _t in self.events if event == name]


def _check_cluster(cluster: Any, namespace: str, min_commands: int) -> None:
    assert isinstance(cluster, Cluster)
    assert cluster.command_count >= min_commands
    assert cluster.retry_count >= 0 and cluster.invalid_node_count >= 0
    assert isinstance(cluster.app_id, str) and cluster.app_id
    assert cluster.nodes
    reads = writes = 0
    for node in cluster.nodes:
        assert isinstance(node, Node) and node.name and node.port > 0
        assert isinstance(node.conns, ConnectionStats)
        assert node.conns.opened >= node.conns.closed >= 0
        for m in node.metrics:
            assert isinstance(m, NamespaceMetrics)
            assert len(m.read_latency) == 5 and len(m.conn_latency) == 5
            if m.ns == namespace:
                reads += sum(m.read_latency)
                writes += sum(m.write_latency)
                assert m.bytes_out > 0 and m.bytes_in > 0
    assert writes >= min_commands // 2 and reads >= min_commands // 2


def _policy(**kw: Any) -> MetricsPolicy:
    return MetricsPolicy(interval=1, latency_columns=5, latency_shift=2,
                         labels={"env": "test"}, **kw)


async def test_listeners_get_snapshots(config: dict, make_key, namespace: str) -> None:
    rec = Recorder()
    async with Client({**config, "tend_interval": 50}) as client:
        await client.enable_metrics(_policy(metrics_listeners=rec.listeners()))
        assert [e for e, _a, _t in rec.events] == ["enable"]
        for i in range(10):
            key = make_key(i)
            await client.put(key, {"v": i})
            await client.get(key)
        with pytest.raises(E.RecordNotFound):
            await client.get(make_key("missing"))
        deadline = time.monotonic() + 10
        while not any(c.command_count >= 21 for c in rec.of("snapshot")):
            assert time.monotonic() < deadline, "no snapshot after the commands"
            await asyncio.sleep(0.05)
        _check_cluster(rec.of("snapshot")[-1], namespace, 21)
        await client.disable_metrics()
        assert rec.events[-1][0] == "disable"
        _check_cluster(rec.of("disable")[0], namespace, 21)
        count = len(rec.events)
        await asyncio.sleep(0.2)
        assert len(rec.events) == count  # no snapshots once disabled
        await client.put(make_key(), {"v": 1})
        stats = client.get_stats()
        assert isinstance(stats, ClusterStats) and stats.nodes
        assert all(isinstance(n, NodeStats) for n in stats.nodes)
        assert stats.retry_count >= 0 and stats.thread_pool_queued_tasks == 0


async def test_default_writer_files(config: dict, make_key, tmp_path: Path,
                                    namespace: str) -> None:
    async with Client({**config, "tend_interval": 50}) as client:
        await client.enable_metrics(_policy(report_dir=str(tmp_path)))
        for i in range(6):
            await client.put(make_key(i), {"v": i})
        await asyncio.sleep(0.3)
        await client.disable_metrics()
        names = {n.name for n in client.get_stats().nodes}
    files = list(tmp_path.glob("metrics-*.log"))
    assert len(files) == 1 and re.fullmatch(r"metrics-\d{14}\.log", files[0].name)
    lines = files[0].read_text().splitlines()
    assert HEADER.match(lines[0]), lines[0]
    snapshots = [CLUSTER.match(line) for line in lines[1:]]
    assert len(snapshots) >= 2 and all(snapshots), lines[1:]
    last = snapshots[-1]
    assert last is not None and int(last.group(1)) >= 6
    for name in names:
        assert f"[{name}," in last.group(2)
    assert re.search(rf"{re.escape(namespace)},\d+,\d+,\d+,\d+,\d+,\[conn\[\d+,\d+,\d+,\d+,"
                     r"\d+\],write\[", last.group(2))


async def test_bad_policies(client: Client) -> None:
    with pytest.raises(E.ParamError):
        await client.enable_metrics({"interval": 1})  # type: ignore[arg-type]
    with pytest.raises(E.ParamError):
        await client.enable_metrics(MetricsPolicy(interval="1"))  # type: ignore[arg-type]
    with pytest.raises(E.ClientError):
        await client.enable_metrics(MetricsPolicy(report_size_limit=10))
    await client.disable_metrics()  # nothing enabled: no error


async def test_get_stats_counts_errors(client: Client, make_key) -> None:
    key = make_key()
    await client.put(key, {"v": 1})
    before = sum(n.error_count for n in client.get_stats().nodes)
    with pytest.raises(E.RecordExistsError):
        await client.put(key, {"v": 2}, policy={"exists": 1})  # POLICY_EXISTS_CREATE
    stats = client.get_stats()
    assert sum(n.error_count for n in stats.nodes) == before + 1
    for node in stats.nodes:
        assert node.conns.in_use >= 0 and node.conns.in_pool >= 0
        assert node.timeout_count >= 0 and node.key_busy_count >= 0


def test_sync_listeners_threads(config: dict, make_key, namespace: str) -> None:
    import aerospike
    rec = Recorder()
    client = aerospike.client({**config, "tend_interval": 50})
    try:
        client.enable_metrics(_policy(metrics_listeners=rec.listeners()))
        for i in range(10):
            client.put(make_key(i), {"v": i})
            client.get(make_key(i))
        assert rec.snapshot.wait(10)
        deadline = time.monotonic() + 10
        while not any(c.command_count >= 20 for c in rec.of("snapshot")):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        client.disable_metrics()
        me = threading.current_thread().name
        threads = {event: thread for event, _a, thread in rec.events}
        # enable/disable on the caller's thread, snapshots on the tending thread
        assert threads["enable"] == me and threads["disable"] == me
        assert threads["snapshot"] != me
        _check_cluster(rec.of("disable")[0], namespace, 20)
        stats = client.get_stats()
        assert isinstance(stats, ClusterStats) and stats.nodes

        def boom() -> None:
            raise ValueError("no")
        bad = MetricsListeners(boom, lambda c: None, lambda n: None, lambda c: None)
        with pytest.raises(aerospike.exception.ClientError, match="enable_listener"):
            client.enable_metrics(MetricsPolicy(metrics_listeners=bad))
    finally:
        client.close()


def test_sync_writer_and_close(config: dict, make_key, tmp_path: Path) -> None:
    import aerospike
    client = aerospike.client({**config, "tend_interval": 50})
    try:
        client.enable_metrics(_policy(report_dir=str(tmp_path)))
        client.put(make_key(), {"v": 1})
    finally:
        client.close()  # disables metrics: a last snapshot, then the file is closed
    files = list(tmp_path.glob("metrics-*.log"))
    assert len(files) == 1
    lines = files[0].read_text().splitlines()
    assert HEADER.match(lines[0]) and CLUSTER.match(lines[-1])
