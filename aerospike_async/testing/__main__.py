"""Run the embedded server until interrupted: ``python -m aerospike_async.testing``."""
from __future__ import annotations

import argparse
import asyncio

from .server import EmbeddedServer


async def _serve(args: argparse.Namespace) -> None:
    server = EmbeddedServer(host=args.host, port=args.port, node_name=args.node_name,
                            namespaces=tuple(args.namespace or ("test", "bar")))
    async with server:
        print(f"embedded aerospike server listening on {server.host}:{server.port}",
              flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m aerospike_async.testing",
                                     description="Run the embedded Aerospike server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--node-name", default="A1")
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
