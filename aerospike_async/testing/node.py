"""One embedded server node: its identity, its place in a cluster and its info commands.

The topology is plain data on the node (partition ownership per namespace and replica
index, peers, generations), so an in-process cluster can shape several nodes and the
info replies follow. Reply formats copy a real Aerospike 8.1 Community Edition node.
"""
from __future__ import annotations

import base64
from typing import Callable

from ..protocol.info import encode_info_response, parse_info_params, parse_info_request
from .engine import Engine
from .query import QUERY_INFO_COMMANDS, attach_queries
from .store import Store
from .truncate import TRUNCATE_INFO_COMMANDS
from .udf import UDF_INFO_COMMANDS

N_PARTITIONS = 4096
BUILD = "8.1.2.0"
EDITION = "Aerospike Community Edition"
FEATURES = ("batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;"
            "float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;"
            "replicas;replicas-all;replicas-master;replicas-max;truncate-namespace;udf")
ENTERPRISE_ONLY = "ERROR:25:enterprise only"
UNRECOGNIZED = "ERROR:4:unrecognized command"
UNSTABLE = "ERROR:7:unstable cluster"
DEFAULT_COMMANDS = ("features", "node", "compatibility-id", "edition", "build_ee_sha",
                    "build_sha", "build_arch", "build_time", "build_os", "build", "version",
                    "statistics", "services-alumni", "services", "partition-generation")
"""What an empty info request answers, in the server's order."""

ALL_PARTITIONS = b"\xff" * (N_PARTITIONS // 8)
NO_PARTITIONS = b"\x00" * (N_PARTITIONS // 8)


def partition_bitmap(partitions: range | list[int] | set[int]) -> bytes:
    """The 512-byte ownership bitmap of ``partitions`` (bit 7 of byte 0 = partition 0)."""
    bits = bytearray(N_PARTITIONS // 8)
    for pid in partitions:
        bits[pid >> 3] |= 0x80 >> (pid & 7)
    return bytes(bits)


# what `get-config:context=namespace` lists on a memory namespace of server 8.1, in order
_NAMESPACE_CONFIG = (
    "active-rack=0;allow-ttl-without-nsup=false;apply-ttl-reductions=true;"
    "auto-revive=false;background-query-max-rps=10000;conflict-resolution-policy=generation;"
    "conflict-resolve-writes=false;default-read-touch-ttl-pct=0;default-ttl={default_ttl};"
    "disable-cold-start-eviction=false;disable-mrt-writes=false;disable-write-dup-res=false;"
    "disallow-expunge=false;disallow-null-setname=false;enable-benchmarks-batch-sub=false;"
    "enable-benchmarks-ops-sub=false;enable-benchmarks-read=false;enable-benchmarks-udf=false;"
    "enable-benchmarks-udf-sub=false;enable-benchmarks-write=false;enable-hist-proxy=false;"
    "evict-hist-buckets=10000;evict-indexes-memory-pct=0;evict-tenths-pct=5;"
    "force-long-queries=false;ignore-migrate-fill-delay=false;index-stage-size=1073741824;"
    "indexes-memory-budget=0;inline-short-queries=false;max-record-size={max_record_size};"
    "migrate-order=5;migrate-retransmit-ms=5000;migrate-skip-unreadable=false;migrate-sleep=1;"
    "mrt-duration=0;nsup-hist-period=3600;nsup-period=120;nsup-threads=1;"
    "partition-tree-sprigs=256;prefer-uniform-balance=false;rack-id=0;"
    "read-consistency-level-override=off;reject-non-xdr-writes=false;reject-xdr-writes=false;"
    "replication-factor={replication_factor};sindex-stage-size=1073741824;"
    "single-query-threads=4;stop-writes-sys-memory-pct=90;"
    "strong-consistency=false;strong-consistency-allow-expunge=false;"
    "tomb-raider-eligible-age=86400;tomb-raider-period=86400;tomb-raider-unmark-threads=0;"
    "transaction-pending-limit=20;truncate-threads=4;write-commit-level-override=off;"
    "xdr-bin-tombstone-ttl=86400;xdr-tomb-raider-period=120;xdr-tomb-raider-threads=1;"
    "geo2dsphere-within.strict=true;geo2dsphere-within.min-level=1;"
    "geo2dsphere-within.max-level=20;geo2dsphere-within.max-cells=12;"
    "geo2dsphere-within.level-mod=1;geo2dsphere-within.earth-radius-meters=6371000;"
    "index-type=mem;sindex-type=mem;storage-engine=memory;storage-engine.stripe[0]=stripe-0;"
    "storage-engine.stripe[1]=stripe-1;storage-engine.stripe[2]=stripe-2;"
    "storage-engine.stripe[3]=stripe-3;storage-engine.stripe[4]=stripe-4;"
    "storage-engine.stripe[5]=stripe-5;storage-engine.stripe[6]=stripe-6;"
    "storage-engine.stripe[7]=stripe-7;storage-engine.commit-to-device=false;"
    "storage-engine.compression=none;storage-engine.compression-acceleration=0;"
    "storage-engine.compression-level=0;storage-engine.data-size=1073741824;"
    "storage-engine.defrag-lwm-pct=50;storage-engine.defrag-queue-min=0;"
    "storage-engine.defrag-sleep=1000;storage-engine.defrag-startup-minimum=0;"
    "storage-engine.direct-files=false;storage-engine.disable-odsync=false;"
    "storage-engine.enable-benchmarks-storage=false;storage-engine.encryption-key-file=null;"
    "storage-engine.encryption-old-key-file=null;storage-engine.evict-used-pct=0;"
    "storage-engine.filesize=0;storage-engine.flush-max-ms=1000;"
    "storage-engine.max-write-cache=67108864;storage-engine.stop-writes-avail-pct=5;"
    "storage-engine.stop-writes-used-pct=70;storage-engine.tomb-raider-sleep=1000"
)

class Peer:
    """Another node of the cluster as peers-* info lists it."""

    __slots__ = ("name", "host", "port", "tls_name", "tls_port")

    def __init__(self, name: str, host: str, port: int, tls_name: str = "",
                 tls_port: int = 0) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.tls_name = tls_name
        self.tls_port = tls_port  # 0: the peer has no TLS listener


InfoHandler = Callable[["Node", str], str]


class Node:
    """A server node: store, command engine, topology and the info protocol."""

    def __init__(self, store: Store, name: str = "A1", host: str = "127.0.0.1",
                 port: int = 3000, cluster_name: str = "asd-single") -> None:
        self.store = store
        self.engine = Engine(store)
        attach_queries(self)
        self.name = name
        self.host = host
        self.port = port
        self.cluster_name = cluster_name
        self.tls_port = 0
        """The TLS listener's port (0: no TLS, and peers-tls-* err as Community Edition)."""
        self.tls_name = ""
        self.started = store.clock()
        self.regime = 0
        self.replicas: dict[str, list[bytes]] = {ns: [ALL_PARTITIONS] for ns in store.namespaces}
        """Per namespace, one ownership bitmap per replica index (0 = master)."""
        self.peers: list[Peer] = []
        self.alumni: list[Peer] = []
        self.peers_generation = 0
        self.partition_generation = 0
        self.rebalance_generation = 1
        self.cluster_key = "AB6D8C5B2B2D"
        self.cluster_size = 1
        self.stable = True
        """False while the node has not joined or partitions migrate: cluster-stable errs."""

    def role(self, ns_name: str, pid: int) -> int:
        """The replica index this node holds for partition ``pid`` (0 = master), or -1."""
        byte, mask = pid >> 3, 0x80 >> (pid & 7)
        for index, bitmap in enumerate(self.replicas.get(ns_name, ())):
            if bitmap[byte] & mask:
                return index
        return -1

    def cluster_stable(self, arg: str) -> str:
        """``cluster-stable[:size=N;ignore-migrations=bool;namespace=ns]``."""
        if not self.stable:
            return UNSTABLE
        params = dict(p.partition("=")[::2] for p in arg.split(";") if p)
        size = params.get("size")
        if size and size.isdigit() and int(size) != self.cluster_size:
            return UNSTABLE
        return self.cluster_key

    # -- info protocol ---------------------------------------------------------------

    def info(self, payload: bytes) -> bytes:
        """The whole type-1 reply to an info request payload."""
        names = parse_info_request(payload) or DEFAULT_COMMANDS
        return encode_info_response([(name, self.info_value(name)) for name in names])

    def info_value(self, command: str) -> str:
        """The value one info command answers."""
        handler = INFO_COMMANDS.get(command)
        if handler is not None:
            return handler(self, "")
        for sep in (":", "/"):
            base, found, arg = command.partition(sep)
            if found:
                handler = INFO_COMMANDS.get(base + sep)
                if handler is not None:
                    return handler(self, arg)
        return UNRECOGNIZED

    # -- topology strings ------------------------------------------------------------

    def service(self) -> str:
        return f"{self.host}:{self.port}"

    def _peer_list(self, peers: list[Peer]) -> str:
        items = ",".join(f"[{p.name},,[{p.host}:{p.port}]]" for p in peers)
        return f"{self.peers_generation},{self.port},[{items}]"

    def _tls_peer_list(self, peers: list[Peer]) -> str:
        """``peers-tls-std``: each peer's TLS name and TLS port (Enterprise Edition with a
        ``tls-port``); without TLS, the Community Edition's error."""
        if not self.tls_port:
            return ENTERPRISE_ONLY
        items = ",".join(f"[{p.name},{p.tls_name},[{p.host}:{p.tls_port}]]"
                         for p in peers if p.tls_port)
        return f"{self.peers_generation},{self.tls_port},[{items}]"

    def service_tls(self) -> str:
        return f"{self.host}:{self.tls_port}" if self.tls_port else ""

    def replicas_value(self) -> str:
        return ";".join(
            f"{ns}:{self.regime},{len(maps)},"
            + ",".join(base64.b64encode(m).decode() for m in maps)
            for ns, maps in self.replicas.items())

    def replicas_all_value(self) -> str:
        return ";".join(
            f"{ns}:{len(maps)}," + ",".join(base64.b64encode(m).decode() for m in maps)
            for ns, maps in self.replicas.items())

    def replicas_master_value(self) -> str:
        return ";".join(f"{ns}:{base64.b64encode(maps[0] if maps else NO_PARTITIONS).decode()}"
                        for ns, maps in self.replicas.items())

    def namespace_stats(self, ns_name: str) -> str:
        ns = self.store.namespace(ns_name)
        if ns is None:
            return "type=unknown"
        now = self.store.now()
        master = prole = other = 0
        records = []
        for digest, rec in ns.live_records(now):
            role = self.role(ns_name, (digest[0] | digest[1] << 8) & (N_PARTITIONS - 1))
            if role == 0:
                master += 1
            elif role > 0:
                prole += 1
            else:
                other += 1
                continue
            records.append(rec)
        objects = master + prole
        never = sum(1 for rec in records if not rec.void_time)
        used = sum(rec.size() for rec in records)
        stats = (
            f"ns_cluster_size={self.cluster_size};"
            f"effective_replication_factor={ns.replication_factor};objects={objects};"
            f"tombstones=0;master_objects={master};master_tombstones=0;"
            f"prole_objects={prole};prole_tombstones=0;non_replica_objects={other};"
            f"dead_partitions=0;"
            f"unavailable_partitions=0;stop_writes=false;hwm_breached=false;"
            f"current_time={now};non_expirable_objects={never};expired_objects=0;"
            f"evicted_objects=0;truncate_lut=0;truncating=false;data_used_bytes={used};"
            f"migrate_tx_partitions_remaining=0;migrate_rx_partitions_remaining=0;")
        return stats + self.namespace_config(ns_name)

    def namespace_config(self, ns_name: str) -> str:
        ns = self.store.namespace(ns_name)
        if ns is None:
            return "ERROR::namespace not found"
        return _NAMESPACE_CONFIG.format(
            default_ttl=ns.default_ttl, max_record_size=ns.max_record_size,
            replication_factor=ns.replication_factor)

    def sets_value(self, arg: str) -> str:
        ns_name, _, set_name = arg.partition("/")
        now = self.store.now()
        out = []
        for ns in self.store.namespaces.values():
            if ns_name and ns.name != ns_name:
                continue
            for sname, (objects, used) in ns.set_counts(now).items():
                if not sname:
                    continue
                name = sname.decode("utf-8", "replace")
                if set_name and name != set_name:
                    continue
                head = "" if set_name else f"ns={ns.name}:set={name}:"
                out.append(
                    f"{head}objects={objects}:tombstones=0:data_used_bytes={used}:"
                    f"truncate_lut=0:sindexes=0:index_populating=false:truncating=false:"
                    f"default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:"
                    f"enable-index=false:stop-writes-count=0:stop-writes-size=0;")
        return "".join(out)

    def statistics(self) -> str:
        objects = sum(len(ns.records) for ns in self.store.namespaces.values())
        uptime = int(self.store.clock() - self.started)
        return (f"failed_best_practices=false;cluster_size={self.cluster_size};"
                f"cluster_key={self.cluster_key};cluster_generation=1;"
                f"cluster_principal={self.name};cluster_min_compatibility_id=15;"
                f"cluster_max_compatibility_id=15;cluster_integrity=true;"
                f"cluster_is_member=true;cluster_duplicate_nodes=null;"
                f"cluster_clock_skew_stop_writes_sec=0;cluster_clock_skew_ms=0;"
                f"uptime={uptime};objects={objects};tombstones=0;rw_in_progress=0;"
                f"paxos_principal={self.name};migrate_allowed=true;"
                f"migrate_partitions_remaining=0")

    def get_config(self, arg: str) -> str:
        params = dict(p.partition("=")[::2] for p in arg.split(";") if p)
        context = params.get("context", "service")
        if context == "namespace":
            return self.namespace_config(params.get("id", ""))
        if context == "service":
            return (f"cluster-name={self.cluster_name};node-id={self.name};"
                    f"proto-fd-max=15000;service-threads=1")
        if context == "network":
            return f"service.port={self.port};service.access-port=0"
        return "ERROR::unknown context"


INFO_COMMANDS: dict[str, InfoHandler] = {
    "node": lambda n, a: n.name,
    "build": lambda n, a: BUILD,
    "version": lambda n, a: f"{EDITION} build {BUILD}",
    "edition": lambda n, a: EDITION,
    "features": lambda n, a: FEATURES,
    "compatibility-id": lambda n, a: "15",
    "build_ee_sha": lambda n, a: "",
    "build_sha": lambda n, a: "embedded",
    "build_arch": lambda n, a: "x86_64",
    "build_time": lambda n, a: "",
    "build_os": lambda n, a: "python",
    "status": lambda n, a: "ok",
    "health-stats": lambda n, a: "",
    "best-practices": lambda n, a: "failed_best_practices=none",
    "cluster-name": lambda n, a: n.cluster_name,
    "namespaces": lambda n, a: ";".join(n.store.namespaces),
    "namespace/": lambda n, a: n.namespace_stats(a),
    "partitions": lambda n, a: str(N_PARTITIONS),
    "replicas": lambda n, a: n.replicas_value(),
    "replicas-all": lambda n, a: n.replicas_all_value(),
    "replicas-master": lambda n, a: n.replicas_master_value(),
    "partition-generation": lambda n, a: str(n.partition_generation),
    "rebalance-generation": lambda n, a: str(n.rebalance_generation),
    "peers-generation": lambda n, a: str(n.peers_generation),
    "peers-clear-std": lambda n, a: n._peer_list(n.peers),
    "peers-clear-alt": lambda n, a: n._peer_list([]),
    "peers-tls-std": lambda n, a: n._tls_peer_list(n.peers),
    "peers-tls-alt": lambda n, a: n._tls_peer_list([]),
    "alumni-clear-std": lambda n, a: n._peer_list(n.alumni),
    "alumni-tls-std": lambda n, a: n._tls_peer_list(n.alumni),
    "service": lambda n, a: n.service(),
    "service-clear-std": lambda n, a: n.service(),
    "service-clear-alt": lambda n, a: "",
    "service-tls-std": lambda n, a: n.service_tls(),
    "service-tls-alt": lambda n, a: "",
    "services": lambda n, a: ";".join(f"{p.host}:{p.port}" for p in n.peers),
    "services-alumni": lambda n, a: ";".join(f"{p.host}:{p.port}" for p in n.alumni),
    "cluster-stable": lambda n, a: n.cluster_stable(""),
    "cluster-stable:": lambda n, a: n.cluster_stable(a),
    "racks:": lambda n, a: ENTERPRISE_ONLY,
    # Enterprise-only commands a Community server still recognises (8.1.2 thr_info.c
    # marks them ee_only): it answers the enterprise-only error, not "unrecognized".
    **{name + sep: (lambda n, a: ENTERPRISE_ONLY)
       for name in ("xdr-dc-state", "xdr-get-filter", "xdr-set-filter")
       for sep in ("", ":", "/")},
    "sets": lambda n, a: n.sets_value(""),
    "sets/": lambda n, a: n.sets_value(a),
    "statistics": lambda n, a: n.statistics(),
    "get-config": lambda n, a: n.get_config(""),
    "get-config:": lambda n, a: n.get_config(a),
    "user-agent-set": lambda n, a: user_agent_set(a),
    "user-agent-set:": lambda n, a: user_agent_set(a),
}
"""Info command -> handler(node, argument). Keys ending in ':' or '/' take the rest of
the command as their argument."""


def user_agent_set(arg: str) -> str:
    """``user-agent-set:value=<base64>``, which clients send on each new connection: the
    real node checks the value and keeps it for the connection (not kept here)."""
    value = parse_info_params(arg).get("value")
    if value is None:
        return "ERROR:4:missing 'value'"
    if not value:
        return "ERROR:4:missing 'value' value"
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        return "ERROR:4:'value' invalid base64"
    return "ok"


INFO_COMMANDS.update(QUERY_INFO_COMMANDS)
INFO_COMMANDS.update(UDF_INFO_COMMANDS)
INFO_COMMANDS.update(TRUNCATE_INFO_COMMANDS)
