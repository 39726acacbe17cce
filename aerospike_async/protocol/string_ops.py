"""Encoding the string operations (``aerospike_helpers.operations.string_operations``).

A string operation travels as wire op 17 (read) or 18 (modify) whose value, typed as a
string particle, is the msgpack list ``[command, args...]`` -- wrapped as
``[0xff, ctx, [command, args...]]`` when a context reaches a nested string. Strings
inside carry the string type byte, as everywhere in the collection dialect. Modify
commands end with the policy's write flags (regex_replace: regex flags, then write
flags). ``to_string`` is wire op 19 with no value. The command answers every operation
(respond-all-ops). Command numbers follow the C client's ``as_string_operations.c``; the
bytes were checked against what the official 19.3 client sends for every builder.
Server 8.1 refuses them all (InvalidRequest).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import constants as C
from .cdt import pack
from .cdt_ops import CTX_WRAPPER, _perr, op_bin, pack_ctx
from .record import op_header

OP_STRING_READ = 17
OP_STRING_MODIFY = 18
OP_TO_STRING = 19
_PARTICLE_STRING = 3

# command numbers (server and C client)
STRLEN, SUBSTR, CHAR_AT, FIND, CONTAINS, STARTS_WITH, ENDS_WITH = 0, 1, 2, 3, 4, 5, 6
TO_INTEGER, TO_DOUBLE, BYTE_LENGTH, IS_NUMERIC, IS_UPPER, IS_LOWER = 7, 8, 9, 10, 11, 12
TO_BLOB, SPLIT, B64_DECODE, REGEX_COMPARE = 13, 14, 15, 16
INSERT, OVERWRITE, CONCAT, SNIP, REPLACE, REPLACE_ALL = 50, 51, 52, 53, 54, 55
UPPER, LOWER, CASE_FOLD, NORMALIZE_NFC, TRIM_START, TRIM_END, TRIM = 56, 57, 58, 59, 60, 61, 62
PAD_START, PAD_END, REPEAT, REGEX_REPLACE, APPEND, PREPEND = 63, 64, 65, 66, 67, 68


def _int(op: dict, key: str) -> int:
    v = op.get(key)
    if not isinstance(v, int) or isinstance(v, bool):
        raise _perr(f"{key} must be an integer")
    return int(v)


def _str(op: dict, key: str) -> str:
    v = op.get(key)
    if not isinstance(v, str):
        raise _perr(f"{key} must be a string")
    if "\x00" in v:
        raise _perr(f"{key} must not contain NUL characters")
    return v


def _flags(op: dict) -> int:
    policy = op.get("policy")
    if policy is None:
        return 0
    flags = getattr(policy, "write_flags", None)
    if flags is None and isinstance(policy, dict):
        flags = policy.get("write_flags", 0)
    if not isinstance(flags, int) or isinstance(flags, bool):
        raise _perr("string policy write_flags must be an integer")
    return int(flags)


def _encode(op: dict, wire_op: int, command: int, args: list[Any]) -> tuple[bytes, bool]:
    name = op_bin(op)
    ctx = op.get("ctx")
    items = [pack(command)] + [pack(a) for a in args]
    value = bytes([0x90 | len(items)]) + b"".join(items)  # at most 5 items
    if ctx:
        value = b"\x93" + pack(CTX_WRAPPER) + pack_ctx(ctx)[0] + value
    return op_header(wire_op, _PARTICLE_STRING, name, len(value)) + value, wire_op == OP_STRING_READ


def _read(command: int, args: Callable[[dict], list[Any]] = lambda op: []
          ) -> Callable[[dict], tuple[bytes, bool]]:
    return lambda op: _encode(op, OP_STRING_READ, command, args(op))


def _modify(command: int, args: Callable[[dict], list[Any]] = lambda op: []
            ) -> Callable[[dict], tuple[bytes, bool]]:
    return lambda op: _encode(op, OP_STRING_MODIFY, command, args(op) + [_flags(op)])


def _concat(op: dict) -> tuple[bytes, bool]:
    values = op.get("value_list")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _perr("value_list must be a list of strings")
    return _encode(op, OP_STRING_MODIFY, CONCAT, [values, _flags(op)])


def _snip(op: dict) -> tuple[bytes, bool]:
    if op.get("end") is None:  # to the end of the string: no room for flags
        return _encode(op, OP_STRING_MODIFY, SNIP, [_int(op, "start")])
    return _encode(op, OP_STRING_MODIFY, SNIP, [_int(op, "start"), _int(op, "end"), _flags(op)])


def _regex_replace(op: dict) -> tuple[bytes, bool]:
    return _encode(op, OP_STRING_MODIFY, REGEX_REPLACE,
                   [[_str(op, "pattern"), _str(op, "replacement")], _int(op, "regex_flags"),
                    _flags(op)])


def _to_string(op: dict) -> tuple[bytes, bool]:
    return op_header(OP_TO_STRING, 0, op_bin(op), 0), True


STRING_ENCODERS: dict[int, Callable[[dict], tuple[bytes, bool]]] = {
    C._OP_STRING_STRLEN: _read(STRLEN),
    C._OP_STRING_SUBSTR: _read(SUBSTR, lambda op: [_int(op, "start")]),
    C._OP_STRING_SUBSTR_RANGE: _read(SUBSTR, lambda op: [_int(op, "start"), _int(op, "end")]),
    C._OP_STRING_CHAR_AT: _read(CHAR_AT, lambda op: [_int(op, "index")]),
    C._OP_STRING_FIND: _read(FIND, lambda op: [_str(op, "needle"), _int(op, "occurrence")]),
    C._OP_STRING_CONTAINS: _read(CONTAINS, lambda op: [_str(op, "needle")]),
    C._OP_STRING_STARTS_WITH: _read(STARTS_WITH, lambda op: [_str(op, "prefix")]),
    C._OP_STRING_ENDS_WITH: _read(ENDS_WITH, lambda op: [_str(op, "suffix")]),
    C._OP_STRING_TO_INTEGER: _read(TO_INTEGER),
    C._OP_STRING_TO_DOUBLE: _read(TO_DOUBLE),
    C._OP_STRING_BYTE_LENGTH: _read(BYTE_LENGTH),
    C._OP_STRING_IS_NUMERIC: _read(IS_NUMERIC, lambda op: [_int(op, "numeric_type")]),
    C._OP_STRING_IS_UPPER: _read(IS_UPPER),
    C._OP_STRING_IS_LOWER: _read(IS_LOWER),
    C._OP_STRING_TO_BLOB: _read(TO_BLOB),
    C._OP_STRING_SPLIT: _read(SPLIT),
    C._OP_STRING_SPLIT_SEPARATOR: _read(SPLIT, lambda op: [_str(op, "separator")]),
    C._OP_STRING_B64_DECODE: _read(B64_DECODE),
    C._OP_STRING_REGEX_COMPARE: _read(REGEX_COMPARE,
                                      lambda op: [_str(op, "pattern"), _int(op, "regex_flags")]),
    C._OP_STRING_TO_STRING: _to_string,
    C._OP_STRING_INSERT: _modify(INSERT, lambda op: [_int(op, "index"), _str(op, "value")]),
    C._OP_STRING_OVERWRITE: _modify(OVERWRITE,
                                    lambda op: [_int(op, "index"), _str(op, "value")]),
    C._OP_STRING_APPEND: _modify(APPEND, lambda op: [_str(op, "value")]),
    C._OP_STRING_PREPEND: _modify(PREPEND, lambda op: [_str(op, "value")]),
    C._OP_STRING_CONCAT: _concat,
    C._OP_STRING_SNIP: _snip,
    C._OP_STRING_REPLACE: _modify(
        REPLACE, lambda op: [[_str(op, "needle"), _str(op, "replacement")]]),
    C._OP_STRING_REPLACE_ALL: _modify(
        REPLACE_ALL, lambda op: [[_str(op, "needle"), _str(op, "replacement")]]),
    C._OP_STRING_UPPER: _modify(UPPER),
    C._OP_STRING_LOWER: _modify(LOWER),
    C._OP_STRING_CASE_FOLD: _modify(CASE_FOLD),
    C._OP_STRING_NORMALIZE_NFC: _modify(NORMALIZE_NFC),
    C._OP_STRING_TRIM_START: _modify(TRIM_START),
    C._OP_STRING_TRIM_END: _modify(TRIM_END),
    C._OP_STRING_TRIM: _modify(TRIM),
    C._OP_STRING_PAD_START: _modify(
        PAD_START, lambda op: [_int(op, "target_length"), _str(op, "pad_string")]),
    C._OP_STRING_PAD_END: _modify(
        PAD_END, lambda op: [_int(op, "target_length"), _str(op, "pad_string")]),
    C._OP_STRING_REPEAT: _modify(REPEAT, lambda op: [_int(op, "count")]),
    C._OP_STRING_REGEX_REPLACE: _regex_replace,
}
"""Documented string op code -> encoder returning (wire bytes, reads)."""
