"""HyperLogLog expressions: estimate counts, unions and similarities of HLL bins.

``bin`` is a bin name or an expression producing an HLL. ``HLLInit`` and
``HLLAdd`` evaluate to a modified copy (``policy``: an HLL policy dict with
``flags``, or None).
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .base import HLLBin
from .resources import TypeBinName, TypeListValue, TypePolicy, TypeValue, _BaseExpr

__all__ = [
    "HLLAdd", "HLLDescribe", "HLLGetCount", "HLLGetIntersectCount", "HLLGetSimilarity",
    "HLLGetUnion", "HLLGetUnionCount", "HLLInit", "HLLMayContain",
]


def _hll(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else HLLBin(bin)


def _policy_flags(policy: Any) -> int:
    if policy is not None and "flags" in policy:
        return policy["flags"]
    return as_const.HLL_WRITE_DEFAULT


def _bits(count: int | None) -> int:
    return -1 if count is None else count


class HLLInit(_BaseExpr):
    """A new empty HLL with ``index_bit_count`` index bits and ``mh_bit_count`` min-hash
    bits (None: -1, the server's default)."""

    _op = as_const.OP_HLL_INIT

    def __init__(self, policy: TypePolicy, index_bit_count: int | None,
                 mh_bit_count: int | None, bin: TypeBinName) -> None:
        self._children = (_bits(index_bit_count), _bits(mh_bit_count), _policy_flags(policy),
                          _hll(bin))


class HLLAdd(_BaseExpr):
    """Add the values of ``list``, creating the HLL if needed with the given bit counts."""

    _op = as_const.OP_HLL_ADD

    def __init__(self, policy: TypePolicy, list: TypeListValue,
                 index_bit_count: int | None, mh_bit_count: int | None,
                 bin: TypeBinName) -> None:
        self._children = (list, _bits(index_bit_count), _bits(mh_bit_count),
                          _policy_flags(policy), _hll(bin))


class HLLGetCount(_BaseExpr):
    """The estimated number of distinct values."""

    _op = as_const.OP_HLL_GET_COUNT

    def __init__(self, bin: TypeBinName) -> None:
        self._children = (_hll(bin),)


class HLLGetUnion(_BaseExpr):
    """The union of the HLL with the HLLs of ``values``."""

    _op = as_const.OP_HLL_GET_UNION

    def __init__(self, values: TypeValue, bin: TypeBinName) -> None:
        self._children = (values, _hll(bin))


class HLLGetUnionCount(_BaseExpr):
    """The estimated count of the union with the HLLs of ``values``."""

    _op = as_const.OP_HLL_GET_UNION_COUNT

    def __init__(self, values: TypeValue, bin: TypeBinName) -> None:
        self._children = (values, _hll(bin))


class HLLGetIntersectCount(_BaseExpr):
    """The estimated count of the intersection with the HLLs of ``values``."""

    _op = as_const.OP_HLL_GET_INTERSECT_COUNT

    def __init__(self, values: TypeValue, bin: TypeBinName) -> None:
        self._children = (values, _hll(bin))


class HLLGetSimilarity(_BaseExpr):
    """The estimated Jaccard similarity with the HLLs of ``values`` (a float)."""

    _op = as_const.OP_HLL_GET_SIMILARITY

    def __init__(self, values: TypeValue, bin: TypeBinName) -> None:
        self._children = (values, _hll(bin))


class HLLDescribe(_BaseExpr):
    """``[index_bit_count, mh_bit_count]`` of the HLL."""

    _op = as_const.OP_HLL_DESCRIBE

    def __init__(self, bin: TypeBinName) -> None:
        self._children = (_hll(bin),)


class HLLMayContain(_BaseExpr):
    """1 if every value of ``list`` may have been added to the HLL, else 0."""

    _op = as_const.OP_HLL_MAY_CONTAIN

    def __init__(self, list: TypeListValue, bin: TypeBinName) -> None:
        self._children = (list, _hll(bin))
