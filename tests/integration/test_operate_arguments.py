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


def test_prepend_of_null_is_left_to_the_server(sync_client, make_key):
    key = make_key()
    sync_client.put(key, {"s": "x"})
    try:
        # the client sends it (no ParamError); the server decides
        try:
            sync_client.operate(key, [ops.prepend("s", aerospike.null())])
        except e.InvalidRequest as exc:
            assert exc.code == 4
    finally:
        sync_client.remove(key)

