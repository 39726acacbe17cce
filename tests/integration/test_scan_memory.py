"""A 200,000-record scan streamed through ``async for`` keeps the client's memory bounded.

The server runs in its own process (``python -m aerospike_async.testing``), or is the
AEROSPIKE_HOSTS cluster, so tracemalloc sees only the client. The consumer is slow on
purpose: records must wait in the bounded queue and the paused sockets, not pile up.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from typing import Iterator

import pytest

from aerospike_async import Client
from aerospike_helpers.operations import operations as ops

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)
from conftest import NAMESPACE, RUN_ID, hosts_from_env  # noqa: E402

N = 200_000
LIMIT = 32 * 2**20  # far below what 200,000 materialized records take (> 100 MiB)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server_hosts() -> Iterator[list[tuple[str, int]]]:
    external = hosts_from_env()
    if external:
        yield external
        return
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aerospike_async.testing", "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield [("127.0.0.1", port)]
    finally:
        proc.terminate()
        proc.wait(10)


async def test_200k_record_scan_streams_with_bounded_memory(server_hosts):
    set_name = f"mem{RUN_ID}"
    async with Client({"hosts": server_hosts,
                       "policies": {"batch_parent_write": {"total_timeout": 30000}}}) as c:
        write = [ops.write("i", 0), ops.write("s", "x" * 20)]
        sem = asyncio.Semaphore(8)

        async def fill(start: int) -> None:
            async with sem:
                res = await c.batch_operate([(NAMESPACE, set_name, i)
                                             for i in range(start, start + 1000)], write)
                assert res.result == 0

        t0 = time.monotonic()
        await asyncio.gather(*(fill(s) for s in range(0, N, 1000)))
        print(f"\nfill {time.monotonic() - t0:.1f}s")

        t1 = time.monotonic()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            count = 0
            async for _key, _meta, bins in c.scan(NAMESPACE, set_name):
                count += 1
                if count % 10_000 == 0:
                    await asyncio.sleep(0.02)  # a slow consumer now and then
            peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        print(f"\nscan {time.monotonic() - t1:.1f}s peak {peak / 2**20:.1f} MiB")
        assert count == N
        assert peak < LIMIT, f"client memory grew by {peak / 2**20:.1f} MiB during the scan"
        for node in c.cluster.nodes:
            assert node.pool.in_use == 0
