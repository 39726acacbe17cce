"""Base expressions: values, record keys, bins, metadata, comparisons,
boolean logic, conditionals, variables and path expressions.

Build a tree of these and call ``.compile()`` to get the value for the
``expressions`` policy key or for ``expression_operations``.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .resources import ResultType, _BaseExpr, _ExprOp, _GenericExpr, _Keys

__all__ = [
    "GE",
    "GT",
    "LE",
    "LT",
    "NE",
    "TTL",
    "And",
    "BinExists",
    "BinType",
    "BlobBin",
    "BoolBin",
    "CmpGeo",
    "CmpRegex",
    "Cond",
    "Def",
    "DeviceSize",
    "DigestMod",
    "Eq",
    "Exclusive",
    "FloatBin",
    "GeoBin",
    "HLLBin",
    "IntBin",
    "IsTombstone",
    "KeyBlob",
    "KeyExists",
    "KeyInt",
    "KeyStr",
    "LastUpdateTime",
    "Let",
    "ListBin",
    "LoopVar",
    "LoopVarBlob",
    "LoopVarBool",
    "LoopVarFloat",
    "LoopVarGeoJson",
    "LoopVarHLL",
    "LoopVarInt",
    "LoopVarList",
    "LoopVarMap",
    "LoopVarNil",
    "LoopVarStr",
    "MapBin",
    "MemorySize",
    "ModifyByPath",
    "Not",
    "Or",
    "RecordSize",
    "RemoveResult",
    "ResultRemove",
    "SelectByPath",
    "SetName",
    "SinceUpdateTime",
    "StrBin",
    "Unknown",
    "Val",
    "Var",
    "VoidTime",
]


def _end_of_args() -> _GenericExpr:
    return _GenericExpr(_ExprOp._AS_EXP_CODE_END_OF_VA_ARGS, 0, {})


class Val(_BaseExpr):
    """A literal value as an expression."""

    _op = _ExprOp._AS_EXP_CODE_AS_VAL

    def __init__(self, value: Any) -> None:
        self._fixed = {_Keys.VALUE_KEY: value}


class Unknown(_BaseExpr):
    """The unknown value: fails the expression (useful as a Cond default)."""

    _op = _ExprOp.UNKNOWN


class _Key(_BaseExpr):
    _op = _ExprOp.REC_KEY


class KeyInt(_Key):
    """The record's stored integer user key (needs POLICY_KEY_SEND on write)."""

    _rt = ResultType.INTEGER


class KeyStr(_Key):
    """The record's stored string user key."""

    _rt = ResultType.STRING


class KeyBlob(_Key):
    """The record's stored bytes user key."""

    _rt = ResultType.BLOB


class KeyExists(_BaseExpr):
    """True if the record has a stored user key."""

    _op = _ExprOp.META_KEY_EXISTS
    _rt = ResultType.BOOLEAN


class _Bin(_BaseExpr):
    _op = _ExprOp.BIN

    def __init__(self, bin: str) -> None:
        self._fixed = {_Keys.BIN_KEY: bin}


class BoolBin(_Bin):
    """The value of a boolean bin."""

    _rt = ResultType.BOOLEAN


class IntBin(_Bin):
    """The value of an integer bin."""

    _rt = ResultType.INTEGER


class StrBin(_Bin):
    """The value of a string bin."""

    _rt = ResultType.STRING


class FloatBin(_Bin):
    """The value of a float bin."""

    _rt = ResultType.FLOAT


class BlobBin(_Bin):
    """The value of a bytes bin."""

    _rt = ResultType.BLOB


class GeoBin(_Bin):
    """The value of a GeoJSON bin."""

    _rt = ResultType.GEOJSON


class ListBin(_Bin):
    """The value of a list bin."""

    _rt = ResultType.LIST


class MapBin(_Bin):
    """The value of a map bin."""

    _rt = ResultType.MAP


class HLLBin(_Bin):
    """The value of a HyperLogLog bin."""

    _rt = ResultType.HLL


class BinExists(_BaseExpr):
    """True if the bin exists."""

    _op = _ExprOp.BIN_EXISTS
    _rt = ResultType.BOOLEAN

    def __init__(self, bin: str) -> None:
        self._fixed = {_Keys.BIN_KEY: bin}


class BinType(_BaseExpr):
    """The particle type of the bin (an ``AS_BYTES_*`` constant)."""

    _op = _ExprOp.BIN_TYPE
    _rt = ResultType.INTEGER

    def __init__(self, bin: str) -> None:
        self._fixed = {_Keys.BIN_KEY: bin}


class SetName(_BaseExpr):
    """The record's set name."""

    _op = _ExprOp.META_SET_NAME
    _rt = ResultType.STRING


class DeviceSize(_BaseExpr):
    """Record size on disk (deprecated: use RecordSize)."""

    _op = _ExprOp.META_DEVICE_SIZE
    _rt = ResultType.INTEGER


class MemorySize(_BaseExpr):
    """Record size in memory (deprecated: use RecordSize)."""

    _op = _ExprOp.META_MEMORY_SIZE
    _rt = ResultType.INTEGER


class RecordSize(_BaseExpr):
    """Record size in bytes (server 7.0+)."""

    _op = _ExprOp.META_RECORD_SIZE
    _rt = ResultType.INTEGER


class LastUpdateTime(_BaseExpr):
    """Last update time, nanoseconds since the epoch."""

    _op = _ExprOp.META_LAST_UPDATE_TIME
    _rt = ResultType.INTEGER


class SinceUpdateTime(_BaseExpr):
    """Milliseconds since the last update."""

    _op = _ExprOp.META_SINCE_UPDATE_TIME
    _rt = ResultType.INTEGER


class VoidTime(_BaseExpr):
    """Expiration time, nanoseconds since the epoch (-1: never)."""

    _op = _ExprOp.META_VOID_TIME
    _rt = ResultType.INTEGER


class TTL(_BaseExpr):
    """Seconds until the record expires (-1: never)."""

    _op = _ExprOp.META_TTL
    _rt = ResultType.INTEGER


class IsTombstone(_BaseExpr):
    """True if the record is a tombstone (XDR filters only)."""

    _op = _ExprOp.META_IS_TOMBSTONE
    _rt = ResultType.BOOLEAN


class DigestMod(_BaseExpr):
    """The record digest modulo ``mod``."""

    _op = _ExprOp.META_DIGEST_MOD
    _rt = ResultType.INTEGER

    def __init__(self, mod: int) -> None:
        self._fixed = {_Keys.VALUE_KEY: mod}


class _Compare(_BaseExpr):
    def __init__(self, expr0: Any, expr1: Any) -> None:
        self._children = (expr0, expr1)


class Eq(_Compare):
    """``expr0 == expr1``."""

    _op = _ExprOp.EQ


class NE(_Compare):
    """``expr0 != expr1``."""

    _op = _ExprOp.NE


class GT(_Compare):
    """``expr0 > expr1``."""

    _op = _ExprOp.GT


class GE(_Compare):
    """``expr0 >= expr1``."""

    _op = _ExprOp.GE


class LT(_Compare):
    """``expr0 < expr1``."""

    _op = _ExprOp.LT


class LE(_Compare):
    """``expr0 <= expr1``."""

    _op = _ExprOp.LE


class CmpRegex(_BaseExpr):
    """True if the string ``cmp_str`` matches ``regex_str`` (``REGEX_*`` options)."""

    _op = _ExprOp.CMP_REGEX

    def __init__(self, options: int, regex_str: str, cmp_str: _BaseExpr | str) -> None:
        self._children = (cmp_str,)
        self._fixed = {_Keys.REGEX_OPTIONS_KEY: options, _Keys.VALUE_KEY: regex_str}


class CmpGeo(_Compare):
    """True if the geo value ``expr0`` is within / contains ``expr1``."""

    _op = _ExprOp.CMP_GEO


class Not(_BaseExpr):
    """Boolean not."""

    _op = _ExprOp.NOT

    def __init__(self, *exprs: _BaseExpr) -> None:
        self._children = exprs


class _VarArgs(_BaseExpr):
    def __init__(self, *exprs: Any) -> None:
        self._children = (*exprs, _end_of_args())


class And(_VarArgs):
    """True if every expression is true."""

    _op = _ExprOp.AND


class Or(_VarArgs):
    """True if any expression is true."""

    _op = _ExprOp.OR


class Exclusive(_VarArgs):
    """True if exactly one expression is true."""

    _op = _ExprOp.EXCLUSIVE


class Cond(_VarArgs):
    """``test1, action1, test2, action2, ..., default``: the action of the first
    true test, else the default (server 5.6+)."""

    _op = _ExprOp.COND


class Let(_VarArgs):
    """``Def(...)``... then a scoped expression using those variables (server 5.6+)."""

    _op = _ExprOp.LET


class Def(_BaseExpr):
    """Define variable ``var_name`` as ``expr`` inside a Let."""

    _op = _ExprOp.DEF

    def __init__(self, var_name: str, expr: Any) -> None:
        self._fixed = {_Keys.VALUE_KEY: var_name}
        self._children = (expr,)


class Var(_BaseExpr):
    """The value of the Let variable ``var_name``."""

    _op = _ExprOp.VAR

    def __init__(self, var_name: str) -> None:
        self._fixed = {_Keys.VALUE_KEY: var_name}


class LoopVar(_BaseExpr):
    """A loop variable of a path expression filter (``EXP_LOOPVAR_*`` id)."""

    def __init__(self, var_id: int) -> None:
        self._fixed = {_Keys.VALUE_KEY: var_id}


class LoopVarMap(LoopVar):
    """Loop variable holding a map."""

    _op = as_const._AS_EXP_LOOPVAR_MAP


class LoopVarList(LoopVar):
    """Loop variable holding a list."""

    _op = as_const._AS_EXP_LOOPVAR_LIST


class LoopVarStr(LoopVar):
    """Loop variable holding a string."""

    _op = as_const._AS_EXP_LOOPVAR_STR


class LoopVarFloat(LoopVar):
    """Loop variable holding a float."""

    _op = as_const._AS_EXP_LOOPVAR_FLOAT


class LoopVarInt(LoopVar):
    """Loop variable holding an integer."""

    _op = as_const._AS_EXP_LOOPVAR_INT


class LoopVarBlob(LoopVar):
    """Loop variable holding bytes."""

    _op = as_const._AS_EXP_LOOPVAR_BLOB


class LoopVarBool(LoopVar):
    """Loop variable holding a boolean."""

    _op = as_const._AS_EXP_LOOPVAR_BOOL


class LoopVarNil(LoopVar):
    """Loop variable holding nil."""

    _op = as_const._AS_EXP_LOOPVAR_NIL


class LoopVarGeoJson(LoopVar):
    """Loop variable holding a GeoJSON value."""

    _op = as_const._AS_EXP_LOOPVAR_GEOJSON


class LoopVarHLL(LoopVar):
    """Loop variable holding a HyperLogLog."""

    _op = as_const._AS_EXP_LOOPVAR_HLL


class RemoveResult(_BaseExpr):
    """In ModifyByPath: remove the selected element."""

    _op = as_const._AS_EXP_CODE_REMOVE_RESULT


ResultRemove = RemoveResult


class SelectByPath(_BaseExpr):
    """Select the elements of ``bin`` reached by ``ctx`` (``EXP_PATH_SELECT_*`` flags)."""

    _op = as_const._AS_EXP_CODE_CALL_SELECT

    def __init__(self, ctx: list[Any], value_type: int, flags: int, bin: _BaseExpr) -> None:
        self._fixed = {_Keys.VALUE_TYPE_KEY: value_type, _Keys.CTX_KEY: ctx,
                       as_const._CDT_FLAGS_KEY: flags}
        self._children = (bin,)


class ModifyByPath(_BaseExpr):
    """Replace the elements of ``bin`` reached by ``ctx`` with ``mod_exp``."""

    _op = as_const._AS_EXP_CODE_CALL_APPLY

    def __init__(self, ctx: list[Any], value_type: int, mod_exp: Any, flags: int,
                 bin: _BaseExpr) -> None:
        self._fixed = {_Keys.VALUE_TYPE_KEY: value_type, _Keys.CTX_KEY: ctx,
                       as_const._CDT_FLAGS_KEY: flags, as_const._CDT_APPLY_MOD_EXP_KEY: mod_exp}
        self._children = (bin,)
