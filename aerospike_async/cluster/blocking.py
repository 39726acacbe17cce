"""Blocking sockets for commands run in the caller's own thread.

The sync API's single-record and batch commands (get, put, operate, batch_read, ...)
need no event loop: each awaits nothing but its connections' replies. ``run_in_caller``
runs such a command's coroutine in the calling thread with ``IN_CALLER`` set. The retry
loops then take their connections from the nodes' ``BlockingPool``. Their ``request``
and ``next_message`` block on the socket and return without ever suspending, so the
coroutine ends on its first step. This spares each call the two thread switches of a hop
to the loop thread and back. A batch sends the requests of all its nodes first and
then reads them in turn (see ``command.batch``). The tender still runs on the loop and
publishes the partition map and node list that these commands read.
"""
from __future__ import annotations

import asyncio
import math
import socket
import ssl
import struct
import sys
import threading
import time
from collections.abc import Coroutine
from contextvars import ContextVar
from typing import Any, TypeVar

from ..exceptions import NoMoreConnectionsError
from ..protocol.framing import PROTO_VERSION, ProtocolError
from .connection import ConnectionClosed, SocketTimeout, connect_failure, header_error
from .pool import PoolBase

T = TypeVar("T")

# set while a command runs in its caller's thread: its connections block
IN_CALLER: ContextVar[bool] = ContextVar("aerospike_in_caller", default=False)

_WORD = struct.Struct(">Q").unpack_from
_SIZE_MASK = (1 << 48) - 1
_MAX_MESSAGE = 1 << 30
_READ_SIZE = 1 << 16
# A socket timeout set as a Python timeout polls before every send and receive: one system
# call more each way. Where the kernel takes a timeval (not Windows), a plain socket stays
# blocking and the kernel times the send and the receive itself (SO_SNDTIMEO, SO_RCVTIMEO).
# Not under TLS: the ssl module reads again when a blocking socket's read times out.
_KERNEL_TIMEOUTS = sys.platform != "win32"
_TIMEVAL = struct.Struct("@ll").pack


def run_in_caller(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end in this thread, with blocking connections. It must not
    wait on the event loop: a coroutine that suspends is closed and RuntimeError raised."""
    token = IN_CALLER.set(True)
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    finally:
        IN_CALLER.reset(token)
    coro.close()
    raise RuntimeError("a command run in the caller's thread waited on the event loop")


class BlockingConnection:
    """One blocking TCP (or TLS) connection, used by one thread at a time."""

    __slots__ = ("_sock", "_kernel_timeouts", "_timeout_ms", "_asked", "_stream", "_error",
                 "closed", "last_used", "address")

    def __init__(self, sock: socket.socket, address: str) -> None:
        self._kernel_timeouts = _KERNEL_TIMEOUTS and not isinstance(sock, ssl.SSLSocket)
        if self._kernel_timeouts:
            sock.settimeout(None)
        self._sock = sock
        self._timeout_ms = -1  # the socket's timeout as last set, in ms (-1: not yet)
        self._asked: float | None = -1.0  # the timeout last asked for, before rounding
        self._stream = bytearray()  # a streamed reply's bytes read past the last message
        self._error: BaseException | None = None  # why a streamed request failed to go out
        self.closed = False
        self.last_used = time.monotonic()
        self.address = address

    async def request(self, data: bytes, timeout: float | None) -> tuple[int, bytes]:
        """Send one request and read its whole reply, blocking: the coroutine never
        suspends. Raises SocketTimeout after ``timeout`` seconds (None or 0: no limit),
        ConnectionClosed when the socket fails and ProtocolError for a reply that cannot
        be framed; each closes the connection."""
        if self.closed:
            raise ConnectionClosed(f"connection to {self.address} is closed")
        sock = self._sock
        deadline = time.monotonic() + timeout if timeout else 0.0
        try:
            if timeout != self._asked:
                self._use_timeout(timeout)
            sock.sendall(data)
            reply = sock.recv(_READ_SIZE)  # the usual reply comes whole
            while len(reply) < 8:
                reply += self._more(deadline, 8 - len(reply))
            word = _WORD(reply)[0]
            size = word & _SIZE_MASK
            if (word >> 56) != PROTO_VERSION or size > _MAX_MESSAGE:
                raise header_error(word)
            end = 8 + size
            if len(reply) < end:
                parts = [reply]
                got = len(reply)
                while got < end:
                    part = self._more(deadline, min(end - got, 1 << 20))
                    parts.append(part)
                    got += len(part)
                reply = b"".join(parts)
            if len(reply) > end:
                raise ProtocolError(f"unsolicited message from {self.address}")
        except (OSError, ProtocolError, ConnectionClosed) as exc:
            self.close()
            raise self._failure(exc, "no reply from") from None
        return (word >> 48) & 0xFF, reply[8:]

    def start_stream(self, data: bytes) -> None:
        """Send a request whose reply spans several messages, read with next_message().
        A failure to send is raised by next_message(), as on a loop connection."""
        try:
            if self.closed:
                raise ConnectionClosed(f"connection to {self.address} is closed")
            self._sock.sendall(data)
        except (OSError, ConnectionClosed) as exc:
            self._fail(self._failure(exc, "could not send to"))

    async def next_message(self, timeout: float | None) -> tuple[int, bytes]:
        """The next whole message of a streamed reply, read blocking (the coroutine never
        suspends), each read within ``timeout`` seconds (the socket timeout bounds each
        read, as in the C client); errors as request() raises them."""
        if self._error is not None:
            raise self._error
        buf = self._stream
        recv = self._sock.recv
        try:
            if timeout != self._asked:
                self._use_timeout(timeout)
            while True:
                if len(buf) >= 8:
                    word = _WORD(buf)[0]
                    size = word & _SIZE_MASK
                    if (word >> 56) != PROTO_VERSION or size > _MAX_MESSAGE:
                        raise header_error(word)
                    end = 8 + size
                    if len(buf) >= end:
                        payload = bytes(buf[8:end])
                        del buf[:end]
                        return (word >> 48) & 0xFF, payload
                    want = end - len(buf)
                else:
                    want = 8 - len(buf)
                data = recv(max(want, _READ_SIZE))
                if not data:
                    raise ConnectionClosed(f"connection to {self.address} closed")
                buf += data
        except (OSError, ProtocolError, ConnectionClosed) as exc:
            self._fail(self._failure(exc, "no reply from"))
        raise self._error  # type: ignore[misc]

    def end_stream(self) -> None:
        """The streamed reply is done: bytes past its last message would poison the next
        request, so they close the connection."""
        if self._stream:
            self._stream.clear()
            self.close()

    def _failure(self, exc: BaseException, timed_out: str) -> BaseException:
        """What a socket call that raised ``exc`` fails with: SocketTimeout (worded
        ``timed_out`` the address) for a timeout, a kernel one being EAGAIN; ProtocolError or
        ConnectionClosed as they are; ConnectionClosed for any other OSError."""
        if isinstance(exc, (socket.timeout, BlockingIOError)):
            return SocketTimeout(f"{timed_out} {self.address} in time")
        if isinstance(exc, OSError):
            return ConnectionClosed(f"connection to {self.address} failed: {exc}")
        return exc

    def _fail(self, exc: BaseException) -> None:
        """A streamed request failed: next_message raises ``exc`` from now on."""
        self._error = exc
        self._stream.clear()
        self.close()

    def _use_timeout(self, timeout: float | None) -> None:
        """Bound the socket's sends and receives by ``timeout`` seconds, to the millisecond
        above: setting it is a system call or two, and a timeout cut to what is left of a
        total timeout differs by microseconds at every call."""
        self._asked = timeout
        ms = math.ceil(timeout * 1000) if timeout else 0   # 0: no limit
        if ms == self._timeout_ms:
            return
        if self._kernel_timeouts:
            timeval = _TIMEVAL(ms // 1000, ms % 1000 * 1000)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        else:
            self._sock.settimeout(ms / 1000 or None)
        self._timeout_ms = ms

    def _more(self, deadline: float, most: int) -> bytes:
        if deadline:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout
            self._use_timeout(left)
        data = self._sock.recv(most)
        if not data:
            raise ConnectionClosed(f"connection to {self.address} closed")
        return data

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._sock.close()
            except OSError:
                pass


def open_blocking(host: str, port: int, timeout: float | None, tls: Any = None,
                  tls_name: str | None = None) -> BlockingConnection:
    """A blocking connection to host:port within ``timeout`` seconds; with ``tls`` (a
    TLSConfig) verified against ``tls_name`` (else ``host``), as open_connection does."""
    address = f"{host}:{port}"
    name = tls_name or host
    try:
        sock = socket.create_connection((host, port), timeout or None)
    except OSError as exc:
        raise connect_failure(exc, address, name) from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.context.wrap_socket(sock, server_hostname=name)
            tls.check(sock, address, name)
    except OSError as exc:
        sock.close()
        raise connect_failure(exc, address, name) from None
    except BaseException:
        sock.close()
        raise
    return BlockingConnection(sock, address)


async def connect_from_loop(host: str, port: int, timeout: float | None, tls: Any = None,
                            tls_name: str | None = None) -> BlockingConnection:
    """open_blocking, run on the event loop: the connect and the TLS handshake wait on
    the loop, and the socket is made blocking once they are done."""
    address = f"{host}:{port}"
    name = tls_name or host
    try:
        sock = await asyncio.wait_for(_connect(host, port, tls, name, address), timeout or None)
    except (asyncio.TimeoutError, OSError) as exc:
        raise connect_failure(exc, address, name) from None
    except NotImplementedError:   # a loop without add_reader (Windows' proactor)
        raise ConnectionClosed(f"this event loop cannot wait for the TLS handshake with "
                               f"{address}") from None
    sock.setblocking(True)
    return BlockingConnection(sock, address)


async def _connect(host: str, port: int, tls: Any, name: str, address: str) -> socket.socket:
    """A connected (and with ``tls``, handshaken and checked) non-blocking socket."""
    loop = asyncio.get_running_loop()
    family, kind, proto, _canon, addr = (
        await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM))[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, addr)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.context.wrap_socket(sock, server_hostname=name,
                                           do_handshake_on_connect=False)
            await _handshake(loop, sock)
            tls.check(sock, address, name)
    except BaseException:
        sock.close()
        raise
    return sock


async def _handshake(loop: asyncio.AbstractEventLoop, sock: ssl.SSLSocket) -> None:
    """A non-blocking TLS handshake, waiting on the loop for the socket between steps."""
    while True:
        try:
            sock.do_handshake()
            return
        except ssl.SSLWantReadError:
            add, remove = loop.add_reader, loop.remove_reader
        except ssl.SSLWantWriteError:
            add, remove = loop.add_writer, loop.remove_writer
        ready = loop.create_future()
        # the loop may call again before this task runs and removes the callback
        add(sock.fileno(), _set_once, ready)
        try:
            await ready
        finally:
            remove(sock.fileno())


def _set_once(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_result(None)


class BlockingPool(PoolBase):
    """A node's blocking connections, shared by any number of caller threads.

    The same cap, idle limit, connect timeout and TLS as the node's event-loop
    ``Pool``, counted apart from it, as the official C client counts its sync and
    async connections apart. ``acquire`` takes the most recently used idle
    connection, else opens one under the cap; at the cap it waits up to the
    command's timeout for one to come back (none: NoMoreConnectionsError at once).
    """

    __slots__ = ("_lock", "_returned", "_waiting")

    def __init__(self, host: str, port: int, max_size: int = 100, min_size: int = 0,
                 max_idle: float = 0.0, connect_timeout: float = 1.0, tls: Any = None,
                 tls_name: str | None = None) -> None:
        super().__init__(host, port, max_size, min_size, max_idle, connect_timeout, tls,
                         tls_name)
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)  # a connection or a slot freed
        self._waiting = 0  # threads waiting on _returned (the lock guards both)

    def _drop(self, conn: BlockingConnection) -> None:
        """PoolBase._drop, waking a waiting thread (the lock held)."""
        super()._drop(conn)
        if self._waiting:
            self._returned.notify()

    def _give_back_slot(self) -> None:
        """A connection that could not be opened gives up the slot it was counted in."""
        with self._lock:
            self.total -= 1
            if self._waiting:
                self._returned.notify()

    def take(self) -> BlockingConnection | None:
        with self._lock:
            return self._take_locked()

    _take_locked = PoolBase.take  # take() when the lock is already held

    async def acquire(self, timeout: float | None = None) -> BlockingConnection:
        """An idle connection, else a new one (blocking; the coroutine never suspends)."""
        with self._lock:
            conn = self._take_locked()
            if conn is not None:
                return conn
            wait = self._slot_or_wait(timeout)
            if wait:
                conn = self._wait_locked(wait)
                if conn is not None:
                    return conn
        return self._open_counted(timeout)

    def take_or_open(self, timeout: float | None) -> BlockingConnection | None:
        """An idle connection, else a new one under the cap, without waiting: None at the
        cap or when it cannot be opened (the command's own acquire then says why)."""
        with self._lock:
            conn = self._take_locked()
            if conn is not None or self.closed or self.total >= self.max_size:
                return conn
            self.total += 1
        try:
            return self._open_counted(timeout)
        except (ConnectionClosed, SocketTimeout, NoMoreConnectionsError):
            return None   # (NoMoreConnectionsError: the pool closed meanwhile)

    def _open_counted(self, timeout: float | None) -> BlockingConnection:
        """Open a connection in the slot already counted for it (given back when the
        connect fails)."""
        try:
            conn = open_blocking(self.host, self.port, self._connect_limit(timeout), self.tls,
                                 self.tls_name)
            if self.admit is not None:   # a blocking connection's request never suspends
                conn = run_in_caller(self._admitted(conn, timeout))
        except BaseException:
            self._give_back_slot()
            raise
        with self._lock:
            self._count_opened(conn)
        return conn

    def _wait_locked(self, timeout: float) -> BlockingConnection | None:
        """Wait at the cap, the lock held, for a connection to come back (returned) or a
        slot to free up (counted, and None returned); NoMoreConnectionsError after
        ``timeout`` seconds or when the pool closes meanwhile."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise self._exhausted()
            self._waiting += 1
            try:
                woken = self._returned.wait(left)
            finally:
                self._waiting -= 1
            if not woken:
                raise self._exhausted()
            if self.closed:
                raise self._closed_error()
            conn = self._take_locked()
            if conn is not None:
                return conn
            if self.total < self.max_size:
                self.total += 1
                return None

    def release(self, conn: BlockingConnection) -> None:
        """Return a connection that finished a whole reply."""
        with self._lock:
            if conn.closed or self.closed:
                self._drop(conn)
                return
            conn.last_used = time.monotonic()
            self._idle.append(conn)
            if self._waiting:
                self._returned.notify()

    def discard(self, conn: BlockingConnection) -> None:
        """Close a connection whose state is unknown (error, timeout)."""
        with self._lock:
            self._drop(conn)

    def trim(self) -> int:
        with self._lock:
            return super().trim()

    async def fill(self) -> None:
        """Open connections until ``min_size`` are open; run on the event loop, which the
        connecting does not block."""
        while True:
            with self._lock:
                if self.closed or self.total >= self.min_size:
                    return
                self.total += 1
            try:
                # admitted with one blocking round trip on the loop, within connect_timeout
                conn = await self._admitted(await connect_from_loop(
                    self.host, self.port, self.connect_timeout, self.tls, self.tls_name), None)
            except BaseException:
                self._give_back_slot()
                raise
            with self._lock:
                self.opened += 1
            self.release(conn)

    def close(self) -> None:
        with self._lock:
            super().close()
            self._returned.notify_all()

    def __repr__(self) -> str:
        return (f"<BlockingPool {self.host}:{self.port} total={self.total} "
                f"idle={len(self._idle)} max={self.max_size}>")
