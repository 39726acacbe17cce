"""List expressions: read from or modify (a copy of) a list bin inside an expression.

Every builder takes the contexts ``ctx`` (a list of ``cdt_ctx`` objects, or
None) that select a nested list, and ``bin``: a bin name or an expression
producing a list (another list expression, ``ListBin``, a loop variable).
Modifications never touch the stored record: they evaluate to the modified
list, which ``expression_write`` may then store.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .base import ListBin
from .resources import (
    ResultType,
    ReturnType,
    TypeBinName,
    TypeCount,
    TypeCTX,
    TypeIndex,
    TypeListValue,
    TypePolicy,
    TypeRank,
    TypeValue,
    _BaseExpr,
    _ctx_fixed,
    _ExprOp,
    _GenericExpr,
    _Keys,
)

__all__ = [
    "InList", "ListAppend", "ListAppendItems", "ListClear", "ListGetByIndex", "ListGetByIndexRange",
    "ListGetByIndexRangeToEnd", "ListGetByRank", "ListGetByRankRange",
    "ListGetByRankRangeToEnd", "ListGetByValue", "ListGetByValueList", "ListGetByValueRange",
    "ListGetByValueRelRankRange", "ListGetByValueRelRankRangeToEnd", "ListIncrement",
    "ListInsert", "ListInsertItems", "ListRemoveByIndex", "ListRemoveByIndexRange",
    "ListRemoveByIndexRangeToEnd", "ListRemoveByRank", "ListRemoveByRankRange",
    "ListRemoveByRankRangeToEnd", "ListRemoveByValue", "ListRemoveByValueList",
    "ListRemoveByValueRange", "ListRemoveByValueRelRankRange", "ListRemoveByValueRelRankToEnd",
    "ListJoin", "ListSet", "ListSize", "ListSort",
]

# the official module's _OP_LIST_JOIN / _OP_LIST_JOIN_SEPARATOR
_OP_LIST_JOIN = 1042
_OP_LIST_JOIN_SEPARATOR = 1043


def _list(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else ListBin(bin)


def _policy_node(op: int, policy: Any) -> _GenericExpr:
    return _GenericExpr(op, 0, {_Keys.LIST_POLICY_KEY: policy} if policy is not None else {})


def _policy_fixed(ctx: Any, policy: Any) -> dict[str, Any]:
    fixed = _ctx_fixed(ctx)
    if policy is not None:
        fixed[_Keys.LIST_POLICY_KEY] = policy
    return fixed


def _remove_rt(inverted: bool) -> dict[str, Any]:
    return {_Keys.RETURN_TYPE_KEY: ReturnType.LIST_RETURN_INVERTED if inverted
            else as_const.LIST_RETURN_NONE}


def _read_rt(return_type: int, inverted: bool) -> dict[str, Any]:
    if inverted:
        return_type |= ReturnType.LIST_RETURN_INVERTED
    return {_Keys.RETURN_TYPE_KEY: return_type}


# -- modifications ------------------------------------------------------------
class ListAppend(_BaseExpr):
    """Add ``value`` at the end of the list (``policy``: a list policy dict or None)."""

    _op = as_const.OP_LIST_APPEND

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (value, _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_CRMOD, policy),
                          _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListAppendItems(_BaseExpr):
    """Add every item of the list ``value`` at the end of the list."""

    _op = as_const.OP_LIST_APPEND_ITEMS

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, value: TypeListValue,
                 bin: TypeBinName) -> None:
        self._children = (value, _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_CRMOD, policy),
                          _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListInsert(_BaseExpr):
    """Insert ``value`` at position ``index``."""

    _op = as_const.OP_LIST_INSERT

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, index: TypeIndex, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (index, value,
                          _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_MOD, policy), _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListInsertItems(_BaseExpr):
    """Insert the items of the list ``values`` at position ``index``."""

    _op = as_const.OP_LIST_INSERT_ITEMS

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, index: TypeIndex,
                 values: TypeListValue, bin: TypeBinName) -> None:
        self._children = (index, values,
                          _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_MOD, policy), _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListIncrement(_BaseExpr):
    """Add ``value`` to the number at position ``index``."""

    _op = as_const.OP_LIST_INCREMENT

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, index: TypeIndex, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (index, value,
                          _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_CRMOD, policy), _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListSet(_BaseExpr):
    """Replace the item at position ``index`` with ``value``."""

    _op = as_const.OP_LIST_SET

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, index: TypeIndex, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (index, value,
                          _policy_node(_ExprOp._AS_EXP_CODE_CDT_LIST_MOD, policy), _list(bin))
        self._fixed = _policy_fixed(ctx, policy)


class ListClear(_BaseExpr):
    """Remove every item of the list."""

    _op = as_const.OP_LIST_CLEAR

    def __init__(self, ctx: TypeCTX, bin: TypeBinName) -> None:
        self._children = (_list(bin),)
        self._fixed = _ctx_fixed(ctx)


class ListSort(_BaseExpr):
    """Sort the list (``order``: ``LIST_SORT_DEFAULT`` or ``LIST_SORT_DROP_DUPLICATES``)."""

    _op = as_const.OP_LIST_SORT

    def __init__(self, ctx: TypeCTX, order: int, bin: TypeBinName) -> None:
        self._children = (_list(bin),)
        self._fixed = _ctx_fixed(ctx, **{_Keys.LIST_ORDER_KEY: order})


class ListRemoveByValue(_BaseExpr):
    """Remove every item equal to ``value`` (every other item if ``inverted``)."""

    _op = as_const.OP_LIST_REMOVE_BY_VALUE

    def __init__(self, ctx: TypeCTX, value: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByValueList(_BaseExpr):
    """Remove every item equal to one of ``values``."""

    _op = as_const.OP_LIST_REMOVE_BY_VALUE_LIST

    def __init__(self, ctx: TypeCTX, values: TypeListValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (values, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByValueRange(_BaseExpr):
    """Remove the items in ``[begin, end)`` (``end`` None: no upper bound)."""

    _op = as_const.OP_LIST_REMOVE_BY_VALUE_RANGE

    def __init__(self, ctx: TypeCTX, begin: TypeValue, end: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        if end is None:
            from aerospike_async.types import CDTInfinite
            end = CDTInfinite()
        self._children = (begin, end, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByValueRelRankToEnd(_BaseExpr):
    """Remove the items from rank ``rank`` relative to ``value`` to the end."""

    _op = as_const.OP_LIST_REMOVE_BY_REL_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, value: TypeValue, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, rank, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByValueRelRankRange(_BaseExpr):
    """Remove ``count`` items from rank ``rank`` relative to ``value``."""

    _op = as_const.OP_LIST_REMOVE_BY_REL_RANK_RANGE

    def __init__(self, ctx: TypeCTX, value: TypeValue, rank: TypeRank, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, rank, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByIndex(_BaseExpr):
    """Remove the item at position ``index``."""

    _op = as_const.OP_LIST_REMOVE_BY_INDEX

    def __init__(self, ctx: TypeCTX, index: TypeIndex, bin: TypeBinName) -> None:
        self._children = (index, _list(bin))
        self._fixed = _ctx_fixed(ctx)


class ListRemoveByIndexRangeToEnd(_BaseExpr):
    """Remove the items from position ``index`` to the end."""

    _op = as_const.OP_LIST_REMOVE_BY_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, index: TypeIndex, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByIndexRange(_BaseExpr):
    """Remove ``count`` items from position ``index``."""

    _op = as_const.OP_LIST_REMOVE_BY_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, index: TypeIndex, count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByRank(_BaseExpr):
    """Remove the item of rank ``rank`` (0: the smallest, -1: the largest)."""

    _op = as_const.OP_LIST_REMOVE_BY_RANK

    def __init__(self, ctx: TypeCTX, rank: TypeRank, bin: TypeBinName) -> None:
        self._children = (rank, _list(bin))
        self._fixed = _ctx_fixed(ctx)


class ListRemoveByRankRangeToEnd(_BaseExpr):
    """Remove the items from rank ``rank`` to the largest."""

    _op = as_const.OP_LIST_REMOVE_BY_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class ListRemoveByRankRange(_BaseExpr):
    """Remove ``count`` items from rank ``rank``."""

    _op = as_const.OP_LIST_REMOVE_BY_RANK_RANGE

    def __init__(self, ctx: TypeCTX, rank: TypeRank, count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


# -- reads --------------------------------------------------------------------
class ListSize(_BaseExpr):
    """The number of items of the list."""

    _op = as_const.OP_LIST_SIZE

    def __init__(self, ctx: TypeCTX, bin: TypeBinName) -> None:
        self._children = (_list(bin),)
        self._fixed = _ctx_fixed(ctx)


class ListJoin(_BaseExpr):
    """The string items of the list joined into one string, ``separator`` (None or "":
    nothing) between consecutive items. An empty list joins to ""; a list holding a
    non-string item makes the expression fail. Needs a server with string operations."""

    def __init__(self, ctx: TypeCTX, separator: str | None, bin: TypeBinName) -> None:
        self._op = _OP_LIST_JOIN_SEPARATOR if separator else _OP_LIST_JOIN
        self._children = (_list(bin),)
        if separator:
            self._fixed = _ctx_fixed(ctx, **{as_const._STR_EXP_SEPARATOR_KEY: separator})
        else:
            self._fixed = _ctx_fixed(ctx)


class ListGetByValue(_BaseExpr):
    """The items equal to ``value``, as ``return_type`` (a ``LIST_RETURN_*`` constant)."""

    _op = as_const.OP_LIST_GET_BY_VALUE

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByValueRange(_BaseExpr):
    """The items in ``[value_begin, value_end)``."""

    _op = as_const.OP_LIST_GET_BY_VALUE_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, value_begin: TypeValue,
                 value_end: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value_begin, value_end, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByValueList(_BaseExpr):
    """The items equal to one of the values of the list ``value``."""

    _op = as_const.OP_LIST_GET_BY_VALUE_LIST

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeListValue,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByValueRelRankRangeToEnd(_BaseExpr):
    """The items from rank ``rank`` relative to ``value`` to the end."""

    _op = as_const.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, rank: TypeRank,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, rank, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByValueRelRankRange(_BaseExpr):
    """``count`` items from rank ``rank`` relative to ``value``."""

    _op = as_const.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, rank: TypeRank,
                 count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, rank, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByIndex(_BaseExpr):
    """The item at position ``index``; ``value_type`` (a ``ResultType``) is its type."""

    _op = as_const.OP_LIST_GET_BY_INDEX

    def __init__(self, ctx: TypeCTX, return_type: int, value_type: int, index: TypeIndex,
                 bin: TypeBinName) -> None:
        self._children = (index, _list(bin))
        self._fixed = _ctx_fixed(ctx, **{_Keys.VALUE_TYPE_KEY: value_type,
                                         _Keys.RETURN_TYPE_KEY: return_type})


class ListGetByIndexRangeToEnd(_BaseExpr):
    """The items from position ``index`` to the end."""

    _op = as_const.OP_LIST_GET_BY_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, index: TypeIndex, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByIndexRange(_BaseExpr):
    """``count`` items from position ``index``."""

    _op = as_const.OP_LIST_GET_BY_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, index: TypeIndex, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (index, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByRank(_BaseExpr):
    """The item of rank ``rank``; ``value_type`` (a ``ResultType``) is its type."""

    _op = as_const.OP_LIST_GET_BY_RANK

    def __init__(self, ctx: TypeCTX, return_type: int, value_type: int, rank: TypeRank,
                 bin: TypeBinName) -> None:
        self._children = (rank, _list(bin))
        self._fixed = _ctx_fixed(ctx, **{_Keys.VALUE_TYPE_KEY: value_type,
                                         _Keys.RETURN_TYPE_KEY: return_type})


class ListGetByRankRangeToEnd(_BaseExpr):
    """The items from rank ``rank`` to the largest."""

    _op = as_const.OP_LIST_GET_BY_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class ListGetByRankRange(_BaseExpr):
    """``count`` items from rank ``rank``."""

    _op = as_const.OP_LIST_GET_BY_RANK_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, rank: TypeRank, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (rank, count, _list(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class InList(_BaseExpr):
    """True if ``value`` (a value or an expression) is an element of the list ``bin``: a
    list bin's name or an expression giving a list (server 8.1+)."""

    _op = as_const._AS_EXP_CODE_IN_LIST
    _rt = ResultType.BOOLEAN

    def __init__(self, value: TypeValue, bin: TypeBinName) -> None:
        self._children = (value, bin if isinstance(bin, _BaseExpr) else ListBin(bin))
