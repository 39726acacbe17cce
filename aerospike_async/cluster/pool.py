"""A bounded per-node pool of connections, most recently used first."""
from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from ..exceptions import NoMoreConnectionsError
from .connection import Connection, open_connection

IDLE_TRIM_DEFAULT = 55.0  # seconds, when max_socket_idle is 0


class PoolBase:
    """What both pools of a node keep and do alike: the address, cap, minimum, idle limit,
    connect timeout and TLS of its connections; the idle ones, most recently used last;
    their counts; taking, trimming and closing. The blocking pool calls these with its
    lock held."""

    __slots__ = ("host", "port", "max_size", "min_size", "max_idle", "connect_timeout",
                 "tls", "tls_name", "_idle", "total", "closed", "opened", "closed_count",
                 "admit")

    def __init__(self, host: str, port: int, max_size: int, min_size: int, max_idle: float,
                 connect_timeout: float, tls: Any, tls_name: str | None) -> None:
        self.host = host
        self.port = port
        self.tls = tls  # a TLSConfig: connections are encrypted, verified against tls_name
        self.tls_name = tls_name
        self.max_size = max_size
        self.min_size = min_size
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self._idle: deque[Any] = deque()
        self.total = 0  # in use, idle, being opened, or promised to a waiter
        self.closed = False
        self.opened = 0  # connections ever opened
        self.closed_count = 0  # connections ever closed by the pool
        # with security on: run on each new connection before its first use (it presents
        # the node's session), given the connection and the command's timeout
        self.admit: Callable[[Any, float | None], Coroutine[Any, Any, None]] | None = None

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def in_use(self) -> int:
        return self.total - len(self._idle)

    def _exhausted(self) -> NoMoreConnectionsError:
        return NoMoreConnectionsError(
            -7, f"Max node {self.host}:{self.port} connections would be exceeded: "
            f"{self.max_size}", None, None, False)

    @staticmethod
    def _closed_error() -> NoMoreConnectionsError:
        return NoMoreConnectionsError(-7, "pool is closed", None, None, False)

    def _connect_limit(self, timeout: float | None) -> float:
        """How long a new connection may take: the connect timeout, or the command's
        ``timeout`` when that is shorter."""
        limit = self.connect_timeout
        if timeout and (not limit or timeout < limit):
            limit = timeout
        return limit

    def _slot_or_wait(self, timeout: float | None) -> float:
        """After no idle connection was found: 0 when a slot is free (now counted, for a
        new connection), else how long the command may wait at the cap for a connection
        (its ``timeout``); raises when the pool is closed, or at the cap with no time to
        wait."""
        if self.closed:
            raise self._closed_error()
        if self.total < self.max_size:
            self.total += 1
            return 0.0
        if not timeout:
            raise self._exhausted()
        return timeout

    def _count_opened(self, conn: Any) -> None:
        """Count a connection just opened; one the pool was closed meanwhile is dropped,
        and the command fails."""
        self.opened += 1
        if self.closed:
            self._drop(conn)
            raise self._closed_error()

    async def _admitted(self, conn: Any, timeout: float | None) -> Any:
        """``conn``, just opened, once ``admit`` let it in (closed when it did not)."""
        if self.admit is not None:
            try:
                await self.admit(conn, timeout or self.connect_timeout)
            except BaseException:
                conn.close()
                raise
        return conn

    def _drop(self, conn: Any) -> None:
        """Close a connection the pool counted and give up its slot."""
        conn.close()
        self.total -= 1
        self.closed_count += 1

    def take(self) -> Any:
        """The most recently used idle connection still fit for use, or None."""
        idle = self._idle
        max_idle = self.max_idle
        while idle:
            conn = idle.pop()
            if conn.closed or (max_idle and time.monotonic() - conn.last_used > max_idle):
                self._drop(conn)
                continue
            return conn
        return None

    def trim(self) -> int:
        """Close idle connections past their idle limit (``max_idle``, else
        IDLE_TRIM_DEFAULT), oldest first, down to ``min_size``; returns how many."""
        limit = self.max_idle or IDLE_TRIM_DEFAULT
        now = time.monotonic()
        idle = self._idle
        closed = 0
        while idle and self.total > self.min_size:
            oldest = idle[0]
            if not oldest.closed and now - oldest.last_used <= limit:
                break
            self._drop(idle.popleft())
            closed += 1
        return closed

    def close(self) -> None:
        """Close the idle connections; the others are closed as they come back."""
        self.closed = True
        while self._idle:
            self._drop(self._idle.pop())


class Pool(PoolBase):
    """Connections to one node, at most ``max_size`` open at once.

    ``acquire`` pops the most recently used idle connection, drops ones idle
    longer than ``max_idle``, and opens a new one while under the cap. At the
    cap it waits for a connection to come back, but never longer than the
    command's own timeout: then, or at once when the command has no timeout,
    it fails with NoMoreConnectionsError as the official clients do.
    A connection handed back goes straight to the longest waiter.
    """

    __slots__ = ("_waiters",)

    def __init__(self, host: str, port: int, max_size: int = 100, min_size: int = 0,
                 max_idle: float = 0.0, connect_timeout: float = 1.0, tls: Any = None,
                 tls_name: str | None = None) -> None:
        super().__init__(host, port, max_size, min_size, max_idle, connect_timeout, tls,
                         tls_name)
        self._waiters: deque[asyncio.Future] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self, timeout: float | None = None) -> Connection:
        conn = self.take()
        if conn is not None:
            return conn
        wait = self._slot_or_wait(timeout)
        if wait:
            conn = await self._wait(wait)
            if conn is not None:
                return conn
            # a slot was handed over: open a connection in it
        return await self._open(timeout)

    async def _wait(self, timeout: float) -> Connection | None:
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        self._waiters.append(fut)
        handle = loop.call_later(timeout, self._expire, fut)
        try:
            return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                self._pass_on(fut.result())  # handed over just as we were cancelled
            raise
        finally:
            handle.cancel()
            try:
                self._waiters.remove(fut)
            except ValueError:
                pass

    def _expire(self, fut: asyncio.Future) -> None:
        if not fut.done():
            fut.set_exception(self._exhausted())

    def _pass_on(self, conn: Connection | None) -> None:
        """Give a connection (or, with None, a free slot) to the next waiter, if any."""
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(conn)
                return
        if conn is None:
            self.total -= 1
        else:
            conn.last_used = time.monotonic()
            self._idle.append(conn)

    async def _open(self, timeout: float | None) -> Connection:
        try:
            conn = await self._admitted(await open_connection(
                self.host, self.port, self._connect_limit(timeout), self.tls, self.tls_name),
                timeout)
        except BaseException:
            self._pass_on(None)
            raise
        self._count_opened(conn)
        return conn

    def release(self, conn: Connection) -> None:
        """Return a connection that finished a whole reply."""
        if conn.closed or self.closed:
            self.discard(conn)
            return
        self._pass_on(conn)

    def discard(self, conn: Connection) -> None:
        """Close a connection whose state is unknown (error, timeout, cancellation)."""
        conn.close()
        self.closed_count += 1
        if self.closed:
            self.total -= 1
        else:
            self._pass_on(None)

    async def fill(self) -> None:
        """Open connections until ``min_size`` are open."""
        while not self.closed and self.total < self.min_size:
            self.total += 1
            self.release(await self._open(self.connect_timeout))

    def close(self) -> None:
        super().close()
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(self._closed_error())

    def __repr__(self) -> str:
        return (f"<Pool {self.host}:{self.port} total={self.total} idle={len(self._idle)} "
                f"waiting={len(self._waiters)} max={self.max_size}>")
