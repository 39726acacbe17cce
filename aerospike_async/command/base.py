"""The retry loop of a single-node command (shared/REFERENCE.md §5).

``socket_timeout`` bounds each attempt, ``total_timeout`` the whole command;
``max_retries + 1`` attempts at most. Reads move to the next replica on
retry; writes stay on the master. A command that may have reached the
server and then failed is ``in_doubt`` when it writes.
"""
from __future__ import annotations

import asyncio
import time

from ..cluster.cluster import REPLICA_MASTER, Cluster
from ..cluster.connection import ConnectionClosed, SocketTimeout
from ..cluster.metrics import (LATENCY_CONN, LATENCY_READ, LATENCY_WRITE, NsMetrics,
                               add_error, add_key_busy, add_timeout, ns_metrics)
from ..cluster.node import Node
from ..exceptions import (AerospikeError, ConnectionError, InvalidNodeError,
                          MaxErrorRateExceeded,
                          NoMoreConnectionsError, TimeoutError, exception_for,
                          result_code_name)
from ..policy import Policy
from ..protocol.digest import PARTITIONS
from ..protocol.framing import ProtocolError, as_msg_payload
from ..protocol.record import CITRUSLEAF_EPOCH
from ..protocol.message import MSG_HEADER_SIZE

RC_NOT_FOUND = 2
RC_TIMEOUT = 9
RC_KEY_BUSY = 14
RC_DEVICE_OVERLOAD = 18
RC_CLUSTER = 11
_RETRY_SERVER_CODES = (RC_TIMEOUT, RC_DEVICE_OVERLOAD, RC_CLUSTER)
_STAY_ON_NODE = (RC_TIMEOUT, NoMoreConnectionsError.code, MaxErrorRateExceeded.code)


def server_error(node: Node, code: int, in_doubt: bool = False) -> AerospikeError:
    return exception_for(code, f"{node.address} {result_code_name(code)}", in_doubt)


def io_error(node: Node, exc: BaseException | str) -> ConnectionError:
    """The documented exception for a socket or framing failure talking to ``node``."""
    return ConnectionError(ConnectionError.code, f"{node.address} {exc}", None, None, False)


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


def server_now() -> int:
    """Now on the server's clock: seconds since 2010-01-01, what void times count from."""
    return int(time.time()) - CITRUSLEAF_EPOCH


async def execute(cluster: Cluster, policy: Policy, namespace: str, digest: bytes,
                  is_write: bool, request: bytes) -> tuple[Node, bytes | memoryview]:
    """Send ``request`` to the node owning the key, retrying by policy.

    Returns the node and the reply payload (without proto header, decompressed);
    the caller interprets its result code. Raises the documented exception when
    every attempt failed.
    """
    socket_timeout = policy.socket_s
    total_timeout = policy.total_s
    deadline = time.monotonic() + total_timeout if total_timeout else 0.0
    max_retries = policy.max_retries or 0
    sleep = (policy.sleep_between_retries or 0) / 1000.0
    replica = policy.replica if policy.replica is not None else 2
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
    iteration = 0
    sent = 0
    sequence = 0
    node: Node | None = None
    last: AerospikeError
    # the first try goes to the partition's master when node_for would send it there and
    # it is live: looked up inline
    rows = cluster.partition_map.get(namespace) if (
        is_write or cluster.reads_master_first(replica)) else None
    if rows:
        name = rows[0][(digest[0] | (digest[1] << 8)) % PARTITIONS]
        node = cluster.nodes_by_name.get(name) if name else None
        if node is not None and not node.active:
            node = None
    while True:
        if node is None or iteration:
            try:
                node = cluster.node_for(namespace, digest, is_write, replica, sequence, node)
            except InvalidNodeError as exc:
                if not sent:
                    raise
                last = exc  # no node left for a retry: final, as in the C client
                break
        timeout = socket_timeout
        if deadline:
            # the first try has the whole total timeout left
            remaining = deadline - time.monotonic() if iteration else total_timeout
            if remaining < timeout or not timeout:
                timeout = remaining
        if max_error_rate > 0 and node.error_count > max_error_rate:
            last = MaxErrorRateExceeded(MaxErrorRateExceeded.code,
                                        f"{node.address} max error rate exceeded", None,
                                        None, False)
        else:
            pool = node.pool
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
                payload: bytes | memoryview
                try:
                    mtype, payload = await conn.request(request, timeout)
                except SocketTimeout:
                    pool.discard(conn)
                    node.error_count += 1
                    add_timeout(node, namespace)
                    last = TimeoutError(RC_TIMEOUT, f"Client timeout: socket="
                                        f"{int(socket_timeout * 1000)} total="
                                        f"{int(total_timeout * 1000)} iterations={iteration + 1}"
                                        f" lastNode={node.address}", None, None, False)
                except (ConnectionClosed, ProtocolError, OSError) as exc:
                    pool.discard(conn)
                    node.error_count += 1
                    add_error(node, namespace)
                    last = io_error(node, exc)
                except BaseException:
                    pool.discard(conn)  # cancelled mid-reply: the connection is unusable
                    raise
                else:
                    if m is not None:
                        m.bytes_out += len(request)
                        m.bytes_in += len(payload) + 8
                    try:
                        payload = as_msg_payload(mtype, payload)
                        if len(payload) < MSG_HEADER_SIZE:
                            raise ProtocolError("truncated reply")
                    except ProtocolError as exc:
                        pool.discard(conn)
                        node.error_count += 1
                        add_error(node, namespace)
                        last = io_error(node, f"invalid reply: {exc}")
                    else:
                        pool.release(conn)
                        rc = payload[5]
                        if rc not in _RETRY_SERVER_CODES:
                            if rc:
                                count_result(node, namespace, rc)
                            if m is not None and (rc == 0 or rc == RC_NOT_FOUND):
                                metrics.record(m, kind, time.perf_counter_ns() - begin)  # type: ignore[union-attr]
                            return node, payload
                        node.error_count += 1
                        count_result(node, namespace, rc)
                        last = server_error(node, rc)
        iteration += 1
        if iteration > max_retries:
            break
        if deadline and deadline - time.monotonic() - sleep <= 0:
            break
        cluster.retry_count += 1
        code = last.code
        # C as_command_execute: move to the next replica unless the policy is MASTER, or a
        # write (or linearized read) failed with a timeout/pool/error-rate status
        if replica != REPLICA_MASTER and ((not is_write and not linearize)
                                          or code not in _STAY_ON_NODE):
            sequence += 1
            if iteration > 1 and sleep:
                await asyncio.sleep(sleep)
        elif sleep:
            await asyncio.sleep(sleep)
    code = last.code if last.code is not None else -1
    last.in_doubt = is_write and (sent > 1 or (sent == 1 and (code == RC_TIMEOUT or code <= 0)))
    last.args = (last.code, last.msg, last.file, last.line, last.in_doubt)
    raise last
