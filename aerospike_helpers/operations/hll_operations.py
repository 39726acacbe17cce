"""HyperLogLog operations for ``operate`` / ``operate_ordered``.

Each function returns the documented op dict. Bit counts left as None are
sent as -1 (server default); ``policy`` is an optional HLL policy dict
(``flags``: ``HLL_WRITE_*``).
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from ._dicts import op, put_if

# The documented op-dict key names, public in the official helpers.
BIN_KEY = 'bin'
HLL_POLICY_KEY = 'hll_policy'
INDEX_BIT_COUNT_KEY = 'index_bit_count'
MH_BIT_COUNT_KEY = 'mh_bit_count'
OP_KEY = 'op'
VALUE_LIST_KEY = 'value_list'


def _bits(count: int | None) -> int:
    return -1 if count is None else count


def hll_add(bin_name: str, values: list[Any], index_bit_count: int | None = None,
            mh_bit_count: int | None = None,
            policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Add ``values``, creating the HLL with the given bit counts if missing."""
    d = op(as_const.OP_HLL_ADD, bin_name, value_list=values,
           index_bit_count=_bits(index_bit_count), mh_bit_count=_bits(mh_bit_count))
    return put_if(d, "hll_policy", policy, bool(policy))


def hll_describe(bin_name: str) -> dict[str, Any]:
    """Return ``[index_bit_count, mh_bit_count]``."""
    return op(as_const.OP_HLL_DESCRIBE, bin_name)


def hll_fold(bin_name: str, index_bit_count: int) -> dict[str, Any]:
    """Fold the HLL down to ``index_bit_count`` (no minhash bits allowed)."""
    return op(as_const.OP_HLL_FOLD, bin_name, index_bit_count=index_bit_count)


def hll_get_count(bin_name: str) -> dict[str, Any]:
    """Return the estimated number of elements."""
    return op(as_const.OP_HLL_GET_COUNT, bin_name)


def hll_get_intersect_count(bin_name: str, hll_list: list[Any]) -> dict[str, Any]:
    """Return the estimated size of the intersection with the HLLs of ``hll_list``."""
    return op(as_const.OP_HLL_GET_INTERSECT_COUNT, bin_name, value_list=hll_list)


def hll_get_similarity(bin_name: str, hll_list: list[Any]) -> dict[str, Any]:
    """Return the estimated similarity with the HLLs of ``hll_list``."""
    return op(as_const.OP_HLL_GET_SIMILARITY, bin_name, value_list=hll_list)


def hll_get_union(bin_name: str, hll_list: list[Any]) -> dict[str, Any]:
    """Return the union with the HLLs of ``hll_list`` as an HLL."""
    return op(as_const.OP_HLL_GET_UNION, bin_name, value_list=hll_list)


def hll_get_union_count(bin_name: str, hll_list: list[Any]) -> dict[str, Any]:
    """Return the estimated size of the union with the HLLs of ``hll_list``."""
    return op(as_const.OP_HLL_GET_UNION_COUNT, bin_name, value_list=hll_list)


def hll_init(bin_name: str, index_bit_count: int | None = None, mh_bit_count: int | None = None,
             policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create or reset the HLL with the given bit counts."""
    d = op(as_const.OP_HLL_INIT, bin_name, index_bit_count=_bits(index_bit_count),
           mh_bit_count=_bits(mh_bit_count))
    return put_if(d, "hll_policy", policy, bool(policy))


def hll_refresh_count(bin_name: str) -> dict[str, Any]:
    """Update the cached count and return it."""
    return op(as_const.OP_HLL_REFRESH_COUNT, bin_name)


def hll_set_union(bin_name: str, hll_list: list[Any],
                  policy: dict[str, Any] | None = None) -> dict[str, Any]:
    """Store the union of the bin and the HLLs of ``hll_list``."""
    d = op(as_const.OP_HLL_SET_UNION, bin_name, value_list=hll_list)
    return put_if(d, "hll_policy", policy, bool(policy))
