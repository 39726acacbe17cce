"""The cluster tender: seeds, node validation, peers, partition map, pools.

One coroutine tends every ``tend_interval``; it publishes immutable
snapshots (the node tuple and the partition map) that commands read without
locks. The rules follow the official clients (see shared/REFERENCE.md §1-2).
"""
from __future__ import annotations

import asyncio
import logging
import random
from typing import Iterable

from ..exceptions import (ClientError, ConnectionError, InvalidNodeError,
                          NamespaceNotFound)
from ..protocol import topology
from ..protocol.digest import PARTITIONS
from .connection import ConnectionClosed, SocketTimeout
from .node import Node
from .pool import Pool

log = logging.getLogger("aerospike_async.cluster")

REPLICA_MASTER = 0
REPLICA_ANY = 1
REPLICA_SEQUENCE = 2
REPLICA_PREFER_RACK = 3
REPLICA_RANDOM = 4

_IO_ERRORS = (ConnectionClosed, SocketTimeout, OSError, ValueError, asyncio.TimeoutError)
_BALANCE_EVERY = 30


class ClusterSettings:
    """What the tender needs from the client config, in seconds."""

    __slots__ = ("seeds", "tend_interval", "connect_timeout", "info_timeout", "cluster_name",
                 "max_conns_per_node", "min_conns_per_node", "max_socket_idle",
                 "max_error_rate", "error_rate_window", "use_services_alternate",
                 "fail_if_not_connected")

    def __init__(self, seeds: list[tuple[str, int]], tend_interval: float = 1.0,
                 connect_timeout: float = 1.0, info_timeout: float = 1.0,
                 cluster_name: str | None = None, max_conns_per_node: int = 100,
                 min_conns_per_node: int = 0, max_socket_idle: float = 0.0,
                 max_error_rate: int = 100, error_rate_window: int = 1,
                 use_services_alternate: bool = False,
                 fail_if_not_connected: bool = True) -> None:
        self.seeds = seeds
        self.tend_interval = tend_interval
        self.connect_timeout = connect_timeout
        self.info_timeout = info_timeout
        self.cluster_name = cluster_name
        self.max_conns_per_node = max_conns_per_node
        self.min_conns_per_node = min_conns_per_node
        self.max_socket_idle = max_socket_idle
        self.max_error_rate = max_error_rate
        self.error_rate_window = error_rate_window
        self.use_services_alternate = use_services_alternate
        self.fail_if_not_connected = fail_if_not_connected


class Cluster:
    """The live view of the cluster: nodes, partition map, and the tend loop."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.nodes: tuple[Node, ...] = ()
        self.nodes_by_name: dict[str, Node] = {}
        self.partition_map: topology.PartitionMap = {}
        self._regimes: dict[str, list[int]] = {}
        self.tend_count = 0
        self._tend_task: asyncio.Task | None = None
        self._closed = False
        self._peers_key = "peers-clear-alt" if settings.use_services_alternate else "peers-clear-std"

    # -- lifecycle ---------------------------------------------------------------
    async def connect(self) -> None:
        await self.tend()
        if not self.nodes and self.settings.fail_if_not_connected:
            seeds = ", ".join(f"{h}:{p}" for h, p in self.settings.seeds)
            raise ConnectionError(-10, f"Failed to connect to seed(s): {seeds}", None, None,
                                  False)
        self._tend_task = asyncio.get_running_loop().create_task(self._tend_loop())

    async def _tend_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self.settings.tend_interval)
            try:
                await self.tend()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the tender must survive anything
                log.exception("tend failed")

    async def close(self) -> None:
        self._closed = True
        task = self._tend_task
        self._tend_task = None
        if task is not None:
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        for node in self.nodes:
            node.close()
        self.nodes = ()
        self.nodes_by_name = {}

    @property
    def is_connected(self) -> bool:
        return not self._closed and any(n.active for n in self.nodes)

    # -- tending -----------------------------------------------------------
    async def tend(self) -> None:
        """One tend: seed if empty, refresh nodes, follow peers, refresh partitions."""
        s = self.settings
        if not self.nodes:
            await self._seed()
            if not self.nodes:
                return
        for node in self.nodes:
            node.reference_count = 0
            node.partition_changed = False
        results = await asyncio.gather(*(self._refresh(n) for n in self.nodes))
        peers_changed = any(results)
        if peers_changed:
            await self._refresh_peers()
            self._remove_nodes()
        for node in self.nodes:
            if (node.partition_changed and node.failures == 0 and node.active
                    and (node.peers_count > 0 or node.refresh_count == 1)):
                await self._refresh_partitions(node)
        self.tend_count += 1
        if self.tend_count % max(s.error_rate_window, 1) == 0:
            for node in self.nodes:
                node.error_count = 0
        if self.tend_count % _BALANCE_EVERY == 0:
            await self._balance_pools()

    async def _seed(self) -> None:
        s = self.settings
        for host, port in s.seeds:
            node = await self._validate(host, port)
            if node is not None:
                self._add_nodes([node])
                return

    async def _validate(self, host: str, port: int, expected_name: str | None = None
                        ) -> Node | None:
        """Connect to an address and make a Node of it, or None if it is not usable."""
        s = self.settings
        pool = Pool(host, port, s.max_conns_per_node, s.min_conns_per_node,
                    s.max_socket_idle, s.connect_timeout)
        probe = Node("", host, port, frozenset(), pool, s.connect_timeout)
        commands = ["node", "partition-generation", "features"]
        if s.cluster_name:
            commands.append("cluster-name")
        try:
            info = await probe.tend_info(*commands, timeout=s.info_timeout)
        except _IO_ERRORS as exc:
            log.debug("seed %s:%s failed: %s", host, port, exc)
            probe.close()
            return None
        name = info.get("node", "")
        ok = bool(name) and not name.startswith("ERROR")
        if ok and expected_name is not None and name != expected_name:
            ok = False
        if ok and info.get("partition-generation", "-1").strip() == "-1":
            ok = False  # not yet fully initialized
        if ok and s.cluster_name and info.get("cluster-name") != s.cluster_name:
            log.warning("node %s:%s is in cluster %r, expected %r", host, port,
                        info.get("cluster-name"), s.cluster_name)
            ok = False
        if not ok:
            probe.close()
            return None
        probe.name = name
        probe.features = topology.parse_features(info.get("features", ""))
        return probe

    async def _refresh(self, node: Node) -> bool:
        """Refresh one node's generations; True when its peers may have changed."""
        try:
            info = await node.tend_info("node", "peers-generation", "partition-generation",
                                        timeout=self.settings.info_timeout)
            if info.get("node") != node.name:
                node.active = False
                return True
            peers_gen = int(info["peers-generation"])
            part_gen = int(info["partition-generation"])
        except (*_IO_ERRORS, KeyError):
            node.failures += 1
            return True
        changed = peers_gen != node.peers_generation
        if part_gen != node.partition_generation:
            node.partition_changed = True
        node.refresh_count += 1
        if node.failures:
            changed = True
            node.partition_changed = True
            node.failures = 0
        return changed

    async def _refresh_peers(self) -> None:
        seen_new: dict[str, Node] = {}
        for node in list(self.nodes):
            if node.failures or not node.active:
                continue
            try:
                info = await node.tend_info(self._peers_key, timeout=self.settings.info_timeout)
                gen, peers = topology.parse_peers(info[self._peers_key])
            except (*_IO_ERRORS, KeyError):
                node.failures += 1
                continue
            node.peers_count = len(peers)
            all_ok = True
            for peer in peers:
                existing = self.nodes_by_name.get(peer.name) or seen_new.get(peer.name)
                if existing is not None:
                    existing.reference_count += 1
                    continue
                added = None
                for host, port in peer.hosts:
                    added = await self._validate(host, port, peer.name)
                    if added is not None:
                        break
                if added is None:
                    all_ok = False
                    continue
                added.reference_count += 1
                seen_new[peer.name] = added
            if all_ok:
                node.peers_generation = gen
        if seen_new:
            self._add_nodes(seen_new.values())
            for node in seen_new.values():
                node.partition_changed = True

    def _remove_nodes(self) -> None:
        remove = []
        many = len(self.nodes) > 1
        for node in self.nodes:
            if not node.active:
                remove.append(node)
            elif node.refresh_count == 0 and node.failures >= 5:
                remove.append(node)
            elif many and node.refresh_count >= 1 and node.reference_count == 0:
                if node.failures or not self._in_partition_map(node.name):
                    remove.append(node)
        if remove:
            names = {n.name for n in remove}
            for node in remove:
                node.close()
                self.partition_map = topology.remove_node(self.partition_map, node.name)
            self.nodes = tuple(n for n in self.nodes if n.name not in names)
            self.nodes_by_name = {n.name: n for n in self.nodes}

    def _in_partition_map(self, name: str) -> bool:
        return any(name in row for rows in self.partition_map.values() for row in rows)

    async def _refresh_partitions(self, node: Node) -> None:
        try:
            info = await node.tend_info("partition-generation", "replicas",
                                        timeout=self.settings.info_timeout)
            gen = int(info["partition-generation"])
            replicas = topology.parse_replicas(info["replicas"])
        except (*_IO_ERRORS, KeyError):
            node.failures += 1
            return
        self.partition_map, displaced = topology.apply_replicas(
            self.partition_map, self._regimes, node.name, replicas)
        node.partition_generation = gen
        for name in displaced:
            other = self.nodes_by_name.get(name)
            if other is not None:
                other.partition_generation = -1

    def _add_nodes(self, nodes: Iterable[Node]) -> None:
        added = [n for n in nodes if n.name not in self.nodes_by_name]
        if not added:
            return
        self.nodes = self.nodes + tuple(added)
        self.nodes_by_name = {n.name: n for n in self.nodes}
        for node in added:
            node.partition_changed = True
            if node.pool.min_size:
                asyncio.get_running_loop().create_task(self._fill(node))

    async def _fill(self, node: Node) -> None:
        try:
            await node.pool.fill()
        except (*_IO_ERRORS, ClientError):
            pass

    async def _balance_pools(self) -> None:
        for node in self.nodes:
            node.pool.trim()
            if node.pool.total < node.pool.min_size and node.error_count <= self.settings.max_error_rate:
                await self._fill(node)

    # -- routing -----------------------------------------------------------
    def node_for(self, namespace: str, digest: bytes, is_write: bool, replica: int,
                 attempt: int) -> Node:
        """The node for a key: master for writes, by replica policy for reads."""
        rows = self.partition_map.get(namespace)
        if rows is None:
            if not self.nodes:
                raise InvalidNodeError(-8, "No nodes in the cluster", None, None, False)
            raise NamespaceNotFound(20, f"Invalid namespace: {namespace}", None, None, False)
        pid = (digest[0] | (digest[1] << 8)) % PARTITIONS
        by_name = self.nodes_by_name
        if replica == REPLICA_MASTER or (is_write and replica not in
                                         (REPLICA_SEQUENCE, REPLICA_PREFER_RACK)):
            node = by_name.get(rows[0][pid]) if rows[0][pid] else None
            if node is not None and node.active:
                return node
        elif replica == REPLICA_RANDOM:
            live = [n for n in self.nodes if n.active]
            if live:
                return live[random.randrange(len(live))]
        else:
            n = len(rows)
            for i in range(n):
                name = rows[(attempt + i) % n][pid]
                node = by_name.get(name) if name else None
                if node is not None and node.active:
                    return node
        raise InvalidNodeError(-8, f"Node not found for partition {namespace}:{pid}", None,
                               None, False)

    def random_node(self) -> Node:
        live = [n for n in self.nodes if n.active]
        if not live:
            raise InvalidNodeError(-8, "Cluster is empty", None, None, False)
        return live[random.randrange(len(live))]

    def __repr__(self) -> str:
        return (f"<Cluster nodes={len(self.nodes)} tends={self.tend_count} "
                f"namespaces={sorted(self.partition_map)}>")
