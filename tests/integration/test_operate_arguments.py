"""operate() with the arguments the official client's own tests give it: what a user sees
(valid against a real server too)."""
from __future__ import annotations

import pytest

import aerospike
from aerospike import exception as e
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import operations as ops


def test_a_negative_trim_count_keeps_the_rest_of_the_list(sync_client, make_key):
    key = make_key()
    sync_client.put(key, {"l": [1, 2, 3, 4]})
    try:
        _k, _m, res = sync_client.operate_ordered(key, [lo.list_trim("l", 1, -9)])
        assert res == [("l", 1)]   # one item removed
        assert sync_client.get(key)[2]["l"] == [2, 3, 4]
    finally:
        sync_client.remove(key)


def test_older_map_operations_need_no_return_type(sync_client, make_key):
    key = make_key()
    sync_client.put(key, {"m": {"a": 1, "b": 2, "c": 3}})
    try:
        _k, _m, res = sync_client.operate(
            key, [{"op": aerospike.OP_MAP_REMOVE_BY_KEY, "bin": "m", "key": "b"}])
        assert res == {"m": None}
        assert sync_client.get(key)[2]["m"] == {"a": 1, "c": 3}
        with pytest.raises(e.ParamError):
            sync_client.operate(key, [{"op": aerospike.OP_MAP_GET_BY_KEY_RANGE, "bin": "m",
                                       "key": "a", "return_type": aerospike.MAP_RETURN_KEY}])
    finally:
        sync_client.remove(key)


@pytest.mark.parametrize("operation", [ops.prepend, ops.append, ops.increment])
def test_a_null_to_add_is_left_to_the_server_which_refuses_it(sync_client, make_key,
                                                              operation):
    """The client sends it (no ParamError); a node takes a nil value to modify a bin as a
    bad particle type (PARAMETER_ERROR), whatever the bin holds or whether it exists."""
    key = make_key()
    sync_client.put(key, {"s": "x", "i": 1})
    try:
        for bin_name in ("s", "i", "missing"):
            with pytest.raises(e.InvalidRequest):
                sync_client.operate(key, [operation(bin_name, aerospike.null())])
        assert sync_client.get(key)[2] == {"s": "x", "i": 1}
    finally:
        sync_client.remove(key)


def test_without_strict_types_unaddable_operations_are_left_out(loose_client, make_key):
    key = make_key()
    loose_client.put(key, {"name": "n", "age": 1})
    try:
        _k, _m, bins = loose_client.operate(key, [
            ops.prepend("name", "ra"),
            {"op": aerospike.OPERATOR_INCR, "bin": "a" * 21, "val": 3},
            {"op": 999, "bin": "age", "val": 3},
            ops.read("name"),
        ])
        assert bins == {"name": "ran"}
        assert loose_client.get(key)[2] == {"name": "ran", "age": 1}
        with pytest.raises(e.ParamError):   # nothing left to send
            loose_client.operate(key, [{"op": 999, "bin": "age", "val": 3}])
    finally:
        loose_client.remove(key)


def test_strict_types_refuse_what_loose_clients_send(sync_client, loose_client, make_key):
    key = make_key()
    sync_client.put(key, {"name": "n"})
    try:
        with pytest.raises(e.BinNameError):
            sync_client.operate(key, [ops.increment("a" * 21, 3)])
        with pytest.raises(e.ParamError):
            sync_client.operate(key, [ops.append("name", 3)])
        # sent as it is, the server refuses it
        with pytest.raises(e.BinIncompatibleType):
            loose_client.operate(key, [ops.append("name", 3)])
    finally:
        sync_client.remove(key)
