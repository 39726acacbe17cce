"""Scan/query execution: the partition tracker and the per-node record streams.

A round assigns every partition still to read to the node that owns it now
(replica policy, sequence = how many rounds failed it), sends each node one
request naming its partitions (ids, or the digest to resume after), and
streams the replies of all nodes concurrently into one bounded queue: a slow
consumer fills the queue, the node readers then wait, their sockets pause
(the connection stops reading after a few unread messages) and the server
is slowed by TCP. A node that fails mid-stream (connection, timeout, index
not found yet, partitions unavailable) has its unfinished partitions read
again in the next round, resuming after the last digest received, so every
record comes once (REFERENCE §7, Java ``PartitionTracker``). Stopping early
(close(), break, exception, cancellation) cancels the readers, whose
connections are closed rather than returned half-read.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from itertools import compress, repeat
from operator import is_not, length_hint
from typing import Any, AsyncIterator, Callable

from ..cluster.cluster import Cluster
from ..cluster.connection import ConnectionClosed, SocketTimeout
from ..cluster.metrics import LATENCY_QUERY, add_error, add_timeout, ns_metrics
from ..cluster.node import Node
from ..exceptions import (AerospikeError, ConnectionError, TimeoutError, exception_for,
                          result_code_name)
from ..policy import Policy
from ..protocol.digest import PARTITION_IDS, PARTITIONS, partition_id
from ..protocol.framing import ProtocolError, as_msg_payload
from ..protocol.particles import raw_collections
from ..protocol.scan import StreamPayload, parse_stream_payload
from ..protocol.topology import group_by_owner
from .base import RC_TIMEOUT, connection_failure, give_back, io_error, server_now

RC_PARTITION_UNAVAILABLE = 11
RC_INDEX_NOT_FOUND = 201
RC_INDEX_NOT_READABLE = 203
_RETRYABLE = frozenset({ConnectionError.code, RC_TIMEOUT, RC_PARTITION_UNAVAILABLE,
                        RC_INDEX_NOT_FOUND, RC_INDEX_NOT_READABLE, -7})
_QUEUE_CHUNKS = 16  # pieces of records (StreamPayload.PIECE bytes) awaiting the consumer
_END = object()


class Partitions:
    """The state of partitions ``begin`` to ``begin + count - 1`` of a scan, shared by the
    pages of a paginated one. Per partition (at index ``pid - begin``): the digest and
    index value (bval) of the last record received, to resume after; whether it is to be
    read (again); and how many rounds its node failed it (``sequence``, which picks the
    replica). Lists rather than an object per partition: a whole scan starts 4096."""

    __slots__ = ("begin", "count", "digests", "bvals", "retry", "sequence", "failed")

    def __init__(self, begin: int = 0, count: int = PARTITIONS) -> None:
        self.begin = begin
        self.count = count
        self.digests: list[bytes | None] = [None] * count
        self.bvals: list[int | None] = [None] * count
        self.retry = [True] * count
        self.sequence = [0] * count
        self.failed = False   # whether any sequence is above 0


class NodePartitions:
    """The partitions one node reads in a round (ids: ``full`` from their start, ``partial``
    after their digest), and what it returned."""

    __slots__ = ("node", "full", "partial", "record_max", "record_count", "unavailable")

    def __init__(self, node: Node) -> None:
        self.node = node
        self.full: list[int] = []
        self.partial: list[int] = []
        self.record_max = 0
        self.record_count = 0
        self.unavailable = 0

    @property
    def parts(self) -> list[int]:
        return self.full + self.partial


class PartitionTracker:
    """Which partitions are done, across rounds and (paginated) calls."""

    def __init__(self, begin: int = 0, count: int = PARTITIONS, max_records: int = 0,
                 parts: Partitions | None = None,
                 node_filter: str | None = None) -> None:
        self.node_filter = node_filter  # a node name: read only the partitions it serves
        self.parts = Partitions(begin, count) if parts is None else parts
        self.max_records = max_records
        self.iteration = 1
        self.done = False
        # every partition is to be read again (from its digest, if any) on the next call's
        # first round; cleared only when a call with max_records ends normally, as in C
        self.retry = True
        self.node_parts: list[NodePartitions] = []
        self.errors: list[tuple[int, int, str, str]] = []

    @classmethod
    def resumed(cls, previous: "PartitionTracker", max_records: int) -> "PartitionTracker":
        """The next page of a paginated scan: the partitions left by ``previous``."""
        t = cls(max_records=max_records, parts=previous.parts)
        t.retry = previous.retry or max_records <= 0
        return t

    def assign(self, cluster: Cluster, namespace: str, replica: int) -> list[NodePartitions]:
        parts = self.parts
        begin, count = parts.begin, parts.count
        everything = PARTITION_IDS[begin:begin + count]
        whole = self.retry and self.iteration == 1
        wanted = everything if whole else list(compress(everything, parts.retry))
        # A whole scan routes 4096 partitions. While none has failed yet, each goes to its
        # live master (what node_for answers then): grouped by master in C (for all 4096,
        # once per partition map). The others (their master not live, or after a failure)
        # are routed one by one.
        by_node: dict[Node, list[int]] = {}
        rest: list[int] = []
        rows = cluster.partition_map.get(namespace)
        if rows and cluster.reads_master_first(replica) and not parts.failed:
            masters = rows[0]
            if whole and count == PARTITIONS:
                groups = {name: pids[:]
                          for name, pids in cluster.master_partitions(namespace).items()}
            else:
                groups = group_by_owner(wanted, list(map(masters.__getitem__, wanted)))
            for name, picked in groups.items():
                node = cluster.nodes_by_name.get(name) if name else None
                if node is not None and node.active:
                    by_node[node] = picked
                else:
                    rest += picked
        else:
            rest = wanted
        for pid in rest:
            node = cluster.node_for(namespace, bytes((pid & 0xFF, pid >> 8)), False, replica,
                                    parts.sequence[pid - begin])
            by_node.setdefault(node, []).append(pid)
        if rest:
            for pids in by_node.values():
                pids.sort()
        node_filter = self.node_filter   # C: another node's partitions are not read at all
        order: list[NodePartitions] = []
        resuming = parts.digests.count(None) != count   # some resume after a digest
        has_digest = list(map(is_not, parts.digests, repeat(None))) if resuming else []
        retry = parts.retry
        for node, pids in sorted(by_node.items(), key=lambda item: item[1][0]):
            if node_filter is not None and node.name != node_filter:
                continue
            np = NodePartitions(node)
            if resuming:
                np.full = [pid for pid in pids if not has_digest[pid - begin]]
                np.partial = [pid for pid in pids if has_digest[pid - begin]]
            else:
                np.full = pids
            if len(pids) == count:
                retry[:] = [False] * count
            else:
                for pid in pids:
                    retry[pid - begin] = False
            order.append(np)
        if self.max_records > 0 and order:
            n = len(order)
            if self.max_records < n:
                for np in order[self.max_records:]:
                    self._read_again(np.parts)
                order = order[:self.max_records]
                n = len(order)
            share, rem = divmod(self.max_records, n)
            for i, np in enumerate(order):
                np.record_max = share + 1 if i < rem else share
        self.node_parts = order
        self.retry = True   # until this call ends normally (a break leaves it set)
        return order

    def _read_again(self, pids: list[int], failed: bool = False) -> None:
        """Mark ``pids`` to be read again; ``failed``: by the next replica."""
        parts = self.parts
        begin = parts.begin
        for pid in pids:
            parts.retry[pid - begin] = True
            if failed:
                parts.sequence[pid - begin] += 1
                parts.failed = True

    def apply(self, np: NodePartitions, resume: dict, unavailable: list[int], n: int,
              before: dict) -> None:
        """Take in what one message of ``np``'s stream held; ``before`` gets, per partition
        whose position moved, where it was (see undeliver)."""
        parts = self.parts
        begin, count, digests, bvals = parts.begin, parts.count, parts.digests, parts.bvals
        for pid, (digest, bval) in resume.items():
            i = pid - begin
            if 0 <= i < count:
                before[pid] = (digests[i], bvals[i])
                digests[i] = digest
                bvals[i] = bval
        if unavailable:
            ours = [pid for pid in unavailable if 0 <= pid - begin < count]
            self._read_again(ours, failed=True)
            np.unavailable += len(ours)
        np.record_count += n

    def undeliver(self, pending: list[tuple[list, dict, dict, int]]) -> None:
        """Set back the partitions of records received but never handed to the caller (a
        loop left early) to the last record that was, so that a paginated query's next page
        reads them again. ``pending``: in arrival order, ``(records, before, resume, taken)``
        of each message whose records from index ``taken`` on were not handed out."""
        parts = self.parts
        settled: set[int] = set()
        for records, before, resume, taken in pending:
            left = {partition_id(rec[0][3]) for rec in records[taken:]} - settled
            settled |= left
            # a query's index position (bval) is known per message only: with one, go back
            # to the message's start (records may come again) rather than guess
            exact = all(bval is None for _digest, bval in resume.values())
            last_taken = ({partition_id(rec[0][3]): rec for rec in records[:taken]}
                          if exact else {})
            for pid in left:
                i = pid - parts.begin
                if not 0 <= i < parts.count:
                    continue
                rec = last_taken.get(pid)
                parts.digests[i], parts.bvals[i] = (
                    (bytes(rec[0][3]), None) if rec is not None
                    else before.get(pid, (parts.digests[i], parts.bvals[i])))
                parts.retry[i] = True

    def node_failed(self, np: NodePartitions, exc: AerospikeError) -> None:
        code = exc.code if exc.code is not None else -1
        self.errors.append((code, self.iteration, np.node.address, exc.msg or ""))
        self._read_again(np.parts, failed=True)
        np.unavailable = len(np.full) + len(np.partial)

    def round_complete(self) -> bool:
        """True when the scan is over; False to run another round on what is left."""
        unavailable = sum(np.unavailable for np in self.node_parts)
        if unavailable == 0:
            if self.max_records <= 0:
                self.done = True
            elif self.iteration > 1:
                # only the failed node's partitions were read again: all of them are to
                # be read again if this status is reused
                self.retry = True
                self.done = False
            else:
                self.retry = False
                done = True
                for np in self.node_parts:
                    if np.record_count >= np.record_max:
                        self._read_again(np.parts)
                        done = False
                self.done = done
            return True
        if self.max_records > 0:
            self.max_records -= sum(np.record_count for np in self.node_parts)
            if self.max_records <= 0:
                self.done = False
                return True
        self.iteration += 1
        return False

    def status(self) -> dict[Any, Any]:
        """``get_partitions_status()``: per partition ``(id, init, retry, digest, bval)``."""
        out: dict[Any, Any] = {"done": self.done, "retry": self.retry}
        parts = self.parts
        for i, pid in enumerate(range(parts.begin, parts.begin + parts.count)):
            digest = parts.digests[i]
            out[pid] = (pid, digest is not None, parts.retry[i],
                        bytearray(digest) if digest is not None else bytearray(20),
                        (parts.bvals[i] or 0) & 0xFFFF_FFFF_FFFF_FFFF)   # unsigned, as in C
        return out


class Records:
    """The records of a stream (a RecordStream, or what ``next_chunk``/``close`` like it),
    one by one for ``async for``.

    Leaving the loop early stops the stream on every node: an exception or a cancellation
    at once, a ``break`` once the loop has dropped this iterator (its finalizer schedules
    the close, as an async generator's would). It costs less per record than an async
    generator, which raises a StopIteration for every value it yields.
    """

    __slots__ = ("_stream", "_left", "_loop")

    def __init__(self, stream: Any) -> None:
        self._stream = stream   # None once closed
        self._left: Iterator[tuple] = iter(())
        self._loop: asyncio.AbstractEventLoop | None = None

    def __aiter__(self) -> "Records":
        return self

    async def __anext__(self) -> tuple:
        while True:
            for record in self._left:
                return record
            stream = self._stream
            if stream is None:
                raise StopAsyncIteration
            if self._loop is None:
                self._loop = asyncio.get_running_loop()
            try:
                chunk = await stream.next_chunk()
            except BaseException:
                self._stream = None
                await stream.close()
                raise
            if chunk is None:
                self._stream = None
                await stream.close()
                raise StopAsyncIteration
            self._left = iter(chunk)

    def __del__(self) -> None:
        stream, loop = self._stream, self._loop
        if stream is not None and loop is not None and not loop.is_closed():
            try:   # (from whichever thread the collector runs in)
                loop.call_soon_threadsafe(_close_in_task, loop, stream)
            except RuntimeError:   # the loop closed meanwhile: nothing runs any more
                pass


def _close_in_task(loop: asyncio.AbstractEventLoop, stream: Any) -> None:
    loop.create_task(stream.close())


BuildRequest = Callable[[NodePartitions, int], bytes]


class RecordStream:
    """The records of one scan/query call, as they arrive from every node.

    ``await next_chunk()`` gives iterators over ``(key, meta, bins)`` (None at the
    end) and ``async for`` gives records one by one; ``await close()`` stops
    the scan on every node. Errors surface from the iteration.
    """

    def __init__(self, cluster: Cluster, policy: Policy, namespace: str,
                 tracker: PartitionTracker, build: BuildRequest,
                 queue_chunks: int = _QUEUE_CHUNKS,
                 previous: "RecordStream | None" = None, raw: bool = False) -> None:
        self.cluster = cluster
        self.policy = policy
        self.namespace = namespace
        self.tracker = tracker
        self.build = build
        self.raw = raw   # lists and maps left as their msgpack bytes (deserialize False)
        self.queue: asyncio.Queue = asyncio.Queue(queue_chunks)
        self._task: asyncio.Task | None = None
        self._finished = False
        self._given: tuple | None = None   # the queue item of the last chunk handed out
        self._left: Iterator[tuple] | None = None   # the caller's way through its records
        self._given_back = 0   # of them, taken but handed back (see give_back)
        # the stream of the page before, whose partitions this one continues: closed (and
        # its records not taken given back) before this one starts
        self._previous = previous

    # -- consumer side ---------------------------------------------------------------
    def start(self) -> "RecordStream":
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    async def next_chunk(self) -> Iterator[tuple] | None:
        """An iterator over the next records received (at least one), or None when the scan
        is over. How far the caller gets through it is what close() counts as taken."""
        if self._finished:
            return None
        self.start()
        item = await self.queue.get()
        if item is _END or isinstance(item, BaseException):
            self._finished = True
            self._given = self._left = None   # every record was taken
            if isinstance(item, BaseException):
                raise item
            return None
        self._given = item
        self._left = left = iter(item[0])
        return left

    def __aiter__(self) -> Records:
        return Records(self)

    def give_back(self) -> None:
        """Count the last record taken as not taken: a foreach callback that returned False
        refused it, and the official client gives it again on the next page."""
        self._given_back = 1

    async def close(self) -> None:
        """Stop reading on every node (their connections are closed, not pooled).

        The partitions of records received but not taken (the rest of the last chunk's
        iterator, the chunks still queued) are set back, as the official client counts
        only the records it handed to the caller: a paginated query's next page reads them.
        """
        ended = self._finished
        self._finished = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except BaseException:  # noqa: BLE001 - cancelled or failed: either way over
                pass
        if ended:
            return
        given = self._given
        pending = []
        if given is not None:
            taken = len(given[0]) - length_hint(self._left) - self._given_back
            if taken < len(given[0]):
                pending.append((*given, taken))
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if type(item) is tuple:
                pending.append((*item, 0))
        self._given = self._left = None
        if pending:
            self.tracker.undeliver(pending)

    async def aclose(self) -> None:
        await self.close()

    # -- producer side -----------------------------------------------------------------
    async def _run(self) -> None:
        if self.raw:
            raw_collections.set(True)   # in this task's own context
        try:
            await self._rounds()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            await self.queue.put(exc)
            return
        await self.queue.put(_END)

    async def _rounds(self) -> None:
        if self._previous is not None:
            await self._previous.close()
            self._previous = None
        policy = self.policy
        tracker = self.tracker
        deadline = time.monotonic() + policy.total_s if policy.total_s else 0.0
        sleep = (policy.sleep_between_retries or 0) / 1000.0
        max_retries = policy.max_retries or 0
        replica = policy.replica if policy.replica is not None else 2
        while True:
            node_parts = tracker.assign(self.cluster, self.namespace, replica)
            if node_parts:
                tasks = [asyncio.ensure_future(self._node_stream(np, deadline))
                         for np in node_parts]
                try:
                    results = await asyncio.gather(*tasks, return_exceptions=True)
                except BaseException:
                    for t in tasks:
                        t.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                    raise
                for np, res in zip(node_parts, results):
                    if isinstance(res, BaseException):
                        if isinstance(res, AerospikeError) and res.code in _RETRYABLE:
                            tracker.node_failed(np, res)
                        else:
                            raise res
            if tracker.round_complete():
                return
            if tracker.iteration > max_retries + 1:
                raise self._final_error()
            if deadline and deadline - time.monotonic() - sleep <= 0:
                raise self._final_error(timeout=True)
            if sleep:
                await asyncio.sleep(sleep)

    def _final_error(self, timeout: bool = False) -> AerospikeError:
        """The error of a scan out of tries, as the C client words it: past the total
        timeout, "timeout: iterations=N"; out of retries, the last error's name and every
        failed try as "code,iteration,node,name"."""
        tracker = self.tracker
        if timeout:
            return TimeoutError(RC_TIMEOUT, f"timeout: iterations={tracker.iteration - 1}",
                                None, None, False)
        errors = tracker.errors
        code = errors[-1][0] if errors else RC_TIMEOUT
        lines = [result_code_name(code), "sub-errors:"]
        for c, iteration, address, _msg in errors:
            lines.append(f"{c},{iteration},{address},{result_code_name(c)}")
        return exception_for(code, "\n".join(lines))

    async def _node_stream(self, np: NodePartitions, deadline: float) -> None:
        node = np.node
        policy = self.policy
        socket_timeout = policy.socket_s
        timeout = socket_timeout
        if deadline:
            remaining = max(deadline - time.monotonic(), 0.001)
            if not timeout or remaining < timeout:
                timeout = remaining
        request = self.build(np, np.record_max)
        pool = node.pool
        metrics = self.cluster.metrics
        begin = time.perf_counter_ns() if metrics is not None else 0
        try:
            conn = await pool.acquire(timeout)
        except (ConnectionClosed, SocketTimeout, OSError) as exc:
            node.error_count += 1
            if isinstance(exc, SocketTimeout):
                add_timeout(node, self.namespace)
            raise io_error(node, exc) from None
        tracker = self.tracker
        queue = self.queue
        error = 0
        try:
            conn.start_stream(request)
            last = False
            while not last:
                mtype, payload = await conn.next_message(timeout)
                message = StreamPayload(as_msg_payload(mtype, payload), server_now())
                while not message.done:
                    chunk = message.next_chunk()
                    records = chunk.records
                    before: dict = {}
                    if records:
                        # queued first: a stop while the queue is full leaves these unread
                        await queue.put((records, before, chunk.resume))
                    tracker.apply(np, chunk.resume, chunk.unavailable, len(records), before)
                    if chunk.last:
                        error = chunk.error
                        last = True
                        break
                    if records:
                        # the consumer's turn before the next piece is decoded: records
                        # taken and dropped while young cost the garbage collector almost
                        # nothing, and their memory is reused warm; left queued, they
                        # would be promoted through every generation
                        await asyncio.sleep(0)
        except SocketTimeout:
            pool.discard(conn)
            node.error_count += 1
            add_timeout(node, self.namespace)
            raise TimeoutError(RC_TIMEOUT, f"{node.address} AEROSPIKE_ERR_TIMEOUT", None,
                               None, False) from None
        except (ConnectionClosed, ProtocolError, OSError) as exc:
            pool.discard(conn)
            node.error_count += 1
            add_error(node, self.namespace)
            raise connection_failure(node, exc) from None
        except BaseException:
            pool.discard(conn)  # stopped mid-stream: the rest of the reply would poison it
            raise
        conn.end_stream()
        give_back(pool, conn, error)
        if metrics is not None:
            self.cluster.command_count += 1
            m = ns_metrics(node, self.namespace)
            if m is not None:
                m.bytes_out += len(request)
                if not error:
                    metrics.record(m, LATENCY_QUERY, time.perf_counter_ns() - begin)
        if error:
            add_error(node, self.namespace)
            raise exception_for(error, result_code_name(error))


__all__ = ["Partitions", "PartitionTracker", "NodePartitions", "Records", "RecordStream",
           "send_to_all"]


@contextlib.asynccontextmanager
async def _streaming(node: Node, request: bytes, timeout: float | None
                     ) -> AsyncIterator[Any]:
    """A connection of ``node`` that has sent ``request``; the body reads the streamed
    answer. It goes back to the pool after a whole answer and is discarded on any
    failure; timeouts and I/O errors surface as the documented exceptions."""
    pool = node.pool
    try:
        conn = await pool.acquire(timeout)
    except (ConnectionClosed, SocketTimeout, OSError) as exc:
        raise io_error(node, exc) from None
    try:
        conn.start_stream(request)
        yield conn
    except SocketTimeout:
        pool.discard(conn)
        raise TimeoutError(RC_TIMEOUT, f"{node.address} AEROSPIKE_ERR_TIMEOUT", None,
                           None, False) from None
    except (ConnectionClosed, ProtocolError, OSError) as exc:
        pool.discard(conn)
        raise connection_failure(node, exc) from None
    except BaseException:
        pool.discard(conn)  # stopped mid-answer: the rest would poison the connection
        raise
    conn.end_stream()
    pool.release(conn)


async def send_to_all(nodes: list[Node], policy: Policy, request: bytes,
                      make_error: Callable[[Node, int], AerospikeError]) -> None:
    """Send a background scan/query to every node and wait for each node's LAST message."""
    async def one(node: Node) -> None:
        timeout = policy.socket_s or policy.total_s or None
        rc = 0
        async with _streaming(node, request, timeout) as conn:
            while True:
                mtype, payload = await conn.next_message(timeout)
                chunk = parse_stream_payload(as_msg_payload(mtype, payload))
                if chunk.last:
                    rc = chunk.error
                    break
        if rc:
            raise make_error(node, rc)

    await asyncio.gather(*(one(n) for n in nodes))


async def collect_values(nodes: list[Node], policy: Policy, request: bytes,
                         make_error: Callable[[Node, int], AerospikeError],
                         udf_error: Callable[[Node, str], AerospikeError]
                         ) -> list[tuple[int, bytes]]:
    """Send an aggregation (a query with a stream UDF) to every node and gather the
    values they answer: each record-less message's ``SUCCESS`` bin, as a particle
    ``(type, bytes)``, in arrival order per node. A ``FAILURE`` bin raises
    ``udf_error(node, message)``; a non-zero LAST result ``make_error(node, code)``."""
    from ..protocol.message import INFO3_LAST, parse_messages
    per_node: list[list[tuple[int, bytes]]] = [[] for _ in nodes]

    async def one(index: int, node: Node) -> None:
        timeout = policy.socket_s or policy.total_s or None
        out = per_node[index]
        rc = 0
        failure: str | None = None
        async with _streaming(node, request, timeout) as conn:
            done = False
            while not done:
                mtype, payload = await conn.next_message(timeout)
                for msg in parse_messages(as_msg_payload(mtype, payload)):
                    for op in msg.ops:
                        if op.name == "FAILURE":
                            failure = bytes(op.value).decode("utf-8", "replace")
                        elif op.name == "SUCCESS":
                            out.append((op.particle_type, bytes(op.value)))
                    if msg.info3 & INFO3_LAST:
                        rc = msg.result_code
                        done = True
                        break
                    if msg.result_code and failure is None and not msg.ops:
                        rc = msg.result_code
                        done = True
                        break
        if failure is not None:
            raise udf_error(node, failure)
        if rc:
            raise make_error(node, rc)

    await asyncio.gather(*(one(i, n) for i, n in enumerate(nodes)))
    return [v for values in per_node for v in values]
