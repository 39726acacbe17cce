"""Fixtures shared by the unit tests that talk raw bytes to an embedded server
(test_server_*.py); a module that defines its own ``server``/``client`` overrides them."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from aerospike_async.testing import EmbeddedServer
from server_raw import RawClient


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    """An embedded server in a background thread, one per test module."""
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


@pytest.fixture
def client(server: EmbeddedServer) -> Iterator[RawClient]:
    """A RawClient to ``server``, closed after the test."""
    c = RawClient(server.port)
    yield c
    c.close()
