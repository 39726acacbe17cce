"""``aerospike.Query``: the documented blocking query, on the async core.

The query runs as one task on the loop thread feeding a bounded queue;
``foreach`` callbacks run on the caller's thread, one received chunk at a
time, and returning False (or raising) stops the query on every node.
"""
from __future__ import annotations

from typing import Any, Callable

from aerospike_async.query import Query as AsyncQuery
from aerospike_async.query import QueryBase as AsyncQueryBase

from ._arguments import official_arguments


def _forwarded(name: str, doc: str) -> Any:
    """A property read and set through on the async query this object wraps."""
    return property(lambda self: getattr(self._q, name),
                    lambda self, value: setattr(self._q, name, value), doc=doc)


class QueryBase:
    """What ``Query`` and ``Scan`` share; each adds its documented ``results`` and
    ``foreach`` (and ``Query`` its ``where``)."""

    _async_class: type[AsyncQueryBase] = AsyncQueryBase
    _q: AsyncQueryBase
    _client: Any

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # made by client.scan()/client.query() only, as in the official client
        raise TypeError(f"cannot create 'aerospike.{cls.__name__}' instances")

    @classmethod
    def _of(cls, client: Any, namespace: str, set: str | None = None) -> Any:
        """The object ``client.scan``/``client.query`` return."""
        self = object.__new__(cls)
        self._client = client
        self._q = cls._async_class(client._async, namespace, set)
        return self

    def __getattr__(self, name: str) -> Any:
        if name in ("namespace", "set"):
            return getattr(self._q, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    ttl = _forwarded("ttl", "The ttl that execute_background writes give the records they "
                     "touch.")

    def select(self, *bins: str | bytearray) -> Any:
        """Read only these bins; returns this object."""
        self._q.select(*bins)
        return self

    @official_arguments
    def apply(self, module: str, function: str, arguments: list | None = None) -> Any:
        """A record UDF for execute_background, or (Query) a stream UDF that results()
        and foreach() aggregate with; returns this object."""
        self._q.apply(module, function, arguments)
        return self

    @official_arguments
    def add_ops(self, ops: list[dict]) -> None:
        """Operations for execute_background."""
        self._q.add_ops(ops)

    def paginate(self) -> None:
        """Return one page (max_records) per results()/foreach() call."""
        self._q.paginate()

    def is_done(self) -> bool:
        """Whether a paginated query has returned everything."""
        return self._q.is_done()

    def get_partitions_status(self) -> dict:
        """The partition status of a paginated query."""
        return self._q.get_partitions_status()

    @official_arguments
    def execute_background(self, policy: dict | None = None) -> int:
        """Apply the operations or UDF on the server; returns the job id."""
        return self._client._run(self._q.execute_background, policy)


class Query(QueryBase):
    """A query of a namespace and set (``client.query(ns, set)``)."""

    _async_class = AsyncQuery
    _q: AsyncQuery

    # a query's own; a scan takes these from its policy (the official Scan has neither)
    max_records = _forwarded("max_records", "At most this many records (0: no limit); one "
                             "page's size when paginated.")
    records_per_second = _forwarded("records_per_second",
                                    "The rate limit each node applies (0: none).")

    def where(self, predicate: Any, ctx: Any = None) -> Query:
        """Filter with a secondary-index predicate; returns this Query (one predicate per
        query: a second raises ParamError)."""
        self._q.where(predicate, ctx)
        return self

    def where_with_expr(self, expr: Any, predicate: Any) -> Query:
        """Filter with a predicate on an expression index (``expr``: the index's compiled
        expression or its base64 text); returns this Query."""
        self._q.where_with_expr(expr, predicate)
        return self

    def where_with_index_name(self, index_name: str, predicate: Any, /) -> Query:
        """Filter with a predicate on the secondary index named ``index_name`` (the
        predicate's bin name is not sent); returns this Query."""
        self._q.where_with_index_name(index_name, predicate)
        return self

    @official_arguments
    def results(self, policy: dict | None = None, options: dict | None = None) -> list:
        """Every record: a list of ``(key, meta, bins)``."""
        return self._client._run(self._q.results, policy, options)

    @official_arguments
    def foreach(self, callback: Callable[[tuple], Any], policy: dict | None = None,
                options: dict | None = None) -> None:
        """Call ``callback(record)`` on this thread for each record; False stops. With a
        policy ``partition_filter``, the callback gets ``(partition_id, record)``."""
        _foreach(self._client, self._q, self._q.foreach_callback(callback, policy), policy,
                 options)


def _foreach(client: Any, q: Any, callback: Callable[[tuple], Any], policy: Any,
             options: Any, nodename: str | None = None) -> None:
    async def open_stream() -> Any:
        return q.stream(policy, options, nodename=nodename).start()

    stream = client._run(open_stream)
    try:
        while True:
            chunk = client._run(stream.next_chunk)
            if chunk is None:
                return
            for record in chunk:
                if q.refused(callback, record):
                    stream.give_back()
                    return
    finally:
        client._run(stream.close)


__all__ = ["Query"]
