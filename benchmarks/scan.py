"""Streamed scan throughput: records/s of a whole-set scan, aerospike_async (``async for``)
vs the official client (``Scan.foreach``), in the same run against the same server.

    python benchmarks/scan.py [--hosts host:port[,...]] [--records N] [--rounds R]

Without ``--hosts`` the embedded server runs in a subprocess pinned to one CPU (see kv.py).
The records are written once; then each of ``--rounds`` rounds runs, each in a fresh process,
aerospike_async on asyncio, on uvloop, and the official client, each scanning the set once to
warm up and once measured: records/s, the latency to the first record, the p99 and the largest
gap between two records as the consumer sees them, and client CPU µs per record. Defaults: 3
rounds over 100,000 records, about 20 s on 2 cores.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounds import (Hosts, Row, add_common_args, cpu_seconds, describe, emit,  # noqa: E402
                    loops, ours, parse_hosts, populate, report, run_official_script, run_on,
                    run_rounds, server, server_busy, server_cpu_seconds)

SET_NAME = "benchs"
BINS = {"n": 1, "s": "x" * 64}
FIGURES = [("rec_s", "records/s", ",.0f"), ("first_ms", "first ms", ".2f"),
           ("gap_p99_us", "gap p99 µs", ".1f"), ("gap_max_ms", "gap max ms", ".2f"),
           ("cpu_rec", "CPU µs/rec", ".2f"), ("srv_busy", "server busy %", ".0f")]

# argv[1]: {"hosts", "ns", "set"}; prints the measured scan's row, after a warm-up scan.
OFFICIAL_SCRIPT = r'''
import json, resource, sys, time
import aerospike
cfg = json.loads(sys.argv[1])
client = aerospike.client({"hosts": [tuple(h) for h in cfg["hosts"]]}).connect()
for _ in range(2):
    stamps = []
    def cb(rec, _now=time.perf_counter, _add=stamps.append):
        _add(_now())
    r0 = resource.getrusage(resource.RUSAGE_SELF); srv0 = server_cpu_seconds()
    t0 = time.perf_counter()
    client.scan(cfg["ns"], cfg["set"]).foreach(cb)
    wall = time.perf_counter() - t0; r1 = resource.getrusage(resource.RUSAGE_SELF)
    busy = server_busy(srv0, wall)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
n = len(stamps)
gaps = sorted(b - a for a, b in zip([t0] + stamps, stamps))
print(json.dumps({"client": "official", "loop": "foreach", "records": n, "rec_s": n / wall,
                  "cpu_rec": cpu / max(n, 1) * 1e6, "first_ms": (stamps[0] - t0) * 1e3,
                  "gap_p99_us": gaps[int(n * 0.99)] * 1e6, "gap_max_ms": gaps[-1] * 1e3,
                  **busy}))
'''


async def async_row(hosts: Hosts, ns: str, loop_name: str) -> Row:
    """aerospike_async's measured scan on the running loop, after a warm-up scan."""
    from aerospike_async import Client
    async with Client({"hosts": hosts}) as c:
        for _ in range(2):
            stamps: list[float] = []
            add, now = stamps.append, time.perf_counter
            cpu0, srv0, t0 = cpu_seconds(), server_cpu_seconds(), now()
            async for _rec in c.scan(ns, SET_NAME):
                add(now())
            wall, cpu = now() - t0, cpu_seconds() - cpu0
            busy = server_busy(srv0, wall)
    n = len(stamps)
    gaps = sorted(b - a for a, b in zip([t0] + stamps, stamps))
    return {"client": "aerospike_async", "loop": loop_name, "records": n, "rec_s": n / wall,
            "cpu_rec": cpu / max(n, 1) * 1e6, "first_ms": (stamps[0] - t0) * 1e3,
            "gap_p99_us": gaps[int(n * 0.99)] * 1e6, "gap_max_ms": gaps[-1] * 1e3, **busy}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    ns = args.namespace
    if args.child_row:
        emit([run_on(args.child_row, async_row(parse_hosts(args.hosts), ns, args.child_row))])
        return
    t0 = time.perf_counter()
    with server(args) as hosts:
        run_on("asyncio", populate(hosts, ns, SET_NAME, range(args.records), BINS))
        variants = {loop: ours(__file__, argv, hosts, loop) for loop in loops()}
        if not args.no_official:
            variants["official"] = lambda: run_official_script(
                OFFICIAL_SCRIPT, {"hosts": hosts, "ns": ns, "set": SET_NAME})
        rows = run_rounds(args.rounds, variants)
        print(describe(args, hosts))
    print(f"streamed scan of {args.records} records")
    print(report(rows, (), FIGURES, ("rec_s",)))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
