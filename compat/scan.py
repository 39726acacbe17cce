"""``aerospike.Scan``: the documented blocking scan, on the async core."""
from __future__ import annotations

from typing import Any, Callable

from aerospike_async.scan import Scan as AsyncScan

from ._arguments import official_arguments
from .query import QueryBase, _foreach


class Scan(QueryBase):
    """A scan of a namespace and set (``client.scan(ns, set)``)."""

    _async_class = AsyncScan
    _q: AsyncScan

    @official_arguments
    def apply(self, module: str, function: str, arguments: list | None = None,
              policy: dict | None = None) -> Any:
        """A record UDF for execute_background; returns this object. ``policy`` is taken and
        not used, as the official client takes it."""
        return super().apply(module, function, arguments)

    @official_arguments
    def results(self, policy: dict | None = None, nodename: str | None = None) -> list:
        """Every record: a list of ``(key, meta, bins)``."""
        return self._client._run(self._q.results, policy, nodename)

    @official_arguments
    def foreach(self, callback: Callable[[tuple], Any], policy: dict | None = None,
                options: dict | None = None, nodename: str | None = None) -> None:
        """Call ``callback(record)`` on this thread for each record; False stops. With a
        policy ``partition_filter``, the callback gets ``(partition_id, record)``."""
        _foreach(self._client, self._q, self._q.foreach_callback(callback, policy), policy,
                 options, nodename)


__all__ = ["Scan"]
