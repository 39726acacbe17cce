"""Batches, and scans and queries streamed with ``async for``.

Against a real cluster: AEROSPIKE_HOSTS=host:port python examples/streaming.py
Without it, an embedded Aerospike-compatible server starts for the run.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

from aerospike_async import Client
from aerospike_async.predicates import between
from aerospike_async.testing import EmbeddedServer
from quickstart import hosts_from_env

RECORDS = 1_000


async def demo(hosts: list[tuple[str, int]]) -> None:
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "test")
    set_name = f"streaming_{uuid.uuid4().hex[:8]}"   # a set of this run's own
    index_name = f"{set_name}_n"
    keys = [(namespace, set_name, i) for i in range(RECORDS)]
    async with Client({"hosts": hosts}) as client:
        for start in range(0, RECORDS, 200):   # 200 puts in flight at a time
            await asyncio.gather(*(client.put(k, {"n": i, "even": i % 2 == 0})
                                   for i, k in enumerate(keys[start:start + 200], start)))

        # one call for many keys: split by node, sent to the nodes side by side
        batch = await client.batch_read(keys[:100] + [(namespace, set_name, "missing")])
        found = [r for r in batch.batch_records if r.record is not None]
        print(f"batch_read: {len(found)} of {len(batch.batch_records)} found")

        # a scan streams: records arrive as the nodes send them, memory stays bounded
        total = 0
        async for _key, _meta, bins in client.scan(namespace, set_name):
            total += bins["n"]
        print(f"scan: sum of n over the set = {total}")

        # leaving the loop early stops the scan on every node
        seen = 0
        async for _record in client.scan(namespace, set_name):
            seen += 1
            if seen == 10:
                break
        print(f"scan stopped after {seen} records")

        # a query reads what a secondary index finds
        await client.index_integer_create(namespace, set_name, "n", index_name)
        try:
            query = client.query(namespace, set_name)
            query.where(between("n", 100, 199))
            matched = sorted([bins["n"] async for _key, _meta, bins in query])
            print(f"query: {len(matched)} records with 100 <= n <= 199, "
                  f"from {matched[0]} to {matched[-1]}")
        finally:
            await client.index_remove(namespace, index_name)

        removed = await client.batch_remove(keys)
        print(f"batch_remove: {sum(r.result == 0 for r in removed.batch_records)} removed")


async def main() -> None:
    hosts = hosts_from_env()
    async with contextlib.AsyncExitStack() as stack:
        if not hosts:
            server = await stack.enter_async_context(EmbeddedServer())
            hosts = [server.address]
        await demo(hosts)


if __name__ == "__main__":
    asyncio.run(main())
