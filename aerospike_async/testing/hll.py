"""HyperLogLog operations in the embedded server: wire ops 15 (read) and 16 (modify),
and the HLL calls of expressions.

An HLL particle is laid out as the server stores it (``as/src/base/particle_hll.c`` of
Aerospike 8.1): flags (0), index bit count ``p`` (4..16), minhash bit count ``m`` (0 or
4..51), an 8-byte cached count (host order: little-endian), then ``2**p`` registers of
``6 + m`` bits packed big-endian. An element is hashed as its msgpack bytes (compacted
to the shortest encoding) with MurmurHash3 x64-128 (seed 0): the low ``p`` bits of the
first half pick the register, the next ``m`` bits are the minhash value, and one plus
the count of trailing zeros of the second half is the HLL value. Counts use Ertl's
improved estimator (as the server does); intersections and similarity use the minhash
bits when every sketch has them, else inclusion-exclusion on counts.
"""
from __future__ import annotations

import math
import struct
from typing import Any

from ..protocol.message import name_bytes
from ..protocol.particles import PARTICLE_FLOAT, PARTICLE_HLL, PARTICLE_INTEGER, PARTICLE_LIST

OK = 0
UNKNOWN_ERROR = 1
PARAMETER_ERROR = 4
BIN_EXISTS = 6
BIN_INCOMPATIBLE_TYPE = 12
BIN_NOT_FOUND = 17
BIN_NAME_TOO_LONG = 21
OP_NOT_APPLICABLE = 26


# op codes
INIT, ADD, SET_UNION, REFRESH_COUNT, FOLD = 0, 1, 2, 3, 4
COUNT, GET_UNION, UNION_COUNT, INTERSECT_COUNT, SIMILARITY, DESCRIBE, MAY_CONTAIN = range(50, 57)

# write flags
CREATE_ONLY, UPDATE_ONLY, NO_FAIL, ALLOW_FOLD = 1, 2, 4, 8

MIN_INDEX_BITS, MAX_INDEX_BITS = 4, 16
HLL_BITS = 6
HLL_MAX_VALUE = 1 << HLL_BITS
MIN_MINHASH_BITS, MAX_MINHASH_BITS = 4, 64 - HLL_BITS - 7
MAX_INDEX_AND_MINHASH_BITS = 64
HEADER_SIZE = 11
UNSET = 0xFF

_M64 = (1 << 64) - 1


class HLLError(Exception):
    """An operation the server refuses: ``code`` is its result code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


# -- MurmurHash3 x64-128 -------------------------------------------------------------------
_C1, _C2 = 0x87C37B91114253D5, 0x4CF5AD432745937F


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    k ^= k >> 33
    return k


def murmur3_x64_128(data: bytes) -> tuple[int, int]:
    """MurmurHash3_x64_128 with seed 0: the two 64-bit halves (h1, h2)."""
    n = len(data)
    h1 = h2 = 0
    nblocks = n // 16
    for i in range(nblocks):
        k1, k2 = struct.unpack_from("<QQ", data, i * 16)
        k1 = (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
        h1 ^= k1
        h1 = (((_rotl(h1, 27) + h2) & _M64) * 5 + 0x52DCE729) & _M64
        k2 = (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
        h2 ^= k2
        h2 = (((_rotl(h2, 31) + h1) & _M64) * 5 + 0x38495AB5) & _M64
    tail = data[nblocks * 16:]
    r = n & 15
    if r > 8:
        k2 = int.from_bytes(tail[8:], "little")
        h2 ^= (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
    if r > 0:
        k1 = int.from_bytes(tail[:8], "little")
        h1 ^= (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return h1, h2


# -- msgpack compaction of elements --------------------------------------------------------
def _pack_str_header(n: int) -> bytes:
    if n < 32:
        return bytes((0xA0 | n,))
    if n < 0x100:
        return bytes((0xD9, n))
    if n < 0x10000:
        return b"\xda" + n.to_bytes(2, "big")
    return b"\xdb" + n.to_bytes(4, "big")


def _pack_int(v: int) -> bytes:
    from .cdt import _pack_int
    out = bytearray()
    _pack_int(out, v)
    return bytes(out)


def compact(element: bytes) -> bytes:
    """msgpack_compactify of one scalar element: integers and string/blob headers in
    their shortest form (a blob header that is already shortest stays a blob)."""
    if not element:
        return element
    b = element[0]
    if 0xCC <= b <= 0xCF:
        return _pack_int(int.from_bytes(element[1:], "big"))
    if 0xD0 <= b <= 0xD3:
        return _pack_int(int.from_bytes(element[1:], "big", signed=True))
    widths = {0xC4: 1, 0xD9: 1, 0xC5: 2, 0xDA: 2, 0xC6: 4, 0xDB: 4}
    w = widths.get(b)
    if w is not None:
        n = int.from_bytes(element[1:1 + w], "big")
        limit = {1: 0x1F, 2: 0xFF, 4: 0xFFFF}[w]
        if n <= limit:
            return _pack_str_header(n) + element[1 + w:]
    return element


# -- the particle --------------------------------------------------------------------------
def registers_size(p: int, m: int) -> int:
    return ((HLL_BITS + m) * (1 << p) + 7) // 8


def required_size(p: int, m: int) -> int:
    return HEADER_SIZE + registers_size(p, m)


def valid_index_bits(p: int) -> bool:
    return MIN_INDEX_BITS <= p <= MAX_INDEX_BITS


def valid_minhash_bits(m: int) -> bool:
    return m == 0 or MIN_MINHASH_BITS <= m <= MAX_MINHASH_BITS


def valid_bits(p: int, m: int) -> bool:
    return valid_index_bits(p) and valid_minhash_bits(m) and p + m <= MAX_INDEX_AND_MINHASH_BITS


class Sketch:
    """An HLL particle, its registers unpacked."""

    __slots__ = ("cache", "m", "p", "regs")

    def __init__(self, p: int, m: int, cache: int = 0, regs: list[int] | None = None) -> None:
        self.p = p
        self.m = m
        self.cache = cache
        self.regs = regs if regs is not None else [0] * (1 << p)

    @property
    def n_bits(self) -> int:
        return HLL_BITS + self.m

    @classmethod
    def from_bytes(cls, data: bytes) -> Sketch:
        p, m = data[1], data[2]
        cache = int.from_bytes(data[3:11], "little")
        n = 1 << p
        nb = HLL_BITS + m
        raw = data[HEADER_SIZE:HEADER_SIZE + registers_size(p, m)]
        total = len(raw) * 8
        bits = format(int.from_bytes(raw, "big"), f"0{total}b") if total else ""
        regs = [int(bits[i * nb:(i + 1) * nb], 2) for i in range(n)]
        return cls(p, m, cache, regs)

    def to_bytes(self) -> bytes:
        nb = self.n_bits
        size = registers_size(self.p, self.m)
        fmt = f"0{nb}b"
        s = "".join(format(r, fmt) for r in self.regs)
        s += "0" * (size * 8 - len(s))
        raw = int(s, 2).to_bytes(size, "big") if s else b""
        return bytes((0, self.p, self.m)) + self.cache.to_bytes(8, "little") + raw

    def copy(self) -> Sketch:
        return Sketch(self.p, self.m, self.cache, list(self.regs))


def valid_particle(data: bytes) -> bool:
    return (len(data) >= HEADER_SIZE and data[0] == 0 and valid_bits(data[1], data[2])
            and len(data) == required_size(data[1], data[2]))


def _hash(s: Sketch, element: bytes) -> tuple[int, int]:
    """hmh_hash: (register index, register value) of an element."""
    h1, h2 = murmur3_x64_128(element)
    ix = h1 & ((1 << s.p) - 1)
    minhash = (h1 >> s.p) & ((1 << s.m) - 1)
    hll_val = ((h2 & -h2).bit_length() if h2 else 65) & 0xFF
    return ix, (hll_val << s.m) | minhash


def add(s: Sketch, element: bytes) -> bool:
    ix, value = _hash(s, element)
    if s.regs[ix] < value:
        s.regs[ix] = value & ((1 << s.n_bits) - 1)
        s.cache = 0
        return True
    return False


def may_contain(s: Sketch, element: bytes) -> bool:
    ix, value = _hash(s, element)
    return value <= s.regs[ix]


def _tau(val: float) -> float:
    if val == 0.0 or val == 1.0:
        return 0.0
    y = 1.0
    z = 1 - val
    while True:
        val = math.sqrt(val)
        z_prime = z
        y *= 0.5
        z -= math.pow(1 - val, 2) * y
        if z_prime == z:
            break
    return z / 3


def _sigma(val: float) -> float:
    if val == 1.0:
        return math.inf
    y = 1.0
    z = val
    while True:
        val *= val
        z_prime = z
        z += val * y
        y += y
        if z_prime == z:
            break
    return z


def _alpha(p: int) -> float:
    return {4: 0.673, 5: 0.697, 6: 0.709}.get(p, 0.7213 / (1.0 + 1.079 / (1 << p)))


def _llround(x: float) -> int:
    """llround: to nearest, halves away from zero."""
    if math.isnan(x) or math.isinf(x):
        return -(1 << 63)
    t = math.trunc(x)
    frac = x - t
    if frac >= 0.5:
        t += 1
    elif frac <= -0.5:
        t -= 1
    return int(t)


def estimate(s: Sketch) -> int:
    """hmh_estimate_cardinality (Ertl 2017, algorithm 6), the cached count if set."""
    if s.cache:
        return s.cache
    n = 1 << s.p
    c = [0] * (HLL_MAX_VALUE + 1)
    shift = s.m
    for r in s.regs:
        c[r >> shift] += 1
    z = n * _tau(c[HLL_MAX_VALUE] / n)
    for k in range(HLL_MAX_VALUE, 0, -1):
        z = 0.5 * (z + c[k])
    z += n * _sigma(c[0] / n)
    return _llround(_alpha(s.p) * n * n / z) & _M64


def _template(sketches: list[Sketch]) -> tuple[int, int]:
    p = sketches[0].p
    m = sketches[0].m
    for s in sketches[1:]:
        p = min(p, s.p)
        if m != 0 and m != s.m:
            m = 0
    return p, m


def union_into(u: Sketch, s: Sketch) -> None:
    """hmh_union: fold ``s`` into ``u`` (u.p <= s.p)."""
    mask = (1 << u.p) - 1
    regs = u.regs
    if u.m == 0:
        shift = s.m
        for r, v in enumerate(s.regs):
            v1 = (v >> shift) & 0xFF
            i = r & mask
            if (regs[i] & 0xFF) < v1:
                regs[i] = v1 & 0x3F
    else:
        for r, v in enumerate(s.regs):
            i = r & mask
            regs[i] = max(regs[i], v)
        u.cache = 0


def union(sketches: list[Sketch]) -> Sketch:
    p, m = _template(sketches)
    u = Sketch(p, m)
    for s in sketches:
        union_into(u, s)
    return u


def _has_data(s: Sketch) -> bool:
    # the server looks at the first 2**p bytes of the registers only
    data = s.to_bytes()[HEADER_SIZE:HEADER_SIZE + (1 << s.p)]
    return any(data)


def _collisions(p: int, m: int, card0: int, card1: int) -> float:
    cp = 0.0
    n = 1 << p
    buckets = 1 << HLL_BITS
    for i in range(1, buckets + 1):
        if i != buckets:
            b1 = math.pow(2, -i)
            b2 = math.pow(2, -i + 1)
        else:
            b1 = 0.0
            b2 = math.pow(2, -i + 1)
        b1 /= n
        b2 /= n
        pr_x = math.pow(1 - b1, float(card0)) - math.pow(1 - b2, float(card0))
        pr_y = math.pow(1 - b1, float(card1)) - math.pow(1 - b2, float(card1))
        cp += pr_x * pr_y
    return cp * n / math.pow(2, m)


def similarity(sketches: list[Sketch]) -> float:
    p, m = _template(sketches)
    if m == 0:
        inter = intersect_count(sketches)
        uni = estimate(union(sketches))
        if uni == 0:
            # 0.0 / 0.0 on the server's x86: the negative "indefinite" NaN
            return -math.nan if inter == 0 else math.inf
        return inter / uni
    has = [_has_data(s) for s in sketches]
    if not all(has):
        return 0.0 if any(has) else math.nan
    agg = union(sketches)
    n_union = sum(1 for r in agg.regs if r)
    agg = Sketch(p, m)
    union_into(agg, sketches[0])
    mask = (1 << p) - 1
    for s in sketches[1:]:
        regs = agg.regs
        for r, v in enumerate(s.regs):
            i = r & mask
            regs[i] = regs[i] if regs[i] == v else 0
    n_intersect = sum(1 for r in agg.regs if r)
    ec = 0.0
    if len(sketches) == 2:
        ec = _collisions(p, m, estimate(sketches[0]), estimate(sketches[1]))
    result = (n_intersect - ec) / n_union
    return max(result, 0.0)


def _hll_intersect(sketches: list[Sketch]) -> int:
    cu = estimate(union(sketches))
    total = 0
    for s in sketches:
        c = estimate(s)
        if total + c > _M64:
            total = _M64
            break
        total += c
    if len(sketches) == 2:
        return total - cu if total > cu else 0
    pair = intersect_count
    sum_intersect = (pair(sketches[0:2]) + pair(sketches[1:3])
                     + pair([sketches[0], sketches[2]])) & _M64

    def s64(v: int) -> int:
        v &= _M64
        return v - (1 << 64) if v >> 63 else v
    result = s64(s64(cu) - s64(s64(total) - s64(sum_intersect)))
    return max(result, 0)


def intersect_count(sketches: list[Sketch]) -> int:
    if _template(sketches)[1] == 0:
        return _hll_intersect(sketches)
    j = similarity(sketches)
    if math.isnan(j):
        return 0
    cu = estimate(union(sketches))
    return _llround(float(cu) * j) & _M64


# -- parsing -------------------------------------------------------------------------------
class _Op:
    __slots__ = ("code", "elements", "flags", "hlls", "m", "p")

    def __init__(self, code: int) -> None:
        self.code = code
        self.elements: list[bytes] = []
        self.p = UNSET
        self.m = UNSET
        self.flags = 0
        self.hlls: list[Sketch] = []


def _int(v: Any) -> int:
    if type(v) is not int:
        raise HLLError(PARAMETER_ERROR)
    v &= _M64
    return v - (1 << 64) if v >> 63 else v


def _p_index_bits(op: _Op, v: Any, raw: Any) -> None:
    p = _int(v)
    if p != -1 and not valid_index_bits(p):
        raise HLLError(PARAMETER_ERROR)
    op.p = p & 0xFF


def _p_minhash_bits(op: _Op, v: Any, raw: Any) -> None:
    m = _int(v)
    if m == -1:
        op.m = UNSET
        return
    if not valid_minhash_bits(m):
        raise HLLError(PARAMETER_ERROR)
    if op.p != UNSET and not valid_bits(op.p, m):
        raise HLLError(PARAMETER_ERROR)
    op.m = m


def _flags(allowed: int) -> Any:
    def parse(op: _Op, v: Any, raw: Any) -> None:
        flags = _int(v) & _M64
        if flags & ~allowed or (flags & CREATE_ONLY and flags & UPDATE_ONLY):
            raise HLLError(PARAMETER_ERROR)
        op.flags = flags
    return parse


def _p_elements(op: _Op, v: Any, raw: Any) -> None:
    from .cdt import CMap, pack
    if not isinstance(v, list) or not v:
        raise HLLError(PARAMETER_ERROR)
    if raw is not None and len(raw) != len(v):
        raw = None
    out = []
    for i, e in enumerate(v):
        if isinstance(e, (list, CMap)):
            raise HLLError(PARAMETER_ERROR)
        out.append(compact(raw[i]) if raw is not None else pack(e))
    op.elements = out


def _p_hlls(op: _Op, v: Any, raw: Any) -> None:
    items = v if isinstance(v, list) else [v]
    if not items:
        raise HLLError(PARAMETER_ERROR)
    out = []
    for e in items:
        if not isinstance(e, bytes) or len(e) < HEADER_SIZE + 1:
            raise HLLError(PARAMETER_ERROR)
        data = e[1:]  # the particle type byte
        if data[0] != 0 or not valid_index_bits(data[1]) or not valid_minhash_bits(data[2]):
            raise HLLError(PARAMETER_ERROR)
        if len(data) != required_size(data[1], data[2]):
            raise HLLError(PARAMETER_ERROR)
        out.append(Sketch.from_bytes(data))
    op.hlls = out


def _p_hlls_intersect(op: _Op, v: Any, raw: Any) -> None:
    _p_hlls(op, v, raw)
    if len(op.hlls) <= 2:
        return
    m = op.hlls[0].m
    if any(s.m != m for s in op.hlls[1:]) or m == 0:
        raise HLLError(PARAMETER_ERROR)


_MODIFY_ARGS: dict[int, tuple[int, int, tuple]] = {
    INIT: (0, 3, (_p_index_bits, _p_minhash_bits, _flags(CREATE_ONLY | UPDATE_ONLY | NO_FAIL))),
    ADD: (1, 4, (_p_elements, _p_index_bits, _p_minhash_bits, _flags(CREATE_ONLY | NO_FAIL))),
    SET_UNION: (1, 2, (_p_hlls, _flags(CREATE_ONLY | UPDATE_ONLY | ALLOW_FOLD | NO_FAIL))),
    REFRESH_COUNT: (0, 0, ()),
    FOLD: (1, 1, (_p_index_bits,)),
}
_READ_ARGS: dict[int, tuple[int, int, tuple]] = {
    COUNT: (0, 0, ()),
    GET_UNION: (1, 1, (_p_hlls,)),
    UNION_COUNT: (1, 1, (_p_hlls,)),
    INTERSECT_COUNT: (1, 1, (_p_hlls_intersect,)),
    SIMILARITY: (1, 1, (_p_hlls_intersect,)),
    DESCRIBE: (0, 0, ()),
    MAY_CONTAIN: (1, 1, (_p_elements,)),
}


def parse(payload: Any, modify: bool, raw_elements: list[bytes] | None = None) -> _Op:
    """The op of a decoded ``[hll_op, args...]``; HLLError(4) if the server refuses it.
    ``raw_elements``: the wire bytes of the elements list's items, when known."""
    if not isinstance(payload, list) or not payload:
        raise HLLError(PARAMETER_ERROR)
    code = _int(payload[0]) & _M64
    spec = (_MODIFY_ARGS if modify else _READ_ARGS).get(code)
    if spec is None:
        raise HLLError(PARAMETER_ERROR)
    lo, hi, parsers = spec
    args = payload[1:]
    if not lo <= len(args) <= hi:
        raise HLLError(PARAMETER_ERROR)
    op = _Op(code)
    for fn, v in zip(parsers, args):
        fn(op, v, raw_elements)
    return op


def _raw_elements(value: bytes) -> list[bytes] | None:
    """The wire bytes of each item of the second element of a msgpack array (the
    elements of hll_add / hll_may_contain), or None."""
    from .cdt import _Reader
    try:
        r = _Reader(bytes(value))
        n = _array_header(r)
        if n is None or n < 2:
            return None
        r.value()
        count = _array_header(r)
        if count is None:
            return None
        out = []
        for _ in range(count):
            start = r.pos
            r.value()
            out.append(bytes(value[start:r.pos]))
        return out
    except (ValueError, IndexError):
        return None


def _array_header(r: Any) -> int | None:
    b = r._uint(1)
    if 0x90 <= b <= 0x9F:
        return b & 0x0F
    if b == 0xDC:
        return r._uint(2)
    if b == 0xDD:
        return r._uint(4)
    return None


# -- running -------------------------------------------------------------------------------
def _modify(op: _Op, old: Sketch | None) -> tuple[Sketch | None, int | None]:
    """hll_modify after the bin checks: the new sketch (None: unchanged) and the op's
    integer result (None: none)."""
    no_fail = bool(op.flags & NO_FAIL)
    if old is not None:
        if op.flags & CREATE_ONLY:
            if no_fail:
                return None, None
            raise HLLError(BIN_EXISTS)
    elif op.flags & UPDATE_ONLY:
        if no_fail:
            return None, None
        raise HLLError(BIN_NOT_FOUND)
    code = op.code
    if code == INIT:
        if old is None:
            if op.p == UNSET:
                raise HLLError(OP_NOT_APPLICABLE)
            if op.m == UNSET:
                op.m = 0
        else:
            if op.p == UNSET:
                op.p = old.p
            if op.m == UNSET:
                op.m = old.m
            if not valid_bits(op.p, op.m):
                raise HLLError(OP_NOT_APPLICABLE)
        return Sketch(op.p, op.m), None
    if code == ADD:
        if old is None:
            if op.p == UNSET:
                raise HLLError(OP_NOT_APPLICABLE)
            s = Sketch(op.p, 0 if op.m == UNSET else op.m)
        else:
            s = old.copy()
        n_added = sum(1 for e in op.elements if add(s, e))
        return s, n_added
    if code == SET_UNION:
        min_p = UNSET
        min_m = UNSET
        for h in op.hlls:
            min_p = min(min_p, h.p)
            if h.m != min_m:
                min_m = h.m if min_m == UNSET else 0
        if old is not None and not op.flags & ALLOW_FOLD:
            if old.p > min_p:
                raise HLLError(OP_NOT_APPLICABLE)
            if old.m != 0 and old.m != min_m:
                raise HLLError(OP_NOT_APPLICABLE)
        return union(op.hlls + ([old] if old is not None else [])), None
    if code == REFRESH_COUNT:
        if old is None:
            raise HLLError(BIN_NOT_FOUND)
        s = old.copy()
        s.cache = estimate(s)
        return s, s.cache
    # FOLD
    if old is None:
        raise HLLError(BIN_NOT_FOUND)
    if old.m > 0 or old.p < op.p:
        raise HLLError(OP_NOT_APPLICABLE)
    if op.p == old.p:
        return old.copy(), None
    s = Sketch(op.p, 0)
    union_into(s, old)
    return s, None


def _read(op: _Op, s: Sketch) -> Any:
    """The result of a read op: an int, a float, bytes (an HLL particle) or a list."""
    code = op.code
    if code == COUNT:
        return estimate(s)
    if code == DESCRIBE:
        return [s.p, s.m]
    if code == MAY_CONTAIN:
        return 1 if all(may_contain(s, e) for e in op.elements) else 0
    sketches = op.hlls + [s]
    if code == GET_UNION:
        return union(sketches).to_bytes()
    if code == UNION_COUNT:
        return estimate(union(sketches))
    if len(op.hlls) > 2 and (s.m == 0 or s.m != op.hlls[0].m):
        raise HLLError(OP_NOT_APPLICABLE)
    if code == INTERSECT_COUNT:
        return intersect_count(sketches)
    return similarity(sketches)


def _check_bin(current: tuple[int, bytes] | None) -> Sketch | None:
    if current is None:
        return None
    ptype, raw = current
    if ptype != PARTICLE_HLL:
        raise HLLError(BIN_INCOMPATIBLE_TYPE)
    if not valid_particle(raw):
        raise HLLError(UNKNOWN_ERROR)
    return Sketch.from_bytes(raw)


def call(value: Any, payload: Any, modify_local: bool) -> Any:
    """An HLL call of an expression on ``value`` (a prefixed HLL, or None): the modified
    HLL (prefixed) or the read result (prefixed HLL for get_union). Raises HLLError."""
    current = None
    if value is not None:
        if not isinstance(value, bytes) or not value:
            raise HLLError(BIN_INCOMPATIBLE_TYPE)
        current = (value[0], value[1:])
    old = _check_bin(current)
    op = parse(payload, modify_local)
    if modify_local:
        new, _result = _modify(op, old)
        if new is None:
            return value
        return b"\x12" + new.to_bytes()
    if old is None:
        raise HLLError(BIN_NOT_FOUND)
    out = _read(op, old)
    return b"\x12" + out if isinstance(out, bytes) else out


# -- the op handlers -----------------------------------------------------------------------
def _decode(value: bytes) -> Any:
    from .cdt import CdtError, decode
    try:
        return decode(value)
    except CdtError:
        raise HLLError(PARAMETER_ERROR) from None


def _result_op(op: Any, v: Any) -> bytes:
    from ..protocol.message import op_bytes
    from .cdt import pack
    if isinstance(v, bytes):
        return op_bytes(op.op, PARTICLE_HLL, name_bytes(op.name), v)
    if isinstance(v, float):
        return op_bytes(op.op, PARTICLE_FLOAT, name_bytes(op.name), struct.pack(">d", v))
    if isinstance(v, list):
        return op_bytes(op.op, PARTICLE_LIST, name_bytes(op.name), pack(v))
    return op_bytes(op.op, PARTICLE_INTEGER, name_bytes(op.name), (v & _M64).to_bytes(8, "big"))


def run_read(txn: Any, op: Any) -> int:
    """HLL_READ (op 15): the op's result under the bin's name (nil for a missing bin
    under respond-all-ops)."""
    current = txn.bins.get(op.name)
    if current is None:
        txn.reply_nil(op)
        return OK
    try:
        old = _check_bin(current)
        payload = _decode(op.value)
        parsed = parse(payload, False, _raw_elements(op.value))
        assert old is not None
        out = _read(parsed, old)
    except HLLError as exc:
        return exc.code
    txn.out.append(_result_op(op, out))
    return OK


def run_modify(txn: Any, op: Any) -> int:
    """HLL_MODIFY (op 16): change the HLL bin; hll_add answers how many registers
    changed, hll_refresh_count the count (other ops a nil entry under respond-all)."""
    if len(name_bytes(op.name)) > 15:
        return BIN_NAME_TOO_LONG
    try:
        old = _check_bin(txn.bins.get(op.name))
        payload = _decode(op.value)
        parsed = parse(payload, True, _raw_elements(op.value))
        new, result = _modify(parsed, old)
    except HLLError as exc:
        return exc.code
    if new is not None:
        txn.bins[op.name] = (PARTICLE_HLL, new.to_bytes())
    if result is not None:
        txn.out.append(_result_op(op, result))
    else:
        txn.reply_nil(op)
    return OK
