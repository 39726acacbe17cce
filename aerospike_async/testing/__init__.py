"""An embedded Aerospike-compatible server for tests, examples and benchmarks.

``async with EmbeddedServer() as srv:`` serves on the running loop;
``EmbeddedServer.run_in_thread()`` serves from a background thread;
``async with EmbeddedCluster(size=3) as c:`` (or ``EmbeddedCluster.run_in_thread()``)
runs an in-process cluster whose nodes can be stopped, slowed and restarted;
``python -m aerospike_async.testing --port 3000 [--nodes 3]`` serves until interrupted.
"""
from .cluster import ClusterNode, EmbeddedCluster, ThreadedCluster, ThreadedClusterNode
from .node import Node
from .server import EmbeddedServer, ThreadedServer
from .store import Store

__all__ = ["EmbeddedServer", "ThreadedServer", "EmbeddedCluster", "ThreadedCluster",
           "ClusterNode", "ThreadedClusterNode", "Node", "Store"]
