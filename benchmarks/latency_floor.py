"""Concurrency-1 get latency: how much of it the event loop itself costs.

    python benchmarks/latency_floor.py [--hosts host:port] [--ops N] [--rounds R] [--awake]

Measures, against the same server in one run: a blocking socket sending pre-built get
requests, a bare asyncio Protocol doing the same (default loop and uvloop), the
aerospike_async client's ``get`` (both loops), our sync drop-in's ``get`` and the official
client. The two bare rows are floors: no codec, pool or API, only the I/O model. Prints
ops/s, p50/p99 latency and client CPU per operation for each. Each round runs, each in a
fresh process: the bare rows (together), ``Client.get`` on asyncio, on uvloop, the sync
drop-in and the official client. Defaults: 3 rounds of 20,000 gets per row after 2,000
warm-up, about 1.5 minutes on 2 cores.

``--awake`` keeps the clients' CPUs from idling while they wait for the server: a
lowest-priority busy loop runs on them, and yields to any client at once. Idle, a vCPU
halts between round trips and the code after each wake-up runs with cold caches; the
difference between the two runs is what that costs each client.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from collections.abc import Awaitable, Callable, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kv import BINS, FIGURES, N_KEYS, SET_NAME, run_official  # noqa: E402
from rounds import (Hosts, Row, add_common_args, cpu_seconds, describe, emit,  # noqa: E402
                    ours, parse_hosts, populate, report, run_on, run_rounds, server, summarize)

from aerospike_async import Client  # noqa: E402
from aerospike_async._validate import parse_key  # noqa: E402
from aerospike_async.protocol.digest import compute_digest  # noqa: E402
from aerospike_async.protocol.framing import PROTO_HEADER  # noqa: E402
from aerospike_async.protocol.message import INFO1_GET_ALL, INFO1_READ  # noqa: E402
from aerospike_async.protocol.record import encode_command, key_fields, record_parts  # noqa: E402

_SIZE = (1 << 48) - 1


def prebuilt_gets(ns: str, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        digest = compute_digest(SET_NAME, f"k{i}")
        fields, n_fields = key_fields(ns, SET_NAME, digest)
        out.append(encode_command(INFO1_READ | INFO1_GET_ALL, 0, 0, 0, 0, 0, 1000, fields,
                                  n_fields))
    return out


def measure(run_one: Callable[[int], None], ops: int, warmup: int) -> Row:
    for i in range(warmup):
        run_one(i)
    lats = [0.0] * ops
    clock = time.perf_counter
    cpu0, start = cpu_seconds(), clock()
    for i in range(ops):
        t0 = clock()
        run_one(i)
        lats[i] = clock() - t0
    return summarize(lats, clock() - start, cpu_seconds() - cpu0)


async def measure_async(run_one: Callable[[int], Awaitable], ops: int, warmup: int) -> Row:
    for i in range(warmup):
        await run_one(i)
    lats = [0.0] * ops
    clock = time.perf_counter
    cpu0, start = cpu_seconds(), clock()
    for i in range(ops):
        t0 = clock()
        await run_one(i)
        lats[i] = clock() - t0
    return summarize(lats, clock() - start, cpu_seconds() - cpu0)


def blocking_socket(host: tuple[str, int], requests: list[bytes], ops: int, warmup: int) -> Row:
    sock = socket.create_connection(host)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    n = len(requests)

    def one(i: int) -> None:
        sock.sendall(requests[i % n])
        data = sock.recv(65536)
        while len(data) < 8 or len(data) < 8 + (PROTO_HEADER.unpack_from(data)[0] & _SIZE):
            data += sock.recv(65536)
    try:
        return measure(one, ops, warmup)
    finally:
        sock.close()


def codec_work(ns: str) -> Callable[[int, bytes], None]:
    """The client's own codec work for one get, given the reply payload: the key parsed and
    digested, the request (its bytes up to the digest kept, as Client.get does), the reply
    decoded."""
    keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]
    fields, n_fields = key_fields(ns, SET_NAME, bytes(20))
    prefix = encode_command(INFO1_READ | INFO1_GET_ALL, 0, 0, 0, 0, 0, 1000, fields,
                            n_fields)[:-20]

    def work(i: int, payload: bytes) -> None:
        digest = parse_key(keys[i % N_KEYS])[3]
        prefix + digest
        record_parts(payload)
    return work


def codec_alone(work: Callable[[int, bytes], None], payload: bytes, ops: int,
                warmup: int) -> Row:
    return measure(lambda i: work(i, payload), ops, warmup)


class _Bare(asyncio.Protocol):
    def __init__(self) -> None:
        self.waiter: asyncio.Future | None = None
        self.buf = b""
        self.last = b""  # the last whole reply's payload

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) >= 8 and len(self.buf) >= 8 + (PROTO_HEADER.unpack_from(self.buf)[0]
                                                         & _SIZE):
            self.last, self.buf = self.buf[8:], b""
            assert self.waiter is not None
            self.waiter.set_result(None)


async def bare_protocol(host: tuple[str, int], requests: list[bytes], ops: int,
                        warmup: int, work: Callable[[int, bytes], None] | None = None
                        ) -> Row:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(_Bare, *host)
    n = len(requests)

    async def one(i: int) -> None:
        proto.waiter = loop.create_future()
        transport.write(requests[i % n])
        await proto.waiter
        if work is not None:
            work(i, proto.last)
    try:
        return await measure_async(one, ops, warmup)
    finally:
        transport.close()


async def client_get(hosts: Hosts, ns: str, ops: int, warmup: int) -> Row:
    async with Client({"hosts": hosts}) as client:
        keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]
        return await measure_async(lambda i: client.get(keys[i % N_KEYS]), ops, warmup)


def bare_rows(hosts: Hosts, ns: str, ops: int, warmup: int) -> list[Row]:
    """The rows without our client: blocking socket, bare Protocol (with and without the
    client's codec work) and the codec work alone, in this process."""
    requests = prebuilt_gets(ns, N_KEYS)
    rows = [("blocking socket, pre-built requests", "-",
             blocking_socket(hosts[0], requests, ops, warmup))]
    for loop_name in ("asyncio", "uvloop"):
        rows.append(("bare Protocol, pre-built requests", loop_name,
                     run_on(loop_name, bare_protocol(hosts[0], requests, ops, warmup))))
    rows.append(("bare Protocol + client codec work", "uvloop",
                 run_on("uvloop", bare_protocol(hosts[0], requests, ops, warmup,
                                                codec_work(ns)))))
    sock = socket.create_connection(hosts[0])
    sock.sendall(requests[0])
    head = sock.recv(8, socket.MSG_WAITALL)
    payload = sock.recv(PROTO_HEADER.unpack(head)[0] & _SIZE, socket.MSG_WAITALL)
    sock.close()
    rows.append(("client codec work alone, no I/O", "-",
                 codec_alone(codec_work(ns), payload, ops, warmup)))
    return [dict(r, client=what, loop=loop_name) for what, loop_name, r in rows]


@contextmanager
def cpus_kept_awake(enabled: bool) -> Iterator[None]:
    """With ``enabled``, a nice-19 busy loop on this process's CPUs while inside."""
    if not enabled:
        yield
        return
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                                 preexec_fn=lambda: os.nice(19))
                for _ in sorted(os.sched_getaffinity(0))]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--awake", action="store_true",
                        help="keep the clients' CPUs busy at the lowest priority")
    args = parser.parse_args(argv)
    ns, ops, warmup = args.namespace, args.ops, args.warmup
    if args.child_row == "bare":
        emit(bare_rows(parse_hosts(args.hosts), ns, ops, warmup))
    elif args.child_row:
        row = run_on(args.child_row, client_get(parse_hosts(args.hosts), ns, ops, warmup))
        emit([dict(row, client="aerospike_async Client.get", loop=args.child_row)])
    if args.child_row:
        return
    t0 = time.perf_counter()
    with server(args) as hosts:
        run_on("asyncio", populate(hosts, ns, SET_NAME, [f"k{i}" for i in range(N_KEYS)], BINS))
        variants = {v: ours(__file__, argv, hosts, v) for v in ("bare", "asyncio", "uvloop")}
        variants["sync drop-in"] = lambda: run_official(hosts, ns, ops, warmup, ("get",), (1,),
                                                        dropin=True)
        if not args.no_official:
            variants["official"] = lambda: run_official(hosts, ns, ops, warmup, ("get",), (1,))
        with cpus_kept_awake(args.awake):
            rows = run_rounds(args.rounds, variants)
        print(describe(args, hosts) + ("; clients' CPUs kept awake" if args.awake else ""))
    print(f"get at concurrency 1: {ops} per row after {warmup} warm-up")
    print(report(rows, (), FIGURES, ("ops_s", "p50")))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
