"""``Scan``: the documented scan object (a query without ``where``), async.

    s = client.scan("test", "demo")
    s.select("name")
    async for key, meta, bins in s:
        ...
    records = await s.results()
"""
from __future__ import annotations

from typing import Any, Callable

from .query import Query


class Scan(Query):
    """A scan of a namespace and set (every record, or the partitions of a filter)."""

    _kind = "scan"
    _background_kind = "scan"

    def where(self, predicate: Any, ctx: Any = None) -> None:  # pragma: no cover - shape
        raise AttributeError("'Scan' object has no attribute 'where'")

    async def results(self, policy: dict | None = None, nodename: str | None = None,
                      options: dict | None = None) -> list[tuple]:
        """Every record: a list of ``(key, meta, bins)``."""
        return await super().results(policy, options)

    async def foreach(self, callback: Callable[[tuple], Any], policy: dict | None = None,
                      options: dict | None = None, nodename: str | None = None) -> None:
        """Call ``callback(record)`` for each record; returning False stops the scan."""
        await super().foreach(callback, policy, options)


__all__ = ["Scan"]
