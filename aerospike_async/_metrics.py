"""Extended metrics: ``enable_metrics``/``disable_metrics``/``get_stats`` (C ``as_metrics``,
``as_metrics_writer``, ``aerospike_stats``).

The counters live on the nodes (``cluster/metrics.py``); this module turns them into the
documented ``aerospike_helpers.metrics`` objects for listeners and ``get_stats``, and
holds the default listener, which writes the C client's metrics files: a header line,
then one ``cluster[...]`` line per snapshot and one ``[node...]`` line per closed node.
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Callable, TextIO, cast

from aerospike_helpers import metrics as H

from .cluster.metrics import LATENCY_TYPES, MetricsState, NsMetrics
from .exceptions import ClientError, ParamError

log = logging.getLogger("aerospike_async.metrics")

CLIENT_TYPE = "python"
MIN_FILE_SIZE = 1_000_000
HEADER = ("{now} header(2) cluster[name,clientType,clientVersion,appId,label[],cpu,mem,"
          "invalidNodeCount,commandCount,retryCount,delayQueueTimeoutCount,eventloop[],node[]]"
          " label[name,value] eventloop[processSize,queueSize] node[name,address,port,"
          "syncConn,asyncConn,namespace[]] conn[inUse,inPool,opened,closed,recovered,aborted]"
          " namespace[name,errors,timeouts,keyBusy,bytesIn,bytesOut,latency[]] "
          "latency({columns},{shift})[type[l1,l2,l3...]]\n")


def client_version() -> str:
    try:
        from importlib.metadata import version
        return version("aerospike-asyncio")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "0.1.0"


def app_id(config: dict[str, Any]) -> str:
    """The documented ``app_id``: the config's, else the user name, else ``not-set``."""
    value = config.get("app_id")
    if isinstance(value, str):
        return value
    user = config.get("user")
    return user if isinstance(user, str) and user else "not-set"


def _check(policy: Any, name: str, kind: type, label: str, bits: int = 0) -> None:
    """``policy.name`` is a ``kind`` (with ``bits``, an unsigned int of that many bits;
    a bool is the int it is, as for the official client)."""
    value = getattr(policy, name, None)
    if not isinstance(value, kind) or (bits and not 0 <= cast(int, value) < (1 << bits)):
        raise ParamError(-2, f"MetricsPolicy.{name} must be a {label} type", None, None,
                         False)


def validate_policy(policy: Any) -> Any:
    """The policy to use (the documented defaults for None), checked attribute by
    attribute as the official client does."""
    if policy is None:
        return H.MetricsPolicy()
    if not isinstance(policy, H.MetricsPolicy):
        raise ParamError(-2, "policy parameter must be an aerospike_helpers.MetricsPolicy "
                         "type", None, None, False)
    listeners = policy.metrics_listeners
    if listeners is not None:
        if not isinstance(listeners, H.MetricsListeners):
            raise ParamError(-2, "MetricsPolicy.metrics_listeners must be a "
                             "aerospike_helpers.metrics.MetricsListeners type", None, None,
                             False)
        for name in ("enable_listener", "snapshot_listener", "node_close_listener",
                     "disable_listener"):
            if not callable(getattr(listeners, name, None)):
                raise ParamError(-2, f"MetricsPolicy.metrics_listeners.{name} must be a "
                                 "callable type", None, None, False)
    _check(policy, "report_dir", str, "str")
    if len(policy.report_dir) >= 256:   # the C client's path buffer
        raise ParamError(-2, "MetricsPolicy.report_dir must be less than 256 chars", None,
                         None, False)
    for name, bits in (("report_size_limit", 64), ("interval", 32), ("latency_columns", 8),
                       ("latency_shift", 8)):
        _check(policy, name, int, f"unsigned {bits}-bit integer", bits)
    labels = policy.labels
    if labels is not None:
        if not isinstance(labels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise ParamError(-2, "MetricsPolicy.labels must be a dict[str, str] type", None,
                             None, False)
    return policy


# -- the documented objects -----------------------------------------------------------
def connection_stats(node: Any) -> H.ConnectionStats:
    """The node's connections: its event-loop pool's and its blocking pool's together."""
    pools = (node.pool, node.sync_pool)
    stats = H.ConnectionStats()
    stats.in_pool = sum(pool.idle for pool in pools)
    stats.in_use = sum(max(pool.total - pool.idle, 0) for pool in pools)
    stats.opened = sum(pool.opened for pool in pools)
    stats.closed = sum(pool.closed_count for pool in pools)
    stats.recovered = 0
    stats.aborted = 0
    return stats


def _ns_list(node: Any) -> list[NsMetrics]:
    return list(node.metrics.values())  # a copy: commands may add namespaces meanwhile


def namespace_metrics(m: NsMetrics) -> H.NamespaceMetrics:
    out = H.NamespaceMetrics()
    out.ns = m.ns
    out.bytes_in = m.bytes_in
    out.bytes_out = m.bytes_out
    out.error_count = m.error_count
    out.timeout_count = m.timeout_count
    out.key_busy_count = m.key_busy_count
    latency = m.latency
    out.conn_latency = list(latency[0])
    out.write_latency = list(latency[1])
    out.read_latency = list(latency[2])
    out.batch_latency = list(latency[3])
    out.query_latency = list(latency[4])
    return out


def metrics_node(node: Any) -> H.Node:
    out = H.Node()
    out.name = node.name
    out.address = node.host
    out.port = node.port
    out.conns = connection_stats(node)
    out.metrics = [namespace_metrics(m) for m in _ns_list(node)]
    return out


def metrics_cluster(cluster: Any, app: str) -> H.Cluster:
    out = H.Cluster()
    out.cluster_name = cluster.settings.cluster_name
    out.app_id = app
    out.invalid_node_count = cluster.invalid_node_count
    out.command_count = cluster.command_count
    out.retry_count = cluster.retry_count
    out.nodes = [metrics_node(n) for n in cluster.nodes if n.active]
    return out


def cluster_stats(cluster: Any) -> H.ClusterStats:
    """``get_stats()``: connection and error counts of every node."""
    out = H.ClusterStats()
    nodes = []
    for node in cluster.nodes:
        stats = H.NodeStats()
        stats.name = node.name
        stats.address = node.host
        stats.port = node.port
        stats.conns = connection_stats(node)
        ns = _ns_list(node)
        stats.error_count = sum(m.error_count for m in ns)
        stats.timeout_count = sum(m.timeout_count for m in ns)
        stats.key_busy_count = sum(m.key_busy_count for m in ns)
        nodes.append(stats)
    out.nodes = nodes
    out.retry_count = cluster.retry_count
    out.thread_pool_queued_tasks = 0
    out.recover_queue_size = 0
    return out


# -- listeners ------------------------------------------------------------------------
class Listener:
    """What enabled metrics call: enable, periodic snapshot, node close, disable."""

    def enable(self) -> None:
        raise NotImplementedError

    def snapshot(self, cluster: Any) -> None:
        raise NotImplementedError

    def node_close(self, node: Any) -> None:
        raise NotImplementedError

    def disable(self, cluster: Any) -> None:
        raise NotImplementedError


def _callback_error(name: str, exc: BaseException) -> ClientError:
    try:
        detail = f"Exception value: {exc}"
    except Exception:  # noqa: BLE001 - an exception whose str() fails, worded as C words it
        detail = "str() on exception value threw an error"
    return ClientError(-1, f"Python callback {name} threw a {type(exc).__name__} exception. "
                       f"{detail}", None, None, False)


class CustomListener(Listener):
    """The application's ``MetricsListeners``, called with the documented objects."""

    def __init__(self, listeners: Any, app: str) -> None:
        self.listeners = listeners
        self.app = app

    def _call(self, name: str, *args: Any) -> None:
        try:
            getattr(self.listeners, name)(*args)
        except Exception as exc:  # noqa: BLE001 - reported as the official client does
            raise _callback_error(name, exc) from exc

    def enable(self) -> None:
        self._call("enable_listener")

    def snapshot(self, cluster: Any) -> None:
        self._call("snapshot_listener", metrics_cluster(cluster, self.app))

    def node_close(self, node: Any) -> None:
        self._call("node_close_listener", metrics_node(node))

    def disable(self, cluster: Any) -> None:
        self._call("disable_listener", metrics_cluster(cluster, self.app))


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())


def process_cpu_mem() -> tuple[int, int]:
    """CPU percent over the process's life and virtual size in KiB, from
    ``/proc/self/stat`` as the C writer computes them on Linux (0, 0 elsewhere)."""
    try:
        with open("/proc/self/stat") as f:
            stat = f.read()
        with open("/proc/uptime") as f:
            uptime = int(float(f.read().split()[0]))
    except OSError:
        return 0, 0
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    utime, stime = int(fields[11]), int(fields[12])
    starttime, vsize = int(fields[19]), int(fields[20])
    tck = os.sysconf("SC_CLK_TCK")
    # integer seconds, as the C code divides integers before converting
    busy = float(utime // tck) + float(stime // tck)
    life = uptime - float(starttime // tck)
    cpu = busy / life * 100 if life > 0 else 0.0
    mem = vsize / 1024.0
    return int(cpu + 0.5), int(mem + 0.5)


def write_conn(parts: list[str], stats: H.ConnectionStats) -> None:
    parts.append(f"{stats.in_use},{stats.in_pool},{stats.opened},{stats.closed},"
                 f"{stats.recovered},{stats.aborted}")


def format_node(node: Any) -> str:
    """``[name,address,port,syncConn,asyncConn,[namespaces]]`` (C ``as_metrics_write_node``):
    connections are counted as the sync ones, as the Python client reports them."""
    parts = [f"[{node.name},{node.host},{node.port},"]
    write_conn(parts, connection_stats(node))
    parts.append(",0,0,0,0,0,0,[")
    for i, m in enumerate(_ns_list(node)):
        if i:
            parts.append(",")
        parts.append(f"{m.ns},{m.error_count},{m.timeout_count},{m.key_busy_count},"
                     f"{m.bytes_in},{m.bytes_out},[")
        parts.append(",".join(f"{name}[{','.join(map(str, buckets))}]"
                              for name, buckets in zip(LATENCY_TYPES, m.latency)))
        parts.append("]")
    parts.append("]]")
    return "".join(parts)


def format_cluster(cluster: Any, app: str, labels: dict[str, str], cpu: int, mem: int,
                   now: str) -> str:
    """One snapshot line (C ``as_metrics_write_cluster``), newline included."""
    name = cluster.settings.cluster_name or ""
    label_text = ",".join(f"[{k},{v}]" for k, v in labels.items())
    nodes = ",".join(format_node(n) for n in cluster.nodes if n.active)
    return (f"{now} cluster[{name},{CLIENT_TYPE},{client_version()},{app},[{label_text}],"
            f"{cpu},{mem},{cluster.invalid_node_count},{cluster.command_count},"
            f"{cluster.retry_count},0,[],[{nodes}]]\n")


class MetricsWriter(Listener):
    """The default listener: the C client's metrics files in ``report_dir``."""

    def __init__(self, policy: Any, app: str) -> None:
        limit = policy.report_size_limit
        if limit and limit < MIN_FILE_SIZE:
            raise ClientError(-1, f"Metrics policy report_size_limit {limit} must be at "
                              f"least {MIN_FILE_SIZE}", None, None, False)
        self.report_dir = policy.report_dir
        self.max_size = limit
        self.columns = policy.latency_columns
        self.shift = policy.latency_shift
        self.labels = dict(policy.labels or {})
        self.app = app
        self.file: TextIO | None = None
        self.size = 0
        self.path = ""

    def _open(self) -> None:
        stamp = time.strftime("%Y%m%d%H%M%S", time.localtime())
        directory = self.report_dir
        sep = "" if directory.endswith(("/", "\\")) else os.sep
        path = f"{directory}{sep}metrics-{stamp}.log"
        try:
            self.file = open(path, "w", encoding="utf-8")
        except OSError:
            self.file = None
            raise ClientError(-1, f"Failed to open file: {path}", None, None,
                              False) from None
        self.path = path
        self.size = 0
        self._write(HEADER.format(now=_now(), columns=self.columns, shift=self.shift))

    def _write(self, line: str) -> None:
        f = self.file
        if f is None:
            return
        f.write(line)
        self.size += len(line.encode())
        if self.max_size and self.size >= self.max_size:
            f.close()
            self._open()

    def enable(self) -> None:
        self._open()

    def snapshot(self, cluster: Any) -> None:
        if self.file is not None:
            cpu, mem = process_cpu_mem()
            self._write(format_cluster(cluster, self.app, self.labels, cpu, mem, _now()))
            if self.file is not None:
                self.file.flush()

    def node_close(self, node: Any) -> None:
        if self.file is not None:
            self._write(f"{_now()} {format_node(node)}\n")

    def disable(self, cluster: Any) -> None:
        try:
            self.snapshot(cluster)
        finally:
            if self.file is not None:
                self.file.close()
                self.file = None


class Metrics:
    """Enabled extended metrics of one client: the listener and the cluster's state."""

    def __init__(self) -> None:
        self.listener: Listener | None = None

    def enable(self, cluster: Any, policy: Any, app: str,
               wrap: Callable[[Any], Any] | None = None) -> None:
        """C ``as_cluster_enable_metrics``: disable what is enabled, reset the histograms,
        call the enable listener, then start counting."""
        policy = validate_policy(policy)
        self.disable(cluster, quiet=True)
        listeners = policy.metrics_listeners
        if listeners is not None:
            listener: Listener = CustomListener(wrap(listeners) if wrap else listeners, app)
        else:
            listener = MetricsWriter(policy, app)
        columns = policy.latency_columns
        for node in cluster.nodes:
            node.metrics_columns = columns
            node.metrics_on = True
            for m in _ns_list(node):
                m.reset_latency(columns)
        listener.enable()
        self.listener = listener
        cluster.metrics = MetricsState(columns, policy.latency_shift, policy.interval,
                                       listener.snapshot, listener.node_close)

    def disable(self, cluster: Any, quiet: bool = False) -> None:
        """C ``as_cluster_disable_metrics``: stop counting, then the disable listener with
        a last snapshot; ``quiet`` logs its failure instead of raising it."""
        listener = self.listener
        if listener is None:
            return
        self.abandon(cluster)
        try:
            listener.disable(cluster)
        except Exception as exc:  # noqa: BLE001
            if not quiet:
                raise
            log.warning("metrics disable error: %s", exc)

    def abandon(self, cluster: Any) -> None:
        """Stop counting without calling the disable listener (its enable failed)."""
        self.listener = None
        if cluster is not None:
            cluster.metrics = None
            for node in cluster.nodes:
                node.metrics_on = False
