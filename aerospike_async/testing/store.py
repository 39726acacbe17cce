"""In-memory record storage of the embedded server: namespaces of records keyed by digest.

Bins are kept as (particle type, raw bytes) exactly as the client wrote them, so a
read returns them byte for byte; values are decoded only by operations that need them.
Times follow the server: void times are seconds since the Aerospike epoch
(2010-01-01 UTC), 0 meaning the record never expires.
"""
from __future__ import annotations

import time
from typing import Callable, Iterator

CITRUSLEAF_EPOCH = 1262304000
"""Unix time of the Aerospike epoch, which void times count from."""

TTL_NAMESPACE_DEFAULT = 0
TTL_NEVER_EXPIRE = 0xFFFFFFFF
TTL_DONT_UPDATE = 0xFFFFFFFE
MAX_ALLOWED_TTL = 10 * 365 * 24 * 3600   # ten years: a write asking for more is refused


def valid_ttl(ttl: int) -> bool:
    """Whether a write's ttl (wire value) is one the server takes."""
    return ttl <= MAX_ALLOWED_TTL or ttl == TTL_NEVER_EXPIRE or ttl == TTL_DONT_UPDATE

MAX_GENERATION = 0xFFFF
MAX_RECORD_SIZE = 1024 * 1024
"""Largest record a namespace accepts, as the server's default max-record-size."""

N_PARTITIONS = 4096

_RECORD_OVERHEAD = 35
_BIN_OVERHEAD = 6

Bins = dict[str, tuple[int, bytes]]
Listener = Callable[[bytes, "Record | None", "Record | None"], None]
"""Called as ``listener(digest, old, new)`` after a record changes (new None: removed)."""


class Record:
    """One stored record: bins in server order, set, user key, generation and times."""

    __slots__ = ("bins", "set_name", "key", "generation", "void_time", "last_update_ns",
                 "write_ttl")

    def __init__(self, bins: Bins, set_name: bytes, key: bytes | None, generation: int,
                 void_time: int, last_update_ns: int, write_ttl: int) -> None:
        self.bins = bins
        self.set_name = set_name
        self.key = key
        self.generation = generation
        self.void_time = void_time
        self.last_update_ns = last_update_ns
        self.write_ttl = write_ttl

    def expired(self, now: int) -> bool:
        """Whether the record is gone at ``now``: it lives through its void-time second,
        as on the real node (expired once ``void_time < now``; 0 never expires)."""
        return 0 < self.void_time < now

    def size(self) -> int:
        """Approximate flat size of the record, for the record-too-big check."""
        total = _RECORD_OVERHEAD + len(self.set_name) + (len(self.key) if self.key else 0)
        for name, (_ptype, value) in self.bins.items():
            total += _BIN_OVERHEAD + len(name) + len(value)
        return total


def remove_bin(bins: Bins, name: str) -> None:
    """Delete a bin the way the server does: the last bin moves into its slot."""
    if name not in bins:
        return
    items = list(bins.items())
    index = next(i for i, (n, _v) in enumerate(items) if n == name)
    items[index] = items[-1]
    items.pop()
    bins.clear()
    bins.update(items)


def next_generation(generation: int) -> int:
    """The generation after ``generation``; wraps from 65535 to 1 as the server does."""
    return 1 if generation >= MAX_GENERATION else generation + 1


class Namespace:
    """Records of one namespace, with its configuration.

    Records are kept in one dict by digest and, for scans, in one dict per partition.
    ``listeners`` (secondary indexes) hear about every change, including expiry.
    """

    __slots__ = ("name", "records", "partitions", "default_ttl", "max_record_size",
                 "replication_factor", "_clock", "listeners", "indexes")

    def __init__(self, name: str, clock: Callable[[], float], default_ttl: int = 0,
                 max_record_size: int = MAX_RECORD_SIZE, replication_factor: int = 1) -> None:
        self.name = name
        self.records: dict[bytes, Record] = {}
        self.partitions: list[dict[bytes, Record]] = [{} for _ in range(N_PARTITIONS)]
        self.default_ttl = default_ttl
        self.max_record_size = max_record_size
        self.replication_factor = replication_factor
        self._clock = clock
        self.listeners: list[Listener] = []
        self.indexes: object = None
        """The namespace's secondary indexes (set up by ``testing.sindex``)."""

    def get(self, digest: bytes, now: int) -> Record | None:
        """The live record for ``digest``; an expired one is dropped and None returned."""
        rec = self.records.get(digest)
        if rec is not None and rec.expired(now):
            self.delete(digest)
            return None
        return rec

    def put(self, digest: bytes, rec: Record) -> None:
        old = self.records.get(digest)
        self.records[digest] = rec
        self.partitions[(digest[0] | (digest[1] << 8)) & 0xFFF][digest] = rec
        for listener in self.listeners:
            listener(digest, old, rec)

    def delete(self, digest: bytes) -> None:
        old = self.records.pop(digest, None)
        if old is None:
            return
        self.partitions[(digest[0] | (digest[1] << 8)) & 0xFFF].pop(digest, None)
        for listener in self.listeners:
            listener(digest, old, None)

    def partition_records(self, pid: int, now: int) -> list[tuple[bytes, Record]]:
        """The live records of partition ``pid`` in digest order (the order scans resume in)."""
        part = self.partitions[pid]
        if not part:
            return []
        out = []
        expired = []
        for digest in sorted(part):
            rec = part[digest]
            if rec.expired(now):
                expired.append(digest)
            else:
                out.append((digest, rec))
        for digest in expired:
            self.delete(digest)
        return out

    def void_time_for(self, ttl: int, now: int, current: int | None) -> int:
        """Void time for a write asking for ``ttl`` (wire value); ``current`` is the
        existing record's void time, or None for a new record."""
        if ttl == TTL_DONT_UPDATE:
            if current is not None:
                return current
            ttl = TTL_NAMESPACE_DEFAULT
        if ttl == TTL_NAMESPACE_DEFAULT:
            ttl = self.default_ttl
        if ttl == 0 or ttl == TTL_NEVER_EXPIRE:
            return 0
        return now + ttl

    def live_records(self, now: int) -> Iterator[tuple[bytes, Record]]:
        """Every record that has not expired at ``now``."""
        for digest, rec in list(self.records.items()):
            if rec.expired(now):
                self.delete(digest)
            else:
                yield digest, rec

    def set_counts(self, now: int) -> dict[bytes, tuple[int, int]]:
        """Per set name: (object count, data bytes) of the live records."""
        counts: dict[bytes, tuple[int, int]] = {}
        for _digest, rec in self.live_records(now):
            objects, size = counts.get(rec.set_name, (0, 0))
            counts[rec.set_name] = (objects + 1, size + rec.size())
        return counts


class Store:
    """All namespaces of one node, sharing an injectable wall clock (Unix seconds)."""

    __slots__ = ("namespaces", "clock", "jobs", "udf_modules", "lua_states")

    def __init__(self, namespaces: tuple[str, ...] | list[str] = ("test", "bar"),
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.namespaces = {name: Namespace(name, clock) for name in namespaces}
        self.jobs: dict[int, object] = {}
        """Background scan/query jobs by task id (``query-show``)."""
        self.udf_modules: dict[str, object] = {}
        """Registered UDF modules by file name (``testing.udf``)."""
        self.lua_states: object = None
        """Loaded Lua states of those modules (``testing.udf_exec``)."""

    def now(self) -> int:
        """Current time in seconds since the Aerospike epoch."""
        return int(self.clock()) - CITRUSLEAF_EPOCH

    def now_ns(self) -> int:
        """Current time in nanoseconds since the Unix epoch (last-update times)."""
        return int(self.clock() * 1_000_000_000)

    def namespace(self, name: str) -> Namespace | None:
        return self.namespaces.get(name)
