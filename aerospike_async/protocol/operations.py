"""Encoding the documented operation dicts (``aerospike_helpers.operations``) for operate.

Each documented operator maps to an encoder returning the wire operation
and whether it reads and/or writes. Later capabilities (list, map, bit,
HLL, expression operations) register their operators in ``ENCODERS``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .. import constants as C
from ..exceptions import BinNameError, ClientError, ParamError
from ..types import null
from . import message as M
from .cdt import instance_serializer, pack, unserializable
from .cdt_ops import (
    CDT_OPERATORS,
    OLDER_MAP_OPERATORS,
    RawMsgpack,
    _c_int as _c_int_field,
    _pack_args as pack_args,
    _policy_int,
    encode_cdt,
    encode_modify_by_path,
    encode_select_by_path,
)
from .expressions import encode_expression
from .particles import encode_particle, encode_particle_user
from .record import op_header
from .string_ops import STRING_ENCODERS


class EncodedOp(NamedTuple):
    data: bytes
    reads: bool
    writes: bool
    ttl: int | None  # a touch carrying a ttl sets the message's record ttl
    respond_all: bool = False  # map operations: the command answers every operation


def _bin_name(op: dict) -> bytes:
    name = op.get("bin")
    if isinstance(name, str):
        nb = name.encode("utf-8")
    elif isinstance(name, bytearray):
        nb = M.c_string(name)
    else:
        raise ParamError(-2, "Bin name should be of type string", None, None, False)
    if len(nb) > 15:
        raise BinNameError(21, "A bin name should not exceed 15 characters limit", None, None,
                           False)
    return nb


def _value(op: dict) -> Any:
    if "val" not in op:
        raise ParamError(-2, "Value should be given", None, None, False)
    return op["val"]


def _particle(value: Any) -> tuple[int, bytes]:
    try:
        return encode_particle(value)
    except TypeError:
        serialize = instance_serializer.get()
        if serialize is None:
            raise unserializable() from None
        return encode_particle_user(value, serialize)
    except OverflowError as exc:
        raise ParamError(-2, str(exc), None, None, False) from None
    except ValueError as exc:
        raise ParamError(-2, f"Cannot serialize operation value: {exc}", None, None,
                         False) from None


def _read(op: dict) -> EncodedOp:
    return EncodedOp(op_header(M.OP_READ, 0, _bin_name(op), 0), True, False, None)


def _write_like(wire_op: int) -> Callable[[dict], EncodedOp]:
    def encode(op: dict) -> EncodedOp:
        name = _bin_name(op)
        ptype, data = _particle(_value(op))
        return EncodedOp(op_header(wire_op, ptype, name, len(data)) + data, False, True, None)
    return encode


def _incr(op: dict) -> EncodedOp:
    value = _value(op)
    # aerospike.null() passes, sent as nil for the server to judge (as the official client)
    if (isinstance(value, bool) or not isinstance(value, (int, float))) \
            and type(value) is not null:
        raise ParamError(-2, "Unsupported operand type(s) for +: only 'int' allowed", None,
                         None, False)
    return _write_like(M.OP_INCR)(op)


def _concat(wire_op: int) -> Callable[[dict], EncodedOp]:
    encode = _write_like(wire_op)

    def check(op: dict) -> EncodedOp:
        value = _value(op)
        if not isinstance(value, (str, bytes, bytearray)) and type(value) is not null:
            raise ParamError(-2, "Cannot concatenate 'str' and 'non-str' objects", None,
                             None, False)
        return encode(op)
    return check


def _touch(op: dict) -> EncodedOp:
    ttl = op.get("val")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool)):
        raise ParamError(-2, "Ttl should be an int or long", None, None, False)
    return EncodedOp(op_header(M.OP_TOUCH, 0, b"", 0), False, True, ttl or None)


def _delete(op: dict) -> EncodedOp:
    return EncodedOp(op_header(M.OP_DELETE, 0, b"", 0), False, True, None)


ENCODERS: dict[int, Callable[[dict], EncodedOp]] = {
    C.OPERATOR_READ: _read,
    C.OPERATOR_WRITE: _write_like(M.OP_WRITE),
    C.OPERATOR_INCR: _incr,
    C.OPERATOR_APPEND: _concat(M.OP_APPEND),
    C.OPERATOR_PREPEND: _concat(M.OP_PREPEND),
    C.OPERATOR_TOUCH: _touch,
    C.OPERATOR_DELETE: _delete,
}


def _cdt(op: dict) -> EncodedOp:
    data, modifies, respond_all = encode_cdt(op)
    return EncodedOp(data, not modifies, modifies, None, respond_all)


def _select_by_path(op: dict) -> EncodedOp:
    return EncodedOp(encode_select_by_path(op), True, False, None)


def _modify_by_path(op: dict) -> EncodedOp:
    return EncodedOp(encode_modify_by_path(op), False, True, None)


def _expression(wire_op: int, reads: bool) -> Callable[[dict], EncodedOp]:
    """expression_read / expression_write: ``[expression, flags]`` as a blob particle;
    the command then answers every operation, as the official client asks."""
    def encode(op: dict) -> EncodedOp:
        try:
            name = _bin_name(op)
        except BinNameError:   # too long: the official client's packing failure
            raise ClientError(-1, f"Failed to pack {'read' if reads else 'write'} expression "
                              "op.", None, None, False) from None
        flags = op.get("expr_flags", 0) or 0
        if not isinstance(flags, int) or isinstance(flags, bool):
            raise ParamError(-2, "expression flags must be an integer", None, None, False)
        data = b"\x92" + encode_expression(op.get("expr")) + pack(flags)
        return EncodedOp(op_header(wire_op, _PARTICLE_BLOB, name, len(data)) + data,
                         reads, not reads, None, True)
    return encode


_PARTICLE_BLOB = 4


def _bytes_field(op: dict, key: str) -> bytes:
    v = op.get(key)
    if not isinstance(v, (bytes, bytearray)):
        raise ParamError(-2, f"{key} must be bytes or byte array", None, None, False)
    return bytes(v)


def _bit_int(op: dict, key: str) -> int:
    v = op.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise ParamError(-2, f"{key} must be an integer", None, None, False)
    return v


def _uint32(op: dict, key: str) -> int:
    v = _bit_int(op, key)
    if not 0 <= v <= 0xFFFFFFFF:
        raise ParamError(-2, f"{key} is not a valid uint32", None, None, False)
    return v


def _bool_field(op: dict, key: str) -> bool:
    v = op.get(key)
    if not isinstance(v, bool):
        raise ParamError(-2, f"key {key} does not point to a boolean in the dict", None, None,
                         False)
    return v


def _bit_value(op: dict, low: int, high: int) -> int | RawMsgpack:
    """An add/subtract (unsigned 64 bits) or set_int (signed) value; past the signed
    range it travels as msgpack's uint64, as the official client sends it."""
    v = _bit_int(op, "value")
    if not low <= v <= high:
        raise ParamError(-2, "value too large", None, None, False)
    return v if v < 1 << 63 else RawMsgpack(b"\xcf" + v.to_bytes(8, "big"))


def _policy_flags(op: dict, field: str, key: str, not_a_dict: str) -> int:
    """The int ``key`` of an operation's ``field`` policy dict (0 when either is absent),
    checked as the official client checks bit and HLL policies."""
    pol = op.get(field)
    if pol is None:
        return 0
    if not isinstance(pol, dict):
        raise ParamError(-2, not_a_dict, None, None, False)
    return _policy_int(pol, key)


def _bit_args(op: dict) -> tuple[int, list[Any]]:
    """The bit op code and its args, checked as the official client checks them."""
    code = op["op"]
    flags = _policy_flags(op, "policy", "bit_write_flags", "policy must be a dict")

    def off_size() -> list[Any]:
        return [_bit_int(op, "bit_offset"), _uint32(op, "bit_size")]
    if code == C.OP_BIT_RESIZE:
        return 0, [_uint32(op, "byte_size"), flags, op.get("resize_flags", 0) or 0]
    if code == C.OP_BIT_INSERT:
        return 1, [_bit_int(op, "byte_offset"), _bytes_field(op, "value"), flags]
    if code == C.OP_BIT_REMOVE:
        return 2, [_bit_int(op, "byte_offset"), _uint32(op, "byte_size"), flags]
    if code in _BIT_BUF_OPS:
        return _BIT_BUF_OPS[code], [*off_size(), _bytes_field(op, "value"), flags]
    if code == C.OP_BIT_NOT:
        return 7, [*off_size(), flags]
    if code in (C.OP_BIT_LSHIFT, C.OP_BIT_RSHIFT):
        return 8 if code == C.OP_BIT_LSHIFT else 9, [*off_size(), _uint32(op, "value"), flags]
    if code in (C.OP_BIT_ADD, C.OP_BIT_SUBTRACT):
        action = (op.get("action", 0) or 0) | (1 if _bool_field(op, "sign") else 0)
        return 10 if code == C.OP_BIT_ADD else 11, [*off_size(), _bit_value(op, 0, (1 << 64) - 1),
                                                     flags, action]
    if code == C.OP_BIT_SET_INT:
        return 12, [*off_size(), _bit_value(op, -(1 << 63), (1 << 63) - 1), flags]
    if code in (C.OP_BIT_GET, C.OP_BIT_COUNT):
        return 50 if code == C.OP_BIT_GET else 51, off_size()
    if code in (C.OP_BIT_LSCAN, C.OP_BIT_RSCAN):
        return 52 if code == C.OP_BIT_LSCAN else 53, [*off_size(), _bool_field(op, "value")]
    if code == C.OP_BIT_GET_INT:
        return 54, off_size() + ([1] if _bool_field(op, "sign") else [])
    if code == C._OP_BIT_B64_ENCODE:
        size = op.get("byte_size")
        args = [_bit_int(op, "byte_offset")]
        if size is not None:
            args.append(_uint32(op, "byte_size"))
            if op.get("invert_size"):
                args.append(1)
        return 55, args
    raise ParamError(-2, "Unsupported bit operation", None, None, False)


_BIT_BUF_OPS = {C.OP_BIT_SET: 3, C.OP_BIT_OR: 4, C.OP_BIT_XOR: 5, C.OP_BIT_AND: 6}
_BIT_OPERATORS = (
    C.OP_BIT_RESIZE, C.OP_BIT_INSERT, C.OP_BIT_REMOVE, C.OP_BIT_SET, C.OP_BIT_OR, C.OP_BIT_XOR,
    C.OP_BIT_AND, C.OP_BIT_NOT, C.OP_BIT_LSHIFT, C.OP_BIT_RSHIFT, C.OP_BIT_ADD,
    C.OP_BIT_SUBTRACT, C.OP_BIT_SET_INT, C.OP_BIT_GET, C.OP_BIT_COUNT, C.OP_BIT_LSCAN,
    C.OP_BIT_RSCAN, C.OP_BIT_GET_INT, C._OP_BIT_B64_ENCODE)


def _hll_list(op: dict) -> list[Any]:
    values = op.get("value_list")
    if not isinstance(values, list):
        raise ParamError(-2, "Value must be a list", None, None, False)
    return values


def _hll_flags(op: dict) -> int:
    """The flags of an HLL operation's ``hll_policy``."""
    return _policy_flags(op, "hll_policy", "flags", "Hll policy must be a dictionary.")


def _hll_bits(op: dict) -> list[int]:
    """``[index_bit_count, mh_bit_count]``: both required ints (-1: not given)."""
    return [_c_int_field(op, "index_bit_count"), _c_int_field(op, "mh_bit_count")]


def _hll_args(op: dict) -> tuple[int, list[Any]]:
    """The HLL op code and its args, checked and sent as the official client does."""
    code = op["op"]
    if code == C.OP_HLL_INIT:
        return 0, [*_hll_bits(op), _hll_flags(op)]
    if code == C.OP_HLL_ADD:
        bits = _hll_bits(op)
        return 1, [_hll_list(op), *bits, _hll_flags(op)]
    if code == C.OP_HLL_SET_UNION:
        return 2, [_hll_list(op), _hll_flags(op)]
    if code == C.OP_HLL_REFRESH_COUNT:
        return 3, []
    if code == C.OP_HLL_FOLD:
        return 4, [_c_int_field(op, "index_bit_count")]
    if code in (C.OP_HLL_GET_COUNT, C.OP_HLL_DESCRIBE):
        return (50 if code == C.OP_HLL_GET_COUNT else 55), []
    return _HLL_LIST_READS[code], [_hll_list(op)]


_HLL_LIST_READS = {C.OP_HLL_GET_UNION: 51, C.OP_HLL_GET_UNION_COUNT: 52,
                   C.OP_HLL_GET_INTERSECT_COUNT: 53, C.OP_HLL_GET_SIMILARITY: 54,
                   C.OP_HLL_MAY_CONTAIN: 56}
_HLL_OPERATORS = (
    C.OP_HLL_INIT, C.OP_HLL_ADD, C.OP_HLL_SET_UNION, C.OP_HLL_REFRESH_COUNT, C.OP_HLL_FOLD,
    C.OP_HLL_GET_COUNT, C.OP_HLL_DESCRIBE, *_HLL_LIST_READS)


def _bits_or_hll(read_op: int, modify_op: int, args_of: Callable[[dict], tuple[int, list]]
                 ) -> Callable[[dict], EncodedOp]:
    """bit / HLL operations: ``[op code, args...]`` as a blob particle (op codes below
    50 modify); the command answers every operation, as the official client asks."""
    def encode(op: dict) -> EncodedOp:
        name = _bin_name(op)
        code, args = args_of(op)
        data = pack_args([code, *args])
        modify = code < 50
        wire_op = modify_op if modify else read_op
        return EncodedOp(op_header(wire_op, _PARTICLE_BLOB, name, len(data)) + data,
                         not modify, modify, None, True)
    return encode


ENCODERS.update({code: _bits_or_hll(M.OP_BIT_READ, M.OP_BIT_MODIFY, _bit_args)
                 for code in _BIT_OPERATORS})
ENCODERS.update({code: _bits_or_hll(M.OP_HLL_READ, M.OP_HLL_MODIFY, _hll_args)
                 for code in _HLL_OPERATORS})
ENCODERS.update({code: _cdt for code in CDT_OPERATORS})
ENCODERS[C._AS_OPERATOR_CDT_READ] = _select_by_path
ENCODERS[C._AS_OPERATOR_CDT_MODIFY] = _modify_by_path
ENCODERS[C.OP_EXPR_READ] = _expression(M.OP_EXP_READ, True)
ENCODERS[C.OP_EXPR_WRITE] = _expression(M.OP_EXP_MODIFY, False)


def _string(encode: Callable[[dict], tuple[bytes, bool]]) -> Callable[[dict], EncodedOp]:
    """A string operation (protocol/string_ops.py): answers every operation."""
    def run(op: dict) -> EncodedOp:
        data, reads = encode(op)
        return EncodedOp(data, reads, not reads, None, True)
    return run


ENCODERS.update({code: _string(enc) for code, enc in STRING_ENCODERS.items()})


def encode_operation(op: Any) -> EncodedOp:
    """The wire form of one documented operation dict; ParamError if it is malformed."""
    if not isinstance(op, dict):
        raise ParamError(-2, "Operation should be a dict", None, None, False)
    code = op.get("op")
    encoder = ENCODERS.get(code) if isinstance(code, int) else None
    if encoder is None:
        raise ParamError(-2, _unknown_operation(op), None, None, False)
    return encoder(op)


def _unknown_operation(op: dict) -> str:
    """The official client's wording for an operation dict whose "op" it cannot use."""
    if "op" not in op:
        return 'Operation must contain an "op" entry'
    if not isinstance(op["op"], int):
        return "Operation must be an integer"
    if "val" not in op:
        return "Value should be given"
    return "Invalid operation given"


# the writes whose value type a strict client checks, and the wire op each sends
_UNTYPED_WRITES = {C.OPERATOR_INCR: M.OP_INCR, C.OPERATOR_APPEND: M.OP_APPEND,
                 C.OPERATOR_PREPEND: M.OP_PREPEND}
_DROPPABLE = frozenset({C.OPERATOR_READ, C.OPERATOR_WRITE, *_UNTYPED_WRITES}
                       | OLDER_MAP_OPERATORS)


def encode_operation_loose(op: Any) -> EncodedOp | None:
    """encode_operation for a client configured with ``strict_types`` False, as the
    official client behaves then: incr/append/prepend values are sent whatever their type
    (the server judges them), and an operation it cannot add is left out (None): one of
    an unknown code, or a plain or older map operation on a bin name over 15 bytes."""
    if isinstance(op, dict):
        code = op.get("op")
        if not isinstance(code, int):
            return encode_operation(op)
        if code in _DROPPABLE:
            try:
                if code in _UNTYPED_WRITES:
                    return _write_like(_UNTYPED_WRITES[code])(op)
                return encode_operation(op)
            except BinNameError:
                return None
        if code not in ENCODERS and "val" in op:
            return None
    return encode_operation(op)
