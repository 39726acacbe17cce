"""The embedded server's string expressions and ListJoin (aerospike_async.testing.expressions),
built with our helpers and encoder: code point indexing, negative and out-of-range
indexes, conversions, regex flags, write flags, and failures that make the value unknown."""
from __future__ import annotations

import struct
from typing import Any

import pytest

from aerospike_async.protocol.expressions import encode_expression
from aerospike_async.testing import cdt, expressions
from aerospike_async.testing.cdt import CList
from aerospike_async.testing.expressions import Context, build, evaluate
from aerospike_helpers import cdt_ctx
from aerospike_helpers import expressions as exp
from aerospike_helpers.string_helpers import NumericType, RegexFlags, StringPolicy, WriteFlags

P = StringPolicy()
NO_FAIL = StringPolicy(WriteFlags.NO_FAIL)



@pytest.fixture(autouse=True)
def server_8_2():
    """These tests evaluate string calls as server 8.2 does (8.1 refuses them)."""
    expressions.enable_string_calls()
    yield
    expressions.enable_string_calls(False)


def test_an_8_1_server_refuses_string_calls_and_list_join():
    expressions.enable_string_calls(False)
    for e in (exp.StrLen("s"), exp.ListJoin(None, "/", "l")):
        with pytest.raises(expressions.BuildError):
            build(encode_expression(e.compile()))

def s(v: str) -> bytes:
    return b"\x03" + v.encode()


BINS: dict[str, Any] = {
    "s": (3, "héllo wörld".encode()), "a": (3, b"Hello World"), "n": (3, b"  42 "),
    "i": (1, struct.pack(">q", -17)), "f": (2, struct.pack(">d", 2.5)), "t": (17, b"\x01"),
    "b": (4, b"caf\xc3\xa9"), "e": (3, b""),
    "l": (20, cdt.pack(CList([s("a"), s("b"), s("c")]))),
    "m": (20, cdt.pack(CList([CList([s("x"), s("y")]), 1]))),
    "mixed": (20, cdt.pack(CList([s("a"), 1]))),
}


def value(e: Any, **bins: Any) -> Any:
    data = encode_expression(e.compile())
    stored = dict(BINS)
    stored.update({k: (3, v.encode()) for k, v in bins.items()})
    return evaluate(build(data), Context(stored))


def text(e: Any, **bins: Any) -> str:
    v = value(e, **bins)
    assert isinstance(v, bytes) and v[:1] == b"\x03"
    return v[1:].decode()


def unknown(e: Any, **bins: Any) -> bool:
    try:
        value(e, **bins)
    except expressions._Unknown:
        return True
    return False


def test_lengths_count_code_points_and_bytes():
    assert value(exp.StrLen("s")) == 11
    assert value(exp.ByteLength("s")) == 13
    assert value(exp.StrLen("e")) == 0


@pytest.mark.parametrize("start, end, want", [
    (1, 4, "éll"), (-5, -1, "wörl"), (-100, 2, "hé"), (3, 100, "lo wörld"), (4, 2, ""),
    (11, 12, ""),
])
def test_substr_range_clamps_indexes(start, end, want):
    assert text(exp.SubStrRange(start, end, "s")) == want


def test_substr_and_char_at():
    assert text(exp.SubStr(6, "s")) == "wörld"
    assert text(exp.SubStr(-3, "s")) == "rld"
    assert text(exp.CharAt(1, "s")) == "é"
    assert text(exp.CharAt(-1, "s")) == "d"
    assert text(exp.CharAt(-100, "s")) == "h"       # clamped to the first character
    assert unknown(exp.CharAt(11, "s"))             # past the end: no character


def test_find_occurrences():
    assert value(exp.Find("l", 1, "s")) == 2
    assert value(exp.Find("l", 2, "s")) == 3
    assert value(exp.Find("l", 3, "s")) == 9
    assert value(exp.Find("l", -1, "s")) == 9
    assert value(exp.Find("l", -3, "s")) == 2
    assert value(exp.Find("ö", 1, "s")) == 7        # a character index, not a byte offset
    assert value(exp.Find("z", 1, "s")) == -1
    assert value(exp.Find("aa", 2, "x"), x="aaa") == -1   # matches do not overlap
    assert unknown(exp.Find("l", 0, "s"))           # occurrence must not be 0


def test_predicates():
    assert value(exp.Contains("wö", "s")) is True
    assert value(exp.Contains("x", "s")) is False
    assert value(exp.StartsWith("hé", "s")) is True
    assert value(exp.EndsWith("rld", "s")) is True
    assert value(exp.EndsWith("hé", "s")) is False
    assert value(exp.IsUpper("x"), x="ABC 1") is True
    assert value(exp.IsUpper("x"), x="123") is False   # no cased character
    assert value(exp.IsLower("s")) is True
    assert value(exp.IsLower("a")) is False


@pytest.mark.parametrize("v, any_, int_, float_", [
    ("42", True, True, False), ("-7", True, True, False), ("+3.25", True, False, True),
    ("5.", False, False, False), (".5", True, False, True), ("1e5", False, False, False),
    ("abc", False, False, False), ("", False, False, False), (" 1", False, False, False),
    ("99999999999999999999", False, False, False), ("0000000000000000000000012", True, True,
                                                    False),
])
def test_is_numeric(v, any_, int_, float_):
    assert value(exp.IsNumeric(NumericType.ANY, "x"), x=v) is any_
    assert value(exp.IsNumeric(NumericType.INT, "x"), x=v) is int_
    assert value(exp.IsNumeric(NumericType.FLOAT, "x"), x=v) is float_


def test_conversions_and_their_failures():
    assert value(exp.ToInteger("x"), x="-42") == -42
    assert value(exp.ToInteger("x"), x=" 7") == 7             # strtoll skips leading space
    assert unknown(exp.ToInteger("n"))                        # trailing space
    assert unknown(exp.ToInteger("x"), x="9223372036854775808")
    assert unknown(exp.ToInteger("x"), x="1.5")
    assert value(exp.ToDouble("x"), x="2.5e3") == 2500.0
    assert unknown(exp.ToDouble("x"), x="1e999")              # overflow
    assert unknown(exp.ToDouble("x"), x="abc")
    assert unknown(exp.ToDouble("e"))
    assert value(exp.ToBlob("s")) == b"\x04" + "héllo wörld".encode()
    assert value(exp.Base64Decode("x"), x="aGk=") == b"\x04hi"
    assert unknown(exp.Base64Decode("x"), x="aGk")            # not valid base64


def test_to_string_of_each_type():
    assert text(exp.ToString(exp.IntBin("i"))) == "-17"
    assert text(exp.ToString(exp.FloatBin("f"))) == "2.5"
    assert text(exp.ToString(exp.BoolBin("t"))) == "true"
    assert text(exp.ToString(exp.BlobBin("b"))) == "café"
    assert text(exp.ToString("a")) == "Hello World"


def test_split():
    assert value(exp.Split("x"), x="hé!") == [s("h"), s("é"), s("!")]
    assert value(exp.SplitSeparator(",", "x"), x="a,,b,") == [s("a"), s(""), s("b"), s("")]
    assert value(exp.SplitSeparator("ö", "s")) == [s("héllo w"), s("rld")]


def test_regex_compare_flags():
    assert value(exp.RegexCompare("^h.*d$", "s")) is True
    assert value(exp.RegexCompare("^hello", "a")) is False
    assert value(exp.RegexCompare("^hello", "a", RegexFlags.CASE_INSENSITIVE)) is True
    assert value(exp.RegexCompare("^b$", "x"), x="a\nb") is False
    assert value(exp.RegexCompare("^b$", "x", RegexFlags.MULTILINE), x="a\nb") is True
    assert value(exp.RegexCompare("a.b", "x"), x="a\nb") is False
    assert value(exp.RegexCompare("a.b", "x", RegexFlags.DOTALL), x="a\nb") is True
    assert unknown(exp.RegexCompare("(", "a"))                # invalid pattern


def test_modifies():
    assert text(exp.Insert(P, 1, "X", "s")) == "hXéllo wörld"
    assert text(exp.Insert(P, -1, "X", "s")) == "héllo wörlXd"
    assert text(exp.Insert(P, 99, "!", "s")) == "héllo wörld!"
    assert text(exp.Overwrite(P, 9, "LDS", "s")) == "héllo wörLDS"
    assert unknown(exp.Overwrite(P, 11, "x", "s"))            # index must be in the string
    assert unknown(exp.Overwrite(P, -1, "x", "s"))
    assert text(exp.Append(P, "!", "s")) == "héllo wörld!"
    assert text(exp.Prepend(P, "¡", "s")) == "¡héllo wörld"
    assert text(exp.Concat(P, ["1", "é"], "s")) == "héllo wörld1é"
    assert text(exp.Snip(P, 1, 6, "s")) == "hwörld"
    assert text(exp.Snip(P, -5, None, "s")) == "héllo "
    assert text(exp.Replace(P, "l", "L", "s")) == "héLlo wörld"
    assert text(exp.ReplaceAll(P, "l", "L", "s")) == "héLLo wörLd"
    assert text(exp.Upper(P, "s")) == "HÉLLO WÖRLD"
    assert text(exp.Lower(P, "a")) == "hello world"
    assert text(exp.CaseFold(P, "x"), x="Straße") == "strasse"
    assert text(exp.NormalizeNFC(P, "x"), x="e\u0301") == "é"
    assert text(exp.Trim(P, "n")) == "42"
    assert text(exp.TrimStart(P, "n")) == "42 "
    assert text(exp.TrimEnd(P, "n")) == "  42"
    assert text(exp.Trim(P, "x"), x="\u3000é\xa0") == "é"     # Unicode White_Space
    assert text(exp.PadStart(P, 8, "0", "x"), x="42") == "00000042"
    assert text(exp.PadEnd(P, 7, "ab", "x"), x="xy") == "xyababa"
    assert text(exp.PadStart(P, 1, "0", "x"), x="42") == "42"
    assert text(exp.Repeat(P, 3, "x"), x="ab") == "ababab"
    assert text(exp.Repeat(P, 0, "x"), x="ab") == ""
    assert unknown(exp.Repeat(P, -1, "x"), x="ab")
    assert unknown(exp.PadEnd(P, 5, "", "x"), x="ab")


def test_regex_replace():
    assert text(exp.RegexReplace(P, "l+", "L", RegexFlags.DEFAULT, "s")) == "héLo wörld"
    assert text(exp.RegexReplace(P, "L", "_", RegexFlags.GLOBAL | RegexFlags.CASE_INSENSITIVE,
                                 "s")) == "hé__o wör_d"
    assert text(exp.RegexReplace(P, "(\\w+) (\\w+)", "$2 $1", RegexFlags.DEFAULT, "a")) == \
        "World Hello"


def test_write_flags():
    assert value(exp.Overwrite(NO_FAIL, 50, "x", "s")) == s("héllo wörld")   # unchanged
    assert unknown(exp.Append(StringPolicy(WriteFlags.CREATE_ONLY), "!", "s"))  # it exists
    assert unknown(exp.Upper(StringPolicy(WriteFlags.CREATE_ONLY), "s"))     # not creating
    assert text(exp.Upper(StringPolicy(WriteFlags.UPDATE_ONLY), "a")) == "HELLO WORLD"


def test_nested_and_combined():
    assert value(exp.Eq(exp.StrLen(exp.Upper(P, "s")), 11)) is True
    assert value(exp.ToInteger(exp.Trim(P, "n"))) == 42
    assert text(exp.CharAt(0, exp.ListGetByIndex(None, 7, exp.ResultType.STRING, 1, "l"))) \
        == "b"


def test_non_string_operand_is_rejected_or_unknown():
    with pytest.raises(expressions.BuildError):
        value(exp.StrLen(exp.IntBin("i")))
    assert unknown(exp.StrLen("missing"))
    assert unknown(exp.StrLen("i"))                           # an int bin read as a string


def test_list_join():
    assert text(exp.ListJoin(None, ", ", "l")) == "a, b, c"
    assert text(exp.ListJoin(None, None, "l")) == "abc"
    assert text(exp.ListJoin(None, "-", exp.ListGetByIndexRange(
        None, 7, 0, 0, "l"))) == ""                           # an empty list joins to ""
    assert text(exp.ListJoin([cdt_ctx.cdt_ctx_list_index(0)], "+", "m")) == "x+y"
    assert unknown(exp.ListJoin(None, ",", "mixed"))          # a non-string item
    assert value(exp.StrLen(exp.ListJoin(None, ",", "l"))) == 5
