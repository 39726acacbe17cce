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
from ..cluster.node import Node
from ..exceptions import (AerospikeError, ConnectionError, InvalidNodeError,
                          MaxErrorRateExceeded,
                          NoMoreConnectionsError, TimeoutError, exception_for,
                          result_code_name)
from ..policy import Policy
from ..protocol.framing import ProtocolError, as_msg_payload
from ..protocol.record import CITRUSLEAF_EPOCH
from ..protocol.message import MSG_HEADER_SIZE

RC_TIMEOUT = 9
RC_DEVICE_OVERLOAD = 18
RC_CLUSTER = 11
_RETRY_SERVER_CODES = (RC_TIMEOUT, RC_DEVICE_OVERLOAD, RC_CLUSTER)
_STAY_ON_NODE = (RC_TIMEOUT, NoMoreConnectionsError.code, MaxErrorRateExceeded.code)


def server_error(node: Node, code: int, in_doubt: bool = False) -> AerospikeError:
    return exception_for(code, f"{node.address} {result_code_name(code)}", in_doubt)


def io_error(node: Node, exc: BaseException | str) -> ConnectionError:
    """The documented exception for a socket or framing failure talking to ``node``."""
    return ConnectionError(ConnectionError.code, f"{node.address} {exc}", None, None, False)


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
    iteration = 0
    sent = 0
    sequence = 0
    node: Node | None = None
    last: AerospikeError
    while True:
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
            pool = node.pool
            try:
                # an idle connection is taken without entering a coroutine
                conn = pool.take() or await pool.acquire(timeout)
            except NoMoreConnectionsError as exc:
                last = exc
            except (ConnectionClosed, SocketTimeout, OSError) as exc:
                node.error_count += 1
                last = io_error(node, exc)
            else:
                sent += 1
                payload: bytes | memoryview
                try:
                    mtype, payload = await conn.request(request, timeout)
                except SocketTimeout:
                    pool.discard(conn)
                    node.error_count += 1
                    last = TimeoutError(RC_TIMEOUT, f"Client timeout: socket="
                                        f"{int(socket_timeout * 1000)} total="
                                        f"{int(total_timeout * 1000)} iterations={iteration + 1}"
                                        f" lastNode={node.address}", None, None, False)
                except (ConnectionClosed, ProtocolError, OSError) as exc:
                    pool.discard(conn)
                    node.error_count += 1
                    last = io_error(node, exc)
                except BaseException:
                    pool.discard(conn)  # cancelled mid-reply: the connection is unusable
                    raise
                else:
                    try:
                        payload = as_msg_payload(mtype, payload)
                        if len(payload) < MSG_HEADER_SIZE:
                            raise ProtocolError("truncated reply")
                    except ProtocolError as exc:
                        pool.discard(conn)
                        node.error_count += 1
                        last = io_error(node, f"invalid reply: {exc}")
                    else:
                        pool.release(conn)
                        rc = payload[5]
                        if rc not in _RETRY_SERVER_CODES:
                            return node, payload
                        node.error_count += 1
                        last = server_error(node, rc)
        iteration += 1
        if iteration > max_retries:
            break
        if deadline and deadline - time.monotonic() - sleep <= 0:
            break
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
