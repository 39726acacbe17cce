"""Single-record requests and replies: the client's hot path, kept allocation-light."""
from __future__ import annotations

import struct
from typing import Any

from .digest import key_bytes
from .framing import MSG_AS, ProtocolError, proto_word
from .message import FIELD_DIGEST, FIELD_KEY, FIELD_NAMESPACE, FIELD_SET, MSG_HEADER_SIZE
from ._records import read_bins, read_pairs

_HEAD = struct.Struct(">QBBBBBBIIIHH")
_REPLY_HEAD = struct.Struct(">BBBBBBIIIHH")
_FIELD = struct.Struct(">IB")
_OP = struct.Struct(">IBBBB")
_DIGEST_FIELD = _FIELD.pack(21, FIELD_DIGEST)
_AS_MSG_WORD = proto_word(MSG_AS, 0)   # a command's proto word, its size or-ed in

CITRUSLEAF_EPOCH = 1262304000  # 2010-01-01: the server counts void times from here
TTL_NEVER = 0xFFFFFFFF  # the ttl the API reports for a record that never expires


def ttl_of(void_time: int, now: int) -> int:
    """The ttl the API reports for a void time, ``now`` in seconds since CITRUSLEAF_EPOCH."""
    if void_time == 0:
        return TTL_NEVER
    return void_time - now if void_time > now else 1


_ns_set_cache: dict[tuple[str, str | None], bytes] = {}


def ns_set_field_bytes(namespace: str, set_name: str | None) -> bytes:
    """The namespace and set fields of a request (cached): without a set, an empty set
    field, as the official client sends it."""
    cached = _ns_set_cache.get((namespace, set_name))
    if cached is None:
        ns = namespace.encode("utf-8")
        sb = set_name.encode("utf-8") if set_name is not None else b""
        cached = _FIELD.pack(len(ns) + 1, FIELD_NAMESPACE) + ns + _FIELD.pack(len(sb) + 1,
                                                                            FIELD_SET) + sb
        if len(_ns_set_cache) < 4096:
            _ns_set_cache[(namespace, set_name)] = cached
    return cached


def key_fields(namespace: str, set_name: str | None, digest: bytes,
               user_key: Any = None) -> tuple[bytes, int]:
    """Encoded namespace, set, digest (and user key when given) fields, and their count."""
    out = ns_set_field_bytes(namespace, set_name) + _DIGEST_FIELD + digest
    count = 3
    if user_key is not None:
        ktype, kb = key_bytes(user_key)
        out += _FIELD.pack(len(kb) + 2, FIELD_KEY) + bytes((ktype,)) + kb
        count += 1
    return out, count


def op_header(op: int, ptype: int, name: bytes, value_len: int) -> bytes:
    return _OP.pack(len(name) + value_len + 4, op, ptype, 0, len(name)) + name


def encode_name_ops(op: int, names: list[str]) -> tuple[bytes, int]:
    """One value-less ``op`` per bin name (select's reads)."""
    parts = []
    for name in names:
        nb = name.encode("utf-8")
        parts.append(_OP.pack(len(nb) + 4, op, 0, 0, len(nb)) + nb)
    return b"".join(parts), len(names)


def encode_command(info1: int, info2: int, info3: int, info4: int, generation: int,
                   expiration: int, timeout: int, fields: bytes, n_fields: int,
                   ops: bytes = b"", n_ops: int = 0) -> bytes:
    """A whole type-3 request from encoded fields and operations."""
    size = MSG_HEADER_SIZE + len(fields) + len(ops)
    return _HEAD.pack(_AS_MSG_WORD | size, MSG_HEADER_SIZE, info1, info2, info3,
                      info4, 0, generation, expiration, timeout, n_fields,
                      n_ops) + fields + ops


def record_parts(payload: bytes | memoryview, ordered: bool = False
                 ) -> tuple[int, int, int, Any]:
    """(result code, generation, void time, bins) of a single-record reply (payload
    without proto header): bins a dict (a later value of a name wins), or with
    ``ordered`` every (name, value) in arrival order. Raises ProtocolError when
    malformed."""
    try:
        (_hsize, _i1, _i2, _i3, _i4, rc, gen, ttl, _timeout, n_fields,
         n_ops) = _REPLY_HEAD.unpack_from(payload)
        pos = MSG_HEADER_SIZE
        while n_fields:
            n_fields -= 1
            pos += 4 + _FIELD.unpack_from(payload, pos)[0]
        if not ordered:
            bins: dict[str, Any] = {}
            if n_ops:
                data = payload if type(payload) is bytes else bytes(payload)
                read_bins(data, pos, n_ops, len(data), bins)
            return rc, gen, ttl, bins
        mv = memoryview(payload)
        return rc, gen, ttl, read_pairs(mv, pos, n_ops, len(mv))[0]
    except (struct.error, IndexError, ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"malformed record reply: {exc}") from None
