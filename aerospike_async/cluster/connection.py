"""One TCP connection to a node, framing whole proto messages.

A connection carries one command at a time. Replies are delivered to a
single waiter; a command abandoned mid-reply (timeout, cancellation) must
close the connection, since the rest of that reply would poison the next
command.
"""
from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import time
import weakref
from collections import deque
from typing import Any, Optional

from ..protocol.framing import PROTO_VERSION, ProtocolError

_SIZE_MASK = (1 << 48) - 1
_WORD = struct.Struct(">Q").unpack_from
_MAX_MESSAGE = 1 << 30
STREAM_HIGH_WATER = 8  # whole messages queued on a stream before reading pauses
STREAM_LOW_WATER = 2


def header_error(word: int) -> ProtocolError:
    """What is wrong with a proto header, in the C client's words."""
    if (word >> 56) != PROTO_VERSION:
        return ProtocolError(f"Invalid proto version: {word >> 56} Expected: {PROTO_VERSION}")
    return ProtocolError(f"Invalid proto size: {word & _SIZE_MASK}")


class ConnectionClosed(Exception):
    """The peer closed the connection or the socket failed."""


class TLSFailure(ConnectionClosed):
    """The TLS handshake failed or the server's certificate was refused."""


class SocketTimeout(Exception):
    """No whole reply arrived within the socket timeout."""


class Deadlines:
    """One timer for every in-flight request on a loop.

    Arming and cancelling a loop timer per request costs more than the rest
    of the request's bookkeeping; here a request only enters and leaves a
    dict, and one timer, set for the earliest deadline, expires the late ones.
    """

    __slots__ = ("_loop", "_pending", "_handle", "_armed_at")
    _by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Deadlines]" = \
        weakref.WeakKeyDictionary()

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: dict[Connection, float] = {}
        self._handle: Optional[asyncio.TimerHandle] = None
        self._armed_at = 0.0

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> "Deadlines":
        deadlines = cls._by_loop.get(loop)
        if deadlines is None:
            deadlines = cls._by_loop[loop] = cls(loop)
        return deadlines

    def add(self, conn: "Connection", deadline: float) -> None:
        self._pending[conn] = deadline
        if self._handle is None or deadline < self._armed_at:
            if self._handle is not None:
                self._handle.cancel()
            self._armed_at = deadline
            self._handle = self._loop.call_at(deadline, self._fire)

    def discard(self, conn: "Connection") -> None:
        self._pending.pop(conn, None)

    def _fire(self) -> None:
        self._handle = None
        now = self._loop.time()
        earliest = None
        for conn, deadline in list(self._pending.items()):
            if deadline <= now:
                del self._pending[conn]
                conn.expire()
            elif earliest is None or deadline < earliest:
                earliest = deadline
        if earliest is not None:
            self._armed_at = earliest
            self._handle = self._loop.call_at(earliest, self._fire)


class Connection(asyncio.Protocol):
    """An asyncio Protocol that hands out whole (type, payload) messages."""

    __slots__ = ("_loop", "_transport", "_buf", "_need", "_type", "_waiter", "_stream",
                 "_error", "_deadlines", "_paused", "closed", "last_used", "address")

    def __init__(self, loop: asyncio.AbstractEventLoop, address: str = "") -> None:
        self._loop = loop
        self._transport: Optional[asyncio.Transport] = None
        self._buf = bytearray()
        self._need = -1
        self._type = 0
        self._waiter: Optional[asyncio.Future] = None
        self._stream: Optional[deque] = None
        self._error: Optional[BaseException] = None
        self._deadlines = Deadlines.of(loop)
        self._paused = False
        self.closed = False
        self.last_used = time.monotonic()
        self.address = address

    # -- asyncio.Protocol ------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def data_received(self, data: bytes) -> None:
        # Whole messages inside ``data`` are delivered as one bytes slice each (a read
        # that is exactly one message, the usual reply, straight to its waiter); only a
        # message split across reads goes through the buffer (``_need``: payload bytes still wanted once its header
        # is known, the buffer then holding the payload's start; else -1 and the buffer
        # holding at most a partial header).
        if self._waiter is None and self._stream is None:
            # nothing asked: bytes now would be read as the next command's reply
            self._fail(ProtocolError(f"unsolicited data from {self.address}"))
            return
        buf = self._buf
        pos = 0
        end = len(data)
        if not buf and self._need < 0 and end >= 8:
            # the usual read: exactly one whole message
            word = _WORD(data)[0]
            if end == (word & _SIZE_MASK) + 8 and (word >> 56) == PROTO_VERSION:
                # one copy, as bytes: the decoders want bytes and would copy a view anyway
                self._deliver((word >> 48) & 0xFF, data[8:])
                return
        if buf or self._need >= 0:
            if self._need < 0:
                take = 8 - len(buf)
                if end < take:
                    buf += data
                    return
                buf += data[:take]
                pos = take
                word = int.from_bytes(buf, "big")
                if (word >> 56) != PROTO_VERSION or (word & _SIZE_MASK) > _MAX_MESSAGE:
                    self._fail(header_error(word))
                    return
                self._type = (word >> 48) & 0xFF
                self._need = word & _SIZE_MASK
                buf.clear()
            take = self._need - len(buf)
            if end - pos < take:
                buf += data[pos:] if pos else data
                return
            buf += data[pos:pos + take]
            pos += take
            payload = bytes(buf)
            buf.clear()
            self._need = -1
            self._deliver(self._type, payload)
            if self.closed:
                return
        while end - pos >= 8:
            word = int.from_bytes(data[pos:pos + 8], "big")
            size = word & _SIZE_MASK
            if (word >> 56) != PROTO_VERSION or size > _MAX_MESSAGE:
                self._fail(header_error(word))
                return
            stop = pos + 8 + size
            if stop > end:
                self._type = (word >> 48) & 0xFF
                self._need = size
                buf += data[pos + 8:]
                return
            whole = data[pos + 8:stop]
            pos = stop
            self._deliver((word >> 48) & 0xFF, whole)
            if self.closed:
                return
        if pos < end:
            buf += data[pos:]

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self._fail(ConnectionClosed(f"connection to {self.address} closed"
                                    + (f": {exc}" if exc else "")))

    # -- delivery ----------------------------------------------------------
    def _deliver(self, mtype: int, payload) -> None:
        stream = self._stream
        if stream is not None:
            stream.append((mtype, payload))
            if len(stream) >= STREAM_HIGH_WATER and not self._paused:
                # a slow reader of a stream slows the socket, not grows memory
                self._paused = True
                self._transport.pause_reading()  # type: ignore[union-attr]
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            return
        waiter = self._waiter
        if waiter is None or waiter.done():
            self._fail(ProtocolError("unsolicited message from server"))
            return
        self._waiter = None
        self._deadlines.discard(self)  # answered: not expirable while the caller resumes
        waiter.set_result((mtype, payload))

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self.close()
        waiter = self._waiter
        self._waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_exception(self._error)

    # -- commands --------------------------------------------------------------
    async def request(self, data: bytes, timeout: float | None) -> tuple[int, bytes]:
        """Send one request and wait for its single whole reply.

        Raises SocketTimeout after ``timeout`` seconds (None or 0: no limit) and
        ConnectionClosed if the socket fails; either way the connection is closed.
        """
        if self.closed:
            raise ConnectionClosed(f"connection to {self.address} is closed")
        loop = self._loop
        fut = loop.create_future()
        self._waiter = fut
        self._transport.write(data)  # type: ignore[union-attr]
        if not timeout:
            return await fut
        deadlines = self._deadlines
        deadlines.add(self, loop.time() + timeout)
        try:
            return await fut
        except BaseException:   # an answer already left the deadlines (_deliver)
            deadlines.discard(self)
            raise

    def expire(self) -> None:
        """The deadline of the request in flight passed: fail it and close."""
        fut = self._waiter
        if fut is not None and not fut.done():
            self._waiter = None
            fut.set_exception(SocketTimeout(f"no reply from {self.address} in time"))
        self.close()

    def start_stream(self, data: bytes) -> None:
        """Send a request whose reply spans several messages, read with next_message()."""
        self._stream = deque()
        self._transport.write(data)  # type: ignore[union-attr]

    async def next_message(self, timeout: float | None) -> tuple[int, bytes]:
        """The next message of a streamed reply."""
        stream = self._stream
        assert stream is not None
        while not stream:
            if self._error is not None:
                raise self._error
            loop = self._loop
            fut = loop.create_future()
            self._waiter = fut
            if timeout:
                self._deadlines.add(self, loop.time() + timeout)
            try:
                await fut
            finally:
                if timeout:
                    self._deadlines.discard(self)
                self._waiter = None
        message = stream.popleft()
        if self._paused and len(stream) <= STREAM_LOW_WATER:
            self._resume()
        return message

    def _resume(self) -> None:
        self._paused = False
        if not self.closed and self._transport is not None:
            self._transport.resume_reading()

    def end_stream(self) -> None:
        """The streamed reply is done: bytes read past its last message would be read
        as the next command's reply, so they close the connection."""
        self._stream = None
        if self._buf or self._need >= 0:
            self.close()
        if self._paused:
            self._resume()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self._transport is not None:
                self._transport.close()

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()


def connect_failure(exc: BaseException, address: str, name: str) -> Exception:
    """What a connect or TLS handshake to ``address`` (TLS name ``name``) that raised
    ``exc`` (a timeout or an OSError) fails with: SocketTimeout, TLSFailure or
    ConnectionClosed."""
    if isinstance(exc, (asyncio.TimeoutError, socket.timeout)):
        return SocketTimeout(f"connect to {address} timed out")
    if isinstance(exc, ssl.SSLError):
        return TLSFailure(f"TLS handshake with {address} (tls name {name}) failed: "
                          f"{getattr(exc, 'verify_message', None) or exc}")
    return ConnectionClosed(f"cannot connect to {address}: {exc}")


async def open_connection(host: str, port: int, timeout: float | None,
                          tls: Any = None, tls_name: str | None = None) -> Connection:
    """Connect to host:port within ``timeout`` seconds; with ``tls`` (a TLSConfig) the
    handshake verifies the server's certificate against ``tls_name`` (else ``host``)."""
    loop = asyncio.get_running_loop()
    address = f"{host}:{port}"
    name = tls_name or host
    extra: dict[str, Any] = {} if tls is None else {
        "ssl": tls.context, "server_hostname": name, "ssl_handshake_timeout": timeout or None}
    coro = loop.create_connection(lambda: Connection(loop, address), host, port, **extra)
    try:
        if timeout:
            transport, conn = await asyncio.wait_for(coro, timeout)
        else:
            transport, conn = await coro
    except (asyncio.TimeoutError, OSError) as exc:
        raise connect_failure(exc, address, name) from None
    if tls is not None:
        try:
            tls.check(transport.get_extra_info("ssl_object"), address, name)
        except BaseException:
            conn.abort()
            raise
    return conn
