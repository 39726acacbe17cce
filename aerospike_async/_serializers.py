"""Module-wide user serializers (``aerospike.set_serializer`` and friends), as the
official client keeps them: one serializer and one deserializer for every client.

A client's config ``serialization`` serializer also serves the values without an Aerospike
type in operate()'s operations and in single-record commands' filter expressions (the
module-wide one does not), as in 19.3. Known differences from 19.3: batch, scan and query
do not use it there; the official client stops using it on a client after a put() given
a ``serializer`` argument, until its next put() without one (an accident of its state
keeping, not copied); and a config deserializer applies to get/select/exists/operate but
not to batch, scan or query reads (the module-wide one applies to all)."""
from __future__ import annotations

from typing import Any, Callable

from .exceptions import ParamError
from .protocol.particles import enable_blob_hook, hooks


def _callable(function: Any) -> Callable[[Any], Any]:
    if not callable(function):
        raise ParamError(-2, "Parameter must be a callable", None, None, False)
    return function


def set_serializer(function: Callable[[Any], str]) -> int:
    """Register the serializer ``put(..., serializer=SERIALIZER_USER)`` uses for values of
    unsupported types when the client has none of its own."""
    hooks.serializer = _callable(function)
    return 0


def set_deserializer(function: Callable[[str], Any]) -> int:
    """Register the deserializer reads run generic blobs through (as str)."""
    hooks.deserializer = _callable(function)
    enable_blob_hook()
    return 0


def unset_serializers() -> int:
    """Forget both; generic blobs read back as bytes again (unless a client has its own)."""
    hooks.serializer = hooks.deserializer = None
    return 0
