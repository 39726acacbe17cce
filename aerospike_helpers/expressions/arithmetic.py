"""Arithmetic expressions on integers and floats (server 5.6+).

Operands are expressions or literals; variadic operators (Add, Sub, Mul,
Div, Min, Max) take any number of them, all of one numeric type.
"""

from __future__ import annotations

from .resources import (
    TypeFloat,
    TypeInteger,
    TypeNumber,
    _BaseExpr,
    _ExprOp,
    _GenericExpr,
)

__all__ = ["Abs", "Add", "Ceil", "Div", "Floor", "Log", "Max", "Min", "Mod", "Mul", "Pow", "Sub",
           "ToFloat", "ToInt"]


def _end() -> _GenericExpr:
    return _GenericExpr(_ExprOp._AS_EXP_CODE_END_OF_VA_ARGS, 0, {})


class _Variadic(_BaseExpr):
    def __init__(self, *args: TypeNumber) -> None:
        self._children = (*args, _end())


class Add(_Variadic):
    """The sum of the arguments."""

    _op = _ExprOp.ADD


class Sub(_Variadic):
    """The first argument minus the others (one argument: its negation)."""

    _op = _ExprOp.SUB


class Mul(_Variadic):
    """The product of the arguments."""

    _op = _ExprOp.MUL


class Div(_Variadic):
    """The first argument divided by the others (integers: truncated towards zero)."""

    _op = _ExprOp.DIV


class Min(_Variadic):
    """The smallest argument."""

    _op = _ExprOp.MIN


class Max(_Variadic):
    """The largest argument."""

    _op = _ExprOp.MAX


class Pow(_BaseExpr):
    """``base`` raised to ``exponent`` (floats)."""

    _op = _ExprOp.POW

    def __init__(self, base: TypeFloat, exponent: TypeFloat) -> None:
        self._children = (base, exponent)


class Log(_BaseExpr):
    """The logarithm of ``num`` in ``base`` (floats)."""

    _op = _ExprOp.LOG

    def __init__(self, num: TypeFloat, base: TypeFloat) -> None:
        self._children = (num, base)


class Mod(_BaseExpr):
    """``numerator`` modulo ``denominator`` (integers)."""

    _op = _ExprOp.MOD

    def __init__(self, numerator: TypeInteger, denominator: TypeInteger) -> None:
        self._children = (numerator, denominator)


class Abs(_BaseExpr):
    """The absolute value of ``value``."""

    _op = _ExprOp.ABS

    def __init__(self, value: TypeNumber) -> None:
        self._children = (value,)


class Floor(_BaseExpr):
    """``value`` rounded down (float)."""

    _op = _ExprOp.FLOOR

    def __init__(self, value: TypeFloat) -> None:
        self._children = (value,)


class Ceil(_BaseExpr):
    """``value`` rounded up (float)."""

    _op = _ExprOp.CEIL

    def __init__(self, value: TypeFloat) -> None:
        self._children = (value,)


class ToInt(_BaseExpr):
    """The float ``value`` truncated to an integer."""

    _op = _ExprOp.TO_INT

    def __init__(self, value: TypeFloat) -> None:
        self._children = (value,)


class ToFloat(_BaseExpr):
    """The integer ``value`` as a float."""

    _op = _ExprOp.TO_FLOAT

    def __init__(self, value: TypeInteger) -> None:
        self._children = (value,)
