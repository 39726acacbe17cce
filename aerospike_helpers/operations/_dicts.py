"""Small builders shared by the operation modules (private)."""

from __future__ import annotations

from typing import Any


def op(code: int, bin_name: str, **fields: Any) -> dict[str, Any]:
    """``{"op": code, "bin": bin_name, **fields}`` in that key order."""
    return {"op": code, "bin": bin_name, **fields}


def put_if(d: dict[str, Any], key: str, value: Any, present: bool) -> dict[str, Any]:
    """Add ``key: value`` to ``d`` when ``present``; return ``d``."""
    if present:
        d[key] = value
    return d
