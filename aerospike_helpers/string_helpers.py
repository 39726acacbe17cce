"""Flags and the policy shared by string operations and string expressions."""

from __future__ import annotations

from enum import IntEnum


class RegexFlags(IntEnum):
    """Bit flags of ``regex_compare`` / ``regex_replace`` (combine with ``|``)."""

    DEFAULT = 0
    """No flag."""
    CASE_INSENSITIVE = 1
    """Letters match regardless of case."""
    MULTILINE = 2
    """``^`` and ``$`` match at every line's start and end."""
    DOTALL = 4
    """``.`` also matches line terminators."""
    UNIX_LINES = 8
    """Only ``\\n`` ends a line."""
    GLOBAL = 16
    """``regex_replace`` replaces every match, not only the first."""


class WriteFlags(IntEnum):
    """Write bit flags of a :class:`StringPolicy` (combine with ``|``)."""

    DEFAULT = 0
    """Create or replace; failures are reported."""
    CREATE_ONLY = 1
    """Only when the bin does not exist yet (additive operations only)."""
    UPDATE_ONLY = 2
    """Only when the bin exists; a missing bin is left missing."""
    NO_FAIL = 4
    """A failing operation leaves the bin as it was instead of failing the command."""


class NumericType(IntEnum):
    """What ``is_numeric`` accepts as a number."""

    ANY = 0
    """An integer or a floating-point number."""
    INT = 1
    """Integers only."""
    FLOAT = 2
    """Floating-point numbers only (a ``.`` followed by a digit)."""


class StringPolicy:
    """The policy of a string modify operation: its :class:`WriteFlags`."""

    def __init__(self, write_flags: WriteFlags = WriteFlags.DEFAULT) -> None:
        self.write_flags = write_flags

    def __repr__(self) -> str:
        return f"StringPolicy(write_flags={int(self.write_flags)})"


__all__ = ["NumericType", "RegexFlags", "StringPolicy", "WriteFlags"]
