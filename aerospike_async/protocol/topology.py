"""Parsers for the info replies that describe a cluster, and the partition map.

Pure functions over strings: the tender asks the nodes, these turn answers
into data. A partition map is ``{namespace: [replica0, replica1, ...]}`` where
each replica is a tuple of 4096 node names (or None), replaced whole on change.
"""
from __future__ import annotations

import base64
from itertools import compress, repeat
from operator import eq
from typing import Any, NamedTuple

from .digest import PARTITIONS


class Peer(NamedTuple):
    name: str
    tls_name: str
    hosts: list[tuple[str, int]]


class NamespaceReplicas(NamedTuple):
    regime: int
    bitmaps: list[bytes]  # one bitmap per replica index, bit p set when this node holds p


def parse_host(text: str, default_port: int) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        end = text.index("]")
        host = text[1:end]
        rest = text[end + 1:]
        return host, int(rest[1:]) if rest.startswith(":") else default_port
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, default_port


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_peers(text: str) -> tuple[int, list[Peer]]:
    """``gen,default_port,[[name,tls_name,[host:port,...]],...]`` -> (generation, peers)."""
    gen_s, port_s, rest = text.split(",", 2)
    default_port = int(port_s) if port_s else 3000
    rest = rest.strip()
    if not (rest.startswith("[") and rest.endswith("]")):
        raise ValueError(f"bad peers list: {text!r}")
    peers = []
    body = rest[1:-1]
    if body:
        for item in _split_top(body):
            item = item.strip()[1:-1]
            name, tls_name, hosts_s = _split_top(item)
            hosts_body = hosts_s.strip()[1:-1]
            hosts = [parse_host(h, default_port) for h in _split_top(hosts_body) if h.strip()]
            peers.append(Peer(name, tls_name, hosts))
    return int(gen_s), peers


def parse_replicas(text: str, with_regime: bool = True) -> dict[str, NamespaceReplicas]:
    """Info ``replicas`` (``ns:regime,count,b64,...;...``) -> {ns: (regime, bitmaps)}.

    ``replicas-all`` has no regime: pass ``with_regime=False``.
    """
    result: dict[str, NamespaceReplicas] = {}
    for entry in text.split(";"):
        if not entry:
            continue
        ns, _, rest = entry.partition(":")
        parts = rest.split(",")
        if with_regime:
            regime, count, maps = int(parts[0]), int(parts[1]), parts[2:]
        else:
            regime, count, maps = 0, int(parts[0]), parts[1:]
        bitmaps = [base64.b64decode(m) if m else bytes(PARTITIONS // 8) for m in maps[:count]]
        result[ns] = NamespaceReplicas(regime, bitmaps)
    return result


def owned_partitions(bitmap: bytes) -> list[int]:
    """The partitions whose bit is set (MSB first within each byte)."""
    out = []
    for byte_index, byte in enumerate(bitmap):
        if byte:
            base = byte_index * 8
            for bit in range(8):
                if byte & (0x80 >> bit):
                    out.append(base + bit)
    return out


PartitionMap = dict[str, list[tuple]]


def apply_replicas(pmap: PartitionMap, regimes: dict[str, list[int]], node: str,
                   replicas: dict[str, NamespaceReplicas]) -> tuple[PartitionMap, set[str]]:
    """A new map with ``node``'s replica claims applied; also the nodes that lost a slot.

    A slot is overwritten only when the claim's regime is at least the slot's
    (strong consistency); the previous owner of a slot that moves is returned
    so that the tender refreshes it.
    """
    new_map = dict(pmap)
    displaced: set[str] = set()
    for ns, claim in replicas.items():
        old = pmap.get(ns, [])
        count = len(claim.bitmaps)
        rows: list[list[str | None]] = [
            list(old[i]) if i < len(old) else [None] * PARTITIONS for i in range(count)]
        ns_regimes = regimes.setdefault(ns, [0] * PARTITIONS)
        for index, bitmap in enumerate(claim.bitmaps):
            row = rows[index]
            for p in range(PARTITIONS):
                has = bitmap[p >> 3] & (0x80 >> (p & 7)) if p >> 3 < len(bitmap) else 0
                current = row[p]
                if has:
                    if current != node and claim.regime >= ns_regimes[p]:
                        if current is not None:
                            displaced.add(current)
                        row[p] = node
                        ns_regimes[p] = claim.regime
                elif current == node:
                    row[p] = None
        new_map[ns] = [tuple(r) for r in rows]
    displaced.discard(node)
    return new_map, displaced


def group_by_owner(pids: list[int], owners: list[Any] | tuple[Any, ...]
                   ) -> dict[Any, list[int]]:
    """``pids`` grouped by the owner at the same position of ``owners`` (a node name, or
    None), owners in the order they first appear. Picked out an owner at a time, in C: a
    whole scan routes 4096 partitions."""
    return {owner: list(compress(pids, map(eq, owners, repeat(owner))))
            for owner in dict.fromkeys(owners)}


def remove_node(pmap: PartitionMap, node: str) -> PartitionMap:
    """A new map with every slot of ``node`` emptied."""
    return {ns: [tuple(None if n == node else n for n in row) for row in rows]
            for ns, rows in pmap.items()}


def parse_features(text: str) -> frozenset[str]:
    return frozenset(f for f in text.split(";") if f)


def parse_rack_ids(text: str) -> dict[str, int]:
    """Info ``rack-ids`` (``ns:rack;ns2:rack``) -> {ns: rack_id} of the node asked."""
    racks: dict[str, int] = {}
    for entry in text.split(";"):
        ns, sep, rack = entry.strip().partition(":")
        if sep and ns:
            try:
                racks[ns] = int(rack)
            except ValueError:
                continue
    return racks


def parse_racks(text: str, node_name: str) -> dict[str, int]:
    """Info ``racks:`` (``ns=test:rack_1=A,B:rack_2=C;ns=...``) -> {ns: rack of node_name}.

    ``roster_rack_*`` entries (strong consistency rosters) are not where the
    node is now and are skipped.
    """
    racks: dict[str, int] = {}
    if text.startswith("ERROR"):
        return racks
    for entry in text.split(";"):
        parts = entry.strip().split(":")
        if not parts or not parts[0].startswith("ns="):
            continue
        ns = parts[0][3:]
        for part in parts[1:]:
            key, _, names = part.partition("=")
            if not key.startswith("rack_"):
                continue
            try:
                rack = int(key[5:])
            except ValueError:
                continue
            if node_name in names.split(","):
                racks[ns] = rack
    return racks


def is_error(value: str | None) -> bool:
    """An info value that is an error reply (``ERROR:code:message`` or missing)."""
    return value is None or value.startswith("ERROR") or value.startswith("error")


def trusted_partition_generation(value: str | None) -> int | None:
    """The node's partition generation, or None when the node is not fully initialized
    (``-1``: a restarting node with empty bitmaps, which must not be applied)."""
    if is_error(value):
        return None
    gen = int(value.strip())  # type: ignore[union-attr]
    return None if gen == -1 else gen


def may_refresh_partitions(partition_changed: bool, failures: int, active: bool,
                           peers_count: int, refresh_count: int) -> bool:
    """Whether a node's ``replicas`` are fetched and applied this tend.

    The split-cluster guard (C ``as_cluster_tend``): a node that believes it is
    alone (no peers) while other nodes answered this tend would claim every
    partition, so it is skipped.
    """
    return (partition_changed and failures == 0 and active
            and (peers_count > 0 or refresh_count == 1))


class NodeState(NamedTuple):
    """What the removal rules look at (REFERENCE §2)."""
    name: str
    active: bool
    failures: int
    reference_count: int


def nodes_to_remove(nodes: list[NodeState], refresh_count: int, pmap: PartitionMap
                    ) -> list[str]:
    """The names of the nodes to remove after a tend whose peers changed.

    ``refresh_count`` is how many nodes had their peers refreshed this tend.
    """
    remove = []
    many = len(nodes) > 1
    for node in nodes:
        if not node.active:
            remove.append(node.name)
        elif refresh_count == 0 and node.failures >= 5:
            remove.append(node.name)  # nobody answered, and this node failed 5 times running
        elif many and refresh_count >= 1 and node.reference_count == 0:
            # no other node lists it as a peer
            if node.failures or not in_partition_map(pmap, node.name):
                remove.append(node.name)
    return remove


def in_partition_map(pmap: PartitionMap, name: str) -> bool:
    return any(name in row for rows in pmap.values() for row in rows)


def sc_namespaces(replicas: dict[str, NamespaceReplicas]) -> set[str]:
    """Namespaces in strong-consistency mode (a non-zero regime)."""
    return {ns for ns, claim in replicas.items() if claim.regime}
