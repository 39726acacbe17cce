"""Run the embedded server until interrupted: ``python -m aerospike_async.testing``.

``--nodes N`` runs an N-node cluster on ports ``--port``, ``--port + 1``, ... (each
printed), with ``--replication-factor`` copies of every partition. ``--tls-cert FILE
--tls-key FILE [--tls-name NAME] [--tls-port PORT]`` adds a TLS listener to every node
(cluster nodes take free TLS ports) and answers ``peers-tls-std`` with it. ``--user
NAME:PASSWORD`` (repeatable) turns security on: clients must log in as one of them.
"""
from __future__ import annotations

import argparse
import asyncio

from .cluster import EmbeddedCluster
from .server import EmbeddedServer


async def _serve(args: argparse.Namespace) -> None:
    namespaces = tuple(args.namespace or ("test", "bar"))
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    users = dict(user.partition(":")[::2] for user in args.user or ())
    if args.nodes > 1:
        cluster = EmbeddedCluster(size=args.nodes, replication_factor=args.replication_factor,
                                  namespaces=namespaces, host=args.host, port=args.port,
                                  cluster_name=args.cluster_name, tls=tls,
                                  tls_name=args.tls_name, users=users)
        async with cluster:
            for node in cluster.nodes:
                print(f"embedded aerospike node {node.name} listening on "
                      f"{node.host}:{node.port}" + _tls_note(node.tls_port, args), flush=True)
            await asyncio.Event().wait()
        return
    server = EmbeddedServer(host=args.host, port=args.port, node_name=args.node_name,
                            namespaces=namespaces, tls=tls, tls_name=args.tls_name,
                            tls_port=args.tls_port, users=users)
    async with server:
        print(f"embedded aerospike server listening on {server.host}:{server.port}"
              + _tls_note(server.tls_port, args), flush=True)
        await asyncio.Event().wait()


def _tls_note(tls_port: int, args: argparse.Namespace) -> str:
    return f", TLS on port {tls_port} (tls name {args.tls_name})" if args.tls_cert else ""


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
    parser.add_argument("--tls-cert", help="server certificate (chain) file: enables TLS")
    parser.add_argument("--tls-key", help="private key file of --tls-cert")
    parser.add_argument("--tls-name", default="localhost",
                        help="TLS name the certificate is for (reported in peers-tls-std)")
    parser.add_argument("--tls-port", type=int, default=0,
                        help="TLS port of a single node (default: a free port)")
    parser.add_argument("--user", action="append", metavar="NAME:PASSWORD",
                        help="turn security on, with this user (repeatable)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
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
