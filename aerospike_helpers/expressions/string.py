"""String expressions (newer servers; a server without them answers InvalidRequest)."""

from __future__ import annotations

from typing import Any

from aerospike_async import constants as as_const

from .base import StrBin
from .resources import TypeBinName, _BaseExpr

__all__ = ["StrLen"]


def _str(bin: Any) -> Any:
    return bin if isinstance(bin, _BaseExpr) else StrBin(bin)


class StrLen(_BaseExpr):
    """The number of characters of the string."""

    _op = as_const._OP_STRING_STRLEN

    def __init__(self, bin: TypeBinName) -> None:
        self._children = (_str(bin),)
