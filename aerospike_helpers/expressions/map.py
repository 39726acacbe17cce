"""Map expressions: read from or modify (a copy of) a map bin inside an expression.

Every builder takes the contexts ``ctx`` (a list of ``cdt_ctx`` objects, or
None) that select a nested map, and ``bin``: a bin name or an expression
producing a map. Modifications evaluate to the modified map; the stored
record is left alone unless ``expression_write`` stores the result.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .base import MapBin
from .resources import (
    ReturnType,
    TypeBinName,
    TypeCount,
    TypeCTX,
    TypeIndex,
    TypeKey,
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
    "MapClear", "MapGetByIndex", "MapGetByIndexRange", "MapGetByIndexRangeToEnd",
    "MapGetByKey", "MapGetByKeyList", "MapGetByKeyRange", "MapGetByKeyRelIndexRange",
    "MapGetByKeyRelIndexRangeToEnd", "MapGetByRank", "MapGetByRankRange",
    "MapGetByRankRangeToEnd", "MapGetByValue", "MapGetByValueList", "MapGetByValueRange",
    "MapGetByValueRelRankRange", "MapGetByValueRelRankRangeToEnd", "MapGetKeys",
    "MapGetValues", "MapIncrement", "MapPut", "MapPutItems", "MapRemoveByIndex",
    "MapRemoveByIndexRange", "MapRemoveByIndexRangeToEnd", "MapRemoveByKey",
    "MapRemoveByKeyList", "MapRemoveByKeyRange", "MapRemoveByKeyRelIndexRange",
    "MapRemoveByKeyRelIndexRangeToEnd", "MapRemoveByRank", "MapRemoveByRankRange",
    "MapRemoveByRankRangeToEnd", "MapRemoveByValue", "MapRemoveByValueList",
    "MapRemoveByValueRange", "MapRemoveByValueRelRankRange",
    "MapRemoveByValueRelRankRangeToEnd", "MapSize",
]


def _map(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else MapBin(bin)


def _policy_node(policy: Any) -> _GenericExpr:
    return _GenericExpr(_ExprOp._AS_EXP_CODE_CDT_MAP_CRMOD, 0,
                        {_Keys.MAP_POLICY_KEY: policy} if policy is not None else {})


def _policy_fixed(ctx: Any, policy: Any) -> dict[str, Any]:
    fixed = _ctx_fixed(ctx)
    if policy is not None:
        fixed[_Keys.MAP_POLICY_KEY] = policy
    return fixed


def _remove_rt(inverted: bool) -> dict[str, Any]:
    return {_Keys.RETURN_TYPE_KEY: ReturnType.MAP_RETURN_INVERTED if inverted
            else as_const.MAP_RETURN_NONE}


def _read_rt(return_type: int, inverted: bool) -> dict[str, Any]:
    if inverted:
        return_type |= ReturnType.MAP_RETURN_INVERTED
    return {_Keys.RETURN_TYPE_KEY: return_type}


def _infinite() -> Any:
    from aerospike_async.types import CDTInfinite
    return CDTInfinite()


# -- modifications ------------------------------------------------------------
class MapPut(_BaseExpr):
    """Set ``key`` to ``value`` (``policy``: a map policy dict or None)."""

    _op = as_const.OP_MAP_PUT

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, key: TypeKey, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (key, value, _policy_node(policy), _map(bin))
        self._fixed = _policy_fixed(ctx, policy)


class MapPutItems(_BaseExpr):
    """Set every key of the dict ``map`` to its value."""

    _op = as_const.OP_MAP_PUT_ITEMS

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, map: Any,
                 bin: TypeBinName) -> None:
        self._children = (map, _policy_node(policy), _map(bin))
        self._fixed = _policy_fixed(ctx, policy)


class MapIncrement(_BaseExpr):
    """Add ``value`` to the number stored under ``key``."""

    _op = as_const.OP_MAP_INCREMENT

    def __init__(self, ctx: TypeCTX, policy: TypePolicy, key: TypeKey, value: TypeValue,
                 bin: TypeBinName) -> None:
        self._children = (key, value, _policy_node(policy), _map(bin))
        self._fixed = _policy_fixed(ctx, policy)


class MapClear(_BaseExpr):
    """Remove every entry of the map."""

    _op = as_const.OP_MAP_CLEAR

    def __init__(self, ctx: TypeCTX, bin: TypeBinName) -> None:
        self._children = (_map(bin),)
        self._fixed = _ctx_fixed(ctx)


class MapRemoveByKey(_BaseExpr):
    """Remove the entry of ``key``."""

    _op = as_const.OP_MAP_REMOVE_BY_KEY

    def __init__(self, ctx: TypeCTX, key: TypeKey, bin: TypeBinName) -> None:
        self._children = (key, _map(bin))
        self._fixed = _ctx_fixed(ctx)


class MapRemoveByKeyList(_BaseExpr):
    """Remove the entries of the keys in ``keys`` (the others if ``inverted``)."""

    _op = as_const.OP_MAP_REMOVE_BY_KEY_LIST

    def __init__(self, ctx: TypeCTX, keys: list[TypeKey], bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (keys, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByKeyRange(_BaseExpr):
    """Remove the entries whose key is in ``[begin, end)`` (``end`` None: unbounded)."""

    _op = as_const.OP_MAP_REMOVE_BY_KEY_RANGE

    def __init__(self, ctx: TypeCTX, begin: TypeValue, end: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (begin, _infinite() if end is None else end, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByKeyRelIndexRangeToEnd(_BaseExpr):
    """Remove the entries from index ``index`` relative to ``key`` to the end."""

    _op = as_const.OP_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, key: TypeKey, index: TypeIndex, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (key, index, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByKeyRelIndexRange(_BaseExpr):
    """Remove ``count`` entries from index ``index`` relative to ``key``."""

    _op = as_const.OP_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, key: TypeKey, index: TypeIndex, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (key, index, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByValue(_BaseExpr):
    """Remove the entries whose value equals ``value``."""

    _op = as_const.OP_MAP_REMOVE_BY_VALUE

    def __init__(self, ctx: TypeCTX, value: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByValueList(_BaseExpr):
    """Remove the entries whose value is one of ``values``."""

    _op = as_const.OP_MAP_REMOVE_BY_VALUE_LIST

    def __init__(self, ctx: TypeCTX, values: TypeListValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (values, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByValueRange(_BaseExpr):
    """Remove the entries whose value is in ``[begin, end)``."""

    _op = as_const.OP_MAP_REMOVE_BY_VALUE_RANGE

    def __init__(self, ctx: TypeCTX, begin: TypeValue, end: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (begin, end, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByValueRelRankRangeToEnd(_BaseExpr):
    """Remove the entries from rank ``rank`` relative to ``value`` to the largest."""

    _op = as_const.OP_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, value: TypeValue, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, rank, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByValueRelRankRange(_BaseExpr):
    """Remove ``count`` entries from rank ``rank`` relative to ``value``."""

    _op = as_const.OP_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE

    def __init__(self, ctx: TypeCTX, value: TypeValue, rank: TypeRank, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, rank, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByIndex(_BaseExpr):
    """Remove the entry at index ``index`` (in key order)."""

    _op = as_const.OP_MAP_REMOVE_BY_INDEX

    def __init__(self, ctx: TypeCTX, index: TypeIndex, bin: TypeBinName) -> None:
        self._children = (index, _map(bin))
        self._fixed = _ctx_fixed(ctx)


class MapRemoveByIndexRangeToEnd(_BaseExpr):
    """Remove the entries from index ``index`` to the end."""

    _op = as_const.OP_MAP_REMOVE_BY_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, index: TypeIndex, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByIndexRange(_BaseExpr):
    """Remove ``count`` entries from index ``index``."""

    _op = as_const.OP_MAP_REMOVE_BY_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, index: TypeIndex, count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByRank(_BaseExpr):
    """Remove the entry whose value has rank ``rank``."""

    _op = as_const.OP_MAP_REMOVE_BY_RANK

    def __init__(self, ctx: TypeCTX, rank: TypeRank, bin: TypeBinName) -> None:
        self._children = (rank, _map(bin))
        self._fixed = _ctx_fixed(ctx)


class MapRemoveByRankRangeToEnd(_BaseExpr):
    """Remove the entries from value rank ``rank`` to the largest."""

    _op = as_const.OP_MAP_REMOVE_BY_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


class MapRemoveByRankRange(_BaseExpr):
    """Remove ``count`` entries from value rank ``rank``."""

    _op = as_const.OP_MAP_REMOVE_BY_RANK_RANGE

    def __init__(self, ctx: TypeCTX, rank: TypeRank, count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_remove_rt(inverted))


# -- reads --------------------------------------------------------------------
class MapSize(_BaseExpr):
    """The number of entries of the map."""

    _op = as_const.OP_MAP_SIZE

    def __init__(self, ctx: TypeCTX, bin: TypeBinName) -> None:
        self._children = (_map(bin),)
        self._fixed = _ctx_fixed(ctx)


class MapGetByKey(_BaseExpr):
    """The entry of ``key`` as ``return_type`` (a ``MAP_RETURN_*`` constant);
    ``value_type`` (a ``ResultType``) is the type of the result."""

    _op = as_const.OP_MAP_GET_BY_KEY

    def __init__(self, ctx: TypeCTX, return_type: int, value_type: int, key: TypeKey,
                 bin: TypeBinName) -> None:
        self._children = (key, _map(bin))
        self._fixed = _ctx_fixed(ctx, **{_Keys.VALUE_TYPE_KEY: value_type,
                                         _Keys.RETURN_TYPE_KEY: return_type})


class MapGetByKeyRange(_BaseExpr):
    """The entries whose key is in ``[begin, end)``."""

    _op = as_const.OP_MAP_GET_BY_KEY_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, begin: TypeKey, end: TypeKey,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (begin, end, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByKeyList(_BaseExpr):
    """The entries of the keys in ``keys``."""

    _op = as_const.OP_MAP_GET_BY_KEY_LIST

    def __init__(self, ctx: TypeCTX, return_type: int, keys: TypeListValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (keys, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByKeyRelIndexRangeToEnd(_BaseExpr):
    """The entries from index ``index`` relative to ``key`` to the end."""

    _op = as_const.OP_MAP_GET_BY_KEY_REL_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, key: TypeKey, index: TypeIndex,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (key, index, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByKeyRelIndexRange(_BaseExpr):
    """``count`` entries from index ``index`` relative to ``key``."""

    _op = as_const.OP_MAP_GET_BY_KEY_REL_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, key: TypeKey, index: TypeIndex,
                 count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (key, index, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByValue(_BaseExpr):
    """The entries whose value equals ``value``."""

    _op = as_const.OP_MAP_GET_BY_VALUE

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByValueRange(_BaseExpr):
    """The entries whose value is in ``[value_begin, value_end)`` (``value_end`` None:
    unbounded)."""

    _op = as_const.OP_MAP_GET_BY_VALUE_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, value_begin: TypeValue,
                 value_end: TypeValue, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value_begin, _infinite() if value_end is None else value_end,
                          _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByValueList(_BaseExpr):
    """The entries whose value is one of the list ``value``."""

    _op = as_const.OP_MAP_GET_BY_VALUE_LIST

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeListValue,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByValueRelRankRangeToEnd(_BaseExpr):
    """The entries from value rank ``rank`` relative to ``value`` to the largest."""

    _op = as_const.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, rank: TypeRank,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (value, rank, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByValueRelRankRange(_BaseExpr):
    """``count`` entries from value rank ``rank`` relative to ``value``."""

    _op = as_const.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL

    def __init__(self, ctx: TypeCTX, return_type: int, value: TypeValue, rank: TypeRank,
                 count: TypeCount, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (value, rank, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByIndex(_BaseExpr):
    """The entry at index ``index`` (key order); ``value_type`` is the result's type."""

    _op = as_const.OP_MAP_GET_BY_INDEX

    def __init__(self, ctx: TypeCTX, return_type: int, value_type: int, index: TypeIndex,
                 bin: TypeBinName) -> None:
        self._children = (index, _map(bin))
        self._fixed = _ctx_fixed(ctx, **{_Keys.VALUE_TYPE_KEY: value_type,
                                         _Keys.RETURN_TYPE_KEY: return_type})


class MapGetByIndexRangeToEnd(_BaseExpr):
    """The entries from index ``index`` to the end."""

    _op = as_const.OP_MAP_GET_BY_INDEX_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, index: TypeIndex, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (index, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByIndexRange(_BaseExpr):
    """``count`` entries from index ``index``."""

    _op = as_const.OP_MAP_GET_BY_INDEX_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, index: TypeIndex, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (index, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByRank(_BaseExpr):
    """The entry whose value has rank ``rank``; ``value_type`` is the result's type."""

    _op = as_const.OP_MAP_GET_BY_RANK

    def __init__(self, ctx: TypeCTX, return_type: int, value_type: int, rank: TypeRank,
                 bin: TypeBinName) -> None:
        self._children = (rank, _map(bin))
        self._fixed = _ctx_fixed(ctx, **{_Keys.VALUE_TYPE_KEY: value_type,
                                         _Keys.RETURN_TYPE_KEY: return_type})


class MapGetByRankRangeToEnd(_BaseExpr):
    """The entries from value rank ``rank`` to the largest."""

    _op = as_const.OP_MAP_GET_BY_RANK_RANGE_TO_END

    def __init__(self, ctx: TypeCTX, return_type: int, rank: TypeRank, bin: TypeBinName,
                 inverted: bool = False) -> None:
        self._children = (rank, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetByRankRange(_BaseExpr):
    """``count`` entries from value rank ``rank``."""

    _op = as_const.OP_MAP_GET_BY_RANK_RANGE

    def __init__(self, ctx: TypeCTX, return_type: int, rank: TypeRank, count: TypeCount,
                 bin: TypeBinName, inverted: bool = False) -> None:
        self._children = (rank, count, _map(bin))
        self._fixed = _ctx_fixed(ctx, **_read_rt(return_type, inverted))


class MapGetKeys(_BaseExpr):
    """The keys of the map, as a list (server 8.1+)."""

    _op = as_const._AS_EXP_CODE_MAP_KEYS_IN
    _rt = None

    def __init__(self, map_value: TypeBinName) -> None:
        self._children = (_map(map_value),)


class MapGetValues(_BaseExpr):
    """The values of the map, as a list (server 8.1+)."""

    _op = as_const._AS_EXP_CODE_MAP_VALUES_IN

    def __init__(self, map_value: TypeBinName) -> None:
        self._children = (_map(map_value),)
