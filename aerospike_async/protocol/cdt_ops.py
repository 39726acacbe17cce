"""Encoding list, map and path operations (``list_operations``, ``map_operations``,
``operations.select_by_path``) into CDT wire operations.

A CDT operation is wire op 3 (CDT read) or 4 (CDT modify) on a bin, particle type
blob, whose value is the msgpack array ``[cdt_op, args...]`` in Aerospike's dialect.
With a context the array is wrapped: ``[0xff, [ctx_type, ctx_value, ...], [cdt_op,
args...]]``. Argument order and optional arguments follow the official C client, so
that requests are byte-identical to the recorded ones (``wire-vectors/list.jsonl``,
``map.jsonl``, ``path.jsonl``). Map operations make the command respond with every
operation's result (info2 RESPOND_ALL_OPS), as the official client does.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from .. import constants as C
from ..exceptions import BinNameError, ParamError
from . import message as M
from .cdt import pack, unserializable
from .record import op_header

PARTICLE_BLOB = 4
INVERTED = 0x10000
CTX_WRAPPER = 0xFF
PATH_OP = 0xFE

# list op codes on the wire
LIST_SET_TYPE = 0
LIST_APPEND = 1
LIST_APPEND_ITEMS = 2
LIST_INSERT = 3
LIST_INSERT_ITEMS = 4
LIST_POP = 5
LIST_POP_RANGE = 6
LIST_REMOVE = 7
LIST_REMOVE_RANGE = 8
LIST_SET = 9
LIST_TRIM = 10
LIST_CLEAR = 11
LIST_INCREMENT = 12
LIST_SORT = 13
LIST_SIZE = 16
LIST_GET = 17
LIST_GET_RANGE = 18
LIST_GET_BY_INDEX = 19
LIST_GET_BY_RANK = 21
LIST_GET_ALL_BY_VALUE = 22
LIST_GET_BY_VALUE_LIST = 23
LIST_GET_BY_INDEX_RANGE = 24
LIST_GET_BY_VALUE_INTERVAL = 25
LIST_GET_BY_RANK_RANGE = 26
LIST_GET_BY_VALUE_REL_RANK_RANGE = 27
LIST_JOIN = 28
LIST_REMOVE_BY_INDEX = 32
LIST_REMOVE_BY_RANK = 34
LIST_REMOVE_ALL_BY_VALUE = 35
LIST_REMOVE_BY_VALUE_LIST = 36
LIST_REMOVE_BY_INDEX_RANGE = 37
LIST_REMOVE_BY_VALUE_INTERVAL = 38
LIST_REMOVE_BY_RANK_RANGE = 39
LIST_REMOVE_BY_VALUE_REL_RANK_RANGE = 40

# map op codes on the wire
MAP_SET_TYPE = 64
MAP_ADD = 65
MAP_ADD_ITEMS = 66
MAP_PUT = 67
MAP_PUT_ITEMS = 68
MAP_REPLACE = 69
MAP_REPLACE_ITEMS = 70
MAP_INCREMENT = 73
MAP_DECREMENT = 74
MAP_CLEAR = 75
MAP_REMOVE_BY_KEY = 76
MAP_REMOVE_BY_INDEX = 77
MAP_REMOVE_BY_RANK = 79
MAP_REMOVE_BY_KEY_LIST = 81
MAP_REMOVE_ALL_BY_VALUE = 82
MAP_REMOVE_BY_VALUE_LIST = 83
MAP_REMOVE_BY_KEY_INTERVAL = 84
MAP_REMOVE_BY_INDEX_RANGE = 85
MAP_REMOVE_BY_VALUE_INTERVAL = 86
MAP_REMOVE_BY_RANK_RANGE = 87
MAP_REMOVE_BY_KEY_REL_INDEX_RANGE = 88
MAP_REMOVE_BY_VALUE_REL_RANK_RANGE = 89
MAP_SIZE = 96
MAP_GET_BY_KEY = 97
MAP_GET_BY_INDEX = 98
MAP_GET_BY_RANK = 100
MAP_GET_ALL_BY_VALUE = 102
MAP_GET_BY_KEY_INTERVAL = 103
MAP_GET_BY_INDEX_RANGE = 104
MAP_GET_BY_VALUE_INTERVAL = 105
MAP_GET_BY_RANK_RANGE = 106
MAP_GET_BY_KEY_LIST = 107
MAP_GET_BY_VALUE_LIST = 108
MAP_GET_BY_KEY_REL_INDEX_RANGE = 109
MAP_GET_BY_VALUE_REL_RANK_RANGE = 110

# context types on the wire
CTX_EXP = 0x04
CTX_LIST_INDEX = 0x10
CTX_LIST_RANK = 0x11
CTX_LIST_VALUE = 0x13
CTX_MAP_INDEX = 0x20
CTX_MAP_RANK = 0x21
CTX_MAP_KEY = 0x22
CTX_MAP_VALUE = 0x23
CTX_MAP_KEYS_IN = 0x2A
CTX_AND = 0x200

LIST_ORDERED_FLAG = 1
MAP_MODE_CREATE_ONLY = 1  # legacy ``map_write_mode`` values (MAP_CREATE_ONLY, MAP_UPDATE_ONLY)
MAP_MODE_UPDATE_ONLY = 2
PERSIST_INDEX = 0x10


def _perr(msg: str) -> ParamError:
    return ParamError(-2, msg, None, None, False)


def _array_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x90 | n,))
    if n < 0x10000:
        return b"\xdc" + struct.pack(">H", n)
    return b"\xdd" + struct.pack(">I", n)


class RawMsgpack(bytes):
    """Bytes that are already msgpack (a filter expression inside a context)."""


def _pack_one(value: Any) -> bytes:
    return value if isinstance(value, RawMsgpack) else pack(value)


def _pack_args(args: list[Any]) -> bytes:
    try:
        return _array_header(len(args)) + b"".join(_pack_one(a) for a in args)
    except TypeError:
        raise unserializable() from None
    except OverflowError as exc:
        raise _perr(str(exc)) from None
    except ValueError as exc:
        raise _perr(f"Cannot serialize CDT operation argument: {exc}") from None


def list_order_flag(order: int, pad: bool) -> int:
    """The create flag a list context carries (C client's ``as_list_order_to_flag``)."""
    return 0xC0 if order == C.LIST_ORDERED else (0x80 if pad else 0x40)


def map_order_flag(order: int) -> int:
    """The create flag a map context carries (C client's ``as_map_order_to_flag``)."""
    if order == C.MAP_KEY_ORDERED:
        return 0x80
    if order == C.MAP_KEY_VALUE_ORDERED:
        return 0xC0
    return 0x40


_CTX_TYPES = {
    C.CDT_CTX_LIST_INDEX: CTX_LIST_INDEX,
    C.CDT_CTX_LIST_RANK: CTX_LIST_RANK,
    C.CDT_CTX_LIST_VALUE: CTX_LIST_VALUE,
    C.CDT_CTX_MAP_INDEX: CTX_MAP_INDEX,
    C.CDT_CTX_MAP_RANK: CTX_MAP_RANK,
    C.CDT_CTX_MAP_KEY: CTX_MAP_KEY,
    C.CDT_CTX_MAP_VALUE: CTX_MAP_VALUE,
    C._AS_CDT_CTX_MAP_KEYS_IN: CTX_MAP_KEYS_IN,
}


_CTX_INT_TYPES = frozenset({C.CDT_CTX_LIST_INDEX, C.CDT_CTX_LIST_RANK, C.CDT_CTX_MAP_INDEX,
                            C.CDT_CTX_MAP_RANK, C.CDT_CTX_LIST_INDEX_CREATE})
_C_INT_MIN, _C_INT_MAX = -(1 << 31), (1 << 31) - 1


def _c_int(d: dict, key: str) -> int:
    """A required int entry of an op dict (or a context's ``extra_args``) that the
    official client reads into a C int: its ParamError wording when missing or not one."""
    v = d.get(key)
    if v is None:
        raise _perr(f"Operation missing required entry {key}")
    if not isinstance(v, int):
        raise _perr(f"{key} must be an integer")
    if not _C_INT_MIN <= v <= _C_INT_MAX:
        raise _perr(f"{key} too large for C int.")
    return v


def _ctx_value(value: Any) -> RawMsgpack:
    """A context's value packed now, so that one no msgpack form exists for fails as the
    official client's context conversion does (ParamError)."""
    try:
        return RawMsgpack(pack(value))
    except (TypeError, OverflowError, ValueError):
        raise _perr("Failed to convert ctx, value to as_val") from None


def ctx_items(ctx: Any, create_flag: int = 0) -> list[Any]:
    """The flat ``[type, value, ...]`` list of a documented context list; ``create_flag``
    is or-ed into the last item's type (list/map create operations under a context)."""
    if not isinstance(ctx, list):
        raise _perr("Context should be a list of cdt_ctx objects")
    out: list[Any] = []
    for item in ctx:
        cid = getattr(item, "id", None)
        value = getattr(item, "value", None)
        extra = getattr(item, "extra_args", None) or {}
        if cid in _CTX_INT_TYPES and (not isinstance(value, int) or isinstance(value, bool)):
            raise _perr("Failed to convert ctx, value to long")
        if cid in _CTX_TYPES:
            out += [_CTX_TYPES[cid], value if cid in _CTX_INT_TYPES else _ctx_value(value)]
        elif cid == C.CDT_CTX_LIST_INDEX_CREATE:
            order, pad = _c_int(extra, "order_key"), _c_int(extra, "pad_key")
            out += [CTX_LIST_INDEX | list_order_flag(order, bool(pad)), value]
        elif cid == C.CDT_CTX_MAP_KEY_CREATE:
            order = _c_int(extra, "order_key")
            out += [CTX_MAP_KEY | map_order_flag(order), _ctx_value(value)]
        elif cid == C._AS_CDT_CTX_EXP and C._CDT_CTX_FILTER_EXPR_KEY not in extra:
            out += [CTX_EXP, True]
        elif cid in (C._AS_CDT_CTX_EXP, C._AS_CDT_CTX_AND | C._AS_CDT_CTX_EXP):
            from .expressions import encode_expression  # it imports this module

            out += [cid, RawMsgpack(encode_expression(extra[C._CDT_CTX_FILTER_EXPR_KEY]))]
        else:
            raise _perr("Failed to convert ctx, id")
    if create_flag and len(out) >= 2:
        out[-2] |= create_flag
    return out


def pack_ctx(ctx: Any) -> tuple[bytes, int | None]:
    """(msgpack array of a documented context list, wire type of its first item)."""
    items = ctx_items(ctx)
    return _pack_args(items), (items[0] if items else None)


def _payload(op: dict, args: list[Any], create_flag: int = 0) -> bytes:
    ctx = op.get("ctx")
    body = _pack_args(args)
    if ctx:
        items = ctx_items(ctx, create_flag)
        return b"\x93" + pack(CTX_WRAPPER) + _pack_args(items) + body
    return body


def op_bin(op: dict, bin_name_error: bool = False) -> bytes:
    """The checked bin name of an operation dict, encoded; too long a name is a
    BinNameError with ``bin_name_error`` (the older map operations), else a ParamError."""
    name = op.get("bin")
    if not isinstance(name, str):
        raise _perr("Bin name should be a string")
    nb = name.encode("utf-8")
    if len(nb) > 15:
        if bin_name_error:
            raise BinNameError(21, _BIN_NAME_TOO_LONG, None, None, False)
        raise _perr(_BIN_NAME_TOO_LONG)
    return nb


_BIN_NAME_TOO_LONG = "A bin name should not exceed 15 characters limit"


def _order(value: Any, name: str) -> int:
    """A policy's order value: an int (None for the default), else the official client's
    ParamError."""
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise _perr(f"{name} must be an integer")
    return value


def _int(op: dict, key: str) -> int:
    """A required int entry of a list (or relative map) operation (None is missing)."""
    v = op.get(key)
    if v is None:
        raise _perr(f"Operation missing required entry {key}")
    if not isinstance(v, int) or isinstance(v, bool):
        raise _perr(f"{key} must be an integer")
    return v


_UINT64 = (1 << 64) - 1


def _count(v: int) -> int | RawMsgpack:
    """A count as the official client sends it, an unsigned 64-bit number: a negative
    count travels as its two's complement (in effect "to the end")."""
    return v if v >= 0 else RawMsgpack(b"\xcf" + (v & _UINT64).to_bytes(8, "big"))


def _opt_count(op: dict) -> list[Any]:
    return [] if op.get("count") is None else [_count(_int(op, "count"))]


def _bool_entry(op: dict, key: str) -> bool:
    if key not in op:
        raise _perr(f"Failed to convert {key}")
    v = op[key]
    if not isinstance(v, bool):
        raise _perr(f"key {key} does not point to a boolean in the dict")
    return v


def _return_type(op: dict) -> int:
    """The required return type of a list or relative map operation (with ``inverted``)."""
    rt = _int(op, "return_type")
    return rt | INVERTED if op.get("inverted") else rt


def _need(op: dict, key: str) -> Any:
    if key not in op:
        raise _perr(f'Operation must contain a "{key}" entry')
    return op[key]


# The older map operations (every OP_MAP_* but the relative ones) are checked as the
# official client checks them: return type NONE unless given, and its own wording.
_MAP_MISSING = {"key": "Operation requires key parameter", "val": "Value should be given",
                "range": "Range should be given"}


def _m_need(op: dict, key: str) -> Any:
    if key not in op:
        raise _perr(_MAP_MISSING[key])
    return op[key]


def _m_index(op: dict) -> int:
    if "index" not in op:
        raise _perr("Operation needs an index value")
    v = op["index"]
    if not isinstance(v, int) or isinstance(v, bool):
        raise _perr("Index should be an integer")
    return v


def _m_return_type(op: dict) -> int:
    rt = op.get("return_type", 0)
    if not isinstance(rt, int) or isinstance(rt, bool):
        raise _perr("Return type should be an integer")
    return rt | INVERTED if op.get("inverted") else rt


def _list_policy(op: dict) -> dict | None:
    pol = op.get("list_policy")
    if pol is None:
        return None
    if not isinstance(pol, dict):
        raise _perr("List policy must be a dictionary.")
    return pol


def _policy_int(pol: dict, key: str) -> int:
    """An optional int of a list policy (None: 0)."""
    v = pol.get(key)
    if v is None:
        return 0
    if not isinstance(v, int):
        raise _perr(f"{key} must be an integer")
    return v


def _list_order_flags(op: dict) -> list[int]:
    pol = _list_policy(op)
    if pol is None:
        return []
    return [_policy_int(pol, "list_order"), _policy_int(pol, "write_flags")]


def _list_flags(op: dict) -> list[int]:
    pol = _list_policy(op)
    if pol is None:
        return []
    return [_policy_int(pol, "write_flags")]


def _map_policy(op: dict) -> tuple[int, int, int, int]:
    """(attributes, write flags, item command, items command) of ``map_policy``."""
    pol = op.get("map_policy")
    if pol is None:
        return 0, 0, MAP_PUT, MAP_PUT_ITEMS
    if not isinstance(pol, dict):
        raise _perr("policy must be a dict")
    attr = _order(pol.get("map_order"), "map_order")
    persist = pol.get("persist_index")
    if persist is not None and not isinstance(persist, bool):
        raise _perr("persist_index is not a boolean")
    if persist:
        attr |= PERSIST_INDEX
    flags = pol.get("map_write_flags", 0)
    if not isinstance(flags, int):
        raise _perr("map_write_flags is invalid")
    mode = pol.get("map_write_mode")
    item, items = MAP_PUT, MAP_PUT_ITEMS
    if mode == MAP_MODE_UPDATE_ONLY:
        item, items = MAP_REPLACE, MAP_REPLACE_ITEMS
    elif mode == MAP_MODE_CREATE_ONLY:
        item, items = MAP_ADD, MAP_ADD_ITEMS
    return attr, flags, item, items


class _Spec:
    __slots__ = ("build", "modify", "respond_all", "older_map")

    def __init__(self, build: Callable[[dict], tuple[list[Any], int]], modify: bool,
                 respond_all: bool, older_map: bool) -> None:
        self.build = build
        self.modify = modify
        self.respond_all = respond_all
        self.older_map = older_map   # an OP_MAP_* operation other than the relative ones


def _fixed(code: int, *keys: str) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        return [code] + [_int(op, k) if k in ("index", "rank") else _need(op, k)
                         for k in keys], 0
    return build


# -- list builders -----------------------------------------------------------------------
def _l_append(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        val = _need(op, "val")
        if code == LIST_APPEND_ITEMS and not isinstance(val, list):
            raise _perr("Value must be a list")
        return [code, val] + _list_order_flags(op), 0
    return build


def _l_insert(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        val = _need(op, "val")
        if code == LIST_INSERT_ITEMS and not isinstance(val, list):
            raise _perr("Value must be a list")
        return [code, _int(op, "index"), val] + _list_flags(op), 0
    return build


def _l_increment(op: dict) -> tuple[list[Any], int]:
    return [LIST_INCREMENT, _int(op, "index"), _need(op, "val")] + _list_order_flags(op), 0


def _l_range(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        return [code, _int(op, "index"), _count(_int(op, "val"))], 0
    return build


def _l_create(op: dict) -> tuple[list[Any], int]:
    order = _int(op, "list_order")
    pad, persist = _bool_entry(op, "pad"), _bool_entry(op, "persist_index")
    return [LIST_SET_TYPE, order | (PERSIST_INDEX if persist else 0)], \
        list_order_flag(order, pad)


def _l_set_order(op: dict) -> tuple[list[Any], int]:
    return [LIST_SET_TYPE, _int(op, "list_order")], 0


def _l_sort(op: dict) -> tuple[list[Any], int]:
    return [LIST_SORT, _int(op, "sort_flags")], 0


def _by(code: int, key: str, ranged: bool = False) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        arg = _int(op, key) if key in ("index", "rank") else _need(op, key)
        if key == "value_list" and not isinstance(arg, list):
            raise _perr("Value must be a list")
        return [code, _return_type(op), arg] + (_opt_count(op) if ranged else []), 0
    return build


def _l_value_range(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        args = [code, _return_type(op), op.get("value_begin")]
        if op.get("value_end") is not None:
            args.append(op["value_end"])
        return args, 0
    return build


def _rel(code: int, anchor: str, offset: str) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        return ([code, _return_type(op), _need(op, anchor), _int(op, offset)]
                + _opt_count(op)), 0
    return build


def _l_join(op: dict) -> tuple[list[Any], int]:
    sep = op.get("separator")
    return [LIST_JOIN] + ([] if sep is None else [sep]), 0


# -- map builders (the older OP_MAP_* dicts) ----------------------------------------------
def _m_set_policy(op: dict) -> tuple[list[Any], int]:
    if op.get("map_policy") is None:
        raise _perr("Operation requires map_policy parameter")
    attr, _flags, _i, _is = _map_policy(op)
    return [MAP_SET_TYPE, attr], 0


def _m_create(op: dict) -> tuple[list[Any], int]:
    order = _int(op, "map_order")
    attr = order | (PERSIST_INDEX if op.get("persist_index") else 0)
    return [MAP_SET_TYPE, attr], map_order_flag(order)


def _m_put(op: dict) -> tuple[list[Any], int]:
    attr, flags, item, _items = _map_policy(op)
    key, val = _m_need(op, "key"), _m_need(op, "val")
    if flags:
        return [item, key, val, attr, flags], 0
    if item == MAP_REPLACE:
        return [item, key, val], 0
    return [item, key, val, attr], 0


def _m_put_items(op: dict) -> tuple[list[Any], int]:
    attr, flags, _item, items = _map_policy(op)
    val = _m_need(op, "val")  # not only a dict: the official client sends what it is given
    if flags:
        return [items, val, attr, flags], 0
    if items == MAP_REPLACE_ITEMS:
        return [items, val], 0
    return [items, val, attr], 0


def _m_incr(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        attr, _flags, _item, _items = _map_policy(op)
        return [code, _m_need(op, "key"), _m_need(op, "val"), attr], 0
    return build


def _m_by(code: int, key: str) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        arg = _m_index(op) if key == "index" else _m_need(op, key)
        return [code, _m_return_type(op), arg], 0
    return build


def _m_interval(code: int, begin: str, end: str) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        # both bounds must be given; a None bound travels as nil (no limit)
        return [code, _m_return_type(op), _m_need(op, begin), _m_need(op, end)], 0
    return build


def _m_index_count(code: int) -> Callable[[dict], tuple[list[Any], int]]:
    def build(op: dict) -> tuple[list[Any], int]:
        index, count = _m_index(op), _m_need(op, "val")
        if not isinstance(count, int) or isinstance(count, bool):
            raise _perr("Offset should be of int or long type")
        return [code, _m_return_type(op), index, _count(count)], 0
    return build


def _path_flags(op: dict) -> int:
    flags = op.get(C._CDT_FLAGS_KEY, 0) or 0
    if not isinstance(flags, int):
        raise _perr("flags must be an integer")
    return flags


_L, _MAP = False, True
_SPECS: dict[int, _Spec] = {}


_RELATIVE_MAP_OPS = frozenset({
    C.OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL, C.OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL,
    C.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL, C.OP_MAP_GET_BY_KEY_INDEX_RANGE_REL})


def _reg(code: int, build: Callable[[dict], tuple[list[Any], int]], modify: bool,
         is_map: bool) -> None:
    _SPECS[code] = _Spec(build, modify, is_map, is_map and code not in _RELATIVE_MAP_OPS)


for _code, _build, _mod in (
    (C.OP_LIST_CREATE, _l_create, True),
    (C.OP_LIST_SET_ORDER, _l_set_order, True),
    (C.OP_LIST_APPEND, _l_append(LIST_APPEND), True),
    (C.OP_LIST_APPEND_ITEMS, _l_append(LIST_APPEND_ITEMS), True),
    (C.OP_LIST_INSERT, _l_insert(LIST_INSERT), True),
    (C.OP_LIST_INSERT_ITEMS, _l_insert(LIST_INSERT_ITEMS), True),
    (C.OP_LIST_SET, _l_insert(LIST_SET), True),
    (C.OP_LIST_INCREMENT, _l_increment, True),
    (C.OP_LIST_POP, _fixed(LIST_POP, "index"), True),
    (C.OP_LIST_POP_RANGE, _l_range(LIST_POP_RANGE), True),
    (C.OP_LIST_REMOVE, _fixed(LIST_REMOVE, "index"), True),
    (C.OP_LIST_REMOVE_RANGE, _l_range(LIST_REMOVE_RANGE), True),
    (C.OP_LIST_TRIM, _l_range(LIST_TRIM), True),
    (C.OP_LIST_CLEAR, _fixed(LIST_CLEAR), True),
    (C.OP_LIST_SORT, _l_sort, True),
    (C.OP_LIST_SIZE, _fixed(LIST_SIZE), False),
    (C.OP_LIST_GET, _fixed(LIST_GET, "index"), False),
    (C.OP_LIST_GET_RANGE, _l_range(LIST_GET_RANGE), False),
    (C.OP_LIST_GET_BY_INDEX, _by(LIST_GET_BY_INDEX, "index"), False),
    (C.OP_LIST_GET_BY_RANK, _by(LIST_GET_BY_RANK, "rank"), False),
    (C.OP_LIST_GET_BY_VALUE, _by(LIST_GET_ALL_BY_VALUE, "val"), False),
    (C.OP_LIST_GET_BY_VALUE_LIST, _by(LIST_GET_BY_VALUE_LIST, "value_list"), False),
    (C.OP_LIST_GET_BY_INDEX_RANGE, _by(LIST_GET_BY_INDEX_RANGE, "index", True), False),
    (C.OP_LIST_GET_BY_RANK_RANGE, _by(LIST_GET_BY_RANK_RANGE, "rank", True), False),
    (C.OP_LIST_GET_BY_VALUE_RANGE, _l_value_range(LIST_GET_BY_VALUE_INTERVAL), False),
    (C.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL,
     _rel(LIST_GET_BY_VALUE_REL_RANK_RANGE, "val", "rank"), False),
    (C.OP_LIST_REMOVE_BY_INDEX, _by(LIST_REMOVE_BY_INDEX, "index"), True),
    (C.OP_LIST_REMOVE_BY_RANK, _by(LIST_REMOVE_BY_RANK, "rank"), True),
    (C.OP_LIST_REMOVE_BY_VALUE, _by(LIST_REMOVE_ALL_BY_VALUE, "val"), True),
    (C.OP_LIST_REMOVE_BY_VALUE_LIST, _by(LIST_REMOVE_BY_VALUE_LIST, "value_list"), True),
    (C.OP_LIST_REMOVE_BY_INDEX_RANGE, _by(LIST_REMOVE_BY_INDEX_RANGE, "index", True), True),
    (C.OP_LIST_REMOVE_BY_RANK_RANGE, _by(LIST_REMOVE_BY_RANK_RANGE, "rank", True), True),
    (C.OP_LIST_REMOVE_BY_VALUE_RANGE, _l_value_range(LIST_REMOVE_BY_VALUE_INTERVAL), True),
    (C.OP_LIST_REMOVE_BY_VALUE_RANK_RANGE_REL,
     _rel(LIST_REMOVE_BY_VALUE_REL_RANK_RANGE, "val", "rank"), True),
    (C._OP_LIST_JOIN, _l_join, False),
):
    _reg(_code, _build, _mod, _L)

for _code, _build, _mod in (
    (C.OP_MAP_SET_POLICY, _m_set_policy, True),
    (C.OP_MAP_CREATE, _m_create, True),
    (C.OP_MAP_PUT, _m_put, True),
    (C.OP_MAP_PUT_ITEMS, _m_put_items, True),
    (C.OP_MAP_INCREMENT, _m_incr(MAP_INCREMENT), True),
    (C.OP_MAP_DECREMENT, _m_incr(MAP_DECREMENT), True),
    (C.OP_MAP_CLEAR, _fixed(MAP_CLEAR), True),
    (C.OP_MAP_SIZE, _fixed(MAP_SIZE), False),
    (C.OP_MAP_REMOVE_BY_KEY, _m_by(MAP_REMOVE_BY_KEY, "key"), True),
    (C.OP_MAP_REMOVE_BY_KEY_LIST, _m_by(MAP_REMOVE_BY_KEY_LIST, "val"), True),
    (C.OP_MAP_REMOVE_BY_KEY_RANGE, _m_interval(MAP_REMOVE_BY_KEY_INTERVAL, "key", "val"), True),
    (C.OP_MAP_REMOVE_BY_VALUE, _m_by(MAP_REMOVE_ALL_BY_VALUE, "val"), True),
    (C.OP_MAP_REMOVE_BY_VALUE_LIST, _m_by(MAP_REMOVE_BY_VALUE_LIST, "val"), True),
    (C.OP_MAP_REMOVE_BY_VALUE_RANGE,
     _m_interval(MAP_REMOVE_BY_VALUE_INTERVAL, "val", "range"), True),
    (C.OP_MAP_REMOVE_BY_INDEX, _m_by(MAP_REMOVE_BY_INDEX, "index"), True),
    (C.OP_MAP_REMOVE_BY_INDEX_RANGE, _m_index_count(MAP_REMOVE_BY_INDEX_RANGE), True),
    (C.OP_MAP_REMOVE_BY_RANK, _m_by(MAP_REMOVE_BY_RANK, "index"), True),
    (C.OP_MAP_REMOVE_BY_RANK_RANGE, _m_index_count(MAP_REMOVE_BY_RANK_RANGE), True),
    (C.OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL,
     _rel(MAP_REMOVE_BY_VALUE_REL_RANK_RANGE, "val", "rank"), True),
    (C.OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL,
     _rel(MAP_REMOVE_BY_KEY_REL_INDEX_RANGE, "key", "index"), True),
    (C.OP_MAP_GET_BY_KEY, _m_by(MAP_GET_BY_KEY, "key"), False),
    (C.OP_MAP_GET_BY_KEY_RANGE, _m_interval(MAP_GET_BY_KEY_INTERVAL, "key", "range"), False),
    (C.OP_MAP_GET_BY_KEY_LIST, _m_by(MAP_GET_BY_KEY_LIST, "val"), False),
    (C.OP_MAP_GET_BY_VALUE, _m_by(MAP_GET_ALL_BY_VALUE, "val"), False),
    (C.OP_MAP_GET_BY_VALUE_RANGE, _m_interval(MAP_GET_BY_VALUE_INTERVAL, "val", "range"),
     False),
    (C.OP_MAP_GET_BY_VALUE_LIST, _m_by(MAP_GET_BY_VALUE_LIST, "val"), False),
    (C.OP_MAP_GET_BY_INDEX, _m_by(MAP_GET_BY_INDEX, "index"), False),
    (C.OP_MAP_GET_BY_INDEX_RANGE, _m_index_count(MAP_GET_BY_INDEX_RANGE), False),
    (C.OP_MAP_GET_BY_RANK, _m_by(MAP_GET_BY_RANK, "index"), False),
    (C.OP_MAP_GET_BY_RANK_RANGE, _m_index_count(MAP_GET_BY_RANK_RANGE), False),
    (C.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL,
     _rel(MAP_GET_BY_VALUE_REL_RANK_RANGE, "val", "rank"), False),
    (C.OP_MAP_GET_BY_KEY_INDEX_RANGE_REL,
     _rel(MAP_GET_BY_KEY_REL_INDEX_RANGE, "key", "index"), False),
):
    _reg(_code, _build, _mod, _MAP)


def encode_cdt(op: dict) -> tuple[bytes, bool, bool]:
    """(wire operation bytes, modifies, respond-all-ops) of one list/map operation dict."""
    spec = _SPECS[op["op"]]
    name = op_bin(op, spec.older_map)
    args, create_flag = spec.build(op)
    data = _payload(op, args, create_flag)
    wire_op = M.OP_CDT_MODIFY if spec.modify else M.OP_CDT_READ
    return op_header(wire_op, PARTICLE_BLOB, name, len(data)) + data, spec.modify, \
        spec.respond_all


def _path_ctx(op: dict) -> bytes:
    """The packed context of a path operation, which needs one."""
    ctx = op.get("ctx")
    if not ctx:
        raise _perr("Context is empty")
    return pack_ctx(ctx)[0]


def encode_select_by_path(op: dict) -> bytes:
    """The wire operation of ``operations.select_by_path``: ``[0xfe, ctx, flags]``."""
    name = op_bin(op)
    data = b"\x93" + pack(PATH_OP) + _path_ctx(op) + pack(_path_flags(op))
    return op_header(M.OP_CDT_READ, PARTICLE_BLOB, name, len(data)) + data


def encode_modify_by_path(op: dict) -> bytes:
    """The wire operation of ``operations.modify_by_path``:
    ``[0xfe, ctx, flags | 4, expression]``."""
    from .expressions import encode_expression  # expressions imports this module

    name = op_bin(op)
    if C._CDT_APPLY_MOD_EXP_KEY not in op:
        raise _perr("mod_exp is required for cdt_apply() expression.")
    mod = encode_expression(op[C._CDT_APPLY_MOD_EXP_KEY])
    data = b"\x94" + pack(PATH_OP) + _path_ctx(op) + pack(_path_flags(op) | 4) + mod
    return op_header(M.OP_CDT_MODIFY, PARTICLE_BLOB, name, len(data)) + data


CDT_OPERATORS = tuple(_SPECS)
"""Documented operator codes (``OP_LIST_*``, ``OP_MAP_*``) this module encodes."""
OLDER_MAP_OPERATORS = frozenset(code for code, spec in _SPECS.items() if spec.older_map)
"""The OP_MAP_* codes other than the relative ones (checked as the official client checks
its older map operations)."""
