"""Batch read throughput: records/s of 1,000-key batch_read calls, aerospike_async vs the
official client, in the same run against the same server.

    python benchmarks/batch.py [--hosts host:port[,...]] [--batches N] [--concurrency C ...]

Without ``--hosts`` the embedded server runs in a subprocess pinned to one CPU (see kv.py).
The 10,000 records are written once; then each of ``--rounds`` rounds runs, each in a fresh
process, aerospike_async on asyncio, on uvloop, the official client, and the official
client's script run with our sync drop-in (``import aerospike`` from this project). Each row:
batches of 1,000 keys (all present), ``--concurrency`` batches in flight (async tasks, or
threads for the official client and the drop-in): records/s, p50/p99 latency of one
batch_read call, and client CPU µs per record. Defaults: 3 rounds of 200 batches per
concurrency (1 and 4), about a minute on 2 cores.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounds import (Hosts, Row, add_common_args, cpu_seconds, describe, emit,  # noqa: E402
                    loops, ours, parse_hosts, populate, report, run_official_script, run_on,
                    run_rounds, server, server_busy, server_cpu_seconds, gc_seconds)

SET_NAME = "benchb"
N_KEYS = 10_000
BATCH = 1_000
BINS = {"n": 1, "s": "x" * 64}
FIGURES = [("rec_s", "records/s", ",.0f"), ("p50", "p50 ms", ".2f"), ("p99", "p99 ms", ".2f"),
           ("cpu_rec", "CPU µs/rec", ".2f"), ("gc_rec", "GC µs/rec", ".2f"),
           ("srv_busy", "server busy %", ".0f")]

# argv[1]: {"hosts", "ns", "set", "n_keys", "batch", "batches", "concurrencies", "client"};
# prints one JSON row per concurrency. The records are written beforehand. Run by the
# official client, and by our sync drop-in.
OFFICIAL_SCRIPT = r'''
import json, resource, sys, threading, time
import aerospike
cfg = json.loads(sys.argv[1])
client = aerospike.client({"hosts": [tuple(h) for h in cfg["hosts"]]}).connect()
ns, st, B = cfg["ns"], cfg["set"], cfg["batch"]
keys = [(ns, st, i) for i in range(cfg["n_keys"])]
gc_spent = gc_seconds()
def run(n, conc):
    per = n // conc
    gate = threading.Barrier(conc + 1)
    lats = []
    def worker(w):
        gate.wait()
        for j in range(per):
            s = ((w * per + j) * B) % len(keys)
            t = time.perf_counter()
            res = client.batch_read(keys[s:s + B])
            lats.append(time.perf_counter() - t)
            assert len(res.batch_records) == B
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(conc)]
    for t in ts: t.start()
    r0 = resource.getrusage(resource.RUSAGE_SELF); gate.wait(); t0 = time.perf_counter()
    srv0, gc0 = server_cpu_seconds(), gc_spent()
    for t in ts: t.join()
    wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
    busy = server_busy(srv0, wall)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    lats.sort()
    return per * conc * B, wall, cpu, lats, dict(busy, gc=gc_spent() - gc0)
for conc in cfg["concurrencies"]:
    run(max(conc, 2), conc)
    recs, wall, cpu, lats, extra = run(cfg["batches"], conc)
    gc_rec = extra.pop("gc") / recs * 1e6
    print(json.dumps({"client": cfg["client"], "loop": "threads", "conc": conc,
                      "rec_s": recs / wall, "cpu_rec": cpu / recs * 1e6, "gc_rec": gc_rec,
                      "p50": lats[len(lats) // 2] * 1e3,
                      "p99": lats[int(len(lats) * 0.99)] * 1e3, **extra}), flush=True)
'''


async def async_rows(hosts: Hosts, ns: str, batches: int, concurrencies: list[int],
                     loop_name: str) -> list[Row]:
    """One row per concurrency of aerospike_async's batch_read on the running loop."""
    from aerospike_async import Client
    rows = []
    gc_spent = gc_seconds()
    async with Client({"hosts": hosts, "policies": {"batch": {"total_timeout": 30000}}}) as c:
        keys = [(ns, SET_NAME, i) for i in range(N_KEYS)]

        async def run(n: int, conc: int) -> tuple[int, float, float, list[float], Row]:
            per = n // conc
            lats: list[float] = []

            async def worker(w: int) -> None:
                for j in range(per):
                    s = ((w * per + j) * BATCH) % N_KEYS
                    t = time.perf_counter()
                    res = await c.batch_read(keys[s:s + BATCH])
                    lats.append(time.perf_counter() - t)
                    assert len(res.batch_records) == BATCH
            cpu0, srv0, gc0 = cpu_seconds(), server_cpu_seconds(), gc_spent()
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(w) for w in range(conc)))
            wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
            lats.sort()
            return (per * conc * BATCH, wall, cpu, lats,
                    dict(server_busy(srv0, wall), gc=gc_spent() - gc0))

        for conc in concurrencies:
            await run(max(conc, 2), conc)
            recs, wall, cpu, lats, extra = await run(batches, conc)
            gc_rec = extra.pop("gc") / recs * 1e6
            rows.append({"client": "aerospike_async", "loop": loop_name, "conc": conc,
                         "rec_s": recs / wall, "cpu_rec": cpu / recs * 1e6, "gc_rec": gc_rec,
                         "p50": lats[len(lats) // 2] * 1e3,
                         "p99": lats[int(len(lats) * 0.99)] * 1e3, **extra})
    return rows


def run_official(hosts: Hosts, ns: str, batches: int, concurrencies: list[int],
                 dropin: bool = False) -> list[Row]:
    """The official client's rows from its venv, or none when it is unavailable; with
    ``dropin``, the same script's rows with our sync drop-in."""
    return run_official_script(OFFICIAL_SCRIPT, {
        "hosts": hosts, "ns": ns, "set": SET_NAME, "n_keys": N_KEYS, "batch": BATCH,
        "batches": batches, "concurrencies": concurrencies}, dropin)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--batches", type=int, default=200, help="measured batches per row")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 4])
    args = parser.parse_args(argv)
    ns, batches, concs = args.namespace, args.batches, args.concurrency
    if args.child_row:
        emit(run_on(args.child_row, async_rows(parse_hosts(args.hosts), ns, batches, concs,
                                               args.child_row)))
        return
    t0 = time.perf_counter()
    with server(args) as hosts:
        run_on("asyncio", populate(hosts, ns, SET_NAME, range(N_KEYS), BINS))
        # every concurrency of every client in a fresh process: a later row in the same
        # process runs slower, whichever it is
        variants: dict[str, Callable[[], list[Row]]] = {}
        for conc in concs:
            for loop in loops():
                variants[f"{loop} c{conc}"] = ours(
                    __file__, [*argv, "--concurrency", str(conc)], hosts, loop)
            variants[f"sync drop-in c{conc}"] = (
                lambda conc=conc: run_official(hosts, ns, batches, [conc], dropin=True))
            if not args.no_official:
                variants[f"official c{conc}"] = (
                    lambda conc=conc: run_official(hosts, ns, batches, [conc]))
        rows = run_rounds(args.rounds, variants)
        print(describe(args, hosts))
    print(f"batch_read of {BATCH} keys; {batches} batches per row")
    print(report(rows, ("conc",), FIGURES, ("rec_s", "p50")))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
