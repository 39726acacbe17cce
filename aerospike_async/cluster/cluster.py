"""The cluster tender: seeds, node validation, peers, partition map, pools.

One coroutine tends every ``tend_interval``; it publishes immutable
snapshots (the node tuple and the partition map) that commands read without
locks. The rules follow the official clients, the C client where they differ
(see shared/REFERENCE.md §1-4):

- a tend refreshes every node (``node``, ``peers-generation``,
  ``partition-generation``, plus ``rebalance-generation`` when rack aware) on
  its own tend connection;
- when any peers generation changed or any node failed, every healthy node's
  peers are read, unknown peers validated and added, and the removal rules
  run;
- a node whose partition generation changed has its ``replicas`` applied,
  unless it is failing, not initialized (generation -1) or alone while others
  answered (the split-cluster guard).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import random
from typing import Any, Iterable

from ..exceptions import (ClientError, ConnectionError, InvalidNodeError,
                          NamespaceNotFound, TLSError, exception_for)
from ..protocol import topology
from ..protocol.digest import PARTITION_IDS, PARTITIONS
from .auth import Credentials, LoginFailed
from .connection import ConnectionClosed, SocketTimeout, TLSFailure
from .metrics import MetricsState
from .node import Node
from .blocking import BlockingPool
from .pool import Pool

log = logging.getLogger("aerospike_async.cluster")

REPLICA_MASTER = 0
REPLICA_ANY = 1
REPLICA_SEQUENCE = 2
REPLICA_PREFER_RACK = 3
REPLICA_RANDOM = 4

READ_MODE_SC_SESSION = 0
READ_MODE_SC_LINEARIZE = 1

_IO_ERRORS = (ConnectionClosed, SocketTimeout, OSError, ValueError, asyncio.TimeoutError)
_BALANCE_EVERY = 30
_MAX_FAILURES = 5


class ClusterSettings:
    """What the tender needs from the client config, in seconds."""

    __slots__ = ("seeds", "tend_interval", "connect_timeout", "info_timeout", "cluster_name",
                 "max_conns_per_node", "min_conns_per_node", "sync_min_conns_per_node",
                 "max_socket_idle",
                 "max_error_rate", "error_rate_window", "use_services_alternate",
                 "fail_if_not_connected", "rack_aware", "rack_ids", "tls", "tls_config",
                 "seed_tls_names", "credentials")

    def __init__(self, seeds: list[tuple[str, int]], tend_interval: float = 1.0,
                 connect_timeout: float = 1.0, info_timeout: float = 1.0,
                 cluster_name: str | None = None, max_conns_per_node: int = 100,
                 min_conns_per_node: int = 0, max_socket_idle: float = 0.0,
                 max_error_rate: int = 100, error_rate_window: int = 1,
                 use_services_alternate: bool = False,
                 fail_if_not_connected: bool = True, rack_aware: bool = False,
                 rack_ids: list[int] | None = None, tls: bool = False,
                 tls_config: Any = None,
                 seed_tls_names: dict[tuple[str, int], str] | None = None,
                 credentials: Credentials | None = None) -> None:
        self.seeds = seeds
        self.tend_interval = tend_interval
        self.connect_timeout = connect_timeout
        self.info_timeout = info_timeout
        self.cluster_name = cluster_name
        self.max_conns_per_node = max_conns_per_node
        self.min_conns_per_node = min_conns_per_node  # of each node's loop pool
        self.sync_min_conns_per_node = 0  # of each node's blocking pool
        self.max_socket_idle = max_socket_idle
        self.max_error_rate = max_error_rate
        self.error_rate_window = error_rate_window
        self.use_services_alternate = use_services_alternate
        self.fail_if_not_connected = fail_if_not_connected
        self.rack_aware = rack_aware
        self.rack_ids = list(rack_ids or [0])
        self.tls = tls or tls_config is not None
        self.tls_config = tls_config  # a TLSConfig: every connection is encrypted
        self.seed_tls_names = dict(seed_tls_names or {})  # (host, port) -> tls name
        self.credentials = credentials  # log in to every node as them (None: no login)

    @property
    def tend_timeout(self) -> float:
        """Bound of each tend request: the connect timeout, as the C client's tender
        uses (else the info policy's timeout)."""
        return self.connect_timeout or self.info_timeout

    @property
    def peers_command(self) -> str:
        """``peers-{clear,tls}-{std,alt}`` as configured."""
        return (f"peers-{'tls' if self.tls else 'clear'}-"
                f"{'alt' if self.use_services_alternate else 'std'}")


class _Peers:
    """Scratch state of one tend (Java ``Peers``, C ``as_peers``)."""

    __slots__ = ("gen_changed", "refresh_count", "nodes", "failed", "replace")

    def __init__(self) -> None:
        self.gen_changed = False
        self.refresh_count = 0
        self.nodes: dict[str, Node] = {}  # validated this tend, not yet added
        self.failed: set[tuple[str, int]] = set()  # hosts that failed validation this tend
        self.replace: list[Node] = []  # same name, new address


class Cluster:
    """The live view of the cluster: nodes, partition map, and the tend loop."""

    def __init__(self, settings: ClusterSettings) -> None:
        self.settings = settings
        self.nodes: tuple[Node, ...] = ()
        self.nodes_by_name: dict[str, Node] = {}
        self.partition_map: topology.PartitionMap = {}
        self.sc_namespaces: frozenset[str] = frozenset()
        self._regimes: dict[str, list[int]] = {}
        # per namespace: its masters row and the partitions grouped by it (master_partitions)
        self._by_master: dict[str, tuple[tuple, dict[str | None, list[int]]]] = {}
        self.tend_count = 0
        self._tend_task: asyncio.Task | None = None
        self._closed = False
        self._round_robin = itertools.count()
        self._fill_tasks: set[asyncio.Task] = set()
        self._tls_failure: TLSFailure | None = None  # the last failed handshake of a seed
        self._login_failure: LoginFailed | None = None  # the last login a seed refused
        # extended metrics (metrics.MetricsState) while enabled; the counters below are
        # cumulative, as in the C client
        self.metrics: MetricsState | None = None
        self.command_count = 0  # counted only while metrics are enabled
        self.retry_count = 0
        self.invalid_node_count = 0

    # -- lifecycle ---------------------------------------------------------------
    async def connect(self) -> None:
        """The first tend, synchronously; raises ConnectionError when no seed answered."""
        await self.tend()
        if not self.nodes and self.settings.fail_if_not_connected:
            seeds = ", ".join(f"{h}:{p}" for h, p in self.settings.seeds)
            if self._tls_failure is not None:
                # every seed that answered refused the handshake: a TLS misconfiguration
                raise TLSError(-9, f"Failed to connect to seed(s): {seeds}: "
                               f"{self._tls_failure}", None, None, False)
            if self._login_failure is not None:
                # the login was refused: the server's reason (as the C client reports it)
                raise exception_for(self._login_failure.code,
                                    f"Failed to connect to seed(s): {seeds}: "
                                    f"{self._login_failure}", False)
            # the official client's message; which seeds failed goes to the log
            log.warning("failed to connect to seed(s): %s", seeds)
            raise ConnectionError(-10, "Failed to connect", None, None, False)
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
        for t in list(self._fill_tasks):
            t.cancel()
        for node in self.nodes:
            node.close()
        self.nodes = ()
        self.nodes_by_name = {}

    @property
    def is_connected(self) -> bool:
        return not self._closed and any(n.active for n in self.nodes)

    # -- tending -----------------------------------------------------------
    async def tend(self) -> None:
        """One tend (REFERENCE §1): seed if empty, refresh nodes, follow peers,
        remove and add nodes, refresh partitions and racks, balance pools."""
        s = self.settings
        peers = _Peers()
        if not self.nodes:
            await self._seed(peers)
            if not self.nodes:
                return
        for node in self.nodes:
            node.reference_count = 0
            node.partition_changed = False
            node.rebalance_changed = False
        nodes = self.nodes
        await asyncio.gather(*(self._refresh(n, peers) for n in nodes))
        if peers.gen_changed:
            # read the peers of every node that answered, even if only one changed
            peers.refresh_count = 0
            for node in nodes:
                await self._refresh_peers(node, peers)
            names = set(topology.nodes_to_remove(
                [topology.NodeState(n.name, n.active, n.failures, n.reference_count)
                 for n in nodes], peers.refresh_count, self.partition_map))
            remove = [n for n in nodes if n.name in names]
            remove += [n for n in peers.replace if n not in remove]
            # add new peers, then their peers, until nothing new appears
            while peers.nodes:
                found = list(peers.nodes.values())
                peers.nodes.clear()
                self._add_nodes(found, replacing=remove)
                for node in found:
                    await self._refresh_peers(node, peers)
            if remove:
                self._remove_nodes(remove)
        for node in self.nodes:
            if topology.may_refresh_partitions(node.partition_changed, node.failures,
                                               node.active, node.peers_count,
                                               peers.refresh_count):
                await self._refresh_partitions(node)
            if s.rack_aware and node.rebalance_changed and node.failures == 0 and node.active:
                await self._refresh_racks(node)
        self.tend_count += 1
        if self.tend_count % max(s.error_rate_window, 1) == 0:
            for node in self.nodes:
                node.error_count = 0
        if self.tend_count % _BALANCE_EVERY == 0:
            self._balance_pools()
        self.invalid_node_count += len(peers.failed)
        metrics = self.metrics
        if metrics is not None and self.tend_count % metrics.interval == 0:
            try:
                metrics.on_snapshot(self)
            except Exception:  # noqa: BLE001 - metrics failures must not stop the tender
                log.warning("metrics snapshot failed", exc_info=True)

    async def _seed(self, peers: _Peers) -> None:
        """Validate every seed at once; take the first good one in seed order, preferring
        one that has peers when there are several seeds (a lone seed is a fallback)."""
        seeds = self.settings.seeds
        names = self.settings.seed_tls_names
        self._tls_failure = None
        self._login_failure = None
        results = await asyncio.gather(*(self._validate(h, p, tls_name=names.get((h, p)))
                                         for h, p in seeds))
        chosen: Node | None = None
        fallback: Node | None = None
        for node in results:
            if node is None or chosen is not None:
                if node is not None and node is not fallback:
                    node.close()
                continue
            if len(seeds) > 1:
                try:
                    _gen, found = await self._read_peers(node)
                except (*_IO_ERRORS, KeyError):
                    node.close()
                    continue
                if not found:
                    if fallback is None:
                        fallback = node
                    else:
                        node.close()
                    continue
            chosen = node
        if chosen is None:
            chosen = fallback
        elif fallback is not None:
            fallback.close()
        if chosen is not None:
            self._add_nodes([chosen])

    def _new_node(self, host: str, port: int, tls_name: str | None = None) -> Node:
        """A node object for an address, not yet validated (tests override this); with
        TLS its connections verify the server's certificate against ``tls_name``."""
        s = self.settings
        pool = Pool(host, port, s.max_conns_per_node, s.min_conns_per_node,
                    s.max_socket_idle, s.connect_timeout, s.tls_config, tls_name)
        return Node("", host, port, frozenset(), pool, s.connect_timeout,
                    s.sync_min_conns_per_node, s.credentials)

    async def _validate(self, host: str, port: int, expected_name: str | None = None,
                        tls_name: str | None = None) -> Node | None:
        """Connect to an address and make a Node of it, or None if it is not usable:
        unreachable, no name, not yet initialized (partition-generation -1), another
        cluster's, or (for a peer) another name than the peer list says."""
        s = self.settings
        probe = (self._new_node(host, port) if s.tls_config is None
                 else self._new_node(host, port, tls_name))
        commands = ["node", "partition-generation", "features"]
        if s.cluster_name:
            commands.append("cluster-name")
        try:
            info = await probe.tend_info(*commands, timeout=s.tend_timeout)
        except _IO_ERRORS as exc:
            if isinstance(exc, TLSFailure):
                log.warning("node %s:%s failed validation: %s", host, port, exc)
                self._tls_failure = exc
            elif isinstance(exc, LoginFailed):
                log.warning("node %s:%s refused the login: code %s", host, port, exc.code)
                self._login_failure = exc
            else:
                log.debug("node %s:%s failed validation: %s", host, port, exc)
            probe.close()
            return None
        name = info.get("node", "")
        reason = None
        if topology.is_error(name) or not name:
            reason = "no node name"
        elif expected_name is not None and name != expected_name:
            reason = f"node name {name!r}, peers list {expected_name!r}"
        elif topology.trusted_partition_generation(info.get("partition-generation")) is None:
            reason = "not yet fully initialized"
        elif s.cluster_name and info.get("cluster-name") != s.cluster_name:
            reason = f"cluster name {info.get('cluster-name')!r}, expected {s.cluster_name!r}"
        if reason is not None:
            log.warning("node %s:%s rejected: %s", host, port, reason)
            probe.close()
            return None
        probe.name = name
        probe.features = topology.parse_features(info.get("features", ""))
        return probe

    async def _refresh(self, node: Node, peers: _Peers) -> None:
        """Refresh one node's generations (Java ``Node.refresh``)."""
        if not node.active:
            return
        commands = ["node", "peers-generation", "partition-generation"]
        if self.settings.rack_aware:
            commands.append("rebalance-generation")
        try:
            info = await node.tend_info(*commands, timeout=self.settings.tend_timeout)
            if info.get("node") != node.name:
                log.warning("node %s at %s now answers as %r", node.name, node.address,
                            info.get("node"))
                node.active = False
                peers.gen_changed = True
                return
            peers_gen = int(info["peers-generation"])
            part_gen = int(info["partition-generation"])
            rebalance_gen = (int(info["rebalance-generation"])
                             if self.settings.rack_aware
                             and not topology.is_error(info.get("rebalance-generation"))
                             else node.rebalance_generation)
        except (*_IO_ERRORS, KeyError) as exc:
            peers.gen_changed = True
            self._refresh_failed(node, exc)
            return
        if peers_gen != node.peers_generation:
            peers.gen_changed = True
            if 0 <= peers_gen < node.peers_generation:
                # the generation went down: the node restarted quickly
                log.info("node %s restarted", node.name)
                node.error_count = 0
                self._schedule_fill(node)
        if part_gen != node.partition_generation:
            node.partition_changed = True
        if rebalance_gen != node.rebalance_generation:
            node.rebalance_changed = True
            node.rebalance_generation = rebalance_gen
        peers.refresh_count += 1
        if node.failures:
            # it failed before: read everything again
            peers.gen_changed = True
            node.partition_changed = True
            node.rebalance_changed = self.settings.rack_aware
        node.failures = 0
        node.refresh_count += 1

    @staticmethod
    def _refresh_failed(node: Node, exc: BaseException) -> None:
        node.failures += 1
        node.tend_failures_total += 1
        node.close_tend_connection()
        log.debug("tend of node %s failed (%d): %s", node.name, node.failures, exc)

    async def _read_peers(self, node: Node) -> tuple[int, list[topology.Peer]]:
        key = self.settings.peers_command
        info = await node.tend_info(key, timeout=self.settings.tend_timeout)
        value = info[key]
        if topology.is_error(value):
            raise KeyError(key)
        return topology.parse_peers(value)

    async def _refresh_peers(self, node: Node, peers: _Peers) -> None:
        """Read one node's peers, validate unknown ones (Java ``Node.refreshPeers``)."""
        if node.failures or not node.active:
            return
        try:
            gen, found = await self._read_peers(node)
        except (*_IO_ERRORS, KeyError) as exc:
            self._refresh_failed(node, exc)
            return
        node.peers_count = len(found)
        all_ok = True
        for peer in found:
            if self._find_peer_node(peer, peers):
                continue
            added = None
            for host, port in peer.hosts:
                if (host, port) in peers.failed:
                    continue
                added = await self._validate(host, port, peer.name,
                                             tls_name=peer.tls_name or None)
                if added is not None:
                    break
                peers.failed.add((host, port))
            if added is None:
                all_ok = False
                continue
            added.reference_count += 1
            peers.nodes[added.name] = added
        if all_ok:
            node.peers_generation = gen  # only once every peer it lists is known
        peers.refresh_count += 1

    def _find_peer_node(self, peer: topology.Peer, peers: _Peers) -> bool:
        node = self.nodes_by_name.get(peer.name)
        if node is not None:
            if (node.failures <= 0 or (node.host, node.port) in peer.hosts
                    or node.host in ("127.0.0.1", "localhost", "::1")):
                node.reference_count += 1
                return True
            # same name, another address, and the old one fails: replace it
            if node not in peers.replace:
                peers.replace.append(node)
            return False
        node = peers.nodes.get(peer.name)
        if node is not None:
            node.reference_count += 1
            return True
        return False

    def _remove_nodes(self, remove: list[Node]) -> None:
        """Close these node objects and publish the node list without them."""
        kept = tuple(n for n in self.nodes if n not in remove)
        metrics = self.metrics
        for node in remove:
            if metrics is not None:
                try:
                    metrics.on_node_close(node)
                except Exception:  # noqa: BLE001 - metrics failures must not stop the tender
                    log.warning("metrics node close failed", exc_info=True)
            log.info("node %s %s removed", node.name, node.address)
            node.close()
        live = {n.name for n in kept}
        pmap = self.partition_map
        for node in remove:
            if node.name not in live:
                pmap = topology.remove_node(pmap, node.name)
        self.partition_map = pmap
        self.nodes = kept
        self.nodes_by_name = {n.name: n for n in kept}

    async def _refresh_partitions(self, node: Node) -> None:
        try:
            info = await node.tend_info("partition-generation", "replicas",
                                        timeout=self.settings.tend_timeout)
            gen = topology.trusted_partition_generation(info.get("partition-generation"))
            if gen is None:
                return  # restarting: its empty bitmaps are not the truth
            value = info["replicas"]
            if topology.is_error(value):
                raise KeyError("replicas")
            replicas = topology.parse_replicas(value)
        except (*_IO_ERRORS, KeyError) as exc:
            self._refresh_failed(node, exc)
            return
        self.partition_map, displaced = topology.apply_replicas(
            self.partition_map, self._regimes, node.name, replicas)
        sc = topology.sc_namespaces(replicas)
        plain = set(replicas) - sc
        self.sc_namespaces = frozenset((self.sc_namespaces - plain) | sc)
        node.partition_generation = gen
        for name in displaced:
            other = self.nodes_by_name.get(name)
            if other is not None:
                other.partition_generation = -1

    async def _refresh_racks(self, node: Node) -> None:
        """``rack-ids`` (the C client's command), or the ``racks:`` listing."""
        try:
            info = await node.tend_info("rack-ids", timeout=self.settings.tend_timeout)
            value = info.get("rack-ids")
            if not topology.is_error(value):
                node.racks = topology.parse_rack_ids(value)  # type: ignore[arg-type]
                return
            info = await node.tend_info("racks:", timeout=self.settings.tend_timeout)
            value = info.get("racks:")
            node.racks = {} if topology.is_error(value) else topology.parse_racks(
                value, node.name)  # type: ignore[arg-type]
        except _IO_ERRORS as exc:
            self._refresh_failed(node, exc)

    def _add_nodes(self, nodes: Iterable[Node], replacing: Iterable[Node] = ()) -> None:
        """Publish new nodes; one with the name of a node in ``replacing`` takes its place."""
        current = {n.name: n for n in self.nodes}
        added = []
        for node in nodes:
            old = current.get(node.name)
            if old is not None and old not in replacing:
                node.close()  # already known
                continue
            added.append(node)
        if not added:
            return
        names = {n.name for n in added}
        self.nodes = tuple(n for n in self.nodes if n.name not in names) + tuple(added)
        self.nodes_by_name = {n.name: n for n in self.nodes}
        for node in added:
            old = current.get(node.name)
            if old is not None:
                log.info("node %s moved from %s to %s", node.name, old.address, node.address)
                old.close()
            else:
                log.info("node %s %s added", node.name, node.address)
            node.partition_changed = True
            node.rebalance_changed = self.settings.rack_aware
            if self.metrics is not None:
                node.metrics_columns = self.metrics.columns
                node.metrics_on = True
            self._schedule_fill(node)

    def _schedule_fill(self, node: Node) -> None:
        """Open connections in the background up to each of the node's pool minimums."""
        for pool in (node.pool, node.sync_pool):
            if pool.min_size and pool.total < pool.min_size and not self._closed:
                task = asyncio.get_running_loop().create_task(self._fill(pool))
                self._fill_tasks.add(task)
                task.add_done_callback(self._fill_tasks.discard)

    @staticmethod
    async def _fill(pool: Pool | BlockingPool) -> None:
        try:
            await pool.fill()
        except (*_IO_ERRORS, ClientError):
            pass

    def _balance_pools(self) -> None:
        """Every 30 tends: trim idle connections, refill to the minimum when healthy."""
        limit = self.settings.max_error_rate
        for node in self.nodes:
            node.pool.trim()
            node.sync_pool.trim()
            if limit <= 0 or node.error_count <= limit:
                self._schedule_fill(node)

    # -- routing -----------------------------------------------------------
    def reads_master_first(self, replica: int) -> bool:
        """Whether node_for sends the first try (attempt 0) of a read by ``replica`` to
        the partition's master when it is live (writes always go there first)."""
        return replica in (REPLICA_MASTER, REPLICA_SEQUENCE) or (
            replica == REPLICA_PREFER_RACK and not self.settings.rack_aware)

    def master_partitions(self, namespace: str) -> dict[str | None, list[int]]:
        """Every partition of ``namespace`` grouped by the name of its master (None: not
        known), in the order the masters first appear; empty when the namespace is
        unknown. Grouped once per partition map (a namespace's rows are replaced, never
        changed, when the map changes): the lists are shared, do not change them."""
        rows = self.partition_map.get(namespace)
        if not rows:
            return {}
        masters = rows[0]
        kept = self._by_master.get(namespace)
        if kept is None or kept[0] is not masters:
            kept = self._by_master[namespace] = (
                masters, topology.group_by_owner(PARTITION_IDS, masters))
        return kept[1]

    def live_master(self, namespace: str, digest: bytes) -> Node | None:
        """The live master of the digest's partition; None when the namespace, the master
        or its liveness is unknown (node_for then decides)."""
        rows = self.partition_map.get(namespace)
        if not rows:
            return None
        name = rows[0][(digest[0] | (digest[1] << 8)) % PARTITIONS]
        node = self.nodes_by_name.get(name) if name else None
        return node if node is not None and node.active else None

    def node_for(self, namespace: str, digest: bytes, is_write: bool, replica: int,
                 attempt: int, prev: Node | None = None) -> Node:
        """The node for a key (REFERENCE §4): by replica policy, ``attempt`` being the
        sequence (how many times the command moved on), ``prev`` the last node tried."""
        rows = self.partition_map.get(namespace)
        if rows is None:
            if not self.nodes:
                raise InvalidNodeError(-8, "No nodes in the cluster", None, None, False)
            raise NamespaceNotFound(20, f"Invalid namespace: {namespace}", None, None, False)
        pid = (digest[0] | (digest[1] << 8)) % PARTITIONS
        by_name = self.nodes_by_name
        if is_write and replica not in (REPLICA_SEQUENCE, REPLICA_PREFER_RACK):
            replica = REPLICA_MASTER
        if replica == REPLICA_PREFER_RACK and not is_write and self.settings.rack_aware:
            node = self._prefer_rack(namespace, rows, pid, attempt, prev)
            if node is not None:
                return node
        elif replica == REPLICA_MASTER:
            name = rows[0][pid]
            node = by_name.get(name) if name else None
            if node is not None and node.active:
                return node
        elif replica == REPLICA_RANDOM:
            live = [n for n in self.nodes if n.active]
            if live:
                return live[random.randrange(len(live))]
        else:
            n = len(rows)
            start = next(self._round_robin) if replica == REPLICA_ANY else attempt
            for i in range(n):
                name = rows[(start + i) % n][pid]
                node = by_name.get(name) if name else None
                if node is not None and node.active:
                    return node
        raise InvalidNodeError(-8, f"Node not found for partition {namespace}:{pid}", None,
                               None, False)

    def _prefer_rack(self, namespace: str, rows: list[tuple], pid: int, attempt: int,
                     prev: Node | None) -> Node | None:
        """C ``prefer_rack_node``: the first live replica on a preferred rack that is not
        the node that just failed; else one on another rack; else that node again."""
        by_name = self.nodes_by_name
        n = len(rows)
        other_rack: Node | None = None
        same_as_prev: Node | None = None
        for rack in self.settings.rack_ids:
            for j in range(n):
                name = rows[(attempt + j) % n][pid]
                node = by_name.get(name) if name else None
                if node is None or not node.active:
                    continue
                if node is not prev:
                    if node.has_rack(namespace, rack):
                        return node
                    if other_rack is None:
                        other_rack = node
                elif same_as_prev is None:
                    same_as_prev = node
        return other_rack or same_as_prev

    def effective_replica(self, namespace: str, replica: int, read_mode_sc: int | None
                          ) -> tuple[int, bool]:
        """(replica, linearize) of a read: in a strong-consistency namespace SESSION reads
        the master and LINEARIZE turns PREFER_RACK into SEQUENCE (C ``as_command``)."""
        if namespace in self.sc_namespaces:
            if read_mode_sc == READ_MODE_SC_SESSION:
                return REPLICA_MASTER, False
            if read_mode_sc == READ_MODE_SC_LINEARIZE:
                if replica == REPLICA_PREFER_RACK:
                    replica = REPLICA_SEQUENCE
                return replica, True
        return replica, False

    def random_node(self) -> Node:
        live = [n for n in self.nodes if n.active]
        if not live:
            raise InvalidNodeError(-8, "Cluster is empty", None, None, False)
        return live[random.randrange(len(live))]

    def __repr__(self) -> str:
        return (f"<Cluster nodes={len(self.nodes)} tends={self.tend_count} "
                f"namespaces={sorted(self.partition_map)}>")
