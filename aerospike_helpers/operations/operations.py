"""Basic operations for ``operate`` / ``operate_ordered``.

Each function returns the documented dict, e.g. ``{"op": OPERATOR_READ,
"bin": name}``; path select/modify take a list of ``cdt_ctx`` contexts.
"""

from __future__ import annotations

import warnings
from typing import Any

from aerospike_async import constants as as_const

__all__ = [
    "append",
    "delete",
    "increment",
    "modify_by_path",
    "prepend",
    "read",
    "select_by_path",
    "touch",
    "write",
]


def read(bin_name: str) -> dict[str, Any]:
    """Read the value of ``bin_name``."""
    return {"op": as_const.OPERATOR_READ, "bin": bin_name}


def write(bin_name: str, write_item: Any) -> dict[str, Any]:
    """Write ``write_item`` to ``bin_name``."""
    return {"op": as_const.OPERATOR_WRITE, "bin": bin_name, "val": write_item}


def delete() -> dict[str, Any]:
    """Delete the whole record (server >= 4.7.0.8)."""
    return {"op": as_const.OPERATOR_DELETE}


def append(bin_name: str, append_item: Any) -> dict[str, Any]:
    """Append a string or bytes value to ``bin_name``."""
    return {"op": as_const.OPERATOR_APPEND, "bin": bin_name, "val": append_item}


def prepend(bin_name: str, prepend_item: Any) -> dict[str, Any]:
    """Prepend a string or bytes value to ``bin_name``."""
    return {"op": as_const.OPERATOR_PREPEND, "bin": bin_name, "val": prepend_item}


def increment(bin_name: str, amount: int | float) -> dict[str, Any]:
    """Add ``amount`` to the numeric value of ``bin_name``."""
    return {"op": as_const.OPERATOR_INCR, "bin": bin_name, "val": amount}


def touch(ttl: int | None = None) -> dict[str, Any]:
    """Reset the record's time to live.

    Passing ``ttl`` here is deprecated (set it in the operate policy); a
    truthy ``ttl`` is kept as ``"val"`` with a DeprecationWarning.
    """
    op: dict[str, Any] = {"op": as_const.OPERATOR_TOUCH}
    if ttl:
        warnings.warn(
            "TTL should be specified in the policy parameter for operate",
            DeprecationWarning,
            stacklevel=2,
        )
        op["val"] = ttl
    return op


def select_by_path(bin_name: str, ctx: list[Any], flags: int) -> dict[str, Any]:
    """Select the elements of ``bin_name`` reached by the contexts ``ctx``.

    ``flags`` is one of the ``EXP_PATH_SELECT_*`` constants.
    """
    return {
        "op": as_const._AS_OPERATOR_CDT_READ,
        "bin": bin_name,
        "ctx": ctx,
        as_const._CDT_FLAGS_KEY: flags,
    }


def modify_by_path(bin_name: str, ctx: list[Any], expr: Any, flags: int) -> dict[str, Any]:
    """Replace the elements reached by ``ctx`` with the value of the compiled ``expr``.

    ``flags`` is one of the ``EXP_PATH_MODIFY_*`` constants.
    """
    return {
        "op": as_const._AS_OPERATOR_CDT_MODIFY,
        "bin": bin_name,
        "ctx": ctx,
        as_const._CDT_APPLY_MOD_EXP_KEY: expr,
        as_const._CDT_FLAGS_KEY: flags,
    }
