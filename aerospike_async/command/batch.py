"""Batch commands: keys split by node, sub-batches run concurrently, retried by policy.

Each key is a ``BatchItem`` tuple with its entry already encoded. The items are
grouped by the node owning their partition (replica policy, sequence 0). A
node with one key gets a single-record command, as the official C client
does; a node with several gets one batch-index request. A sub-batch that
fails with a retryable error (connection, client or server timeout, device
overload, pool exhausted, error rate) is retried: with replica SEQUENCE or
PREFER_RACK the keys still unanswered are re-grouped with the next sequence
and, when they now map to several nodes, run as parallel sub-commands that
share the deadline and the iteration count (REFERENCE §7, Java
``Batch.BatchCommand.retryBatch``). Results arrive through callbacks.

Run in a sync caller's thread (``IN_CALLER``), the sub-batches cannot run as tasks: each
request goes out at once on an idle or new blocking connection, and the thread then reads
the answers one after another while the nodes work side by side.
"""
from __future__ import annotations

import asyncio
import itertools
import struct
import time
from operator import itemgetter
from typing import Any, Callable, Iterator

from ..cluster.blocking import IN_CALLER, BlockingPool
from ..cluster.cluster import REPLICA_PREFER_RACK, REPLICA_SEQUENCE, Cluster
from ..cluster.connection import ConnectionClosed, SocketTimeout
from ..cluster.metrics import LATENCY_BATCH, add_error, add_timeout, ns_metrics
from ..cluster.node import Node
from ..cluster.pool import Pool
from ..exceptions import (AerospikeError, ConnectionError, UDFError, result_code_name,
                          MaxErrorRateExceeded, NoMoreConnectionsError, TimeoutError)
from ..policy import Policy
from ..protocol.batch import REPEAT, encode_batch_body, parse_batch_records
from ..protocol.digest import PARTITIONS
from ..protocol.framing import ProtocolError, as_msg_payload, compress
from ..protocol.message import INFO2_DELETE
from ..protocol.record import record_parts, ttl_of
from .base import (RC_DEVICE_OVERLOAD, RC_TIMEOUT, connection_failure, give_back, io_error,
                   pause_between_tries, server_error, server_now)

COMPRESS_THRESHOLD = 128
# A node's keys beyond 2 * PIECE_KEYS go out as up to MAX_PIECES requests on as many
# connections: the client decodes one answer while the node still works on the next, and a
# real node spreads them over its service threads. Only on a node with nothing else of ours
# in flight: under load, concurrent calls already keep client and node busy, and pieces
# would only add per-request work to both (measured: 15% more server CPU per record).
PIECE_KEYS = 128
MAX_PIECES = 8
_UDF_ERROR = UDFError.code
_RETRY_CODES = frozenset({RC_TIMEOUT, RC_DEVICE_OVERLOAD, ConnectionError.code,
                          NoMoreConnectionsError.code, MaxErrorRateExceeded.code})

# answers of a node's message, flat: index, result code, generation, ttl as the API
# reports it, bins dict; then the next answer's five. With them, how the official client
# words a failed answer's message, from its result code and bins.
Wording = Callable[[int, dict], str]
OnReplies = Callable[[list, Wording, bool], None]   # bool: from a batch request
# a key that failed without an answer: (index, error, in doubt, whether it was refused
# before anything was sent, rather than left unanswered by its node's failed request)
OnError = Callable[[int, AerospikeError, bool, bool], None]


def _batch_wording(node: Node) -> Wording:
    """The official client words every failed answer of a batch request by the request's
    own status, which is OK while answers arrive."""
    text = f"{node.address} {result_code_name(0)}"
    return lambda _rc, _bins: text


def _single_wording(node: Node) -> Wording:
    """A key alone on its node: the failure's own name, or a UDF's failure text."""
    def word(rc: int, bins: dict) -> str:
        failure = bins.get("FAILURE") if rc == _UDF_ERROR else None
        return f"{node.address} {result_code_name(rc) if failure is None else failure}"
    return word


# One key of a batch, a plain tuple (the garbage collector stops tracking it once it sees
# only atoms in it, where an object would stay tracked and be traversed again):
# (index, namespace, digest, encoded entry, group, is_write). ``group`` equals the previous
# key's when the entry may be sent as REPEAT (None: never).
BatchItem = tuple
# builds the single-record request of a key (index, header timeout in ms) used when the
# key is alone on its node
SingleRequest = Callable[[int, int], bytes]
_INDEX, _NS, _DIGEST, _GROUP, _IS_WRITE = (itemgetter(0), itemgetter(1), itemgetter(2),
                                         itemgetter(4), itemgetter(5))


class BatchExecutor:
    """Runs one batch call: split, send, retry, report per key."""

    __slots__ = ("cluster", "single", "policy", "flags", "info1", "filter_exp", "on_replies",
                 "on_error", "socket_timeout", "total_timeout", "deadline", "max_retries",
                 "sleep", "replica", "concurrent", "header_timeout", "batch_timeout",
                 "in_caller")

    def __init__(self, cluster: Cluster, policy: Policy, flags: int, info1: int,
                 filter_exp: bytes | None, single: SingleRequest, on_replies: OnReplies,
                 on_error: OnError) -> None:
        self.cluster = cluster
        self.single = single
        self.policy = policy
        self.flags = flags
        self.info1 = info1
        self.filter_exp = filter_exp
        self.on_replies = on_replies
        self.on_error = on_error
        self.socket_timeout = policy.socket_s
        self.total_timeout = policy.total_s
        self.deadline = time.monotonic() + policy.total_s if policy.total_s else 0.0
        self.max_retries = policy.max_retries or 0
        self.sleep = (policy.sleep_between_retries or 0) / 1000.0
        self.replica = policy.replica if policy.replica is not None else REPLICA_SEQUENCE
        self.concurrent = bool(policy.concurrent)
        # a key alone on its node goes as a single-record command, with that command's
        # header timeout; a batch request's header carries the total timeout, as in C
        self.header_timeout = policy.header_timeout
        self.batch_timeout = policy.total_timeout or 0
        # run in its caller's thread (see run_in_caller): blocking connections, and the
        # requests of several nodes or pieces all sent first, then read in turn
        self.in_caller = IN_CALLER.get()

    def _pool(self, node: Node) -> Pool | BlockingPool:
        return node.sync_pool if self.in_caller else node.pool

    # -- splitting ---------------------------------------------------------------
    def split(self, items: list[BatchItem], sequence: int, prev: Node | None = None
              ) -> dict[Node, list[BatchItem]]:
        groups: dict[Node, list[BatchItem]] = {}
        cluster = self.cluster
        node_for = cluster.node_for
        replica = self.replica
        # the first try of a write, and of a read by these replica policies, goes to the
        # partition's master when it is live (what node_for answers): looked up inline
        master_first = sequence == 0
        reads_master_first = master_first and cluster.reads_master_first(replica)
        if reads_master_first and items:
            fast = self._split_reads_to_masters(items)
            if fast is not None:
                return fast
        partition_map = cluster.partition_map
        by_name = cluster.nodes_by_name
        masters_ns: str | None = None
        masters: Any = None
        last_node: Node | None = None
        last_group: list[BatchItem] = []
        for item in items:
            index, ns, digest, _entry, _group, is_write = item
            node = None
            if reads_master_first or (master_first and is_write):
                if ns is not masters_ns:
                    masters_ns = ns
                    rows = partition_map.get(ns)
                    masters = rows[0] if rows else None
                if masters is not None:
                    name = masters[(digest[0] | (digest[1] << 8)) % PARTITIONS]
                    node = by_name.get(name) if name else None
                    if node is not None and not node.active:
                        node = None
            if node is None:
                try:
                    node = node_for(ns, digest, is_write, replica, sequence, prev)
                except AerospikeError as exc:
                    self.on_error(index, exc, False, True)
                    continue
            if node is last_node:
                last_group.append(item)
                continue
            group = groups.get(node)
            if group is None:
                group = groups[node] = [item]
            else:
                group.append(item)
            last_node, last_group = node, group
        return groups

    def _split_reads_to_masters(self, items: list[BatchItem]
                                ) -> dict[Node, list[BatchItem]] | None:
        """split() of reads of one namespace that go to their partitions' masters, in one
        comprehension; None when some key is a write, of another namespace, or its partition's
        master is unknown or down (split() then goes key by key)."""
        if any(map(_IS_WRITE, items)) or len(set(map(_NS, items))) != 1:
            return None
        rows = self.cluster.partition_map.get(items[0][1])
        if not rows:
            return None
        masters = rows[0]
        names = [masters[(d[0] | (d[1] << 8)) % PARTITIONS] for d in map(_DIGEST, items)]
        distinct = set(names)
        by_name = self.cluster.nodes_by_name
        groups: dict[Node, list[BatchItem]] = {}
        for name in distinct:
            node = by_name.get(name) if name else None
            if node is None or not node.active:
                return None
            groups[node] = items if len(distinct) == 1 else list(
                itertools.compress(items, map(name.__eq__, names)))
        return groups

    async def run(self, items: list[BatchItem]) -> None:
        groups = self.split(items, 0)
        await self._run_groups(groups, 0, 0)

    async def run_chunks(self, chunks: Iterator[list[BatchItem]], total: int) -> None:
        """Run ``total`` items made chunk by chunk. In a batch large enough for pieces, a
        node's piece goes out as soon as it fills, so the node starts working while the
        client still digests and routes the later keys; else as ``run``."""
        if not self.concurrent or total < 2 * PIECE_KEYS or any(
                self._pool(node).in_use for node in self.cluster.nodes):
            await self.run([it for chunk in chunks for it in chunk])
            return
        nodes = sum(1 for node in self.cluster.nodes if node.active) or 1
        size = max(PIECE_KEYS, -(-total // (nodes * MAX_PIECES)))
        filling: dict[Node, list[BatchItem]] = {}
        tasks: list[asyncio.Future] = []
        # a connection a piece went out on, until its task (or, in a caller's thread, its
        # turn) takes it; one never taken (a task cancelled before its first step, a
        # failure before its turn) is discarded here
        handed: list[tuple[Node, list[BatchItem], list]] = []
        held: dict[Node, list[BatchItem]] = {}

        def launch(node: Node, piece: list[BatchItem], send: bool) -> None:
            if self.in_caller:
                self._send_or_hold(node, piece, held, handed)
                return
            conn = self._send_now(node, piece) if send else None
            started = [conn] if conn is not None else []
            handed.append((node, piece, started))
            tasks.append(asyncio.ensure_future(self._node_command(node, piece, 0, 0,
                                                                  started)))
        try:
            for chunk in chunks:
                for node, items in self.split(chunk, 0).items():
                    acc = filling.get(node)
                    if acc is None:
                        acc = filling[node] = items
                    else:
                        acc.extend(items)
                    while len(acc) >= size:
                        # on an idle connection the piece goes on the wire right here;
                        # its task only reads the answer
                        launch(node, acc[:size], True)
                        del acc[:size]
            for node, acc in filling.items():
                if acc:
                    launch(node, acc, len(acc) > 1)
            if self.in_caller:
                await self._in_turn(handed, 0, 0)
            else:
                await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            self._discard_unread(handed)
            raise

    def _send_or_hold(self, node: Node, items: list[BatchItem], held: dict[Node, list],
                      out: list[tuple[Node, list[BatchItem], list]]) -> None:
        """In a caller's thread: send the request of ``items`` now, on an idle or new
        connection of ``node``, so that the nodes work side by side while the thread reads
        one answer after another. A node that has no connection to spare (or none can be
        opened) gets its later pieces added to this one, held for one request of their own,
        run after those already sent (one connect attempt, not one per piece)."""
        rest = held.get(node)
        if rest is not None:
            rest.extend(items)
            return
        conn = self._send_now(node, items) if len(items) > 1 else None
        if conn is None:
            rest = held[node] = list(items)
            out.append((node, rest, []))
        else:
            out.append((node, items, [conn]))

    async def _in_turn(self, sent: list[tuple[Node, list[BatchItem], list]], sequence: int,
                       iteration: int) -> None:
        """In a caller's thread: run each request in turn, those already sent first (so the
        thread holds no connection when it waits for one)."""
        for node, items, started in sorted(sent, key=lambda piece: not piece[2]):
            await self._node_command(node, items, sequence, iteration, started)

    def _discard_unread(self, sent: list[tuple[Node, list[BatchItem], list]]) -> None:
        """Close the connections of requests sent but never read."""
        for node, _items, started in sent:
            if started:
                self._pool(node).discard(started.pop())

    def _pieces(self, groups: dict[Node, list[BatchItem]]) -> list[tuple[Node, list[BatchItem]]]:
        """The requests to send: a node's keys in one request, or, when the nodes are run
        concurrently and an otherwise idle node has at least ``2 * PIECE_KEYS`` keys, in up
        to ``MAX_PIECES`` requests of equal size run side by side."""
        if not self.concurrent:
            return list(groups.items())
        out = []
        for node, items in groups.items():
            n = len(items)
            if n < 2 * PIECE_KEYS or self._pool(node).in_use:
                out.append((node, items))
                continue
            size = -(-n // min(MAX_PIECES, n // PIECE_KEYS))
            out.extend((node, items[s:s + size]) for s in range(0, n, size))
        return out

    async def _run_groups(self, groups: dict[Node, list[BatchItem]], sequence: int,
                          iteration: int) -> None:
        if not groups:
            return
        work = self._pieces(groups)
        if self.in_caller and self.concurrent and len(work) > 1:
            sent: list[tuple[Node, list[BatchItem], list]] = []
            held: dict[Node, list[BatchItem]] = {}
            try:
                for node, items in work:
                    self._send_or_hold(node, items, held, sent)
                await self._in_turn(sent, sequence, iteration)
            except BaseException:
                self._discard_unread(sent)
                raise
            return
        if len(work) == 1 or not self.concurrent:
            for node, items in work:
                await self._node_command(node, items, sequence, iteration)
            return
        tasks = [asyncio.ensure_future(self._node_command(node, items, sequence, iteration))
                 for node, items in work]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise

    # -- one node's keys, with retries ---------------------------------------------
    async def _node_command(self, node: Node, items: list[BatchItem], sequence: int,
                            iteration: int, started: list | None = None) -> None:
        """``started``: holds the connection the first attempt's request was already
        sent on, if any (taken from it first thing)."""
        conn = started.pop() if started else None
        sent = 0
        while True:
            answered: set[int] = set()
            last, did_send = await self._attempt(node, items, answered, conn)
            conn = None
            if did_send:
                sent += 1
            if last is None:
                return
            pending = [it for it in items if it[0] not in answered]
            if not pending:
                return
            iteration += 1
            code = last.code if last.code is not None else -1
            retry = (code in _RETRY_CODES and iteration <= self.max_retries
                     and not (self.deadline and self.deadline - time.monotonic() - self.sleep
                              <= 0))
            if not retry:
                self._fail(pending, last, sent)
                return
            if self.replica in (REPLICA_SEQUENCE, REPLICA_PREFER_RACK):
                sequence += 1
                groups = self.split(pending, sequence, node)
                if len(groups) != 1 or next(iter(groups)) is not node:
                    if self.sleep:
                        await pause_between_tries(self.sleep, self.in_caller)
                    await self._run_groups(groups, sequence, iteration)
                    return
                items = groups[node] if groups else []
                if not items:
                    return
            else:
                items = pending
            if self.sleep:
                await pause_between_tries(self.sleep, self.in_caller)

    def _fail(self, items: list[BatchItem], exc: AerospikeError, sent: int) -> None:
        code = exc.code if exc.code is not None else -1
        doubt = sent > 1 or (sent == 1 and (code == RC_TIMEOUT or code <= 0))
        for it in items:
            self.on_error(it[0], exc, it[5] and doubt, False)

    def _timeout(self) -> float:
        timeout = self.socket_timeout
        if self.deadline:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                remaining = 0.001
            if not timeout or remaining < timeout:
                timeout = remaining
        return timeout

    def _timeout_error(self, node: Node) -> TimeoutError:
        policy = self.policy  # its timeouts as given, not as clamped, as the C client prints
        return TimeoutError(RC_TIMEOUT, f"Client timeout: socket={policy.socket_timeout or 0}"
                            f" total={policy.total_timeout or 0} lastNode={node.address}",
                            None, None, False)

    def _send_now(self, node: Node, items: list[BatchItem]) -> Any:
        """Send the batch request of ``items`` on an idle connection of ``node`` now and
        return it; None when the node has no idle connection or is over its error rate."""
        limit = self.cluster.settings.max_error_rate
        if limit > 0 and node.error_count > limit:
            return None
        if self.in_caller:
            conn = node.sync_pool.take_or_open(self._timeout())
        else:
            conn = node.pool.take()
        if conn is not None:
            self._start(node, conn, items)
        return conn

    async def _attempt(self, node: Node, items: list[BatchItem], answered: set[int],
                       started: Any = None) -> tuple[AerospikeError | None, bool]:
        """One try on one node: (error or None, whether the request was sent).
        ``started``: the connection the request already went out on (see _send_now)."""
        timeout = self._timeout()
        metrics = self.cluster.metrics
        begin = time.perf_counter_ns() if metrics is not None else 0
        conn = started
        if conn is None:
            limit = self.cluster.settings.max_error_rate
            if limit > 0 and node.error_count > limit:
                return MaxErrorRateExceeded(MaxErrorRateExceeded.code,
                                            f"{node.address} max error rate exceeded", None,
                                            None, False), False
            pool = self._pool(node)
            try:
                conn = pool.take()
                if conn is None:
                    conn = await pool.acquire(timeout)
            except NoMoreConnectionsError as exc:
                return exc, False
            except (ConnectionClosed, SocketTimeout, OSError) as exc:
                node.error_count += 1
                if isinstance(exc, SocketTimeout):
                    add_timeout(node, None)
                return io_error(node, exc), False
        if len(items) == 1:
            error = await self._single(node, conn, items[0], answered, timeout)
        else:
            error = await self._batch(node, conn, items, answered, timeout,
                                      started is not None)
        if metrics is not None:
            self.cluster.command_count += 1
            m = ns_metrics(node, None)  # batches count under no namespace, as in C
            if m is not None and error is None:
                metrics.record(m, LATENCY_BATCH, time.perf_counter_ns() - begin)
        return error, True

    def _io_failure(self, node: Node, conn: Any, exc: Exception) -> AerospikeError:
        """Discard a connection that failed mid-request and count the node's error."""
        self._pool(node).discard(conn)
        node.error_count += 1
        if isinstance(exc, SocketTimeout):
            add_timeout(node, None)
            return self._timeout_error(node)
        add_error(node, None)
        return connection_failure(node, exc)

    async def _single(self, node: Node, conn: Any, item: BatchItem, answered: set[int],
                      timeout: float) -> AerospikeError | None:
        pool = self._pool(node)
        index = item[0]
        request = self.single(index, self.header_timeout)
        try:
            mtype, payload = await conn.request(request, timeout)
            rc, gen, void_time, bins = record_parts(as_msg_payload(mtype, payload))
        except (SocketTimeout, ConnectionClosed, ProtocolError, OSError) as exc:
            return self._io_failure(node, conn, exc)
        except BaseException:
            pool.discard(conn)
            raise
        give_back(pool, conn, rc)
        if rc in (RC_TIMEOUT, RC_DEVICE_OVERLOAD):
            node.error_count += 1
            return server_error(node, rc)
        answered.add(index)
        # a removed record's meta has ttl 0, as the official client reports it
        ttl = 0 if request[10] & INFO2_DELETE else ttl_of(void_time, server_now())
        self.on_replies([index, rc, gen, ttl, bins], _single_wording(node), False)
        return None

    def _start(self, node: Node, conn: Any, items: list[BatchItem]) -> None:
        """Send the batch request of ``items`` on ``conn``."""
        request = self._request(items)
        if self.policy.compress and len(request) > COMPRESS_THRESHOLD:
            request = compress(request)
        m = ns_metrics(node, None) if self.cluster.metrics is not None else None
        if m is not None:
            m.bytes_out += len(request)
        conn.start_stream(request)

    async def _batch(self, node: Node, conn: Any, items: list[BatchItem], answered: set[int],
                     timeout: float, started: bool = False) -> AerospikeError | None:
        pool = self._pool(node)
        wanted = {it[0] for it in items}
        on_replies = self.on_replies
        wording = _batch_wording(node)
        rc = 0
        m = ns_metrics(node, None) if self.cluster.metrics is not None else None
        try:
            if not started:
                self._start(node, conn, items)
            while True:
                mtype, payload = await conn.next_message(timeout)
                if m is not None:
                    m.bytes_in += len(payload) + 8
                # one clock read per message for the records' ttls
                replies, last, rc = parse_batch_records(as_msg_payload(mtype, payload),
                                                        server_now())
                if replies:
                    got = set(replies[::5])
                    if (len(got) * 5 == len(replies) and got <= wanted
                            and got.isdisjoint(answered)):
                        answered |= got   # the usual case: each answer new and asked for
                        on_replies(replies, wording, True)
                    else:
                        accepted: list = []
                        for i in range(0, len(replies), 5):
                            index = replies[i]
                            if index in wanted and index not in answered:
                                answered.add(index)
                                accepted += replies[i:i + 5]
                        if accepted:
                            on_replies(accepted, wording, True)
                if last:
                    break
        except (SocketTimeout, ConnectionClosed, ProtocolError, OSError) as exc:
            return self._io_failure(node, conn, exc)
        except BaseException:
            pool.discard(conn)  # cancelled mid-reply: the rest would poison the connection
            raise
        conn.end_stream()
        give_back(pool, conn, rc)
        if rc:
            if rc in (RC_TIMEOUT, RC_DEVICE_OVERLOAD):
                node.error_count += 1
            return server_error(node, rc)
        return None


    def _request(self, items: list[BatchItem]) -> bytes:
        """The batch request of a node's keys: a key whose group equals the previous
        key's is sent as REPEAT, as the official client does."""
        pack_id = _INDEX_DIGEST.pack
        groups = set(map(_GROUP, items))
        if len(groups) == 1 and None not in groups:   # one entry, then every key REPEAT
            ids = list(map(pack_id, map(_INDEX, items), map(_DIGEST, items)))
            body = ids[0] + items[0][3] + REPEAT.join(ids[1:]) + (REPEAT if ids[1:] else b"")
            return encode_batch_body(body, len(items), self.flags, self.info1,
                                     self.batch_timeout, self.filter_exp)
        parts: list[bytes] = []
        append = parts.append
        prev = None
        for index, _ns, digest, entry, group, _is_write in items:
            append(pack_id(index, digest))
            if prev is not None and group is not None and group == prev:
                append(REPEAT)
            else:
                append(entry)
            prev = group
        return encode_batch_body(b"".join(parts), len(items), self.flags, self.info1,
                                 self.batch_timeout, self.filter_exp)


_INDEX_DIGEST = struct.Struct(">I20s")


__all__ = ["BatchItem", "BatchExecutor"]
