"""Bitwise operators on 64-bit integers (server 5.6+)."""

from __future__ import annotations

from .resources import TypeBool, TypeInteger, _BaseExpr, _ExprOp, _GenericExpr

__all__ = ["IntAnd", "IntArithmeticRightShift", "IntCount", "IntLeftScan", "IntLeftShift",
           "IntNot", "IntOr", "IntRightScan", "IntRightShift", "IntXOr"]


class _Variadic(_BaseExpr):
    def __init__(self, *exprs: TypeInteger) -> None:
        self._children = (*exprs, _GenericExpr(_ExprOp._AS_EXP_CODE_END_OF_VA_ARGS, 0, {}))


class IntAnd(_Variadic):
    """Bitwise and of the arguments."""

    _op = _ExprOp.INT_AND


class IntOr(_Variadic):
    """Bitwise or of the arguments."""

    _op = _ExprOp.INT_OR


class IntXOr(_Variadic):
    """Bitwise exclusive or of the arguments."""

    _op = _ExprOp.INT_XOR


class IntNot(_BaseExpr):
    """Bitwise complement of ``expr``."""

    _op = _ExprOp.INT_NOT

    def __init__(self, expr: TypeInteger) -> None:
        self._children = (expr,)


class _Shift(_BaseExpr):
    def __init__(self, value: TypeInteger, shift: TypeInteger) -> None:
        self._children = (value, shift)


class IntLeftShift(_Shift):
    """``value`` shifted left by ``shift`` bits."""

    _op = _ExprOp.INT_LSHIFT


class IntRightShift(_Shift):
    """``value`` shifted right by ``shift`` bits, filling with zeros."""

    _op = _ExprOp.INT_RSHIFT


class IntArithmeticRightShift(_Shift):
    """``value`` shifted right by ``shift`` bits, keeping the sign."""

    _op = _ExprOp.INT_ARSHIFT


class IntCount(_BaseExpr):
    """The number of set bits of ``value``."""

    _op = _ExprOp.INT_COUNT

    def __init__(self, value: TypeInteger) -> None:
        self._children = (value,)


class _Scan(_BaseExpr):
    def __init__(self, value: TypeInteger, search: TypeBool) -> None:
        self._children = (value, search)


class IntLeftScan(_Scan):
    """The position of the first bit equal to ``search`` from the most significant; -1
    if none."""

    _op = _ExprOp.INT_LSCAN


class IntRightScan(_Scan):
    """The position of the first bit equal to ``search`` from the least significant; -1
    if none."""

    _op = _ExprOp.INT_RSCAN
