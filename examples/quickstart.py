"""A first run: store, read and update records with the async client.

Against a real cluster: AEROSPIKE_HOSTS=host:port python examples/quickstart.py
Without it, an embedded Aerospike-compatible server starts for the run.
"""
from __future__ import annotations

import asyncio
import contextlib
import os

from aerospike_async import Client
from aerospike_async.exceptions import RecordNotFound
from aerospike_async.testing import EmbeddedServer
from aerospike_helpers.operations import operations as op


def hosts_from_env() -> list[tuple[str, int]]:
    hosts = []
    for item in os.environ.get("AEROSPIKE_HOSTS", "").split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            hosts.append((host, int(port)))
    return hosts


async def demo(hosts: list[tuple[str, int]]) -> None:
    namespace = os.environ.get("AEROSPIKE_NAMESPACE", "test")
    async with Client({"hosts": hosts}) as client:
        print("connected to", client.get_node_names())
        key = (namespace, "quickstart", "ada")
        await client.put(key, {"name": "Ada Lovelace", "born": 1815, "langs": ["en", "fr"]})
        _, meta, bins = await client.get(key)
        print("get     ->", bins, meta)

        # many commands at once share the node's connection pool
        keys = [(namespace, "quickstart", i) for i in range(100)]
        await asyncio.gather(*(client.put(k, {"n": i, "square": i * i})
                               for i, k in enumerate(keys)))
        records = await asyncio.gather(*(client.get(k) for k in keys))
        print("gathered", len(records), "records; total of squares =",
              sum(bins["square"] for _, _, bins in records))

        _, _, bins = await client.operate(key, [op.increment("visits", 1),
                                                op.append("name", " (1815-1852)"),
                                                op.read("visits"), op.read("name")])
        print("operate ->", bins)

        await client.remove(key)
        try:
            await client.get(key)
        except RecordNotFound as exc:
            print("removed ->", type(exc).__name__, exc.code)
        for k in keys:
            await client.remove(k)


async def main() -> None:
    hosts = hosts_from_env()
    async with contextlib.AsyncExitStack() as stack:
        if not hosts:
            server = await stack.enter_async_context(EmbeddedServer())
            print(f"started an embedded server on {server.host}:{server.port}")
            hosts = [server.address]
        await demo(hosts)


if __name__ == "__main__":
    asyncio.run(main())
