"""``Scan``: the documented scan object (a query without ``where``), async.

    s = client.scan("test", "demo")
    s.select("name")
    async for key, meta, bins in s:
        ...
    records = await s.results()
"""
from __future__ import annotations

from typing import Any, Callable

from .policy import Policy
from .query import QueryBase


class Scan(QueryBase):
    """A scan of a namespace and set (every record, or the partitions of a filter)."""

    _kind = "scan"
    _background_kind = "scan"
    _callback_failed = "Callback function raised an exception"

    def _max_records(self, pol: Policy) -> int:
        return pol.get("max_records", 0) or 0

    def _records_per_second(self, pol: Policy) -> int:
        return pol.get("records_per_second", 0) or 0

    @staticmethod
    def _raw_collections(pol: Policy) -> bool:
        return False

    async def results(self, policy: dict | None = None, nodename: str | None = None,
                      options: dict | None = None) -> list[tuple]:
        """Every record: a list of ``(key, meta, bins)``; with ``nodename``, only the
        records of the partitions that node serves."""
        return await self._results(self.stream(policy, options, nodename=nodename))

    async def foreach(self, callback: Callable[[tuple], Any], policy: dict | None = None,
                      options: dict | None = None, nodename: str | None = None) -> None:
        """Call ``callback(record)`` for each record; returning False stops the scan.
        With ``nodename``, only that node's partitions are scanned. With a policy
        ``partition_filter``, the callback gets ``(partition_id, record)``, as the
        official client calls it."""
        await self._foreach(self.stream(policy, options, nodename=nodename),
                            self.foreach_callback(callback, policy))


__all__ = ["Scan"]
