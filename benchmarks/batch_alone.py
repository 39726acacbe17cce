"""The client's own cost per record of a batch_read, with no I/O and no server work.

    python benchmarks/batch_alone.py [--keys 1000] [--batches 200] [--concurrency 1 4] [--no-gc]

An embedded server in this process holds the records; each distinct batch request is answered
by it once, and from then on its reply messages are replayed from memory by a stand-in
connection, so what is timed is the client alone: key checks and digests, routing, requests,
reply decoding, records, the garbage collector. Prints CPU µs per record (best of 3 runs) and
the collector's passes per batch. ``--no-gc`` turns the collector off, to see its share.
``--keys`` sets the keys per batch (1,000): with a few, the per-batch CPU shows what a call
costs beyond its records (a key alone on its node goes as a single-record command).

A last row times the floor any pure-Python client stands on: only what every batch_read of
these keys must do in Python, with no request, routing or framing: each key's digest, its
bins decoded from their bytes, the result objects the documented API returns, and freeing
them again.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import struct
import sys
import time
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aerospike_async import Client  # noqa: E402
from aerospike_async.cluster.pool import Pool  # noqa: E402
from aerospike_async.protocol.digest import set_states  # noqa: E402
from aerospike_async.testing import EmbeddedServer  # noqa: E402
from aerospike_helpers.batch.records import BatchRecord, BatchRecords  # noqa: E402

SET_NAME = "benchb"
N_KEYS = 10_000
BINS: dict[str, Any] = {"n": 1, "s": "x" * 64}
_SIZE = (1 << 48) - 1


class ReplayConnection:
    """Stands in for a connection: answers a batch request with the server's reply messages,
    computed once per distinct request."""

    replies: dict[bytes, list[tuple[int, bytes]]] = {}
    closed = False

    def __init__(self, server: EmbeddedServer) -> None:
        self.server = server
        self.queue: collections.deque[tuple[int, bytes]] = collections.deque()

    def start_stream(self, request: bytes) -> None:
        messages = self.replies.get(request)
        if messages is None:
            word = int.from_bytes(request[:8], "big")
            answer: Any = self.server.dispatch((word >> 48) & 0xFF, bytes(request[8:]))
            if not isinstance(answer, (bytes, bytearray)):
                answer = b"".join(answer)
            messages, pos = [], 0
            while pos < len(answer):
                word = int.from_bytes(answer[pos:pos + 8], "big")
                messages.append(((word >> 48) & 0xFF, answer[pos + 8:pos + 8 + (word & _SIZE)]))
                pos += 8 + (word & _SIZE)
            self.replies[request] = messages
        self.queue.extend(messages)

    async def next_message(self, timeout: float | None) -> tuple[int, bytes]:
        return self.queue.popleft()

    async def request(self, data: bytes, timeout: float | None) -> tuple[int, bytes]:
        self.start_stream(data)
        return self.queue.popleft()

    def end_stream(self) -> None:
        pass


async def measure(batches: int, conc: int, no_gc: bool, size: int) -> dict[str, float]:
    async with EmbeddedServer() as server, Client(
            {"hosts": [server.address], "policies": {"batch": {"total_timeout": 30000}}}
    ) as client:
        keys = [("test", SET_NAME, i) for i in range(N_KEYS)]
        for start in range(0, N_KEYS, 500):
            await asyncio.gather(*(client.put(k, BINS) for k in keys[start:start + 500]))

        async def replay_acquire(self: Pool, timeout: float | None = None) -> Any:
            return ReplayConnection(server)

        def replay_take(self: Pool) -> Any:
            return ReplayConnection(server)
        real = Pool.acquire, Pool.take, Pool.release
        Pool.acquire = replay_acquire  # type: ignore[method-assign]
        Pool.take = replay_take  # type: ignore[method-assign,assignment]
        Pool.release = lambda self, conn: None  # type: ignore[method-assign]
        try:
            return await _timed(client, keys, batches, conc, no_gc, size)
        finally:
            Pool.acquire, Pool.take, Pool.release = real  # type: ignore[method-assign]


async def _timed(client: Client, keys: list, batches: int, conc: int, no_gc: bool,
                 size: int) -> dict[str, float]:
    """CPU µs per record (best of 3 runs of ``batches``) and collector passes per batch."""
    async def run(n: int) -> None:
        async def worker(w: int) -> None:
            for j in range(n // conc):
                start = ((w * (n // conc) + j) * size) % N_KEYS
                res = await client.batch_read(keys[start:start + size])
                assert res.batch_records[0].record[2] == BINS
        await asyncio.gather(*(worker(w) for w in range(conc)))

    await run(4 * N_KEYS // size)  # every distinct request answered once
    passes = [0, 0, 0]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            passes[info["generation"]] += 1
    gc.callbacks.append(count)
    try:
        best = await _best_of_3(lambda: run(batches), no_gc)
    finally:
        gc.callbacks.remove(count)
    return {"cpu_rec": best / (batches * size) * 1e6, "cpu_batch": best / batches * 1e6,
            **{f"gen{g}": passes[g] / (3 * batches) for g in range(3)}}


async def _best_of_3(step: Callable[[], Awaitable[None]], no_gc: bool) -> float:
    """The least CPU seconds of 3 runs of ``step``; with ``no_gc`` the collector off."""
    if no_gc:
        gc.disable()
    best = float("inf")
    try:
        for _ in range(3):
            t0 = time.process_time()
            await step()
            best = min(best, time.process_time() - t0)
    finally:
        gc.enable()
    return best


def floor(batches: int, no_gc: bool, size: int) -> float:
    """CPU µs per record (best of 3 runs of ``batches``) of the work a pure-Python
    batch_read of ``size`` keys cannot skip: digests from the set's pre-hashed state (as
    hashlib allows, the fastest way there is), each bin decoded from its bytes, the key
    tuple, meta, bins, record tuple and BatchRecord the API returns, then their freeing."""
    states = set_states(SET_NAME)
    if states is None:
        return float("nan")   # no RIPEMD-160 in hashlib: no fast digest to time
    int_state = states[0]
    pack = struct.Struct(">q").pack
    n_bytes, s_bytes = (1).to_bytes(8, "big"), BINS["s"].encode()
    from_bytes = int.from_bytes
    new = BatchRecord.__new__

    def one_batch(first: int) -> BatchRecords:
        records: list[BatchRecord] = []
        append = records.append
        for k in range(first, first + size):
            h = int_state.copy()
            h.update(pack(k))
            key = ("test", SET_NAME, k, bytearray(h.digest()))
            rec = new(BatchRecord)
            rec.key = key
            rec.record = (key, {"ttl": 1000, "gen": 1},
                          {"n": from_bytes(n_bytes, "big"), "s": s_bytes.decode()})
            rec.result = 0
            rec.message = None
            rec.subcode = 0
            rec.in_doubt = False
            append(rec)
        return BatchRecords(records)

    async def step() -> None:
        res = None
        for b in range(batches):
            res = one_batch(b * size % N_KEYS)
        del res

    return asyncio.run(_best_of_3(step, no_gc)) / (batches * size) * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=1_000, help="keys per batch_read")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--no-gc", action="store_true")
    args = parser.parse_args(argv)
    size = args.keys
    print(f"batch_read of {size} keys, replies replayed from memory; best of 3 runs of "
          f"{args.batches} batches{', collector off' if args.no_gc else ''}")
    print(f"{'conc':>4} {'CPU µs/rec':>11} {'CPU µs/batch':>13} {'gen0/batch':>11} "
          f"{'gen1/batch':>11} {'gen2/batch':>11}")
    for conc in args.concurrency:
        row = asyncio.run(measure(args.batches, conc, args.no_gc, size))
        print(f"{conc:>4} {row['cpu_rec']:>11.2f} {row['cpu_batch']:>13.1f} {row['gen0']:>11.2f} "
              f"{row['gen1']:>11.2f} {row['gen2']:>11.2f}")
    print(f"floor {floor(args.batches, args.no_gc, size):>10.2f}   (digests, bins decoded, "
          f"result objects and their freeing: the least a pure-Python client spends)")

if __name__ == "__main__":
    main()
