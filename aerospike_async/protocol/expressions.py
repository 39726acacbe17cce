"""Filter and operation expressions: from the helpers' compiled list to wire msgpack.

``aerospike_helpers.expressions`` compiles an expression tree into a flat
pre-order list of ``(op, result_type, fixed, child_count)`` nodes. The server
takes a msgpack tree: ``[op, args...]`` arrays, values in the collection
msgpack dialect, ``[BIN, type, name]`` for bins, and list/map/bit/HLL/string
sub-operations wrapped as ``[CALL, result type, system flags, [sub op, params...], bin]``.

The official client goes through an intermediate table of entries (one per
array header, literal, context...) whose variadic operators (And, Or, Add,
Cond, Let...) learn their argument count only when the table is packed. This
module keeps that model: each compiled node becomes a few entries (its
arguments that are children come from the following nodes), then the table is
sized and packed in two passes. That keeps the bytes identical to the
official client's, including its corner cases (optional policies that add or
drop arguments, the result type of a CDT call derived from its return type).

Sans-IO: pure functions, no I/O.
"""
from __future__ import annotations

import base64
import struct
from typing import Any

import msgpack

from .. import constants as C
from ..exceptions import ClientError, ParamError
from ..types import CDTInfinite, CDTWildcard, GeoJSON, null
from .cdt import c_string, instance_serializer, pack, pack_header, pack_raw, unserializable

__all__ = ["ExpressionError", "encode_expression", "expression_base64", "filter_data",
           "filter_field"]

INVALID_EXPRESSIONS = ("Expressions must be a non empty list of 4 element tuples, generated "
                       "by a compiled aerospike expression. For Query.where_with_expr(), it "
                       "can also be a base64 string.")


def ExpressionError(msg: str) -> ParamError:
    """The ParamError (code -2) raised for an expression that cannot be encoded."""
    return ParamError(-2, msg, None, None, False)


def _compile_failed() -> ClientError:
    """What the official client raises for an expression its C layer refuses to compile
    (a return type that does not fit, an empty context)."""
    return ClientError(-1, "as_exp_compile failed.", None, None, False)


# -- wire codes ---------------------------------------------------------------
_CODE_BIN = 81
_CODE_KEY = 80
_CODE_BIN_TYPE = 82
_CODE_NE = 2
_CODE_REGEX = 7
_CODE_NOT = 18
_CODE_VAR = 124
_CODE_LOOPVAR = 122
_CODE_CALL = 127
_CODE_QUOTE = 126
_CODE_DIGEST_MODULO = 64
_CTX_EVAL = 0xFF     # [0xff, ctx, [sub op...]]: a CDT call under a context
_CTX_SELECT = 0xFE   # path expressions (select / modify by path)
_MODIFY_APPLY = 4    # flag or-ed into ModifyByPath's flags

_SYS_CDT, _SYS_BITS, _SYS_HLL, _SYS_STRING = 0, 1, 2, 3
_MODIFY_LOCAL = 0x40

_T_NIL, _T_BOOL, _T_INT, _T_STR, _T_LIST, _T_MAP, _T_BLOB, _T_FLOAT, _T_GEO, _T_HLL = range(10)
_T_AUTO, _T_ERROR = 10, 11

# -- table entry kinds -------------------------------------------------------
(_K_OP, _K_VA, _K_END, _K_INT, _K_UINT, _K_FLOAT, _K_BOOL, _K_PACKED, _K_RAWSTR, _K_RTYPE,
 _K_LIST, _K_VOP, _K_LIST_CRMOD, _K_LIST_MOD, _K_MAP_CRMOD, _K_MAP_CR, _K_MAP_MOD,
 _K_MERGE, _K_CTX) = range(19)


class _Entry:
    __slots__ = ("code", "count", "kind", "prev", "v")

    def __init__(self, kind: int, code: int = 0, count: int = 0, v: Any = None) -> None:
        self.kind = kind
        self.code = code
        self.count = count
        self.v = v
        self.prev = -1


def _op(code: int, count: int) -> _Entry:
    return _Entry(_K_OP, code, count)


def _int(v: int) -> _Entry:
    return _Entry(_K_INT, v=v)


def _rawstr(s: str) -> _Entry:
    """A name or pattern, sent as the official client sends it: a C string, ending at its
    first NUL."""
    try:
        return _Entry(_K_RAWSTR, v=c_string(s).encode("utf-8"))
    except UnicodeEncodeError:
        raise ExpressionError("Unicode value not encoded in utf-8.") from None


def _vop(count: int, ctx: bytes | None = None) -> _Entry:
    return _Entry(_K_VOP, count=count, v=ctx)


# -- values ------------------------------------------------------------------
_MIN_I64, _MAX_I64 = -(1 << 63), (1 << 63) - 1


def _value_entry(value: Any) -> _Entry:
    """The entry of a literal value, typed as the official client types it."""
    if isinstance(value, bool):
        return _Entry(_K_BOOL, v=value)
    if isinstance(value, int):
        if not _MIN_I64 <= value <= _MAX_I64:
            raise ExpressionError("integer value exceeds sys.maxsize")
        return _Entry(_K_INT, v=value)
    if isinstance(value, float):
        return _Entry(_K_FLOAT, v=value)
    if value is None or isinstance(value, null):
        return _Entry(_K_PACKED, v=b"\xc0")
    if isinstance(value, (bytes, bytearray)):
        # any bytes at the top level, a HyperLogLog included, is a plain blob
        return _Entry(_K_PACKED, v=_pack_value(bytes(value)))
    if isinstance(value, (str, bytes, bytearray, GeoJSON, dict, CDTWildcard, CDTInfinite)):
        return _Entry(_K_PACKED, v=_pack_value(value))
    if isinstance(value, list):
        return _Entry(_K_LIST, v=_pack_value(value))
    if instance_serializer.get() is not None:   # a blob of the client's serializer
        return _Entry(_K_PACKED, v=_pack_value(value))
    raise unserializable()


def _pack_value(value: Any) -> bytes:
    try:
        return pack(value)
    except TypeError:
        raise unserializable() from None
    except OverflowError as exc:
        raise ExpressionError(str(exc)) from None
    except ValueError as exc:
        raise ExpressionError(f"Cannot serialize expression value: {exc}") from None


# -- contexts ------------------------------------------------------------------
def _ctx(ctx: Any) -> tuple[bytes, int | None]:
    """(packed context, wire type of its first item) of a documented context list."""
    from .cdt_ops import pack_ctx  # cdt_ops encodes filter contexts with this module

    if not isinstance(ctx, list):
        raise ExpressionError("Failed to convert ctx")
    if not ctx:
        raise _compile_failed()
    return pack_ctx(ctx)


def _ctx_type(first_type: int | None, default: int) -> int:
    if first_type is None:
        return default
    return _T_MAP if (first_type & 0x10) == 0 else _T_LIST


def _list_read_type(vtype: int, rtype: int, multi: bool) -> int:
    r = rtype & ~0x10000
    if r in (C.LIST_RETURN_INDEX, C.LIST_RETURN_REVERSE_INDEX, C.LIST_RETURN_RANK,
             C.LIST_RETURN_REVERSE_RANK):
        expected = _T_LIST if multi else _T_INT
    elif r == C.LIST_RETURN_COUNT:
        expected = _T_INT
    elif r == C.LIST_RETURN_VALUE:
        expected = _T_LIST if multi else vtype
    elif r == C.LIST_RETURN_EXISTS:
        expected = _T_BOOL
    else:
        return _T_ERROR
    return expected if vtype in (_T_AUTO, expected) else _T_ERROR


def _map_read_type(vtype: int, rtype: int, multi: bool) -> int:
    r = rtype & ~0x10000
    if r in (C.MAP_RETURN_INDEX, C.MAP_RETURN_REVERSE_INDEX, C.MAP_RETURN_RANK,
             C.MAP_RETURN_REVERSE_RANK):
        expected = _T_LIST if multi else _T_INT
    elif r == C.MAP_RETURN_COUNT:
        expected = _T_INT
    elif r in (C.MAP_RETURN_KEY, C.MAP_RETURN_VALUE):
        expected = _T_LIST if multi else vtype
    elif r in (C.MAP_RETURN_KEY_VALUE, C.MAP_RETURN_UNORDERED_MAP, C.MAP_RETURN_ORDERED_MAP):
        expected = _T_MAP
    elif r == C.MAP_RETURN_EXISTS:
        expected = _T_BOOL
    else:
        return _T_ERROR
    return expected if vtype in (_T_AUTO, expected) else _T_ERROR


# -- node -> entries ---------------------------------------------------------
_SIMPLE: dict[int, tuple[int, int]] = {}   # compiled op -> (wire code, array size)
for _code in (1, 2, 3, 4, 5, 6, 8, 9, 24, 25, 26, 36, 37, 38, 40, 41):   # binary
    _SIMPLE[_code] = (_code, 3)
for _code in (18, 27, 28, 29, 30, 31, 35, 39, 101, 102):                   # unary
    _SIMPLE[_code] = (_code, 2)
for _py, _wire in ((0, 0), (65, 65), (66, 66), (71, 67), (67, 68), (68, 69), (69, 70),
                   (70, 71), (72, 72), (73, 73), (74, 74), (100, 100)):   # no argument
    _SIMPLE[_py] = (_wire, 1)

_VARIADIC = {16, 17, 19, 20, 21, 22, 23, 32, 33, 34, 50, 51, 123, 125}
_END_OF_ARGS = 150
_BIT_FLAGS = 153
_VAL, _AS_VAL = 200, 128
_LIST_CRMOD, _LIST_MOD, _MAP_CRMOD, _MAP_CR, _MAP_MOD = 140, 141, 142, 143, 144

_LOOPVAR_TYPES = {
    C._AS_EXP_LOOPVAR_FLOAT: _T_FLOAT, C._AS_EXP_LOOPVAR_INT: _T_INT,
    C._AS_EXP_LOOPVAR_LIST: _T_LIST, C._AS_EXP_LOOPVAR_MAP: _T_MAP,
    C._AS_EXP_LOOPVAR_STR: _T_STR, C._AS_EXP_LOOPVAR_BOOL: _T_BOOL,
    C._AS_EXP_LOOPVAR_BLOB: _T_BLOB, C._AS_EXP_LOOPVAR_NIL: _T_NIL,
    C._AS_EXP_LOOPVAR_GEOJSON: _T_GEO, C._AS_EXP_LOOPVAR_HLL: _T_HLL,
}

# list reads: op -> (sub op, parameter count, multi, takes value_type, sends return type)
_LIST_READ = {
    C.OP_LIST_SIZE: (16, 0, False, False, False),
    C.OP_LIST_GET_BY_INDEX: (19, 2, False, True, True),
    C.OP_LIST_GET_BY_RANK: (21, 2, False, True, True),
    C.OP_LIST_GET_BY_VALUE: (22, 2, True, False, True),
    C.OP_LIST_GET_BY_VALUE_LIST: (23, 2, True, False, True),
    C.OP_LIST_GET_BY_INDEX_RANGE_TO_END: (24, 2, True, False, True),
    C.OP_LIST_GET_BY_INDEX_RANGE: (24, 3, True, False, True),
    C.OP_LIST_GET_BY_VALUE_RANGE: (25, 3, True, False, True),
    C.OP_LIST_GET_BY_RANK_RANGE_TO_END: (26, 2, True, False, True),
    C.OP_LIST_GET_BY_RANK_RANGE: (26, 3, True, False, True),
    C.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL_TO_END: (27, 3, True, False, True),
    C.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL: (27, 4, True, False, True),
}
_MAP_READ = {
    C.OP_MAP_SIZE: (96, 0, False, False, False),
    C.OP_MAP_GET_BY_KEY: (97, 2, False, True, True),
    C.OP_MAP_GET_BY_INDEX: (98, 2, False, True, True),
    C.OP_MAP_GET_BY_RANK: (100, 2, False, True, True),
    C.OP_MAP_GET_BY_VALUE: (102, 2, True, False, True),
    C.OP_MAP_GET_BY_KEY_RANGE: (103, 3, True, False, True),
    C.OP_MAP_GET_BY_INDEX_RANGE_TO_END: (104, 2, True, False, True),
    C.OP_MAP_GET_BY_INDEX_RANGE: (104, 3, True, False, True),
    C.OP_MAP_GET_BY_VALUE_RANGE: (105, 3, True, False, True),
    C.OP_MAP_GET_BY_RANK_RANGE_TO_END: (106, 2, True, False, True),
    C.OP_MAP_GET_BY_RANK_RANGE: (106, 3, True, False, True),
    C.OP_MAP_GET_BY_KEY_LIST: (107, 2, True, False, True),
    C.OP_MAP_GET_BY_VALUE_LIST: (108, 2, True, False, True),
    C.OP_MAP_GET_BY_KEY_REL_INDEX_RANGE_TO_END: (109, 3, True, False, True),
    C.OP_MAP_GET_BY_KEY_REL_INDEX_RANGE: (109, 4, True, False, True),
    C.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL_TO_END: (110, 3, True, False, True),
    C.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL: (110, 4, True, False, True),
}
# list/map modifications: op -> (sub op, parameter count, extra parameters a policy adds,
# return type: None = not sent, -1 = the node's, else that constant)
_RT = -1
_LIST_MODIFY = {
    C.OP_LIST_APPEND: (1, 1, 2, None),
    C.OP_LIST_APPEND_ITEMS: (2, 1, 2, None),
    C.OP_LIST_INSERT: (3, 2, 1, None),
    C.OP_LIST_INSERT_ITEMS: (4, 2, 1, None),
    C.OP_LIST_SET: (9, 2, 1, None),
    C.OP_LIST_CLEAR: (11, 0, 0, None),
    C.OP_LIST_INCREMENT: (12, 2, 2, None),
    C.OP_LIST_SORT: (13, 1, 0, None),
    C.OP_LIST_REMOVE_BY_INDEX: (32, 2, 0, 0),
    C.OP_LIST_REMOVE_BY_RANK: (34, 2, 0, 0),
    C.OP_LIST_REMOVE_BY_VALUE: (35, 2, 0, _RT),
    C.OP_LIST_REMOVE_BY_VALUE_LIST: (36, 2, 0, _RT),
    C.OP_LIST_REMOVE_BY_INDEX_RANGE_TO_END: (37, 2, 0, _RT),
    C.OP_LIST_REMOVE_BY_INDEX_RANGE: (37, 3, 0, _RT),
    C.OP_LIST_REMOVE_BY_VALUE_RANGE: (38, 3, 0, _RT),
    C.OP_LIST_REMOVE_BY_RANK_RANGE_TO_END: (39, 2, 0, _RT),
    C.OP_LIST_REMOVE_BY_RANK_RANGE: (39, 3, 0, _RT),
    C.OP_LIST_REMOVE_BY_REL_RANK_RANGE_TO_END: (40, 3, 0, _RT),
    C.OP_LIST_REMOVE_BY_REL_RANK_RANGE: (40, 4, 0, _RT),
}
_MAP_MODIFY = {
    C.OP_MAP_PUT: (67, 2, 2, None),
    C.OP_MAP_PUT_ITEMS: (68, 1, 2, None),
    C.OP_MAP_INCREMENT: (73, 2, 1, None),
    C.OP_MAP_CLEAR: (75, 0, 0, None),
    C.OP_MAP_REMOVE_BY_KEY: (76, 2, 0, 0),
    C.OP_MAP_REMOVE_BY_INDEX: (77, 2, 0, 0),
    C.OP_MAP_REMOVE_BY_RANK: (79, 2, 0, 0),
    C.OP_MAP_REMOVE_BY_KEY_LIST: (81, 2, 0, _RT),
    C.OP_MAP_REMOVE_BY_VALUE: (82, 2, 0, _RT),
    C.OP_MAP_REMOVE_BY_VALUE_LIST: (83, 2, 0, _RT),
    C.OP_MAP_REMOVE_BY_KEY_RANGE: (84, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_INDEX_RANGE_TO_END: (85, 2, 0, _RT),
    C.OP_MAP_REMOVE_BY_INDEX_RANGE: (85, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_VALUE_RANGE: (86, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_RANK_RANGE_TO_END: (87, 2, 0, _RT),
    C.OP_MAP_REMOVE_BY_RANK_RANGE: (87, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE_TO_END: (88, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_KEY_REL_INDEX_RANGE: (88, 4, 0, _RT),
    C.OP_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE_TO_END: (89, 3, 0, _RT),
    C.OP_MAP_REMOVE_BY_VALUE_REL_RANK_RANGE: (89, 4, 0, _RT),
}
# bit / HLL / string calls: op -> (system, result type, sub op, parameter count)
_SYS_CALLS = {
    C.OP_BIT_RESIZE: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 0, 3),
    C.OP_BIT_INSERT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 1, 3),
    C.OP_BIT_REMOVE: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 2, 3),
    C.OP_BIT_SET: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 3, 4),
    C.OP_BIT_OR: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 4, 4),
    C.OP_BIT_XOR: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 5, 4),
    C.OP_BIT_AND: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 6, 4),
    C.OP_BIT_NOT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 7, 3),
    C.OP_BIT_LSHIFT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 8, 4),
    C.OP_BIT_RSHIFT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 9, 4),
    C.OP_BIT_ADD: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 10, 5),
    C.OP_BIT_SUBTRACT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 11, 5),
    C.OP_BIT_SET_INT: (_SYS_BITS | _MODIFY_LOCAL, _T_BLOB, 12, 4),
    C.OP_BIT_GET: (_SYS_BITS, _T_BLOB, 50, 2),
    C.OP_BIT_COUNT: (_SYS_BITS, _T_INT, 51, 2),
    C.OP_BIT_LSCAN: (_SYS_BITS, _T_INT, 52, 3),
    C.OP_BIT_RSCAN: (_SYS_BITS, _T_INT, 53, 3),
    C.OP_BIT_GET_INT: (_SYS_BITS, _T_INT, 54, 3),
    C._OP_BIT_B64_ENCODE: (_SYS_BITS, _T_STR, 55, 0),
    C._OP_BIT_B64_ENCODE_RANGE: (_SYS_BITS, _T_STR, 55, 3),
    C.OP_HLL_INIT: (_SYS_HLL | _MODIFY_LOCAL, _T_HLL, 0, 3),
    C.OP_HLL_ADD: (_SYS_HLL | _MODIFY_LOCAL, _T_HLL, 1, 4),
    C.OP_HLL_GET_COUNT: (_SYS_HLL, _T_INT, 50, 0),
    C.OP_HLL_GET_UNION: (_SYS_HLL, _T_HLL, 51, 1),
    C.OP_HLL_GET_UNION_COUNT: (_SYS_HLL, _T_INT, 52, 1),
    C.OP_HLL_GET_INTERSECT_COUNT: (_SYS_HLL, _T_INT, 53, 1),
    C.OP_HLL_GET_SIMILARITY: (_SYS_HLL, _T_FLOAT, 54, 1),
    C.OP_HLL_DESCRIBE: (_SYS_HLL, _T_LIST, 55, 0),
    C.OP_HLL_MAY_CONTAIN: (_SYS_HLL, _T_INT, 56, 1),
}


# string calls: op -> (result type, sub op, arguments after the sub op). An argument is
# (kind, key): "i" an integer, "s" a string, "pair" the strings of key and "replacement"
# as a quoted list, "list" a quoted list, "flags" the string policy's write flags.
_STR_READ = {
    C._OP_STRING_STRLEN: (_T_INT, 0, ()),
    C._OP_STRING_SUBSTR: (_T_STR, 1, (("i", "start"),)),
    C._OP_STRING_SUBSTR_RANGE: (_T_STR, 1, (("i", "start"), ("i", "end"))),
    C._OP_STRING_CHAR_AT: (_T_STR, 2, (("i", "index"),)),
    C._OP_STRING_FIND: (_T_INT, 3, (("s", "needle"), ("i", "occurrence"))),
    C._OP_STRING_CONTAINS: (_T_BOOL, 4, (("s", "needle"),)),
    C._OP_STRING_STARTS_WITH: (_T_BOOL, 5, (("s", "prefix"),)),
    C._OP_STRING_ENDS_WITH: (_T_BOOL, 6, (("s", "suffix"),)),
    C._OP_STRING_TO_INTEGER: (_T_INT, 7, ()),
    C._OP_STRING_TO_DOUBLE: (_T_FLOAT, 8, ()),
    C._OP_STRING_BYTE_LENGTH: (_T_INT, 9, ()),
    C._OP_STRING_IS_NUMERIC: (_T_BOOL, 10, (("i", "numeric_type"),)),
    C._OP_STRING_IS_UPPER: (_T_BOOL, 11, ()),
    C._OP_STRING_IS_LOWER: (_T_BOOL, 12, ()),
    C._OP_STRING_TO_BLOB: (_T_BLOB, 13, ()),
    C._OP_STRING_SPLIT: (_T_LIST, 14, ()),
    C._OP_STRING_SPLIT_SEPARATOR: (_T_LIST, 14, (("s", "separator"),)),
    C._OP_STRING_B64_DECODE: (_T_BLOB, 15, ()),
    C._OP_STRING_REGEX_COMPARE: (_T_BOOL, 16, (("s", "pattern"), ("i", "regex_flags"))),
}
_STR_MODIFY = {
    C._OP_STRING_INSERT: (50, (("i", "index"), ("s", "val"))),
    C._OP_STRING_OVERWRITE: (51, (("i", "index"), ("s", "val"))),
    C._OP_STRING_CONCAT: (52, (("list", "val"),)),
    C._OP_STRING_SNIP: (53, (("i", "start"), ("i", "end"))),
    C._OP_STRING_SNIP_START: (53, (("i", "start"),)),
    C._OP_STRING_REPLACE: (54, (("pair", "needle"),)),
    C._OP_STRING_REPLACE_ALL: (55, (("pair", "needle"),)),
    C._OP_STRING_UPPER: (56, ()),
    C._OP_STRING_LOWER: (57, ()),
    C._OP_STRING_CASE_FOLD: (58, ()),
    C._OP_STRING_NORMALIZE_NFC: (59, ()),
    C._OP_STRING_TRIM_START: (60, ()),
    C._OP_STRING_TRIM_END: (61, ()),
    C._OP_STRING_TRIM: (62, ()),
    C._OP_STRING_PAD_START: (63, (("i", "target_length"), ("s", "pad_string"))),
    C._OP_STRING_PAD_END: (64, (("i", "target_length"), ("s", "pad_string"))),
    C._OP_STRING_REPEAT: (65, (("i", "count"),)),
    C._OP_STRING_REGEX_REPLACE: (66, (("pair", "pattern"), ("i", "regex_flags"))),
    C._OP_STRING_APPEND: (67, (("s", "val"),)),
    C._OP_STRING_PREPEND: (68, (("s", "val"),)),
}
_OP_LIST_JOIN, _OP_LIST_JOIN_SEPARATOR = 1042, 1043
_LIST_JOIN = 28      # CDT sub op of ListJoin
_CODE_TO_STR = 99    # ToString is a plain expression op, not a string call
_SIMPLE[C._OP_STRING_TO_STRING] = (_CODE_TO_STR, 2)


def _str_value(fixed: dict, key: str) -> _Entry:
    v = fixed.get(key)
    if not isinstance(v, str):
        raise ExpressionError("String value required")
    return _Entry(_K_PACKED, v=_pack_value(v))   # packed as a C string, as every str


def _str_args(args: tuple, fixed: dict, out: list[_Entry]) -> None:
    for kind, key in args:
        if kind == "i":
            v = _fixed_int(fixed, key, key)
            out.append(_value_entry(v))
        elif kind == "s":
            out.append(_str_value(fixed, key))
        elif kind == "pair":
            pair = [_str_value(fixed, key), _str_value(fixed, "replacement")]
            out.append(_Entry(_K_PACKED, v=b"\x92" + _pack_int(_CODE_QUOTE) + b"\x92"
                              + pair[0].v + pair[1].v))
        else:
            values = fixed.get(key)
            if not isinstance(values, list):
                raise ExpressionError("Value must be a list")
            out.append(_Entry(_K_LIST, v=_pack_value(values)))


def _str_flags(fixed: dict) -> int:
    policy = fixed.get(C._STR_EXP_POLICY_KEY)
    if policy is None:
        return 0
    flags = getattr(policy, "write_flags", None)
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise ExpressionError("Unable to get write flags from string policy")
    return int(flags)


def _string_entries(op: int, fixed: dict, out: list[_Entry]) -> bool:
    """Append a string call (or ListJoin); False when ``op`` is neither."""
    read = _STR_READ.get(op)
    if read is not None:
        rtype, sub_op, args = read
        out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=rtype), _int(_SYS_STRING),
                _vop(1 + len(args)), _int(sub_op))
        _str_args(args, fixed, out)
        return True
    modify = _STR_MODIFY.get(op)
    if modify is not None:
        sub_op, args = modify
        flags = _str_flags(fixed)
        with_flags = op != C._OP_STRING_SNIP_START   # snip to the end has no room for them
        out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=_T_STR),
                _int(_SYS_STRING | _MODIFY_LOCAL),
                _vop(1 + len(args) + with_flags), _int(sub_op))
        _str_args(args, fixed, out)
        if with_flags:
            out.append(_int(flags))
        return True
    if op in (_OP_LIST_JOIN, _OP_LIST_JOIN_SEPARATOR):
        ctx, _first = _node_ctx(fixed)
        sep = op == _OP_LIST_JOIN_SEPARATOR
        out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=_T_STR), _int(_SYS_CDT),
                _vop(1 + sep, ctx), _int(_LIST_JOIN))
        if sep:
            out.append(_str_value(fixed, C._STR_EXP_SEPARATOR_KEY))
        return True
    return False


def _fixed_int(fixed: dict, key: str, what: str) -> int:
    v = fixed.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ExpressionError(f"{what} must be an integer")
    if not _MIN_I64 <= v <= _MAX_I64:
        raise ExpressionError("val too large")
    return v


def _fixed_str(fixed: dict, key: str, what: str) -> str:
    v = fixed.get(key)
    if not isinstance(v, str):
        raise ExpressionError(f"{what} must be a string")
    return v


def _policy_dict(fixed: dict, key: str, what: str) -> dict | None:
    pol = fixed.get(key)
    if pol is None:
        return None
    if not isinstance(pol, dict):
        raise ExpressionError(f"{what} should be a dict")
    return pol or None


def _uint_flags(pol: dict, key: str) -> int:
    v = pol.get(key, 0) or 0
    if not isinstance(v, int):
        raise ExpressionError(f"{key} must be an integer")
    return v


def _node_entries(op: int, rt: Any, fixed: dict, out: list[_Entry]) -> None:
    """Append the entries of one compiled node (its children follow as further nodes)."""
    simple = _SIMPLE.get(op)
    if simple is not None:
        out.append(_op(*simple))
        return
    if op in _VARIADIC:
        out.append(_Entry(_K_VA, op))
        return
    if op == _VAL or op == _AS_VAL:
        if "val" not in fixed:
            raise ExpressionError("Val expression has no value")
        out.append(_value_entry(fixed["val"]))
        return
    if op == _CODE_BIN:
        name = fixed.get("bin")
        if not isinstance(name, str):
            raise ExpressionError("Bin name must be a string")
        out += (_op(_CODE_BIN, 3), _int(rt or 0), _rawstr(name))
        return
    if op == _CODE_KEY:
        out += (_op(_CODE_KEY, 2), _int(rt or 0))
        return
    if op == _CODE_BIN_TYPE or op == 83:   # BinType, BinExists (type != undefined)
        name = fixed.get("bin")
        if not isinstance(name, str):
            raise ExpressionError("Bin name must be a string")
        if op == 83:
            out.append(_op(_CODE_NE, 3))
        out += (_op(_CODE_BIN_TYPE, 2), _rawstr(name))
        if op == 83:
            out.append(_int(0))
        return
    if op == _END_OF_ARGS:
        out.append(_Entry(_K_END))
        return
    if op == _CODE_DIGEST_MODULO:
        out += (_op(_CODE_DIGEST_MODULO, 2), _int(_fixed_int(fixed, "val", "DigestMod mod")))
        return
    if op == _CODE_REGEX:
        options = _fixed_int(fixed, "regex_options", "regex options")
        regex = fixed.get("val")
        if not isinstance(regex, str):
            raise ExpressionError("regex_str must be a string.")
        out += (_op(_CODE_REGEX, 4), _int(options), _rawstr(regex))
        return
    if op == 126:   # Def: the name, then the value (a child)
        out.append(_rawstr(_fixed_str(fixed, "val", "Def variable name")))
        return
    if op == _CODE_VAR:
        out += (_op(_CODE_VAR, 2), _rawstr(_fixed_str(fixed, "val", "Var variable name")))
        return
    if op == _BIT_FLAGS:
        out.append(_Entry(_K_UINT, v=_fixed_int(fixed, "val", "bit flags")))
        return
    if _LIST_CRMOD <= op <= _MAP_MOD:
        if op <= _LIST_MOD:
            pol = _policy_dict(fixed, "list_policy", "List policy")
            v = None if pol is None else ((_uint_flags(pol, "list_order"),
                                           _uint_flags(pol, "write_flags")))
            out.append(_Entry(_K_LIST_CRMOD if op == _LIST_CRMOD else _K_LIST_MOD, v=v))
        else:
            pol = _policy_dict(fixed, "map_policy", "Map policy")
            v = None if pol is None else _map_policy(pol)
            out.append(_Entry(_K_MAP_CRMOD + (op - _MAP_CRMOD), v=v))
        return
    loop_type = _LOOPVAR_TYPES.get(op)
    if loop_type is not None:
        out += (_op(_CODE_LOOPVAR, 3), _int(loop_type),
                _int(_fixed_int(fixed, "val", "Loop variable id")))
        return
    if op in (C._AS_EXP_CODE_CALL_SELECT, C._AS_EXP_CODE_CALL_APPLY):
        _path_entries(op, fixed, out)
        return
    spec = _LIST_READ.get(op)
    if spec is not None:
        _cdt_read(spec, fixed, out, _list_read_type, C.LIST_RETURN_COUNT)
        return
    spec = _MAP_READ.get(op)
    if spec is not None:
        _cdt_read(spec, fixed, out, _map_read_type, C.MAP_RETURN_COUNT)
        return
    mod = _LIST_MODIFY.get(op)
    if mod is not None:
        _cdt_modify(mod, fixed, out, _T_LIST, "list_policy")
        if op == C.OP_LIST_SORT:
            out.append(_int(_fixed_int(fixed, "list_order", "List sort order")))
        return
    mod = _MAP_MODIFY.get(op)
    if mod is not None:
        _cdt_modify(mod, fixed, out, _T_MAP, "map_policy")
        return
    call = _SYS_CALLS.get(op)
    if call is not None:
        system, rtype, sub_op, n_params = call
        out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=rtype), _int(system),
                _vop(1 + n_params), _int(sub_op))
        return
    if _string_entries(op, fixed, out):
        return
    raise ExpressionError(f"Unrecognised expression op type: {op!r}")


def _map_policy(pol: dict) -> tuple[int, int]:
    attr = _uint_flags(pol, "map_order")
    if pol.get("persist_index"):
        attr |= 0x10
    return attr, _uint_flags(pol, "map_write_flags")


def _node_ctx(fixed: dict) -> tuple[bytes | None, int | None]:
    ctx = fixed.get("ctx")
    if ctx is None:
        return None, None
    return _ctx(ctx)


def _cdt_read(spec: tuple, fixed: dict, out: list[_Entry], typer: Any, count_rt: int) -> None:
    sub_op, n_params, multi, has_vtype, sends_rt = spec
    ctx, _first = _node_ctx(fixed)
    if sends_rt:
        rtype = _fixed_int(fixed, "return_type", "return_type")
    else:
        rtype = count_rt
    vtype = _fixed_int(fixed, "value_type", "value_type") if has_vtype else _T_AUTO
    out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=typer(vtype, rtype, multi)), _int(_SYS_CDT),
            _vop(1 + n_params, ctx), _int(sub_op))
    if sends_rt:
        out.append(_int(rtype))


def _cdt_modify(spec: tuple, fixed: dict, out: list[_Entry], default_type: int,
                policy_key: str) -> None:
    sub_op, n_params, extra, rt = spec
    ctx, first = _node_ctx(fixed)
    pol = fixed.get(policy_key)
    has_pol = isinstance(pol, dict) and bool(pol)
    out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=_ctx_type(first, default_type)),
            _int(_SYS_CDT | _MODIFY_LOCAL), _vop(1 + n_params + (extra if has_pol else 0), ctx),
            _int(sub_op))
    if rt is not None:
        out.append(_int(_fixed_int(fixed, "return_type", "return_type") if rt == _RT else rt))


def _path_entries(op: int, fixed: dict, out: list[_Entry]) -> None:
    vtype = _fixed_int(fixed, "value_type", "value_type")
    flags = _fixed_int(fixed, C._CDT_FLAGS_KEY, "flags")
    ctx = fixed.get("ctx")
    if not isinstance(ctx, list):
        raise ExpressionError("Context should be a list of cdt_ctx objects")
    from .cdt_ops import pack_ctx

    packed_ctx = pack_ctx(ctx)[0]
    if op == C._AS_EXP_CODE_CALL_SELECT:
        out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=vtype), _int(_SYS_CDT), _vop(3),
                _int(_CTX_SELECT), _Entry(_K_CTX, v=packed_ctx), _int(flags))
        return
    if C._CDT_APPLY_MOD_EXP_KEY not in fixed:
        raise ExpressionError("mod_exp is required for cdt_apply() expression.")
    mod = encode_expression(fixed[C._CDT_APPLY_MOD_EXP_KEY])
    out += (_op(_CODE_CALL, 5), _Entry(_K_RTYPE, v=vtype), _int(_SYS_CDT | _MODIFY_LOCAL),
            _vop(4), _int(_CTX_SELECT), _Entry(_K_CTX, v=packed_ctx),
            _int(flags | _MODIFY_APPLY), _Entry(_K_MERGE, v=mod))


# -- packing -----------------------------------------------------------------
_pack_int = msgpack.Packer(use_bin_type=False).pack
_DOUBLE = struct.Struct(">d")


def _array(out: bytearray, n: int) -> None:
    pack_header(out, n, 0x90, 15, 0xDC, 0xDD)


def _compile(table: list[_Entry]) -> bytes:
    """Size the variadic arrays, then pack the table (the official two-pass compile)."""
    prev = -1
    for i, e in enumerate(table):
        if prev != -1:
            table[prev].count += 1
        if e.count and prev != -1:
            table[prev].count -= e.count - 1
        kind = e.kind
        if kind in (_K_LIST_CRMOD, _K_MAP_CRMOD):
            if prev != -1:
                table[prev].count += 1 if e.v is not None else -1
        elif kind in (_K_LIST_MOD, _K_MAP_CR, _K_MAP_MOD):
            if e.v is None and prev != -1:
                table[prev].count -= 1
        elif kind == _K_END:
            if prev == -1:
                raise ExpressionError("Invalid expression: end of arguments without an "
                                      "operator taking a variable number of them")
            prev = table[prev].prev
        elif kind == _K_VOP:
            if prev != -1:
                table[prev].count -= 1
        elif kind == _K_RTYPE:
            if e.v == _T_ERROR:   # a return type that does not fit the value type
                raise _compile_failed()
        elif kind == _K_VA:
            e.count = 0
            e.prev = prev
            prev = i
    if prev != -1:
        raise ExpressionError("Invalid expression: missing end of variable arguments")

    out = bytearray()
    for e in table:
        kind = e.kind
        if e.count and kind != _K_VOP:
            _array(out, e.count)
        if kind == _K_OP or kind == _K_VA:
            out += _pack_int(e.code)
        elif kind == _K_INT or kind == _K_RTYPE or kind == _K_UINT:
            out += _pack_int(e.v)
        elif kind == _K_PACKED:
            out += e.v
        elif kind == _K_RAWSTR:
            pack_raw(out, e.v)
        elif kind == _K_FLOAT:
            out += b"\xcb" + _DOUBLE.pack(e.v)
        elif kind == _K_BOOL:
            out += b"\xc3" if e.v else b"\xc2"
        elif kind == _K_LIST:
            out += b"\x92" + _pack_int(_CODE_QUOTE) + e.v
        elif kind == _K_VOP:
            if e.v is not None:
                out += b"\x93" + _pack_int(_CTX_EVAL) + e.v
            _array(out, e.count)
        elif kind == _K_LIST_CRMOD or kind == _K_MAP_CRMOD:
            if e.v is not None:
                out += _pack_int(e.v[0]) + _pack_int(e.v[1])
        elif kind == _K_LIST_MOD or kind == _K_MAP_MOD:
            if e.v is not None:
                out += _pack_int(e.v[1])
        elif kind == _K_MAP_CR:
            if e.v is not None:
                out += _pack_int(e.v[0])
        elif kind == _K_MERGE or kind == _K_CTX:
            out += e.v
    return bytes(out)


def encode_expression(compiled: Any) -> bytes:
    """The wire msgpack of a compiled expression (``expr.compile()``).

    Raises ParamError (code -2) when ``compiled`` is not a compiled expression
    or cannot be encoded.
    """
    if not isinstance(compiled, list) or not compiled:
        raise ExpressionError(INVALID_EXPRESSIONS)
    table: list[_Entry] = []
    for node in compiled:
        if not isinstance(node, tuple) or len(node) != 4:
            raise ExpressionError("Expressions must be a non empty list of 4 element tuples, "
                                  "generated by a compiled aerospike expression")
        op, rt, fixed, _n = node
        if not isinstance(op, int) or isinstance(op, bool):
            raise ExpressionError("Failed to get op from expression tuple, op must be an int.")
        if rt is not None and (not isinstance(rt, int) or isinstance(rt, bool)):
            raise ExpressionError("Failed to get result_type from expression tuple, rt must "
                                  "be an int.")
        if fixed is None:
            fixed = {}
        elif not isinstance(fixed, dict):
            raise ExpressionError("Failed to get fixed dictionary from expression tuple, "
                                  "fixed must be a dict.")
        _node_entries(op, rt, fixed, table)
    return _compile(table)


def expression_base64(compiled: Any) -> str:
    """``get_expression_base64``: the base64 text of a compiled expression's wire bytes."""
    return base64.b64encode(encode_expression(compiled)).decode("ascii")


_FIELD_HEADER = struct.Struct(">IB")
_FIELD_FILTER_EXP = 43


def filter_data(expressions: Any) -> bytes:
    """The data of a policy's ``expressions``: a compiled expression, or bytes already
    encoded (as the batch and query paths accept)."""
    if isinstance(expressions, (bytes, bytearray)):
        return bytes(expressions)
    return encode_expression(expressions)


def filter_field(expressions: Any) -> bytes:
    """The whole FILTER_EXP field (type 43) of a policy's ``expressions``."""
    data = filter_data(expressions)
    return _FIELD_HEADER.pack(len(data) + 1, _FIELD_FILTER_EXP) + data


_INDEX_TYPE_NAMES = {1: "LIST", 2: "MAPKEYS", 3: "MAPVALUES"}
_INDEX_DATATYPE_NAMES = {0: "STRING", 1: "NUMERIC", 2: "GEO2DSPHERE", 3: "BLOB", 4: "NUMERIC"}


def sindex_create_exp_command(namespace: str, set_name: str | None, index_name: str,
                              index_type: int, datatype: int, expression: Any) -> str:
    """The ``sindex-create`` info command of an expression index (``index_expr_create``),
    options in the official client's order."""
    parts = [f"sindex-create:namespace={namespace}"]
    if set_name:
        parts.append(f"set={set_name}")
    parts.append(f"indexname={index_name}")
    parts.append("exp=" + expression_base64(expression))
    kind = _INDEX_TYPE_NAMES.get(index_type)
    if kind:
        parts.append(f"indextype={kind}")
    parts.append(f"type={_INDEX_DATATYPE_NAMES[datatype]}")
    return ";".join(parts)
