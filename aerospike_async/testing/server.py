"""The embedded server's network side: an asyncio listener speaking the Aerospike protocol.

Each connection frames whole messages and answers them one at a time, in order.
``EmbeddedServer`` runs one node on the current event loop; ``run_in_thread`` runs it
on a private loop in a daemon thread for synchronous callers.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections import deque
from typing import Any, Callable, Iterator, cast

from ..protocol.framing import (
    MSG_ADMIN, MSG_AS, MSG_COMPRESSED, MSG_INFO, FrameReader, ProtocolError, encode_proto,
)
from ..protocol.message import parse_message
from .engine import ENTERPRISE_ONLY, Answer, reply
from .node import Node
from .security import Security, Users
from .store import Store
from .threaded import EndpointView, ThreadRunner

log = logging.getLogger(__name__)

SERVER_ERROR = 1
SECURITY_NOT_SUPPORTED = 51
_ADMIN_NOT_SUPPORTED = encode_proto(MSG_ADMIN, bytes([0, SECURITY_NOT_SUPPORTED]) + bytes(14))
_COMPRESSED_REFUSED = reply(ENTERPRISE_ONLY)


def server_tls_context(tls: tuple[str, str] | ssl.SSLContext | None
                       ) -> ssl.SSLContext | None:
    """A listener's TLS: a server SSLContext as given, or one made of a
    ``(certfile, keyfile)`` pair; None for a clear-only listener."""
    if tls is None or isinstance(tls, ssl.SSLContext):
        return tls
    certfile, keyfile = tls
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile, keyfile)
    return ctx


def handle_message(node: Node, msg_type: int, payload: bytes) -> Answer:
    """The reply a node sends to one whole message (an iterator of whole messages for a
    streamed answer)."""
    if msg_type == MSG_AS:
        msg, _end = parse_message(payload)
        try:
            return node.engine.execute(msg)
        except Exception:
            log.exception("embedded server failed on a command")
            return reply(SERVER_ERROR)
    if msg_type == MSG_INFO:
        return node.info(payload)
    if msg_type == MSG_COMPRESSED:
        return _COMPRESSED_REFUSED
    if msg_type == MSG_ADMIN:
        return _ADMIN_NOT_SUPPORTED
    raise ProtocolError(f"unexpected message type {msg_type}")


class _Connection(asyncio.Protocol):
    """One client connection: frames requests and writes each reply in order.

    Without faults a reply is written as soon as it is computed. With a delay set on the
    listener, replies queue with their due times and one timer writes them in order.
    """

    __slots__ = ("_server", "_reader", "_transport", "_queue", "_timer", "_stream", "_paused",
                 "_user", "_certified")

    def __init__(self, server: Listener) -> None:
        self._server = server
        self._reader = FrameReader()
        self._transport: asyncio.Transport | None = None
        self._queue: deque[tuple[float, int, bytes]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._stream: Iterator[bytes | float] | None = None
        self._paused = False
        self._user: str | None = None   # who logged in here, with security on
        self._certified: str | None = None   # whom the client certificate names (TLS)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._server.stopping:   # set up just as the listener stopped: dropped too
            transport.abort()
            return
        self._server._connections.add(transport)
        self._certified = _common_name(transport.get_extra_info("peercert"))

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        if self._stream is None:
            self._serve()

    def _serve(self) -> None:
        """Answer the whole requests received, in order; a streamed answer (an iterator
        of messages: scans, queries) holds back later requests until it has been sent."""
        reader = self._reader
        server = self._server
        dispatch = server.dispatch
        transport = self._transport
        assert transport is not None
        try:
            while self._stream is None and (frame := reader.next_frame()) is not None:
                security = server.security
                out = None
                if security is not None:
                    self._user, out = security.gate(self._user, frame[0], frame[1],
                                                    self._certified)
                if out is None:
                    out = dispatch(frame[0], frame[1])
                if not isinstance(out, (bytes, bytearray)):
                    if server.faults is None:
                        self._stream = iter(out)
                        self._pump()
                        continue
                    out = b"".join(c for c in out if not isinstance(c, float))
                if server.faults is None:
                    transport.write(out)
                else:
                    self._faulty_reply(frame[0], out)
                    if transport.is_closing():
                        return
        except (ProtocolError, PermissionError) as exc:
            log.debug("closing connection: %s", exc)
            transport.close()

    def _pump(self) -> None:
        """Write a streamed answer while the transport accepts more (flow control), a
        few messages per loop turn; then serve the requests that wait behind it."""
        transport = self._transport
        stream = self._stream
        if stream is None or transport is None:
            return
        if transport.is_closing():
            self._stream = None
            return
        try:
            for _ in range(32):
                if self._paused:
                    return
                chunk = next(stream, None)
                if chunk is None:
                    self._stream = None
                    self._serve()
                    return
                if not isinstance(chunk, (bytes, bytearray)):
                    # a pause in seconds (records_per_second): resume when it is over
                    self._timer = asyncio.get_running_loop().call_later(
                        chunk, self._resume_stream)
                    return
                transport.write(chunk)
        except Exception:
            log.exception("embedded server failed while streaming an answer")
            self._stream = None
            transport.close()
            return
        asyncio.get_running_loop().call_soon(self._pump)

    def _resume_stream(self) -> None:
        self._timer = None
        self._pump()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._stream is not None and self._timer is None:
            self._pump()

    def _faulty_reply(self, msg_type: int, out: bytes) -> None:
        faults = self._server.faults
        assert faults is not None
        delay = faults.delay if faults.applies(msg_type, faults.delay_info) else 0.0
        if not delay and not self._queue:
            self._emit(msg_type, out)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._queue and self._queue[-1][0] > due:
            due = self._queue[-1][0]
        self._queue.append((due, msg_type, out))
        if self._timer is None:
            self._timer = loop.call_at(self._queue[0][0], self._drain)

    def _drain(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing():
            self._queue.clear()
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._queue and self._queue[0][0] <= now:
            _due, msg_type, out = self._queue.popleft()
            self._emit(msg_type, out)
            if transport.is_closing():
                self._queue.clear()
                return
        if self._queue:
            self._timer = loop.call_at(self._queue[0][0], self._drain)

    def _emit(self, msg_type: int, out: bytes) -> None:
        """Write one reply, cut or garbled when such a fault is armed."""
        transport = self._transport
        assert transport is not None
        faults = self._server.faults
        if faults is not None and faults.applies(msg_type, faults.fault_info):
            if faults.cut > 0:
                faults.cut -= 1
                faults.settle()
                transport.write(out[:max(1, len(out) // 2)])
                transport.close()
                return
            if faults.garble > 0:
                faults.garble -= 1
                faults.settle()
                transport.write(garbage(len(out)))
                return
        transport.write(out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queue.clear()
        self._stream = None
        if self._transport is not None:
            self._server._connections.discard(self._transport)


def _common_name(cert: dict | None) -> str | None:
    """The common name of a client certificate the TLS handshake verified (None: none)."""
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return cast(str, value)
    return None


def garbage(size: int) -> bytes:
    """Bytes no Aerospike client can frame: a bad protocol version, then noise."""
    size = max(size, 8)
    return (b"\x7f\x7f" + b"\xde\xad\xbe\xef" * (size // 4 + 1))[:size]


class Faults:
    """Faults armed on a listener: a delay before replies, replies cut in half (then the
    connection closes), garbage replies. Data replies only unless the ``*_info`` flags
    include info replies too."""

    __slots__ = ("owner", "delay", "delay_info", "cut", "garble", "fault_info")

    def __init__(self, owner: Listener) -> None:
        self.owner = owner
        self.delay = 0.0
        self.delay_info = False
        self.cut = 0
        self.garble = 0
        self.fault_info = False

    @staticmethod
    def applies(msg_type: int, info_too: bool) -> bool:
        return msg_type != MSG_INFO or info_too

    def settle(self) -> None:
        """Disarm the listener's fault hook when nothing is armed any more."""
        if not self.delay and not self.cut and not self.garble:
            self.owner.faults = None


class Listener:
    """An asyncio listener speaking the Aerospike protocol; ``dispatch`` answers each
    whole message. Faults can be armed to slow, cut or garble replies."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 tls_context: ssl.SSLContext | None = None, tls_port: int = 0) -> None:
        self.host = host
        self.port = port
        self.tls_context = tls_context
        """With a server SSLContext, a second listener on ``tls_port`` speaks TLS."""
        self.tls_port = tls_port
        self.faults: Faults | None = None
        self.security: Security | None = None
        """With users (see ``Security``), connections must log in before anything else."""
        self._server: asyncio.base_events.Server | None = None
        self._tls_server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Transport] = set()
        # set from stop() until the next start(): a connection the loop accepted before the
        # listener closed, but set up only after, is dropped as it arrives. Python 3.12's
        # Server.wait_closed waits for every connection it accepted to close.
        self.stopping = False

    def _connection(self) -> _Connection:
        """The protocol of a connection the loop accepted. Once stop() began, none: asyncio
        then drops the accepted socket, which closes it; a transport made for it after the
        listener closed would stay half built on Python 3.11, its socket open until a
        garbage collection."""
        if self.stopping:
            raise ConnectionAbortedError("the server is stopping")
        return _Connection(self)

    def dispatch(self, msg_type: int, payload: bytes) -> Answer:
        raise NotImplementedError

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Bind and start accepting connections; ``port`` 0 picks a free one (and
        ``tls_port`` 0 too, when TLS is on)."""
        loop = asyncio.get_running_loop()
        self.stopping = False
        self._server = await loop.create_server(
            self._connection, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.tls_context is not None:
            try:
                self._tls_server = await loop.create_server(
                    self._connection, self.host, self.tls_port,
                    reuse_address=True, ssl=self.tls_context)
            except BaseException:
                self._server.close()
                self._server = None
                raise
            self.tls_port = self._tls_server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is None:
            return
        self.stopping = True
        self._server.close()
        tls_server, self._tls_server = self._tls_server, None
        if tls_server is not None:
            tls_server.close()
        for transport in list(self._connections):
            transport.abort()
        self._connections.clear()
        await self._server.wait_closed()
        if tls_server is not None:
            await tls_server.wait_closed()
        self._server = None

    def _armed(self) -> Faults:
        if self.faults is None:
            self.faults = Faults(self)
        return self.faults

    def set_delay(self, seconds: float, info: bool = False) -> None:
        """Delay every data reply (and info replies when ``info``) by ``seconds``; 0 clears."""
        faults = self._armed()
        faults.delay = max(0.0, float(seconds))
        faults.delay_info = info
        faults.settle()

    def cut_replies(self, count: int = 1, info: bool = False) -> None:
        """Cut the next ``count`` data replies (and info replies when ``info``) in half and
        close their connections."""
        faults = self._armed()
        faults.cut = max(0, count)
        faults.fault_info = info
        faults.settle()

    def garble_replies(self, count: int = 1, info: bool = False) -> None:
        """Answer the next ``count`` data replies (and info when ``info``) with garbage."""
        faults = self._armed()
        faults.garble = max(0, count)
        faults.fault_info = info
        faults.settle()

    def clear_faults(self) -> None:
        self.faults = None


class EmbeddedServer(Listener):
    """An Aerospike-compatible single-node server on the current event loop.

    ``async with EmbeddedServer() as srv:`` listens on a free loopback port
    (``srv.host``, ``srv.port``, ``srv.address``) until the block ends. With ``users``
    (name -> password) security is on: clients log in first, and get session tokens that
    last ``session_ttl`` seconds.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 namespaces: tuple[str, ...] = ("test", "bar"), node_name: str = "A1",
                 cluster_name: str = "asd-single",
                 clock: Callable[[], float] | None = None,
                 tls: tuple[str, str] | ssl.SSLContext | None = None,
                 tls_name: str = "localhost", tls_port: int = 0,
                 users: Users | None = None, session_ttl: int | None = None) -> None:
        super().__init__(host, port, server_tls_context(tls), tls_port)
        if users:
            self.security = Security(users, session_ttl)
        store = Store(namespaces) if clock is None else Store(namespaces, clock)
        self.node = Node(store, name=node_name, host=host, port=port,
                         cluster_name=cluster_name)
        self.tls_name = tls_name if tls is not None else ""

    @property
    def store(self) -> Store:
        return self.node.store

    def dispatch(self, msg_type: int, payload: bytes) -> Answer:
        return handle_message(self.node, msg_type, payload)

    async def start(self) -> None:
        """Bind and start accepting connections; ``port`` 0 picks a free one."""
        await super().start()
        self.node.port = self.port
        if self.tls_context is not None:
            self.node.tls_port = self.tls_port
            self.node.tls_name = self.tls_name

    @property
    def tls_host(self) -> tuple[str, int, str]:
        """``(address, tls_port, tls_name)``: the TLS listener as a client's hosts entry."""
        return self.host, self.tls_port, self.tls_name

    async def __aenter__(self) -> EmbeddedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def run_in_thread(cls, **kwargs: Any) -> ThreadedServer:
        """Start a server on its own event loop in a daemon thread; returns its handle."""
        return ThreadedServer(cls(**kwargs))


class ThreadedServer(EndpointView, ThreadRunner):
    """Handle of a server running in a background thread (``.port``, ``.stop()``)."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self._endpoint = server
        super().__init__(server, f"embedded-aerospike-{server.node.name}")
