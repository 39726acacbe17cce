"""List and map (CDT) operations of the embedded server: wire ops 3 (read) and 4 (modify).

The operation value is msgpack ``[cdt_op, args...]``, optionally wrapped with contexts
as ``[0xff, [ctx_type, ctx_value, ...], [cdt_op, args...]]``; ``[0xfe, [ctx...], flags]``
is a path select. Values are decoded into a small model that keeps what the server
needs: strings and blobs stay as their prefixed raw bytes, lists and maps carry their
order flags, maps keep their pairs in key order (as Aerospike 8 stores them). Values are
ordered as the server orders them (``compare``), result shapes and result codes follow
Aerospike 8.1 (``as/src/base/particle_list.c``, ``particle_map.c``), checked against the
recorded replies in ``wire-vectors/list.jsonl`` and ``map.jsonl``.
"""
from __future__ import annotations

import functools
import struct
from typing import Any, Callable, cast

from ..protocol import cdt as wire
from ..protocol.message import Op, name_bytes, op_bytes
from ..protocol.particles import (
    PARTICLE_BLOB, PARTICLE_BOOL, PARTICLE_FLOAT, PARTICLE_INTEGER, PARTICLE_LIST,
    PARTICLE_MAP, PARTICLE_NULL,
)

OK = 0
PARAMETER_ERROR = 4
BIN_INCOMPATIBLE_TYPE = 12
BIN_NAME_TOO_LONG = 21
ELEMENT_NOT_FOUND = 23
ELEMENT_EXISTS = 24
OP_NOT_APPLICABLE = 26

# return types
RT_NONE, RT_INDEX, RT_REVINDEX, RT_RANK, RT_REVRANK, RT_COUNT = 0, 1, 2, 3, 4, 5
RT_KEY, RT_VALUE, RT_KEY_VALUE, RT_EXISTS = 6, 7, 8, 13
RT_UNORDERED_MAP, RT_ORDERED_MAP = 16, 17
INVERTED = 0x10000

LIST_ORDERED = 1
MAP_KEY_ORDERED = 1
PERSIST_INDEX = 0x10
MAP_PAIRS_FLAG = 8

# list write flags
ADD_UNIQUE, INSERT_BOUNDED, NO_FAIL, PARTIAL = 1, 2, 4, 8
# map write flags
CREATE_ONLY, UPDATE_ONLY = 1, 2


class CdtError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Token:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


WILDCARD = _Token("WILDCARD")
INFINITY = _Token("INFINITY")


class Ext:
    __slots__ = ("code", "data")

    def __init__(self, code: int, data: bytes) -> None:
        self.code = code
        self.data = data


class CList(list):
    """A list value with its flags (1: ordered)."""

    def __init__(self, items: Any = (), flags: int = 0) -> None:
        super().__init__(items)
        self.flags = flags

    @property
    def ordered(self) -> bool:
        return bool(self.flags & LIST_ORDERED)


class CMap:
    """A map value: flags and [key, value] pairs, kept in key order."""

    __slots__ = ("flags", "pairs")

    def __init__(self, pairs: list | None = None, flags: int = 0) -> None:
        self.pairs = pairs if pairs is not None else []
        self.flags = flags

    def sort(self) -> None:
        self.pairs.sort(key=lambda kv: _KEY(kv[0]))

    def find(self, key: Any) -> int:
        for i, (k, _v) in enumerate(self.pairs):
            if compare(k, key) == 0:
                return i
        return -1


def fail(code: int) -> CdtError:
    return CdtError(code)


# -- decoding ------------------------------------------------------------------------------
class _Reader(wire.Reader):
    """protocol.cdt's pure-Python reader, decoding into the server's model: strings and
    blobs stay prefixed raw bytes, ext -1 is WILDCARD/INFINITY, other exts ``Ext``, lists
    and maps ``CList``/``CMap`` with their order flags."""

    __slots__ = ()

    @staticmethod
    def _raw(data: bytes) -> bytes:
        return data

    def _ext(self, n: int) -> Any:
        code = self._int(1)
        data = self._take(n)
        if code == -1:
            return INFINITY if data == b"\x01" else WILDCARD
        return Ext(code & 0xFF, data)

    def _array(self, n: int) -> CList:
        items = [self.value() for _ in range(n)]
        flags = 0
        if items and isinstance(items[0], Ext):
            flags = items.pop(0).code
        return CList(items, flags & ~PERSIST_INDEX)

    def _map(self, n: int) -> CMap:
        pairs = []
        flags = 0
        for i in range(n):
            k = self.value()
            v = self.value()
            if i == 0 and isinstance(k, Ext):
                flags = k.code
                continue
            pairs.append([k, v])
        return CMap(pairs, flags & ~PERSIST_INDEX)


def decode(data: bytes) -> Any:
    """One value in the server's model; truncated or invalid msgpack: PARAMETER_ERROR."""
    try:
        return _Reader(bytes(data)).value()
    except ValueError:
        raise fail(PARAMETER_ERROR) from None


# -- encoding ------------------------------------------------------------------------------
def _pack_int(out: bytearray, v: int) -> None:
    if 0 <= v <= 0x7F:
        out.append(v)
    elif -32 <= v < 0:
        out.append(v & 0xFF)
    elif v > 0:
        if v <= 0xFF:
            out += b"\xcc" + bytes((v,))
        elif v <= 0xFFFF:
            out += b"\xcd" + struct.pack(">H", v)
        elif v <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", v)
        else:
            out += b"\xcf" + struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)
    else:
        if v >= -0x80:
            out += b"\xd0" + struct.pack(">b", v)
        elif v >= -0x8000:
            out += b"\xd1" + struct.pack(">h", v)
        elif v >= -0x80000000:
            out += b"\xd2" + struct.pack(">i", v)
        else:
            out += b"\xd3" + struct.pack(">q", v)


def pack_into(out: bytearray, v: Any) -> None:
    if v is None:
        out.append(0xC0)
    elif v is True:
        out.append(0xC3)
    elif v is False:
        out.append(0xC2)
    elif isinstance(v, int):
        _pack_int(out, v)
    elif isinstance(v, float):
        out += b"\xcb" + struct.pack(">d", v)
    elif isinstance(v, bytes):
        wire.pack_raw(out, v)
    elif isinstance(v, CMap):
        flags = v.flags & ~PERSIST_INDEX
        wire.pack_header(out, len(v.pairs) + (1 if flags else 0), 0x80, 15, 0xDE, 0xDF)
        if flags:
            out += b"\xc7\x00" + bytes((flags,)) + b"\xc0"
        for k, x in v.pairs:
            pack_into(out, k)
            pack_into(out, x)
    elif isinstance(v, list):
        flags = getattr(v, "flags", 0) & ~PERSIST_INDEX
        wire.pack_header(out, len(v) + (1 if flags else 0), 0x90, 15, 0xDC, 0xDD)
        if flags:
            out += b"\xc7\x00" + bytes((flags,))
        for x in v:
            pack_into(out, x)
    elif isinstance(v, Ext):
        out += b"\xc7" + bytes((len(v.data), v.code)) + v.data
    elif v is WILDCARD:
        out += b"\xd4\xff\x00"
    elif v is INFINITY:
        out += b"\xd4\xff\x01"
    else:
        raise fail(PARAMETER_ERROR)


def pack(v: Any) -> bytes:
    out = bytearray()
    pack_into(out, v)
    return bytes(out)


# -- ordering ------------------------------------------------------------------------------
def _type_rank(v: Any) -> int:
    if v is None:
        return 1
    if v is False:
        return 2
    if v is True:
        return 3
    if isinstance(v, int):
        return 4
    if isinstance(v, bytes):
        if v[:1] == b"\x03":
            return 6
        if v[:1] == b"\x17":
            return 11
        return 9
    if isinstance(v, CMap):
        return 8
    if isinstance(v, list):
        return 7
    if isinstance(v, float):
        return 10
    if v is INFINITY:
        return 100
    return 12


_WILD_EQUAL = 2  # equal because a wildcard matched: the rest is not compared


def compare(a: Any, b: Any) -> int:
    """-1/0/1 as Aerospike orders values (a wildcard matches anything)."""
    if a is WILDCARD or b is WILDCARD:
        return _WILD_EQUAL
    ta, tb = _type_rank(a), _type_rank(b)
    if ta != tb:
        return -1 if ta < tb else 1
    if ta in (4, 10):
        return (a > b) - (a < b)
    if ta in (6, 9, 11):
        return (a[1:] > b[1:]) - (a[1:] < b[1:])
    if ta == 7:
        for x, y in zip(a, b):
            r = compare(x, y)
            if r:
                return r
        return (len(a) > len(b)) - (len(a) < len(b))
    if ta == 8:
        if len(a.pairs) != len(b.pairs):
            return -1 if len(a.pairs) < len(b.pairs) else 1
        for (k1, v1), (k2, v2) in zip(a.pairs, b.pairs):
            r = compare(k1, k2) or compare(v1, v2)
            if r:
                return r
        return 0
    return 0


def _cmp(a: Any, b: Any) -> int:
    r = compare(a, b)
    return 0 if r == _WILD_EQUAL else r


_KEY = functools.cmp_to_key(_cmp)


def _eq(a: Any, b: Any) -> bool:
    return compare(a, b) in (0, _WILD_EQUAL)


# -- index arithmetic ----------------------------------------------------------------------
_TO_END = 1 << 64


def index_count(index: int, count: int, n: int, multi: bool) -> tuple[int, int]:
    """calc_index_count of the server: (start, count) or CdtError 26 for a single miss."""
    if not multi:
        if index >= n or (index < 0 and index + n < 0):
            raise fail(OP_NOT_APPLICABLE)
        if index < 0:
            index += n
        return index, min(count, n - index)
    if index >= n:
        return n, 0
    if index < 0:
        index += n
        if index < 0:
            c = count + index if -index < count else 0
            return 0, min(c, n)
    return index, min(count, n - index)


def rel_index_count(index: int, count: int, rel: int) -> tuple[int, int]:
    index += rel
    if index < 0:
        count = count + index if count > -index else 0
        index = 0
    return index, count


def _int_arg(args: list, i: int, default: int | None = None) -> int:
    if len(args) <= i:
        if default is None:
            raise fail(PARAMETER_ERROR)
        return default
    v = args[i]
    if not isinstance(v, int) or isinstance(v, bool):
        raise fail(PARAMETER_ERROR)
    return v


def _arg(args: list, i: int) -> Any:
    if len(args) <= i:
        raise fail(PARAMETER_ERROR)
    return args[i]


# -- results -------------------------------------------------------------------------------
class Result:
    """What an op answers: nothing, or a value in the model."""

    __slots__ = ("value", "present")

    def __init__(self, value: Any = None, present: bool = True) -> None:
        self.value = value
        self.present = present


NO_RESULT = Result(None, False)


def _ranks(values: list) -> list[int]:
    """Rank of each element (ties by position)."""
    order = sorted(range(len(values)), key=lambda i: _KEY(values[i]))
    ranks = [0] * len(values)
    for r, i in enumerate(order):
        ranks[i] = r
    return ranks


def build_result(rt: int, multi: bool, n: int, sel: list[int], values: list,
                 keys: list | None = None, rank_order: bool = False,
                 rank_start: int | None = None, item_order: str = "") -> Result:
    """The answer for the selected element indexes ``sel`` (in answer order) of a
    container of ``n`` elements whose values are ``values`` (map keys in ``keys``).
    ``sel`` selected by a list of values is in that list's order; ``item_order`` says
    which answers keep it: "rank" (ranks), "all" (also indexes and values: an ordered
    list); the others are in index order."""
    inverted = bool(rt & INVERTED)
    rt &= ~INVERTED
    if inverted:
        chosen = set(sel)
        sel = [i for i in range(n) if i not in chosen]
    if rt == RT_NONE:
        return NO_RESULT
    if rt == RT_COUNT:
        return Result(len(sel))
    if rt == RT_EXISTS:
        return Result(bool(sel))
    if rt in (RT_INDEX, RT_REVINDEX):
        out = sel if item_order == "all" and not inverted else sorted(sel)
        if rt == RT_REVINDEX:
            out = [n - 1 - i for i in out]
        if multi:
            return Result(CList(out))
        return Result(out[0] if out else -1)
    if rt in (RT_RANK, RT_REVRANK):
        # the real node answers a rank range as that range, ranks selected by a value list
        # in that list's order, and the ranks left out of either ascending; others by index
        if rank_start is not None and not inverted:
            out = list(range(rank_start, rank_start + len(sel)))
        else:
            ranks = _ranks(values)
            if inverted and (rank_start is not None or item_order):
                out = sorted(ranks[i] for i in sel)
            elif item_order and not inverted:
                out = [ranks[i] for i in sel]
            else:
                out = [ranks[i] for i in sorted(sel)]
        if rt == RT_REVRANK:
            out = [n - 1 - r for r in out]
        if multi:
            return Result(CList(out))
        return Result(out[0] if out else -1)
    if inverted or not (rank_order or item_order == "all"):
        ordered = sorted(sel)
    else:
        ordered = sel
    if rt == RT_VALUE:
        if multi:
            return Result(CList([values[i] for i in ordered]))
        return Result(values[ordered[0]]) if ordered else Result(None)
    # a return type the container has no answer for (keys of a list, an unknown type)
    # is not applicable: the real node's result switches default to that
    if keys is None:
        raise fail(OP_NOT_APPLICABLE)
    if rt == RT_KEY:
        if multi:
            return Result(CList([keys[i] for i in ordered]))
        return Result(keys[ordered[0]]) if ordered else Result(None)
    if rt == RT_KEY_VALUE:
        return Result(CMap([[keys[i], values[i]] for i in ordered], MAP_PAIRS_FLAG))
    if rt in (RT_ORDERED_MAP, RT_UNORDERED_MAP):
        pairs = [[keys[i], values[i]] for i in sorted(sel)]
        return Result(CMap(pairs, MAP_KEY_ORDERED if rt == RT_ORDERED_MAP else 0))
    raise fail(OP_NOT_APPLICABLE)


def _rank_selection(values: list, start: int, count: int, ordered: bool) -> list[int]:
    """Indexes of ranks [start, start+count) in the order the server answers them: an
    unordered list's partial heap sort yields them descending when the range is nearer
    the low end, ascending otherwise."""
    order = sorted(range(len(values)), key=lambda i: _KEY(values[i]))
    picked = order[start:start + count]
    if not ordered:
        tail = len(values) - start - count
        if start <= tail:
            picked = picked[::-1]
    return picked


# -- list operations -----------------------------------------------------------------------
def _check_list(v: Any) -> CList:
    if not isinstance(v, CList):
        raise fail(BIN_INCOMPATIBLE_TYPE)
    return v


def _list_insert_sorted(lst: CList, value: Any) -> None:
    lo, hi = 0, len(lst)
    while lo < hi:
        mid = (lo + hi) // 2
        if _cmp(lst[mid], value) <= 0:
            lo = mid + 1
        else:
            hi = mid
    lst.insert(lo, value)


def _contains(lst: list, value: Any) -> bool:
    return any(_cmp(x, value) == 0 for x in lst)


def _unique_items(lst: list, items: list, flags: int) -> list | None:
    """ADD_UNIQUE: ``items`` without those already in ``lst`` or repeated (ELEMENT_EXISTS,
    skipped with NO_FAIL|PARTIAL); None when NO_FAIL alone makes the op a no-op."""
    kept: list = []
    for item in items:
        if _contains(lst, item) or _contains(kept, item):
            if flags & NO_FAIL:
                if flags & PARTIAL:
                    continue
                return None
            raise fail(ELEMENT_EXISTS)
        kept.append(item)
    return kept


def _list_add(lst: CList, items: list, flags: int) -> Result:
    if flags & ADD_UNIQUE:
        kept = _unique_items(lst, items, flags)
        if kept is None:
            return Result(len(lst))
        items = kept
    for item in items:
        if lst.ordered:
            _list_insert_sorted(lst, item)
        else:
            lst.append(item)
    return Result(len(lst))


def _list_insert(lst: CList, index: int, items: list, flags: int) -> Result:
    if lst.ordered:
        raise fail(OP_NOT_APPLICABLE)
    n = len(lst)
    if index < 0:
        index += n
        if index < 0:
            if flags & NO_FAIL:
                return Result(n)
            raise fail(OP_NOT_APPLICABLE)
    if index > n and flags & INSERT_BOUNDED:
        if flags & NO_FAIL:
            return Result(n)
        raise fail(OP_NOT_APPLICABLE)
    if flags & ADD_UNIQUE:
        kept = _unique_items(lst, items, flags)
        if kept is None:
            return Result(n)
        items = kept
    if index > n:
        lst.extend([None] * (index - n))
    lst[index:index] = items
    return Result(len(lst))


def _increment(current: Any, delta: Any) -> Any:
    if current is None:
        current = 0 if isinstance(delta, int) else 0.0
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise fail(PARAMETER_ERROR)
    if isinstance(delta, bool) or not isinstance(delta, (int, float)):
        raise fail(PARAMETER_ERROR)
    if isinstance(current, int):
        total = current + int(delta)
        return ((total + (1 << 63)) % (1 << 64)) - (1 << 63)
    return current + float(delta)


def _list_values_interval(lst: list, begin: Any, end: Any) -> list[int]:
    out = []
    for i, x in enumerate(lst):
        if _cmp(x, begin) >= 0 and (end is INFINITY or _cmp(x, end) < 0):
            out.append(i)
    return out


def _by_value(items: list, args: list) -> list[int]:
    """Indexes of the items equal to the value in ``args[1]``."""
    value = _arg(args, 1)
    return [i for i, x in enumerate(items) if _eq(x, value)]


def _by_value_list(items: list, args: list) -> list[int]:
    """Indexes of the items equal to any value of the list in ``args[1]``: per value of
    that list in its order, the indexes of the items equal to it."""
    wanted = _arg(args, 1)
    if not isinstance(wanted, list):
        raise fail(PARAMETER_ERROR)
    out: list[int] = []
    taken: set[int] = set()
    for w in wanted:
        for i, x in enumerate(items):
            if i not in taken and _eq(x, w):
                taken.add(i)
                out.append(i)
    return out


def _by_interval(items: list, args: list) -> list[int]:
    """Indexes of the items in [``args[1]``, ``args[2]``) (nil and infinity by default)."""
    begin = args[1] if len(args) > 1 else None
    end = args[2] if len(args) > 2 else INFINITY
    return _list_values_interval(items, begin, end)


def _range_args(args: list, n: int) -> tuple[int, int]:
    """Index and count of ``args[1]``, ``args[2]`` (to the end by default)."""
    return index_count(_int_arg(args, 1), _int_arg(args, 2, _TO_END), n, True)


def _relative_range_args(items: list, args: list, n: int) -> tuple[int, int]:
    """Index and count of ``args[2]``, ``args[3]`` relative to where ``args[1]`` ranks."""
    anchor = _arg(args, 1)
    rel = sum(1 for x in items if _cmp(x, anchor) < 0)
    index, count = rel_index_count(_int_arg(args, 2), _int_arg(args, 3, _TO_END), rel)
    return index_count(index, count, n, True)


def _select_result(rt: int, multi: bool, n: int, sel: list[int], values: list,
                   keys: list | None, rank_order: bool, rank_start: int | None,
                   remove: bool, items: list, item_order: str = "") -> Result:
    """The result of a selection; with ``remove`` the selected (or, inverted, the other)
    indexes are removed from ``items``."""
    result = build_result(rt, multi, n, sel, values, keys, rank_order, rank_start,
                          item_order)
    if remove:
        if rt & INVERTED:
            chosen = set(sel)
            sel = [i for i in range(n) if i not in chosen]
        _remove_indexes(items, sel)
    return result


def _remove_indexes(lst: list, idxs: list[int]) -> None:
    for i in sorted(set(idxs), reverse=True):
        del lst[i]


def list_op(code: int, args: list, lst: CList | None, modify: bool,
            holder: "Holder") -> Result:
    """Run list op ``code`` on ``lst`` (None: the bin or element does not exist)."""
    if code == 0:  # set type / create
        flags = _int_arg(args, 0)
        if lst is None:
            holder.set(CList([], flags & LIST_ORDERED))
            return NO_RESULT
        lst.flags = flags & LIST_ORDERED
        if lst.ordered:
            lst.sort(key=_KEY)
        return NO_RESULT
    if code in (1, 2):  # append, append items
        items = [_arg(args, 0)] if code == 1 else _arg(args, 0)
        if not isinstance(items, list):
            raise fail(PARAMETER_ERROR)
        order = _int_arg(args, 1, 0)
        flags = _int_arg(args, 2, 0)
        if lst is None:
            lst = CList([], order & LIST_ORDERED)
            holder.set(lst)
        if code == 2 and not items:
            return Result(len(lst))
        return _list_add(lst, list(items), flags)
    if code in (3, 4):
        index = _int_arg(args, 0)
        items = [_arg(args, 1)] if code == 3 else _arg(args, 1)
        if not isinstance(items, list):
            raise fail(PARAMETER_ERROR)
        flags = _int_arg(args, 2, 0)
        if lst is None:
            lst = CList()
            holder.set(lst)
        return _list_insert(lst, index, list(items), flags)
    if lst is None:
        if modify and code in (9, 12):
            lst = CList()
            holder.set(lst)
        else:
            return NO_RESULT
    n = len(lst)
    if code == 9:  # set
        index = _int_arg(args, 0)
        value = _arg(args, 1)
        flags = _int_arg(args, 2, 0)
        if lst.ordered:
            raise fail(OP_NOT_APPLICABLE)
        if index < 0:
            index += n
            if index < 0:
                raise fail(OP_NOT_APPLICABLE)
        if index >= n:
            if flags & INSERT_BOUNDED:
                if flags & NO_FAIL:
                    return NO_RESULT
                raise fail(OP_NOT_APPLICABLE)
            lst.extend([None] * (index - n + 1))
        if flags & ADD_UNIQUE and _contains(lst[:index] + lst[index + 1:], value):
            if flags & NO_FAIL:
                return NO_RESULT
            raise fail(ELEMENT_EXISTS)
        lst[index] = value
        return NO_RESULT
    if code == 12:  # increment
        index = _int_arg(args, 0)
        delta = args[1] if len(args) > 1 else 1
        if index < 0:
            index += n
            if index < 0:
                raise fail(OP_NOT_APPLICABLE)
        if index >= n:
            lst.extend([None] * (index - n + 1))
        value = _increment(lst[index], delta)
        if lst.ordered:
            del lst[index]
            _list_insert_sorted(lst, value)
        else:
            lst[index] = value
        return Result(value)
    if code in (5, 7, 17):  # pop, remove, get
        index, _c = index_count(_int_arg(args, 0), 1, n, False)
        value = lst[index]
        if code != 17:
            del lst[index]
        return Result(1) if code == 7 else Result(value)
    if code in (6, 8, 18):  # pop range, remove range, get range
        index, count = index_count(_int_arg(args, 0), _int_arg(args, 1, _TO_END), n, True)
        values = lst[index:index + count]
        if code != 18:
            del lst[index:index + count]
        return Result(count) if code == 8 else Result(CList(values))
    if code == 10:  # trim
        index, count = index_count(_int_arg(args, 0), _int_arg(args, 1, _TO_END), n, True)
        kept = lst[index:index + count]
        removed = n - len(kept)
        lst[:] = kept
        return Result(removed)
    if code == 11:
        lst.clear()
        return NO_RESULT
    if code == 13:  # sort
        flags = _int_arg(args, 0, 0)
        values = sorted(lst, key=_KEY, reverse=bool(flags & 1))
        if flags & 2:
            dedup: list = []
            for v in values:
                if not dedup or _cmp(dedup[-1], v) != 0:
                    dedup.append(v)
            values = dedup
        lst[:] = values
        return NO_RESULT
    if code == 16:
        return Result(n)
    if code == 28:
        raise fail(PARAMETER_ERROR)
    # by index / rank / value
    base = code - 13 if code >= 32 else code
    remove = code >= 32
    rt = _int_arg(args, 0)
    values = list(lst)
    multi = True
    rank_order = False
    rank_start = None
    item_order = ""
    if base in (19, 21):  # by index / by rank (single)
        multi = False
        if rt & INVERTED:
            raise fail(OP_NOT_APPLICABLE)
        index, _c = index_count(_int_arg(args, 1), 1, n, False)
        if base == 19:
            sel = [index]
        else:
            sel = _rank_selection(values, index, 1, True)
            rank_start = index
    elif base == 24:  # index range
        index, count = _range_args(args, n)
        sel = list(range(index, index + count))
    elif base == 26:  # rank range
        index, count = _range_args(args, n)
        sel = _rank_selection(values, index, count, lst.ordered)
        rank_order = True
        rank_start = index
    elif base == 22:  # all by value
        sel = _by_value(values, args)
    elif base == 23:  # by value list
        sel = _by_value_list(values, args)
        item_order = "all" if lst.ordered else "rank"
    elif base == 25:  # value interval
        sel = _by_interval(values, args)
        if lst.ordered:
            rank_start = sel[0] if sel else None
    elif base == 27:  # value relative rank range
        index, count = _relative_range_args(values, args, n)
        sel = _rank_selection(values, index, count, lst.ordered)
        rank_order = True
        rank_start = index
    else:
        raise fail(PARAMETER_ERROR)
    return _select_result(rt, multi, n, sel, values, None, rank_order, rank_start, remove, lst,
                          item_order)


# -- map operations ------------------------------------------------------------------------
def _check_map(v: Any) -> CMap:
    if not isinstance(v, CMap):
        raise fail(BIN_INCOMPATIBLE_TYPE)
    return v


def _map_put(m: CMap, key: Any, value: Any, flags: int, mode: str) -> bool:
    """Put one pair; False when skipped under NO_FAIL."""
    if isinstance(key, (CList, CMap)) or key is None:
        raise fail(PARAMETER_ERROR)
    i = m.find(key)
    if i >= 0:
        if flags & CREATE_ONLY or mode == "add":
            if flags & NO_FAIL:
                return False
            raise fail(ELEMENT_EXISTS)
        m.pairs[i][1] = value
        return True
    if flags & UPDATE_ONLY or mode == "replace":
        if flags & NO_FAIL:
            return False
        raise fail(ELEMENT_NOT_FOUND)
    m.pairs.append([key, value])
    m.sort()
    return True


def _map_new(attr: int) -> CMap:
    return CMap([], attr & 3)


_MAP_GET = {97: 76, 98: 77, 100: 79, 102: 82, 103: 84, 104: 85, 105: 86, 106: 87, 107: 81,
            108: 83, 109: 88, 110: 89}


def map_op(code: int, args: list, m: CMap | None, modify: bool, holder: "Holder") -> Result:
    if code == 64:  # set type
        attr = _int_arg(args, 0)
        if m is None:
            holder.set(_map_new(attr))
        else:
            m.flags = attr & 3
        return NO_RESULT
    if code in (65, 67, 69):  # add, put, replace
        key, value = _arg(args, 0), _arg(args, 1)
        attr = _int_arg(args, 2, 0)
        flags = _int_arg(args, 3, 0)
        if m is None:
            if code == 69:
                raise fail(ELEMENT_NOT_FOUND)
            m = _map_new(attr)
            holder.set(m)
        mode = {65: "add", 67: "put", 69: "replace"}[code]
        _map_put(m, key, value, flags, mode)
        return Result(len(m.pairs))
    if code in (66, 68, 70):
        items = _arg(args, 0)
        if not isinstance(items, CMap):
            raise fail(PARAMETER_ERROR)
        attr = _int_arg(args, 1, 0)
        flags = _int_arg(args, 2, 0)
        if m is None:
            m = _map_new(attr)
            holder.set(m)
        mode = {66: "add", 68: "put", 70: "replace"}[code]
        work = CMap([list(p) for p in m.pairs], m.flags)
        for k, v in items.pairs:
            if not _map_put(work, k, v, flags, mode) and not flags & PARTIAL:
                return Result(len(m.pairs))
        m.pairs = work.pairs
        return Result(len(m.pairs))
    if code in (73, 74):
        key = _arg(args, 0)
        delta = args[1] if len(args) > 1 else 1
        attr = _int_arg(args, 2, 0)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)):
            raise fail(PARAMETER_ERROR)
        if code == 74:
            delta = -delta
        if m is None:
            m = _map_new(attr)
            holder.set(m)
        i = m.find(key)
        value = _increment(m.pairs[i][1] if i >= 0 else None, delta)
        if i >= 0:
            m.pairs[i][1] = value
        else:
            m.pairs.append([key, value])
            m.sort()
        return Result(value)
    if m is None:
        return NO_RESULT
    n = len(m.pairs)
    if code == 75:
        m.pairs.clear()
        return NO_RESULT
    if code == 96:
        return Result(n)
    base = _MAP_GET.get(code, code)
    remove = code not in _MAP_GET
    rt = _int_arg(args, 0)
    keys = [k for k, _v in m.pairs]
    values = [v for _k, v in m.pairs]
    multi = True
    rank_order = False
    rank_start = None
    item_order = ""
    if base in (76, 77, 79):  # by key / index / rank (single)
        multi = False
        if base == 76:
            i = m.find(_arg(args, 1))
            sel = [i] if i >= 0 else []
        else:
            index, _c = index_count(_int_arg(args, 1), 1, n, False)
            if base == 77:
                sel = [index]
            else:
                sel = _rank_selection(values, index, 1, True)
                rank_start = index
    elif base == 81:  # key list
        sel = _by_value_list(keys, args)
    elif base == 82:
        sel = _by_value(values, args)
    elif base == 83:
        sel = _by_value_list(values, args)
        item_order = "rank"
    elif base == 84:  # key interval
        sel = _by_interval(keys, args)
    elif base == 86:  # value interval
        sel = _by_interval(values, args)
    elif base == 85:  # index range
        index, count = _range_args(args, n)
        sel = list(range(index, index + count))
    elif base in (87, 89):  # rank range, value relative rank range
        if base == 87:
            index, count = _range_args(args, n)
        else:
            index, count = _relative_range_args(values, args, n)
        if rt & INVERTED:
            # the real node turns an inverted range that leaves a head or a tail of the
            # ranks into a plain range over those (answered in rank order)
            if count == 0:
                index, count, rt = 0, n, rt & ~INVERTED
            elif index == 0:
                index, count, rt = count, n - count, rt & ~INVERTED
            elif index + count >= n:
                index, count, rt = 0, index, rt & ~INVERTED
        sel = _rank_selection(values, index, count, True)
        rank_order = True
        rank_start = index
    elif base == 88:  # key relative index range
        index, count = _relative_range_args(keys, args, n)
        sel = list(range(index, index + count))
    else:
        raise fail(PARAMETER_ERROR)
    if not multi and rt & INVERTED:
        raise fail(OP_NOT_APPLICABLE)
    return _select_result(rt, multi, n, sel, values, keys, rank_order, rank_start, remove,
                          m.pairs, item_order)


# -- contexts ------------------------------------------------------------------------------
class Holder:
    """Where a container lives: the bin itself, a list slot or a map value."""

    __slots__ = ("get", "set")

    def __init__(self, get: Callable[[], Any], set: Callable[[Any], None]) -> None:  # noqa: A002
        self.get = get
        self.set = set


def _list_slot(lst: CList, i: int) -> Holder:
    def put(v: Any) -> None:
        lst[i] = v
    return Holder(lambda: lst[i], put)


def _map_slot(m: CMap, pair: list) -> Holder:
    def put(v: Any) -> None:
        pair[1] = v
    return Holder(lambda: pair[1], put)


def _new_container(next_is_map: bool, create: int) -> Any:
    if next_is_map:
        # the real server answers a map made by a key-create context as unordered,
        # whatever order the context asked for (map/ctx_map_key_create)
        return CMap([], 0)
    return CList([], LIST_ORDERED if create == 0xC0 else 0)


def resolve(holder: Holder, ctx: list, op_is_map: bool, modify: bool) -> Holder:
    if not isinstance(ctx, list) or len(ctx) % 2:
        raise fail(PARAMETER_ERROR)
    for j in range(0, len(ctx), 2):
        ctype, cvalue = ctx[j], ctx[j + 1]
        if not isinstance(ctype, int):
            raise fail(PARAMETER_ERROR)
        base, create = ctype & 0x3F, ctype & 0xC0
        if j + 2 < len(ctx):
            nxt = ctx[j + 2]
            next_is_map = isinstance(nxt, int) and (nxt & 0x30) == 0x20
        else:
            next_is_map = op_is_map
        cont = holder.get()
        # a context step into anything but a list (list contexts) or a map (map contexts)
        # is not applicable, as the real node's cdt_context_dig answers
        if base in (0x10, 0x11, 0x13):
            if not isinstance(cont, CList):
                raise fail(OP_NOT_APPLICABLE)
            lst = cont
            n = len(lst)
            if base == 0x10:
                if not isinstance(cvalue, int):
                    raise fail(PARAMETER_ERROR)
                i = cvalue + n if cvalue < 0 else cvalue
                if i < 0 or i >= n:
                    if create and modify and i >= 0 and not lst.ordered:
                        if i > n:
                            if create != 0x80:
                                raise fail(OP_NOT_APPLICABLE)
                            lst.extend([None] * (i - n))
                        lst.append(_new_container(next_is_map, create))
                    else:
                        raise fail(OP_NOT_APPLICABLE)
            elif base == 0x11:
                if not isinstance(cvalue, int):
                    raise fail(PARAMETER_ERROR)
                r = cvalue + n if cvalue < 0 else cvalue
                if r < 0 or r >= n:
                    raise fail(OP_NOT_APPLICABLE)
                i = _rank_selection(list(lst), r, 1, True)[0]
            else:
                i = next((k for k, x in enumerate(lst) if _eq(x, cvalue)), -1)
                if i < 0:
                    raise fail(OP_NOT_APPLICABLE)
            holder = _list_slot(lst, i)
        elif base in (0x20, 0x21, 0x22, 0x23):
            if not isinstance(cont, CMap):
                raise fail(OP_NOT_APPLICABLE)
            m = cont
            n = len(m.pairs)
            if base in (0x20, 0x21):
                if not isinstance(cvalue, int):
                    raise fail(PARAMETER_ERROR)
                r = cvalue + n if cvalue < 0 else cvalue
                if r < 0 or r >= n:
                    raise fail(OP_NOT_APPLICABLE)
                if base == 0x20:   # an unordered map's index is its keys' order
                    pair = m.pairs[r] if m.flags & MAP_KEY_ORDERED else \
                        sorted(m.pairs, key=lambda kv: _KEY(kv[0]))[r]
                else:
                    pair = m.pairs[_rank_selection([v for _k, v in m.pairs], r, 1, True)[0]]
            elif base == 0x22:
                i = m.find(cvalue)
                if i < 0:
                    if not (create and modify):
                        raise fail(OP_NOT_APPLICABLE)
                    pair = [cvalue, _new_container(next_is_map, create)]
                    m.pairs.append(pair)
                    m.sort()
                else:
                    pair = m.pairs[i]
            else:
                pair = next((p for p in m.pairs if _eq(p[1], cvalue)), None)
                if pair is None:
                    raise fail(OP_NOT_APPLICABLE)
            holder = _map_slot(m, pair)
        else:
            # expression contexts (all children, filters, map keys in) are not supported
            raise fail(OP_NOT_APPLICABLE)
    return holder


def _children(v: Any, keys: bool = False) -> list:
    if isinstance(v, CMap):
        return [k if keys else x for k, x in v.pairs]
    if isinstance(v, list):
        return list(v)
    return []


# -- path select / modify ------------------------------------------------------------------
CTX_ALL_CHILDREN = 0x04
CTX_MAP_KEYS_IN = 0x2A
CTX_AND_FILTER = 0x204
PATH_NO_FAIL = 0x10
PATH_MATCHING_TREE, PATH_VALUE, PATH_MAP_KEY, PATH_MAP_KEY_VALUE = 0, 1, 2, 3


class _Item:
    """One selected element of a path: its map key (None in a list), value, list index
    (None in a map) and where it lives (parent container, pair or index)."""

    __slots__ = ("index", "key", "parent", "slot", "value")

    def __init__(self, key: Any, value: Any, index: Any, parent: Any, slot: Any) -> None:
        self.key = key
        self.value = value
        self.index = index
        self.parent = parent
        self.slot = slot


def _items(v: Any) -> list[_Item]:
    if isinstance(v, CMap):
        return [_Item(p[0], p[1], i, v, p) for i, p in enumerate(v.pairs)]
    if isinstance(v, list):
        return [_Item(None, x, i, v, i) for i, x in enumerate(v)]
    return []


def _path_levels(ctx: Any) -> list[tuple[int, Any, list]]:
    """The contexts of a path as levels: (selector type, selector value, filters), an
    and-filter context adding to the filters of the level before it."""
    if not isinstance(ctx, list) or len(ctx) % 2 or not ctx:
        raise fail(PARAMETER_ERROR)
    levels: list[tuple[int, Any, list]] = []
    for j in range(0, len(ctx), 2):
        ctype, cvalue = ctx[j], ctx[j + 1]
        if not isinstance(ctype, int) or isinstance(ctype, bool):
            raise fail(PARAMETER_ERROR)
        if ctype == CTX_AND_FILTER:
            if not levels or not isinstance(cvalue, list):
                raise fail(PARAMETER_ERROR)
            levels[-1][2].append(cvalue)
        elif ctype == CTX_ALL_CHILDREN:
            if cvalue is True:
                levels.append((ctype, None, []))
            elif isinstance(cvalue, list):
                levels.append((ctype, None, [cvalue]))
            else:
                raise fail(PARAMETER_ERROR)
        elif ctype == CTX_MAP_KEYS_IN:
            if not isinstance(cvalue, list):
                raise fail(PARAMETER_ERROR)
            levels.append((ctype, cvalue, []))
        elif ctype & 0x3F in (0x10, 0x11, 0x13, 0x20, 0x21, 0x22, 0x23):
            levels.append((ctype & 0x3F, cvalue, []))
        else:
            raise fail(PARAMETER_ERROR)
    return levels


def _select_level(v: Any, level: tuple[int, Any, list], env: Any, no_fail: bool) -> list[_Item]:
    ctype, cvalue, filters = level
    if ctype == CTX_ALL_CHILDREN:
        chosen = _items(v)
    elif ctype == CTX_MAP_KEYS_IN:
        chosen = [it for it in _items(v) if isinstance(v, CMap) and _contains(cvalue, it.key)]
    else:
        box = [v]
        try:
            holder = resolve(Holder(lambda: box[0], lambda x: None), [ctype, cvalue],
                             False, False)
        except CdtError:
            return []
        target = holder.get()
        chosen = [it for it in _items(v) if it.value is target]
    if not filters:
        return chosen
    from .expressions import loop_filter
    out = []
    for it in chosen:
        keep = True
        for exp in filters:
            verdict = loop_filter(exp, env, it.key, it.value, it.index)
            if verdict is None:
                if not no_fail:
                    raise fail(PARAMETER_ERROR)
                keep = False
            elif not verdict:
                keep = False
            if not keep:
                break
        if keep:
            out.append(it)
    return out


def _select_all(root: Any, levels: list, env: Any, no_fail: bool) -> list[_Item]:
    level = [_Item(None, root, None, None, None)]
    for lv in levels:
        nxt: list[_Item] = []
        for it in level:
            nxt += _select_level(it.value, lv, env, no_fail)
        level = nxt
    return level


def _tree(v: Any, levels: list, k: int, env: Any, no_fail: bool) -> Any:
    if k == len(levels) or not isinstance(v, (list, CMap)):
        return v
    chosen = _select_level(v, levels[k], env, no_fail)
    if isinstance(v, CMap):
        return CMap([[it.key, _tree(it.value, levels, k + 1, env, no_fail)] for it in chosen],
                    v.flags)
    # the server's value model holds lists as CList
    return CList([_tree(it.value, levels, k + 1, env, no_fail) for it in chosen],
                 cast(CList, v).flags)


def path_select(root: Any, ctx: list, flags: int, env: Any = None) -> Result:
    """select_by_path: the elements the contexts reach (all children, optionally
    filtered by expressions on the loop variables), as the flags ask."""
    levels = _path_levels(ctx)
    if not isinstance(flags, int):
        raise fail(PARAMETER_ERROR)
    mode = flags & 0x0F
    no_fail = bool(flags & PATH_NO_FAIL)
    if mode == PATH_MATCHING_TREE:
        return Result(_tree(root, levels, 0, env, no_fail))
    chosen = _select_all(root, levels, env, no_fail)
    if mode == PATH_VALUE:
        return Result(CList([it.value for it in chosen]))
    if mode == PATH_MAP_KEY:
        return Result(CList([it.key for it in chosen if it.key is not None]))
    if mode == PATH_MAP_KEY_VALUE:
        out = CList()
        for it in chosen:
            if isinstance(it.parent, CMap):
                out += [it.key, it.value]
        return Result(out)
    raise fail(PARAMETER_ERROR)


def path_modify(root: Any, ctx: list, flags: int, mod_exp: Any, env: Any = None) -> None:
    """modify_by_path: replace each element the contexts reach with the value of
    ``mod_exp`` (or remove it when that is RemoveResult), in place."""
    from .expressions import REMOVE, loop_value
    levels = _path_levels(ctx)
    no_fail = bool(flags & PATH_NO_FAIL) if isinstance(flags, int) else False
    chosen = _select_all(root, levels, env, no_fail)
    removed: dict[int, tuple[Any, list]] = {}
    for it in chosen:
        if it.parent is None:
            continue
        value = loop_value(mod_exp, env, it.key, it.value, it.index)
        if value is None:
            if no_fail:
                continue
            raise fail(OP_NOT_APPLICABLE)
        value = value[0]
        if value is REMOVE:
            removed.setdefault(id(it.parent), (it.parent, []))[1].append(it.slot)
        elif isinstance(it.parent, CMap):
            it.slot[1] = value
        else:
            it.parent[it.slot] = value
    for parent, slots in removed.values():
        if isinstance(parent, CMap):
            gone = {id(p) for p in slots}
            parent.pairs = [p for p in parent.pairs if id(p) not in gone]
        else:
            for i in sorted(slots, reverse=True):
                del parent[i]


# -- result particles ----------------------------------------------------------------------
def result_particle(v: Any) -> tuple[int, bytes]:
    if v is None:
        return PARTICLE_NULL, b""
    if v is True or v is False:
        return PARTICLE_BOOL, b"\x01" if v else b"\x00"
    if isinstance(v, int):
        return PARTICLE_INTEGER, (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")
    if isinstance(v, float):
        return PARTICLE_FLOAT, struct.pack(">d", v)
    if isinstance(v, bytes):
        if not v:
            return PARTICLE_BLOB, b""
        return v[0], v[1:]
    if isinstance(v, CMap):
        return PARTICLE_MAP, pack(v)
    if isinstance(v, list):
        return PARTICLE_LIST, pack(v)
    raise fail(PARAMETER_ERROR)


# -- the op handlers -----------------------------------------------------------------------
def run(txn: Any, op: Op, modify: bool) -> int:
    try:
        return _run(txn, op, modify)
    except CdtError as exc:
        return exc.code


def apply_op(root: Any, payload: Any, modify: bool, env: Any = None) -> tuple[Any, Result]:
    """Run one list/map operation (``payload`` decoded, contexts and path selects
    included) on ``root`` (None: no bin); returns the new root and the op's result.
    ``env`` is the expression context of path filters. Raises CdtError."""
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], int):
        raise fail(PARAMETER_ERROR)
    if payload[0] == 0xFE:
        if len(payload) < 3 or len(payload) > 4:
            raise fail(PARAMETER_ERROR)
        if len(payload) == 4:
            if not modify:
                raise fail(PARAMETER_ERROR)
            if root is None:
                return None, NO_RESULT
            path_modify(root, payload[1], payload[2], payload[3], env)
            return root, NO_RESULT
        if modify:
            raise fail(PARAMETER_ERROR)
        if root is None:
            return None, NO_RESULT
        return root, path_select(root, payload[1], payload[2], env)
    ctx: list | None = None
    if payload[0] == 0xFF:
        if len(payload) != 3 or not isinstance(payload[2], list) or not payload[2]:
            raise fail(PARAMETER_ERROR)
        ctx = payload[1]
        payload = payload[2]
    code = payload[0]
    if not isinstance(code, int):
        raise fail(PARAMETER_ERROR)
    is_map = 64 <= code < 128
    if not modify and root is None:
        return None, NO_RESULT
    box = [root]

    def set_root(v: Any) -> None:
        box[0] = v
    holder = Holder(lambda: box[0], set_root)
    if ctx is not None:
        if root is None:
            raise fail(OP_NOT_APPLICABLE)
        holder = resolve(holder, ctx, is_map, modify)
    target = holder.get()
    if is_map:
        if target is not None:
            _check_map(target)
        result = map_op(code, list(payload[1:]), target, modify, holder)
    else:
        if target is not None:
            _check_list(target)
        result = list_op(code, list(payload[1:]), target, modify, holder)
    return box[0], result


def _run(txn: Any, op: Op, modify: bool) -> int:
    if modify and len(name_bytes(op.name)) > 15:
        return BIN_NAME_TOO_LONG
    payload = decode(op.value)
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], int):
        return PARAMETER_ERROR
    current = txn.bins.get(op.name)
    root: Any = None
    if current is not None:
        ptype, raw = current
        if ptype not in (PARTICLE_LIST, PARTICLE_MAP):
            return BIN_INCOMPATIBLE_TYPE
        root = decode(raw)
    env = None
    if payload[0] == 0xFE:
        from .expressions import context_of_txn
        env = context_of_txn(txn)
    new_root, result = apply_op(root, payload, modify, env)
    if modify and new_root is not None:
        if isinstance(new_root, CMap):
            txn.bins[op.name] = (PARTICLE_MAP, pack(new_root))
        else:
            txn.bins[op.name] = (PARTICLE_LIST, pack(new_root))
    _emit(txn, op, result)
    return OK


def _emit(txn: Any, op: Op, result: Result) -> None:
    if not result.present or result.value is None:
        txn.reply_nil(op)
        return
    ptype, data = result_particle(result.value)
    txn.out.append(op_bytes(op.op, ptype, name_bytes(op.name), data))


def run_read(txn: Any, op: Op) -> int:
    return run(txn, op, False)


def run_modify(txn: Any, op: Op) -> int:
    return run(txn, op, True)
