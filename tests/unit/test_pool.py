"""Pool and connection semantics against a scripted local server."""
from __future__ import annotations

import asyncio

import pytest

from aerospike_async.cluster.connection import ConnectionClosed, SocketTimeout
from aerospike_async.cluster.pool import Pool
from aerospike_async.exceptions import NoMoreConnectionsError
from aerospike_async.protocol.framing import MSG_INFO, encode_proto
from aerospike_async.protocol.info import encode_info_request

PING = encode_info_request("node")


class Server:
    """Answers each whole request after ``delay`` seconds; counts connections."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.accepted = 0
        self.server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> "Server":
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            while True:
                header = await reader.readexactly(8)
                await reader.readexactly(int.from_bytes(header[2:], "big"))
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(encode_proto(MSG_INFO, b"node\tA1\n"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


async def test_connections_are_reused_most_recent_first():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=4)
        a = await pool.acquire(1)
        b = await pool.acquire(1)
        pool.release(a)
        pool.release(b)
        assert await pool.acquire(1) is b
        assert (pool.total, pool.idle, pool.opened) == (2, 1, 2)
        pool.close()


async def test_at_the_cap_without_a_timeout_it_fails_fast():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=1)
        await pool.acquire(1)
        with pytest.raises(NoMoreConnectionsError) as info:
            await pool.acquire(0)
        assert info.value.code == -7
        pool.close()


async def test_at_the_cap_a_waiter_gets_the_next_returned_connection():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=1)
        held = await pool.acquire(1)
        waiter = asyncio.ensure_future(pool.acquire(1))
        await asyncio.sleep(0.01)
        assert pool.waiting == 1
        pool.release(held)
        assert await waiter is held
        assert (pool.total, pool.opened) == (1, 1)
        pool.close()


async def test_a_waiter_gives_up_at_its_timeout():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=1)
        await pool.acquire(1)
        with pytest.raises(NoMoreConnectionsError):
            await pool.acquire(0.05)
        assert (pool.total, pool.waiting) == (1, 0)
        pool.close()


async def test_a_discarded_connection_frees_its_slot_for_a_waiter():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=1)
        held = await pool.acquire(1)
        waiter = asyncio.ensure_future(pool.acquire(1))
        await asyncio.sleep(0.01)
        pool.discard(held)
        fresh = await waiter
        assert fresh is not held and not fresh.closed
        assert (pool.total, pool.opened) == (1, 2)
        pool.close()


async def test_cancelled_waiters_and_requests_leave_counts_at_rest():
    async with Server(delay=0.002) as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=8)

        async def command() -> None:
            conn = await pool.acquire(1)
            try:
                await conn.request(PING, 1)
            except BaseException:
                pool.discard(conn)
                raise
            pool.release(conn)

        for round_ in range(20):
            tasks = [asyncio.ensure_future(command()) for _ in range(50)]
            await asyncio.sleep(0.001 * (round_ % 5))
            for t in tasks[::2]:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            assert pool.in_use == 0 and pool.waiting == 0
            assert pool.total == pool.idle <= 8
        await command()
        pool.close()


async def test_a_reply_that_does_not_come_in_time_closes_the_connection():
    async with Server(delay=0.5) as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=2)
        conn = await pool.acquire(1)
        with pytest.raises(SocketTimeout):
            await conn.request(PING, 0.05)
        assert conn.closed
        with pytest.raises(ConnectionClosed):
            await conn.request(PING, 0.05)
        pool.discard(conn)
        assert pool.total == 0
        pool.close()


async def test_idle_connections_past_max_idle_are_dropped():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=2, max_idle=0.02)
        first = await pool.acquire(1)
        pool.release(first)
        await asyncio.sleep(0.05)
        second = await pool.acquire(1)
        assert second is not first and first.closed
        pool.release(second)
        await asyncio.sleep(0.05)
        assert pool.trim() == 1 and pool.total == 0
        pool.close()


async def test_fill_opens_the_minimum():
    async with Server() as srv:
        pool = Pool("127.0.0.1", srv.port, max_size=5, min_size=3)
        await pool.fill()
        await asyncio.sleep(0.01)
        assert (pool.total, pool.idle, srv.accepted) == (3, 3, 3)
        pool.close()
