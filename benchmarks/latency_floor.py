"""Concurrency-1 get latency: how much of it the event loop itself costs.

    python benchmarks/latency_floor.py [--hosts host:port] [--ops N]

Measures, against the same server in one run: a blocking socket sending pre-built get
requests, a bare asyncio Protocol doing the same (default loop and uvloop), the
aerospike_async client's ``get`` (both loops), and the official client. The two bare rows
are floors: no codec, pool or API, only the I/O model. Prints ops/s, p50/p99 latency and
client CPU per operation for each.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import time
from contextlib import nullcontext
from typing import Awaitable, Callable

from kv import (BINS, N_KEYS, OFFICIAL_SCRIPT, SET_NAME, embedded_server, parse_hosts,
                run_official_script, summarize)

from aerospike_async import Client
from aerospike_async._validate import parse_key
from aerospike_async.protocol.digest import compute_digest
from aerospike_async.protocol.framing import PROTO_HEADER
from aerospike_async.protocol.message import INFO1_GET_ALL, INFO1_READ
from aerospike_async.protocol.record import encode_command, key_fields, parse_record_reply

_SIZE = (1 << 48) - 1


def prebuilt_gets(ns: str, n: int) -> list[bytes]:
    out = []
    for i in range(n):
        digest = compute_digest(SET_NAME, f"k{i}")
        fields, n_fields = key_fields(ns, SET_NAME, digest)
        out.append(encode_command(INFO1_READ | INFO1_GET_ALL, 0, 0, 0, 0, 0, 1000, fields,
                                  n_fields))
    return out


def measure(run_one: Callable[[int], None], ops: int, warmup: int) -> dict:
    for i in range(warmup):
        run_one(i)
    lats = [0.0] * ops
    clock = time.perf_counter
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    start = clock()
    for i in range(ops):
        t0 = clock()
        run_one(i)
        lats[i] = clock() - t0
    wall = clock() - start
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return summarize(lats, wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)


async def measure_async(run_one: Callable[[int], Awaitable], ops: int, warmup: int) -> dict:
    for i in range(warmup):
        await run_one(i)
    lats = [0.0] * ops
    clock = time.perf_counter
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    start = clock()
    for i in range(ops):
        t0 = clock()
        await run_one(i)
        lats[i] = clock() - t0
    wall = clock() - start
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return summarize(lats, wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)


def blocking_socket(host: tuple[str, int], requests: list[bytes], ops: int, warmup: int) -> dict:
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
    """The client's own work for one get, given the reply payload: key, request, reply."""
    keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]

    def work(i: int, payload: bytes) -> None:
        ns_, set_name, _user_key, digest = parse_key(keys[i % N_KEYS])
        fields, n_fields = key_fields(ns_, set_name, digest)
        encode_command(INFO1_READ | INFO1_GET_ALL, 0, 0, 0, 0, 0, 1000, fields, n_fields)
        parse_record_reply(payload)
    return work


def codec_alone(work: Callable[[int, bytes], None], payload: bytes, ops: int,
                warmup: int) -> dict:
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
                        ) -> dict:
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


async def client_get(hosts: list[tuple[str, int]], ns: str, ops: int, warmup: int) -> dict:
    async with Client({"hosts": hosts}) as client:
        keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]
        return await measure_async(lambda i: client.get(keys[i % N_KEYS]), ops, warmup)


def official_row(hosts: list[tuple[str, int]], ns: str, ops: int, warmup: int) -> dict | None:
    rows = run_official_script(OFFICIAL_SCRIPT, {
        "hosts": hosts, "ns": ns, "set": SET_NAME, "n_keys": N_KEYS, "bins": BINS,
        "ops": ops, "warmup": warmup, "ops_kinds": ["get"], "concurrencies": [1]})
    return next((r for r in rows if r["op"] == "get"), None)


def main(argv: list[str] | None = None) -> None:
    import uvloop
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default=os.environ.get("AEROSPIKE_HOSTS"))
    parser.add_argument("--namespace", default=os.environ.get("AEROSPIKE_NAMESPACE", "test"))
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=2_000)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    with (nullcontext(parse_hosts(args.hosts)) if args.hosts
          else embedded_server(pin=not args.no_pin)) as hosts:
        ns = args.namespace

        async def populate() -> None:
            async with Client({"hosts": hosts}) as client:
                for i in range(N_KEYS):
                    await client.put((ns, SET_NAME, f"k{i}"), BINS)
        asyncio.run(populate())
        requests = prebuilt_gets(ns, N_KEYS)
        rows = [("blocking socket, pre-built requests", "-",
                 blocking_socket(hosts[0], requests, args.ops, args.warmup))]
        for loop_name, factory in (("asyncio", None), ("uvloop", uvloop.new_event_loop)):
            with asyncio.Runner(loop_factory=factory) as runner:
                rows.append(("bare Protocol, pre-built requests", loop_name,
                             runner.run(bare_protocol(hosts[0], requests, args.ops,
                                                      args.warmup))))
                if loop_name == "uvloop":
                    work = codec_work(ns)
                    rows.append(("bare Protocol + client codec work", loop_name,
                                 runner.run(bare_protocol(hosts[0], requests, args.ops,
                                                          args.warmup, work))))
                rows.append(("aerospike_async Client.get", loop_name,
                             runner.run(client_get(hosts, ns, args.ops, args.warmup))))
        sock = socket.create_connection(hosts[0])
        sock.sendall(requests[0])
        head = sock.recv(8, socket.MSG_WAITALL)
        payload = sock.recv(PROTO_HEADER.unpack(head)[0] & _SIZE, socket.MSG_WAITALL)
        sock.close()
        rows.append(("client codec work alone, no I/O", "-",
                     codec_alone(codec_work(ns), payload, args.ops, args.warmup)))
        official = official_row(hosts, ns, args.ops, args.warmup)
        if official is not None:
            rows.append(("official client get", "threads", official))
    print(f"{'what':38} {'loop':8} {'ops/s':>8} {'p50 µs':>7} {'p99 µs':>7} {'CPU µs/op':>9}")
    for what, loop_name, r in rows:
        print(f"{what:38} {loop_name:8} {r['ops_s']:8,.0f} {r['p50']:7.0f} {r['p99']:7.0f} "
              f"{r['cpu_op']:9.1f}")


if __name__ == "__main__":
    main()
