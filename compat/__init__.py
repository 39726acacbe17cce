"""``aerospike``: the documented synchronous API of the official Python client,
running on the asyncio core of ``aerospike_async``.

    import aerospike
    client = aerospike.client({"hosts": [("127.0.0.1", 3000)]})
    client.put(("test", "demo", 1), {"name": "Ada"})
    key, meta, bins = client.get(("test", "demo", 1))
    client.close()
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from aerospike_async.constants import *  # noqa: F401,F403
from aerospike_async._txn import Transaction
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.digest import compute_digest, partition_id
from aerospike_async import _serializers
from aerospike_async.types import (CDTInfinite, CDTWildcard, GeoJSON, HyperLogLog,
                                   KeyOrderedDict, geodata, geojson, null)

from . import exception, predicates
from .client import Client
from .query import Query
from .scan import Scan

__version__ = "0.1.0"


def client(config: dict[str, Any]) -> Client:
    """Build a client from ``config`` and connect it to the cluster."""
    return Client(config).connect()


def calc_digest(ns: str, set: str, key: str | int | bytearray) -> bytearray:
    """The 20-byte digest the server files the record ``(ns, set, key)`` under."""
    if not isinstance(ns, str):
        raise ParamError(-2, "Namespace should be a string", None, None, False)
    if not isinstance(set, str):
        raise ParamError(-2, "Set should be a string", None, None, False)
    if isinstance(key, bool) or not isinstance(key, (str, int, bytearray)):
        raise TypeError("Key is invalid")
    if isinstance(key, bytearray) and not key:
        raise ParamError(-2, "Byte array size cannot be 0", None, None, False)
    if isinstance(key, int) and not -(1 << 63) <= key < (1 << 63):
        raise ParamError(-2, "integer value for KEY exceeds sys.maxsize", None, None, False)
    return bytearray(compute_digest(set, key))


def get_partition_id(digest: bytes | bytearray) -> int:
    """The partition (0..4095) a digest belongs to."""
    if not isinstance(digest, (bytes, bytearray)) or len(digest) != 20:
        raise ParamError(-2, "digest is invalid", None, None, False)
    return partition_id(bytes(digest))


def set_serializer(function: Callable[[Any], str]) -> int:
    """Register the module-wide serializer: ``put(..., serializer=SERIALIZER_USER)``
    hands it each bin value of a type Aerospike lacks; it returns a str, stored as a
    generic blob (a client's config ``serialization`` serializer takes precedence)."""
    return _serializers.set_serializer(function)


def set_deserializer(function: Callable[[str], Any]) -> int:
    """Register the module-wide deserializer: reads hand it every generic blob (as a
    str) and return what it gives back, or the bytes when it raises."""
    return _serializers.set_deserializer(function)


def unset_serializers() -> int:
    """Forget the module-wide serializer and deserializer."""
    return _serializers.unset_serializers()


_LOG_LEVELS = {-1: logging.CRITICAL + 10, 0: logging.ERROR, 1: logging.WARNING,
               2: logging.INFO, 3: logging.DEBUG, 4: logging.DEBUG}
_log = logging.getLogger("aerospike_async")


def set_log_level(log_level: int) -> None:
    """Set how much the client logs (``LOG_LEVEL_*``)."""
    if not isinstance(log_level, int):
        raise ParamError(-2, "Invalid log level", None, None, False)
    _log.setLevel(_LOG_LEVELS.get(log_level, logging.DEBUG))


def set_log_handler(callback: Callable[..., Any] | None = None) -> None:
    """Send the client's log records to ``callback(level, func, path, line, msg)``."""
    for handler in list(_log.handlers):
        if getattr(handler, "_aerospike_callback", False):
            _log.removeHandler(handler)
    if callback is None:
        return
    emit_to: Callable[..., Any] = callback

    class _Handler(logging.Handler):
        _aerospike_callback = True

        def emit(self, record: logging.LogRecord) -> None:
            emit_to(record.levelno, record.funcName, record.pathname, record.lineno,
                     record.getMessage())
    _log.addHandler(_Handler())


__all__ = [name for name in dir() if name.isupper()] + [
    "Client", "Query", "Scan", "client", "calc_digest", "get_partition_id", "exception", "predicates", "GeoJSON",
    "geodata", "geojson", "KeyOrderedDict", "HyperLogLog", "null", "CDTWildcard",
    "CDTInfinite", "set_log_level", "set_log_handler",
    "set_serializer", "set_deserializer", "unset_serializers", "Transaction"]


def __dir__() -> list[str]:
    """The module's API and its dunders, not the names it imports for its own use."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
