"""Shared pieces of the one-pass batch and scan/query reply decoders.

``read_bins`` decodes the operations of one record into a bins dict, the common
particles (string, integer, blob, float) inline; ``read_pairs`` into (name, value) pairs
in arrival order; ``cached_name`` turns name bytes
(bin, namespace and set names) into ``str`` through one bounded cache.
Both are written for the hot loops: what they use is bound as default arguments, so
it is read as fast locals on every call.
"""
from __future__ import annotations

import struct
from typing import Any

from .particles import decode_particle, hooks

_OP3 = struct.Struct(">IxBxB")       # op size, particle type, name length
_OP5 = struct.Struct(">IBBBB")       # op size, op, particle type, flags, name length
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")

_names: dict[bytes, str] = {}
_NAMES_MAX = 10000


def cached_name(raw: bytes, _names: dict[bytes, str] = _names) -> str:
    """``raw`` decoded as UTF-8, remembered while the cache holds fewer than 10,000 names."""
    s = raw.decode("utf-8")
    if len(_names) < _NAMES_MAX:
        _names[raw] = s
    return s


def read_bins(data: bytes, pos: int, n_ops: int, end: int, bins: dict[str, Any],
              _ohead: Any = _OP3.unpack_from, _i64: Any = _I64.unpack_from,
              _f64: Any = _F64.unpack_from, _names_get: Any = _names.get,
              _name: Any = cached_name, _decode: Any = decode_particle,
              _hooks: Any = hooks) -> int:
    """Decode the ``n_ops`` operations at ``pos`` of ``data`` into ``bins`` (a later
    value of the same name wins); returns the offset after the last one.

    Raises ValueError when an operation runs past ``end`` or its name past the
    operation, struct.error/UnicodeDecodeError on other malformed bytes.
    """
    while n_ops:   # cheaper than a range() per record for the usual few bins
        n_ops -= 1
        size, ptype, name_len = _ohead(data, pos)
        name_end = pos + 8 + name_len
        stop = pos + 4 + size
        if stop > end or name_end > stop:
            raise ValueError("operation runs past the message")
        raw = data[pos + 8:name_end]
        name = _names_get(raw) or _name(raw)   # (a cached "" is falsy: decoded again)
        if ptype == 3:
            bins[name] = data[name_end:stop].decode("utf-8", "surrogateescape")
        elif ptype == 1 and stop - name_end == 8:
            bins[name] = _i64(data, name_end)[0]
        elif ptype == 4:
            bins[name] = _decode(4, data[name_end:stop]) if _hooks.on else data[name_end:stop]
        elif ptype == 2 and stop - name_end == 8:
            bins[name] = _f64(data, name_end)[0]
        else:
            bins[name] = _decode(ptype, data[name_end:stop])
        pos = stop
    return pos


def read_pairs(data: Any, pos: int, n_ops: int, end: int) -> tuple[list[tuple[str, Any]], int]:
    """The ``n_ops`` operations at ``pos`` of ``data`` (bytes or memoryview) as (name, value)
    pairs in arrival order, and the offset after the last one. Raises ValueError when an
    operation runs past ``end`` or its name past the operation."""
    pairs: list[tuple[str, Any]] = []
    head = _OP5.unpack_from
    for _ in range(n_ops):
        size, _op, ptype, _flags, name_len = head(data, pos)
        name_end = pos + 8 + name_len
        stop = pos + 4 + size
        if stop > end or name_end > stop:
            raise ValueError("operation runs past the message")
        pairs.append((str(data[pos + 8:name_end], "utf-8"),
                      decode_particle(ptype, data[name_end:stop])))
        pos = stop
    return pairs, pos
