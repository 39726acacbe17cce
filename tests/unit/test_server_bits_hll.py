"""Bit and HLL operations of the embedded server, beyond what the recordings show:
overflow actions, negative offsets, out-of-range and bad-argument result codes, HLL
accuracy. Expected values follow ``particle_blob.c`` / ``particle_hll.c`` of Aerospike 8.1.
"""
from __future__ import annotations

import itertools
import math

import pytest

from aerospike_async.protocol.message import (
    INFO2_RESPOND_ALL_OPS, OP_BIT_MODIFY, OP_BIT_READ, OP_HLL_MODIFY, OP_HLL_READ, OP_READ, Op,
)
from aerospike_async.protocol.particles import PARTICLE_BLOB, PARTICLE_HLL
from aerospike_async.testing import hll
from aerospike_async.testing import cdt as server_cdt
from aerospike_async.testing.bits import BitsError
from aerospike_async.testing.bits import modify as bit_modify
from aerospike_async.testing.bits import read as bit_read
from server_raw import operate, put, server_fixtures

server, client = server_fixtures()

_ids = itertools.count()
BLOB = bytes([0b00000001, 0b01000010, 0b11111111, 0b00000000, 0b10000000])

# bit op codes, flags
RESIZE, INSERT, REMOVE, SET, OR, XOR, AND, NOT, LSHIFT, RSHIFT = range(10)
ADD, SUBTRACT, SET_INT = 10, 11, 12
GET, COUNT, LSCAN, RSCAN, GET_INT = 50, 51, 52, 53, 54
CREATE_ONLY, UPDATE_ONLY, NO_FAIL, PARTIAL = 1, 2, 4, 8
SIGNED, SATURATE, WRAP = 1, 2, 4
GROW_ONLY, SHRINK_ONLY = 2, 4


def blob(data: bytes) -> bytes:
    return b"\x04" + data


def code_of(fn, *args) -> int:
    with pytest.raises(BitsError) as exc:
        fn(*args)
    return exc.value.code


# -- bits: integer arithmetic --------------------------------------------------------------
@pytest.mark.parametrize("action,expected", [
    (0, None), (SATURATE, 0xFF), (WRAP, 0x00)])
def test_unsigned_add_overflow_actions(action, expected):
    args = [ADD, 16, 8, 1, 0, action]
    if expected is None:
        assert code_of(bit_modify, BLOB, args) == 26
    else:
        assert bit_modify(BLOB, args)[2] == expected


@pytest.mark.parametrize("action,expected", [
    (0, None), (SATURATE, 0x00), (WRAP, 0xFF)])
def test_unsigned_subtract_underflow_actions(action, expected):
    args = [SUBTRACT, 24, 8, 1, 0, action]
    if expected is None:
        assert code_of(bit_modify, BLOB, args) == 26
    else:
        assert bit_modify(BLOB, args)[3] == expected


@pytest.mark.parametrize("action,expected", [
    (SIGNED, None), (SIGNED | SATURATE, 0x7F), (SIGNED | WRAP, 0x80)])
def test_signed_add_overflow_past_max_positive(action, expected):
    b = bit_modify(BLOB, [SET_INT, 8, 8, 0x7F])
    args = [ADD, 8, 8, 1, 0, action]
    if expected is None:
        assert code_of(bit_modify, b, args) == 26
    else:
        assert bit_modify(b, args)[1] == expected


@pytest.mark.parametrize("action,expected", [
    (SIGNED, None), (SIGNED | SATURATE, 0x80), (SIGNED | WRAP, 0x7F)])
def test_signed_subtract_underflow_past_max_negative(action, expected):
    # byte 4 is 0x80: -128 as a signed 8-bit integer
    args = [SUBTRACT, 32, 8, 1, 0, action]
    if expected is None:
        assert code_of(bit_modify, BLOB, args) == 26
    else:
        assert bit_modify(BLOB, args)[4] == expected


def test_signed_overflow_to_zero_is_not_detected_as_the_server_checks_result_above_zero():
    # -128 + -128 wraps to 0; the server's check (s_result > 0) lets it through
    assert bit_modify(BLOB, [ADD, 32, 8, 0x80, 0, SIGNED])[4] == 0


def test_overflow_failure_with_no_fail_leaves_the_blob_unchanged():
    assert bit_modify(BLOB, [ADD, 16, 8, 1, NO_FAIL, 0]) == BLOB


def test_add_on_an_unaligned_field_keeps_the_neighbouring_bits():
    # bits 4..11 of 01 42 are 0001 0100 = 20; + 3 = 23 = 0001 0111
    assert bit_modify(BLOB, [ADD, 4, 8, 3, 0, 0])[:2] == bytes([0x01, 0x72])


def test_get_int_signed_and_unsigned_of_64_bits():
    data = b"\xff" * 8
    assert bit_read(data, [GET_INT, 0, 64]) == (1 << 64) - 1
    assert bit_read(data, [GET_INT, 0, 64, SIGNED]) == -1
    assert bit_read(BLOB, [GET_INT, 4, 4]) == 1


# -- bits: offsets -------------------------------------------------------------------------
def test_negative_offsets_count_from_the_end():
    assert bit_read(BLOB, [GET, -8, 8]) == b"\x80"
    assert bit_read(BLOB, [COUNT, -40, 40]) == 12
    assert bit_modify(BLOB, [SET, -4, 4, b"\x04\xf0", 0])[4] == 0x8F
    assert bit_modify(BLOB, [INSERT, -1, b"\x04\xaa", 0]) == BLOB[:4] + b"\xaa" + BLOB[4:]


def test_negative_offset_past_the_start_is_a_parameter_error():
    assert code_of(bit_read, BLOB, [GET, -48, 8]) == 4
    assert code_of(bit_modify, BLOB, [INSERT, -6, b"\x04\xaa", 0]) == 4


def test_negative_offset_on_a_missing_bin_is_a_parameter_error():
    assert code_of(bit_modify, None, [INSERT, -1, b"\x04\xaa", 0]) == 4


def test_unaligned_get_and_shift():
    assert bit_read(BLOB, [GET, 4, 12]) == bytes([0x14, 0x20])
    # bits 4..11 (0001 0100) shifted right by 2 -> 0000 0101
    assert bit_modify(BLOB, [RSHIFT, 4, 8, 2, 0])[:2] == bytes([0x00, 0x52])
    # shifted left by 3 -> 1010 0000
    assert bit_modify(BLOB, [LSHIFT, 4, 8, 3, 0])[:2] == bytes([0x0A, 0x02])
    assert bit_modify(BLOB, [LSHIFT, 0, 16, 16, 0])[:2] == b"\x00\x00"


def test_scans():
    assert bit_read(BLOB, [LSCAN, 0, 40, True]) == 7
    assert bit_read(BLOB, [LSCAN, 16, 8, False]) == -1
    assert bit_read(BLOB, [RSCAN, 0, 32, True]) == 23
    assert bit_read(BLOB, [RSCAN, 24, 16, False]) == 15


def test_rscan_also_looks_at_the_bits_before_the_offset_in_the_first_byte():
    # as bits_read_op_rscan does: only the end of the last byte is masked
    assert bit_read(b"\x80", [RSCAN, 3, 5, True]) == -3


# -- bits: out of range and bad arguments --------------------------------------------------
@pytest.mark.parametrize("args", [
    [GET, 40, 8], [GET, 36, 8], [COUNT, 0, 41], [GET_INT, 33, 8], [SET_INT, 40, 8, 1]])
def test_ops_past_the_end_are_not_applicable(args):
    fn = bit_read if args[0] >= 50 else bit_modify
    assert code_of(fn, BLOB, args) == 26


def test_partial_writes_stop_at_the_end():
    assert code_of(bit_modify, BLOB, [NOT, 36, 8, 0]) == 26
    assert bit_modify(BLOB, [NOT, 36, 8, PARTIAL]) == BLOB[:4] + b"\x8f"
    assert bit_modify(BLOB, [OR, 36, 8, b"\x04\xff", PARTIAL]) == BLOB[:4] + b"\x8f"


def test_remove_past_the_end_is_a_parameter_error():
    assert code_of(bit_modify, BLOB, [REMOVE, 5, 1, 0]) == 4
    assert code_of(bit_modify, BLOB, [REMOVE, 4, 2, 0]) == 4
    assert bit_modify(BLOB, [REMOVE, 4, 2, PARTIAL]) == BLOB[:4]
    assert bit_modify(BLOB, [REMOVE, 4, 2, NO_FAIL]) == BLOB
    assert bit_modify(BLOB, [REMOVE, 1, 2, 0]) == BLOB[:1] + BLOB[3:]


def test_resize_flags():
    assert bit_modify(BLOB, [RESIZE, 7, 0, 0]) == BLOB + b"\0\0"
    assert bit_modify(BLOB, [RESIZE, 2, 0, 1]) == BLOB[3:]
    assert code_of(bit_modify, BLOB, [RESIZE, 8, 0, SHRINK_ONLY]) == 4
    assert bit_modify(BLOB, [RESIZE, 8, NO_FAIL, SHRINK_ONLY]) == BLOB
    assert bit_modify(BLOB, [RESIZE, 0, 0, 0]) == b""


@pytest.mark.parametrize("args", [
    [GET, 0, 0], [GET_INT, 0, 65], [GET_INT, 0, 0], [ADD, 0, 8, 1, 0, SATURATE | WRAP],
    [SET, 0, 8, b"\x04\xaa", CREATE_ONLY], [RESIZE, 1, CREATE_ONLY | UPDATE_ONLY],
    [RESIZE, 1, 0, GROW_ONLY | SHRINK_ONLY], [SET, 0, 16, b"\x04\xaa", 0],
    [SET, 0, 8, b"\x04", 0], [LSCAN, 0, 8, 1], [GET], [GET, 0, 8, 1], [99, 0, 8],
    [GET_INT, 0, 8, 2],
])
def test_bad_arguments_are_parameter_errors(args):
    fn = bit_read if args[0] >= 50 else bit_modify
    assert code_of(fn, BLOB, args) == 4


def test_missing_bin():
    assert code_of(bit_modify, None, [SET, 0, 8, b"\x04\xaa", 0]) == 17
    assert bit_modify(None, [SET, 0, 8, b"\x04\xaa", NO_FAIL]) is None
    assert bit_modify(None, [INSERT, 2, b"\x04\xaa", 0]) == b"\0\0\xaa"
    assert bit_modify(None, [RESIZE, 3]) == b"\0\0\0"
    assert code_of(bit_modify, None, [RESIZE, 3, UPDATE_ONLY]) == 17
    assert code_of(bit_modify, BLOB, [INSERT, 0, b"\x04\xaa", CREATE_ONLY]) == 6


# -- over the wire -------------------------------------------------------------------------
@pytest.fixture
def key():
    return ("test", "unit", f"bits-hll-{next(_ids)}")


def bit_op(name: str, payload: list, modify: bool = False) -> Op:
    return Op(OP_BIT_MODIFY if modify else OP_BIT_READ, PARTICLE_BLOB, name,
              server_cdt.pack(payload))


def hll_op(name: str, payload: list, modify: bool = False) -> Op:
    return Op(OP_HLL_MODIFY if modify else OP_HLL_READ, PARTICLE_BLOB, name,
              server_cdt.pack(payload))


def strs(values) -> list:
    return [b"\x03" + str(v).encode() for v in values]


def test_bit_ops_over_the_wire(client, key):
    assert client.command(put(key, {"b": BLOB, "s": "abc"})).result_code == 0
    r = client.command(operate(key, [bit_op("b", [SET_INT, 0, 8, 0xAB, 0], True),
                                     bit_op("b", [GET_INT, 0, 8]), Op(OP_READ, 0, "b", b"")]))
    assert r.result_code == 0
    assert [(o.particle_type, o.value) for o in r.ops] == [
        (1, (0xAB).to_bytes(8, "big")), (4, b"\xab" + BLOB[1:])]
    assert client.command(operate(key, [bit_op("s", [COUNT, 0, 8])])).result_code == 12
    assert client.command(operate(key, [bit_op("b", [GET, 40, 8])])).result_code == 26
    # a bit op whose particle type is not blob
    bad = Op(OP_BIT_READ, 3, "b", server_cdt.pack([COUNT, 0, 8]))
    assert client.command(operate(key, [bad])).result_code == 12
    r = client.command(operate(key, [bit_op("zz", [COUNT, 0, 8])],
                               info2=INFO2_RESPOND_ALL_OPS))
    assert r.result_code == 0 and [(o.name, o.particle_type) for o in r.ops] == [("zz", 0)]


def test_hll_ops_over_the_wire(client, key):
    assert client.command(put(key, {"s": "abc"})).result_code == 0
    add = hll_op("h", [1, strs("abcdef"), 8, -1, 0], True)
    r = client.command(operate(key, [add, hll_op("h", [50]), hll_op("h", [55])]))
    assert r.result_code == 0
    assert [o.value for o in r.ops[:2]] == [(6).to_bytes(8, "big")] * 2
    assert r.ops[2].value == server_cdt.pack([8, 0])
    assert client.command(operate(key, [hll_op("s", [50])])).result_code == 12
    assert client.command(operate(key, [hll_op("s", [1, strs("x"), 8], True)])).result_code == 12
    # refresh_count caches the count in the particle (little-endian, after the header)
    r = client.command(operate(key, [hll_op("h", [3], True), Op(OP_READ, 0, "h", b"")]))
    assert r.ops[0].value == (6).to_bytes(8, "big")
    assert r.ops[1].particle_type == PARTICLE_HLL
    assert r.ops[1].value[3:11] == (6).to_bytes(8, "little")


@pytest.mark.parametrize("payload,code", [
    ([0, 3], 4), ([0, 17], 4), ([0, 10, 52], 4), ([0, 16, 51], 4), ([0, 10, 0, 3], 4),
    ([0, 10, 0, 16], 4), ([1, []], 4), ([1, [[1]], 8], 4), ([1, strs("a")], 26),
    ([3], 17), ([4, 8], 17), ([2, [b"\x12\x00\x08\x00"]], 4), ([9], 4),
])
def test_hll_modify_errors_on_a_missing_bin(client, key, payload, code):
    assert client.command(put(key, {"a": 1})).result_code == 0
    assert client.command(operate(key, [hll_op("h", payload, True)])).result_code == code


def test_hll_fold_and_union_rules():
    s = hll.Sketch(12, 0)
    for e in strs(range(100)):
        hll.add(s, server_cdt.pack(e))
    with pytest.raises(hll.HLLError) as exc:
        hll.call(b"\x12" + s.to_bytes(), [4, 14], True)
    assert exc.value.code == 26  # fold to more index bits
    folded = hll.call(b"\x12" + s.to_bytes(), [4, 8], True)
    assert folded[2:4] == b"\x08\x00"
    small = hll.Sketch(10, 0)
    hll.add(small, server_cdt.pack(b"\x03zz"))
    with pytest.raises(hll.HLLError) as exc:  # union would lower the index bits
        hll.call(b"\x12" + s.to_bytes(), [2, [b"\x12" + small.to_bytes()], 0], True)
    assert exc.value.code == 26
    u = hll.call(b"\x12" + s.to_bytes(), [2, [b"\x12" + small.to_bytes()], 8], True)
    assert u[2] == 10 and abs(hll.estimate(hll.Sketch.from_bytes(u[1:])) - 101) <= 5
    m = hll.Sketch(8, 4)
    with pytest.raises(hll.HLLError) as exc:  # fold of an HLL with minhash bits
        hll.call(b"\x12" + m.to_bytes(), [4, 6], True)
    assert exc.value.code == 26


def _sketch(values, p: int, m: int = 0) -> hll.Sketch:
    s = hll.Sketch(p, m)
    for e in strs(values):
        hll.add(s, server_cdt.pack(e))
    return s


@pytest.mark.parametrize("p", [10, 12, 14])
def test_hll_count_of_10000_distinct_values_is_within_the_documented_error(p):
    n = 10_000
    count = hll.estimate(_sketch(range(n), p))
    # standard error 1.04 / sqrt(2**p); allow three of them
    assert abs(count - n) / n < 3 * 1.04 / math.sqrt(1 << p)


def test_hll_count_over_the_wire_matches_the_sketch(client, key):
    assert client.command(put(key, {"a": 1})).result_code == 0
    add = hll_op("h", [1, strs(range(10_000)), 14, -1, 0], True)
    r = client.command(operate(key, [add, hll_op("h", [50])]))
    assert r.result_code == 0
    count = int.from_bytes(r.ops[1].value, "big")
    assert count == hll.estimate(_sketch(range(10_000), 14))
    assert abs(count - 10_000) < 300


def test_hll_union_intersect_and_similarity_estimates():
    a = _sketch(range(6000), 14, 8)
    b = _sketch(range(3000, 9000), 14, 8)
    union_count = hll.estimate(hll.union([a, b]))
    assert abs(union_count - 9000) < 9000 * 0.03
    inter = hll.intersect_count([a, b])
    assert abs(inter - 3000) < 3000 * 0.1
    assert abs(hll.similarity([a, b]) - 3000 / 9000) < 0.05
    assert hll.similarity([a, a]) == pytest.approx(1.0, abs=0.01)
    # without minhash bits: inclusion-exclusion on the counts
    a0, b0 = _sketch(range(6000), 14), _sketch(range(3000, 9000), 14)
    assert abs(hll.intersect_count([a0, b0]) - 3000) < 3000 * 0.15


def test_hll_intersect_of_more_than_two_needs_matching_minhash_bits():
    a, b, c = (_sketch(range(i, i + 50), 8) for i in (0, 10, 20))
    arg = [b"\x12" + b.to_bytes(), b"\x12" + c.to_bytes(), b"\x12" + a.to_bytes()]
    with pytest.raises(hll.HLLError) as exc:
        hll.call(b"\x12" + a.to_bytes(), [53, arg], False)
    assert exc.value.code == 4
    a, b, c = (_sketch(range(i, i + 50), 8, 4) for i in (0, 10, 20))
    arg = [b"\x12" + x.to_bytes() for x in (b, c, a)]
    assert isinstance(hll.call(b"\x12" + a.to_bytes(), [53, arg], False), int)
    d = _sketch(range(5), 8, 6)
    with pytest.raises(hll.HLLError) as exc:
        hll.call(b"\x12" + d.to_bytes(), [53, arg], False)
    assert exc.value.code == 26


def test_hll_may_contain_and_element_compaction():
    s = _sketch(["a", "b"], 8)
    assert hll.call(b"\x12" + s.to_bytes(), [56, strs("ab")], False) == 1
    assert hll.call(b"\x12" + s.to_bytes(), [56, strs("az")], False) == 0
    # an int sent in a wider encoding hashes as its shortest form
    assert hll.compact(b"\xcd\x00\x05") == b"\x05"
    assert hll.compact(b"\xd1\xff\xfe") == b"\xfe"
    assert hll.compact(b"\xc4\x02\x04x") == b"\xa2\x04x"
    long_blob = b"\xc4\x21" + b"\x04" + b"y" * 32
    assert hll.compact(long_blob) == long_blob


def test_murmur3_reference_values():
    # MurmurHash3_x64_128 with seed 0 of the empty input and of "hello"
    assert hll.murmur3_x64_128(b"") == (0, 0)
    assert hll.murmur3_x64_128(b"hello") == (0xCBD8A7B341BD9B02, 0x5B1E906A48AE1D19)
