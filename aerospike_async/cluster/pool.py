"""A bounded per-node pool of connections, most recently used first."""
from __future__ import annotations

import time
from collections import deque

from ..exceptions import NoMoreConnectionsError
from .connection import Connection, open_connection

IDLE_TRIM_DEFAULT = 55.0  # seconds, when max_socket_idle is 0


class Pool:
    """Connections to one node, at most ``max_size`` open at once.

    ``acquire`` pops the most recently used idle connection, drops ones idle
    longer than ``max_idle``, and opens a new one while under the cap; at the
    cap it fails fast with NoMoreConnectionsError, as the official clients do.
    """

    __slots__ = ("host", "port", "max_size", "min_size", "max_idle", "connect_timeout",
                 "_idle", "total", "closed", "opened", "on_error")

    def __init__(self, host: str, port: int, max_size: int = 100, min_size: int = 0,
                 max_idle: float = 0.0, connect_timeout: float = 1.0) -> None:
        self.host = host
        self.port = port
        self.max_size = max_size
        self.min_size = min_size
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self._idle: deque[Connection] = deque()
        self.total = 0  # in use plus idle
        self.closed = False
        self.opened = 0  # connections ever opened

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def in_use(self) -> int:
        return self.total - len(self._idle)

    async def acquire(self, timeout: float | None = None) -> Connection:
        idle = self._idle
        max_idle = self.max_idle
        while idle:
            conn = idle.pop()
            if conn.closed or (max_idle and time.monotonic() - conn.last_used > max_idle):
                conn.close()
                self.total -= 1
                continue
            return conn
        if self.total >= self.max_size:
            raise NoMoreConnectionsError(
                -7, f"Max node {self.host}:{self.port} connections would be exceeded: "
                f"{self.max_size}", None, None, False)
        self.total += 1
        limit = self.connect_timeout
        if timeout and (not limit or timeout < limit):
            limit = timeout
        try:
            conn = await open_connection(self.host, self.port, limit)
        except BaseException:
            self.total -= 1
            raise
        self.opened += 1
        if self.closed:
            conn.close()
            self.total -= 1
            raise NoMoreConnectionsError(-7, "pool is closed", None, None, False)
        return conn

    def release(self, conn: Connection) -> None:
        """Return a connection that finished a whole reply."""
        if conn.closed or self.closed:
            conn.close()
            self.total -= 1
            return
        conn.last_used = time.monotonic()
        self._idle.append(conn)

    def discard(self, conn: Connection) -> None:
        """Close a connection whose state is unknown (error, timeout, cancellation)."""
        conn.close()
        self.total -= 1

    def trim(self) -> int:
        """Close idle connections past their idle limit, oldest first; returns how many."""
        limit = self.max_idle or IDLE_TRIM_DEFAULT
        now = time.monotonic()
        idle = self._idle
        closed = 0
        while idle and len(idle) + (self.total - len(idle)) > self.min_size:
            oldest = idle[0]
            if not oldest.closed and now - oldest.last_used <= limit:
                break
            idle.popleft().close()
            self.total -= 1
            closed += 1
        return closed

    async def fill(self) -> None:
        """Open connections until ``min_size`` are open."""
        while not self.closed and self.total < self.min_size:
            self.total += 1
            try:
                conn = await open_connection(self.host, self.port, self.connect_timeout)
            except BaseException:
                self.total -= 1
                raise
            self.opened += 1
            self.release(conn)

    def close(self) -> None:
        self.closed = True
        while self._idle:
            self._idle.pop().close()
            self.total -= 1

    def __repr__(self) -> str:
        return (f"<Pool {self.host}:{self.port} total={self.total} idle={len(self._idle)} "
                f"max={self.max_size}>")
