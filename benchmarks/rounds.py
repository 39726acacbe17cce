"""What every benchmark shares: the server, the child processes, and rounds reduced to medians.

Each measured row runs in a fresh child process: our client's as ``sys.executable <script>
... --child-row <variant>`` (see ``ours``), the official client's in its own venv (see
``run_official_script``, which also runs that script with our sync drop-in); all print
JSON rows on stdout. ``run_rounds`` runs every variant
once per round, so machine drift hits all alike, and ``report`` prints the medians over rounds,
the range of the throughput, and the ratios ours/official per round.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Hosts = list[tuple[str, int]]
Row = dict[str, Any]
Figure = tuple[str, str, str]  # (row key, column header, format spec)
# the pid of the server subprocess we started, for server_cpu_seconds in the rows' processes
SERVER_PID_ENV = "BENCH_SERVER_PID"


def parse_hosts(text: str) -> Hosts:
    """``host:port[,host:port]`` as a list of (host, port)."""
    hosts = []
    for item in text.split(","):
        host, _, port = item.strip().rpartition(":")
        hosts.append((host, int(port)) if host else (port, 3000))
    return hosts


def _start(cmd: list[str], ready: str, cpus: list[int]) -> tuple[subprocess.Popen, Hosts]:
    """A server subprocess on ``cpus`` (all when empty) and the address it prints once its
    first line contains ``ready``."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if cpus:
        os.sched_setaffinity(proc.pid, cpus)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if ready not in line:
        proc.terminate()
        raise RuntimeError(f"{cmd[1:3]} did not start: {line!r}")
    return proc, parse_hosts(line.rsplit(" ", 1)[1])


@contextmanager
def embedded_server(pin: bool, memo: bool = False) -> Iterator[Hosts]:
    """The embedded server in a subprocess of its own; yields its address. With ``memo``,
    yields instead the address of memo_server.py in front of it, a stand-in for a fast
    server.

    With ``pin``, the server(s) get the first CPU and this process (and so its children) the
    rest.
    """
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = pin and len(cpus) >= 2
    procs = []
    try:
        proc, hosts = _start([sys.executable, "-m", "aerospike_async.testing", "--port", "0"],
                             "listening on", cpus[:1] if pin else [])
        procs.append(proc)
        if memo:
            upstream = f"{hosts[0][0]}:{hosts[0][1]}"
            proc, hosts = _start([sys.executable, str(ROOT / "benchmarks" / "memo_server.py"),
                                  "--upstream", upstream], "listening on",
                                 cpus[:1] if pin else [])
            procs.append(proc)
        if pin:
            os.sched_setaffinity(0, cpus[1:])
        os.environ[SERVER_PID_ENV] = str(proc.pid)  # inherited by every row's process
        yield hosts
    finally:
        os.environ.pop(SERVER_PID_ENV, None)
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(10)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--hosts, --namespace, --rounds, --no-official, --no-pin and the internal --child-row."""
    parser.add_argument("--hosts", default=os.environ.get("AEROSPIKE_HOSTS"),
                        help="host:port[,host:port] (default: an embedded server subprocess)")
    parser.add_argument("--namespace", default=os.environ.get("AEROSPIKE_NAMESPACE", "test"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every variant")
    parser.add_argument("--no-official", action="store_true", help="skip the official client")
    parser.add_argument("--no-pin", action="store_true",
                        help="do not pin the embedded server and the clients to separate CPUs")
    parser.add_argument("--memo", action="store_true",
                        help="put memo_server.py in front of the embedded server: a stand-in "
                             "for a fast server, that answers repeated requests from memory")
    parser.add_argument("--child-row", help=argparse.SUPPRESS)


def server(args: argparse.Namespace) -> AbstractContextManager[Hosts]:
    """``--hosts`` as given, else an embedded server subprocess."""
    return (nullcontext(parse_hosts(args.hosts)) if args.hosts
            else embedded_server(pin=not args.no_pin, memo=args.memo))


def describe(args: argparse.Namespace, hosts: Hosts) -> str:
    """Where the server and the clients run, and how rows are summarized."""
    where = args.hosts or (f"{'memo server in front of an ' if args.memo else ''}embedded "
                           f"server subprocess at {hosts[0][0]}:{hosts[0][1]}")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "any"
    return (f"server: {where}; clients on cpus {cpus}; python {sys.version.split()[0]}; "
            f"medians of {args.rounds} rounds, each row in a fresh process")


def loops() -> list[str]:
    """The event loops our client runs on here: asyncio, and uvloop when installed."""
    if importlib.util.find_spec("uvloop") is None:
        print("uvloop not installed: skipping its rows", file=sys.stderr)
        return ["asyncio"]
    return ["asyncio", "uvloop"]


def run_on(loop_name: str, coro: Coroutine[Any, Any, Any]) -> Any:
    """``coro``'s result on a new loop of ``loop_name`` (asyncio or uvloop)."""
    if loop_name == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:   # not asyncio.Runner: that is Python 3.11+, and the project supports 3.10
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def cpu_seconds() -> float:
    """User+system CPU time of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def server_cpu_seconds() -> float | None:
    """User+system CPU time so far of the embedded server subprocess (from Linux's /proc),
    or None when the server is not one we started. The official client's scripts get this
    function's source prepended (see run_official_script)."""
    import os
    pid = os.environ.get("BENCH_SERVER_PID")
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # after the command name
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gc_seconds() -> "Callable[[], float]":
    """Starts timing the garbage collector's passes in this process; the function returned
    gives the seconds they have taken since. The official client's scripts get this
    function's source prepended too (see run_official_script)."""
    import gc
    import time
    spent = [0.0, 0.0]   # total, start of the pass under way

    def on_pass(phase: str, _info: dict) -> None:
        if phase == "start":
            spent[1] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - spent[1]
    gc.callbacks.append(on_pass)
    return lambda: spent[0]


def server_busy(server_cpu0: float | None, wall: float) -> "dict[str, float]":
    """``{"srv_busy": percent}``: how busy the embedded server was over the last ``wall``
    seconds, since it had used ``server_cpu0``; empty when it cannot be watched. Near 100,
    the server, not the client, sets the pace. The official client's scripts get this
    function's source too."""
    now = server_cpu_seconds()
    if server_cpu0 is None or now is None:
        return {}
    return {"srv_busy": (now - server_cpu0) / wall * 100}


def summarize(lats: list[float], wall: float, cpu: float) -> Row:
    """ops/s, p50/p99 latency and CPU per op (µs) of one measured cell."""
    lats.sort()
    n = len(lats)
    return {"ops_s": n / wall, "p50": lats[n // 2] * 1e6, "p99": lats[int(n * 0.99)] * 1e6,
            "cpu_op": cpu / n * 1e6, "n": n}


async def populate(hosts: Hosts, ns: str, set_name: str, user_keys: Sequence[Any],
                   bins: dict[str, Any]) -> None:
    """Writes ``bins`` under every key, 500 at a time, with our client."""
    from aerospike_async import Client
    async with Client({"hosts": hosts}) as client:
        for s in range(0, len(user_keys), 500):
            await asyncio.gather(*(client.put((ns, set_name, k), bins)
                                   for k in user_keys[s:s + 500]))


def emit(rows: list[Row]) -> None:
    """A child's rows, one JSON line each, for ``ours`` to read."""
    for row in rows:
        print(json.dumps(row), flush=True)


def _json_rows(what: str, cmd: list[str]) -> list[Row]:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        print(f"{what} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def ours(script: str, argv: list[str], hosts: Hosts, variant: str) -> Callable[[], list[Row]]:
    """Runs ``script`` with ``argv`` in a fresh interpreter as ``--child-row variant``."""
    where = ",".join(f"{h}:{p}" for h, p in hosts)
    cmd = [sys.executable, script, *argv, "--hosts", where, "--child-row", variant]
    return lambda: _json_rows(f"child row {variant}", cmd)


def run_official_script(script: str, cfg: dict[str, Any], dropin: bool = False) -> list[Row]:
    """The JSON rows ``script`` prints when the official client runs it in its own venv
    with ``cfg`` as argument; none (and why, on stderr) when it cannot run. With
    ``dropin``, this interpreter runs it, where ``import aerospike`` is our sync drop-in.
    ``cfg["client"]`` names the rows: "official" or "aerospike_async sync"."""
    cfg = {**cfg, "client": "aerospike_async sync" if dropin else "official"}
    if dropin:
        python: str | None = sys.executable
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from official import official_python, why_unavailable
        python = official_python()
        if python is None:
            print(f"official client skipped: {why_unavailable()}", file=sys.stderr)
            return []
    return _json_rows(cfg["client"], [python, "-c", _with_helpers(script), json.dumps(cfg)])


def _with_helpers(script: str) -> str:
    """``script`` after the source of the measuring helpers it may call."""
    return "".join(map(inspect.getsource, (server_cpu_seconds, server_busy, gc_seconds))
                   ) + script


def run_rounds(rounds: int, variants: dict[str, Callable[[], list[Row]]]) -> list[Row]:
    """Every variant once per round, each round starting one variant later than the last;
    rows get their round. A variant without rows in the first round is dropped."""
    live = dict(variants)
    rows: list[Row] = []
    for r in range(rounds):
        names = list(live)
        if not names:
            break
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            got = live[name]()
            print(f"round {r + 1}/{rounds}: {name} {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr, flush=True)
            if not got and r == 0:
                del live[name]
            rows += [dict(row, round=r) for row in got]
    return rows


def report(rows: list[Row], cell: Sequence[str], figures: Sequence[Figure],
           ratios: Sequence[str]) -> str:
    """Per (cell, client, loop): the median over rounds of each figure, and the min-max of
    the first (the throughput). Per cell, for each of our rows (client starting with
    ``aerospike_async``) and each figure in ``ratios``: ours/official, the median of the
    per-round ratios and their min-max."""
    med = statistics.median
    figures = [f for f in figures if all(f[0] in row for row in rows)]
    groups: dict[tuple, dict[tuple[str, str], list[Row]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in cell), {}).setdefault(
            (row["client"], row["loop"]), []).append(row)
    (rate, rate_head, rf), names = figures[0], {k: h for k, h, _ in figures}
    head = (*cell, "client", "loop", rate_head, "min-max", *(h for _, h, _ in figures[1:]))
    table: list[tuple[str, ...]] = []
    notes: dict[int, str] = {}  # a cell's ratio line, after table row n
    for key, by_client in groups.items():
        for (client, loop), rs in by_client.items():
            rates = [r[rate] for r in rs]
            table.append((*map(str, key), client, loop, format(med(rates), rf),
                          f"{min(rates):{rf}}-{max(rates):{rf}}",
                          *(format(med([r[k] for r in rs]), f) for k, _, f in figures[1:])))
        official = next(({r["round"]: r for r in v} for (c, _), v in by_client.items()
                         if c == "official"), {})
        parts = []
        for (client, loop), rs in by_client.items():
            if client.startswith("aerospike_async") and official:
                qs = {k: [r[k] / official[r["round"]][k] for r in rs if r["round"] in official]
                      for k in ratios}
                parts.append(f"{loop}: " + ", ".join(
                    f"{names[k].split()[0]} {med(q):.2f} ({min(q):.2f}-{max(q):.2f})"
                    for k, q in qs.items()))
        if parts:
            notes[len(table) - 1] = "  ours/official  " + "; ".join(parts)
    widths = [max(len(line[i]) for line in [head, *table]) for i in range(len(head))]
    left = len(cell) + 2

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(line, widths)))
    out = [fmt(head), "  ".join("-" * w for w in widths)]
    for n, line in enumerate(table):
        out.append(fmt(line))
        if n in notes:
            out.append(notes[n])
    return "\n".join(out)
