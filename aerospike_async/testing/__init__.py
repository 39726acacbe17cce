"""An embedded Aerospike-compatible server for tests, examples and benchmarks.

``async with EmbeddedServer() as srv:`` serves on the running loop;
``EmbeddedServer.run_in_thread()`` serves from a background thread;
``python -m aerospike_async.testing --port 3000`` serves until interrupted.
"""
from .node import Node
from .server import EmbeddedServer, ThreadedServer
from .store import Store

__all__ = ["EmbeddedServer", "ThreadedServer", "Node", "Store"]
