"""Bitwise (blob) expressions: read bits of a bytes bin, or modify a copy of it.

``bin`` is a bin name or an expression producing bytes. Modifications take a
bit ``policy`` dict (``bit_write_flags``) or None and evaluate to the modified
bytes; the stored record changes only through ``expression_write``.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .base import BlobBin
from .resources import (
    TypeBinName,
    TypeBitValue,
    TypePolicy,
    _BaseExpr,
    _ExprOp,
    _GenericExpr,
    _Keys,
)

__all__ = [
    "BitAdd", "BitAnd", "BitB64Encode", "BitCount", "BitGet", "BitGetInt", "BitInsert",
    "BitLeftScan", "BitLeftShift", "BitNot", "BitOr", "BitRemove", "BitResize",
    "BitRightScan", "BitRightShift", "BitSet", "BitSetInt", "BitSubtract", "BitXor",
]


def _blob(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else BlobBin(bin)


def _flags(value: Any) -> _GenericExpr:
    return _GenericExpr(_ExprOp._AS_EXP_BIT_FLAGS, 0, {_Keys.VALUE_KEY: value or 0})


def _policy_flags(policy: Any) -> _GenericExpr:
    if policy is not None and "bit_write_flags" in policy:
        return _flags(policy["bit_write_flags"])
    return _flags(0)


class BitResize(_BaseExpr):
    """Resize the bytes to ``byte_size`` (``flags``: ``BIT_RESIZE_*``)."""

    _op = as_const.OP_BIT_RESIZE

    def __init__(self, policy: TypePolicy, byte_size: int, flags: int,
                 bin: TypeBinName) -> None:
        self._children = (byte_size, _policy_flags(policy), _flags(flags), _blob(bin))


class BitInsert(_BaseExpr):
    """Insert the bytes ``value`` at ``byte_offset``."""

    _op = as_const.OP_BIT_INSERT

    def __init__(self, policy: TypePolicy, byte_offset: int, value: TypeBitValue,
                 bin: TypeBinName) -> None:
        self._children = (byte_offset, value, _policy_flags(policy), _blob(bin))


class BitRemove(_BaseExpr):
    """Remove ``byte_size`` bytes from ``byte_offset``."""

    _op = as_const.OP_BIT_REMOVE

    def __init__(self, policy: TypePolicy, byte_offset: int, byte_size: int,
                 bin: TypeBinName) -> None:
        self._children = (byte_offset, byte_size, _policy_flags(policy), _blob(bin))


class _BitWrite(_BaseExpr):
    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int,
                 value: TypeBitValue, bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _policy_flags(policy), _blob(bin))


class BitSet(_BitWrite):
    """Overwrite ``bit_size`` bits at ``bit_offset`` with the bytes ``value``."""

    _op = as_const.OP_BIT_SET


class BitOr(_BitWrite):
    """Or ``bit_size`` bits at ``bit_offset`` with ``value``."""

    _op = as_const.OP_BIT_OR


class BitXor(_BitWrite):
    """Exclusive-or ``bit_size`` bits at ``bit_offset`` with ``value``."""

    _op = as_const.OP_BIT_XOR


class BitAnd(_BitWrite):
    """And ``bit_size`` bits at ``bit_offset`` with ``value``."""

    _op = as_const.OP_BIT_AND


class BitNot(_BaseExpr):
    """Invert ``bit_size`` bits at ``bit_offset``."""

    _op = as_const.OP_BIT_NOT

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, _policy_flags(policy), _blob(bin))


class BitLeftShift(_BaseExpr):
    """Shift ``bit_size`` bits at ``bit_offset`` left by ``shift``."""

    _op = as_const.OP_BIT_LSHIFT

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int, shift: int,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, shift, _policy_flags(policy), _blob(bin))


class BitRightShift(_BaseExpr):
    """Shift ``bit_size`` bits at ``bit_offset`` right by ``shift``."""

    _op = as_const.OP_BIT_RSHIFT

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int, shift: int,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, shift, _policy_flags(policy), _blob(bin))


class BitAdd(_BaseExpr):
    """Add ``value`` to the ``bit_size``-bit integer at ``bit_offset``
    (``action``: ``BIT_OVERFLOW_*``)."""

    _op = as_const.OP_BIT_ADD

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int, value: int,
                 action: int, bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _policy_flags(policy), _flags(action),
                          _blob(bin))


class BitSubtract(_BaseExpr):
    """Subtract ``value`` from the ``bit_size``-bit integer at ``bit_offset``."""

    _op = as_const.OP_BIT_SUBTRACT

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int, value: int,
                 action: int, bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _policy_flags(policy), _flags(action),
                          _blob(bin))


class BitSetInt(_BaseExpr):
    """Store the integer ``value`` in ``bit_size`` bits at ``bit_offset``."""

    _op = as_const.OP_BIT_SET_INT

    def __init__(self, policy: TypePolicy, bit_offset: int, bit_size: int, value: int,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _policy_flags(policy), _blob(bin))


class BitGet(_BaseExpr):
    """The ``bit_size`` bits at ``bit_offset``, as bytes."""

    _op = as_const.OP_BIT_GET

    def __init__(self, bit_offset: int, bit_size: int, bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, _blob(bin))


class BitCount(_BaseExpr):
    """The number of set bits among ``bit_size`` bits at ``bit_offset``."""

    _op = as_const.OP_BIT_COUNT

    def __init__(self, bit_offset: int, bit_size: int, bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, _blob(bin))


class BitLeftScan(_BaseExpr):
    """The position of the first bit equal to ``value`` (a bool), from the left; -1 if none."""

    _op = as_const.OP_BIT_LSCAN

    def __init__(self, bit_offset: int, bit_size: int, value: bool,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _blob(bin))


class BitRightScan(_BaseExpr):
    """The position of the last bit equal to ``value``, scanning from the right."""

    _op = as_const.OP_BIT_RSCAN

    def __init__(self, bit_offset: int, bit_size: int, value: bool,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, value, _blob(bin))


class BitGetInt(_BaseExpr):
    """The ``bit_size``-bit integer at ``bit_offset`` (two's complement if ``sign``)."""

    _op = as_const.OP_BIT_GET_INT

    def __init__(self, bit_offset: int, bit_size: int, sign: bool,
                 bin: TypeBinName) -> None:
        self._children = (bit_offset, bit_size, 1 if sign else 0, _blob(bin))


class BitB64Encode(_BaseExpr):
    """The base64 text of ``byte_size`` bytes of the blob from ``byte_offset`` (counting back
    from the end with ``invert_size``), or of the whole blob when ``byte_size`` is None;
    newer servers only."""

    def __init__(self, byte_offset: int, byte_size: int | None, invert_size: bool,
                 bin: TypeBinName) -> None:
        # without a size, the whole blob: the official helper then sends neither offset
        # nor flag
        if byte_size is None:
            self._op = as_const._OP_BIT_B64_ENCODE
            self._children = (_blob(bin),)
        else:
            self._op = as_const._OP_BIT_B64_ENCODE_RANGE
            self._children = (byte_offset, byte_size, 1 if invert_size else 0, _blob(bin))
