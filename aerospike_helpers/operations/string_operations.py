"""String operations for ``operate`` / ``operate_ordered`` (server 8.2+).

Each function returns the documented op dict. Indexes count Unicode codepoints from the
left, negative ones from the end. ``ctx`` (a list of ``cdt_ctx`` items) reaches a string
nested in a list or map. Modify operations take an optional
:class:`~aerospike_helpers.string_helpers.StringPolicy` (write flags).
:func:`to_string` is its own wire operation and takes no ctx.

Servers before 8.2 (such as 8.1) refuse every string operation with ``InvalidRequest``.
"""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from ..string_helpers import NumericType, RegexFlags, StringPolicy

TypeCTX = list | None
Op = dict[str, Any]


def _op(code: int, bin_name: str, **fields: Any) -> Op:
    return {"op": code, "bin": bin_name, **fields}


# -- reads --------------------------------------------------------------------------------

def strlen(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The number of codepoints of the string (not its UTF-8 bytes)."""
    return _op(as_const._OP_STRING_STRLEN, bin_name, ctx=ctx)


def substr(bin_name: str, start: int, ctx: TypeCTX = None) -> Op:
    """The codepoints from ``start`` to the end."""
    return _op(as_const._OP_STRING_SUBSTR, bin_name, start=start, ctx=ctx)


def substr_range(bin_name: str, start: int, end: int, ctx: TypeCTX = None) -> Op:
    """The codepoints ``start`` (included) to ``end`` (excluded)."""
    return _op(as_const._OP_STRING_SUBSTR_RANGE, bin_name, start=start, end=end, ctx=ctx)


def char_at(bin_name: str, index: int, ctx: TypeCTX = None) -> Op:
    """The codepoint at ``index``, as a one-codepoint string."""
    return _op(as_const._OP_STRING_CHAR_AT, bin_name, index=index, ctx=ctx)


def find(bin_name: str, needle: str, occurrence: int = 1, ctx: TypeCTX = None) -> Op:
    """The codepoint index of the ``occurrence``-th ``needle`` (1 = first), or -1."""
    return _op(as_const._OP_STRING_FIND, bin_name, needle=needle, occurrence=occurrence,
               ctx=ctx)


def contains(bin_name: str, needle: str, ctx: TypeCTX = None) -> Op:
    """True when the string contains ``needle``."""
    return _op(as_const._OP_STRING_CONTAINS, bin_name, needle=needle, ctx=ctx)


def starts_with(bin_name: str, prefix: str, ctx: TypeCTX = None) -> Op:
    """True when the string begins with ``prefix``."""
    return _op(as_const._OP_STRING_STARTS_WITH, bin_name, prefix=prefix, ctx=ctx)


def ends_with(bin_name: str, suffix: str, ctx: TypeCTX = None) -> Op:
    """True when the string ends with ``suffix``."""
    return _op(as_const._OP_STRING_ENDS_WITH, bin_name, suffix=suffix, ctx=ctx)


def to_integer(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The string read as an integer."""
    return _op(as_const._OP_STRING_TO_INTEGER, bin_name, ctx=ctx)


def to_double(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The string read as a float."""
    return _op(as_const._OP_STRING_TO_DOUBLE, bin_name, ctx=ctx)


def byte_length(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The number of UTF-8 bytes of the string."""
    return _op(as_const._OP_STRING_BYTE_LENGTH, bin_name, ctx=ctx)


def is_numeric(bin_name: str, numeric_type: NumericType = NumericType.ANY,
               ctx: TypeCTX = None) -> Op:
    """True when the string is a number of the given kind."""
    return _op(as_const._OP_STRING_IS_NUMERIC, bin_name, numeric_type=numeric_type, ctx=ctx)


def is_upper(bin_name: str, ctx: TypeCTX = None) -> Op:
    """True when every cased codepoint is upper case."""
    return _op(as_const._OP_STRING_IS_UPPER, bin_name, ctx=ctx)


def is_lower(bin_name: str, ctx: TypeCTX = None) -> Op:
    """True when every cased codepoint is lower case."""
    return _op(as_const._OP_STRING_IS_LOWER, bin_name, ctx=ctx)


def to_blob(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The string's UTF-8 bytes, as a blob."""
    return _op(as_const._OP_STRING_TO_BLOB, bin_name, ctx=ctx)


def split(bin_name: str, ctx: TypeCTX = None) -> Op:
    """A list of the string's codepoints."""
    return _op(as_const._OP_STRING_SPLIT, bin_name, ctx=ctx)


def split_separator(bin_name: str, separator: str, ctx: TypeCTX = None) -> Op:
    """The parts between ``separator`` s (the whole string when it does not occur)."""
    return _op(as_const._OP_STRING_SPLIT_SEPARATOR, bin_name, separator=separator, ctx=ctx)


def base64_decode(bin_name: str, ctx: TypeCTX = None) -> Op:
    """The bytes the base64 text of the string decodes to, as a blob."""
    return _op(as_const._OP_STRING_B64_DECODE, bin_name, ctx=ctx)


def regex_compare(bin_name: str, pattern: str, regex_flags: RegexFlags = RegexFlags.DEFAULT,
                  ctx: TypeCTX = None) -> Op:
    """True when the (ICU) regular expression ``pattern`` matches the string."""
    return _op(as_const._OP_STRING_REGEX_COMPARE, bin_name, pattern=pattern,
               regex_flags=regex_flags, ctx=ctx)


def to_string(bin_name: str) -> Op:
    """The bin's integer, float, bool, string or blob value as a string."""
    return _op(as_const._OP_STRING_TO_STRING, bin_name)


# -- modifies -----------------------------------------------------------------------------

def insert(bin_name: str, index: int, value: str, policy: StringPolicy | None = None,
           ctx: TypeCTX = None) -> Op:
    """Insert ``value`` before codepoint ``index`` (creates a missing bin)."""
    return _op(as_const._OP_STRING_INSERT, bin_name, index=index, value=value, policy=policy,
               ctx=ctx)


def overwrite(bin_name: str, index: int, value: str, policy: StringPolicy | None = None,
              ctx: TypeCTX = None) -> Op:
    """Overwrite the codepoints from ``index`` on with ``value`` (may grow the string)."""
    return _op(as_const._OP_STRING_OVERWRITE, bin_name, index=index, value=value,
               policy=policy, ctx=ctx)


def append(bin_name: str, value: str, policy: StringPolicy | None = None,
           ctx: TypeCTX = None) -> Op:
    """Add ``value`` at the end (creates a missing bin)."""
    return _op(as_const._OP_STRING_APPEND, bin_name, value=value, policy=policy, ctx=ctx)


def prepend(bin_name: str, value: str, policy: StringPolicy | None = None,
            ctx: TypeCTX = None) -> Op:
    """Add ``value`` at the start (creates a missing bin)."""
    return _op(as_const._OP_STRING_PREPEND, bin_name, value=value, policy=policy, ctx=ctx)


def concat(bin_name: str, value_list: list[str], policy: StringPolicy | None = None,
           ctx: TypeCTX = None) -> Op:
    """Add each string of ``value_list`` at the end, in order (creates a missing bin)."""
    return _op(as_const._OP_STRING_CONCAT, bin_name, value_list=value_list, policy=policy,
               ctx=ctx)


def snip(bin_name: str, start: int, end: int | None = None,
         policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Remove codepoints ``start`` (included) to ``end`` (excluded; None: to the end, and
    then the policy is not sent)."""
    return _op(as_const._OP_STRING_SNIP, bin_name, start=start, end=end, policy=policy,
               ctx=ctx)


def replace(bin_name: str, needle: str, replacement: str, policy: StringPolicy | None = None,
            ctx: TypeCTX = None) -> Op:
    """Replace the first ``needle`` with ``replacement``."""
    return _op(as_const._OP_STRING_REPLACE, bin_name, needle=needle, replacement=replacement,
               policy=policy, ctx=ctx)


def replace_all(bin_name: str, needle: str, replacement: str,
                policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Replace every ``needle`` with ``replacement``."""
    return _op(as_const._OP_STRING_REPLACE_ALL, bin_name, needle=needle,
               replacement=replacement, policy=policy, ctx=ctx)


def upper(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Upper-case the string in place."""
    return _op(as_const._OP_STRING_UPPER, bin_name, policy=policy, ctx=ctx)


def lower(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Lower-case the string in place."""
    return _op(as_const._OP_STRING_LOWER, bin_name, policy=policy, ctx=ctx)


def casefold(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Case-fold the string in place (locale independent)."""
    return _op(as_const._OP_STRING_CASE_FOLD, bin_name, policy=policy, ctx=ctx)


def normalize_nfc(bin_name: str, policy: StringPolicy | None = None,
                  ctx: TypeCTX = None) -> Op:
    """Normalize the string to Unicode NFC in place."""
    return _op(as_const._OP_STRING_NORMALIZE_NFC, bin_name, policy=policy, ctx=ctx)


def trim_start(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Remove leading white space."""
    return _op(as_const._OP_STRING_TRIM_START, bin_name, policy=policy, ctx=ctx)


def trim_end(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Remove trailing white space."""
    return _op(as_const._OP_STRING_TRIM_END, bin_name, policy=policy, ctx=ctx)


def trim(bin_name: str, policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Remove leading and trailing white space."""
    return _op(as_const._OP_STRING_TRIM, bin_name, policy=policy, ctx=ctx)


def pad_start(bin_name: str, target_length: int, pad_string: str,
              policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Prepend ``pad_string`` until the string is ``target_length`` codepoints long."""
    return {"op": as_const._OP_STRING_PAD_START, "target_length": target_length,
            "pad_string": pad_string, "bin": bin_name, "policy": policy, "ctx": ctx}


def pad_end(bin_name: str, target_length: int, pad_string: str,
            policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Append ``pad_string`` until the string is ``target_length`` codepoints long."""
    return {"op": as_const._OP_STRING_PAD_END, "target_length": target_length,
            "pad_string": pad_string, "bin": bin_name, "policy": policy, "ctx": ctx}


def repeat(bin_name: str, count: int, policy: StringPolicy | None = None,
           ctx: TypeCTX = None) -> Op:
    """Repeat the string ``count`` times."""
    return _op(as_const._OP_STRING_REPEAT, bin_name, count=count, policy=policy, ctx=ctx)


def regex_replace(bin_name: str, pattern: str, replacement: str,
                  regex_flags: RegexFlags = RegexFlags.DEFAULT,
                  policy: StringPolicy | None = None, ctx: TypeCTX = None) -> Op:
    """Replace the first match of ``pattern`` (every match with ``RegexFlags.GLOBAL``);
    the policy is not sent (the server takes regex flags here)."""
    return _op(as_const._OP_STRING_REGEX_REPLACE, bin_name, pattern=pattern,
               replacement=replacement, regex_flags=regex_flags, policy=policy, ctx=ctx)


__all__ = [
    "append", "base64_decode", "byte_length", "casefold", "char_at", "concat", "contains",
    "ends_with", "find", "insert", "is_lower", "is_numeric", "is_upper", "lower",
    "normalize_nfc", "overwrite", "pad_end", "pad_start", "prepend", "regex_compare",
    "regex_replace", "repeat", "replace", "replace_all", "snip", "split", "split_separator",
    "starts_with", "strlen", "substr", "substr_range", "to_blob", "to_double", "to_integer",
    "to_string", "trim", "trim_end", "trim_start", "upper",
]
