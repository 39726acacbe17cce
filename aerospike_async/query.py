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
from ._validate import (c_string_name, check_bin_name, check_bin_names, pack_udf_args,
                        param_error)
from .exceptions import ClientError
from .command.scan import Partitions, PartitionTracker, Records, RecordStream
from .policy import Policy
from .protocol import message as M
from .protocol.cdt import pack as cdt_pack
from .protocol.digest import PARTITIONS, partition_id
from .protocol.operations import encode_operation
from .protocol.record import encode_name_ops
from .protocol.scan import (UDF_OP_AGGREGATE, UDF_OP_BACKGROUND, encode_index_range,
                            encode_query)
from .types import CDTInfinite, CDTWildcard, GeoJSON, null

_NOT_A_BIN_NAME = "Bin name should be of type string"
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


def encode_predicate(predicate: Any, bin_required: bool = False
                     ) -> tuple[bytes, int | None]:
    """(index range field, index type or None) of a documented predicate tuple. With
    ``bin_required`` (a plain ``where``), its bin name must be a str or a bytearray (read
    up to its first NUL), as the official client requires."""
    if not isinstance(predicate, tuple) or len(predicate) < 4:
        raise param_error("predicate is invalid.")
    kind, datatype, bin_name, v1 = predicate[:4]
    v2 = predicate[4] if len(predicate) > 4 else None
    index_type = predicate[5] if len(predicate) > 5 else None
    ptype = _PARTICLE_FOR_DATATYPE.get(datatype)
    if ptype is None or kind not in (0, 1):
        raise param_error("predicate is invalid.")
    if bin_required:
        if bin_name is None:
            raise param_error("Bin should be a string")
        bin_name = c_string_name(bin_name, _NOT_A_BIN_NAME)
        if not isinstance(bin_name, str):
            raise param_error("Failed to add predicate")
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


_UDF_ARG_LEAVES = (int, float, str, bytes, bytearray, type(None), GeoJSON, null, CDTWildcard,
                   CDTInfinite)


def _udf_args_supported(arguments: list) -> bool:
    """Whether a UDF argument list holds only what the server stores, through lists and
    map values (not map keys), as the official client checks Query/Scan.apply's."""
    pending = list(arguments)
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
        elif not isinstance(value, _UDF_ARG_LEAVES):
            return False
    return True


def _validate_policy_ints(policy: Any) -> None:
    if isinstance(policy, dict):
        for name in ("max_records", "records_per_second"):
            value = policy.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise param_error(f"{name} is invalid")


_SCAN_OPTIONS = frozenset({"concurrent", "nobins"})


def _no_bins(options: Any, scan: bool = False) -> bool:
    """The ``nobins`` of a results/foreach ``options`` dict, checked as the official
    client checks it (a scan's options may only be ``concurrent`` and ``nobins``, both
    bools)."""
    if options is None:
        return False
    if not isinstance(options, dict):
        raise param_error("query options must be a dictionary")
    if scan:
        check_scan_options(options)
    no_bins = options.get("nobins", False)
    if not isinstance(no_bins, bool):
        raise param_error("nobins value must be a bool")
    return no_bins


def check_scan_options(options: dict) -> None:
    """ParamError unless a scan's ``options`` dict holds only ``concurrent`` and
    ``nobins``, as bools (checked in order, with the official client's messages)."""
    for key, value in options.items():
        if key not in _SCAN_OPTIONS:
            raise param_error("Invalid value for scan options")
        if not isinstance(value, bool):
            raise param_error(f"Invalid value(type) for {key}")


def _partition_filter(pol: Policy) -> tuple[int, int, Partitions | None, bool]:
    """(begin, count, partition state to resume or None, whether to read every partition
    again) of a policy's ``partition_filter``, checked as the official client checks it
    (ParamError, with its messages)."""
    pf = pol.extra["partition_filter"]
    if not isinstance(pf, dict):
        raise param_error("invalid partition_filter policy, partition_filter must be a dict")
    status = pf.get("partition_status")
    if status is not None and not isinstance(status, dict):
        raise param_error("invalid partition_filter policy, partition_status must be a dict")
    begin = pf.get("begin", 0)
    if not isinstance(begin, int) or not 0 <= begin < PARTITIONS:
        raise param_error("invalid partition_filter policy begin, begin must be an int "
                          f"between 0 and {PARTITIONS - 1} inclusive")
    count = pf.get("count", PARTITIONS)
    if not isinstance(count, int) or not 1 <= count <= PARTITIONS:
        raise param_error("invalid partition_filter policy count, count must be an int "
                          f"between 1 and {PARTITIONS} inclusive")
    if begin + count > PARTITIONS:
        raise param_error(f"invalid partition filter range, begin: {begin} count: {count}, "
                          f"valid range when begin + count <= {PARTITIONS}")
    parts: Partitions | None = None
    retry = True
    if status is not None:
        parts, retry = _resumed_partitions(status, begin, count)
    digest = pf.get("digest")
    if parts is None and isinstance(digest, dict) and digest.get("init"):
        # the official client copies only a str digest value (else 20 zero bytes)
        value = digest.get("value")
        raw = value.encode("utf-8")[:20] if isinstance(value, str) else b""
        parts = Partitions(begin, count)
        parts.digests[0] = raw.ljust(20, b"\0")
    return begin, count, parts, retry


def _resumed_partitions(status: dict, begin: int, count: int) -> tuple[Partitions, bool]:
    """The partition state a ``partition_status`` dict (as ``get_partitions_status()``
    returns it) resumes, and its ``retry``: per partition ``(id, init, retry, digest,
    bval)``; a partition without a tuple starts from its beginning."""
    for key in ("done", "retry"):
        if key not in status:
            raise param_error(f"partition_status dict missing key '{key}'")
        if not isinstance(status[key], int):
            raise param_error(f"partition_status dict key '{key}' must be an int")
    parts = Partitions(begin, count)
    for i, pid in enumerate(range(begin, begin + count)):
        st = status.get(pid)
        if not isinstance(st, tuple):
            continue
        n = len(st)
        init = st[1] if n > 1 else 0
        if not isinstance(init, int):
            raise param_error(f"invalid init for part_id: {pid}")
        if n > 2:
            if not isinstance(st[2], int):
                raise param_error(f"invalid retry for part_id: {pid}")
            parts.retry[i] = bool(st[2])
        digest = st[3] if n > 3 else None
        if digest is not None and (not isinstance(digest, (bytes, bytearray))
                                   or len(digest) != 20):
            raise param_error(f"invalid digest value for part_id: {pid}")
        bval = st[4] if n > 4 else 0
        if not isinstance(bval, int):
            raise param_error(f"invalid bval for part_id: {pid}")
        if not 0 <= bval < 1 << 64:
            raise param_error(f"invalid bval for partition id: {pid}, bval must fit in "
                              "unsigned long long")
        if init and digest is not None:
            parts.digests[i] = bytes(digest)
            # unsigned, as get_partitions_status() gives it; the wire's is signed
            parts.bvals[i] = bval - (1 << 64) if bval >= 1 << 63 else bval
    return parts, bool(status["retry"])


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
            raise param_error("Set should be string, unicode or None")
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
    def select(self, *bins: str | bytearray) -> Any:
        """Read only these bins (a bytearray name is read up to its first NUL, as the
        official client reads it); returns this object."""
        self._bins = check_bin_names([c_string_name(b, _NOT_A_BIN_NAME) for b in bins],
                                     _NOT_A_BIN_NAME)
        return self

    def apply(self, module: str, function: str, arguments: list | None = None) -> Any:
        """Set a UDF: a record UDF for ``execute_background``, or a stream UDF that
        ``results()``/``foreach()``/``async for`` aggregate with (an empty ``function``
        sets none). Returns this object. ``arguments`` may hold only what the server
        stores (no tuple or set: serialize those first), else ClientError, as in the
        official client. An aggregation runs the module's server part on every node and
        the final reduce here, from the local copy of the module (config
        ``lua.user_path``, or the file ``udf_put`` registered); it needs the optional
        ``lupa`` package (the ``lua`` extra), without which it raises ClientError. See
        ``aerospike_async._aggregate``."""
        if not isinstance(module, str):
            raise ClientError(-1, "udf module argument must be a string or unicode string",
                              None, None, False)
        if not isinstance(function, str):
            raise ClientError(-1, "udf function argument must be a string or unicode string",
                              None, None, False)
        if arguments is not None:
            if not isinstance(arguments, list):
                raise ClientError(-1, "udf function arguments must be enclosed in a list",
                                  None, None, False)
            if not _udf_args_supported(arguments):
                raise ClientError(-1, "udf function argument type must be supported by "
                                  "Aerospike", None, None, False)
        self._use_udf(module, function, arguments)
        return self

    def _use_udf(self, module: str, function: str, arguments: list | None) -> None:
        """Set the UDF (checked by the caller); arguments are packed now."""
        if not function:   # C: a UDF is set only by its function name
            self._udf = None
            return
        # no argument list: an empty field; a given one, even empty, packed
        packed = b"" if arguments is None else pack_udf_args(arguments)
        self._udf = (module, function, packed)

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
        """The partitions this call reads. As in the official client, a query object keeps
        its partition state once paginated or given a ``partition_filter`` (the filter's
        ``partition_status``, if any, is taken on first use only), and every later call
        resumes from it: what is done stays done, and the range may not change."""
        max_records = self._max_records(pol)
        saved = self._tracker
        begin, count = 0, PARTITIONS
        if "partition_filter" in pol.extra:
            begin, count, parts, retry = _partition_filter(pol)
            if saved is None:
                saved = PartitionTracker(begin, count, max_records, parts)
                saved.retry = retry
        if saved is None:
            tracker = PartitionTracker(begin, count, max_records)
        else:
            kept = saved.parts
            if (kept.begin, kept.count) != (begin, count):
                raise param_error("Partition filter can not change when pagination is enabled. "
                                  f"prev={kept.begin},{kept.count} current={begin},{count}")
            tracker = PartitionTracker.resumed(saved, max_records)
        tracker.node_filter = nodename
        if self._paginate or saved is not None:
            self._tracker = tracker
        return tracker

    def stream(self, policy: dict | None = None, options: dict | None = None, *,
               nodename: str | None = None) -> RecordStream:
        """A started-on-first-use RecordStream of this query's records (of one node's
        partitions only with ``nodename``)."""
        no_bins = _no_bins(options, self._kind == "scan")
        if self._udf is not None and self._ops is None:
            return self._aggregate_stream(policy)
        pol = self._policy(policy)
        node_filter = self._node_filter(nodename)
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
        if "partition_filter" in pol.extra:
            raise param_error("Aggregation or background queries cannot query by partition")
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

    @staticmethod
    def foreach_callback(callback: Callable[..., Any], policy: Any) -> Callable[[tuple], Any]:
        """``callback`` as foreach calls it under ``policy``: given the record's partition
        id too when the policy has a partition filter."""
        if not (isinstance(policy, dict) and "partition_filter" in policy):
            return callback
        return lambda record: callback(partition_id(record[0][3]), record)

    async def execute_background(self, policy: dict | None = None) -> int:
        """Apply the operations (add_ops) or UDF (apply) to every record on the server;
        returns the job id for ``client.job_info``."""
        if self._ops is None and self._udf is None:
            raise param_error("Background function or ops is required")
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
        ttl = self.ttl or 0
        if ttl & 0xFFFFFFFF == C.TTL_CLIENT_DEFAULT:   # the policy's (scan's, or write's)
            ttl = pol.ttl or 0
        request = encode_query(
            self.namespace, self.set, info2=M.INFO2_WRITE, expiration=ttl,
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

    def select(self, *bins: str | bytearray) -> Query:
        """Read only these bins (a bytearray name is read up to its first NUL); returns
        this Query. As in the official client, a query selects once: a second call
        raises ClientError."""
        if self._bins is not None:
            raise ClientError(-1, "Query.select() cannot be called more than once on the "
                              "same instance.", None, None, False)
        return super().select(*bins)

    def _check_no_predicate(self) -> None:
        # one predicate per query: the official client refuses a second one
        if self._where is not None:
            raise param_error("Failed to add predicate")

    def where(self, predicate: Any, ctx: Any = None) -> Query:
        """Filter with a secondary-index predicate (``aerospike_async.predicates``);
        returns this Query. A query takes one predicate: a second raises ParamError."""
        where = encode_predicate(predicate, bin_required=True)
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
        """Call ``callback(record)`` for each record; returning False stops the query.
        With a policy ``partition_filter``, the callback gets ``(partition_id, record)``,
        as the official client calls it."""
        await self._foreach(self.stream(policy, options), self.foreach_callback(callback, policy))


def exception_namespace(namespace: str) -> Exception:
    from .exceptions import NamespaceNotFound
    return NamespaceNotFound(20, f"Invalid namespace: {namespace}", None, None, False)


__all__ = ["Query", "QueryBase", "encode_predicate", "encode_ctx"]
