"""Expression operations for ``operate`` / ``operate_ordered``: evaluate a
compiled expression and return its value in ``bin_name`` (read), or store
it in ``bin_name`` (write)."""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from ._dicts import op

# The documented op-dict key names, public in the official helpers.
BIN_KEY = 'bin'
EXPR_FLAGS_KEY = 'expr_flags'
EXPR_KEY = 'expr'
OP_KEY = 'op'


def expression_read(bin_name: str, expression: list[Any],
                    expression_read_flags: int = 0) -> dict[str, Any]:
    """Return the value of ``expression`` (compiled) under the name ``bin_name``
    (``EXP_READ_*`` flags)."""
    return op(as_const.OP_EXPR_READ, bin_name, expr=expression,
              expr_flags=expression_read_flags)


def expression_write(bin_name: str, expression: list[Any],
                     expression_write_flags: int = 0) -> dict[str, Any]:
    """Write the value of ``expression`` (compiled) to ``bin_name``
    (``EXP_WRITE_*`` flags)."""
    return op(as_const.OP_EXPR_WRITE, bin_name, expr=expression,
              expr_flags=expression_write_flags)
