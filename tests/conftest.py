"""Shared fixtures: which server the integration tests talk to.

By default an embedded server runs in a background thread for the session;
with ``AEROSPIKE_HOSTS=host:port[,host:port]`` the same tests run against
that cluster (namespace from ``AEROSPIKE_NAMESPACE``, default ``test``), and
with ``AEROSPIKE_EMBEDDED_NODES=3`` against an embedded 3-node cluster
(tests/integration/test_cluster_kv.py does that in every run).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import pytest

from aerospike_async import Client
from aerospike_async.testing import EmbeddedServer

NAMESPACE = os.environ.get("AEROSPIKE_NAMESPACE", "test")
RUN_ID = uuid.uuid4().hex[:8]


def hosts_from_env() -> list[tuple[str, int]] | None:
    raw = os.environ.get("AEROSPIKE_HOSTS", "").strip()
    if not raw:
        return None
    hosts = []
    for item in raw.split(","):
        host, _, port = item.strip().rpartition(":")
        hosts.append((host or item.strip(), int(port) if host else 3000))
    return hosts


@pytest.fixture(scope="session")
def hosts() -> Iterator[list[tuple[str, int]]]:
    external = hosts_from_env()
    if external:
        yield external
        return
    nodes = int(os.environ.get("AEROSPIKE_EMBEDDED_NODES", "1") or 1)
    if nodes > 1:
        cluster = start_embedded_cluster(nodes)
        try:
            yield list(cluster.seeds)
        finally:
            cluster.stop()
        return
    server = EmbeddedServer.run_in_thread()
    try:
        yield [server.address]
    finally:
        server.stop()


def load_test_module(path: Any, name: str) -> Any:
    """The test module at ``path`` imported afresh as ``name``, so that its test functions
    can be collected a second time by another module (with other fixtures)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def module_tests(module: Any) -> dict[str, Any]:
    """The ``test_*`` functions of a module, to put in another module's globals."""
    return {k: v for k, v in vars(module).items() if k.startswith("test_")}


def write_udf_module(directory: Path, test_name: str, prefix: str, source: str,
                     tag_length: int) -> tuple[Path, str]:
    """A UDF module file in ``directory`` named ``{prefix}_{RUN_ID}_{tag}``, the tag being
    the first ``tag_length`` characters of ``test_name`` made identifier-safe, so that it
    is unique to this run and test: (path, module name)."""
    tag = "".join(c if c.isalnum() else "_" for c in test_name)[:tag_length]
    name = f"{prefix}_{RUN_ID}_{tag}".replace("-", "_")
    path = directory / f"{name}.lua"
    path.write_text(source)
    return path, name


def blocking_wait_for(predicate: Callable[[], Any], timeout: float = 5.0,
                      step: float = 0.002) -> float:
    """Seconds until predicate() holds, sleeping between tries (AssertionError after
    ``timeout``): for threads and sync clients, where a test cannot await."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not reached in time")
        time.sleep(step)
    return time.monotonic() - started


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0,
                   step: float = 0.002) -> float:
    """Seconds until predicate() holds, awaiting between tries (AssertionError after
    ``timeout``)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)
    return time.monotonic() - started


class SyncAwaitable:
    """A sync drop-in client behind awaitable method names, for tests written once for
    both APIs: each call runs at once in this thread (its single-record and batch commands
    on blocking sockets)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)
        return call


@contextlib.asynccontextmanager
async def client_of(api: str, config: dict[str, Any]) -> AsyncIterator[Any]:
    """A connected client through ``api``: "async" (aerospike_async.Client) or "sync" (the
    drop-in, behind SyncAwaitable), closed on the way out."""
    if api == "async":
        async with Client(config) as c:
            yield c
        return
    import aerospike
    c = aerospike.client(config)
    try:
        yield SyncAwaitable(c)
    finally:
        c.close()


def start_embedded_cluster(nodes: int = 3) -> Any:
    """An embedded cluster of ``nodes`` nodes (replication factor 2) in a thread."""
    from aerospike_async.testing import EmbeddedCluster
    return EmbeddedCluster.run_in_thread(size=nodes, replication_factor=min(2, nodes))


@pytest.fixture(scope="session")
def namespace() -> str:
    return NAMESPACE


@pytest.fixture
def config(hosts: list[tuple[str, int]]) -> dict[str, Any]:
    return {"hosts": list(hosts)}


@pytest.fixture
async def client(config: dict[str, Any]) -> AsyncIterator[Client]:
    async with Client(config) as c:
        yield c


@pytest.fixture
def sync_client(config: dict[str, Any]) -> Iterator[Any]:
    import aerospike
    c = aerospike.client(config)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def loose_client(config: dict[str, Any]) -> Iterator[Any]:
    """A sync client with ``strict_types`` False."""
    import aerospike
    c = aerospike.client({**config, "strict_types": False})
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def make_key(request: pytest.FixtureRequest, namespace: str) -> Callable[..., tuple]:
    """Fresh keys unique to this run and test: make_key() or make_key('suffix')."""
    counter = itertools.count()
    base = f"{RUN_ID}-{request.node.name}"

    def make(suffix: Any = None, set_name: str = "it") -> tuple:
        return (namespace, set_name, f"{base}-{suffix if suffix is not None else next(counter)}")
    return make
