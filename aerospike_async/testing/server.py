"""The embedded server's network side: an asyncio listener speaking the Aerospike protocol.

Each connection frames whole messages and answers them one at a time, in order.
``EmbeddedServer`` runs one node on the current event loop; ``run_in_thread`` runs it
on a private loop in a daemon thread for synchronous callers.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any, Callable, cast

from ..protocol.framing import (
    MSG_ADMIN, MSG_AS, MSG_COMPRESSED, MSG_INFO, FrameReader, ProtocolError, encode_proto,
)
from ..protocol.message import parse_message
from .engine import ENTERPRISE_ONLY, reply
from .node import Node
from .store import Store

log = logging.getLogger(__name__)

SERVER_ERROR = 1
SECURITY_NOT_SUPPORTED = 51
_ADMIN_NOT_SUPPORTED = encode_proto(MSG_ADMIN, bytes([0, SECURITY_NOT_SUPPORTED]) + bytes(14))
_COMPRESSED_REFUSED = reply(ENTERPRISE_ONLY)


def handle_message(node: Node, msg_type: int, payload: bytes) -> bytes:
    """The reply a node sends to one whole message."""
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
    """One client connection: frames requests and writes each reply in order."""

    __slots__ = ("_server", "_reader", "_transport")

    def __init__(self, server: EmbeddedServer) -> None:
        self._server = server
        self._reader = FrameReader()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server._connections.add(transport)

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        node = self._server.node
        transport = self._transport
        assert transport is not None
        try:
            while (frame := reader.next_frame()) is not None:
                transport.write(handle_message(node, frame[0], frame[1]))
        except ProtocolError as exc:
            log.debug("closing connection: %s", exc)
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._server._connections.discard(self._transport)


class EmbeddedServer:
    """An Aerospike-compatible single-node server on the current event loop.

    ``async with EmbeddedServer() as srv:`` listens on a free loopback port
    (``srv.host``, ``srv.port``, ``srv.address``) until the block ends.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 namespaces: tuple[str, ...] = ("test", "bar"), node_name: str = "A1",
                 cluster_name: str = "asd-single",
                 clock: Callable[[], float] | None = None) -> None:
        self.host = host
        self.port = port
        store = Store(namespaces) if clock is None else Store(namespaces, clock)
        self.node = Node(store, name=node_name, host=host, port=port,
                         cluster_name=cluster_name)
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Transport] = set()

    @property
    def store(self) -> Store:
        return self.node.store

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    async def start(self) -> None:
        """Bind and start accepting connections; ``port`` 0 picks a free one."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self), self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self.node.port = self.port

    async def stop(self) -> None:
        """Stop listening and drop every open connection."""
        if self._server is None:
            return
        self._server.close()
        for transport in list(self._connections):
            transport.abort()
        self._connections.clear()
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> EmbeddedServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @classmethod
    def run_in_thread(cls, **kwargs: Any) -> ThreadedServer:
        """Start a server on its own event loop in a daemon thread; returns its handle."""
        return ThreadedServer(cls(**kwargs))


class ThreadedServer:
    """Handle of a server running in a background thread (``.port``, ``.stop()``)."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name=f"embedded-aerospike-{server.node.name}")
        self._thread.start()
        ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._loop.close()
            ready.set()
            return
        ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.server.stop())
        self._loop.close()

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    @property
    def store(self) -> Store:
        return self.server.store

    def stop(self) -> None:
        """Stop the server and wait for its thread to end."""
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def __enter__(self) -> ThreadedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
