"""The embedded server's expression evaluator (aerospike_async.testing.expressions):
semantics the recordings do not cover."""
from __future__ import annotations

import math
import struct

import pytest

from aerospike_async.testing import cdt, expressions
from aerospike_async.testing.expressions import BuildError, Context, build, evaluate
from aerospike_async.testing.store import Record

I64 = struct.Struct(">q")


def _int_bin(v: int) -> tuple[int, bytes]:
    return 1, I64.pack(v)


BINS = {"i": _int_bin(10), "n": _int_bin(-3), "big": _int_bin(2**63 - 1),
        "f": (2, struct.pack(">d", 2.5)), "s": (3, b"hello"),
        "l": (20, cdt.pack([1, 2, 3]))}
REC = Record(dict(BINS), b"vec", b"\x03k", 1, 0, 1_700_000_000_000_000_000, 0)


def b(name: str) -> bytes:
    return name.encode()


def int_bin(name: str) -> list:
    return [81, 2, b(name)]


def value(exp: list | object) -> object:
    """The value of an expression against REC (raises on unknown)."""
    return evaluate(build(cdt.pack(exp)), Context(REC.bins, REC, bytes(20), 100))


def unknown(exp: list) -> bool:
    try:
        value(exp)
    except expressions._Unknown:
        return True
    return False


def test_integer_arithmetic_wraps_at_64_bits():
    assert value([20, int_bin("big"), 1]) == -(2**63)
    assert value([22, int_bin("big"), 2]) == -2


def test_integer_division_truncates_and_by_zero_is_unknown():
    assert value([23, -7, 2]) == -3
    assert value([26, -7, 2]) == -1
    assert unknown([23, int_bin("i"), 0])
    assert unknown([26, int_bin("i"), 0])


def test_float_division_by_zero_is_infinite_not_unknown():
    assert value([23, 1.0, 0.0]) == math.inf
    assert value([23, 5.0]) == 0.2  # one argument: its inverse


def test_and_or_absorb_an_unknown_operand_when_another_decides():
    missing = [1, int_bin("zz"), 1]
    assert value([16, missing, False]) is False
    assert value([17, missing, True]) is True
    assert unknown([16, missing, True])
    assert unknown([17, missing, False])
    assert unknown([18, missing])


def test_let_var_and_cond():
    exp = [125, b"x", [20, int_bin("i"), 1], b"y", [22, [124, b"x"], 2],
           [123, [3, [124, b"y"], 20], b"\x03big", b"\x03small"]]
    assert value(exp) == b"\x03big"
    # an unknown variable is unknown only when it is used
    assert value([125, b"u", int_bin("zz"), 7]) == 7
    assert unknown([125, b"u", int_bin("zz"), [124, b"u"]])


@pytest.mark.parametrize("exp", [
    [1, int_bin("i"), b"\x03x"],            # int compared with a string
    [20, 1, 2.0],                            # mixed int and float
    [16, [1, 1, 1]],                         # and of one operand
    [124, b"nope"],                          # unknown variable
    [125, b"1x", 1, 2],                      # bad variable name
    [125, b"x", 1, b"x", 2, 3],              # variable defined twice
    [123, True, 1, b"\x03s"],                # cond branches of different types
    [81, 2, b"a" * 16],                      # bin name too long
    [7, 0, b"(", [81, 3, b"s"]],             # invalid regex
    [64, 0],                                 # digest modulo 0
    [200],                                   # unknown op code
])
def test_invalid_expressions_are_refused_when_built(exp):
    with pytest.raises(BuildError):
        build(cdt.pack(exp))


def test_filter_must_be_boolean():
    with pytest.raises(BuildError):
        expressions.build_filter(cdt.pack(int_bin("i")))
    assert expressions.build_filter(cdt.pack([1, int_bin("i"), 10])).type == expressions.T_BOOL


def test_int_bit_operations():
    assert value([39, -1]) == 64
    assert value([36, 1, 63]) == -(2**63)
    assert value([37, -1, 60]) == 15
    assert value([38, -16, 2]) == -4
    assert value([40, 0, True]) == -1
    assert value([41, 1, True]) == 63


def test_exclusive_is_exactly_one_true():
    assert value([19, True, False, False]) is True
    assert value([19, True, True, False]) is False
    assert value([19, False, False]) is False


def test_in_list_regex_and_metadata():
    assert value([9, 2, [81, 4, b"l"]]) is True
    assert value([9, 9, [126, [1, 2]]]) is False
    assert value([7, 2, b"^HEL", [81, 3, b"s"]]) is True
    assert value([71]) is True                                   # key stored
    assert value([70]) == b"\x03vec"                             # set name
    assert value([68]) == -1 and value([69]) == -1               # never expires
    assert value([66]) == 1_700_000_000_000_000_000
    assert value([82, b"zz"]) == 0 and value([82, b"s"]) == 3   # bin types


def test_bin_of_another_type_is_unknown():
    assert unknown([81, 3, b"i"])
    assert unknown([81, 2, b"zz"])


def test_list_call_reads_and_modifies_a_copy():
    size = [127, 2, 0, [16], [81, 4, b"l"]]
    appended = [127, 4, 0x40, [1, 9], [81, 4, b"l"]]
    assert value(size) == 3
    assert value([127, 2, 0, [16], appended]) == 4
    assert cdt.decode(REC.bins["l"][1]) == [1, 2, 3]   # the bin is not changed
    # a result of another type than the call declares is unknown
    assert unknown([127, 3, 0, [16], [81, 4, b"l"]])


def test_comparison_with_an_unordered_map_is_unknown():
    m = cdt.CMap([[b"\x03a", 1], [b"\x03b", 2]])
    assert unknown([1, m, m])
    ordered = cdt.CMap([[b"\x03a", 1], [b"\x03b", 2]], 1)
    assert value([1, ordered, ordered]) is True
