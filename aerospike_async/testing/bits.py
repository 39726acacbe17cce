"""Bitwise operations on blob bins in the embedded server: wire ops 12 (read) and 13
(modify), and the bit calls of expressions.

The operation value is msgpack ``[bit_op, args...]``; the args are parsed in order as
the server does (a wrong count, type or range is PARAMETER_ERROR), then the bin is
checked (a bin of another type is BIN_INCOMPATIBLE_TYPE; create-only / update-only write
flags answer BIN_EXISTS / BIN_NOT_FOUND unless no-fail), then the op is sized against
the blob: offsets are bits (negative ones count from the end), an op that starts past
the end or runs over it is OP_NOT_APPLICABLE unless no-fail (or partial, where allowed).
Semantics follow ``as/src/base/particle_blob.c`` of Aerospike 8.1, including its quirks
(``bit_rscan`` also looks at the bits before the offset in the first byte; a partial op
sizes its region from the blob's whole size).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..protocol.message import name_bytes
from ..protocol.particles import PARTICLE_BLOB, PARTICLE_INTEGER

OK = 0
PARAMETER_ERROR = 4
BIN_EXISTS = 6
BIN_INCOMPATIBLE_TYPE = 12
BIN_NOT_FOUND = 17
BIN_NAME_TOO_LONG = 21
OP_NOT_APPLICABLE = 26

PROTO_SIZE_MAX = 128 * 1024 * 1024

# op codes
RESIZE, INSERT, REMOVE, SET, OR, XOR, AND, NOT, LSHIFT, RSHIFT = range(10)
ADD, SUBTRACT, SET_INT = 10, 11, 12
GET, COUNT, LSCAN, RSCAN, GET_INT = 50, 51, 52, 53, 54

# write flags
CREATE_ONLY, UPDATE_ONLY, NO_FAIL, PARTIAL = 1, 2, 4, 8
# resize subflags
FROM_FRONT, GROW_ONLY, SHRINK_ONLY = 1, 2, 4
# integer subflags
SIGNED, SATURATE, WRAP = 1, 2, 4

_M64 = (1 << 64) - 1
_OVERWRITE, _EXPAND, _REMOVE = 0, 1, 2


class BitsError(Exception):
    """An operation the server refuses: ``code`` is its result code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _Op:
    __slots__ = ("buf", "code", "flags", "offset", "size", "subflags", "value")

    def __init__(self, code: int) -> None:
        self.code = code
        self.offset = 0
        self.size = 0
        self.value = 0
        self.buf = b""
        self.flags = 0
        self.subflags = 0


# -- argument parsing ----------------------------------------------------------------------
def _int(v: Any) -> int:
    if type(v) is not int:
        raise BitsError(PARAMETER_ERROR)
    return v


def _i64(v: Any) -> int:
    v = _int(v) & _M64
    return v - (1 << 64) if v >> 63 else v


def _u64(v: Any) -> int:
    return _int(v) & _M64


def _p_byte_offset(op: _Op, v: Any) -> None:
    offset = _i64(v)
    if abs(offset) > PROTO_SIZE_MAX:
        raise BitsError(PARAMETER_ERROR)
    op.offset = offset * 8


def _p_offset(op: _Op, v: Any) -> None:
    offset = _i64(v)
    if abs(offset) > PROTO_SIZE_MAX * 8:
        raise BitsError(PARAMETER_ERROR)
    op.offset = offset


def _p_integer_size(op: _Op, v: Any) -> None:
    size = _u64(v)
    if size == 0 or size > 64:
        raise BitsError(PARAMETER_ERROR)
    op.size = size


def _p_byte_size(op: _Op, v: Any) -> None:
    size = _u64(v)
    if size == 0 or size > PROTO_SIZE_MAX:
        raise BitsError(PARAMETER_ERROR)
    op.size = size * 8


def _p_byte_size_allow_zero(op: _Op, v: Any) -> None:
    size = _u64(v)
    if size > PROTO_SIZE_MAX:
        raise BitsError(PARAMETER_ERROR)
    op.size = size * 8


def _p_size(op: _Op, v: Any) -> None:
    size = _u64(v)
    if size == 0 or size > PROTO_SIZE_MAX * 8:
        raise BitsError(PARAMETER_ERROR)
    op.size = size


def _p_bool(op: _Op, v: Any) -> None:
    if v is not True and v is not False:
        raise BitsError(PARAMETER_ERROR)
    op.value = 1 if v else 0


def _p_integer_value(op: _Op, v: Any) -> None:
    op.value = _u64(v)


def _p_n_bits_value(op: _Op, v: Any) -> None:
    _p_integer_value(op, v)
    if op.value > PROTO_SIZE_MAX * 8:
        raise BitsError(PARAMETER_ERROR)


def _p_buf(op: _Op, v: Any) -> None:
    # a msgpack string or blob whose first byte is the (ignored) particle type
    if not isinstance(v, bytes) or len(v) < 2:
        raise BitsError(PARAMETER_ERROR)
    op.buf = v[1:]
    size = len(op.buf) * 8
    if op.size != 0:
        if size < op.size:
            raise BitsError(PARAMETER_ERROR)
    else:
        op.size = size


def _flags_parser(allowed: int) -> Callable[[_Op, Any], None]:
    def parse(op: _Op, v: Any) -> None:
        flags = _u64(v)
        if flags & ~allowed or (flags & CREATE_ONLY and flags & UPDATE_ONLY):
            raise BitsError(PARAMETER_ERROR)
        op.flags = flags
    return parse


def _p_resize_subflags(op: _Op, v: Any) -> None:
    sub = _u64(v)
    if sub & ~(FROM_FRONT | GROW_ONLY | SHRINK_ONLY) or (sub & GROW_ONLY and sub & SHRINK_ONLY):
        raise BitsError(PARAMETER_ERROR)
    op.subflags = sub


def _p_arithmetic_subflags(op: _Op, v: Any) -> None:
    sub = _u64(v)
    if sub & ~(SIGNED | SATURATE | WRAP) or (sub & SATURATE and sub & WRAP):
        raise BitsError(PARAMETER_ERROR)
    op.subflags = sub


def _p_get_int_subflags(op: _Op, v: Any) -> None:
    sub = _u64(v)
    if sub & ~SIGNED:
        raise BitsError(PARAMETER_ERROR)
    op.subflags = sub


_F_RESIZE = _flags_parser(CREATE_ONLY | UPDATE_ONLY | NO_FAIL)
_F_MODIFY = _flags_parser(UPDATE_ONLY | NO_FAIL | PARTIAL)
_F_INT = _flags_parser(UPDATE_ONLY | NO_FAIL)
_BUF_OP = (_p_offset, _p_size, _p_buf, _F_MODIFY)
_SHIFT_OP = (_p_offset, _p_size, _p_n_bits_value, _F_MODIFY)
_ARITH_OP = (_p_offset, _p_integer_size, _p_integer_value, _F_INT, _p_arithmetic_subflags)

_MODIFY_ARGS: dict[int, tuple[int, int, tuple]] = {
    RESIZE: (1, 3, (_p_byte_size_allow_zero, _F_RESIZE, _p_resize_subflags)),
    INSERT: (2, 3, (_p_byte_offset, _p_buf, _F_RESIZE)),
    REMOVE: (2, 3, (_p_byte_offset, _p_byte_size, _F_MODIFY)),
    SET: (3, 4, _BUF_OP), OR: (3, 4, _BUF_OP), XOR: (3, 4, _BUF_OP), AND: (3, 4, _BUF_OP),
    NOT: (2, 3, (_p_offset, _p_size, _F_MODIFY)),
    LSHIFT: (3, 4, _SHIFT_OP), RSHIFT: (3, 4, _SHIFT_OP),
    ADD: (3, 5, _ARITH_OP), SUBTRACT: (3, 5, _ARITH_OP),
    SET_INT: (3, 4, (_p_offset, _p_integer_size, _p_integer_value, _F_INT)),
}
_READ_ARGS: dict[int, tuple[int, int, tuple]] = {
    GET: (2, 2, (_p_offset, _p_size)),
    COUNT: (2, 2, (_p_offset, _p_size)),
    LSCAN: (3, 3, (_p_offset, _p_size, _p_bool)),
    RSCAN: (3, 3, (_p_offset, _p_size, _p_bool)),
    GET_INT: (2, 3, (_p_offset, _p_integer_size, _p_get_int_subflags)),
}


def parse(payload: Any, modify: bool) -> _Op:
    """The op of a decoded ``[bit_op, args...]``; BitsError(4) if the server refuses it."""
    if not isinstance(payload, list) or not payload:
        raise BitsError(PARAMETER_ERROR)
    code = _u64(payload[0])
    table = _MODIFY_ARGS if modify else _READ_ARGS
    spec = table.get(code)
    if spec is None:
        raise BitsError(PARAMETER_ERROR)
    lo, hi, parsers = spec
    args = payload[1:]
    if not lo <= len(args) <= hi:
        raise BitsError(PARAMETER_ERROR)
    op = _Op(code)
    for fn, v in zip(parsers, args):
        fn(op, v)
    return op


# -- sizing --------------------------------------------------------------------------------
class _Plan:
    __slots__ = ("action", "byte_offset", "expand", "head", "n_op", "tail")

    def __init__(self) -> None:
        self.action = _OVERWRITE
        self.head = self.expand = self.n_op = self.tail = self.byte_offset = 0


def _prepare(op: _Op, old_size: int, live: bool) -> _Plan | None:
    """bits_prepare_op: None when the op is a no-op (a tolerated failure)."""
    if not live and op.offset < 0:
        raise BitsError(PARAMETER_ERROR)
    if op.offset < 0:
        if -op.offset > old_size * 8:
            raise BitsError(PARAMETER_ERROR)
        op.offset += old_size * 8
    byte_offset = op.offset // 8
    op.offset %= 8
    op_size = (op.offset + op.size + 7) // 8
    plan = _Plan()
    plan.byte_offset = byte_offset
    no_fail = bool(op.flags & NO_FAIL)
    code = op.code
    if code == RESIZE:
        if op_size < old_size:
            if op.subflags & GROW_ONLY:
                if no_fail:
                    return None
                raise BitsError(PARAMETER_ERROR)
            plan.action = _REMOVE
            n_remove = old_size - op_size
            plan.n_op = n_remove
            if op.subflags & FROM_FRONT:
                plan.tail = old_size - n_remove
            else:
                plan.head = old_size - n_remove
        elif op_size > old_size:
            if op.subflags & SHRINK_ONLY:
                if no_fail:
                    return None
                raise BitsError(PARAMETER_ERROR)
            plan.action = _EXPAND
            plan.n_op = op_size - old_size
            if op.subflags & FROM_FRONT:
                plan.tail = old_size
            else:
                plan.head = old_size
        else:
            return None
        return plan
    if code == INSERT:
        plan.action = _EXPAND
        if byte_offset >= old_size:
            plan.head = old_size
            plan.expand = byte_offset - old_size
            plan.n_op = op_size
        else:
            plan.head = byte_offset
            plan.n_op = op_size
            plan.tail = old_size - byte_offset
        return plan
    if code in (REMOVE, SET, OR, XOR, AND, NOT, LSHIFT, RSHIFT):
        past_end = PARAMETER_ERROR if code == REMOVE else OP_NOT_APPLICABLE
        if byte_offset >= old_size:
            if no_fail:
                return None
            raise BitsError(past_end)
        plan.action = _REMOVE if code == REMOVE else _OVERWRITE
        plan.head = byte_offset
        if byte_offset + op_size > old_size:
            if not op.flags & PARTIAL:
                if no_fail:
                    return None
                raise BitsError(past_end)
            plan.n_op = old_size - byte_offset
            # as the server does: the size runs from the bit offset in the first
            # byte to the end of the whole blob
            op.size = old_size * 8 - op.offset
        else:
            plan.n_op = op_size
            plan.tail = old_size - (byte_offset + op_size)
        return plan
    # integer ops and reads
    if byte_offset >= old_size or byte_offset + op_size > old_size:
        if no_fail:
            return None
        raise BitsError(OP_NOT_APPLICABLE)
    plan.head = byte_offset
    plan.n_op = op_size
    plan.tail = old_size - (byte_offset + op_size)
    return plan


# -- byte helpers (as the server shifts and masks) -----------------------------------------
def _to_int(b: bytes | bytearray) -> int:
    return int.from_bytes(b, "big")


def _to_bytes(v: int, n: int) -> bytearray:
    return bytearray((v & ((1 << (8 * n)) - 1)).to_bytes(n, "big"))


def _lshift(size: int, offset: int, n_shift: int, frm: bytes, n: int) -> bytearray:
    """lshift(): ``n`` bytes of ``frm`` shifted left by ``n_shift`` bits, the bits after
    ``offset + size`` in the last byte cleared first."""
    if n_shift >= size:
        return bytearray(n)
    last_m = (0xFF << ((8 - (offset + size) % 8) % 8)) & 0xFF
    src = bytearray(frm[:n].ljust(n, b"\0"))
    last = src[n - 1] & last_m
    src[n - 1] = last
    if n_shift // 8 >= n:
        out = bytearray(n)
        out[0] = (last << (n_shift % 8)) & 0xFF
        return out
    return _to_bytes(_to_int(src) << n_shift, n)


def _rshift(size: int, offset: int, n_shift: int, frm: bytes, n: int) -> bytearray:
    """rshift(): ``n`` bytes of ``frm`` (the bits before ``offset`` in the first byte
    cleared) shifted right by ``n_shift`` bits."""
    if n_shift >= size:
        return bytearray(n)
    src = bytearray(frm[:n].ljust(n, b"\0"))
    src[0] &= 0xFF >> offset
    return _to_bytes(_to_int(src) >> n_shift, n)


def _restore_ends(op: _Op, to: bytearray, frm: bytes | bytearray, n: int) -> None:
    """restore_ends(): the bits of the first and last byte outside the op's region keep
    their old value."""
    offset, size = op.offset, op.size
    if n == 1:
        head_m = (0xFF << (8 - offset)) & 0xFF
        tail_len = (8 - (offset + size) % 8) % 8
        tail_m = (0xFF >> (8 - tail_len)) & 0xFF
        m = head_m | tail_m
        to[0] = (to[0] & ~m & 0xFF) | (frm[0] & m)
        return
    if offset:
        head_m = (0xFF << (8 - offset)) & 0xFF
        to[0] = (to[0] & ~head_m & 0xFF) | (frm[0] & head_m)
    if (offset + size) % 8:
        tail_m = 0xFF >> ((offset + size) % 8)
        to[n - 1] = (to[n - 1] & ~tail_m & 0xFF) | (frm[n - 1] & tail_m)


def _load_int(op: _Op, frm: bytes) -> int:
    """The unsigned integer in bits [offset, offset + size) of ``frm``."""
    n = (op.offset + op.size + 7) // 8
    bits = n * 8
    return (_to_int(frm[:n]) >> (bits - op.offset - op.size)) & ((1 << op.size) - 1)


def _store_int(op: _Op, frm: bytes, value: int, n: int) -> bytearray:
    to = _to_bytes(_to_int(frm[:n]), n)
    shift = n * 8 - op.offset - op.size
    mask = ((1 << op.size) - 1) << shift
    v = _to_int(to)
    v = (v & ~mask) | ((value << shift) & mask)
    return _to_bytes(v, n)


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _signed_overflow(n_bits: int, saturate: bool, load: int, value: int,
                     result: int) -> int | None:
    """handle_signed_overflow(): the result, the saturated value, or None (overflow)."""
    value_m = _M64 >> (64 - n_bits)
    s_result, s_load, s_value = (_signed(result, n_bits), _signed(load, n_bits),
                                 _signed(value, n_bits))
    if s_load < 0 and s_value < 0 and s_result > 0:
        return ((value_m >> (n_bits - 1)) << (n_bits - 1)) if saturate else None
    if s_load > 0 and s_value > 0 and s_result < 0:
        return (value_m >> 1) if saturate else None
    return result


def _arith(op: _Op, frm: bytes, n: int, subtract: bool) -> bytearray | None:
    load = _load_int(op, frm)
    n_bits = op.size
    value_m = _M64 >> (64 - n_bits)
    value = op.value & value_m
    result = ((load - value) if subtract else (load + value)) & value_m
    if not op.subflags & WRAP:
        saturate = bool(op.subflags & SATURATE)
        if op.subflags & SIGNED:
            operand = ((-value) & _M64) if subtract else value
            checked = _signed_overflow(n_bits, saturate, load, operand, result)
            if checked is None:
                return None
            result = checked
        elif (result > load) if subtract else (result < load):
            if not saturate:
                return None
            result = 0 if subtract else value_m
    return _store_int(op, frm, result, n)


def _modify_span(op: _Op, frm: bytes, n: int) -> bytearray | None:
    """The new bytes of an overwritten span (None: the op fails)."""
    code = op.code
    if code == SET:
        to = _rshift(((op.size + 7) // 8) * 8, 0, op.offset, op.buf, n)
    elif code in (OR, XOR, AND):
        n_buf = (op.size + 7) // 8
        b = _rshift(1 << 62, 0, op.offset, op.buf[:n_buf], n)
        f = _to_int(frm[:n])
        x = _to_int(b)
        v = f | x if code == OR else (f ^ x if code == XOR else f & x)
        to = _to_bytes(v, n)
    elif code == NOT:
        to = _to_bytes(~_to_int(frm[:n]), n)
    elif code == LSHIFT:
        to = _lshift(op.size, op.offset, op.value, frm, n)
    elif code == RSHIFT:
        to = _rshift(op.size, op.offset, op.value, frm, n)
    elif code in (ADD, SUBTRACT):
        res = _arith(op, frm, n, code == SUBTRACT)
        if res is None:
            return None
        to = res
    else:  # SET_INT
        to = _store_int(op, frm, op.value & (_M64 >> (64 - op.size)), n)
    _restore_ends(op, to, frm, n)
    return to


def _execute_modify(op: _Op, plan: _Plan, old: bytes | None) -> bytes | None:
    if old is None:
        if plan.action != _EXPAND:
            raise BitsError(PARAMETER_ERROR)
        body = bytes(plan.n_op) if op.code == RESIZE else op.buf[:plan.n_op]
        return bytes(plan.expand) + body
    head = old[:plan.head]
    rest = old[plan.head:]
    if plan.action == _OVERWRITE:
        span = _modify_span(op, rest, plan.n_op)
        if span is None:
            return None
        mid = bytes(span)
        rest = rest[plan.n_op:]
    elif plan.action == _EXPAND:
        body = bytes(plan.n_op) if op.code == RESIZE else op.buf[:plan.n_op]
        mid = bytes(plan.expand) + body
    else:
        mid = b""
        rest = rest[plan.n_op:]
    return head + mid + rest[:plan.tail]


def _execute_read(op: _Op, plan: _Plan, blob: bytes) -> Any:
    frm = blob[plan.head:plan.head + plan.n_op]
    n = plan.n_op
    code = op.code
    offset, size = op.offset, op.size
    if code == GET:
        region = (_to_int(frm) >> (n * 8 - offset - size)) & ((1 << size) - 1)
        n_out = (size + 7) // 8
        return bytes(_to_bytes(region << (n_out * 8 - size), n_out))
    if code == COUNT:
        region = (_to_int(frm) >> (n * 8 - offset - size)) & ((1 << size) - 1)
        return region.bit_count()
    if code == GET_INT:
        v = _load_int(op, frm)
        return _signed(v, size) if op.subflags & SIGNED else v
    bits = _to_int(frm)
    want = op.value
    if code == LSCAN:
        region = (bits >> (n * 8 - offset - size)) & ((1 << size) - 1)
        if not want:
            region ^= (1 << size) - 1
        return size - region.bit_length() if region else -1
    # RSCAN: the server also looks at the bits before the offset in the first byte
    width = offset + size
    span = (bits >> (n * 8 - width)) & ((1 << width) - 1)
    if not want:
        span ^= (1 << width) - 1
    if not span:
        return -1
    lowest = (span & -span).bit_length() - 1
    return width - 1 - lowest - offset


# -- entry points --------------------------------------------------------------------------
def modify(blob: bytes | None, payload: Any) -> bytes | None:
    """Run a modify op on a blob's bytes (None: no bin). Returns the new bytes, or
    ``blob`` unchanged for a tolerated no-op. Raises BitsError."""
    op = parse(payload, True)
    return _modify_parsed(op, blob)


def _modify_parsed(op: _Op, blob: bytes | None) -> bytes | None:
    no_fail = bool(op.flags & NO_FAIL)
    if blob is not None:
        if op.flags & CREATE_ONLY:
            if no_fail:
                return blob
            raise BitsError(BIN_EXISTS)
    elif op.code not in (INSERT, RESIZE) or op.flags & UPDATE_ONLY:
        if no_fail:
            return None
        raise BitsError(BIN_NOT_FOUND)
    plan = _prepare(op, len(blob) if blob is not None else 0, blob is not None)
    if plan is None:
        return blob
    new_size = plan.head + plan.expand + plan.tail + (
        plan.n_op if plan.action != _REMOVE else 0)
    if new_size >= PROTO_SIZE_MAX:
        raise BitsError(PARAMETER_ERROR)
    new = _execute_modify(op, plan, blob)
    if new is None:
        if no_fail:
            return blob
        raise BitsError(OP_NOT_APPLICABLE)
    return new


def read(blob: bytes, payload: Any) -> Any:
    """Run a read op on a blob's bytes: an int, or bytes (bit_get). Raises BitsError."""
    op = parse(payload, False)
    return _read_parsed(op, blob)


def _read_parsed(op: _Op, blob: bytes) -> Any:
    plan = _prepare(op, len(blob), True)
    if plan is None:
        return None
    return _execute_read(op, plan, blob)


def call(value: Any, payload: Any, modify_local: bool) -> Any:
    """A bit call of an expression on ``value`` (a prefixed blob, or None): the modified
    blob (prefixed) or the read result (ints; bit_get a prefixed blob). Raises
    BitsError."""
    if value is not None and (not isinstance(value, bytes) or value[:1] != b"\x04"):
        raise BitsError(BIN_INCOMPATIBLE_TYPE)
    blob = value[1:] if value is not None else None
    if modify_local:
        new = modify(blob, payload)
        return None if new is None else b"\x04" + new
    op = parse(payload, False)
    if blob is None:
        raise BitsError(BIN_NOT_FOUND)
    out = _read_parsed(op, blob)
    return b"\x04" + out if isinstance(out, bytes) else out


# -- the op handlers -----------------------------------------------------------------------
def _decode(value: bytes) -> Any:
    from .cdt import CdtError, decode
    try:
        return decode(value)
    except CdtError:
        raise BitsError(PARAMETER_ERROR) from None


def run_read(txn: Any, op: Any) -> int:
    """BIT_READ (op 12): answer the op's result under the bin's name."""
    from ..protocol.message import op_bytes
    if op.particle_type != PARTICLE_BLOB:
        return BIN_INCOMPATIBLE_TYPE
    try:
        parsed = parse(_decode(op.value), False)
        current = txn.bins.get(op.name)
        if current is None:
            txn.reply_nil(op)
            return OK
        ptype, raw = current
        if ptype != PARTICLE_BLOB:
            return BIN_INCOMPATIBLE_TYPE
        out = _read_parsed(parsed, raw)
    except BitsError as exc:
        return exc.code
    if out is None:
        txn.reply_nil(op)
    elif isinstance(out, bytes):
        txn.out.append(op_bytes(op.op, PARTICLE_BLOB, name_bytes(op.name), out))
    else:
        txn.out.append(op_bytes(op.op, PARTICLE_INTEGER, name_bytes(op.name),
                                (out & _M64).to_bytes(8, "big")))
    return OK


def run_modify(txn: Any, op: Any) -> int:
    """BIT_MODIFY (op 13): change the blob bin in place (a nil entry under
    respond-all-ops)."""
    if len(name_bytes(op.name)) > 15:
        return BIN_NAME_TOO_LONG
    if op.particle_type != PARTICLE_BLOB:
        return BIN_INCOMPATIBLE_TYPE
    try:
        parsed = parse(_decode(op.value), True)
        current = txn.bins.get(op.name)
        blob = None
        if current is not None:
            ptype, raw = current
            if ptype != PARTICLE_BLOB and not parsed.flags & CREATE_ONLY:
                return BIN_INCOMPATIBLE_TYPE
            blob = raw
        new = _modify_parsed(parsed, blob)
    except BitsError as exc:
        return exc.code
    if new is not None and new is not blob:
        txn.bins[op.name] = (PARTICLE_BLOB, new)
    txn.reply_nil(op)
    return OK
