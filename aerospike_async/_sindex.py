"""Secondary index create/remove and background job status, over the info protocol.

``sindex-create`` goes to one node (the cluster spreads the definition);
creation then waits until ``sindex-stat`` reports ``load_pct=100`` on every
node. ``query-show:id=<job>`` reports a background scan/query on each node;
``job_info`` sums the records and reports in-progress while any node is.
"""
from __future__ import annotations

import asyncio
from typing import Any

from . import constants as C
from ._validate import c_string_name, param_error
from .exceptions import AerospikeError, exception_for
from .protocol.scan import (job_info_command, parse_info_error, parse_job_info,
                            sindex_create_command, sindex_delete_command,
                            sindex_stat_command)

_DATATYPES = (C.INDEX_STRING, C.INDEX_NUMERIC, C.INDEX_GEO2DSPHERE, C.INDEX_BLOB,
              C.INDEX_INTEGER)
_INDEX_TYPES = (C.INDEX_TYPE_DEFAULT, C.INDEX_TYPE_LIST, C.INDEX_TYPE_MAPKEYS,
                C.INDEX_TYPE_MAPVALUES)
_POLL_INTERVAL = 0.05


def _value(response: str) -> str:
    """The value of a one-command info answer ``name\\tvalue\\n``."""
    _name, _tab, value = response.partition("\t")
    return (value if _tab else response).strip()


def _raise_if_error(value: str, node: Any) -> None:
    err = parse_info_error(value)
    if err is not None:
        code, msg = err
        raise exception_for(code, f"{msg} from {node.address}")


async def _ask(client: Any, node: Any, command: str, policy: Any) -> str:
    return _value(await client._info(node, command, policy))


def _bin_name(bin_name: Any) -> str:
    """An index's bin name: a str, or a bytearray read as a C string (c_string_name)."""
    name = c_string_name(bin_name, _NOT_A_BIN)
    if not isinstance(name, str):
        raise param_error(_NOT_A_BIN)
    return name


_NOT_A_BIN = "Bin should be a string"


async def index_create(client: Any, ns: Any, set_name: Any, bin_name: Any, index_type: Any,
                       datatype: Any, name: Any, policy: Any = None, ctx: Any = None,
                       set_index: bool = False) -> int:
    if not isinstance(ns, str):
        raise param_error("Namespace should be a string")
    if set_name is not None and not isinstance(set_name, str):
        raise param_error("Set should be string, unicode or None")
    if not set_index:
        bin_name = _bin_name(bin_name)
    if not isinstance(name, str):
        raise param_error("Index name should be string or unicode")
    if index_type not in _INDEX_TYPES:
        raise param_error("Index type is invalid")
    if not set_index and datatype not in _DATATYPES:
        raise param_error("Index data type is invalid")
    context = None
    if ctx is not None:
        from .query import encode_ctx
        context = encode_ctx(ctx)
    command = sindex_create_command(ns, set_name, bin_name, name, index_type, datatype,
                                    context, set_index)
    cluster = client.cluster
    node = cluster.random_node()
    _raise_if_error(await _ask(client, node, command, policy), node)
    await _wait_index(client, ns, name, policy)
    return 0


async def _wait_index(client: Any, ns: str, name: str, policy: Any) -> None:
    command = sindex_stat_command(ns, name)
    while True:
        ready = True
        for node in [n for n in client.cluster.nodes if n.active]:
            value = await _ask(client, node, command, policy)
            _raise_if_error(value, node)
            if "load_pct=100" not in value:
                ready = False
        if ready:
            return
        await asyncio.sleep(_POLL_INTERVAL)


async def index_remove(client: Any, ns: Any, name: Any, policy: Any = None) -> int:
    if not isinstance(ns, str):
        raise param_error("Namespace should be a string")
    if not isinstance(name, str):
        raise param_error("Index name should be string or unicode")
    node = client.cluster.random_node()
    _raise_if_error(await _ask(client, node, sindex_delete_command(ns, name), policy), node)
    return 0


async def job_info(client: Any, job_id: Any, module: Any, policy: Any = None
                   ) -> dict[str, int]:
    # the official client's argument types: TypeError (a bool job id is an int there)
    if not isinstance(job_id, int):
        raise TypeError(f"job_info() argument 1 must be int, not {type(job_id).__name__}")
    if not isinstance(module, str):
        raise TypeError(f"job_info() argument 2 must be str, not {type(module).__name__}")
    if module not in (C.JOB_SCAN, C.JOB_QUERY):
        raise param_error("Module can have only two values: aerospike.JOB_SCAN or "
                          "aerospike.JOB_QUERY")
    command = job_info_command(job_id & 0xFFFFFFFFFFFFFFFF)
    status = C.JOB_STATUS_COMPLETED
    progress: int | None = None
    records = 0
    for node in [n for n in client.cluster.nodes if n.active]:
        try:
            value = await _ask(client, node, command, policy)
        except AerospikeError as exc:
            if exc.code == 2:  # job not found on this node: nothing running there
                continue
            raise
        parsed = parse_job_info(value)
        if parsed is None:
            err = parse_info_error(value)
            if err is not None and err[0] not in (2, -1):
                raise exception_for(err[0], f"{err[1]} from {node.address}")
            continue
        st, pct, recs = parsed
        if st == C.JOB_STATUS_INPROGRESS:
            status = C.JOB_STATUS_INPROGRESS
        progress = pct if progress is None else min(progress, pct)
        records += recs
    return {"progress_pct": progress or 0, "records_read": records, "status": status}


__all__ = ["index_create", "index_remove", "job_info"]
