"""Aerospike's msgpack dialect for collection values (lists, maps, CDT operands).

Strings and blobs travel as msgpack raw strings whose first byte names the
type (3 string, 4 blob, 23 GeoJSON). A map whose first pair is
``ExtType(attrs, b"") : nil`` carries its order flags. Wildcard and infinity
are ext type -1, which the msgpack package will neither pack nor unpack as
such, so values holding them go through the small pure-Python codec below.
The C-accelerated ``msgpack`` does the bulk of the work otherwise.
"""
from __future__ import annotations

import contextvars
import os
import struct
import sys
import warnings
from collections.abc import Callable
from typing import Any

import msgpack

from ..exceptions import ClientError
from ..types import CDTInfinite, CDTWildcard, GeoJSON, HyperLogLog, KeyOrderedDict, null

STRING_PREFIX = 3
BLOB_PREFIX = 4
HLL_PREFIX = 18
GEOJSON_PREFIX = 23

MAP_UNORDERED = 0
MAP_KEY_ORDERED = 1
MAP_KEY_VALUE_ORDERED = 3
MAP_RESULT_PAIRS = 8
"""Order flag of a map result whose pairs keep their order (return type KEY_VALUE): the
official client hands it out as a flat ``[key, value, key, value, ...]`` list."""

_WILDCARD = b"\xd4\xff\x00"
_INFINITY = b"\xd4\xff\x01"
_ORDER_EXT = msgpack.ExtType


class _SlowPath(Exception):
    """The value holds a token that only the pure-Python packer can write."""


# Strings, blobs and GeoJSON all travel in msgpack's str family (str8 included,
# as the official client writes them): prefixed values are handed to the packer
# as Python str, blobs via surrogateescape so that their bytes come out as they are.
_packer_packb = msgpack.Packer(use_bin_type=True, unicode_errors="surrogateescape",
                               autoreset=True).pack


def _raw(prefixed: bytes) -> str:
    return prefixed.decode("utf-8", "surrogateescape")


#: while a client with its own ``serialization`` serializer encodes operations or
#: expressions: that serializer (value -> blob bytes), for values of no Aerospike type, as
#: the official client uses it there (its module-wide serializer it does not use there)
instance_serializer: contextvars.ContextVar[Callable[[Any], bytes] | None] = \
    contextvars.ContextVar("aerospike_instance_serializer", default=None)


def pack(value: Any) -> bytes:
    """Encode ``value`` in Aerospike's msgpack dialect."""
    try:
        return _packer_packb(_to_wire(value))
    except _SlowPath:
        out = bytearray()
        _pack_into(out, value)
        return bytes(out)
    except TypeError:
        serialize = instance_serializer.get()
        if serialize is None:
            raise
        return pack_user(value, serialize)


def _geo_json(value: GeoJSON) -> bytes:
    return value.dumps().encode("utf-8")


def _rank(value: Any) -> tuple[int, Any]:
    """Aerospike's ordering of value types, used to sort key-ordered maps."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, int):
        return (2, value)
    if isinstance(value, str):
        return (3, value.encode("utf-8"))
    if isinstance(value, (list, tuple)):
        return (4, 0)
    if isinstance(value, dict):
        return (5, 0)
    if isinstance(value, (bytes, bytearray)):
        return (6, bytes(value))
    if isinstance(value, float):
        return (7, value)
    return (8, 0)


def _ordered_items(value: dict) -> list:
    return sorted(value.items(), key=lambda kv: _rank(kv[0]))


# The official client sends values as C does: a string ends at its first NUL, an integer
# must fit in 64 signed bits, and a map leaves out (with a DeprecationWarning) the keys its
# server cannot take: nil, booleans and floats.
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_LEFT_OUT_KEYS = frozenset({type(None), bool, float, null})


def c_string(v: str) -> str:
    """``v`` as C reads it: up to its first NUL."""
    return v if "\x00" not in v else v[:v.index("\x00")]


def unserializable() -> ClientError:
    """A value of a type no particle or msgpack form exists for (a bin value, an operation
    or UDF argument, an expression value): the official client's ClientError."""
    return ClientError(-1, "Unable to serialize unknown Python native type.", None, None,
                       False)


def _int64(v: int) -> int:
    if _INT64_MIN <= v <= _INT64_MAX:
        return v
    raise OverflowError("integer value exceeds sys.maxsize")


def _leave_out(key: Any) -> bool:
    """Warn, as the official client does, that a map key of a type in _LEFT_OUT_KEYS is
    not sent; always False, to filter it out."""
    shown = ("NIL" if key is None or type(key) is null
             else ("true" if key else "false") if type(key) is bool else f"{key:g}")
    warnings.warn(f"Attempted to store a map with key {shown}, which is an invalid type",
                  DeprecationWarning, stacklevel=_caller_level())
    return False


_OUR_ROOTS = tuple(os.path.dirname(os.path.dirname(os.path.dirname(__file__))) + os.sep + name
                   for name in ("aerospike_async", "aerospike_helpers", "compat"))


def _caller_level() -> int:
    """The warnings stacklevel of the first caller outside this project's packages."""
    frame: Any = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_OUR_ROOTS):
        frame, level = frame.f_back, level + 1
    return level


def _map_items(v: dict) -> list:
    """A map's pairs as they travel: keys in Aerospike order, left-out keys dropped."""
    items = _ordered_items(v) if len(v) > 1 else v.items()
    return [(k, x) for k, x in items if type(k) not in _LEFT_OUT_KEYS or _leave_out(k)]


def _map_to_wire(v: dict) -> dict:
    return {_to_wire(k): _to_wire(x) for k, x in _map_items(v)}


def _to_wire(v: Any) -> Any:
    t = type(v)
    if t is str:
        return "\x03" + v if "\x00" not in v else "\x03" + c_string(v)
    if t is int:
        return v if _INT64_MIN <= v <= _INT64_MAX else _int64(v)
    if t is float or t is bool or v is None:
        return v
    if t is list:
        return [_to_wire(x) for x in v]
    if t is dict:
        return _map_to_wire(v)
    if t is bytes or t is bytearray:
        return _raw(b"\x04" + v)
    if t is KeyOrderedDict:
        out = {_ORDER_EXT(MAP_KEY_ORDERED, b""): None}
        for k, x in _map_items(v):
            out[_to_wire(k)] = _to_wire(x)
        return out
    if t is GeoJSON:
        return "\x17" + v.dumps()
    if t is HyperLogLog:
        return _raw(b"\x12" + v)
    if t is null:
        return None
    if t is CDTWildcard or t is CDTInfinite:
        raise _SlowPath
    # subclasses of the plain types
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return _int64(int(v))
    if isinstance(v, float):
        return float(v)
    if isinstance(v, str):
        return "\x03" + c_string(str(v))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _raw(b"\x04" + bytes(v))
    if isinstance(v, list):
        return [_to_wire(x) for x in v]
    if isinstance(v, dict):
        return _map_to_wire(v)
    # tuples, sets and other objects have no Aerospike type (the official
    # client refuses them too unless a serializer is configured)
    raise TypeError(f"cannot encode a value of type {t.__name__} in a collection")


def pack_user(value: Any, serialize: Any) -> bytes:
    """pack() for a value holding types Aerospike lacks: each such value becomes a
    generic blob of ``serialize(value)`` (the bytes of a user serializer's result)."""
    return _packer_packb(_to_wire_user(value, serialize))


def _to_wire_user(v: Any, serialize: Any) -> Any:
    if isinstance(v, KeyOrderedDict):
        out = {_ORDER_EXT(MAP_KEY_ORDERED, b""): None}
        for k, x in _map_items(v):
            out[_to_wire_user(k, serialize)] = _to_wire_user(x, serialize)
        return out
    if isinstance(v, dict):
        return {_to_wire_user(k, serialize): _to_wire_user(x, serialize)
                for k, x in _map_items(v)}
    if isinstance(v, list):
        return [_to_wire_user(x, serialize) for x in v]
    try:
        return _to_wire(v)
    except (TypeError, _SlowPath):
        return _raw(b"\x04" + serialize(v))


# -- pure-Python packer (values holding wildcard or infinity) ---------------

def pack_header(out: bytearray, n: int, fix: int, fix_max: int, c16: int, c32: int) -> None:
    """Write a msgpack array/map/str header for ``n`` (fix form up to ``fix_max``)."""
    if n <= fix_max:
        out.append(fix | n)
    elif n < 0x10000:
        out.append(c16)
        out += struct.pack(">H", n)
    else:
        out.append(c32)
        out += struct.pack(">I", n)


def pack_raw(out: bytearray, data: bytes) -> None:
    """Write ``data`` (a type-prefixed string or blob) as a msgpack raw string."""
    n = len(data)
    if n < 32:
        out.append(0xA0 | n)
    elif n < 0x100:
        out += b"\xd9" + bytes((n,))
    elif n < 0x10000:
        out += b"\xda" + struct.pack(">H", n)
    else:
        out += b"\xdb" + struct.pack(">I", n)
    out += data


def _pack_into(out: bytearray, v: Any) -> None:
    if isinstance(v, CDTWildcard):
        out += _WILDCARD
    elif isinstance(v, CDTInfinite):
        out += _INFINITY
    elif isinstance(v, list):
        pack_header(out, len(v), 0x90, 15, 0xDC, 0xDD)
        for x in v:
            _pack_into(out, x)
    elif isinstance(v, dict):
        items = _map_items(v)
        if isinstance(v, KeyOrderedDict):
            pack_header(out, len(items) + 1, 0x80, 15, 0xDE, 0xDF)
            out += b"\xc7\x00" + bytes((MAP_KEY_ORDERED,)) + b"\xc0"
        else:
            pack_header(out, len(items), 0x80, 15, 0xDE, 0xDF)
        for k, x in items:
            _pack_into(out, k)
            _pack_into(out, x)
    elif isinstance(v, str):
        pack_raw(out, b"\x03" + c_string(v).encode("utf-8"))
    elif isinstance(v, GeoJSON):
        pack_raw(out, b"\x17" + _geo_json(v))
    elif isinstance(v, HyperLogLog):
        pack_raw(out, b"\x12" + bytes(v))
    elif isinstance(v, (bytes, bytearray)):
        pack_raw(out, b"\x04" + bytes(v))
    elif isinstance(v, null):
        out.append(0xC0)
    else:
        out += _packer_packb(_int64(v) if isinstance(v, int) and not isinstance(v, bool)
                            else v)


# -- unpacking --------------------------------------------------------------

def unpack(data: bytes | memoryview) -> Any:
    """Decode a value in Aerospike's msgpack dialect."""
    try:
        raw = msgpack.unpackb(data, raw=True, strict_map_key=False, use_list=True)
    except (ValueError, TypeError):
        return Reader(bytes(data)).value()
    return _from_wire(raw)


def _from_raw(v: bytes) -> Any:
    if not v:
        return b""
    prefix = v[0]
    if prefix == STRING_PREFIX:
        return v[1:].decode("utf-8", "surrogateescape")
    if prefix == GEOJSON_PREFIX:
        return _make_geojson(v[1:].decode("utf-8"))
    if prefix == HLL_PREFIX:
        return HyperLogLog(v[1:])
    if prefix == BLOB_PREFIX and blob_hook is not None:
        return blob_hook(v[1:])
    if prefix == PYTHON_BLOB_PREFIX:
        return bytearray(v[1:])
    return v[1:]


#: particles.decode_blob once a user deserializer exists (particles.enable_blob_hook)
blob_hook: Any = None
PYTHON_BLOB_PREFIX = 9


def _make_geojson(text: str) -> GeoJSON:
    return GeoJSON(text)


def _from_wire(v: Any) -> Any:
    t = type(v)
    if t is bytes:
        return _from_raw(v)
    if t is list:
        if v and type(v[0]) is msgpack.ExtType:
            del v[0]  # an ordered list's flags
        for i, x in enumerate(v):
            tx = type(x)
            if tx is bytes or tx is list or tx is dict or tx is msgpack.ExtType:
                v[i] = _from_wire(x)
        return v
    if t is dict:
        items = iter(v.items())
        result: dict = {}
        first = next(items, None)
        if first is not None:
            k, x = first
            if type(k) is msgpack.ExtType:
                if k.code == MAP_RESULT_PAIRS:
                    return [_from_wire(y) for kv in items for y in kv]
                if k.code & MAP_KEY_ORDERED:
                    result = KeyOrderedDict()
            else:
                result[_from_wire(k)] = _from_wire(x)
        for k, x in items:
            result[_from_wire(k)] = _from_wire(x)
        return result
    if t is msgpack.ExtType:
        return v
    return v


class Reader:
    """Pure-Python decoder for values msgpack refuses (ext -1, unhashable keys).

    The embedded server subclasses it for its own value model, overriding ``_raw``
    (prefixed strings and blobs), ``_ext``, ``_array`` and ``_map``.
    """

    __slots__ = ("data", "pos")

    _raw = staticmethod(_from_raw)

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        start = self.pos
        self.pos += n
        if self.pos > len(self.data):
            raise ValueError("truncated msgpack value")
        return self.data[start:self.pos]

    def _uint(self, n: int) -> int:
        return int.from_bytes(self._take(n), "big")

    def _int(self, n: int) -> int:
        return int.from_bytes(self._take(n), "big", signed=True)

    def _array(self, n: int) -> list:
        out = [self.value() for _ in range(n)]
        if out and isinstance(out[0], msgpack.ExtType):
            del out[0]  # an ordered list's flags
        return out

    def _map(self, n: int) -> object:
        """A dict (a KeyOrderedDict when flagged), or the flat [k, v, ...] list of a
        pairs result; subclasses return their own map type."""
        result: dict = {}
        pairs: list | None = None
        for i in range(n):
            k = self.value()
            x = self.value()
            if pairs is not None:
                pairs += [k, x]
                continue
            if i == 0 and isinstance(k, msgpack.ExtType):
                if k.code == MAP_RESULT_PAIRS:
                    pairs = []
                elif k.code & MAP_KEY_ORDERED:
                    result = KeyOrderedDict()
                continue
            if isinstance(k, list):
                k = tuple(k)
            result[k] = x
        return result if pairs is None else pairs

    def _ext(self, n: int) -> Any:
        code = self._int(1)
        data = self._take(n)
        if code == -1:
            return CDTInfinite() if data == b"\x01" else CDTWildcard()
        return msgpack.ExtType(code, data)

    def value(self) -> Any:
        b = self._take(1)[0]
        if b <= 0x7F:
            return b
        if b >= 0xE0:
            return b - 0x100
        if 0x80 <= b <= 0x8F:
            return self._map(b & 0x0F)
        if 0x90 <= b <= 0x9F:
            return self._array(b & 0x0F)
        if 0xA0 <= b <= 0xBF:
            return self._raw(self._take(b & 0x1F))
        simple = {0xC0: None, 0xC2: False, 0xC3: True}
        if b in simple:
            return simple[b]
        if b in (0xC4, 0xC5, 0xC6, 0xD9, 0xDA, 0xDB):
            width = {0xC4: 1, 0xC5: 2, 0xC6: 4, 0xD9: 1, 0xDA: 2, 0xDB: 4}[b]
            return self._raw(self._take(self._uint(width)))
        if b in (0xC7, 0xC8, 0xC9):
            return self._ext(self._uint({0xC7: 1, 0xC8: 2, 0xC9: 4}[b]))
        if b == 0xCA:
            return struct.unpack(">f", self._take(4))[0]
        if b == 0xCB:
            return struct.unpack(">d", self._take(8))[0]
        if 0xCC <= b <= 0xCF:
            return self._uint(1 << (b - 0xCC))
        if 0xD0 <= b <= 0xD3:
            return self._int(1 << (b - 0xD0))
        if 0xD4 <= b <= 0xD8:
            return self._ext(1 << (b - 0xD4))
        if b in (0xDC, 0xDD):
            return self._array(self._uint(2 if b == 0xDC else 4))
        if b in (0xDE, 0xDF):
            return self._map(self._uint(2 if b == 0xDE else 4))
        raise ValueError(f"invalid msgpack byte 0x{b:02x}")
