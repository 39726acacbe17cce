"""The retry loop of a single-node command (shared/REFERENCE.md §5).

``socket_timeout`` bounds each attempt, ``total_timeout`` the whole command;
``max_retries + 1`` attempts at most. Reads move to the next replica on
retry; writes stay on the master. A command that may have reached the
server and then failed is ``in_doubt`` when it writes.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from ..cluster.blocking import IN_CALLER, BlockingPool
from ..cluster.cluster import REPLICA_MASTER, REPLICA_SEQUENCE, Cluster
from ..cluster.connection import ConnectionClosed, SocketTimeout
from ..cluster.metrics import (LATENCY_CONN, LATENCY_READ, LATENCY_WRITE, NsMetrics,
                               add_error, add_key_busy, add_timeout, ns_metrics)
from ..cluster.node import Node
from ..cluster.pool import Pool
from ..exceptions import (AerospikeError, ClientError, ConnectionError, InvalidNodeError,
                          MaxErrorRateExceeded,
                          NoMoreConnectionsError, TimeoutError, exception_for,
                          result_code_name)
from ..policy import Policy
from ..protocol.framing import ProtocolError, as_msg_payload
from ..protocol.record import CITRUSLEAF_EPOCH
from ..protocol.message import MSG_HEADER_SIZE

RC_NOT_FOUND = 2
RC_TIMEOUT = 9
RC_KEY_BUSY = 14
RC_DEVICE_OVERLOAD = 18
RC_CLUSTER = 11
RC_SCAN_ABORTED = 15
RC_NOT_AUTHENTICATED = 80
RC_QUERY_ABORTED = 210
# answers after which the C client closes the connection instead of reusing it: an aborted
# scan or query, and a connection that lost its login
_CLOSE_AFTER = frozenset((RC_SCAN_ABORTED, RC_NOT_AUTHENTICATED, RC_QUERY_ABORTED))
_RETRY_SERVER_CODES = (RC_TIMEOUT, RC_DEVICE_OVERLOAD, RC_CLUSTER)
_STAY_ON_NODE = (RC_TIMEOUT, NoMoreConnectionsError.code, MaxErrorRateExceeded.code)


def server_error(node: Node, code: int, in_doubt: bool = False) -> AerospikeError:
    return exception_for(code, f"{node.address} {result_code_name(code)}", in_doubt)


def io_error(node: Node, exc: BaseException | str) -> ConnectionError:
    """The documented exception for a socket failure talking to ``node``."""
    return ConnectionError(ConnectionError.code, f"{node.address} {exc}", None, None, False)


def protocol_failure(exc: ProtocolError) -> ClientError:
    """A reply that cannot be read: ClientError, raised at once with no retry (the C
    client's "anything else"), where a socket failure would be retried."""
    return ClientError(ClientError.code, str(exc), None, None, False)


def connection_failure(node: Node, exc: BaseException) -> AerospikeError:
    """The error of a request whose connection to ``node`` failed: an unreadable reply
    (final), else a socket failure (retried)."""
    return protocol_failure(exc) if isinstance(exc, ProtocolError) else io_error(node, exc)


# an unreadable reply's code: a try that ends with it is the last (see protocol_failure)
_FINAL = ClientError.code


def count_result(node: Node, namespace: str | None, rc: int) -> None:
    """Count a server result in the node's always-on counters, as the C client's
    ``as_command_execute`` does: not-found is no error, key-busy has its own count, a
    server timeout is a timeout, anything else an error."""
    if rc == RC_NOT_FOUND:
        return
    if rc == RC_KEY_BUSY:
        add_key_busy(node, namespace)
    elif rc == RC_TIMEOUT:
        add_timeout(node, namespace)
    else:
        add_error(node, namespace)


def give_back(pool: Pool | BlockingPool, conn: Any, rc: int) -> None:
    """Return a connection after a whole answer with result code ``rc`` (closed after
    one of the answers that end its use)."""
    if rc in _CLOSE_AFTER:
        pool.discard(conn)
    else:
        pool.release(conn)


def server_now() -> int:
    """Now on the server's clock: seconds since 2010-01-01, what void times count from."""
    return int(time.time()) - CITRUSLEAF_EPOCH


async def execute(cluster: Cluster, policy: Policy, namespace: str, digest: bytes,
                  is_write: bool, request: bytes) -> tuple[Node, bytes | memoryview]:
    """Send ``request`` to the node owning the key, retrying by policy.

    Returns the node and the reply payload (without proto header, decompressed);
    the caller interprets its result code. Raises the documented exception when
    every attempt failed. Run in its caller's thread (``IN_CALLER``), it takes
    blocking connections and never suspends.
    """
    start = time.monotonic()
    in_caller = IN_CALLER.get()
    if cluster.metrics is None and (is_write or not cluster.sc_namespaces):
        # the usual first try, inline: an idle connection of the partition's live master
        if is_write or cluster.reads_master_first(
                policy.replica if policy.replica is not None else REPLICA_SEQUENCE):
            node = cluster.live_master(namespace, digest)
            limit = cluster.settings.max_error_rate
            if node is not None and (limit <= 0 or node.error_count <= limit):
                pool: Pool | BlockingPool = node.sync_pool if in_caller else node.pool
                conn = pool.take()
                if conn is not None:
                    last: AerospikeError | None
                    try:
                        mtype, payload = await conn.request(request, policy.socket_s)
                    except BaseException as exc:
                        last = _request_failed(exc, node, pool, conn, namespace, policy, 1)
                    else:
                        payload, last = _reply(node, pool, conn, namespace, mtype, payload)
                        if last is None:
                            return node, payload
                    return await _retry(cluster, policy, namespace, digest, is_write,
                                        request, start, in_caller, node, last)
    return await _retry(cluster, policy, namespace, digest, is_write, request, start,
                        in_caller)


def _request_failed(exc: BaseException, node: Node, pool: Pool | BlockingPool, conn: Any,
                    namespace: str, policy: Policy, iterations: int) -> AerospikeError:
    """The error to go on with after ``conn.request`` raised ``exc``: the connection is
    discarded and the node's error counted; anything but a timeout or an I/O failure
    (a cancellation mid-reply) is raised again."""
    if isinstance(exc, (ConnectionClosed, ProtocolError, OSError)):
        return _broken(node, pool, conn, namespace, exc)
    pool.discard(conn)
    if isinstance(exc, SocketTimeout):
        node.error_count += 1
        add_timeout(node, namespace)
        # the policy's timeouts as given, not as clamped, as the C client prints them
        return TimeoutError(RC_TIMEOUT, f"Client timeout: socket={policy.socket_timeout or 0}"
                            f" total={policy.total_timeout or 0} iterations={iterations}"
                            f" lastNode={node.address}", None, None, False)
    raise exc


def _broken(node: Node, pool: Pool | BlockingPool, conn: Any, namespace: str,
            exc: BaseException) -> AerospikeError:
    """Discard a connection whose request failed or whose reply could not be read, count
    the node's error, and give the error to go on with."""
    pool.discard(conn)
    node.error_count += 1
    add_error(node, namespace)
    return connection_failure(node, exc)


def _reply(node: Node, pool: Pool | BlockingPool, conn: Any, namespace: str, mtype: int,
           payload: bytes | memoryview) -> tuple[Any, AerospikeError | None]:
    """(payload, None) of a usable reply, its connection released; or (None, the error to
    go on with) for a malformed reply (connection discarded) or a result code worth
    another try."""
    try:
        payload = as_msg_payload(mtype, payload)
        if len(payload) < MSG_HEADER_SIZE:
            raise ProtocolError("truncated reply")
    except ProtocolError as exc:
        return None, _broken(node, pool, conn, namespace, exc)
    rc = payload[5]
    give_back(pool, conn, rc)
    if rc not in _RETRY_SERVER_CODES:
        if rc:
            count_result(node, namespace, rc)
        return payload, None
    node.error_count += 1
    count_result(node, namespace, rc)
    return None, server_error(node, rc)


async def _retry(cluster: Cluster, policy: Policy, namespace: str, digest: bytes,
                 is_write: bool, request: bytes, start: float, in_caller: bool,
                 node: Node | None = None, last: AerospikeError | None = None
                 ) -> tuple[Node, bytes | memoryview]:
    """execute's tries by policy; ``last``: the error of a first try already made on
    ``node`` (so the next one is a retry)."""
    socket_timeout = policy.socket_s
    total_timeout = policy.total_s
    deadline = start + total_timeout if total_timeout else 0.0
    max_retries = policy.max_retries or 0
    sleep = (policy.sleep_between_retries or 0) / 1000.0
    replica = policy.replica if policy.replica is not None else REPLICA_SEQUENCE
    linearize = False
    if not is_write and cluster.sc_namespaces:
        replica, linearize = cluster.effective_replica(namespace, replica,
                                                       policy.read_mode_sc)
    max_error_rate = cluster.settings.max_error_rate
    metrics = cluster.metrics  # extended metrics: None unless enabled
    m: NsMetrics | None = None
    begin = kind = 0
    if metrics is not None:
        cluster.command_count += 1
        kind = LATENCY_WRITE if is_write else LATENCY_READ
    iteration = sent = 0 if last is None else 1
    sequence = 0
    while True:
        if iteration:
            # after a failed try (C as_command_execute): stop, or move on to the next
            # replica unless the policy is MASTER, or a write (or linearized read) failed
            # with a timeout/pool/error-rate status
            assert last is not None
            if iteration > max_retries or last.code == _FINAL:
                break
            if deadline and deadline - time.monotonic() - sleep <= 0:
                break
            cluster.retry_count += 1
            if replica != REPLICA_MASTER and ((not is_write and not linearize)
                                              or last.code not in _STAY_ON_NODE):
                sequence += 1
                if iteration > 1 and sleep:
                    await pause_between_tries(sleep, in_caller)
            elif sleep:
                await pause_between_tries(sleep, in_caller)
        try:
            node = cluster.node_for(namespace, digest, is_write, replica, sequence, node)
        except InvalidNodeError as exc:
            if not sent:
                raise
            last = exc  # no node left for a retry: final, as in the C client
            break
        timeout = socket_timeout
        if deadline:
            remaining = deadline - time.monotonic()
            if remaining < timeout or not timeout:
                timeout = remaining
        if max_error_rate > 0 and node.error_count > max_error_rate:
            last = MaxErrorRateExceeded(MaxErrorRateExceeded.code,
                                        f"{node.address} max error rate exceeded", None,
                                        None, False)
        else:
            pool = node.sync_pool if in_caller else node.pool
            if metrics is not None:
                m = ns_metrics(node, namespace)
                begin = time.perf_counter_ns()
            try:
                # an idle connection is taken without entering a coroutine
                conn = pool.take()
                if conn is None:
                    opened = pool.opened
                    conn = await pool.acquire(timeout)
                    if m is not None and pool.opened != opened:
                        metrics.record(m, LATENCY_CONN, time.perf_counter_ns() - begin)  # type: ignore[union-attr]
            except NoMoreConnectionsError as exc:
                last = exc
            except (ConnectionClosed, SocketTimeout, OSError) as exc:
                node.error_count += 1
                if isinstance(exc, SocketTimeout):
                    add_timeout(node, namespace)
                last = io_error(node, exc)
            else:
                sent += 1
                try:
                    mtype, payload = await conn.request(request, timeout)
                except BaseException as exc:
                    last = _request_failed(exc, node, pool, conn, namespace, policy,
                                           iteration + 1)
                else:
                    if m is not None:
                        m.bytes_out += len(request)
                        m.bytes_in += len(payload) + 8
                    payload, last = _reply(node, pool, conn, namespace, mtype, payload)
                    if last is None:
                        if m is not None and (payload[5] == 0 or payload[5] == RC_NOT_FOUND):
                            metrics.record(m, kind, time.perf_counter_ns() - begin)  # type: ignore[union-attr]
                        return node, payload
        iteration += 1
    assert last is not None
    code = last.code if last.code is not None else -1
    last.in_doubt = is_write and (sent > 1 or (sent == 1 and (code == RC_TIMEOUT or code <= 0)))
    last.args = (last.code, last.msg, last.file, last.line, last.in_doubt)
    raise last


async def pause_between_tries(seconds: float, in_caller: bool) -> None:
    """Sleep between tries: blocking in a caller's thread, else on the loop."""
    if in_caller:
        time.sleep(seconds)
    else:
        await asyncio.sleep(seconds)
