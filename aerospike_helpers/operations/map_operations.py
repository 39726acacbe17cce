"""Map operations for ``operate`` / ``operate_ordered``.

Each function returns the documented op dict. ``ctx`` is an optional list of
``cdt_ctx`` contexts for nested maps, ``map_policy`` an optional map policy
dict (``map_order``, ``map_write_flags``, ``persist_index``),
``return_type`` a ``MAP_RETURN_*`` constant and ``inverted`` selects every
entry except the given ones.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from ._dicts import op, put_if

# The documented op-dict key names, public in the official helpers.
BIN_KEY = 'bin'
COUNT_KEY = 'count'
CTX_KEY = 'ctx'
INDEX_KEY = 'index'
INVERTED_KEY = 'inverted'
KEY_KEY = 'key'
MAP_ORDER_KEY = 'map_order'
OP_KEY = 'op'
PERSIST_INDEX_KEY = 'persist_index'
POLICY_KEY = 'map_policy'
RANGE_KEY = 'range'
RANK_KEY = 'rank'
RETURN_TYPE_KEY = 'return_type'
VALUE_KEY = 'val'

Ctx = list[Any] | None


def _given(d: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    return put_if(d, "ctx", ctx, ctx is not None)


def _nonempty(d: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    return put_if(d, "ctx", ctx, bool(ctx))


def _relative(d: dict[str, Any], count: int | None, inverted: bool, ctx: Ctx) -> dict[str, Any]:
    put_if(d, "count", count, count is not None)
    put_if(d, "inverted", True, bool(inverted))
    return _nonempty(d, ctx)


def map_set_policy(bin_name: str, policy: dict[str, Any], ctx: Ctx = None) -> dict[str, Any]:
    """Set the map policy (order, persisted index) of the map."""
    return _given(op(as_const.OP_MAP_SET_POLICY, bin_name, map_policy=policy), ctx)


def map_create(bin_name: str, map_order: int, persist_index: bool,
               ctx: Ctx = None) -> dict[str, Any]:
    """Create a map with ``map_order`` (at ``ctx`` if given)."""
    return _given(op(as_const.OP_MAP_CREATE, bin_name, map_order=map_order,
                     persist_index=persist_index), ctx)


def _write(code: int, bin_name: str, key: Any, value: Any, map_policy: dict[str, Any] | None,
           ctx: Ctx) -> dict[str, Any]:
    d = op(code, bin_name, key=key, val=value)
    put_if(d, "map_policy", map_policy, map_policy is not None)
    return _given(d, ctx)


def map_put(bin_name: str, key: Any, value: Any, map_policy: dict[str, Any] | None = None,
            ctx: Ctx = None) -> dict[str, Any]:
    """Put ``key: value``; returns the new size."""
    return _write(as_const.OP_MAP_PUT, bin_name, key, value, map_policy, ctx)


def map_put_items(bin_name: str, item_dict: dict[Any, Any],
                  map_policy: dict[str, Any] | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Put every entry of ``item_dict``; returns the new size.

    Like the official helper, the items are passed sorted by key when the
    keys are comparable (as a plain dict).
    """
    d = op(as_const.OP_MAP_PUT_ITEMS, bin_name)
    put_if(d, "map_policy", map_policy, map_policy is not None)
    try:
        item_dict = dict(sorted(item_dict.items()))
    except Exception:  # noqa: BLE001 - uncomparable keys are passed as given
        pass
    d["val"] = item_dict
    return _given(d, ctx)


def map_increment(bin_name: str, key: Any, amount: int | float,
                  map_policy: dict[str, Any] | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Add ``amount`` to the value at ``key``; returns the new value."""
    return _write(as_const.OP_MAP_INCREMENT, bin_name, key, amount, map_policy, ctx)


def map_decrement(bin_name: str, key: Any, amount: int | float,
                  map_policy: dict[str, Any] | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Subtract ``amount`` from the value at ``key``; returns the new value."""
    return _write(as_const.OP_MAP_DECREMENT, bin_name, key, amount, map_policy, ctx)


def map_size(bin_name: str, ctx: Ctx = None) -> dict[str, Any]:
    """Return the number of entries."""
    return _given(op(as_const.OP_MAP_SIZE, bin_name), ctx)


def map_clear(bin_name: str, ctx: Ctx = None) -> dict[str, Any]:
    """Remove every entry."""
    return _given(op(as_const.OP_MAP_CLEAR, bin_name), ctx)


def map_remove_by_key(bin_name: str, key: Any, return_type: int,
                      ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entry with ``key``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_KEY, bin_name, key=key,
                     return_type=return_type), ctx)


def map_remove_by_key_list(bin_name: str, key_list: list[Any], return_type: int,
                           inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entries whose keys are in ``key_list``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_KEY_LIST, bin_name, val=key_list,
                     return_type=return_type, inverted=inverted), ctx)


def map_remove_by_key_range(bin_name: str, key_range_start: Any, key_range_end: Any,
                            return_type: int, inverted: bool = False,
                            ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entries with ``key_range_start <= key < key_range_end``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_KEY_RANGE, bin_name, key=key_range_start,
                     val=key_range_end, return_type=return_type, inverted=inverted), ctx)


def map_remove_by_value(bin_name: str, value: Any, return_type: int, inverted: bool = False,
                        ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entries whose value equals ``value``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_VALUE, bin_name, val=value,
                     return_type=return_type, inverted=inverted), ctx)


def map_remove_by_value_list(bin_name: str, value_list: list[Any], return_type: int,
                             inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entries whose value is in ``value_list``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_VALUE_LIST, bin_name, val=value_list,
                     return_type=return_type, inverted=inverted), ctx)


def map_remove_by_value_range(bin_name: str, value_start: Any, value_end: Any,
                              return_type: int, inverted: bool = False,
                              ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entries with ``value_start <= value < value_end``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_VALUE_RANGE, bin_name, val=value_start,
                     range=value_end, return_type=return_type, inverted=inverted), ctx)


def map_remove_by_index(bin_name: str, index: int, return_type: int,
                        ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entry at ``index`` (key order)."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_INDEX, bin_name, index=index,
                     return_type=return_type), ctx)


def map_remove_by_index_range(bin_name: str, index_start: int, remove_amt: int,
                              return_type: int, inverted: bool = False,
                              ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``remove_amt`` entries from ``index_start``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_INDEX_RANGE, bin_name, index=index_start,
                     val=remove_amt, return_type=return_type, inverted=inverted), ctx)


def map_remove_by_rank(bin_name: str, rank: int, return_type: int,
                       ctx: Ctx = None) -> dict[str, Any]:
    """Remove the entry of value rank ``rank``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_RANK, bin_name, index=rank,
                     return_type=return_type), ctx)


def map_remove_by_rank_range(bin_name: str, rank_start: int, remove_amt: int,
                             return_type: int, inverted: bool = False,
                             ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``remove_amt`` entries from value rank ``rank_start``."""
    return _given(op(as_const.OP_MAP_REMOVE_BY_RANK_RANGE, bin_name, index=rank_start,
                     val=remove_amt, return_type=return_type, inverted=inverted), ctx)


def map_get_by_key(bin_name: str, key: Any, return_type: int, ctx: Ctx = None) -> dict[str, Any]:
    """Return the entry with ``key``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_KEY, bin_name, key=key,
                        return_type=return_type), ctx)


def map_get_by_key_range(bin_name: str, key_range_start: Any, key_range_end: Any,
                         return_type: int, inverted: bool = False,
                         ctx: Ctx = None) -> dict[str, Any]:
    """Return the entries with ``key_range_start <= key < key_range_end``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_KEY_RANGE, bin_name, key=key_range_start,
                        range=key_range_end, return_type=return_type, inverted=inverted), ctx)


def map_get_by_key_list(bin_name: str, key_list: list[Any], return_type: int,
                        inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return the entries whose keys are in ``key_list``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_KEY_LIST, bin_name, val=key_list,
                        return_type=return_type, inverted=inverted), ctx)


def map_get_by_value(bin_name: str, value: Any, return_type: int, inverted: bool = False,
                     ctx: Ctx = None) -> dict[str, Any]:
    """Return the entries whose value equals ``value``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_VALUE, bin_name, val=value,
                        return_type=return_type, inverted=inverted), ctx)


def map_get_by_value_range(bin_name: str, value_start: Any, value_end: Any, return_type: int,
                           inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return the entries with ``value_start <= value < value_end``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_VALUE_RANGE, bin_name, val=value_start,
                        range=value_end, return_type=return_type, inverted=inverted), ctx)


def map_get_by_value_list(bin_name: str, key_list: list[Any], return_type: int,
                          inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return the entries whose value is in the list (named ``key_list`` as documented)."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_VALUE_LIST, bin_name, val=key_list,
                        return_type=return_type, inverted=inverted), ctx)


def map_get_by_index(bin_name: str, index: int, return_type: int,
                     ctx: Ctx = None) -> dict[str, Any]:
    """Return the entry at ``index`` (key order)."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_INDEX, bin_name, index=index,
                        return_type=return_type), ctx)


def map_get_by_index_range(bin_name: str, index_start: int, get_amt: int, return_type: int,
                           inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return ``get_amt`` entries from ``index_start``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_INDEX_RANGE, bin_name, index=index_start,
                        val=get_amt, return_type=return_type, inverted=inverted), ctx)


def map_get_by_rank(bin_name: str, rank: int, return_type: int,
                    ctx: Ctx = None) -> dict[str, Any]:
    """Return the entry of value rank ``rank``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_RANK, bin_name, index=rank,
                        return_type=return_type), ctx)


def map_get_by_rank_range(bin_name: str, rank_start: int, get_amt: int, return_type: int,
                          inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return ``get_amt`` entries from value rank ``rank_start``."""
    return _nonempty(op(as_const.OP_MAP_GET_BY_RANK_RANGE, bin_name, index=rank_start,
                        val=get_amt, return_type=return_type, inverted=inverted), ctx)


def map_remove_by_value_rank_range_relative(bin_name: str, value: Any, offset: int,
                                            return_type: int, count: int | None = None,
                                            inverted: bool = False,
                                            ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` entries from rank ``offset`` relative to ``value``."""
    return _relative(op(as_const.OP_MAP_REMOVE_BY_VALUE_RANK_RANGE_REL, bin_name, val=value,
                        rank=offset, return_type=return_type), count, inverted, ctx)


def map_get_by_value_rank_range_relative(bin_name: str, value: Any, offset: int,
                                         return_type: int, count: int | None = None,
                                         inverted: bool = False,
                                         ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` entries from rank ``offset`` relative to ``value``."""
    return _relative(op(as_const.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL, bin_name, val=value,
                        rank=offset, return_type=return_type), count, inverted, ctx)


def map_remove_by_key_index_range_relative(bin_name: str, key: Any, offset: int,
                                           return_type: int, count: int | None = None,
                                           inverted: bool = False,
                                           ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` entries from index ``offset`` relative to ``key``."""
    return _relative(op(as_const.OP_MAP_REMOVE_BY_KEY_INDEX_RANGE_REL, bin_name, key=key,
                        index=offset, return_type=return_type), count, inverted, ctx)


def map_get_by_key_index_range_relative(bin_name: str, value: Any, offset: int,
                                        return_type: int, count: int | None = None,
                                        inverted: bool = False,
                                        ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` entries from index ``offset`` relative to the key ``value``."""
    return _relative(op(as_const.OP_MAP_GET_BY_KEY_INDEX_RANGE_REL, bin_name, key=value,
                        index=offset, return_type=return_type), count, inverted, ctx)
