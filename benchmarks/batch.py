"""Batch read throughput: records/s of 1,000-key batch_read calls, aerospike_async vs the
official client, in the same run against the same server.

    python benchmarks/batch.py [--hosts host:port[,...]] [--batches N] [--concurrency C]

Without ``--hosts`` the embedded server runs in a subprocess pinned to one CPU (see kv.py).
Each row: batches of 1,000 keys (all present), ``--concurrency`` batches in flight (async
tasks, or threads for the official client): records/s, p50/p99 latency of one batch_read
call, and client CPU µs per record.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from kv import embedded_server, parse_hosts, run_official_script  # noqa: E402

SET_NAME = "benchb"
N_KEYS = 10_000
BATCH = 1_000
BINS = {"n": 1, "s": "x" * 64}

OFFICIAL_SCRIPT = r'''
import json, resource, sys, threading, time
import aerospike
cfg = json.loads(sys.argv[1])
client = aerospike.client({"hosts": [tuple(h) for h in cfg["hosts"]]}).connect()
ns, st, B = cfg["ns"], cfg["set"], cfg["batch"]
keys = [(ns, st, i) for i in range(cfg["n_keys"])]
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
    for t in ts: t.join()
    wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    lats.sort()
    return per * conc * B, wall, cpu, lats
for conc in cfg["concurrencies"]:
    run(max(conc, 2), conc)
    recs, wall, cpu, lats = run(cfg["batches"], conc)
    print(json.dumps({"client": "official", "loop": "threads", "conc": conc,
                      "rec_s": recs / wall, "cpu_rec": cpu / recs * 1e6,
                      "p50": lats[len(lats) // 2] * 1e3,
                      "p99": lats[int(len(lats) * 0.99)] * 1e3}), flush=True)
'''


async def _async_rows(hosts: list, ns: str, batches: int, concurrencies: list[int],
                      loop_name: str) -> list[dict]:
    from aerospike_async import Client
    rows = []
    async with Client({"hosts": hosts, "policies": {"batch": {"total_timeout": 30000}}}) as c:
        keys = [(ns, SET_NAME, i) for i in range(N_KEYS)]
        for s in range(0, N_KEYS, 500):
            await asyncio.gather(*(c.put(k, BINS) for k in keys[s:s + 500]))

        async def run(n: int, conc: int) -> tuple[int, float, float, list[float]]:
            per = n // conc
            lats: list[float] = []

            async def worker(w: int) -> None:
                for j in range(per):
                    s = ((w * per + j) * BATCH) % N_KEYS
                    t = time.perf_counter()
                    res = await c.batch_read(keys[s:s + BATCH])
                    lats.append(time.perf_counter() - t)
                    assert len(res.batch_records) == BATCH
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(w) for w in range(conc)))
            wall = time.perf_counter() - t0
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
            lats.sort()
            return per * conc * BATCH, wall, cpu, lats

        for conc in concurrencies:
            await run(max(conc, 2), conc)
            recs, wall, cpu, lats = await run(batches, conc)
            rows.append({"client": "aerospike_async", "loop": loop_name, "conc": conc,
                         "rec_s": recs / wall, "cpu_rec": cpu / recs * 1e6,
                         "p50": lats[len(lats) // 2] * 1e3,
                         "p99": lats[int(len(lats) * 0.99)] * 1e3})
    return rows


def run_official(hosts: list, ns: str, batches: int, concurrencies: list[int]) -> list[dict]:
    return run_official_script(OFFICIAL_SCRIPT, {
        "hosts": hosts, "ns": ns, "set": SET_NAME, "n_keys": N_KEYS, "batch": BATCH,
        "batches": batches, "concurrencies": concurrencies})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default=os.environ.get("AEROSPIKE_HOSTS"))
    parser.add_argument("--namespace", default=os.environ.get("AEROSPIKE_NAMESPACE", "test"))
    parser.add_argument("--batches", type=int, default=60, help="measured batches per row")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 4])
    parser.add_argument("--no-official", action="store_true")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args(argv)
    with (nullcontext(parse_hosts(args.hosts)) if args.hosts
          else embedded_server(pin=not args.no_pin)) as hosts:
        rows = asyncio.run(_async_rows(hosts, args.namespace, args.batches, args.concurrency,
                                       "asyncio"))
        try:
            import uvloop
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                rows += runner.run(_async_rows(hosts, args.namespace, args.batches,
                                               args.concurrency, "uvloop"))
        except ImportError:
            pass
        if not args.no_official:
            rows += run_official(hosts, args.namespace, args.batches, args.concurrency)
    print(f"batch_read of {BATCH} keys; {args.batches} batches per row")
    print(f"{'client':16} {'loop':8} {'conc':>4} {'records/s':>12} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'CPU µs/rec':>11}")
    for r in sorted(rows, key=lambda r: (r["conc"], r["client"], r["loop"])):
        print(f"{r['client']:16} {r['loop']:8} {r['conc']:>4} {r['rec_s']:>12,.0f} "
              f"{r['p50']:>7.2f} {r['p99']:>7.2f} {r['cpu_rec']:>11.2f}")


if __name__ == "__main__":
    main()
