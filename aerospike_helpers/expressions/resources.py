"""Core of the expression builders: the expression node, its ``compile()``
and the op/result-type codes.

``compile()`` returns what the official helpers return: a flat pre-order
list of ``(op, result_type, fixed, child_count)`` tuples, where ``fixed``
holds the node's own arguments (bin name, value, ctx, policy...) and plain
Python values appear as ``(VAL, None, {"val": v}, 0)``. Turning that list
into the wire msgpack is the protocol floor's job, not done here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ResultType", "ReturnType"]

#: One compiled node: ``(op, result_type, fixed, child_count)``.
CompiledOp = tuple[int, int | None, dict[str, Any] | None, int]


class _Keys:
    """Keys of the ``fixed`` dict of compiled nodes."""

    VALUE_TYPE_KEY = "value_type"
    BIN_KEY = "bin"
    RETURN_TYPE_KEY = "return_type"
    CTX_KEY = "ctx"
    VALUE_KEY = "val"
    LIST_POLICY_KEY = "list_policy"
    MAP_POLICY_KEY = "map_policy"
    LIST_ORDER_KEY = "list_order"
    REGEX_OPTIONS_KEY = "regex_options"


class _ExprOp:
    """Expression op codes (server codes < 128; client-side markers above)."""

    UNKNOWN = 0
    EQ = 1
    NE = 2
    GT = 3
    GE = 4
    LT = 5
    LE = 6
    CMP_REGEX = 7
    CMP_GEO = 8
    AND = 16
    OR = 17
    NOT = 18
    EXCLUSIVE = 19
    ADD = 20
    SUB = 21
    MUL = 22
    DIV = 23
    POW = 24
    LOG = 25
    MOD = 26
    ABS = 27
    FLOOR = 28
    CEIL = 29
    TO_INT = 30
    TO_FLOAT = 31
    INT_AND = 32
    INT_OR = 33
    INT_XOR = 34
    INT_NOT = 35
    INT_LSHIFT = 36
    INT_RSHIFT = 37
    INT_ARSHIFT = 38
    INT_COUNT = 39
    INT_LSCAN = 40
    INT_RSCAN = 41
    MIN = 50
    MAX = 51
    META_DIGEST_MOD = 64
    META_DEVICE_SIZE = 65
    META_LAST_UPDATE_TIME = 66
    META_VOID_TIME = 67
    META_TTL = 68
    META_SET_NAME = 69
    META_KEY_EXISTS = 70
    META_SINCE_UPDATE_TIME = 71
    META_IS_TOMBSTONE = 72
    META_MEMORY_SIZE = 73
    META_RECORD_SIZE = 74
    REC_KEY = 80
    BIN = 81
    BIN_TYPE = 82
    BIN_EXISTS = 83
    COND = 123
    VAR = 124
    LET = 125
    DEF = 126
    _AS_EXP_CODE_AS_VAL = 128
    _AS_EXP_CODE_CALL_VOP_START = 139
    _AS_EXP_CODE_CDT_LIST_CRMOD = 140
    _AS_EXP_CODE_CDT_LIST_MOD = 141
    _AS_EXP_CODE_CDT_MAP_CRMOD = 142
    _AS_EXP_CODE_CDT_MAP_CR = 143
    _AS_EXP_CODE_CDT_MAP_MOD = 144
    _AS_EXP_CODE_END_OF_VA_ARGS = 150
    _TRUE = 151
    _FALSE = 152
    _AS_EXP_BIT_FLAGS = 153
    VAL = 200


class ReturnType:
    """Flag or-ed into a return type to invert the selection."""

    LIST_RETURN_INVERTED = 0x10000
    MAP_RETURN_INVERTED = 0x10000


class ResultType:
    """Value types an expression can produce."""

    NIL = 0
    BOOLEAN = 1
    INTEGER = 2
    STRING = 3
    LIST = 4
    MAP = 5
    BLOB = 6
    FLOAT = 7
    GEOJSON = 8
    HLL = 9


class _AtomExpr:
    """Anything that compiles to an expression."""

    def compile(self) -> list[CompiledOp]:
        raise NotImplementedError


class _BaseExpr(_AtomExpr):
    """An expression node: op code, result type, fixed arguments, children.

    Children are expressions or plain values. ``+ - * / // ** %`` and
    ``abs()``, ``math.floor()``, ``math.ceil()`` build arithmetic nodes;
    chains of the same variadic operator are flattened.
    """

    _op: int = 0
    _rt: int | None = None
    _fixed: dict[str, Any] | None = None
    _children: tuple[Any, ...] = ()

    def _get_op(self) -> CompiledOp:
        return (self._op, self._rt, self._fixed, len(self._children))

    @staticmethod
    def _vop(value: Any) -> CompiledOp:
        return (_ExprOp.VAL, None, {_Keys.VALUE_KEY: value}, 0)

    def compile(self) -> list[CompiledOp]:
        """Flatten the tree into the list of compiled nodes, pre-order."""
        out = [self._get_op()]
        stack = list(reversed(self._children))
        while stack:
            item = stack.pop()
            if isinstance(item, _BaseExpr):
                out.append(item._get_op())
                stack.extend(reversed(item._children))
            else:
                out.append(self._vop(item))
        return out

    def _same_op_children(self, op_type: int) -> tuple[Any, ...]:
        return self._children if self._op == op_type else (self,)

    def _overload_op_unary(self, op_type: int) -> _BaseExpr:
        return _create_operator_expression(self._same_op_children(op_type), (), op_type)

    def _overload_op(self, right: Any, op_type: int) -> _BaseExpr:
        if isinstance(right, _BaseExpr) and right._op == op_type:
            rhs = right._children
        else:
            rhs = (right,)
        return _create_operator_expression(self._same_op_children(op_type), rhs, op_type)

    def _overload_op_va_args(self, right: Any, op_type: int) -> _BaseExpr:
        end = _BaseExpr()
        end._op = _ExprOp._AS_EXP_CODE_END_OF_VA_ARGS
        lhs = self._children[:-1] if self._op == op_type else (self,)
        if isinstance(right, _BaseExpr) and right._op == op_type:
            rhs = right._children[:-1]
        else:
            rhs = (right,)
        return _create_operator_expression(lhs, (*rhs, end), op_type)

    def __abs__(self) -> _BaseExpr:
        return self._overload_op_unary(_ExprOp.ABS)

    def __floor__(self) -> _BaseExpr:
        return self._overload_op_unary(_ExprOp.FLOOR)

    def __ceil__(self) -> _BaseExpr:
        return self._overload_op_unary(_ExprOp.CEIL)

    def __add__(self, right: Any) -> _BaseExpr:
        return self._overload_op_va_args(right, _ExprOp.ADD)

    def __sub__(self, right: Any) -> _BaseExpr:
        return self._overload_op_va_args(right, _ExprOp.SUB)

    def __mul__(self, right: Any) -> _BaseExpr:
        return self._overload_op_va_args(right, _ExprOp.MUL)

    def __truediv__(self, right: Any) -> _BaseExpr:
        return self._overload_op_va_args(right, _ExprOp.DIV)

    def __floordiv__(self, right: Any) -> _BaseExpr:
        return self.__truediv__(right).__floor__()

    def __pow__(self, right: Any) -> _BaseExpr:
        return self._overload_op(right, _ExprOp.POW)

    def __mod__(self, right: Any) -> _BaseExpr:
        return self._overload_op(right, _ExprOp.MOD)


def _create_operator_expression(left: tuple[Any, ...], right: tuple[Any, ...],
                                op_type: int) -> _BaseExpr:
    expr = _BaseExpr()
    expr._op = op_type
    expr._children = (*left, *right)
    return expr


# argument type aliases used in the builders' signatures
TypeBinName = Any          # a bin name, or an expression producing the collection
TypeCTX = Any              # a list of cdt_ctx objects, or None
TypePolicy = Any           # a policy dict, or None
TypeValue = Any            # a literal value or an expression
TypeListValue = Any        # a list, or an expression producing one
TypeIndex = Any            # an int or an integer expression
TypeRank = Any
TypeCount = Any
TypeKey = Any
TypeNumber = Any
TypeInteger = Any
TypeFloat = Any
TypeBool = Any
TypeGeo = Any
TypeComparisonArg = Any
TypeBitValue = Any


def _ctx_fixed(ctx: Any, **extra: Any) -> dict[str, Any]:
    """The fixed arguments of a collection expression: ``extra`` plus ``ctx`` when given."""
    fixed = dict(extra)
    if ctx is not None:
        fixed[_Keys.CTX_KEY] = ctx
    return fixed


class _GenericExpr(_BaseExpr):
    """A node given directly by op, result type and fixed arguments."""

    def __init__(self, op: int, rt: int | None, fixed: dict[str, Any] | None) -> None:
        self._op = op
        self._rt = rt
        self._fixed = fixed
