"""The synchronous drop-in: code written for the official client's ``import aerospike``,
shared by several threads.

Against a real cluster: AEROSPIKE_HOSTS=host:port python examples/sync_dropin.py
Without it, an embedded Aerospike-compatible server starts in a background thread.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import aerospike
from aerospike import exception as ex
from aerospike_async.testing import EmbeddedServer
from aerospike_helpers.operations import operations as op
from quickstart import hosts_from_env


def demo(hosts: list[tuple[str, int]]) -> None:
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "test")
    set_name = f"dropin_{uuid.uuid4().hex[:8]}"   # a set of this run's own
    client = aerospike.client({"hosts": hosts})   # connects, as the official client does
    try:
        keys = [(namespace, set_name, i) for i in range(500)]
        # one client, many threads: each command runs in the thread that calls it
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda k: client.put(k, {"n": k[2]}), keys))
        print("wrote", len(keys), "records from 8 threads")

        _, meta, bins = client.operate(keys[7], [op.increment("n", 100), op.read("n")])
        print("operate ->", bins, "generation", meta["gen"])

        batch = client.batch_read(keys[:50])
        print("batch_read:", sum(r.result == 0 for r in batch.batch_records), "found")

        count = 0

        def each(record: tuple) -> None:
            nonlocal count
            count += 1
        client.scan(namespace, set_name).foreach(each)
        print("scan foreach:", count, "records")

        try:
            client.get((namespace, set_name, "nobody"))
        except ex.RecordNotFound as exc:
            print("get of a missing key ->", type(exc).__name__, exc.code)

        client.batch_remove(keys)
    finally:
        client.close()


def main() -> None:
    hosts = hosts_from_env()
    with contextlib.ExitStack() as stack:
        if not hosts:
            server = stack.enter_context(EmbeddedServer.run_in_thread())
            hosts = [server.address]
        demo(hosts)


if __name__ == "__main__":
    main()
