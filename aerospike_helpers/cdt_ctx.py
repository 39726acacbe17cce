"""CDT contexts: where, inside nested lists and maps, an operation applies.

Each function returns a context object with ``id`` (a ``CDT_CTX_*`` code),
``value`` and ``extra_args``; operations take a list of them as ``ctx``.
The official class is ``_cdt_ctx`` with the same three attributes; ours
adds value equality and a readable repr.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

__all__ = [
    "CDT_CTX_ORDER_KEY",
    "CDT_CTX_PAD_KEY",
    "cdt_ctx_all_children",
    "cdt_ctx_all_children_with_filter",
    "cdt_ctx_and_filter",
    "cdt_ctx_list_index",
    "cdt_ctx_list_index_create",
    "cdt_ctx_list_rank",
    "cdt_ctx_list_value",
    "cdt_ctx_map_index",
    "cdt_ctx_map_key",
    "cdt_ctx_map_key_create",
    "cdt_ctx_map_keys_in",
    "cdt_ctx_map_rank",
    "cdt_ctx_map_value",
    "index_datatype_string",
    "index_type_string",
]

#: ``extra_args`` key of the order of a list or map created by the context.
CDT_CTX_ORDER_KEY = "order_key"
#: ``extra_args`` key of the pad flag of ``cdt_ctx_list_index_create``.
CDT_CTX_PAD_KEY = "pad_key"


class _cdt_ctx:  # noqa: N801 - the official class name
    """One step of a CDT context path."""

    __slots__ = ("id", "value", "extra_args")

    def __init__(
        self,
        *,
        id: int | None = None,  # noqa: A002 - documented attribute name
        value: Any = None,
        extra_args: dict[str, Any] | None = None,
    ) -> None:
        self.id = id
        self.value = value
        self.extra_args = extra_args

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _cdt_ctx):
            return NotImplemented
        return (self.id, self.value, self.extra_args) == (other.id, other.value, other.extra_args)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"_cdt_ctx(id={self.id!r}, value={self.value!r}, extra_args={self.extra_args!r})"


def index_type_string(index_type: int) -> str:
    """Name of an ``INDEX_TYPE_*`` constant as used in info commands."""
    return {
        as_const.INDEX_TYPE_DEFAULT: "default",
        as_const.INDEX_TYPE_LIST: "list",
        as_const.INDEX_TYPE_MAPKEYS: "mapkeys",
        as_const.INDEX_TYPE_MAPVALUES: "mapvalues",
    }.get(index_type, "invalid")


def index_datatype_string(index_datatype: int) -> str:
    """Name of an index data type constant as used in info commands."""
    return {
        as_const.INDEX_NUMERIC: "numeric",
        as_const.INDEX_STRING: "string",
        as_const.INDEX_GEO2DSPHERE: "geo2dsphere",
    }.get(index_datatype, "invalid")


def cdt_ctx_list_index(index: int) -> _cdt_ctx:
    """The list element at ``index``."""
    return _cdt_ctx(id=as_const.CDT_CTX_LIST_INDEX, value=index)


def cdt_ctx_list_rank(rank: int) -> _cdt_ctx:
    """The list element of rank ``rank``."""
    return _cdt_ctx(id=as_const.CDT_CTX_LIST_RANK, value=rank)


def cdt_ctx_list_value(value: Any) -> _cdt_ctx:
    """The list element equal to ``value``."""
    return _cdt_ctx(id=as_const.CDT_CTX_LIST_VALUE, value=value)


def cdt_ctx_list_index_create(index: int, order: int = 0, pad: bool = False) -> _cdt_ctx:
    """The list element at ``index``, creating the list (with ``order``, ``pad``) if missing."""
    return _cdt_ctx(
        id=as_const.CDT_CTX_LIST_INDEX_CREATE,
        value=index,
        extra_args={CDT_CTX_ORDER_KEY: order, CDT_CTX_PAD_KEY: pad},
    )


def cdt_ctx_map_index(index: int) -> _cdt_ctx:
    """The map entry at ``index``."""
    return _cdt_ctx(id=as_const.CDT_CTX_MAP_INDEX, value=index)


def cdt_ctx_map_rank(rank: int) -> _cdt_ctx:
    """The map entry of value rank ``rank``."""
    return _cdt_ctx(id=as_const.CDT_CTX_MAP_RANK, value=rank)


def cdt_ctx_map_key(key: Any) -> _cdt_ctx:
    """The map entry with key ``key``."""
    return _cdt_ctx(id=as_const.CDT_CTX_MAP_KEY, value=key)


def cdt_ctx_map_value(value: Any) -> _cdt_ctx:
    """The map entry with value ``value``."""
    return _cdt_ctx(id=as_const.CDT_CTX_MAP_VALUE, value=value)


def cdt_ctx_map_key_create(key: Any, order: int = 0) -> _cdt_ctx:
    """The map entry with key ``key``, creating the map (with ``order``) if missing."""
    return _cdt_ctx(
        id=as_const.CDT_CTX_MAP_KEY_CREATE, value=key, extra_args={CDT_CTX_ORDER_KEY: order}
    )


def cdt_ctx_all_children() -> _cdt_ctx:
    """Every child of the current list or map (path expressions)."""
    return _cdt_ctx(id=as_const._AS_CDT_CTX_EXP)


def cdt_ctx_all_children_with_filter(expression: Any) -> _cdt_ctx:
    """The children of the current list or map for which the compiled ``expression`` is true."""
    return _cdt_ctx(
        id=as_const._AS_CDT_CTX_EXP,
        extra_args={as_const._CDT_CTX_FILTER_EXPR_KEY: expression},
    )


def cdt_ctx_and_filter(expression: Any) -> _cdt_ctx:
    """Further filter the children selected by the previous context with ``expression``."""
    return _cdt_ctx(
        id=as_const._AS_CDT_CTX_AND | as_const._AS_CDT_CTX_EXP,
        extra_args={as_const._CDT_CTX_FILTER_EXPR_KEY: expression},
    )


def cdt_ctx_map_keys_in(keys: list[Any]) -> _cdt_ctx:
    """The map entries whose keys are in ``keys``."""
    return _cdt_ctx(id=as_const._AS_CDT_CTX_MAP_KEYS_IN, value=keys)
