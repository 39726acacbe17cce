"""A stand-in for a fast server: a proxy that answers each request it has seen before from
memory, and forwards the others to the real (here: embedded) server once.

    python benchmarks/memo_server.py --upstream host:port [--port 0]

Prints ``memo server listening on host:port`` once it listens. The embedded server spends
several µs of Python per record; a real node spends a fraction of that, so against it the
clients' own CPU decides throughput. Benchmarks repeat the same requests, so after the
warm-up this proxy answers them for the cost of one dict lookup and one write, and the rows
measure the clients, the official one included, as a real server would let them run
(``--memo`` in batch.py and scan.py).

A request is answered by one message, or, for batch, scan and query commands, by messages
up to the one whose last record has the LAST flag. Only for benchmarks: cached answers never
change, so a write answered from memory writes nothing. A proxy in Python costs about
what the embedded server costs per request, so it speeds up only what the server spends per
record: batch reads and scans, not single-record commands.
"""
from __future__ import annotations

import argparse
import asyncio
import struct

_PROTO = struct.Struct(">Q")
_SIZE_MASK = (1 << 48) - 1
_AS_MSG = 3
_INFO1_BATCH = 0x08
_INFO3_LAST = 0x01
_TASK_ID_FIELD = 7  # every scan and query has one
_HEADER = 22


def _request_kind(msg_type: int, payload: bytes) -> tuple[bool, bytes]:
    """Whether the answer to this request spans messages up to a LAST one, and what to
    remember its answer by: the payload, with a scan's or query's task id (random per
    call) zeroed."""
    if msg_type != _AS_MSG or len(payload) < _HEADER:
        return False, payload
    if payload[1] & _INFO1_BATCH:
        return True, payload
    pos, n_fields = _HEADER, int.from_bytes(payload[18:20], "big")
    for _ in range(n_fields):
        size = int.from_bytes(payload[pos:pos + 4], "big")
        if payload[pos + 4] == _TASK_ID_FIELD:
            return True, payload[:pos + 5] + bytes(size - 1) + payload[pos + 4 + size:]
        pos += 4 + size
    return False, payload


def _ends_stream(payload: bytes) -> bool:
    """Whether a reply message holds the record header flagged LAST (its last one)."""
    pos = 0
    while pos + _HEADER <= len(payload):
        if payload[pos + 3] & _INFO3_LAST:
            return True
        n_fields = int.from_bytes(payload[pos + 18:pos + 20], "big")
        n_ops = int.from_bytes(payload[pos + 20:pos + 22], "big")
        pos += _HEADER
        for _ in range(n_fields):
            pos += 4 + int.from_bytes(payload[pos:pos + 4], "big")
        for _ in range(n_ops):
            pos += 4 + int.from_bytes(payload[pos:pos + 4], "big")
    return False


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, int, bytes]:
    head = await reader.readexactly(8)
    word = _PROTO.unpack(head)[0]
    payload = await reader.readexactly(word & _SIZE_MASK)
    return head, (word >> 48) & 0xFF, payload


async def _serve(upstream: tuple[str, int], cache: dict[bytes, bytes],
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    up: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while True:
            head, msg_type, payload = await _read_message(reader)
            streams, key = _request_kind(msg_type, payload)
            answer = cache.get(key)
            if answer is None:
                if up is None:
                    up = await asyncio.open_connection(*upstream)
                up[1].write(head + payload)
                parts = []
                while True:
                    rhead, _, rpayload = await _read_message(up[0])
                    parts.append(rhead + rpayload)
                    if not streams or _ends_stream(rpayload):
                        break
                answer = cache[key] = b"".join(parts)
            writer.write(answer)
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()
        if up is not None:
            up[1].close()


async def main(upstream: tuple[str, int], port: int) -> None:
    cache: dict[bytes, bytes] = {}
    server = await asyncio.start_server(
        lambda r, w: _serve(upstream, cache, r, w), "127.0.0.1", port)
    host, bound = server.sockets[0].getsockname()[:2]
    print(f"memo server listening on {host}:{bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True, help="host:port of the real server")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    up_host, _, up_port = args.upstream.rpartition(":")
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main((up_host or "127.0.0.1", int(up_port)), args.port))
