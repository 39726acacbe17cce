"""Run the embedded server until interrupted: ``python -m aerospike_async.testing``.

``--nodes N`` runs an N-node cluster on ports ``--port``, ``--port + 1``, ... (each
printed), with ``--replication-factor`` copies of every partition.
"""
from __future__ import annotations

import argparse
import asyncio

from .cluster import EmbeddedCluster
from .server import EmbeddedServer


async def _serve(args: argparse.Namespace) -> None:
    namespaces = tuple(args.namespace or ("test", "bar"))
    if args.nodes > 1:
        cluster = EmbeddedCluster(size=args.nodes, replication_factor=args.replication_factor,
                                  namespaces=namespaces, host=args.host, port=args.port,
                                  cluster_name=args.cluster_name)
        async with cluster:
            for node in cluster.nodes:
                print(f"embedded aerospike node {node.name} listening on "
                      f"{node.host}:{node.port}", flush=True)
            await asyncio.Event().wait()
        return
    server = EmbeddedServer(host=args.host, port=args.port, node_name=args.node_name,
                            namespaces=namespaces)
    async with server:
        print(f"embedded aerospike server listening on {server.host}:{server.port}",
              flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aerospike_async.testing",
                                     description="Run the embedded Aerospike server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000,
                        help="port (of the first node; 0 picks free ports)")
    parser.add_argument("--node-name", default="A1", help="name of a single node")
    parser.add_argument("--nodes", type=int, default=1,
                        help="run a cluster of this many nodes (names B1, B2, ...)")
    parser.add_argument("--replication-factor", type=int, default=2)
    parser.add_argument("--cluster-name", default="asd-cluster")
    parser.add_argument("--namespace", action="append",
                        help="namespace to serve (repeatable; default: test and bar)")
    args = parser.parse_args(argv)
    try:
        import uvloop
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    try:
        runner(_serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
