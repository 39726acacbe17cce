"""An in-process Aerospike cluster: N embedded nodes on their own loopback ports, one loop.

Every node has its own store. The 4096 partitions are spread over the live nodes by
succession lists (per partition, the nodes ordered by a hash of node name and partition
id; the first ``replication_factor`` live nodes own it, master first), so a node that
leaves hands its partitions to the next nodes in line and takes exactly them back when
it returns, as the real server does.

Writes are replicated synchronously: a record stored on one node is stored on every
other node holding its partition before the reply leaves. A single-record command that
reaches a node which does not hold the partition (or a write that reaches a replica) is
answered by the master in-process, as the real server proxies it. Info replies follow a
real 3-node cluster (``wire-vectors/cluster/three-nodes.json``): peers and alumni lists,
``replicas`` bitmaps, generations that move when the cluster changes, a restarted node
answering ``partition-generation`` -1 with no peers until it joins, then taking its
partitions back in a few migration steps while ``cluster-stable`` reports an unstable
cluster.

Batch rows are routed the same way, key by key. A node that loses a partition drops its
copy once the new owners have theirs; scans and queries answer only the partitions a node
masters (``Engine.partition_owner``), the others are reported unavailable.

``async with EmbeddedCluster() as c:`` runs on the current loop; ``EmbeddedCluster.
run_in_thread()`` runs it on a private loop in a daemon thread with blocking controls.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import ssl
from typing import Any, Callable, Iterable

from ..protocol.framing import MSG_AS, MSG_INFO
from ..protocol.info import parse_info_request
from ..protocol.message import FIELD_DIGEST, INFO2_WRITE, Message
from .engine import Answer, Engine, reply
from .node import N_PARTITIONS, NO_PARTITIONS, Node, Peer
from .security import Security, Users
from .server import Listener, handle_message, server_tls_context
from .store import Namespace, Record, Store
from .threaded import EndpointView, ThreadRunner

log = logging.getLogger(__name__)

PARTITION_UNAVAILABLE = 11
"""What a node that has not joined a cluster answers a record command."""

_BYTES = N_PARTITIONS // 8
_MASK = N_PARTITIONS - 1

CLUSTER_WIDE_INFO = ("sindex-create", "sindex-delete", "udf-put", "udf-remove", "truncate",
                     "truncate-namespace", "truncate-undo", "truncate-namespace-undo")
"""Info commands the real server spreads over the cluster (system metadata): a node that
receives one runs it on every live node."""

_REPLAY_ON_JOIN = ("sindex-create", "sindex-delete", "udf-put", "udf-remove")
"""Cluster-wide info commands a node that joins later receives (truncations are not
replayed: its records come from nodes that already applied them)."""


def partition_of(digest: bytes) -> int:
    """Partition id of a record digest: first two bytes little-endian, modulo 4096."""
    return (digest[0] | digest[1] << 8) & _MASK


def succession(names: list[str], pid: int) -> list[int]:
    """Indexes of ``names`` in succession order for partition ``pid`` (rendezvous hash)."""
    def weight(index: int) -> bytes:
        return hashlib.blake2b(f"{names[index]}/{pid}".encode(), digest_size=8).digest()
    return sorted(range(len(names)), key=weight, reverse=True)


class _Records(dict):
    """A namespace's record dict on one cluster node: every change is replayed on the
    other live nodes holding the record's partition (through their Namespace.put/delete,
    so whatever a store does on put also happens on the replicas)."""

    __slots__ = ("cluster", "slot", "ns")

    def __init__(self, cluster: EmbeddedCluster, slot: int, ns: str,
                 initial: dict[bytes, Record] | None = None) -> None:
        super().__init__(initial or {})
        self.cluster = cluster
        self.slot = slot
        self.ns = ns

    def __setitem__(self, digest: bytes, rec: Record) -> None:
        dict.__setitem__(self, digest, rec)
        if not self.cluster._replicating:
            self.cluster._replicate(self, digest, rec)

    def __delitem__(self, digest: bytes) -> None:
        dict.__delitem__(self, digest)
        if not self.cluster._replicating:
            self.cluster._replicate(self, digest, None)

    _MISSING = object()

    def pop(self, digest: bytes, *default: Any) -> Any:
        value = dict.pop(self, digest, self._MISSING)
        if value is self._MISSING:
            if default:
                return default[0]
            raise KeyError(digest)
        if not self.cluster._replicating:
            self.cluster._replicate(self, digest, None)
        return value

    def popitem(self) -> tuple[bytes, Record]:
        digest, rec = dict.popitem(self)
        if not self.cluster._replicating:
            self.cluster._replicate(self, digest, None)
        return digest, rec

    def setdefault(self, digest: bytes, default: Any = None) -> Any:
        if digest in self:
            return dict.__getitem__(self, digest)
        self[digest] = default
        return default

    def update(self, *args: Any, **kwargs: Any) -> None:
        for digest, rec in dict(*args, **kwargs).items():
            self[digest] = rec

    def clear(self) -> None:
        dict.clear(self)
        if not self.cluster._replicating:
            self.cluster._replicate_clear(self)


class _ClusterEngine(Engine):
    """A cluster node's engine: a record command (alone or as a batch row) for a partition
    this node does not hold, or a write to a partition it does not master, runs on the
    partition's master, as the real server proxies it."""

    __slots__ = ("cluster", "slot")

    def __init__(self, engine: Engine, cluster: EmbeddedCluster, slot: int) -> None:
        Engine.__init__(self, engine.store)
        for name in Engine.__slots__:
            setattr(self, name, getattr(engine, name))
        self.cluster = cluster
        self.slot = slot

    def execute_single(self, msg: Message) -> bytes:
        digest = msg.field(FIELD_DIGEST)
        if digest is not None and len(digest) == 20:
            target = self.cluster._owner_for(self.slot, partition_of(digest),
                                             bool(msg.info2 & INFO2_WRITE))
            if target is not None:
                out = target.node.engine.execute_single(msg)
                self.cluster._check_hooks(target)
                return out
        return Engine.execute_single(self, msg)


class _NodeListener(Listener):
    """The network side of one cluster node: routes record commands to the partition's
    owner, spreads cluster-wide info commands, answers the rest itself."""

    def __init__(self, handle: ClusterNode, host: str, port: int,
                 tls_context: ssl.SSLContext | None = None) -> None:
        super().__init__(host, port, tls_context)
        self.handle = handle

    def dispatch(self, msg_type: int, payload: bytes) -> Answer:
        handle = self.handle
        cluster = handle.cluster
        if msg_type == MSG_AS:
            if not handle.joined:
                return reply(PARTITION_UNAVAILABLE)
            out = handle_message(handle.node, MSG_AS, payload)
            cluster._check_hooks(handle)
            return out
        if msg_type == MSG_INFO and handle.joined:
            names = parse_info_request(payload)
            wide = [n for n in names if n.partition(":")[0] in CLUSTER_WIDE_INFO]
            if wide:
                return cluster._info_everywhere(handle, payload, wide)
        return handle_message(handle.node, msg_type, payload)


class ClusterNode:
    """One node of an EmbeddedCluster: ``name``, ``port``, ``address`` and its controls,
    coroutines to await on the cluster's loop."""

    def __init__(self, cluster: EmbeddedCluster, slot: int, name: str, host: str,
                 port: int) -> None:
        self.cluster = cluster
        self.slot = slot
        self.name = name
        self.host = host
        self.node = cluster._new_node(slot, name, host, port)
        self.listener = _NodeListener(self, host, port, cluster.tls_context)
        self.listener.security = cluster.security
        self.joined = False
        """True while the node is a cluster member (owns partitions, routes commands)."""
        self._join_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "joined" if self.joined else ("joining" if self.alive else "stopped")
        return (f"<ClusterNode {self.name} {self.host}:{self.port} {state} "
                f"partition-generation={self.node.partition_generation}>")

    @property
    def port(self) -> int:
        return self.listener.port

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def tls_port(self) -> int:
        """The TLS listener's port (0 without TLS)."""
        return self.listener.tls_port

    @property
    def tls_host(self) -> tuple[str, int, str]:
        """``(address, tls_port, tls_name)``, a client's hosts entry for TLS."""
        return self.host, self.tls_port, self.cluster.tls_name

    @property
    def alive(self) -> bool:
        """True while the node listens (joined or still joining)."""
        return self.listener.listening

    @property
    def store(self) -> Store:
        return self.node.store

    async def stop(self) -> None:
        """Stop answering and close every connection; the survivors take over its
        partitions at once with their data (replicas promoted, new replicas filled)."""
        await self.cluster._stop_node(self)

    async def restart(self, join_delay: float | None = None) -> None:
        """Come back empty on the same port: answer ``partition-generation`` -1 with no
        peers for ``join_delay`` seconds, then join; migrations copy this node's
        partitions back and it takes them over step by step."""
        await self.cluster._restart_node(self, join_delay)

    async def slow(self, seconds: float, info: bool = False) -> None:
        """Delay every data reply (and info replies when ``info``) by ``seconds``; 0 clears."""
        self.listener.set_delay(seconds, info)

    async def kill_mid_reply(self, count: int = 1, info: bool = False) -> None:
        """Send only the first half of the next ``count`` data replies (info replies too
        when ``info``), closing each connection after the half."""
        self.listener.cut_replies(count, info)

    async def garble(self, count: int = 1, info: bool = False) -> None:
        """Answer the next ``count`` data replies (info too when ``info``) with garbage."""
        self.listener.garble_replies(count, info)

    async def clear_faults(self) -> None:
        """Disarm slow, kill_mid_reply and garble."""
        self.listener.clear_faults()


class EmbeddedCluster:
    """``size`` embedded nodes on consecutive (``port`` > 0) or free loopback ports,
    sharing the current event loop, forming one Aerospike cluster."""

    def __init__(self, size: int = 3, replication_factor: int = 2,
                 namespaces: tuple[str, ...] = ("test", "bar"), host: str = "127.0.0.1",
                 cluster_name: str = "asd-cluster", port: int = 0, port_step: int = 1,
                 node_names: Iterable[str] | None = None, join_delay: float = 0.25,
                 migration_steps: int = 4, migration_interval: float = 0.05,
                 clock: Callable[[], float] | None = None,
                 tls: tuple[str, str] | ssl.SSLContext | None = None,
                 tls_name: str = "localhost", users: Users | None = None,
                 session_ttl: int | None = None) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        if replication_factor < 1:
            raise ValueError("replication_factor must be at least 1")
        names = list(node_names) if node_names is not None else [
            f"B{i + 1}" for i in range(size)]
        if len(names) != size or len(set(names)) != size:
            raise ValueError("node_names must give one distinct name per node")
        self.size = size
        self.replication_factor = replication_factor
        self.namespaces = tuple(namespaces)
        self.host = host
        self.cluster_name = cluster_name
        self.tls_context = server_tls_context(tls)
        """With ``tls=(certfile, keyfile)`` every node also listens for TLS on a port of
        its own and answers peers-tls-std with its peers' TLS ports and ``tls_name``."""
        self.tls_name = tls_name if tls is not None else ""
        self.security = Security(users, session_ttl) if users else None
        """With ``users`` (name -> password), every node wants a login first."""
        self.join_delay = join_delay
        self.migration_steps = max(1, migration_steps)
        self.migration_interval = migration_interval
        self._clock = clock
        self._replicating = False
        self._namespaces: list[dict[str, Namespace]] = [{} for _ in range(size)]
        self._succession = [tuple(succession(names, pid)) for pid in range(N_PARTITIONS)]
        self._owners: list[tuple[int, ...]] = [()] * N_PARTITIONS
        self._held: list[bytearray] = [bytearray(N_PARTITIONS) for _ in range(size)]
        self._holders: list[tuple[int, ...]] = [()] * N_PARTITIONS
        self._metadata_log: list[bytes] = []
        self._migration: asyncio.Task[None] | None = None
        self._started = False
        self.nodes = [ClusterNode(self, slot, names[slot], host,
                                  port + slot * port_step if port else 0)
                      for slot in range(size)]

    def __repr__(self) -> str:
        live = sum(1 for n in self.nodes if n.joined)
        return (f"<EmbeddedCluster {self.cluster_name} nodes={live}/{self.size} "
                f"rf={self.replication_factor} stable={self.stable}>")

    # -- public surface ---------------------------------------------------------------

    @property
    def seeds(self) -> list[tuple[str, int]]:
        return [n.address for n in self.nodes]

    @property
    def tls_seeds(self) -> list[tuple[str, int, str]]:
        """``(address, tls_port, tls_name)`` of every node (TLS on)."""
        return [n.tls_host for n in self.nodes]

    def node(self, name: str) -> ClusterNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def stable(self) -> bool:
        """True when no migration is running."""
        return self._migration is None or self._migration.done()

    def owners(self, pid: int) -> list[str]:
        """Names of the nodes owning partition ``pid``, master first."""
        return [self.nodes[s].name for s in self._owners[pid]]

    def master(self, pid: int) -> str | None:
        owners = self._owners[pid]
        return self.nodes[owners[0]].name if owners else None

    async def wait_stable(self, timeout: float = 10.0) -> None:
        """Wait until joins and migrations have finished."""
        async def settled() -> None:
            while True:
                pending = [n._join_task for n in self.nodes
                           if n._join_task is not None and not n._join_task.done()]
                if self._migration is not None and not self._migration.done():
                    pending.append(self._migration)
                if not pending:
                    return
                await asyncio.wait(pending)
        await asyncio.wait_for(settled(), timeout)

    async def start(self) -> None:
        """Bind every node and form the cluster."""
        try:
            for n in self.nodes:
                await n.listener.start()
                n.node.port = n.port
                self._set_tls(n)
        except BaseException:
            for n in self.nodes:
                await n.listener.stop()
            raise
        for n in self.nodes:
            n.joined = True
        self._started = True
        key = _cluster_key()
        for n in self.nodes:
            n.node.alumni = self._peers_of(n, alumni=True)
            n.node.peers_generation = 0
            n.node.rebalance_generation = 1
            n.node.partition_generation = 0
            n.node.cluster_key = key
            n.node.stable = True
        self._update_peers()
        changes = {pid: self._target(pid) for pid in range(N_PARTITIONS)}
        self._apply(changes, count_generations=False)

    async def stop(self) -> None:
        """Stop every node."""
        if self._migration is not None:
            self._migration.cancel()
            self._migration = None
        for n in self.nodes:
            if n._join_task is not None:
                n._join_task.cancel()
                n._join_task = None
            await n.listener.stop()
            n.joined = False
        self._started = False

    async def __aenter__(self) -> EmbeddedCluster:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def run_in_thread(cls, **kwargs: Any) -> ThreadedCluster:
        """Start a cluster on its own event loop in a daemon thread; returns its handle."""
        return ThreadedCluster(cls(**kwargs))

    # -- nodes and stores ---------------------------------------------------------------

    def _new_node(self, slot: int, name: str, host: str, port: int) -> Node:
        store = Store(self.namespaces) if self._clock is None else Store(
            self.namespaces, self._clock)
        for ns in store.namespaces.values():
            ns.replication_factor = self.replication_factor
            ns.records = _Records(self, slot, ns.name, ns.records)
        self._namespaces[slot] = dict(store.namespaces)
        node = Node(store, name=name, host=host, port=port, cluster_name=self.cluster_name)
        node.engine = _ClusterEngine(node.engine, self, slot)
        node.partition_generation = -1
        node.rebalance_generation = 0
        node.stable = False
        node.replicas = {ns: [NO_PARTITIONS] for ns in store.namespaces}
        node.cluster_size = 1
        return node

    def _check_hooks(self, handle: ClusterNode) -> None:
        """If a store replaced a record dict (say, a truncation), hook the new one and
        make the other holders of its partitions match it."""
        namespaces = handle.node.store.namespaces
        known = self._namespaces[handle.slot]
        for name, ns in namespaces.items():
            records = ns.records
            if type(records) is not _Records or records.slot != handle.slot:
                ns.records = _Records(self, handle.slot, name, records)
                ns.replication_factor = self.replication_factor
                known[name] = ns
                self._resync_from(handle.slot, name)
            elif known.get(name) is not ns:
                known[name] = ns

    def _resync_from(self, slot: int, ns_name: str) -> None:
        source = self._namespaces[slot][ns_name]
        self._replicating = True
        try:
            for other in self.nodes:
                if other.slot == slot or not other.joined:
                    continue
                target = self._namespaces[other.slot].get(ns_name)
                if target is None:
                    continue
                shared = self._held[slot]
                mine = self._held[other.slot]
                for digest in [d for d in target.records
                               if shared[partition_of(d)] and mine[partition_of(d)]
                               and d not in source.records]:
                    target.delete(digest)
                for digest, rec in list(dict.items(source.records)):
                    if mine[partition_of(digest)]:
                        target.put(digest, rec)
        finally:
            self._replicating = False

    # -- replication and routing -------------------------------------------------------

    def _replicate(self, records: _Records, digest: bytes, rec: Record | None) -> None:
        holders = self._holders[partition_of(digest)]
        if len(holders) < 2:
            return
        self._replicating = True
        try:
            for slot in holders:
                if slot != records.slot:
                    ns = self._namespaces[slot].get(records.ns)
                    if ns is None:
                        continue
                    if rec is None:
                        ns.delete(digest)
                    else:
                        ns.put(digest, rec)
        finally:
            self._replicating = False

    def _replicate_clear(self, records: _Records) -> None:
        self._replicating = True
        try:
            held = self._held[records.slot]
            for other in self.nodes:
                if other.slot != records.slot and other.joined:
                    ns = self._namespaces[other.slot].get(records.ns)
                    if ns is not None:
                        for digest in [d for d in ns.records if held[partition_of(d)]]:
                            ns.delete(digest)
        finally:
            self._replicating = False

    def _owner_for(self, slot: int, pid: int, write: bool) -> ClusterNode | None:
        """The node that must run a record command received by node ``slot``: None when
        ``slot`` masters the partition (or holds a replica, for a read), else the master."""
        owners = self._owners[pid]
        if not owners or owners[0] == slot or (not write and slot in owners):
            return None
        return self.nodes[owners[0]]

    def _info_everywhere(self, handle: ClusterNode, payload: bytes, wide: list[str]) -> bytes:
        for other in self.nodes:
            if other is not handle and other.joined:
                other.node.info(payload)
                self._check_hooks(other)
        out = handle.node.info(payload)
        self._check_hooks(handle)
        if any(n.partition(":")[0] in _REPLAY_ON_JOIN for n in wide):
            self._metadata_log.append(payload)
        return out

    # -- partitions -----------------------------------------------------------------------

    def _live_slots(self) -> list[int]:
        return [n.slot for n in self.nodes if n.joined]

    def _target(self, pid: int) -> tuple[int, ...]:
        nodes = self.nodes
        live = [s for s in self._succession[pid] if nodes[s].joined]
        return tuple(live[:self.replication_factor])

    def _apply(self, changes: dict[int, tuple[int, ...]], count_generations: bool = True) -> None:
        """Move partitions to their new owners: copy records to new owners that hold no
        copy (from an old owner, else any live holder), then switch ownership."""
        plan: dict[int, tuple[int, list[int]]] = {}
        for pid, new in changes.items():
            missing = [s for s in new if not self._held[s][pid]]
            if not missing:
                continue
            sources = [s for s in self._owners[pid] if self.nodes[s].joined
                       and self._held[s][pid]] or [s for s in self._holders[pid]
                                                   if self.nodes[s].joined]
            if sources:
                plan[pid] = (sources[0], missing)
        self._copy(plan)
        nodes = self.nodes
        drops: dict[int, list[int]] = {}
        for pid, new in changes.items():
            old = self._owners[pid]
            self._owners[pid] = new
            for s in new:
                self._held[s][pid] = 1
            for s in self._holders[pid]:
                if s not in new:
                    self._held[s][pid] = 0
                    drops.setdefault(s, []).append(pid)
            self._holders[pid] = new
            if count_generations and old != new:
                for s in set(old) | set(new):
                    if nodes[s].joined:
                        nodes[s].node.partition_generation += 1
        self._drop(drops)
        self._refresh_bitmaps()

    def _drop(self, drops: dict[int, list[int]]) -> None:
        """Delete the records of partitions a node no longer holds."""
        self._replicating = True
        try:
            for slot, pids in drops.items():
                wanted = set(pids)
                for ns in self._namespaces[slot].values():
                    for digest in [d for d in ns.records if partition_of(d) in wanted]:
                        ns.delete(digest)
        finally:
            self._replicating = False

    def _copy(self, plan: dict[int, tuple[int, list[int]]]) -> None:
        if not plan:
            return
        by_source: dict[int, dict[int, list[int]]] = {}
        for pid, (source, targets) in plan.items():
            by_source.setdefault(source, {})[pid] = targets
        self._replicating = True
        try:
            for source, pids in by_source.items():
                for ns_name, ns in self._namespaces[source].items():
                    for digest, rec in list(dict.items(ns.records)):
                        slots = pids.get(partition_of(digest))
                        if slots is None:
                            continue
                        for slot in slots:
                            dest = self._namespaces[slot].get(ns_name)
                            if dest is not None:
                                dest.put(digest, rec)
        finally:
            self._replicating = False

    def _refresh_bitmaps(self) -> None:
        live = self._live_slots()
        count = max(1, min(self.replication_factor, len(live)))
        maps = {s: [bytearray(_BYTES) for _ in range(count)] for s in live}
        for pid, owners in enumerate(self._owners):
            byte, mask = pid >> 3, 0x80 >> (pid & 7)
            for index, slot in enumerate(owners):
                if slot in maps:
                    maps[slot][index][byte] |= mask
        for slot, bitmaps in maps.items():
            frozen = [bytes(b) for b in bitmaps]
            node = self.nodes[slot].node
            node.replicas = {ns: frozen for ns in node.store.namespaces}

    def _set_tls(self, handle: ClusterNode) -> None:
        if self.tls_context is not None:
            handle.node.tls_port = handle.tls_port
            handle.node.tls_name = self.tls_name

    def _peers_of(self, handle: ClusterNode, alumni: bool = False) -> list[Peer]:
        return [Peer(n.name, n.host, n.port, self.tls_name, n.tls_port)
                for n in sorted(self.nodes, key=lambda n: n.name)
                if n is not handle and (alumni or n.joined)]

    def _update_peers(self) -> None:
        live = self._live_slots()
        for slot in live:
            handle = self.nodes[slot]
            node = handle.node
            peers = self._peers_of(handle)
            if [(p.name, p.port) for p in peers] != [(p.name, p.port) for p in node.peers]:
                node.peers = peers
                node.peers_generation += 1
            node.cluster_size = len(live)

    def _cluster_changed(self, migrating: bool) -> None:
        key = _cluster_key()
        for slot in self._live_slots():
            node = self.nodes[slot].node
            node.rebalance_generation += 1
            node.cluster_key = key
            node.stable = not migrating
        self._update_peers()

    def _cancel_migration(self) -> None:
        if self._migration is not None and not self._migration.done():
            self._migration.cancel()
        self._migration = None

    def _rebalance_now(self) -> None:
        changes = {pid: t for pid in range(N_PARTITIONS)
                   if (t := self._target(pid)) != self._owners[pid]}
        self._apply(changes)
        for slot in self._live_slots():
            self.nodes[slot].node.stable = True

    async def _stop_node(self, handle: ClusterNode) -> None:
        if handle._join_task is not None:
            handle._join_task.cancel()
            handle._join_task = None
        await handle.listener.stop()
        was_member = handle.joined
        handle.joined = False
        self._held[handle.slot] = bytearray(N_PARTITIONS)
        for pid in range(N_PARTITIONS):
            if handle.slot in self._holders[pid]:
                self._holders[pid] = tuple(s for s in self._holders[pid] if s != handle.slot)
                self._owners[pid] = tuple(s for s in self._owners[pid] if s != handle.slot)
        if was_member and self._started:
            self._cancel_migration()
            self._cluster_changed(migrating=False)
            self._rebalance_now()

    async def _restart_node(self, handle: ClusterNode, join_delay: float | None) -> None:
        if handle.alive or handle.joined:
            await self._stop_node(handle)
        port = handle.port
        handle.node = self._new_node(handle.slot, handle.name, handle.host, port)
        handle.listener.port = port
        handle.listener.clear_faults()
        await handle.listener.start()
        handle.node.port = handle.port
        self._set_tls(handle)
        delay = self.join_delay if join_delay is None else join_delay
        handle._join_task = asyncio.get_running_loop().create_task(
            self._join_later(handle, delay), name=f"embedded-cluster-join-{handle.name}")

    async def _join_later(self, handle: ClusterNode, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        if not handle.alive or not self._started:
            return
        node = handle.node
        for payload in self._metadata_log:
            node.info(payload)
        self._check_hooks(handle)
        handle.joined = True
        node.partition_generation = 0
        node.rebalance_generation = 0
        node.alumni = self._peers_of(handle, alumni=True)
        for other in self.nodes:
            if other is not handle and other.joined:
                names = {p.name for p in other.node.alumni}
                if handle.name not in names:
                    other.node.alumni = self._peers_of(other, alumni=True)
        self._cancel_migration()
        self._cluster_changed(migrating=True)
        self._refresh_bitmaps()
        self._migration = asyncio.get_running_loop().create_task(
            self._migrate(), name="embedded-cluster-migration")
        handle._join_task = None

    async def _migrate(self) -> None:
        """Move partitions to their targets in ``migration_steps`` steps."""
        pending = [pid for pid in range(N_PARTITIONS) if self._target(pid) != self._owners[pid]]
        steps = self.migration_steps
        chunk = max(1, -(-len(pending) // steps))
        for start in range(0, len(pending), chunk):
            if self.migration_interval > 0:
                await asyncio.sleep(self.migration_interval)
            self._apply({pid: self._target(pid) for pid in pending[start:start + chunk]})
        key = _cluster_key()
        for slot in self._live_slots():
            node = self.nodes[slot].node
            node.stable = True
            node.cluster_key = key


def _cluster_key() -> str:
    return secrets.token_hex(6).upper()


class ThreadedClusterNode(EndpointView):
    """Blocking controls of one node of a cluster running in a background thread."""

    def __init__(self, owner: ThreadedCluster, handle: ClusterNode) -> None:
        self._owner = owner
        self.handle = handle
        self._endpoint = handle

    def __repr__(self) -> str:
        return repr(self.handle)

    @property
    def name(self) -> str:
        return self.handle.name

    @property
    def alive(self) -> bool:
        return self.handle.alive

    @property
    def joined(self) -> bool:
        return self.handle.joined

    @property
    def node(self) -> Node:
        return self.handle.node

    def stop(self) -> None:
        self._owner.call(self.handle.stop())

    def restart(self, join_delay: float | None = None) -> None:
        self._owner.call(self.handle.restart(join_delay))

    def slow(self, seconds: float, info: bool = False) -> None:
        self._owner.call(self.handle.slow(seconds, info))

    def kill_mid_reply(self, count: int = 1, info: bool = False) -> None:
        self._owner.call(self.handle.kill_mid_reply(count, info))

    def garble(self, count: int = 1, info: bool = False) -> None:
        self._owner.call(self.handle.garble(count, info))

    def clear_faults(self) -> None:
        self._owner.call(self.handle.clear_faults())


class ThreadedCluster(ThreadRunner):
    """Handle of a cluster running on its own loop in a daemon thread: ``seeds``,
    ``nodes`` (blocking controls), ``wait_stable()``, ``stop()``."""

    def __init__(self, cluster: EmbeddedCluster) -> None:
        self.cluster = cluster
        super().__init__(cluster, f"embedded-aerospike-{cluster.cluster_name}")
        self.nodes = [ThreadedClusterNode(self, n) for n in cluster.nodes]

    @property
    def seeds(self) -> list[tuple[str, int]]:
        return self.cluster.seeds

    @property
    def tls_seeds(self) -> list[tuple[str, int, str]]:
        return self.cluster.tls_seeds

    def node(self, name: str) -> ThreadedClusterNode:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    def owners(self, pid: int) -> list[str]:
        return self.cluster.owners(pid)

    def master(self, pid: int) -> str | None:
        return self.cluster.master(pid)

    @property
    def stable(self) -> bool:
        return self.cluster.stable

    def wait_stable(self, timeout: float = 10.0) -> None:
        self.call(self.cluster.wait_stable(timeout), timeout + 5)
