"""aerospike_async: a pure-Python asyncio client for the Aerospike database.

    from aerospike_async import Client
    async with Client({"hosts": [("127.0.0.1", 3000)]}) as client:
        await client.put(("test", "demo", 1), {"name": "Ada"})
        key, meta, bins = await client.get(("test", "demo", 1))

Importing this package is cheap: the client (and with it asyncio I/O) loads
on first use of ``Client``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]

if TYPE_CHECKING:
    from .client import Client


def __getattr__(name: str) -> Any:
    if name == "Client":
        from .client import Client
        return Client
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
