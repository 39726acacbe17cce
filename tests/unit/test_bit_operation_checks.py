"""Bit operations: the argument checks the official client makes before sending, and the
arguments it sends (both seen against the official client 19.3)."""
from __future__ import annotations

import msgpack
import pytest

from aerospike_async import constants as C
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.operations import encode_operation
from aerospike_helpers.operations import bitwise_operations as bo

WRAP = C.BIT_OVERFLOW_WRAP


@pytest.mark.parametrize("op, message", [
    (bo.bit_add("b", 0, 8, -1, False, WRAP), "value too large"),
    (bo.bit_subtract("b", 0, 8, 1 << 64, False, WRAP), "value too large"),
    (bo.bit_set_int("b", 0, 8, 1 << 63), "value too large"),
    (bo.bit_lshift("b", 0, 8, -1), "value is not a valid uint32"),
    (bo.bit_rshift("b", 0, 8, 1 << 32), "value is not a valid uint32"),
    (bo.bit_resize("b", -1), "byte_size is not a valid uint32"),
    (bo.bit_remove("b", 0, -1), "byte_size is not a valid uint32"),
    (bo.bit_get("b", 0, -1), "bit_size is not a valid uint32"),
    (bo.bit_get_int("b", 0, 8, 1), "key sign does not point to a boolean in the dict"),
    (bo.bit_add("b", 0, 8, 1, 1, WRAP), "key sign does not point to a boolean in the dict"),
    (bo.bit_lscan("b", 0, 8, 1), "key value does not point to a boolean in the dict"),
])
def test_bad_bit_arguments_are_refused_before_sending(op, message):
    with pytest.raises(ParamError) as info:
        encode_operation(op)
    assert info.value.msg == message


def _args(op: dict) -> list:
    data = encode_operation(op).data
    return msgpack.unpackb(data[8 + data[7]:])


@pytest.mark.parametrize("op, args", [
    (bo.bit_b64_encode("b"), [55, 0]),
    (bo.bit_b64_encode("b", 1, 3), [55, 1, 3]),
    (bo.bit_b64_encode("b", 1, 3, True), [55, 1, 3, 1]),
    (bo.bit_add("b", 0, 64, (1 << 64) - 1, False, WRAP), [10, 0, 64, (1 << 64) - 1, 0, WRAP]),
    (bo.bit_set_int("b", 0, 8, -1), [12, 0, 8, -1, 0]),
    (bo.bit_get_int("b", 0, 8, True), [54, 0, 8, 1]),
])
def test_bit_arguments_travel_as_the_official_client_sends_them(op, args):
    assert _args(op) == args
