"""String expressions: read or modify (a copy of) a string inside an expression.

They mirror :mod:`aerospike_helpers.operations.string_operations` and need a server with
string operations (8.2+; an older server answers InvalidRequest). ``bin`` is a bin name
(read as a string bin) or an expression producing a string -- to reach a string nested in
a list or map, pass a ``ListGetByIndex``/``MapGetByKey`` expression. Indexes count UTF-8
characters (code points) and may be negative (from the end). The modifying builders never
touch the stored record: they evaluate to the modified string (``policy``: a
:class:`StringPolicy`, or None for the default flags), which ``expression_write`` may store.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from ..string_helpers import NumericType, RegexFlags, StringPolicy
from .base import StrBin
from .resources import TypeBinName, _BaseExpr, _Keys

__all__ = [
    "Append", "Base64Decode", "ByteLength", "CaseFold", "CharAt", "Concat", "Contains",
    "EndsWith", "Find", "Insert", "IsLower", "IsNumeric", "IsUpper", "Lower", "NormalizeNFC",
    "NumericType", "Overwrite", "PadEnd", "PadStart", "Prepend", "RegexCompare", "RegexFlags",
    "RegexReplace", "Repeat", "Replace", "ReplaceAll", "Snip", "Split", "SplitSeparator",
    "StartsWith", "StrLen", "StringPolicy", "SubStr", "SubStrRange", "ToBlob", "ToDouble",
    "ToInteger", "ToString", "Trim", "TrimEnd", "TrimStart", "Upper",
]

_POLICY = as_const._STR_EXP_POLICY_KEY


def _str(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else StrBin(bin)


class _StrExpr(_BaseExpr):
    """One string call on ``bin``, its arguments in ``_fixed`` (the official keys)."""

    def __init__(self, bin: TypeBinName, **fixed: Any) -> None:
        if fixed:
            self._fixed = fixed
        self._children = (_str(bin),)


class _WriteOp(_StrExpr):
    def __init__(self, policy: StringPolicy | None, bin: TypeBinName, **fixed: Any) -> None:
        super().__init__(bin, **{_POLICY: policy}, **fixed)


# -- reads ---------------------------------------------------------------------------------
class StrLen(_StrExpr):
    """The number of characters (code points) of the string (integer)."""

    _op = as_const._OP_STRING_STRLEN

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class SubStr(_StrExpr):
    """The characters from ``start`` (negative: from the end) to the end of the string."""

    _op = as_const._OP_STRING_SUBSTR

    def __init__(self, start: int, bin: TypeBinName) -> None:
        super().__init__(bin, start=start)


class SubStrRange(_StrExpr):
    """The characters from ``start`` (inclusive) to ``end`` (exclusive); both may be negative."""

    _op = as_const._OP_STRING_SUBSTR_RANGE

    def __init__(self, start: int, end: int, bin: TypeBinName) -> None:
        super().__init__(bin, start=start, end=end)


class CharAt(_StrExpr):
    """The character at ``index`` (negative: from the end), as a one-character string."""

    _op = as_const._OP_STRING_CHAR_AT

    def __init__(self, index: int, bin: TypeBinName) -> None:
        super().__init__(bin, index=index)


class Find(_StrExpr):
    """The character index of the ``occurrence``-th ``needle`` (1: the first, -1: the
    last), -1 when there is none (integer)."""

    _op = as_const._OP_STRING_FIND

    def __init__(self, needle: str, occurrence: int, bin: TypeBinName) -> None:
        super().__init__(bin, needle=needle, occurrence=occurrence)


class Contains(_StrExpr):
    """Whether the string contains ``needle`` (boolean)."""

    _op = as_const._OP_STRING_CONTAINS

    def __init__(self, needle: str, bin: TypeBinName) -> None:
        super().__init__(bin, needle=needle)


class StartsWith(_StrExpr):
    """Whether the string starts with ``prefix`` (boolean)."""

    _op = as_const._OP_STRING_STARTS_WITH

    def __init__(self, prefix: str, bin: TypeBinName) -> None:
        super().__init__(bin, prefix=prefix)


class EndsWith(_StrExpr):
    """Whether the string ends with ``suffix`` (boolean)."""

    _op = as_const._OP_STRING_ENDS_WITH

    def __init__(self, suffix: str, bin: TypeBinName) -> None:
        super().__init__(bin, suffix=suffix)


class ToInteger(_StrExpr):
    """The string parsed as a 64-bit integer (unknown when it is not one)."""

    _op = as_const._OP_STRING_TO_INTEGER

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class ToDouble(_StrExpr):
    """The string parsed as a float (unknown when it is not one)."""

    _op = as_const._OP_STRING_TO_DOUBLE

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class ByteLength(_StrExpr):
    """The number of bytes of the string's UTF-8 (integer)."""

    _op = as_const._OP_STRING_BYTE_LENGTH

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class IsNumeric(_StrExpr):
    """Whether the string is a number of the :class:`NumericType` (boolean)."""

    _op = as_const._OP_STRING_IS_NUMERIC

    def __init__(self, numeric_type: NumericType, bin: TypeBinName) -> None:
        super().__init__(bin, numeric_type=numeric_type)


class IsUpper(_StrExpr):
    """Whether the string has cased characters, all of them upper case (boolean)."""

    _op = as_const._OP_STRING_IS_UPPER

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class IsLower(_StrExpr):
    """Whether the string has cased characters, all of them lower case (boolean)."""

    _op = as_const._OP_STRING_IS_LOWER

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class ToBlob(_StrExpr):
    """The string's UTF-8 bytes (blob)."""

    _op = as_const._OP_STRING_TO_BLOB

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class Split(_StrExpr):
    """The list of the string's characters."""

    _op = as_const._OP_STRING_SPLIT

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class SplitSeparator(_StrExpr):
    """The list of the parts of the string between occurrences of ``separator``."""

    _op = as_const._OP_STRING_SPLIT_SEPARATOR

    def __init__(self, separator: str, bin: TypeBinName) -> None:
        super().__init__(bin, separator=separator)


class Base64Decode(_StrExpr):
    """The bytes the base64 string encodes (blob; unknown when it is not base64)."""

    _op = as_const._OP_STRING_B64_DECODE

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


class RegexCompare(_StrExpr):
    """Whether ``pattern`` matches somewhere in the string, with :class:`RegexFlags`
    (boolean)."""

    _op = as_const._OP_STRING_REGEX_COMPARE

    def __init__(self, pattern: str, bin: TypeBinName,
                 regex_flags: RegexFlags = RegexFlags.DEFAULT) -> None:
        super().__init__(bin, pattern=pattern, regex_flags=regex_flags)


class ToString(_StrExpr):
    """The string form of an integer, float, string, boolean or blob (blob: its bytes as
    UTF-8). A bin name is read as a string bin."""

    _op = as_const._OP_STRING_TO_STRING

    def __init__(self, bin: TypeBinName) -> None:
        super().__init__(bin)


# -- modifies --------------------------------------------------------------------------------
class Insert(_WriteOp):
    """The string with ``value`` inserted before character ``index``."""

    _op = as_const._OP_STRING_INSERT

    def __init__(self, policy: StringPolicy | None, index: int, value: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, index=index, **{_Keys.VALUE_KEY: value})


class Overwrite(_WriteOp):
    """The string with ``value`` written over the characters from ``index`` (extending it
    if needed)."""

    _op = as_const._OP_STRING_OVERWRITE

    def __init__(self, policy: StringPolicy | None, index: int, value: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, index=index, **{_Keys.VALUE_KEY: value})


class Append(_WriteOp):
    """The string followed by ``value``."""

    _op = as_const._OP_STRING_APPEND

    def __init__(self, policy: StringPolicy | None, value: str, bin: TypeBinName) -> None:
        super().__init__(policy, bin, **{_Keys.VALUE_KEY: value})


class Prepend(_WriteOp):
    """``value`` followed by the string."""

    _op = as_const._OP_STRING_PREPEND

    def __init__(self, policy: StringPolicy | None, value: str, bin: TypeBinName) -> None:
        super().__init__(policy, bin, **{_Keys.VALUE_KEY: value})


class Concat(_WriteOp):
    """The string followed by each string of ``values``."""

    _op = as_const._OP_STRING_CONCAT

    def __init__(self, policy: StringPolicy | None, values: list[str],
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, **{_Keys.VALUE_KEY: values})


class Snip(_WriteOp):
    """The string without the characters from ``start`` to ``end`` (exclusive; None: to
    the end of the string, and then ``policy`` is not sent)."""

    def __init__(self, policy: StringPolicy | None, start: int, end: int | None,
                 bin: TypeBinName) -> None:
        self._op = (as_const._OP_STRING_SNIP if end is not None
                    else as_const._OP_STRING_SNIP_START)
        super().__init__(policy, bin, start=start, end=end)


class Replace(_WriteOp):
    """The string with its first ``needle`` replaced by ``replacement``."""

    _op = as_const._OP_STRING_REPLACE

    def __init__(self, policy: StringPolicy | None, needle: str, replacement: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, needle=needle, replacement=replacement)


class ReplaceAll(_WriteOp):
    """The string with every ``needle`` replaced by ``replacement``."""

    _op = as_const._OP_STRING_REPLACE_ALL

    def __init__(self, policy: StringPolicy | None, needle: str, replacement: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, needle=needle, replacement=replacement)


class Upper(_WriteOp):
    """The string in upper case."""

    _op = as_const._OP_STRING_UPPER

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class Lower(_WriteOp):
    """The string in lower case."""

    _op = as_const._OP_STRING_LOWER

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class CaseFold(_WriteOp):
    """The string case-folded (for caseless comparison)."""

    _op = as_const._OP_STRING_CASE_FOLD

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class NormalizeNFC(_WriteOp):
    """The string in Unicode normalization form C."""

    _op = as_const._OP_STRING_NORMALIZE_NFC

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class TrimStart(_WriteOp):
    """The string without its leading white space."""

    _op = as_const._OP_STRING_TRIM_START

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class TrimEnd(_WriteOp):
    """The string without its trailing white space."""

    _op = as_const._OP_STRING_TRIM_END

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class Trim(_WriteOp):
    """The string without its leading and trailing white space."""

    _op = as_const._OP_STRING_TRIM

    def __init__(self, policy: StringPolicy | None, bin: TypeBinName) -> None:
        super().__init__(policy, bin)


class PadStart(_WriteOp):
    """The string preceded by repetitions of ``pad_string`` up to ``target_length``
    characters."""

    _op = as_const._OP_STRING_PAD_START

    def __init__(self, policy: StringPolicy | None, target_length: int, pad_string: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, target_length=target_length, pad_string=pad_string)


class PadEnd(_WriteOp):
    """The string followed by repetitions of ``pad_string`` up to ``target_length``
    characters."""

    _op = as_const._OP_STRING_PAD_END

    def __init__(self, policy: StringPolicy | None, target_length: int, pad_string: str,
                 bin: TypeBinName) -> None:
        super().__init__(policy, bin, target_length=target_length, pad_string=pad_string)


class Repeat(_WriteOp):
    """The string repeated ``count`` times."""

    _op = as_const._OP_STRING_REPEAT

    def __init__(self, policy: StringPolicy | None, count: int, bin: TypeBinName) -> None:
        super().__init__(policy, bin, count=count)


class RegexReplace(_WriteOp):
    """The string with the first match of ``pattern`` (every match with
    ``RegexFlags.GLOBAL``) replaced by ``replacement``."""

    _op = as_const._OP_STRING_REGEX_REPLACE

    def __init__(self, policy: StringPolicy | None, pattern: str, replacement: str,
                 regex_flags: RegexFlags, bin: TypeBinName) -> None:
        super().__init__(policy, bin, pattern=pattern, replacement=replacement,
                         regex_flags=regex_flags)
