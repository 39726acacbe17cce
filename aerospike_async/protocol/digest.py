"""Key digests and partition ids, computed exactly as the server does."""
from __future__ import annotations

import hashlib
import struct
from typing import Any, Callable

PARTITIONS = 4096
#: every partition id, as int objects shared by whoever lists partitions: a list of pids
#: sliced from it creates no ints (4096 new ones cost ~50 us), and compares with it fast.
#: Never changed.
PARTITION_IDS: list[int] = list(range(PARTITIONS))
_KEY_INT = 1
_KEY_STRING = 3
_KEY_BLOB = 4
_I64 = struct.Struct(">q")


def key_bytes(key: object) -> tuple[int, bytes]:
    """(particle type, bytes) of a user key as the digest sees it."""
    if isinstance(key, str):
        return _KEY_STRING, key.encode("utf-8")
    if isinstance(key, bool):
        raise TypeError("a bool is not a valid user key")
    if isinstance(key, int):
        return _KEY_INT, _I64.pack(key)
    if isinstance(key, bytes):
        # the official client sends and hashes a bytes key as a string particle
        return _KEY_STRING, key
    if isinstance(key, (bytearray, memoryview)):
        return _KEY_BLOB, bytes(key)
    raise TypeError(f"a user key must be str, int or bytes, not {type(key).__name__}")


def compute_digest(set_name: str | None, key: object) -> bytes:
    """RIPEMD-160 over set name, key type byte and key bytes (20 bytes)."""
    t = type(key)
    if t is int or t is str:
        states = _set_states.get(set_name) or set_states(set_name)
        if states is not None:
            # exact type checks (a bool or str subclass takes the slow path below)
            if t is str:
                h = states[1].copy()
                h.update(key.encode("utf-8"))  # type: ignore[attr-defined]
                return h.digest()
            if _I64_MIN <= key <= _I64_MAX:  # type: ignore[operator]
                h = states[0].copy()
                h.update(_I64.pack(key))
                return h.digest()
    ktype, kbytes = key_bytes(key)
    data = (set_name or "").encode("utf-8") + bytes((ktype,)) + kbytes
    return ripemd160(data)


# set name -> RIPEMD-160 states that have absorbed the set name and the int (resp. str) key
# type byte: the digest of a key of a set seen before costs one copy, update and digest
_set_states: dict[str | None, tuple[Any, Any]] = {}
_SET_STATES_MAX = 1024
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def set_states(set_name: str | None) -> tuple[Any, Any] | None:
    """The (int key, str key) hash states of ``set_name``, or None where hashlib has no
    RIPEMD-160 (or for a set name that is not a str)."""
    states = _set_states.get(set_name) if set_name is None or type(set_name) is str else None
    if states is None and _ripemd160_state is not None and (
            set_name is None or type(set_name) is str) and len(_set_states) < _SET_STATES_MAX:
        h = _ripemd160_state.copy()
        h.update((set_name or "").encode("utf-8"))
        h_int = h.copy()
        h_int.update(b"\x01")
        h.update(b"\x03")
        states = _set_states[set_name] = (h_int, h)
    return states


def partition_id(digest: bytes) -> int:
    """The partition (0..4095) a digest belongs to."""
    return (digest[0] | (digest[1] << 8)) % PARTITIONS


# -- RIPEMD-160 -------------------------------------------------------------
# hashlib offers ripemd160 only when OpenSSL provides it; the fallback below
# follows the published specification (Dobbertin, Bosselaers, Preneel 1996).

_R_LEFT = (
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13)
_R_RIGHT = (
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11)
_S_LEFT = (
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6)
_S_RIGHT = (
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11)
_K_LEFT = (0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E)
_K_RIGHT = (0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000)
_MASK = 0xFFFFFFFF


def _f(j: int, x: int, y: int, z: int) -> int:
    if j < 16:
        return x ^ y ^ z
    if j < 32:
        return (x & y) | (~x & z)
    if j < 48:
        return ((x | ~y) & _MASK) ^ z
    if j < 64:
        return (x & z) | (y & ~z)
    return x ^ ((y | ~z) & _MASK)


def _rol(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK


def ripemd160_pure(data: bytes) -> bytes:
    """RIPEMD-160 in pure Python (slow; used only where hashlib lacks it)."""
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    msg = bytes(data) + b"\x80"
    msg += b"\x00" * ((56 - len(msg)) % 64)
    msg += struct.pack("<Q", (len(data) * 8) & 0xFFFFFFFFFFFFFFFF)
    for block in range(0, len(msg), 64):
        x = struct.unpack_from("<16I", msg, block)
        al, bl, cl, dl, el = h
        ar, br, cr, dr, er = h
        for j in range(80):
            rnd = j >> 4
            t = _rol((al + _f(j, bl, cl, dl) + x[_R_LEFT[j]] + _K_LEFT[rnd]) & _MASK,
                     _S_LEFT[j]) + el
            al, el, dl, cl, bl = el, dl, _rol(cl, 10), bl, t & _MASK
            t = _rol((ar + _f(79 - j, br, cr, dr) + x[_R_RIGHT[j]] + _K_RIGHT[rnd]) & _MASK,
                     _S_RIGHT[j]) + er
            ar, er, dr, cr, br = er, dr, _rol(cr, 10), br, t & _MASK
        t = (h[1] + cl + dr) & _MASK
        h[1] = (h[2] + dl + er) & _MASK
        h[2] = (h[3] + el + ar) & _MASK
        h[3] = (h[4] + al + br) & _MASK
        h[4] = (h[0] + bl + cr) & _MASK
        h[0] = t
    return struct.pack("<5I", *h)


def _empty_ripemd160() -> Any:
    try:
        return hashlib.new("ripemd160")
    except ValueError:
        return None


_ripemd160_state = _empty_ripemd160()


def _pick_ripemd160() -> Callable[[bytes], bytes]:
    if _ripemd160_state is None:
        return ripemd160_pure
    fresh = _ripemd160_state.copy  # copying a hash object is cheaper than looking it up

    def via_hashlib(data: bytes) -> bytes:
        h = fresh()
        h.update(data)
        return h.digest()
    return via_hashlib


ripemd160 = _pick_ripemd160()
