"""Per-node, per-namespace command counters and latency histograms (C ``as_ns_metrics``).

Error, timeout and key-busy counts are always kept, as the C client does: they are
only touched on the error paths. Bytes, command counts and latency histograms are
kept only while extended metrics are enabled: the command paths read
``cluster.metrics`` once and do nothing more when it is None.

Latency buckets (C ``as_latency_get_index``): elapsed time in milliseconds, rounded up;
bucket 0 counts ``<= 1ms``, bucket ``i`` counts ``<= 2**(shift*i)`` ms and the last
bucket counts everything above the one before it. With 7 columns and shift 1:
``<=1ms >1ms >2ms >4ms >8ms >16ms >32ms``.
"""
from __future__ import annotations

from typing import Any, Callable

# latency types, in the C client's order (as_latency.h)
LATENCY_CONN = 0
LATENCY_WRITE = 1
LATENCY_READ = 2
LATENCY_BATCH = 3
LATENCY_QUERY = 4
LATENCY_TYPES = ("conn", "write", "read", "batch", "query")

MAX_NAMESPACES = 128  # C AS_MAX_METRICS_NAMESPACES: further namespaces are not counted


def latency_index(elapsed_ns: int, columns: int, shift: int) -> int:
    """The histogram bucket of an elapsed time in nanoseconds."""
    ms = -(-elapsed_ns // 1_000_000)  # rounded up to the next millisecond
    if ms <= 1:
        return 0
    index = -(-(ms - 1).bit_length() // shift)  # smallest i with ms <= 2**(shift*i)
    last = columns - 1
    return index if index < last else last


class NsMetrics:
    """Counters of one namespace on one node; the empty namespace holds commands
    without one (batch, connection opening)."""

    __slots__ = ("ns", "bytes_in", "bytes_out", "error_count", "timeout_count",
                 "key_busy_count", "latency")

    def __init__(self, ns: str, columns: int) -> None:
        self.ns = ns
        self.bytes_in = 0
        self.bytes_out = 0
        self.error_count = 0
        self.timeout_count = 0
        self.key_busy_count = 0
        self.reset_latency(columns)

    def reset_latency(self, columns: int) -> None:
        """New empty histograms (C ``as_node_enable_metrics``)."""
        self.latency = [[0] * columns for _ in LATENCY_TYPES]


def ns_metrics(node: Any, ns: str | None) -> NsMetrics | None:
    """The node's counters for ``ns``, created on first use (None past the cap)."""
    ns = ns or ""
    table: dict[str, NsMetrics] = node.metrics
    found = table.get(ns)
    if found is None:
        if len(table) >= MAX_NAMESPACES:
            return None
        columns = node.metrics_columns
        found = table[ns] = NsMetrics(ns, columns)
    return found


def add_error(node: Any, ns: str | None) -> None:
    m = ns_metrics(node, ns)
    if m is not None:
        m.error_count += 1


def add_timeout(node: Any, ns: str | None) -> None:
    m = ns_metrics(node, ns)
    if m is not None:
        m.timeout_count += 1


def add_key_busy(node: Any, ns: str | None) -> None:
    m = ns_metrics(node, ns)
    if m is not None:
        m.key_busy_count += 1


class MetricsState:
    """What the cluster needs while extended metrics are enabled: the histogram layout,
    the snapshot interval in tends, and the two tend-time notifications."""

    __slots__ = ("columns", "shift", "interval", "on_snapshot", "on_node_close")

    def __init__(self, columns: int, shift: int, interval: int,
                 on_snapshot: Callable[[Any], None],
                 on_node_close: Callable[[Any], None]) -> None:
        self.columns = columns
        self.shift = shift or 1   # a shift of 0 (which the policy allows) buckets as 1
        self.interval = max(interval, 1)
        self.on_snapshot = on_snapshot
        self.on_node_close = on_node_close

    def record(self, m: NsMetrics, kind: int, elapsed_ns: int) -> None:
        """Count one command's latency in the histogram of ``kind``."""
        buckets = m.latency[kind]
        if buckets:   # no columns, no histogram
            buckets[latency_index(elapsed_ns, len(buckets), self.shift)] += 1
