"""``Query``: the documented query object, async, and itself an async iterable.

    q = client.query("test", "demo")
    q.select("name", "age")
    q.where(predicates.between("age", 20, 30))
    async for key, meta, bins in q:
        ...
    records = await q.results()
    await q.foreach(callback)          # callback returning False stops the query

Records stream from every node concurrently through a bounded buffer;
leaving the loop early stops the query on every node.
"""
from __future__ import annotations

import random
from typing import Any, AsyncIterator, Callable

from . import constants as C
from ._validate import check_bin_name, check_bin_names, param_error
from .exceptions import ClientError
from .command.scan import Partitions, PartitionTracker, Records, RecordStream
from .policy import Policy
from .protocol import message as M
from .protocol.cdt import pack as cdt_pack
from .protocol.digest import PARTITIONS
from .protocol.operations import encode_operation
from .protocol.record import encode_name_ops
from .protocol.scan import (UDF_OP_AGGREGATE, UDF_OP_BACKGROUND, encode_index_range,
                            encode_query)

_PARTICLE_FOR_DATATYPE = {C.INDEX_NUMERIC: 1, C.INDEX_STRING: 3, C.INDEX_BLOB: 4,
                          C.INDEX_GEO2DSPHERE: 23}
_I64 = __import__("struct").Struct(">q")


def _task_id() -> int:
    return random.getrandbits(64) or 1


def _encode_predicate_value(datatype: int, value: Any) -> bytes:
    if datatype == C.INDEX_NUMERIC:
        return _I64.pack(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def encode_predicate(predicate: Any) -> tuple[bytes, int | None]:
    """(index range field, index type or None) of a documented predicate tuple."""
    if not isinstance(predicate, tuple) or len(predicate) < 4:
        raise param_error("predicate is invalid.")
    kind, datatype, bin_name, v1 = predicate[:4]
    v2 = predicate[4] if len(predicate) > 4 else None
    index_type = predicate[5] if len(predicate) > 5 else None
    ptype = _PARTICLE_FOR_DATATYPE.get(datatype)
    if ptype is None or kind not in (0, 1):
        raise param_error("predicate is invalid.")
    if bin_name is not None:
        check_bin_name(bin_name)
    try:
        begin = _encode_predicate_value(datatype, v1)
        end = begin if v2 is None or datatype == C.INDEX_GEO2DSPHERE else \
            _encode_predicate_value(datatype, v2)
    except (TypeError, ValueError, __import__("struct").error):
        raise param_error("predicate is invalid.") from None
    return (encode_index_range(bin_name or "", ptype, begin, end),
            index_type if index_type else None)


def encode_ctx(ctx: Any) -> bytes:
    """The packed CDT context of a ``where(..., ctx)`` or an index."""
    if not isinstance(ctx, list) or not ctx:
        raise param_error("ctx must be a non-empty list of cdt_ctx objects")
    flat: list[Any] = []
    for c in ctx:
        if not hasattr(c, "id") or not hasattr(c, "value"):
            raise param_error("ctx must be a list of cdt_ctx objects")
        flat.append(c.id)
        flat.append(c.value)
    try:
        return cdt_pack(flat)
    except (TypeError, ValueError, OverflowError) as exc:
        raise param_error(f"cannot pack ctx: {exc}") from None


def _validate_policy_ints(policy: Any) -> None:
    if isinstance(policy, dict):
        for name in ("max_records", "records_per_second"):
            value = policy.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise param_error(f"{name} is invalid")


_SCAN_OPTIONS = frozenset({"concurrent", "nobins"})


def _no_bins(options: Any, scan: bool = False) -> bool:
    """The ``nobins`` of a results/foreach ``options`` dict, checked as the official
    client checks it (a scan's options may only be ``concurrent`` and ``nobins``)."""
    if options is None:
        return False
    if not isinstance(options, dict):
        raise param_error("query options must be a dictionary")
    if scan and not options.keys() <= _SCAN_OPTIONS:
        raise param_error("Invalid value for scan options")
    no_bins = options.get("nobins", False)
    if not isinstance(no_bins, bool):
        raise param_error("Invalid value(type) for nobins" if scan
                          else "nobins value must be a bool")
    return no_bins


def _partition_filter(pol: Policy) -> tuple[int, int, Partitions | None]:
    pf = pol.get("partition_filter")
    if not pf:
        return 0, PARTITIONS, None
    if not isinstance(pf, dict):
        raise param_error("partition_filter must be a dict")
    begin = pf.get("begin", 0)
    count = pf.get("count", PARTITIONS)
    if not isinstance(begin, int) or not isinstance(count, int) or begin < 0 or count < 1 \
            or begin + count > PARTITIONS:
        raise param_error("invalid partition filter range")
    status = pf.get("partition_status")
    parts: Partitions | None = None
    if isinstance(status, dict):
        parts = Partitions(begin, count)
        for i, pid in enumerate(range(begin, begin + count)):
            st = status.get(pid)
            if isinstance(st, tuple) and len(st) >= 4:
                if st[1]:
                    parts.digests[i] = bytes(st[3])
                    parts.bvals[i] = st[4] if len(st) > 4 else None
                parts.retry[i] = bool(st[2])
    digest = pf.get("digest")
    if parts is None and isinstance(digest, dict) and digest.get("init"):
        # the official client copies only a str digest value (else 20 zero bytes)
        value = digest.get("value")
        raw = value.encode("utf-8")[:20] if isinstance(value, str) else b""
        parts = Partitions(begin, count)
        parts.digests[0] = raw.ljust(20, b"\0")
    return begin, count, parts


class QueryBase:
    """What ``Query`` and ``Scan`` share: building, streaming, pagination and
    background jobs. ``where`` and the signatures of ``results``/``foreach``,
    which the documented API gives differently to each, live in the subclasses."""

    _kind = "query"
    _background_kind = "write"
    _callback_failed = "Callback function contains an error"

    def __init__(self, client: Any, namespace: str, set: str | None = None) -> None:
        if not isinstance(namespace, str):
            raise param_error("Namespace should be a string")
        if set is not None and not isinstance(set, str):
            raise param_error("Set should be a string")
        self._client = client
        self.namespace = namespace
        self.set = set
        self._bins: list[str] | None = None
        self._where: tuple[bytes, int | None] | None = None
        self._ctx: bytes | None = None
        self._index_expr: bytes | None = None
        self._index_name: str | None = None
        self._ops: tuple[bytes, int] | None = None
        self._udf: tuple[str, str, bytes] | None = None
        self._paginate = False
        self._tracker: PartitionTracker | None = None
        self._last_stream: RecordStream | None = None   # the one of self._tracker
        self._ops_read = False
        self.max_records = 0          # a query's (a scan takes it from its policy)
        self.records_per_second = 0   # likewise
        self.ttl = 0

    # -- building -----------------------------------------------------------------------
    def select(self, *bins: str) -> None:
        """Read only these bins."""
        self._bins = check_bin_names(bins, "Bin name should be of type string")

    def apply(self, module: str, function: str, arguments: list | None = None) -> None:
        """Set a UDF: a record UDF for ``execute_background``, or a stream UDF that
        ``results()``/``foreach()``/``async for`` aggregate with. An aggregation runs the
        module's server part on every node and the final reduce here, from the local
        copy of the module (config ``lua.user_path``, or the file ``udf_put``
        registered); it needs the optional ``lupa`` package (the ``lua`` extra), without
        which it raises ClientError. See ``aerospike_async._aggregate``."""
        if not isinstance(module, str) or not isinstance(function, str):
            raise param_error("module and function must be strings")
        if arguments is not None and not isinstance(arguments, list):
            raise param_error("arguments must be a list")
        # no argument list: an empty field; a given one, even empty, packed (as in C)
        self._udf = (module, function, b"" if arguments is None else cdt_pack(arguments))

    def add_ops(self, ops: list[dict]) -> None:
        """Operations that execute_background applies to every record."""
        if not isinstance(ops, list):
            raise param_error("ops must be a list")
        encoded = [encode_operation(op) for op in ops]
        self._ops = (b"".join(e.data for e in encoded), len(encoded))
        self._ops_read = any(e.reads for e in encoded)

    def paginate(self) -> None:
        """Make results()/foreach() return one page (max_records) per call."""
        self._paginate = True

    def is_done(self) -> bool:
        """Whether a paginated query has returned everything."""
        return self._tracker is not None and self._tracker.done

    def get_partitions_status(self) -> dict:
        """The partition status of a paginated query (resumable via partition_filter)."""
        if self._tracker is None:
            return {}
        return self._tracker.status()

    # -- running ------------------------------------------------------------------------
    def _policy(self, policy: Any) -> Policy:
        _validate_policy_ints(policy)
        return self._client._policies.resolve(self._kind, policy)

    # A query takes max_records and records_per_second from its attributes, and decodes
    # lists and maps by its policy's deserialize, as the official client does (a Scan
    # overrides these: it takes the first two from its policy and has no deserialize)
    def _max_records(self, pol: Policy) -> int:
        return self.max_records or 0

    def _records_per_second(self, pol: Policy) -> int:
        return self.records_per_second or 0

    @staticmethod
    def _raw_collections(pol: Policy) -> bool:
        return pol.deserialize is False

    def _node_filter(self, nodename: Any) -> str | None:
        """The name of the one node to scan (C ``aerospike_scan_node``), checked."""
        if nodename is None:
            return None
        if not isinstance(nodename, str):
            raise param_error("nodename must be a string")
        node = self._client.cluster.nodes_by_name.get(nodename)
        if node is None or not node.active:
            raise param_error(f"Invalid node name: {nodename}")
        return nodename

    def _tracker_for(self, pol: Policy, nodename: str | None = None) -> PartitionTracker:
        max_records = self._max_records(pol)
        begin, count, parts = _partition_filter(pol)
        if self._paginate and self._tracker is not None and not pol.get("partition_filter"):
            tracker = PartitionTracker.resumed(self._tracker, max_records)
        else:
            tracker = PartitionTracker(begin, count, max_records, parts)
        tracker.node_filter = nodename
        if self._paginate or pol.get("partition_filter"):
            self._tracker = tracker
        return tracker

    def stream(self, policy: dict | None = None, options: dict | None = None, *,
               nodename: str | None = None) -> RecordStream:
        """A started-on-first-use RecordStream of this query's records (of one node's
        partitions only with ``nodename``)."""
        if self._udf is not None and self._ops is None:
            return self._aggregate_stream(policy)
        pol = self._policy(policy)
        node_filter = self._node_filter(nodename)
        no_bins = _no_bins(options, self._kind == "scan")
        from ._batch import filter_bytes
        filt = filter_bytes(pol)
        tracker = self._tracker_for(pol, node_filter)
        info1 = M.INFO1_READ | (M.INFO1_COMPRESS_RESPONSE if pol.compress else 0)
        if no_bins:
            info1 |= M.INFO1_NOBINDATA
        info2 = 0
        duration = pol.get("expected_duration", 0)
        if duration == C.QUERY_DURATION_SHORT or pol.get("short_query"):
            info1 |= M.INFO1_SHORT_QUERY
        elif duration == C.QUERY_DURATION_LONG_RELAX_AP:
            info2 |= M.INFO2_RELAX_AP_LONG_QUERY
        ops, n_ops = encode_name_ops(M.OP_READ, self._bins) if self._bins else (b"", 0)
        rps = self._records_per_second(pol)
        where = self._where
        ns, set_name = self.namespace, self.set
        ctx = self._ctx
        index_expr = self._index_expr
        index_name = self._index_name
        header_timeout = pol.total_timeout or 0
        socket_timeout = pol.socket_timeout or 0

        resume_at = tracker.parts

        def build(np: Any, record_max: int) -> bytes:
            begin = resume_at.begin
            partial = [pid - begin for pid in np.partial]
            return encode_query(
                ns, set_name, info1=info1, info2=info2, info3=M.INFO3_PARTITION_DONE,
                expiration=0xFFFFFFFF, header_timeout=header_timeout,
                records_per_second=rps, socket_timeout=socket_timeout, task_id=_task_id(),
                index_type=where[1] if where else None,
                index_range=where[0] if where else None, index_context=ctx,
                index_expression=index_expr, index_name=index_name, filter_exp=filt,
                pids=np.full,
                digests=[resume_at.digests[i] for i in partial],
                bvals=[resume_at.bvals[i] or 0 for i in partial] if where and partial else None,
                max_records=record_max, ops=ops, n_ops=n_ops)

        previous = self._last_stream
        if previous is not None and previous.tracker.parts is not tracker.parts:
            previous = None   # not the page before this one
        stream = RecordStream(self._client.cluster, pol, ns, tracker, build,
                              previous=previous, raw=self._raw_collections(pol))
        if self._tracker is tracker:
            self._last_stream = stream
        return stream

    def _aggregate_stream(self, policy: dict | None) -> Any:
        """The stream of an aggregation's results (``_aggregate.AggregateStream``)."""
        from ._aggregate import AggregateStream, ClientReduce, check_lua_available
        from ._batch import filter_bytes
        from .command.base import server_error
        from .command.scan import collect_values
        from .exceptions import UDFError
        check_lua_available()
        pol = self._policy(policy)
        module, function, args = self._udf  # type: ignore[misc]
        reduce = ClientReduce(getattr(self._client, "config", None), module, function, args)
        where = self._where
        ops, n_ops = encode_name_ops(M.OP_READ, self._bins) if self._bins else (b"", 0)
        request = encode_query(
            self.namespace, self.set,
            info1=M.INFO1_READ | (M.INFO1_COMPRESS_RESPONSE if pol.compress else 0),
            info3=M.INFO3_PARTITION_DONE,
            expiration=0xFFFFFFFF, header_timeout=pol.total_timeout or 0,
            records_per_second=self._records_per_second(pol),
            socket_timeout=pol.socket_timeout or 0, task_id=_task_id(),
            index_type=where[1] if where else None, index_range=where[0] if where else None,
            index_context=self._ctx, index_expression=self._index_expr,
            index_name=self._index_name, filter_exp=filter_bytes(pol),
            udf=(UDF_OP_AGGREGATE, module, function, args),
            ops=ops, n_ops=n_ops)
        cluster = self._client.cluster
        namespace = self.namespace

        def udf_error(node: Any, message: str) -> UDFError:
            exc = UDFError(100, f"{node.address} {message}", None, None, False)
            exc.module = module
            exc.func = function
            return exc

        async def gather() -> list[tuple[int, bytes]]:
            if namespace not in cluster.partition_map:
                raise exception_namespace(namespace)
            nodes = [n for n in cluster.nodes if n.active]
            return await collect_values(nodes, pol, request, server_error, udf_error)

        return AggregateStream(reduce, gather)

    def __aiter__(self) -> AsyncIterator[tuple]:
        return self.records()

    def records(self, policy: dict | None = None, options: dict | None = None
                ) -> AsyncIterator[tuple]:
        """The records as they arrive (``async for key, meta, bins in q.records(...)``);
        leaving the loop early stops the query on every node."""
        return Records(self.stream(policy, options))

    @staticmethod
    async def _results(stream: RecordStream) -> list[tuple]:
        out: list[tuple] = []
        try:
            while True:
                chunk = await stream.next_chunk()
                if chunk is None:
                    return out
                out.extend(chunk)
        finally:
            await stream.close()

    async def _foreach(self, stream: RecordStream, callback: Callable[[tuple], Any]) -> None:
        try:
            while True:
                chunk = await stream.next_chunk()
                if chunk is None:
                    return
                for record in chunk:
                    if self.refused(callback, record):
                        stream.give_back()
                        return
        finally:
            await stream.close()

    def refused(self, callback: Callable[[tuple], Any], record: tuple) -> bool:
        """Hand a foreach callback its record: whether it refused it (returned False),
        which stops the call. A callback that raises, or cannot be called, fails the call
        as in the official client: a ClientError, its own exception as the cause."""
        try:
            return callback(record) is False
        except Exception as exc:
            raise ClientError(-1, self._callback_failed, None, None, False) from exc

    async def execute_background(self, policy: dict | None = None) -> int:
        """Apply the operations (add_ops) or UDF (apply) to every record on the server;
        returns the job id for ``client.job_info``."""
        if self._ops is None and self._udf is None:
            raise param_error("execute_background needs add_ops() or apply()")
        if self._ops is not None and self._ops_read:
            raise param_error("Background scan operations must be write-only. Use scan for "
                              "read-only operations.")
        pol = self._client._policies.resolve(self._background_kind, policy)
        from ._batch import filter_bytes
        from .command.base import server_error
        filt = filter_bytes(pol)
        task_id = _task_id()
        ops, n_ops = self._ops if self._ops is not None else (b"", 0)
        udf = None
        if self._udf is not None and self._ops is None:
            module, function, args = self._udf
            udf = (UDF_OP_BACKGROUND, module, function, args)
        where = self._where
        request = encode_query(
            self.namespace, self.set, info2=M.INFO2_WRITE, expiration=self.ttl or 0,
            header_timeout=pol.header_timeout,   # the socket timeout, as the official client
            records_per_second=self._records_per_second(pol),
            socket_timeout=pol.socket_timeout or 0, task_id=task_id,
            index_type=where[1] if where else None, index_range=where[0] if where else None,
            index_context=self._ctx, index_expression=self._index_expr,
            index_name=self._index_name, filter_exp=filt, udf=udf, ops=ops, n_ops=n_ops)
        cluster = self._client.cluster
        if self.namespace not in cluster.partition_map:
            raise exception_namespace(self.namespace)
        nodes = [n for n in cluster.nodes if n.active]
        from .command.scan import send_to_all
        await send_to_all(nodes, pol, request, server_error)
        return task_id


class Query(QueryBase):
    """A query of a namespace and set, optionally filtered by an index (``where``)."""

    def _check_no_predicate(self) -> None:
        # one predicate per query: the official client refuses a second one
        if self._where is not None:
            raise param_error("Failed to add predicate")

    def where(self, predicate: Any, ctx: Any = None) -> Query:
        """Filter with a secondary-index predicate (``aerospike_async.predicates``);
        returns this Query. A query takes one predicate: a second raises ParamError."""
        where = encode_predicate(predicate)
        self._check_no_predicate()
        self._where = where
        self._ctx = encode_ctx(ctx) if ctx is not None else None
        self._index_expr = None
        self._index_name = None
        return self

    def where_with_expr(self, expr: Any, predicate: Any) -> Query:
        """Filter with a predicate on an expression index: ``expr`` is the index's
        expression (compiled, or its ``get_expression_base64`` text); the predicate's
        bin name is ignored (None). Returns this Query; a second predicate raises
        ParamError."""
        from .protocol.expressions import ExpressionError, encode_expression
        if isinstance(expr, str):
            import base64
            import binascii
            try:
                index_expr = base64.b64decode(expr, validate=True)
            except (binascii.Error, ValueError):
                raise ExpressionError("Unable to decode the base64 encoded expression") from None
        else:
            index_expr = encode_expression(expr)
        where = encode_predicate(predicate)
        self._check_no_predicate()
        self._where = where
        self._ctx = None
        self._index_expr = index_expr
        self._index_name = None
        return self

    def where_with_index_name(self, index_name: str, predicate: Any, /) -> Query:
        """Filter with a predicate on the secondary index called ``index_name``: the
        server looks that index up by name alone (not by bin, key type or collection
        type; records are still limited to the query's set), so the predicate's bin
        name is not sent (give None). Returns this Query. Like the official client, it
        raises ParamError when the query already has a predicate."""
        if not isinstance(index_name, str):
            raise TypeError("where_with_index_name() argument 1 must be str, not "
                            f"{type(index_name).__name__}")
        rng, index_type = encode_predicate(predicate)
        self._check_no_predicate()
        bin_len = rng[1]
        self._where = (rng[:1] + b"\x00" + rng[2 + bin_len:], index_type)
        self._ctx = None
        self._index_expr = None
        self._index_name = index_name
        return self

    async def results(self, policy: dict | None = None, options: dict | None = None
                      ) -> list[tuple]:
        """Every record: a list of ``(key, meta, bins)``."""
        return await self._results(self.stream(policy, options))

    async def foreach(self, callback: Callable[[tuple], Any], policy: dict | None = None,
                      options: dict | None = None) -> None:
        """Call ``callback(record)`` for each record; returning False stops the query."""
        await self._foreach(self.stream(policy, options), callback)


def exception_namespace(namespace: str) -> Exception:
    from .exceptions import NamespaceNotFound
    return NamespaceNotFound(20, f"Invalid namespace: {namespace}", None, None, False)


__all__ = ["Query", "QueryBase", "encode_predicate", "encode_ctx"]
