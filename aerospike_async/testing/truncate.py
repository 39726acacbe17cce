"""``truncate`` and ``truncate-namespace`` info commands of the embedded server.

``truncate:namespace=<ns>;set=<set>[;lut=<UTC nanoseconds>]`` and
``truncate-namespace:namespace=<ns>[;lut=...]`` delete every record of the set (or of
the whole namespace) last updated before ``lut`` -- now, when it is absent. Records
written afterwards are untouched. Replies and errors follow the server's
``thr_info.c``/``truncate.c``: ``ok``; ``ERROR:4:would truncate in the future`` for a
``lut`` after the node's clock; ``ERROR:4:would truncate to 0`` for one at or before the
Aerospike epoch; missing parameters as the info layer words them. As on the real
server, an unknown namespace or set is not an error.

The real server keeps the threshold in its system metadata and hides older records
from then on; here the records are deleted at once, which reads the same to a client.
In an embedded cluster every node runs the command on its own records.
"""
from __future__ import annotations

from typing import Any

from ..protocol.info import parse_info_params
from .store import CITRUSLEAF_EPOCH

AS_ERR_PARAMETER = 4
AS_ERR_NAMESPACE = 20


def _required(params: dict[str, str], name: str) -> str | None:
    """None when present and non-empty; else the server's error reply."""
    code = AS_ERR_NAMESPACE if name == "namespace" else AS_ERR_PARAMETER
    if name not in params:
        return f"ERROR:{code}:missing '{name}'"
    if not params[name]:
        return f"ERROR:{code}:missing '{name}' value"
    return None


def _parse_lut(text: str) -> int | None:
    """A C-style unsigned constant (decimal, 0x hex or 0 octal), as ``strtoul(s, 0, 0)``
    reads it (leading digits only); None when it reads nothing."""
    text = text.strip()
    try:
        if text[:2].lower() == "0x":
            digits = "".join(c for c in _prefix(text[2:], "0123456789abcdefABCDEF"))
            return int(digits, 16) if digits else 0
        if text.startswith("0") and len(text) > 1:
            digits = _prefix(text[1:], "01234567")
            return int(digits, 8) if digits else 0
        digits = _prefix(text, "0123456789")
        return int(digits) if digits else 0
    except ValueError:
        return None


def _prefix(text: str, allowed: str) -> str:
    out = []
    for c in text:
        if c not in allowed:
            break
        out.append(c)
    return "".join(out)


def _truncate(node: Any, ns_name: str, set_name: str | None, lut: str | None) -> str:
    store = node.store
    now_ns = store.now_ns()
    now_ms = now_ns // 1_000_000 - CITRUSLEAF_EPOCH * 1000
    if lut is None:
        threshold_ns = now_ns
    else:
        utc_ns = _parse_lut(lut) or 0
        lut_ms = max(0, utc_ns // 1_000_000 - CITRUSLEAF_EPOCH * 1000)
        if lut_ms == 0:
            return f"ERROR:{AS_ERR_PARAMETER}:would truncate to 0"
        if lut_ms > now_ms:
            return f"ERROR:{AS_ERR_PARAMETER}:would truncate in the future"
        # the server compares last-update times in milliseconds
        threshold_ns = (lut_ms + CITRUSLEAF_EPOCH * 1000) * 1_000_000
    ns = store.namespace(ns_name)
    if ns is None:
        return "ok"
    wanted = None if set_name is None else set_name.encode("utf-8")
    doomed = []
    for digest, rec in list(ns.records.items()):
        if wanted is not None and rec.set_name != wanted:
            continue
        last = rec.last_update_ns if lut is None else rec.last_update_ns // 1_000_000 * 1_000_000
        if last < threshold_ns:
            doomed.append(digest)
    for digest in doomed:
        ns.delete(digest)
    return "ok"


def info_truncate(node: Any, arg: str) -> str:
    """``truncate:namespace=<ns>;set=<set>[;lut=<ns since 1970>]``."""
    params = parse_info_params(arg)
    for name in ("namespace", "set"):
        error = _required(params, name)
        if error:
            return error
    lut = params.get("lut")
    if lut is not None and not lut:
        return f"ERROR:{AS_ERR_PARAMETER}:missing 'lut' value"
    return _truncate(node, params["namespace"], params["set"], lut)


def info_truncate_namespace(node: Any, arg: str) -> str:
    """``truncate-namespace:namespace=<ns>[;lut=<ns since 1970>]``."""
    params = parse_info_params(arg)
    error = _required(params, "namespace")
    if error:
        return error
    if "set" in params:
        return f"ERROR:{AS_ERR_PARAMETER}:unexpected set name"
    lut = params.get("lut")
    if lut is not None and not lut:
        return f"ERROR:{AS_ERR_PARAMETER}:missing 'lut' value"
    return _truncate(node, params["namespace"], None, lut)


TRUNCATE_INFO_COMMANDS = {
    "truncate:": info_truncate,
    "truncate-namespace:": info_truncate_namespace,
}
"""Truncation info commands, merged into the node's table."""
