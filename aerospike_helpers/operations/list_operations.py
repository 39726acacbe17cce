"""List operations for ``operate`` / ``operate_ordered``.

Each function returns the documented op dict. ``ctx`` is an optional list of
``cdt_ctx`` contexts for nested lists, ``policy`` an optional list policy
dict (``write_flags``, ``list_order``), ``return_type`` a ``LIST_RETURN_*``
constant and ``inverted`` selects everything except the given items.
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
LIST_ORDER_KEY = 'list_order'
LIST_POLICY_KEY = 'list_policy'
OP_KEY = 'op'
PAD_KEY = 'pad'
PERSIST_INDEX_KEY = 'persist_index'
RANK_KEY = 'rank'
RETURN_TYPE_KEY = 'return_type'
SORT_FLAGS_KEY = 'sort_flags'
VALUE_BEGIN_KEY = 'value_begin'
VALUE_END_KEY = 'value_end'
VALUE_KEY = 'val'
VALUE_LIST_KEY = 'value_list'

Ctx = list[Any] | None


def _done(d: dict[str, Any], ctx: Ctx, policy: dict[str, Any] | None = None) -> dict[str, Any]:
    put_if(d, "list_policy", policy, bool(policy))
    return put_if(d, "ctx", ctx, bool(ctx))


def _ranged(d: dict[str, Any], count: int | None, ctx: Ctx) -> dict[str, Any]:
    put_if(d, "count", count, count is not None)
    return _done(d, ctx)


def list_create(
    bin_name: str, list_order: int, pad: bool, persist_index: bool, ctx: Ctx = None
) -> dict[str, Any]:
    """Create a list with ``list_order`` (at ``ctx`` if given); ``pad`` fills
    missing parents, ``persist_index`` keeps an index of a top-level ordered list."""
    d = op(as_const.OP_LIST_CREATE, bin_name, list_order=list_order, pad=pad,
           persist_index=persist_index)
    return put_if(d, "ctx", ctx, ctx is not None)


def list_append(bin_name: str, value: Any, policy: dict[str, Any] | None = None,
                ctx: Ctx = None) -> dict[str, Any]:
    """Append ``value``; returns the new size."""
    return _done(op(as_const.OP_LIST_APPEND, bin_name, val=value), ctx, policy)


def list_append_items(bin_name: str, values: list[Any], policy: dict[str, Any] | None = None,
                      ctx: Ctx = None) -> dict[str, Any]:
    """Append every item of ``values``; returns the new size."""
    return _done(op(as_const.OP_LIST_APPEND_ITEMS, bin_name, val=values), ctx, policy)


def list_insert(bin_name: str, index: int, value: Any, policy: dict[str, Any] | None = None,
                ctx: Ctx = None) -> dict[str, Any]:
    """Insert ``value`` at ``index``; returns the new size."""
    return _done(op(as_const.OP_LIST_INSERT, bin_name, index=index, val=value), ctx, policy)


def list_insert_items(bin_name: str, index: int, values: list[Any],
                      policy: dict[str, Any] | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Insert the items of ``values`` at ``index``; returns the new size."""
    return _done(op(as_const.OP_LIST_INSERT_ITEMS, bin_name, index=index, val=values), ctx,
                 policy)


def list_increment(bin_name: str, index: int, value: int | float,
                   policy: dict[str, Any] | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Add ``value`` to the number at ``index``; returns the new value."""
    return _done(op(as_const.OP_LIST_INCREMENT, bin_name, index=index, val=value), ctx, policy)


def list_pop(bin_name: str, index: int, ctx: Ctx = None) -> dict[str, Any]:
    """Remove and return the item at ``index``."""
    return _done(op(as_const.OP_LIST_POP, bin_name, index=index), ctx)


def list_pop_range(bin_name: str, index: int, count: int, ctx: Ctx = None) -> dict[str, Any]:
    """Remove and return ``count`` items from ``index``."""
    return _done(op(as_const.OP_LIST_POP_RANGE, bin_name, index=index, val=count), ctx)


def list_remove(bin_name: str, index: int, ctx: Ctx = None) -> dict[str, Any]:
    """Remove the item at ``index``; returns the number removed."""
    return _done(op(as_const.OP_LIST_REMOVE, bin_name, index=index), ctx)


def list_remove_range(bin_name: str, index: int, count: int, ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` items from ``index``; returns the number removed."""
    return _done(op(as_const.OP_LIST_REMOVE_RANGE, bin_name, index=index, val=count), ctx)


def list_clear(bin_name: str, ctx: Ctx = None) -> dict[str, Any]:
    """Remove every item."""
    return _done(op(as_const.OP_LIST_CLEAR, bin_name), ctx)


def list_set(bin_name: str, index: int, value: Any, policy: dict[str, Any] | None = None,
             ctx: Ctx = None) -> dict[str, Any]:
    """Set the item at ``index`` to ``value``."""
    return _done(op(as_const.OP_LIST_SET, bin_name, index=index, val=value), ctx, policy)


def list_get(bin_name: str, index: int, ctx: Ctx = None) -> dict[str, Any]:
    """Return the item at ``index``."""
    return _done(op(as_const.OP_LIST_GET, bin_name, index=index), ctx)


def list_get_range(bin_name: str, index: int, count: int, ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` items from ``index``."""
    return _done(op(as_const.OP_LIST_GET_RANGE, bin_name, index=index, val=count), ctx)


def list_trim(bin_name: str, index: int, count: int, ctx: Ctx = None) -> dict[str, Any]:
    """Keep only ``count`` items from ``index``; returns the number removed."""
    return _done(op(as_const.OP_LIST_TRIM, bin_name, index=index, val=count), ctx)


def list_size(bin_name: str, ctx: Ctx = None) -> dict[str, Any]:
    """Return the number of items."""
    return _done(op(as_const.OP_LIST_SIZE, bin_name), ctx)


def list_get_by_index(bin_name: str, index: int, return_type: int,
                      ctx: Ctx = None) -> dict[str, Any]:
    """Return the item at ``index`` as ``return_type``."""
    return _done(op(as_const.OP_LIST_GET_BY_INDEX, bin_name, return_type=return_type,
                    index=index), ctx)


def list_get_by_index_range(bin_name: str, index: int, return_type: int,
                            count: int | None = None, inverted: bool = False,
                            ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` items from ``index`` (all to the end if ``count`` is None)."""
    return _ranged(op(as_const.OP_LIST_GET_BY_INDEX_RANGE, bin_name, return_type=return_type,
                      index=index, inverted=inverted), count, ctx)


def list_get_by_rank(bin_name: str, rank: int, return_type: int,
                     ctx: Ctx = None) -> dict[str, Any]:
    """Return the item of rank ``rank``."""
    return _done(op(as_const.OP_LIST_GET_BY_RANK, bin_name, return_type=return_type,
                    rank=rank), ctx)


def list_get_by_rank_range(bin_name: str, rank: int, return_type: int,
                           count: int | None = None, inverted: bool = False,
                           ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` items from rank ``rank`` (all higher ranks if None)."""
    return _ranged(op(as_const.OP_LIST_GET_BY_RANK_RANGE, bin_name, return_type=return_type,
                      rank=rank, inverted=inverted), count, ctx)


def list_get_by_value(bin_name: str, value: Any, return_type: int, inverted: bool = False,
                      ctx: Ctx = None) -> dict[str, Any]:
    """Return the items equal to ``value``."""
    return _done(op(as_const.OP_LIST_GET_BY_VALUE, bin_name, return_type=return_type,
                    val=value, inverted=inverted), ctx)


def list_get_by_value_list(bin_name: str, value_list: list[Any], return_type: int,
                           inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return the items equal to any of ``value_list``."""
    return _done(op(as_const.OP_LIST_GET_BY_VALUE_LIST, bin_name, return_type=return_type,
                    value_list=value_list, inverted=inverted), ctx)


def _value_range(code: int, bin_name: str, return_type: int, value_begin: Any,
                 value_end: Any, inverted: bool, ctx: Ctx) -> dict[str, Any]:
    d = op(code, bin_name, return_type=return_type, inverted=inverted)
    put_if(d, "value_begin", value_begin, value_begin is not None)
    put_if(d, "value_end", value_end, value_end is not None)
    return _done(d, ctx)


def list_get_by_value_range(bin_name: str, return_type: int, value_begin: Any, value_end: Any,
                            inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Return the items with ``value_begin <= item < value_end`` (None: unbounded)."""
    return _value_range(as_const.OP_LIST_GET_BY_VALUE_RANGE, bin_name, return_type,
                        value_begin, value_end, inverted, ctx)


def list_remove_by_index(bin_name: str, index: int, return_type: int,
                         ctx: Ctx = None) -> dict[str, Any]:
    """Remove the item at ``index``."""
    return _done(op(as_const.OP_LIST_REMOVE_BY_INDEX, bin_name, return_type=return_type,
                    index=index), ctx)


def list_remove_by_index_range(bin_name: str, index: int, return_type: int,
                               count: int | None = None, inverted: bool = False,
                               ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` items from ``index`` (all to the end if None)."""
    return _ranged(op(as_const.OP_LIST_REMOVE_BY_INDEX_RANGE, bin_name,
                      return_type=return_type, index=index, inverted=inverted), count, ctx)


def list_remove_by_rank(bin_name: str, rank: int, return_type: int,
                        ctx: Ctx = None) -> dict[str, Any]:
    """Remove the item of rank ``rank``."""
    return _done(op(as_const.OP_LIST_REMOVE_BY_RANK, bin_name, return_type=return_type,
                    rank=rank), ctx)


def list_remove_by_rank_range(bin_name: str, rank: int, return_type: int,
                              count: int | None = None, inverted: bool = False,
                              ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` items from rank ``rank`` (all higher ranks if None)."""
    return _ranged(op(as_const.OP_LIST_REMOVE_BY_RANK_RANGE, bin_name,
                      return_type=return_type, rank=rank, inverted=inverted), count, ctx)


def list_remove_by_value(bin_name: str, value: Any, return_type: int, inverted: bool = False,
                         ctx: Ctx = None) -> dict[str, Any]:
    """Remove the items equal to ``value``."""
    return _done(op(as_const.OP_LIST_REMOVE_BY_VALUE, bin_name, return_type=return_type,
                    val=value, inverted=inverted), ctx)


def list_remove_by_value_list(bin_name: str, value_list: list[Any], return_type: int,
                              inverted: bool = False, ctx: Ctx = None) -> dict[str, Any]:
    """Remove the items equal to any of ``value_list``."""
    return _done(op(as_const.OP_LIST_REMOVE_BY_VALUE_LIST, bin_name, return_type=return_type,
                    value_list=value_list, inverted=inverted), ctx)


def list_remove_by_value_range(bin_name: str, return_type: int, value_begin: Any = None,
                               value_end: Any = None, inverted: bool = False,
                               ctx: Ctx = None) -> dict[str, Any]:
    """Remove the items with ``value_begin <= item < value_end`` (None: unbounded)."""
    return _value_range(as_const.OP_LIST_REMOVE_BY_VALUE_RANGE, bin_name, return_type,
                        value_begin, value_end, inverted, ctx)


def list_set_order(bin_name: str, list_order: int, ctx: Ctx = None) -> dict[str, Any]:
    """Set the list order (``LIST_ORDERED`` / ``LIST_UNORDERED``)."""
    return _done(op(as_const.OP_LIST_SET_ORDER, bin_name, list_order=list_order), ctx)


def list_sort(bin_name: str, sort_flags: int = 0, ctx: Ctx = None) -> dict[str, Any]:
    """Sort the list; ``sort_flags`` is a ``LIST_SORT_*`` constant."""
    return _done(op(as_const.OP_LIST_SORT, bin_name, sort_flags=sort_flags), ctx)


def list_get_by_value_rank_range_relative(bin_name: str, value: Any, offset: int,
                                          return_type: int, count: int | None = None,
                                          inverted: bool = False,
                                          ctx: Ctx = None) -> dict[str, Any]:
    """Return ``count`` items starting at rank ``offset`` relative to ``value``."""
    return _ranged(op(as_const.OP_LIST_GET_BY_VALUE_RANK_RANGE_REL, bin_name, val=value,
                      rank=offset, return_type=return_type, inverted=inverted), count, ctx)


def list_remove_by_value_rank_range_relative(bin_name: str, value: Any, offset: int,
                                             return_type: int, count: int | None = None,
                                             inverted: bool = False,
                                             ctx: Ctx = None) -> dict[str, Any]:
    """Remove ``count`` items starting at rank ``offset`` relative to ``value``."""
    return _ranged(op(as_const.OP_LIST_REMOVE_BY_VALUE_RANK_RANGE_REL, bin_name, val=value,
                      rank=offset, return_type=return_type, inverted=inverted), count, ctx)


def list_join(bin_name: str, separator: str | None = None, ctx: Ctx = None) -> dict[str, Any]:
    """Join the list's strings with ``separator`` (newer servers only)."""
    return _done(op(as_const._OP_LIST_JOIN, bin_name, separator=separator), ctx)
