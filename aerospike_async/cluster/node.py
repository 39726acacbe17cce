"""A cluster node: its address, its command pool, its tend connection and tend state."""
from __future__ import annotations

from typing import Any

from ..protocol.framing import MSG_INFO
from ..protocol.info import encode_info_request, parse_info_response
from ..exceptions import ConnectionError, TimeoutError, TLSError, exception_for
from .auth import Credentials, LoginFailed, Session, authenticate, login
from .connection import (Connection, ConnectionClosed, SocketTimeout, TLSFailure,
                         open_connection)
from .blocking import BlockingPool
from .metrics import ns_metrics
from .pool import Pool


async def info_host(host: str, port: int, command: str, timeout: float, tls: Any = None,
                    tls_name: str | None = None, credentials: Credentials | None = None
                    ) -> bytes:
    """One info request on a connection of its own to any host (``aerospike_info_host``),
    over TLS when ``tls`` (a TLSConfig) is given, logged in first with ``credentials``."""
    try:
        conn = await open_connection(host, port, timeout, tls, tls_name)
    except TLSFailure as exc:
        raise TLSError(-9, f"{host}:{port} {exc}", None, None, False) from None
    except (ConnectionClosed, SocketTimeout, OSError) as exc:
        raise ConnectionError(-10, f"{host}:{port} {exc}", None, None, False) from None
    try:
        if credentials is not None:
            try:
                await login(conn, credentials)
            except LoginFailed as exc:
                raise exception_for(exc.code, f"{host}:{port} {exc}") from None
        _t, payload = await conn.request(encode_info_request(*filter(None, [command])),
                                         timeout)
    except SocketTimeout:
        raise TimeoutError(9, f"{host}:{port} info timeout", None, None, False) from None
    except (ConnectionClosed, OSError) as exc:
        raise ConnectionError(-10, f"{host}:{port} {exc}", None, None, False) from None
    finally:
        conn.close()
    return bytes(payload)


class Node:
    """One server node as the tender sees it.

    Commands borrow connections from ``pool``, or from ``sync_pool`` when they run in
    their caller's thread (see blocking.py); tending uses its own connection so that a
    busy pool never starves the tender.
    """

    __slots__ = ("name", "host", "port", "address", "pool", "sync_pool", "features", "active",
                 "partition_generation", "peers_generation", "rebalance_generation",
                 "failures", "refresh_count", "reference_count", "peers_count",
                 "partition_changed", "rebalance_changed", "error_count", "_tend_conn",
                 "connect_timeout", "racks", "tend_failures_total", "metrics",
                 "metrics_columns", "metrics_on", "credentials", "session", "perform_login")

    def __init__(self, name: str, host: str, port: int, features: frozenset[str],
                 pool: Pool, connect_timeout: float, sync_min: int = 0,
                 credentials: Credentials | None = None) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.address = f"{host}:{port}"
        self.pool = pool
        self.sync_pool = BlockingPool(host, port, pool.max_size, sync_min, pool.max_idle,
                                      pool.connect_timeout, pool.tls, pool.tls_name)
        self.features = features
        self.active = True
        self.partition_generation = -1
        self.peers_generation = -1
        self.rebalance_generation = -1
        self.failures = 0
        self.refresh_count = 0
        self.reference_count = 0
        self.peers_count = 0
        self.partition_changed = True  # a new node's partitions are read on its first tend
        self.rebalance_changed = False
        self.error_count = 0
        self.racks: dict[str, int] = {}  # namespace -> rack id (rack_aware)
        self.tend_failures_total = 0
        self.metrics: dict[str, Any] = {}  # namespace -> metrics.NsMetrics
        self.metrics_columns = 1  # latency columns of new namespace histograms
        self.metrics_on = False  # extended metrics enabled: count tend bytes too
        self._tend_conn: Connection | None = None
        self.connect_timeout = connect_timeout
        # security: the tend connection logs in; new pool connections present the session
        self.credentials = credentials
        self.session: Session | None = None
        self.perform_login = False  # presenting the session failed: log in again
        if credentials is not None:
            pool.admit = self.sync_pool.admit = self._present_session

    def _login_due(self) -> bool:
        """Log in again: presenting the session failed, or it is about to expire."""
        session = self.session
        return self.perform_login or (session is not None and session.due())

    async def _login(self, conn: Connection) -> None:
        assert self.credentials is not None
        try:
            self.session = await login(conn, self.credentials)
        except LoginFailed:
            self.perform_login = True
            raise
        self.perform_login = False

    async def _log_in_tend_connection(self, conn: Connection, new: bool) -> None:
        """A new tend connection presents a current session (logging in when that fails,
        or when there is none); one in use logs in again when the session is due."""
        session = self.session
        due = self._login_due()
        if new and session is not None and not due:
            try:
                await authenticate(conn, session, self.connect_timeout)
                return
            except LoginFailed:
                pass
        if new or due:
            await self._login(conn)

    async def _present_session(self, conn: Any, timeout: float | None) -> None:
        """A pool's new connection presents the node's session; refused, the tender logs
        in again at its next tend and the connection fails (LoginFailed)."""
        session = self.session
        if session is None:   # the node has no security (or was not logged in to yet)
            return
        try:
            await authenticate(conn, session, timeout)
        except LoginFailed:
            self.perform_login = True
            raise

    async def tend_info(self, *commands: str, timeout: float) -> dict[str, str]:
        """Ask info commands on the dedicated tend connection."""
        conn = self._tend_conn
        new = conn is None or conn.closed
        if new:
            pool = self.pool
            conn = self._tend_conn = await open_connection(
                self.host, self.port, self.connect_timeout or timeout, pool.tls, pool.tls_name)
        assert conn is not None
        request = encode_info_request(*commands)
        try:
            if self.credentials is not None:
                await self._log_in_tend_connection(conn, new)
            mtype, payload = await conn.request(request, timeout)
        except BaseException:
            conn.close()
            self._tend_conn = None
            raise
        if mtype != MSG_INFO:
            conn.close()
            self._tend_conn = None
            raise ConnectionClosed(f"unexpected reply type {mtype} from {self.address}")
        if self.metrics_on:  # info bytes count under no namespace, as in C as_node_info
            m = ns_metrics(self, None)
            if m is not None:
                m.bytes_out += len(request)
                m.bytes_in += len(payload) + 8
        return parse_info_response(bytes(payload))

    def has_rack(self, namespace: str, rack_id: int) -> bool:
        return self.racks.get(namespace) == rack_id

    def close_tend_connection(self) -> None:
        if self._tend_conn is not None:
            self._tend_conn.close()
            self._tend_conn = None

    def close(self) -> None:
        self.active = False
        self.pool.close()
        self.sync_pool.close()
        if self._tend_conn is not None:
            self._tend_conn.close()
            self._tend_conn = None

    def __repr__(self) -> str:
        return (f"<Node {self.name} {self.address} active={self.active} "
                f"partition_gen={self.partition_generation} peers_gen={self.peers_generation} "
                f"failures={self.failures} errors={self.error_count} {self.pool!r} "
                f"{self.sync_pool!r}>")
