"""Dump the public surface of the importable ``aerospike`` and ``aerospike_helpers``.

Run under the official client's venv to (re)build ``official_surface.json``::

    .cache/official-venv/bin/python tests/unit/data/dump_surface.py \\
        > tests/unit/data/official_surface.json

``tests/unit/test_api_surface.py`` imports ``surface()`` to describe ours the same way.
Private names (leading underscore), typing aliases and names a module merely imports
from the standard library are left out.
"""
from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import sys
import types
from typing import Any

_CLASSES = ("Client", "Query", "Scan", "GeoJSON", "KeyOrderedDict", "HyperLogLog",
            "Transaction", "CDTWildcard", "CDTInfinite")
_STDLIB = {"typing", "itertools", "collections", "abc", "enum", "builtins", "functools"}


def _public(obj: Any) -> list[str]:
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def _params(fn: Any) -> list[str] | None:
    """Parameter names, or None where ``inspect.signature`` cannot read them (C code)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    return [p.name for p in sig.parameters.values() if p.name != "self"]


def _is_alias(value: Any) -> bool:
    """A typing construct (``Union[...]``, ``Optional``, ``X | Y``) used as a type alias."""
    return (isinstance(value, types.UnionType)
            or getattr(value, "__module__", None) in _STDLIB
            or hasattr(value, "__origin__"))


def _entry(value: Any) -> dict[str, Any]:
    if inspect.isclass(value):
        init = value.__dict__.get("__init__")
        params = _params(init) if inspect.isfunction(init) else None
        return {"kind": "class", "params": params}
    if callable(value):
        return {"kind": "function", "params": _params(value)}
    if isinstance(value, (bool, int, float, str)):
        return {"kind": type(value).__name__, "value": value}
    return {"kind": type(value).__name__}


def _module_names(module: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _public(module):
        value = getattr(module, name)
        if inspect.ismodule(value) or _is_alias(value):
            continue
        out[name] = _entry(value)
    return out


def _helper_modules() -> list[str]:
    import aerospike_helpers
    names = ["aerospike_helpers"]
    for info in pkgutil.walk_packages(aerospike_helpers.__path__, "aerospike_helpers."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def surface() -> dict[str, Any]:
    """The surface as JSON-ready data."""
    import aerospike
    from aerospike import exception, predicates

    result: dict[str, Any] = {"aerospike": _module_names(aerospike), "exception": {},
                              "predicates": _module_names(predicates), "classes": {},
                              "helpers": {}}
    for name in _public(exception):
        value = getattr(exception, name)
        if inspect.isclass(value) and issubclass(value, BaseException):
            code = getattr(value, "code", None)
            result["exception"][name] = {
                "bases": [b.__name__ for b in value.__bases__],
                "code": code if isinstance(code, int) else None}
    for cls_name in _CLASSES:
        cls = getattr(aerospike, cls_name, None)
        if cls is None:
            continue
        if not inspect.isclass(cls):
            cls = type(cls)
        result["classes"][cls_name] = sorted(
            n for n in _public(cls) if not hasattr(object, n) and
            not (issubclass(cls, (bytes, dict)) and hasattr(bytes if issubclass(cls, bytes)
                                                             else dict, n)))
    for module_name in _helper_modules():
        result["helpers"][module_name] = _module_names(importlib.import_module(module_name))
    return result


if __name__ == "__main__":
    json.dump(surface(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
