"""Key-value throughput, latency and client CPU: aerospike_async vs the official client.

    python benchmarks/kv.py [--hosts host:port[,host:port]] [--ops N] [--warmup N] [--rounds R]

Without ``--hosts`` (or ``AEROSPIKE_HOSTS``) the embedded server runs in a subprocess, so the
client's CPU figures are its own. The 10,000 records are written once; then each of
``--rounds`` rounds runs, each in a fresh process, aerospike_async on asyncio, on uvloop, and
the official client (its own venv, see tests/official.py) with the sync API: concurrency 1 is
one thread, concurrency 64 is 64 threads sharing one client. Our sync drop-in (``import
aerospike`` from this project) runs the official client's script as it is. The embedded
server is pinned to one CPU and the clients to the others (unless ``--no-pin``): where the
scheduler puts two ping-ponging processes changes latency and CPU per op several-fold.
Defaults: 3 rounds of 20,000 ops per cell after 2,000 warm-up, about 1.5 minutes on 2
cores.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounds import (Hosts, Row, add_common_args, cpu_seconds, describe,  # noqa: E402
                    emit, loops, ours, parse_hosts, populate, report, run_official_script,
                    run_on, run_rounds, server, server_busy, server_cpu_seconds, summarize)

OPS = ("put", "get")
CONCURRENCIES = (1, 64)
SET_NAME = "bench"
N_KEYS = 10_000
BINS = {"n": 1, "s": "x" * 64}
FIGURES = [("ops_s", "ops/s", ",.0f"), ("p50", "p50 µs", ".0f"), ("p99", "p99 µs", ".0f"),
           ("cpu_op", "CPU µs/op", ".1f"), ("srv_busy", "server busy %", ".0f")]

# The same workload for the official client, run under its own interpreter, and for our
# sync drop-in. argv[1]: {"hosts", "ns", "set", "n_keys", "bins", "ops", "warmup",
# "ops_kinds", "concurrencies", "client"}; prints one JSON row per cell. The records are
# written beforehand.
OFFICIAL_SCRIPT = r'''
import json, resource, sys, threading, time
import aerospike

cfg = json.loads(sys.argv[1])
client = aerospike.client({"hosts": [tuple(h) for h in cfg["hosts"]]}).connect()
keys = [(cfg["ns"], cfg["set"], "k%d" % i) for i in range(cfg["n_keys"])]
bins = cfg["bins"]

def cell(op, conc, ops):
    call = client.get if op == "get" else (lambda k: client.put(k, bins))
    per = ops // conc
    lats = [[0.0] * per for _ in range(conc)]
    gate = threading.Barrier(conc + 1)
    def worker(w):
        mine = [keys[(w + conc * j) % len(keys)] for j in range(per)]
        lat = lats[w]
        clock = time.perf_counter
        gate.wait()
        for j, k in enumerate(mine):
            t0 = clock()
            call(k)
            lat[j] = clock() - t0
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(conc)]
    for t in threads:
        t.start()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    srv0 = server_cpu_seconds()
    t0 = time.perf_counter()
    gate.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    busy = server_busy(srv0, wall)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    flat = sorted(x for lat in lats for x in lat)
    n = len(flat)
    return {"ops_s": n / wall, "p50": flat[n // 2] * 1e6, "p99": flat[int(n * 0.99)] * 1e6,
            "cpu_op": cpu / n * 1e6, "n": n, **busy}

for op in cfg["ops_kinds"]:
    for conc in cfg["concurrencies"]:
        if cfg["warmup"]:
            cell(op, conc, max(cfg["warmup"], conc))
        row = cell(op, conc, cfg["ops"])
        row.update(client=cfg["client"], loop="threads", op=op, conc=conc)
        print(json.dumps(row), flush=True)
client.close()
'''


async def async_cell(call: Callable, keys: list, conc: int, ops: int) -> Row:
    """Run ``ops`` calls from ``conc`` tasks; latencies per call, CPU of this process."""
    per = ops // conc
    lats = [[0.0] * per for _ in range(conc)]
    slices = [[keys[(w + conc * j) % len(keys)] for j in range(per)] for w in range(conc)]

    async def worker(w: int) -> None:
        lat = lats[w]
        clock = time.perf_counter
        for j, k in enumerate(slices[w]):
            t0 = clock()
            await call(k)
            lat[j] = clock() - t0

    cpu0, srv0, t0 = cpu_seconds(), server_cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(conc)))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    return {**summarize([x for lat in lats for x in lat], wall, cpu), **server_busy(srv0, wall)}


async def async_suite(hosts: Hosts, ns: str, ops: int, warmup: int, loop_name: str,
                      op: str, conc: int) -> list[Row]:
    """The (op, concurrency) cell of aerospike_async on the running loop."""
    from aerospike_async import Client

    keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]
    async with Client({"hosts": hosts}) as client:
        call = client.get if op == "get" else (lambda k: client.put(k, BINS))
        if warmup:
            await async_cell(call, keys, conc, max(warmup, conc))
        row = await async_cell(call, keys, conc, ops)
    row.update(client="aerospike_async", loop=loop_name, op=op, conc=conc)
    return [row]


def run_official(hosts: Hosts, ns: str, ops: int, warmup: int,
                 ops_kinds: tuple[str, ...] = OPS,
                 concurrencies: tuple[int, ...] = CONCURRENCIES,
                 dropin: bool = False) -> list[Row]:
    """The official client's cells from a child process, or none when it is unavailable;
    with ``dropin``, the same script's cells with our sync drop-in."""
    return run_official_script(OFFICIAL_SCRIPT, {
        "hosts": hosts, "ns": ns, "set": SET_NAME, "n_keys": N_KEYS, "bins": BINS,
        "ops": ops, "warmup": warmup, "ops_kinds": ops_kinds,
        "concurrencies": concurrencies}, dropin)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--ops", type=int, default=20_000, help="measured operations per cell")
    parser.add_argument("--warmup", type=int, default=2_000, help="unmeasured ops before each cell")
    parser.add_argument("--cell", help=argparse.SUPPRESS)  # a child's op:concurrency
    args = parser.parse_args(argv)
    ns = args.namespace
    if args.child_row:
        op, conc = args.cell.split(":")
        emit(run_on(args.child_row, async_suite(parse_hosts(args.hosts), ns, args.ops,
                                                args.warmup, args.child_row, op, int(conc))))
        return
    t0 = time.perf_counter()
    with server(args) as hosts:
        run_on("asyncio", populate(hosts, ns, SET_NAME, [f"k{i}" for i in range(N_KEYS)], BINS))
        # every cell of every client in a fresh process: a later cell in the same process
        # runs slower, whichever it is
        variants: dict[str, Callable[[], list[Row]]] = {}
        for op in OPS:
            for conc in CONCURRENCIES:
                for loop in loops():
                    variants[f"{loop} {op} c{conc}"] = ours(
                        __file__, [*argv, "--cell", f"{op}:{conc}"], hosts, loop)
                variants[f"sync drop-in {op} c{conc}"] = (
                    lambda op=op, conc=conc: run_official(hosts, ns, args.ops, args.warmup,
                                                          (op,), (conc,), dropin=True))
                if not args.no_official:
                    variants[f"official {op} c{conc}"] = (
                        lambda op=op, conc=conc: run_official(hosts, ns, args.ops, args.warmup,
                                                              (op,), (conc,)))
        rows = run_rounds(args.rounds, variants)
        print(describe(args, hosts))
    print(f"{args.ops} ops per cell after {args.warmup} warm-up")
    print(report(rows, ("op", "conc"), FIGURES, ("ops_s", "p50")))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
