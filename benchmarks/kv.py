"""Key-value throughput, latency and client CPU: aerospike_async vs the official client.

    python benchmarks/kv.py [--hosts host:port[,host:port]] [--ops N] [--warmup N]

Without ``--hosts`` (or ``AEROSPIKE_HOSTS``) the embedded server runs in a subprocess, so the
client's CPU figures are its own. The official client (its own venv, see tests/official.py)
runs the same workload in a child process with the sync API: concurrency 1 is one thread,
concurrency 64 is 64 threads sharing one client. The embedded server is pinned to one CPU and
the clients to the others (unless ``--no-pin``): where the scheduler puts two ping-ponging
processes changes latency and CPU per op several-fold, so unpinned runs are not comparable.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

OPS = ("put", "get")
CONCURRENCIES = (1, 64)
SET_NAME = "bench"
N_KEYS = 10_000
BINS = {"n": 1, "s": "x" * 64}

# The same workload for the official client, run under its own interpreter.
# argv[1]: {"hosts", "ns", "ops", "warmup", "concurrencies"}; prints one JSON row per cell.
OFFICIAL_SCRIPT = r'''
import json, resource, sys, threading, time
import aerospike

cfg = json.loads(sys.argv[1])
client = aerospike.client({"hosts": [tuple(h) for h in cfg["hosts"]]}).connect()
keys = [(cfg["ns"], cfg["set"], "k%d" % i) for i in range(cfg["n_keys"])]
bins = cfg["bins"]
for k in keys:
    client.put(k, bins)

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
    t0 = time.perf_counter()
    gate.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    flat = sorted(x for lat in lats for x in lat)
    n = len(flat)
    return {"ops_s": n / wall, "p50": flat[n // 2] * 1e6, "p99": flat[int(n * 0.99)] * 1e6,
            "cpu_op": cpu / n * 1e6, "n": n}

for op in cfg["ops_kinds"]:
    for conc in cfg["concurrencies"]:
        if cfg["warmup"]:
            cell(op, conc, max(cfg["warmup"], conc))
        row = cell(op, conc, cfg["ops"])
        row.update(client="official", loop="threads", op=op, conc=conc)
        print(json.dumps(row), flush=True)
client.close()
'''


def parse_hosts(text: str) -> list[tuple[str, int]]:
    """``host:port[,host:port]`` as a list of (host, port)."""
    hosts = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        hosts.append((host, int(port)) if host else (port, 3000))
    return hosts


@contextmanager
def embedded_server(pin: bool) -> Iterator[list[tuple[str, int]]]:
    """The embedded server in a subprocess of its own; yields its address.

    With ``pin``, the server gets the first CPU and this process (and so its children) the rest.
    """
    proc = subprocess.Popen([sys.executable, "-m", "aerospike_async.testing", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if pin and len(cpus) >= 2:
        os.sched_setaffinity(proc.pid, cpus[:1])
        os.sched_setaffinity(0, cpus[1:])
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError(f"embedded server did not start: {line!r}")
        yield parse_hosts(line.rsplit(" ", 1)[1])
    finally:
        proc.terminate()
        proc.wait(10)


def summarize(lats: list[float], wall: float, cpu: float) -> dict:
    """ops/s, p50/p99 latency and CPU per op (µs) of one measured cell."""
    lats.sort()
    n = len(lats)
    return {"ops_s": n / wall, "p50": lats[n // 2] * 1e6, "p99": lats[int(n * 0.99)] * 1e6,
            "cpu_op": cpu / n * 1e6, "n": n}


async def async_cell(call: Callable, keys: list, conc: int, ops: int) -> dict:
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

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(conc)))
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return summarize([x for lat in lats for x in lat], wall, cpu)


async def async_suite(hosts: list[tuple[str, int]], ns: str, ops: int, warmup: int,
                      loop_name: str) -> list[dict]:
    """Every (op, concurrency) cell of aerospike_async on the running loop."""
    from aerospike_async import Client

    rows = []
    keys = [(ns, SET_NAME, f"k{i}") for i in range(N_KEYS)]
    async with Client({"hosts": hosts}) as client:
        sem = asyncio.Semaphore(64)

        async def populate(k: tuple) -> None:
            async with sem:
                await client.put(k, BINS)
        await asyncio.gather(*(populate(k) for k in keys))
        calls = {"get": client.get, "put": lambda k: client.put(k, BINS)}
        for op in OPS:
            for conc in CONCURRENCIES:
                if warmup:
                    await async_cell(calls[op], keys, conc, max(warmup, conc))
                row = await async_cell(calls[op], keys, conc, ops)
                row.update(client="aerospike_async", loop=loop_name, op=op, conc=conc)
                rows.append(row)
    return rows


def run_async(hosts: list[tuple[str, int]], ns: str, ops: int, warmup: int) -> list[dict]:
    """The async client's cells on the default asyncio loop, then on uvloop if installed."""
    rows = asyncio.run(async_suite(hosts, ns, ops, warmup, "asyncio"))
    try:
        import uvloop
    except ImportError:
        print("uvloop not installed: skipping its rows", file=sys.stderr)
        return rows
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        rows += runner.run(async_suite(hosts, ns, ops, warmup, "uvloop"))
    return rows


def run_official_script(script: str, cfg: dict) -> list[dict]:
    """The JSON rows ``script`` prints when the official client runs it in its own venv
    with ``cfg`` as argument; none (and why, on stderr) when it cannot run."""
    sys.path.insert(0, str(ROOT / "tests"))
    from official import official_python, why_unavailable

    python = official_python()
    if python is None:
        print(f"official client skipped: {why_unavailable()}", file=sys.stderr)
        return []
    done = subprocess.run([python, "-c", script, json.dumps(cfg)],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"official client failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def run_official(hosts: list[tuple[str, int]], ns: str, ops: int, warmup: int) -> list[dict]:
    """The official client's cells from a child process, or none when it is unavailable."""
    return run_official_script(OFFICIAL_SCRIPT, {
        "hosts": hosts, "ns": ns, "set": SET_NAME, "n_keys": N_KEYS, "bins": BINS,
        "ops": ops, "warmup": warmup, "ops_kinds": OPS, "concurrencies": CONCURRENCIES})


def table(rows: list[dict]) -> str:
    """The rows as an aligned text table, grouped by op and concurrency."""
    head = ("op", "conc", "client", "loop", "ops/s", "p50 µs", "p99 µs", "CPU µs/op")
    lines = [head]
    for row in sorted(rows, key=lambda r: (OPS.index(r["op"]), r["conc"])):
        lines.append((row["op"], str(row["conc"]), row["client"], row["loop"],
                      f"{row['ops_s']:,.0f}", f"{row['p50']:.0f}", f"{row['p99']:.0f}",
                      f"{row['cpu_op']:.1f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(c.ljust(w) if i < 4 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", default=os.environ.get("AEROSPIKE_HOSTS"),
                        help="host:port[,host:port] (default: an embedded server subprocess)")
    parser.add_argument("--namespace", default=os.environ.get("AEROSPIKE_NAMESPACE", "test"))
    parser.add_argument("--ops", type=int, default=50_000, help="measured operations per cell")
    parser.add_argument("--warmup", type=int, default=5_000, help="unmeasured ops before each cell")
    parser.add_argument("--no-official", action="store_true", help="skip the official client")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the embedded server and the clients to separate CPUs")
    args = parser.parse_args(argv)

    with (nullcontext(parse_hosts(args.hosts)) if args.hosts
          else embedded_server(pin=not args.no_pin)) as hosts:
        where = args.hosts or f"embedded server subprocess at {hosts[0][0]}:{hosts[0][1]}"
        cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ()
        print(f"server: {where}; {args.ops} ops per cell, {args.warmup} warm-up; "
              f"python {sys.version.split()[0]}; {os.cpu_count()} cpus, clients on "
              f"{sorted(cpus) or 'any'}", flush=True)
        t0 = time.perf_counter()
        rows = run_async(hosts, args.namespace, args.ops, args.warmup)
        if not args.no_official:
            rows += run_official(hosts, args.namespace, args.ops, args.warmup)
    print(table(rows))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
