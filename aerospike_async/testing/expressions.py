"""Aerospike expressions in the embedded server: filters (field 43), the expression
read/write operations (wire ops 7 and 8) and the filters of path contexts.

An expression arrives as msgpack: a literal (nil, bool, int, float, a string, blob or
GeoJSON prefixed with its particle type, a map) or a list ``[op code, args...]``. It is
decoded into the model of ``testing.cdt`` and checked once, as the server builds it:
argument counts and the static result types of the operands (a comparison of an int with
a string, a non-boolean filter, an unknown variable... are PARAMETER_ERROR). Evaluation
follows ``as/src/base/exp.c`` of Aerospike 8.1: a missing bin, a bin of another type,
a division by zero or a failed list/map call make the value *unknown*; ``and``/``or``
absorb an unknown operand when another decides; a filter that is false or unknown
filters the record out. List and map calls run the operations of ``testing.cdt`` on a
copy of the value.
"""
from __future__ import annotations

import base64
import binascii
import math
import operator
import re
import struct
import unicodedata
from typing import Any

from . import bits, cdt, hll
from .cdt import CdtError, CList, CMap

PARAMETER_ERROR = 4
OP_NOT_APPLICABLE = 26
BIN_NOT_FOUND = 17
BIN_EXISTS = 6

# static result types (wire values of bin/call/var types)
T_NIL, T_BOOL, T_INT, T_STR, T_LIST, T_MAP, T_BLOB, T_FLOAT, T_GEO, T_HLL = range(10)
T_REMOVE = 11
T_ANY = -1  # an operand whose type is not known when built (unknown in a cond)

# op codes
UNK = 0
EQ, NE, GT, GE, LT, LE, REGEX, GEO, IN_LIST = 1, 2, 3, 4, 5, 6, 7, 8, 9
AND, OR, NOT, EXCLUSIVE = 16, 17, 18, 19
ADD, SUB, MUL, DIV, POW, LOG, MOD, ABS, FLOOR, CEIL, TO_INT, TO_FLOAT = range(20, 32)
INT_AND, INT_OR, INT_XOR, INT_NOT, INT_LSHIFT, INT_RSHIFT, INT_ARSHIFT = range(32, 39)
INT_COUNT, INT_LSCAN, INT_RSCAN = 39, 40, 41
MIN, MAX = 50, 51
DIGEST_MOD, DEVICE_SIZE, LAST_UPDATE, SINCE_UPDATE, VOID_TIME, TTL = range(64, 70)
SET_NAME, KEY_EXISTS, IS_TOMBSTONE, MEMORY_SIZE, RECORD_SIZE = range(70, 75)
REC_KEY, BIN, BIN_TYPE = 80, 81, 82
RESULT_REMOVE, MAP_KEYS, MAP_VALUES = 100, 101, 102
VAR_BUILTIN, COND, VAR, LET, QUOTE, CALL = 122, 123, 124, 125, 126, 127

CALL_CDT, CALL_BITS, CALL_HLL, CALL_STRING, CALL_MODIFY = 0, 1, 2, 3, 0x40
TO_STR = 99          # the string form of an int, float, string, bool or blob
LIST_JOIN = 28       # CDT sub op: join the string items of a list

# expression operation flags
CREATE_ONLY, UPDATE_ONLY, ALLOW_DELETE, POLICY_NO_FAIL, EVAL_NO_FAIL = 1, 2, 4, 8, 16

_PARTICLE_TO_TYPE = {1: T_INT, 2: T_FLOAT, 3: T_STR, 4: T_BLOB, 17: T_BOOL, 18: T_HLL,
                     19: T_MAP, 20: T_LIST, 23: T_GEO}
_PREFIX_TO_TYPE = {3: T_STR, 4: T_BLOB, 18: T_HLL, 23: T_GEO}
_MASK64 = (1 << 64) - 1
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
CITRUSLEAF_EPOCH = 1262304000


class BuildError(Exception):
    """The expression is not one the server builds: PARAMETER_ERROR."""


class _Unknown(Exception):
    pass


_UNKNOWN = _Unknown()


class _Remove:
    def __repr__(self) -> str:
        return "REMOVE"


REMOVE = _Remove()
"""The value of RemoveResult (modify_by_path removes the element)."""


class Context:
    """What an expression may look at: the record's bins and metadata, and the loop
    variables of a path filter (key, value, index; missing ones are unknown)."""

    __slots__ = ("bins", "builtins", "digest", "now", "now_ns", "record")

    def __init__(self, bins: dict, record: Any = None, digest: bytes = b"", now: int = 0,
                 now_ns: int = 0) -> None:
        self.bins = bins
        self.record = record
        self.digest = digest
        self.now = now
        self.now_ns = now_ns or (now + CITRUSLEAF_EPOCH) * 1_000_000_000
        self.builtins: tuple = (_UNKNOWN, _UNKNOWN, _UNKNOWN)


def context_of_txn(txn: Any) -> Context:
    """The expression context of a command's operations (the working bins)."""
    return Context(txn.bins, txn.record, getattr(txn, "digest", b""), txn.now)


# -- building ------------------------------------------------------------------------------
class Expression:
    """A built expression: the decoded tree and its static result type."""

    __slots__ = ("node", "type")

    def __init__(self, node: Any, rtype: int) -> None:
        self.node = node
        self.type = rtype


def build(data: bytes) -> Expression:
    """Decode and check wire bytes; BuildError if the server would refuse them."""
    try:
        node = cdt.decode(data)
    except CdtError:
        raise BuildError from None
    return build_node(node)


def build_node(node: Any) -> Expression:
    return Expression(node, _check(node, {}))


def build_filter(data: bytes) -> Expression:
    """A filter expression (field 43): it must be boolean."""
    exp = build(data)
    if exp.type != T_BOOL:
        raise BuildError
    return exp


def _bad() -> BuildError:
    return BuildError()


def _literal_type(v: Any) -> int:
    if v is None:
        return T_NIL
    if v is True or v is False:
        return T_BOOL
    if isinstance(v, int):
        if not -(1 << 63) <= v < (1 << 64):
            raise _bad()
        return T_INT
    if isinstance(v, float):
        return T_FLOAT
    if isinstance(v, bytes):
        if not v:
            raise _bad()
        t = _PREFIX_TO_TYPE.get(v[0])
        if t is None:
            raise _bad()
        if t == T_GEO and _shape(v) is None:
            raise _bad()
        return t
    if isinstance(v, CMap):
        return T_MAP
    raise _bad()


def _uint(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise _bad()
    return v


def _args(node: list, n: int | None = None, at_least: int = 0) -> list:
    args = node[1:]
    if n is not None and len(args) != n:
        raise _bad()
    if len(args) < at_least:
        raise _bad()
    return args


def _check(node: Any, scope: dict) -> int:
    if not isinstance(node, list):
        return _literal_type(node)
    if not node:
        raise _bad()
    op = node[0]
    if not isinstance(op, int) or isinstance(op, bool):
        raise _bad()
    if op == UNK:
        _args(node, 0)
        return T_BOOL
    if EQ <= op <= LE:
        a, b = _args(node, 2)
        ta, tb = _check(a, scope), _check(b, scope)
        if ta != tb or ta in (T_GEO, T_HLL, T_REMOVE):
            raise _bad()
        return T_BOOL
    if op == REGEX:
        flags, pattern, arg = _args(node, 3)
        if not isinstance(flags, int) or not isinstance(pattern, bytes):
            raise _bad()
        _regex(flags, pattern)
        if _check(arg, scope) != T_STR:
            raise _bad()
        return T_BOOL
    if op == GEO:
        a, b = _args(node, 2)
        if _check(a, scope) != T_GEO or _check(b, scope) != T_GEO:
            raise _bad()
        return T_BOOL
    if op == IN_LIST:
        a, b = _args(node, 2)
        _check(a, scope)
        if _check(b, scope) != T_LIST:
            raise _bad()
        return T_BOOL
    if op in (AND, OR, EXCLUSIVE):
        for a in _args(node, at_least=2):
            if _check(a, scope) != T_BOOL:
                raise _bad()
        return T_BOOL
    if op == NOT:
        (a,) = _args(node, 1)
        if _check(a, scope) != T_BOOL:
            raise _bad()
        return T_BOOL
    if op in (ADD, SUB, MUL, DIV, MIN, MAX):
        types = {_check(a, scope) for a in _args(node, at_least=1)}
        if len(types) != 1 or not types <= {T_INT, T_FLOAT}:
            raise _bad()
        return types.pop()
    if op in (POW, LOG):
        for a in _args(node, 2):
            if _check(a, scope) != T_FLOAT:
                raise _bad()
        return T_FLOAT
    if op == MOD:
        for a in _args(node, 2):
            if _check(a, scope) != T_INT:
                raise _bad()
        return T_INT
    if op == ABS:
        (a,) = _args(node, 1)
        t = _check(a, scope)
        if t not in (T_INT, T_FLOAT):
            raise _bad()
        return t
    if op in (FLOOR, CEIL, TO_INT):
        (a,) = _args(node, 1)
        if _check(a, scope) != T_FLOAT:
            raise _bad()
        return T_INT if op == TO_INT else T_FLOAT
    if op == TO_FLOAT:
        (a,) = _args(node, 1)
        if _check(a, scope) != T_INT:
            raise _bad()
        return T_FLOAT
    if op in (INT_AND, INT_OR, INT_XOR):
        for a in _args(node, at_least=1):
            if _check(a, scope) != T_INT:
                raise _bad()
        return T_INT
    if op in (INT_NOT, INT_COUNT):
        (a,) = _args(node, 1)
        if _check(a, scope) != T_INT:
            raise _bad()
        return T_INT
    if op in (INT_LSHIFT, INT_RSHIFT, INT_ARSHIFT):
        for a in _args(node, 2):
            if _check(a, scope) != T_INT:
                raise _bad()
        return T_INT
    if op in (INT_LSCAN, INT_RSCAN):
        a, b = _args(node, 2)
        if _check(a, scope) != T_INT or _check(b, scope) != T_BOOL:
            raise _bad()
        return T_INT
    if op == DIGEST_MOD:
        (mod,) = _args(node, 1)
        if _uint(mod) == 0:
            raise _bad()
        return T_INT
    if op in (DEVICE_SIZE, LAST_UPDATE, SINCE_UPDATE, VOID_TIME, TTL, MEMORY_SIZE,
              RECORD_SIZE):
        _args(node, 0)
        return T_INT
    if op == SET_NAME:
        _args(node, 0)
        return T_STR
    if op in (KEY_EXISTS, IS_TOMBSTONE):
        _args(node, 0)
        return T_BOOL
    if op == REC_KEY:
        (t,) = _args(node, 1)
        if t not in (T_INT, T_STR, T_BLOB):
            raise _bad()
        return t
    if op == BIN:
        t, name = _args(node, 2)
        if _uint(t) > T_HLL or not isinstance(name, bytes) or not 0 < len(name) <= 15:
            raise _bad()
        return t
    if op == BIN_TYPE:
        (name,) = _args(node, 1)
        if not isinstance(name, bytes) or not 0 < len(name) <= 15:
            raise _bad()
        return T_INT
    if op == RESULT_REMOVE:
        _args(node, 0)
        return T_REMOVE
    if op in (MAP_KEYS, MAP_VALUES):
        (a,) = _args(node, 1)
        _check(a, scope)
        return T_LIST
    if op == VAR_BUILTIN:
        t, idx = _args(node, 2)
        if _uint(t) > T_HLL or _uint(idx) > 2 or (idx == 2 and t != T_INT):
            raise _bad()
        return t
    if op == COND:
        args = _args(node, at_least=3)
        if len(args) % 2 == 0:
            raise _bad()
        rtype = T_ANY
        for i in range(0, len(args) - 1, 2):
            if _check(args[i], scope) != T_BOOL:
                raise _bad()
            rtype = _cond_type(args[i + 1], scope, rtype)
        rtype = _cond_type(args[-1], scope, rtype)
        return T_BOOL if rtype == T_ANY else rtype
    if op == VAR:
        (name,) = _args(node, 1)
        if not isinstance(name, bytes) or name not in scope:
            raise _bad()
        return scope[name]
    if op == LET:
        args = _args(node, at_least=3)
        if len(args) % 2 == 0:
            raise _bad()
        inner = dict(scope)
        for i in range(0, len(args) - 1, 2):
            name = args[i]
            if (not isinstance(name, bytes) or not name or name in inner
                    or not re.fullmatch(rb"[A-Za-z_][A-Za-z0-9_]*", name)):
                raise _bad()
            inner[name] = _check(args[i + 1], inner)
        return _check(args[-1], inner)
    if op == QUOTE:
        (v,) = _args(node, 1)
        if not isinstance(v, list):
            raise _bad()
        return T_LIST
    if op == TO_STR:
        (a,) = _args(node, 1)
        if _check(a, scope) not in (T_INT, T_FLOAT, T_STR, T_BOOL, T_BLOB, T_ANY):
            raise _bad()
        return T_STR
    if op == CALL:
        rtype, system, payload, binexp = _args(node, 4)
        if _uint(rtype) > T_HLL or not isinstance(system, int):
            raise _bad()
        if not string_calls and (
                system & ~CALL_MODIFY == CALL_STRING
                or (system & ~CALL_MODIFY == CALL_CDT and isinstance(payload, list)
                    and _is_join(payload))):
            raise _bad()
        _check_call_payload(payload, scope)
        btype = _check(binexp, scope)
        if btype != T_NIL:
            kind = system & ~CALL_MODIFY
            if kind == CALL_CDT:
                ok = btype in (T_LIST, T_MAP)
            elif kind == CALL_BITS:
                ok = btype == T_BLOB
            elif kind == CALL_HLL:
                ok = btype == T_HLL
            elif kind == CALL_STRING:
                ok = btype == T_STR
            else:
                ok = False
            if not ok:
                raise _bad()
        return rtype
    raise _bad()


def _cond_type(node: Any, scope: dict, rtype: int) -> int:
    t = _check(node, scope)
    if isinstance(node, list) and node and node[0] == UNK:
        return rtype
    if rtype not in (T_ANY, t):
        raise _bad()
    return t


# String calls and ListJoin came with server 8.2. The recordings' 8.1.2 server refuses
# them (PARAMETER_ERROR), and so does the embedded server unless they are turned on.
string_calls = False


def enable_string_calls(on: bool = True) -> None:
    """Answer string expressions and ListJoin as server 8.2 does (process-wide), or
    refuse them as 8.1 does (the default, as recorded)."""
    global string_calls
    string_calls = on


def _check_call_payload(payload: Any, scope: dict) -> None:
    if not isinstance(payload, list) or not payload or not isinstance(payload[0], int):
        raise _bad()
    if payload[0] == 0xFF:
        if len(payload) != 3 or not isinstance(payload[2], list) or not payload[2]:
            raise _bad()
        payload = payload[2]
    elif payload[0] == 0xFE:
        if not 3 <= len(payload) <= 4 or not isinstance(payload[1], list):
            raise _bad()
        return
    for arg in payload[1:]:
        if isinstance(arg, list):
            _check(arg, scope)


def _regex(flags: int, pattern: bytes) -> re.Pattern:
    """A POSIX regcomp pattern as Python's re (flags: 1 extended, 2 icase, 8 newline)."""
    reflags = 0
    if flags & 2:
        reflags |= re.IGNORECASE
    if flags & 8:
        reflags |= re.MULTILINE
    else:
        reflags |= re.DOTALL
    try:
        return re.compile(pattern.decode("utf-8", "surrogateescape"), reflags)
    except (re.error, ValueError):
        raise _bad() from None


def _shape(v: bytes) -> Any:
    from .sindex import parse_shape
    return parse_shape(v[1:])


# -- evaluation ----------------------------------------------------------------------------
def evaluate(exp: Expression, ctx: Context) -> Any:
    """The value of a built expression, or raises _Unknown."""
    return _ev(exp.node, ctx, {})


def matches(exp: Expression, ctx: Context) -> bool:
    """A filter's verdict: True only when the expression is true (unknown: False)."""
    try:
        return _ev(exp.node, ctx, {}) is True
    except _Unknown:
        return False


def value_of(exp: Expression, ctx: Context) -> Any:
    """The value of a built expression, or None when it is unknown (the entry point of
    secondary indexes over an expression: no value, no index entry)."""
    try:
        return _ev(exp.node, ctx, {})
    except _Unknown:
        return None


def loop_filter(node: Any, env: Context | None, key: Any, value: Any, index: Any
                ) -> bool | None:
    """A path filter on one element (None: unknown)."""
    got = loop_value(node, env, key, value, index)
    return None if got is None else got[0] is True


def loop_value(node: Any, env: Context | None, key: Any, value: Any, index: Any
               ) -> tuple[Any] | None:
    """(value,) of an expression with the loop variables of one element; None when
    unknown or not built."""
    ctx = Context({}) if env is None else Context(env.bins, env.record, env.digest,
                                                   env.now, env.now_ns)
    ctx.builtins = (_UNKNOWN if key is None else key, value,
                    _UNKNOWN if index is None else index)
    try:
        _check(node, {})
        return (_ev(node, ctx, {}),)
    except (_Unknown, BuildError):
        return None


def _wrap(v: int) -> int:
    v &= _MASK64
    return v - (1 << 64) if v >> 63 else v


def _type_of(v: Any) -> int:
    if v is None:
        return T_NIL
    if v is True or v is False:
        return T_BOOL
    if isinstance(v, int):
        return T_INT
    if isinstance(v, float):
        return T_FLOAT
    if isinstance(v, bytes):
        return _PREFIX_TO_TYPE.get(v[0], -2) if v else -2
    if isinstance(v, CMap):
        return T_MAP
    if isinstance(v, list):
        return T_LIST
    if v is REMOVE:
        return T_REMOVE
    return -2


def _has_unordered_map(v: Any) -> bool:
    if isinstance(v, CMap):
        if not v.flags & 1 and len(v.pairs) > 1:
            return True
        return any(_has_unordered_map(k) or _has_unordered_map(x) for k, x in v.pairs)
    if isinstance(v, list):
        return any(_has_unordered_map(x) for x in v)
    return False


def _compare(a: Any, b: Any) -> int:
    if isinstance(a, bytes) and isinstance(b, bytes):
        x, y = a[1:], b[1:]
        return (x > y) - (x < y)
    if isinstance(a, (list, CMap)):
        if _has_unordered_map(a) or _has_unordered_map(b):
            raise _UNKNOWN
        r = cdt.compare(a, b)
        return 0 if r == 2 else r
    if a is None or b is None:
        return 0 if a is b else (-1 if a is None else 1)
    return (a > b) - (a < b)


def _geo_match(a: bytes, b: bytes) -> bool:
    sa, sb = _shape(a), _shape(b)
    if sa is None or sb is None:
        raise _UNKNOWN
    if sa.is_point and sb.is_point:
        return sa.point == sb.point
    if sa.is_point:
        return sb.contains(*sa.point)
    if sb.is_point:
        return sa.contains(*sb.point)
    return False


def _bin_value(stored: tuple[int, bytes]) -> Any:
    ptype, raw = stored
    if ptype == 1:
        return _I64.unpack(raw)[0]
    if ptype == 2:
        return _F64.unpack(raw)[0]
    if ptype == 17:
        return bool(raw and raw[0])
    if ptype in (19, 20):
        return cdt.decode(raw)
    if ptype == 23:
        from .sindex import geo_particle_text
        return b"\x17" + geo_particle_text(raw)
    return bytes((ptype,)) + raw


def _float_op(fn: Any, *args: float) -> float:
    try:
        return fn(*args)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


def _log(a: float, b: float) -> float:
    def ln(x: float) -> float:
        if x == 0:
            return -math.inf
        if x < 0 or math.isnan(x):
            return math.nan
        return math.log(x)
    la, lb = ln(a), ln(b)
    try:
        return la / lb
    except ZeroDivisionError:
        return math.nan if la == 0 or math.isnan(la) else math.copysign(math.inf, la)


def _to_int(f: float) -> int:
    if math.isnan(f) or math.isinf(f):
        return -(1 << 63)
    return _wrap(int(f))


_COMPARE_OPS = {EQ: operator.eq, NE: operator.ne, GT: operator.gt,
                GE: operator.ge, LT: operator.lt, LE: operator.le}


def _short_circuit(node: list, ctx: Context, env: dict, stop: bool) -> bool:
    """AND (stop=False) / OR (stop=True): ``stop`` as soon as an operand is ``stop``;
    unknown if none is but some operand was unknown; else ``not stop``."""
    unknown = False
    for a in node[1:]:
        try:
            if _ev(a, ctx, env) is stop:
                return stop
        except _Unknown:
            unknown = True
    if unknown:
        raise _UNKNOWN
    return not stop


def _ev(node: Any, ctx: Context, env: dict) -> Any:
    if not isinstance(node, list):
        return node
    op = node[0]
    if EQ <= op <= LE:
        a = _ev(node[1], ctx, env)
        b = _ev(node[2], ctx, env)
        return _COMPARE_OPS[op](_compare(a, b), 0)
    if op == BIN:
        stored = ctx.bins.get(node[2].decode("utf-8", "surrogateescape"))
        if stored is None or _PARTICLE_TO_TYPE.get(stored[0]) != node[1]:
            raise _UNKNOWN
        return _bin_value(stored)
    if op == AND:
        return _short_circuit(node, ctx, env, False)
    if op == OR:
        return _short_circuit(node, ctx, env, True)
    if op == NOT:
        return not _ev(node[1], ctx, env)
    if op == EXCLUSIVE:
        seen = False
        for a in node[1:]:
            if _ev(a, ctx, env) is True:
                if seen:
                    return False
                seen = True
        return seen
    handler = _EVAL.get(op)
    if handler is None:
        raise _UNKNOWN
    return handler(node, ctx, env)


def _ev_unknown(node: list, ctx: Context, env: dict) -> Any:
    raise _UNKNOWN


def _ev_regex(node: list, ctx: Context, env: dict) -> Any:
    v = _ev(node[3], ctx, env)
    text = v[1:].decode("utf-8", "surrogateescape")
    return _regex(node[1], node[2]).search(text) is not None


def _ev_geo(node: list, ctx: Context, env: dict) -> Any:
    return _geo_match(_ev(node[1], ctx, env), _ev(node[2], ctx, env))


def _ev_in_list(node: list, ctx: Context, env: dict) -> Any:
    v = _ev(node[1], ctx, env)
    lst = _ev(node[2], ctx, env)
    if not isinstance(lst, list):
        raise _UNKNOWN
    return any(cdt.compare(v, x) == 0 for x in lst)


def _ev_math(node: list, ctx: Context, env: dict) -> Any:
    op = node[0]
    vals = [_ev(a, ctx, env) for a in node[1:]]
    is_float = isinstance(vals[0], float)
    if op == ADD:
        total = sum(vals[1:], vals[0])
        return total if is_float else _wrap(total)
    if op == SUB:
        if len(vals) == 1:
            return -vals[0] if is_float else _wrap(-vals[0])
        total = vals[0]
        for v in vals[1:]:
            total -= v
        return total if is_float else _wrap(total)
    if op == MUL:
        total = vals[0]
        for v in vals[1:]:
            total = total * v if is_float else _wrap(total * v)
        return total
    if op == DIV:
        if len(vals) == 1:
            num, den = (1.0 if is_float else 1), vals[0]
        else:
            num, den = vals[0], vals[1]
            for v in vals[2:]:
                den = den * v if is_float else _wrap(den * v)
        if is_float:
            return _float_op(lambda a, b: a / b if b else
                             (math.nan if a == 0 or math.isnan(a)
                              else math.copysign(math.inf, a) * math.copysign(1, b)),
                             num, den)
        if den == 0:
            raise _UNKNOWN
        q = abs(num) // abs(den)
        return _wrap(q if (num < 0) == (den < 0) else -q)
    if op == MIN:
        return min(vals)
    return max(vals)


def _ev_pow(node: list, ctx: Context, env: dict) -> Any:
    return _float_op(math.pow, _ev(node[1], ctx, env), _ev(node[2], ctx, env))


def _ev_log(node: list, ctx: Context, env: dict) -> Any:
    return _log(_ev(node[1], ctx, env), _ev(node[2], ctx, env))


def _ev_mod(node: list, ctx: Context, env: dict) -> Any:
    a = _ev(node[1], ctx, env)
    b = _ev(node[2], ctx, env)
    if b == 0:
        raise _UNKNOWN
    r = abs(a) % abs(b)
    return _wrap(-r if a < 0 else r)


def _ev_one(node: list, ctx: Context, env: dict) -> Any:
    op = node[0]
    v = _ev(node[1], ctx, env)
    if op == ABS:
        return abs(v) if isinstance(v, float) else _wrap(abs(v))
    if op == FLOOR:
        return float(math.floor(v)) if math.isfinite(v) else v
    if op == CEIL:
        return float(math.ceil(v)) if math.isfinite(v) else v
    if op == TO_INT:
        return _to_int(v)
    if op == TO_FLOAT:
        return float(v)
    if op == INT_NOT:
        return ~v
    return (v & _MASK64).bit_count()  # INT_COUNT


def _ev_int_vargs(node: list, ctx: Context, env: dict) -> Any:
    op = node[0]
    total = _ev(node[1], ctx, env)
    for a in node[2:]:
        v = _ev(a, ctx, env)
        if op == INT_AND:
            total &= v
        elif op == INT_OR:
            total |= v
        else:
            total ^= v
    return total


def _ev_shift(node: list, ctx: Context, env: dict) -> Any:
    op = node[0]
    v = _ev(node[1], ctx, env)
    s = _ev(node[2], ctx, env) & 63
    if op == INT_LSHIFT:
        return _wrap(v << s)
    if op == INT_RSHIFT:
        return _wrap((v & _MASK64) >> s)
    return v >> s


def _ev_scan(node: list, ctx: Context, env: dict) -> Any:
    v = _ev(node[1], ctx, env)
    if _ev(node[2], ctx, env) is False:
        v = ~v
    u = v & _MASK64
    if node[0] == INT_LSCAN:
        return 64 - u.bit_length() if u else -1
    return 63 - ((u & -u).bit_length() - 1) if u else -1


def _record(ctx: Context) -> Any:
    if ctx.record is None:
        raise _UNKNOWN
    return ctx.record


def _ev_meta(node: list, ctx: Context, env: dict) -> Any:
    op = node[0]
    if op == DIGEST_MOD:
        if len(ctx.digest) != 20:
            raise _UNKNOWN
        return int.from_bytes(ctx.digest[16:20], "little") % node[1]
    if op == KEY_EXISTS:
        return ctx.record is not None and ctx.record.key is not None
    if op == IS_TOMBSTONE:
        return False
    rec = _record(ctx)
    if op == DEVICE_SIZE:
        return 0
    if op in (MEMORY_SIZE, RECORD_SIZE):
        return stored_size(rec)
    if op == LAST_UPDATE:
        return rec.last_update_ns // 1_000_000 * 1_000_000
    if op == SINCE_UPDATE:
        return max(0, ctx.now_ns // 1_000_000 - rec.last_update_ns // 1_000_000)
    if op == VOID_TIME:
        if not rec.void_time:
            return -1
        return (rec.void_time + CITRUSLEAF_EPOCH) * 1_000_000_000
    if op == TTL:
        if not rec.void_time:
            return -1
        return max(0, rec.void_time - ctx.now)
    if op == SET_NAME:
        return b"\x03" + rec.set_name
    raise _UNKNOWN


def _uintvar_size(n: int) -> int:
    return max(1, (n.bit_length() + 6) // 7)


def stored_size(rec: Any) -> int:
    """Bytes of the record in the server's flat storage format, in 16-byte blocks:
    a 36-byte header, void time, set name, stored key, bin count, then per bin its
    name and particle (``as/src/storage/flat.c``)."""
    size = 36
    if rec.void_time:
        size += 4
    if rec.set_name:
        size += 1 + len(rec.set_name)
    if rec.key:
        size += _uintvar_size(len(rec.key)) + len(rec.key)
    if rec.bins:
        size += _uintvar_size(len(rec.bins))
    for name, (ptype, raw) in rec.bins.items():
        size += 1 + len(name.encode("utf-8", "surrogateescape"))
        if ptype in (1, 2):
            size += 9
        elif ptype == 17:
            size += 2
        else:
            size += 5 + len(raw)
    return (size + 15) // 16 * 16


def _ev_key(node: list, ctx: Context, env: dict) -> Any:
    key = _record(ctx).key
    if not key:
        raise _UNKNOWN
    ktype = key[0]
    if ktype == 1:
        if len(key) != 9 or node[1] != T_INT:
            raise _UNKNOWN
        return _I64.unpack(key[1:])[0]
    if (ktype == 3 and node[1] == T_STR) or (ktype == 4 and node[1] == T_BLOB):
        return bytes(key)
    raise _UNKNOWN


def _ev_bin_type(node: list, ctx: Context, env: dict) -> Any:
    stored = ctx.bins.get(node[1].decode("utf-8", "surrogateescape"))
    return 0 if stored is None else stored[0]


def _ev_remove(node: list, ctx: Context, env: dict) -> Any:
    return REMOVE


def _ev_map_kv(node: list, ctx: Context, env: dict) -> Any:
    m = _ev(node[1], ctx, env)
    if not isinstance(m, CMap):
        raise _UNKNOWN
    return CList([k if node[0] == MAP_KEYS else v for k, v in m.pairs])


def _ev_builtin(node: list, ctx: Context, env: dict) -> Any:
    v = ctx.builtins[node[2]]
    if v is _UNKNOWN or _type_of(v) != node[1]:
        raise _UNKNOWN
    return v


def _ev_cond(node: list, ctx: Context, env: dict) -> Any:
    args = node[1:]
    for i in range(0, len(args) - 1, 2):
        if _ev(args[i], ctx, env) is True:
            return _ev(args[i + 1], ctx, env)
    return _ev(args[-1], ctx, env)


def _ev_var(node: list, ctx: Context, env: dict) -> Any:
    v = env.get(node[1], _UNKNOWN)
    if v is _UNKNOWN:
        raise _UNKNOWN
    return v


def _ev_let(node: list, ctx: Context, env: dict) -> Any:
    args = node[1:]
    inner = dict(env)
    for i in range(0, len(args) - 1, 2):
        try:
            inner[args[i]] = _ev(args[i + 1], ctx, inner)
        except _Unknown:
            inner[args[i]] = _UNKNOWN
    return _ev(args[-1], ctx, inner)


def _ev_quote(node: list, ctx: Context, env: dict) -> Any:
    return node[1]


def _call_payload(payload: list, ctx: Context, env: dict) -> list:
    if payload[0] == 0xFE:
        return payload
    if payload[0] == 0xFF:
        return CList([payload[0], payload[1], _call_payload(payload[2], ctx, env)])
    out = CList([payload[0]])
    for arg in payload[1:]:
        out.append(_ev(arg, ctx, env) if isinstance(arg, list) else arg)
    return out


def _ev_call(node: list, ctx: Context, env: dict) -> Any:
    rtype, system, payload, binexp = node[1:]
    args = _call_payload(payload, ctx, env)
    value = _ev(binexp, ctx, env)
    modify = bool(system & CALL_MODIFY)
    kind = system & ~CALL_MODIFY
    if kind == CALL_STRING:
        out = _string_call(value, args, modify)
        if _type_of(out) != rtype:
            raise _UNKNOWN
        return out
    if kind == CALL_CDT and _is_join(args):
        out = _list_join(value, args, ctx)
        if _type_of(out) != rtype:
            raise _UNKNOWN
        return out
    if kind in (CALL_BITS, CALL_HLL):
        # bit / HLL operations run on a copy of the blob or HLL value (bytes)
        module = bits if kind == CALL_BITS else hll
        try:
            out = module.call(value, args, modify)
        except (bits.BitsError, hll.HLLError, CdtError):
            raise _UNKNOWN from None
        if _type_of(out) != rtype:
            raise _UNKNOWN
        return out
    if kind != CALL_CDT:
        raise _UNKNOWN
    if value is not None:
        if not isinstance(value, (list, CMap)):
            raise _UNKNOWN
        if modify:
            value = cdt.decode(cdt.pack(value))
    try:
        new_root, result = cdt.apply_op(value, args, modify, ctx)
    except CdtError:
        raise _UNKNOWN from None
    out = new_root if modify else (result.value if result.present else None)
    if _type_of(out) != rtype:
        raise _UNKNOWN
    return out


# -- string calls (string expressions of server 8.2) ----------------------------------------
# Indexes count code points; a negative index counts from the end; indexes are clamped to
# the string (a range whose start is not before its end is empty). A failed call (a bad
# argument, an out-of-range index where one is required, a conversion that does not parse,
# invalid base64 or regex) makes the value unknown, except that a modify with the NO_FAIL
# write flag evaluates to the string unchanged.
_SF_CREATE_ONLY, _SF_UPDATE_ONLY, _SF_NO_FAIL = 1, 2, 4
_CREATE_CAPABLE = {50, 52, 67, 68}   # insert, concat, append, prepend (the server's op table)
_ASCII_WS = " \t\n\r\f\v"
# the Unicode White_Space property (ICU u_isUWhiteSpace)
_UNICODE_WS = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
               "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_MAX_I64 = (1 << 63) - 1


class _StrFail(Exception):
    """A string call that cannot be applied."""


def _sarg(v: Any) -> str:
    if not isinstance(v, bytes) or not v or v[0] != 3:
        raise _StrFail
    try:
        return v[1:].decode("utf-8")
    except UnicodeDecodeError:
        raise _StrFail from None


def _iarg(v: Any) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or abs(v) > 128 * 1024 * 1024:
        raise _StrFail
    return v


def _clamp(i: int, n: int) -> int:
    if i < 0:
        i += n
    return min(max(i, 0), n)


def _range(args: list, n: int) -> tuple[int, int]:
    a = _clamp(_iarg(args[0]), n)
    b = _clamp(_iarg(args[1]), n) if len(args) > 1 else n
    return (a, b) if a < b else (0, 0)


def _find(s: str, needle: str, occurrence: int) -> int:
    if occurrence == 0:
        raise _StrFail
    if not needle:
        return 0
    count = 0
    if occurrence > 0:
        pos = s.find(needle)
        while pos >= 0:
            count += 1
            if count == occurrence:
                return pos
            pos = s.find(needle, pos + len(needle))
        return -1
    end = len(s)
    while True:
        pos = s.rfind(needle, 0, end)
        if pos < 0:
            return -1
        count += 1
        if count == -occurrence:
            return pos
        end = pos   # resume before the matched span: no overlaps backwards either


def _numeric_syntax(s: str, allow_dot: bool) -> bool:
    return re.fullmatch(r"[+-]?[0-9]*\.?[0-9]*" if allow_dot else r"[+-]?[0-9]+", s,
                        re.ASCII) is not None and any(c.isdigit() for c in s)


def _valid_int64(s: str) -> bool:
    return _numeric_syntax(s, False) and -_MAX_I64 - 1 <= int(s) <= _MAX_I64


def _valid_float(s: str) -> bool:
    if not _numeric_syntax(s, True) or not re.search(r"\.[0-9]", s):
        return False
    return math.isfinite(float(s))


def _to_integer(s: str) -> int:
    raw = s.encode("utf-8")
    if not 1 <= len(raw) <= 20 or not re.fullmatch(r"[ \t\n\v\f\r]*[+-]?[0-9]+", s,
                                                   re.ASCII):
        raise _StrFail
    v = int(s)
    if not -_MAX_I64 - 1 <= v <= _MAX_I64:
        raise _StrFail
    return v


_DOUBLE = re.compile(r"[ \t\n\v\f\r]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|inf(?:inity)?|nan)", re.ASCII | re.IGNORECASE)


def _to_double(s: str) -> float:
    if not 1 <= len(s.encode("utf-8")) <= 327 or not _DOUBLE.fullmatch(s):
        raise _StrFail
    v = float(s)
    literal = re.search(r"inf|nan", s, re.IGNORECASE) is not None
    if (math.isinf(v) and not literal) or (v == 0.0 and re.search(r"[1-9]", s.split("e")[0]
                                                                   .split("E")[0])):
        raise _StrFail   # ERANGE: overflow, or underflow to zero
    return v


def _regex_flags(flags: int) -> int:
    if not isinstance(flags, int) or isinstance(flags, bool) or flags < 0:
        raise _StrFail
    out = 0
    if flags & 1:
        out |= re.IGNORECASE
    if flags & 2:
        out |= re.MULTILINE
    if flags & 4:
        out |= re.DOTALL
    return out


def _compile_regex(pattern: str, flags: int) -> re.Pattern:
    try:
        return re.compile(pattern, _regex_flags(flags))
    except re.error:
        raise _StrFail from None


def _icu_replacement(repl: str) -> Any:
    """An ICU replacement (``$n`` a group, ``\\x`` a literal x) as a re.sub function."""
    parts: list[Any] = []
    i = 0
    while i < len(repl):
        c = repl[i]
        if c == "\\" and i + 1 < len(repl):
            parts.append(repl[i + 1])
            i += 2
        elif c == "$":
            m = re.match(r"\$(?:([0-9]+)|\{([A-Za-z][A-Za-z0-9]*)\})", repl[i:])
            if m is None:
                raise _StrFail
            parts.append(int(m.group(1)) if m.group(1) is not None else m.group(2))
            i += m.end()
        else:
            parts.append(c)
            i += 1

    def expand(m: re.Match) -> str:
        try:
            return "".join(p if isinstance(p, str) and len(p) == 1 and p not in m.re.groupindex
                           else (m.group(p) or "") for p in parts)
        except (IndexError, re.error):
            raise _StrFail from None
    return expand


def _pad(s: str, target: int, pad: str) -> str:
    if target < 0 or not pad:
        raise _StrFail
    need = target - len(s)
    if need <= 0:
        return ""
    return pad * (need // len(pad)) + pad[:need % len(pad)]


def _string_read(s: str, op: int, a: list) -> Any:
    n = len(s)
    if op == 0 and not a:
        return n
    if op == 1 and 1 <= len(a) <= 2:
        lo, hi = _range(a, n)
        return s[lo:hi]
    if op == 2 and len(a) == 1:
        i = _clamp(_iarg(a[0]), n)
        if i >= n:
            raise _StrFail
        return s[i]
    if op == 3 and 1 <= len(a) <= 2:
        return _find(s, _sarg(a[0]), _iarg(a[1]) if len(a) > 1 else 1)
    if op in (4, 5, 6) and len(a) == 1:
        needle = _sarg(a[0])
        return (needle in s if op == 4 else s.startswith(needle) if op == 5
                else s.endswith(needle))
    if op == 7 and not a:
        return _to_integer(s)
    if op == 8 and not a:
        return _to_double(s)
    if op == 9 and not a:
        return len(s.encode("utf-8"))
    if op == 10 and len(a) <= 1:
        kind = _iarg(a[0]) if a else 0
        if kind == 0:
            return _valid_int64(s) or _valid_float(s)
        if kind == 1:
            return _valid_int64(s)
        if kind == 2:
            return _valid_float(s)
        raise _StrFail
    if op == 11 and not a:
        return s.isupper()
    if op == 12 and not a:
        return s.islower()
    if op == 13 and not a:
        return b"\x04" + s.encode("utf-8")
    if op == 14 and len(a) <= 1:
        sep = _sarg(a[0]) if a else ""
        parts = s.split(sep) if sep else list(s)
        return CList([b"\x03" + p.encode("utf-8") for p in parts])
    if op == 15 and not a:
        try:
            return b"\x04" + base64.b64decode(s.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise _StrFail from None
    if op == 16 and len(a) == 2:
        return _compile_regex(_sarg(a[0]), a[1]).search(s) is not None
    raise _StrFail


def _string_modify(s: str, op: int, a: list) -> str:
    n = len(s)
    if op == 50:
        i = _clamp(_iarg(a[0]), n)
        return s[:i] + _sarg(a[1]) + s[i:]
    if op == 51:
        i, v = _iarg(a[0]), _sarg(a[1])
        if not 0 <= i < n:
            raise _StrFail
        return s[:i] + v + s[i + len(v):]
    if op == 52:
        if not isinstance(a[0], list):
            raise _StrFail
        return s + "".join(_sarg(v) for v in a[0])
    if op == 53:
        lo, hi = _range(a, n)
        return s[:lo] + s[hi:]
    if op in (54, 55, 66):
        pair = a[0]
        if not isinstance(pair, list) or len(pair) != 2:
            raise _StrFail
        needle, repl = _sarg(pair[0]), _sarg(pair[1])
        if not needle:
            raise _StrFail
        if op == 54:
            return s.replace(needle, repl, 1)
        if op == 55:
            return s.replace(needle, repl)
        flags = a[1]
        regex = _compile_regex(needle, flags)
        return regex.sub(_icu_replacement(repl), s, count=0 if flags & 16 else 1)
    if op == 56:
        return s.upper()
    if op == 57:
        return s.lower()
    if op == 58:
        return s.casefold()
    if op == 59:
        return unicodedata.normalize("NFC", s)
    if op in (60, 61, 62):
        ws = _ASCII_WS if s.isascii() else _UNICODE_WS
        return s.lstrip(ws) if op == 60 else s.rstrip(ws) if op == 61 else s.strip(ws)
    if op == 63:
        return _pad(s, _iarg(a[0]), _sarg(a[1])) + s
    if op == 64:
        return s + _pad(s, _iarg(a[0]), _sarg(a[1]))
    if op == 65:
        count = _iarg(a[0])
        if count < 0:
            raise _StrFail
        return s * count
    if op == 67:
        return s + _sarg(a[0])
    if op == 68:
        return _sarg(a[0]) + s
    raise _StrFail


# modify op -> (argument count before the flags, flags optional)
_MODIFY_ARGS = {50: 2, 51: 2, 52: 1, 53: 2, 54: 1, 55: 1, 56: 0, 57: 0, 58: 0, 59: 0, 60: 0,
                61: 0, 62: 0, 63: 2, 64: 2, 65: 1, 66: 2, 67: 1, 68: 1}


def _string_call(value: Any, args: list, modify: bool) -> Any:
    if not args or args[0] == 0xFF:   # no context on a string operand
        raise _UNKNOWN
    op, a = args[0], list(args[1:])
    if not isinstance(value, bytes) or not value or value[0] != 3:
        raise _UNKNOWN
    try:
        s = value[1:].decode("utf-8")
    except UnicodeDecodeError:
        raise _UNKNOWN from None
    if not modify:
        try:
            out = _string_read(s, op, a)
        except _StrFail:
            raise _UNKNOWN from None
        if isinstance(out, str):
            return b"\x03" + out.encode("utf-8")
        return out
    n_args = _MODIFY_ARGS.get(op)
    if n_args is None:
        raise _UNKNOWN
    flags = 0
    if op == 53 and len(a) == 1:      # snip to the end: no flags
        pass
    elif len(a) == n_args + 1:
        flags = a.pop()
        if not isinstance(flags, int) or isinstance(flags, bool) or flags & ~7:
            raise _UNKNOWN
    if len(a) != n_args and not (op == 53 and len(a) == 1):
        raise _UNKNOWN
    if flags & _SF_CREATE_ONLY and (flags & _SF_UPDATE_ONLY or op not in _CREATE_CAPABLE):
        raise _UNKNOWN
    if flags & _SF_CREATE_ONLY:       # the operand exists
        raise _UNKNOWN
    try:
        out = _string_modify(s, op, a)
    except _StrFail:
        if flags & _SF_NO_FAIL:
            return value
        raise _UNKNOWN from None
    return b"\x03" + out.encode("utf-8")


def _is_join(args: list) -> bool:
    inner = args[2] if args and args[0] == 0xFF and len(args) == 3 else args
    return bool(inner) and inner[0] == LIST_JOIN


def _list_join(value: Any, args: list, ctx: Context) -> Any:
    if args[0] == 0xFF:   # the items of the list the context selects
        try:
            _root, got = cdt.apply_op(value, CList([0xFF, args[1], CList([24, 7, 0])]), False,
                                      ctx)
        except CdtError:
            raise _UNKNOWN from None
        items, inner = got.value, args[2]
    else:
        items, inner = value, args
    if not isinstance(items, list) or len(inner) > 2:
        raise _UNKNOWN
    try:
        sep = _sarg(inner[1]) if len(inner) == 2 else ""
        return b"\x03" + sep.join(_sarg(v) for v in items).encode("utf-8")
    except _StrFail:
        raise _UNKNOWN from None


def _ev_to_str(node: list, ctx: Context, env: dict) -> Any:
    v = _ev(node[1], ctx, env)
    if v is True or v is False:
        text = "true" if v else "false"
    elif isinstance(v, int):
        text = str(v)
    elif isinstance(v, float):
        text = repr(v)
    elif isinstance(v, bytes) and v and v[0] in (3, 4):
        try:
            text = v[1:].decode("utf-8")
        except UnicodeDecodeError:
            raise _UNKNOWN from None
    else:
        raise _UNKNOWN
    return b"\x03" + text.encode("utf-8")


_EVAL = {
    UNK: _ev_unknown, REGEX: _ev_regex, GEO: _ev_geo, IN_LIST: _ev_in_list,
    ADD: _ev_math, SUB: _ev_math, MUL: _ev_math, DIV: _ev_math, MIN: _ev_math,
    MAX: _ev_math, POW: _ev_pow, LOG: _ev_log, MOD: _ev_mod,
    ABS: _ev_one, FLOOR: _ev_one, CEIL: _ev_one, TO_INT: _ev_one, TO_FLOAT: _ev_one,
    INT_NOT: _ev_one, INT_COUNT: _ev_one,
    INT_AND: _ev_int_vargs, INT_OR: _ev_int_vargs, INT_XOR: _ev_int_vargs,
    INT_LSHIFT: _ev_shift, INT_RSHIFT: _ev_shift, INT_ARSHIFT: _ev_shift,
    INT_LSCAN: _ev_scan, INT_RSCAN: _ev_scan,
    DIGEST_MOD: _ev_meta, DEVICE_SIZE: _ev_meta, LAST_UPDATE: _ev_meta,
    SINCE_UPDATE: _ev_meta, VOID_TIME: _ev_meta, TTL: _ev_meta, SET_NAME: _ev_meta,
    KEY_EXISTS: _ev_meta, IS_TOMBSTONE: _ev_meta, MEMORY_SIZE: _ev_meta,
    RECORD_SIZE: _ev_meta, REC_KEY: _ev_key, BIN_TYPE: _ev_bin_type,
    RESULT_REMOVE: _ev_remove, MAP_KEYS: _ev_map_kv, MAP_VALUES: _ev_map_kv,
    VAR_BUILTIN: _ev_builtin, COND: _ev_cond, VAR: _ev_var, LET: _ev_let,
    QUOTE: _ev_quote, CALL: _ev_call, TO_STR: _ev_to_str,
}


# -- the expression operations -------------------------------------------------------------
def _parse_op(value: bytes, modify: bool) -> tuple[Expression, int]:
    try:
        payload = cdt.decode(value)
    except CdtError:
        raise BuildError from None
    if not isinstance(payload, list) or not 1 <= len(payload) <= 2:
        raise BuildError
    flags = payload[1] if len(payload) == 2 else 0
    if not isinstance(flags, int) or isinstance(flags, bool) or flags < 0:
        raise BuildError
    allowed = 0x1F if modify else EVAL_NO_FAIL
    if flags & ~allowed:
        raise BuildError
    return build_node(payload[0]), flags


def _particle(v: Any) -> tuple[int, bytes]:
    if isinstance(v, bytes) and v[:1] == b"\x17":
        return 23, b"\x00\x00\x00" + v[1:]
    return cdt.result_particle(v)


def run_read(txn: Any, op: Any) -> int:
    """expression_read: the value of the expression in a bin of the op's name."""
    from .engine import op_bytes
    try:
        exp, flags = _parse_op(op.value, False)
    except BuildError:
        return PARAMETER_ERROR
    try:
        value = evaluate(exp, context_of_txn(txn))
    except _Unknown:
        if not flags & EVAL_NO_FAIL:
            return OP_NOT_APPLICABLE
        value = None
    if value is REMOVE:
        return OP_NOT_APPLICABLE
    try:
        ptype, data = _particle(value)
    except CdtError:
        return OP_NOT_APPLICABLE
    txn.out.append(op_bytes(op.op, ptype, op.name.encode("utf-8", "surrogateescape"), data))
    return 0


def run_modify(txn: Any, op: Any) -> int:
    """expression_write: store the expression's value in the op's bin, honouring the
    write flags as ``as/src/base/expop.c`` does."""
    from .store import remove_bin
    if len(op.name.encode("utf-8", "surrogateescape")) > 15:
        return 21
    try:
        exp, flags = _parse_op(op.value, True)
    except BuildError:
        return PARAMETER_ERROR
    live = op.name in txn.bins
    if live and flags & CREATE_ONLY:
        if flags & POLICY_NO_FAIL:
            txn.reply_nil(op)
            return 0
        return BIN_EXISTS
    if not live and flags & UPDATE_ONLY:
        if flags & POLICY_NO_FAIL:
            txn.reply_nil(op)
            return 0
        return BIN_NOT_FOUND
    try:
        value = evaluate(exp, context_of_txn(txn))
    except _Unknown:
        if not flags & EVAL_NO_FAIL:
            return OP_NOT_APPLICABLE
        txn.reply_nil(op)
        return 0
    if value is None or value is REMOVE:
        if live:
            if not flags & ALLOW_DELETE:
                # the server answers OK here for any flags (its check reads
                # "flags && POLICY_NO_FAIL")
                if flags:
                    txn.reply_nil(op)
                    return 0
                return OP_NOT_APPLICABLE
            remove_bin(txn.bins, op.name)
        txn.reply_nil(op)
        return 0
    try:
        ptype, data = _particle(value)
    except CdtError:
        return OP_NOT_APPLICABLE
    if ptype == 23:
        from .geo import store_geojson
        stored = store_geojson(data)
        if stored is None:
            return OP_NOT_APPLICABLE
        data = stored
    txn.bins[op.name] = (ptype, data)
    txn.reply_nil(op)
    return 0
