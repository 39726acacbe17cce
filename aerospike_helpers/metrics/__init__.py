"""Classes of the client's metrics (``Client.enable_metrics``, ``Client.get_stats``).

:class:`ConnectionStats`, :class:`NamespaceMetrics`, :class:`Node` and :class:`Cluster`
are built by the client and handed to the :class:`MetricsListeners` callbacks;
:class:`NodeStats` and :class:`ClusterStats` are returned by ``Client.get_stats()``.
None of them is meant to be constructed by the application.
"""
from __future__ import annotations

from typing import Callable, Optional


class ConnectionStats:
    """Connection counts of one node.

    Attributes:
        in_use (int): connections busy with a command.
        in_pool (int): idle connections in the node's pool.
        opened (int): connections opened since the node was added.
        closed (int): connections closed since the node was added.
        recovered (int): connections drained after a timeout and put back in the pool
            (always 0: timed-out connections are closed, never recovered).
        aborted (int): connections whose recovery failed (always 0, see ``recovered``).
    """

    in_use: int
    in_pool: int
    opened: int
    closed: int
    recovered: int
    aborted: int

    def __repr__(self) -> str:
        return (f"ConnectionStats(in_use={self.in_use}, in_pool={self.in_pool}, "
                f"opened={self.opened}, closed={self.closed})")


class NamespaceMetrics:
    """Counters of one namespace on one node (the namespace ``""`` holds batches).

    Each latency attribute is a histogram: a list of ``latency_columns`` counts, where
    the first bucket counts commands of at most 1 ms and each later one commands up to
    ``2**latency_shift`` times longer than the previous bucket's bound, the last one
    everything longer. Counts are cumulative.

    Attributes:
        ns (str): namespace.
        bytes_in (int): bytes received from the server.
        bytes_out (int): bytes sent to the server.
        error_count (int): command errors since the node was added (retries count again).
        timeout_count (int): command timeouts since the node was added (retries count
            again).
        key_busy_count (int): key-busy errors since the node was added.
        conn_latency (list[int]): opening connections.
        write_latency (list[int]): single-record writes.
        read_latency (list[int]): single-record reads.
        batch_latency (list[int]): batch commands.
        query_latency (list[int]): scans and queries.
    """

    ns: str
    bytes_in: int
    bytes_out: int
    error_count: int
    timeout_count: int
    key_busy_count: int
    conn_latency: list
    write_latency: list
    read_latency: list
    batch_latency: list
    query_latency: list

    def __repr__(self) -> str:
        return (f"NamespaceMetrics(ns={self.ns!r}, errors={self.error_count}, "
                f"timeouts={self.timeout_count}, key_busy={self.key_busy_count})")


class Node:
    """A server node as the metrics see it.

    Attributes:
        name (str): node name.
        address (str): IP address or host name, without the port.
        port (int): port of the node's address.
        conns (ConnectionStats): connection counts.
        metrics (list[NamespaceMetrics]): per-namespace counters.
    """

    name: str
    address: str
    port: int
    conns: ConnectionStats
    metrics: list

    def __repr__(self) -> str:
        return f"Node(name={self.name!r}, address={self.address!r}, port={self.port})"


class Cluster:
    """The cluster as the metrics see it.

    Attributes:
        cluster_name (Optional[str]): the expected cluster name, or None.
        app_id (str): the config's ``app_id``, else the user name, else ``"not-set"``.
        invalid_node_count (int): peers that failed validation.
        command_count (int): commands sent while metrics were enabled (cumulative).
        retry_count (int): command retries (cumulative).
        nodes (list[Node]): the active nodes.
    """

    cluster_name: Optional[str]
    app_id: str
    invalid_node_count: int
    command_count: int
    retry_count: int
    nodes: list

    def __repr__(self) -> str:
        return (f"Cluster(cluster_name={self.cluster_name!r}, nodes={len(self.nodes)}, "
                f"commands={self.command_count}, retries={self.retry_count})")


class NodeStats:
    """Statistics of one node (``Client.get_stats``).

    Attributes:
        name: node name.
        address: IP address or host name, without the port.
        port: port of the node's address.
        conns: connection counts.
        error_count: command errors since the node was added.
        timeout_count: command timeouts since the node was added.
        key_busy_count: key-busy errors since the node was added.
    """

    name: str
    address: str
    port: int
    conns: ConnectionStats
    error_count: int
    timeout_count: int
    key_busy_count: int

    def __repr__(self) -> str:
        return f"NodeStats(name={self.name!r}, address={self.address!r}, port={self.port})"


class ClusterStats:
    """Statistics of the cluster (``Client.get_stats``).

    Attributes:
        nodes: statistics of every node.
        retry_count: command retries since the client connected.
        thread_pool_queued_tasks: batch/scan/query tasks waiting for a thread (always 0:
            they are tasks of the event loop, never queued for a thread).
        recover_queue_size: connections being recovered after a timeout (always 0).
    """

    nodes: list
    retry_count: int
    thread_pool_queued_tasks: int
    recover_queue_size: int

    def __repr__(self) -> str:
        return f"ClusterStats(nodes={len(self.nodes)}, retry_count={self.retry_count})"


class MetricsListeners:
    """The callbacks of extended metrics; all four must be set.

    Attributes:
        enable_listener (Callable[[], None]): metrics were enabled.
        snapshot_listener (Callable[[Cluster], None]): a periodic snapshot of the cluster.
        node_close_listener (Callable[[Node], None]): a node is leaving the cluster.
        disable_listener (Callable[[Cluster], None]): metrics are being disabled (also on
            ``close()``), with a last snapshot.
    """

    def __init__(
            self,
            enable_listener: Callable[[], None],
            snapshot_listener: Callable[[Cluster], None],
            node_close_listener: Callable[[Node], None],
            disable_listener: Callable[[Cluster], None]
    ):
        self.enable_listener = enable_listener
        self.snapshot_listener = snapshot_listener
        self.node_close_listener = node_close_listener
        self.disable_listener = disable_listener


class MetricsPolicy:
    """How extended metrics are collected and reported.

    Attributes:
        metrics_listeners (Optional[MetricsListeners]): the callbacks; None writes the
            snapshots to files in ``report_dir``.
        report_dir (str): directory of the metrics files.
        report_size_limit (int): a file that reaches this many bytes is closed and a new
            one started; 0 means no limit (else at least 1000000).
        interval (int): tend iterations between snapshots.
        latency_columns (int): buckets of each latency histogram.
        latency_shift (int): power of 2 between the bounds of successive buckets after the
            first two (``<=1ms``, ``>1ms``). With 7 and 1:
            ``<=1ms >1ms >2ms >4ms >8ms >16ms >32ms``; with 5 and 3:
            ``<=1ms >1ms >8ms >64ms >512ms``.
        labels (dict[str, str]): name/value labels written with each snapshot.
    """

    def __init__(
            self,
            metrics_listeners: Optional[MetricsListeners] = None,
            report_dir: str = ".",
            report_size_limit: int = 0,
            interval: int = 30,
            latency_columns: int = 7,
            latency_shift: int = 1,
            labels: dict[str, str] = {},  # noqa: B006 - the documented default
    ):
        self.metrics_listeners = metrics_listeners
        self.report_dir = report_dir
        self.report_size_limit = report_size_limit
        self.interval = interval
        self.latency_columns = latency_columns
        self.latency_shift = latency_shift
        self.labels = labels
