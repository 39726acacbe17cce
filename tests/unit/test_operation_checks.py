"""Operation dicts: the checks made before anything is sent, and arguments that travel as
the official client sends them (both seen against the official client 19.3)."""
from __future__ import annotations

import msgpack
import pytest

import aerospike_async.constants as C
from aerospike_async.exceptions import BinNameError, ParamError
from aerospike_async.protocol.operations import encode_operation, encode_operation_loose
from aerospike_async.types import null
from aerospike_helpers import cdt_ctx
from aerospike_helpers.operations import hll_operations as ho
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import map_operations as mo
from aerospike_helpers.operations import operations as ops


def _message(op: dict) -> str:
    with pytest.raises(ParamError) as info:
        encode_operation(op)
    return info.value.msg


def _args(op: dict) -> list:
    """The msgpack array an operation sends as its value."""
    data = encode_operation(op).data
    return msgpack.unpackb(data[8 + data[7]:], strict_map_key=False)


@pytest.mark.parametrize("op, message", [
    (ho.hll_init("h", "x", 4), "index_bit_count must be an integer"),
    (ho.hll_init("h", 4, "x"), "mh_bit_count must be an integer"),
    (ho.hll_init("h", 1 << 40, 4), "index_bit_count too large for C int."),
    ({"op": C.OP_HLL_INIT, "bin": "h", "mh_bit_count": 4},
     "Operation missing required entry index_bit_count"),
    (ho.hll_init("h", 4, 4, "bad"), "Hll policy must be a dictionary."),
    (ho.hll_init("h", 4, 4, {"flags": "x"}), "flags must be an integer"),
    (ho.hll_add("h", ["a"], "x"), "index_bit_count must be an integer"),
    (ho.hll_fold("h", "x"), "index_bit_count must be an integer"),
])
def test_hll_arguments_are_checked(op, message):
    assert _message(op) == message


@pytest.mark.parametrize("policy, message", [
    ({"persist_index": 1}, "persist_index is not a boolean"),
    ({"map_write_flags": "waving flag"}, "map_write_flags is invalid"),
    ({"map_order": "x"}, "map_order must be an integer"),
    ("not a dict", "policy must be a dict"),
])
def test_map_policy_is_checked(policy, message):
    assert _message(mo.map_set_policy("m", policy)) == message
    assert _message(mo.map_put_items("m", {"a": 1}, map_policy=policy)) == message


def test_map_set_policy_needs_a_policy():
    assert _message({"op": C.OP_MAP_SET_POLICY, "bin": "m"}) == \
        "Operation requires map_policy parameter"


@pytest.mark.parametrize("ctx, message", [
    (cdt_ctx.cdt_ctx_list_index_create(2, C.LIST_ORDERED, "bad_pad"), "pad_key must be an integer"),
    (cdt_ctx.cdt_ctx_list_index_create(2, None, False),
     "Operation missing required entry order_key"),
    (cdt_ctx.cdt_ctx_list_index_create(None, 0, False), "Failed to convert ctx, value to long"),
    (cdt_ctx.cdt_ctx_map_key_create("k", None), "Operation missing required entry order_key"),
    (cdt_ctx.cdt_ctx_map_key_create("k", ["bad_order"]), "order_key must be an integer"),
    (cdt_ctx.cdt_ctx_list_value((1, 2)), "Failed to convert ctx, value to as_val"),
    (cdt_ctx.cdt_ctx_map_key((1, 2)), "Failed to convert ctx, value to as_val"),
])
def test_context_arguments_are_checked(ctx, message):
    assert _message(lo.list_append("l", 1, None, [ctx])) == message


def test_list_index_create_takes_an_int_pad():
    # pad is read as an int: 1 pads as True does
    ctx = [cdt_ctx.cdt_ctx_list_index_create(5, C.LIST_UNORDERED, 1)]
    padded = [cdt_ctx.cdt_ctx_list_index_create(5, C.LIST_UNORDERED, True)]
    assert encode_operation(lo.list_append("l", 1, None, ctx)).data == \
        encode_operation(lo.list_append("l", 1, None, padded)).data


@pytest.mark.parametrize("op, message", [
    (lo.list_create("l", "string", False, False), "list_order must be an integer"),
    (lo.list_create("l", C.LIST_ORDERED, 1, False), "key pad does not point to a boolean in the dict"),
    (lo.list_create("l", C.LIST_ORDERED, False, 1),
     "key persist_index does not point to a boolean in the dict"),
    ({"op": C.OP_LIST_CREATE, "bin": "l", "list_order": 0}, "Failed to convert pad"),
    ({"op": C.OP_LIST_GET_BY_INDEX, "bin": "l", "index": 1},
     "Operation missing required entry return_type"),
    ({"op": C.OP_LIST_TRIM, "bin": "l", "index": 1, "val": None},
     "Operation missing required entry val"),
    ({"op": C.OP_LIST_APPEND, "bin": "l", "val": 1, "list_policy": {"write_flags": "x"}},
     "write_flags must be an integer"),
    ({"op": C.OP_LIST_APPEND, "bin": "l"}, 'Operation must contain a "val" entry'),
])
def test_list_arguments_are_checked(op, message):
    assert _message(op) == message


@pytest.mark.parametrize("op, message", [
    ({"op": C.OP_MAP_GET_BY_KEY_RANGE, "bin": "m", "range": "c", "return_type": 7},
     "Operation requires key parameter"),
    ({"op": C.OP_MAP_GET_BY_KEY_RANGE, "bin": "m", "key": "c", "return_type": 7},
     "Range should be given"),
    ({"op": C.OP_MAP_GET_BY_VALUE_RANGE, "bin": "m", "range": 3, "return_type": 7},
     "Value should be given"),
    ({"op": C.OP_MAP_REMOVE_BY_VALUE_RANGE, "bin": "m", "val": 1, "return_type": 7},
     "Range should be given"),
    ({"op": C.OP_MAP_GET_BY_INDEX, "bin": "m", "return_type": 7},
     "Operation needs an index value"),
    ({"op": C.OP_MAP_GET_BY_INDEX, "bin": "m", "index": "x", "return_type": 7},
     "Index should be an integer"),
    ({"op": C.OP_MAP_REMOVE_BY_KEY, "bin": "m", "key": "c", "return_type": "x"},
     "Return type should be an integer"),
    ({"op": C.OP_MAP_GET_BY_VALUE_RANK_RANGE_REL, "bin": "m", "val": 1, "rank": 1},
     "Operation missing required entry return_type"),
])
def test_map_entries_are_checked(op, message):
    assert _message(op) == message


@pytest.mark.parametrize("op, code", [
    ({"op": C.OP_MAP_REMOVE_BY_KEY, "bin": "m", "key": "c"}, 76),
    ({"op": C.OP_MAP_REMOVE_BY_INDEX_RANGE, "bin": "m", "index": 1, "val": 3}, 85),
    ({"op": C.OP_MAP_GET_BY_RANK, "bin": "m", "index": 0}, 100),
])
def test_older_map_operations_return_nothing_unless_asked(op, code):
    assert _args(op)[:2] == [code, C.MAP_RETURN_NONE]


@pytest.mark.parametrize("op", [
    lo.list_trim("l", 1, -9),
    lo.list_get_range("l", 1, -1),
    lo.list_get_by_index_range("l", 1, C.LIST_RETURN_VALUE, count=-1),
    {"op": C.OP_MAP_GET_BY_INDEX_RANGE, "bin": "m", "index": 1, "val": -1, "return_type": 7},
])
def test_a_negative_count_travels_as_an_unsigned_64_bit_count(op):
    count = _args(op)[-1]
    assert count >= 1 << 63   # two's complement: in effect, to the end


@pytest.mark.parametrize("code", [C.OPERATOR_APPEND, C.OPERATOR_PREPEND, C.OPERATOR_INCR])
def test_null_is_sent_to_append_prepend_and_increment(code):
    data = encode_operation({"op": code, "bin": "b", "val": null()}).data
    assert data[5] == 0   # particle type nil, for the server to judge


@pytest.mark.parametrize("op, message", [
    ({"bin": "age", "val": 1}, 'Operation must contain an "op" entry'),
    ({"op": "x", "bin": "age"}, "Operation must be an integer"),
    ({"op": 999, "bin": "age"}, "Value should be given"),
    ({"op": 999, "bin": "age", "val": 1}, "Invalid operation given"),
    (ops.write("b", 1) | {"op": 999}, "Invalid operation given"),
    (mo.map_put("m", 1, 1, map_policy={"map_write_flags": 1.5}), "map_write_flags is invalid"),
    ({"op": C.OP_BIT_RESIZE, "bin": "b", "byte_size": 4, "policy": "x"}, "policy must be a dict"),
    ({"op": C.OP_BIT_RESIZE, "bin": "b", "byte_size": 4, "policy": {"bit_write_flags": "x"}},
     "bit_write_flags must be an integer"),
    (ops.select_by_path("m", [], C.EXP_PATH_SELECT_VALUE), "Context is empty"),
])
def test_unusable_operations_are_refused(op, message):
    assert _message(op) == message


def test_too_long_a_bin_name_of_an_older_map_operation_is_a_bin_name_error():
    with pytest.raises(BinNameError):
        encode_operation({"op": C.OP_MAP_SIZE, "bin": "a" * 16})


def test_loose_encoding_leaves_out_what_the_official_client_cannot_add():
    long_name = "a" * 21
    assert encode_operation_loose({"op": C.OPERATOR_INCR, "bin": long_name, "val": 3}) is None
    assert encode_operation_loose({"op": C.OP_MAP_SIZE, "bin": long_name}) is None
    assert encode_operation_loose({"op": 999, "bin": "age", "val": 3}) is None
    # what it can add it sends, whatever the value's type
    assert encode_operation_loose({"op": C.OPERATOR_APPEND, "bin": "s", "val": 3}).writes
    # and the rest is checked as ever
    with pytest.raises(ParamError):
        encode_operation_loose({"op": 999, "bin": "age"})
    with pytest.raises(ParamError):
        encode_operation_loose(lo.list_append(long_name, 1))
