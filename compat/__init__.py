"""``aerospike``: the documented synchronous API of the official Python client,
running on the asyncio core of ``aerospike_async``.

    import aerospike
    client = aerospike.client({"hosts": [("127.0.0.1", 3000)]})
    client.put(("test", "demo", 1), {"name": "Ada"})
    key, meta, bins = client.get(("test", "demo", 1))
    client.close()
"""
from __future__ import annotations

import itertools
import inspect
import logging
import os
from typing import Any, Callable

from aerospike_async.constants import *  # noqa: F401,F403
from aerospike_async._txn import Transaction
from aerospike_async.dynamic_config import ConfigProvider
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.digest import compute_digest, partition_id
from aerospike_async import _serializers
from aerospike_async.types import (CDTInfinite, CDTWildcard, GeoJSON, HyperLogLog,
                                   KeyOrderedDict, geodata, geojson, null)

from . import exception, predicates
from ._arguments import official_arguments
from .client import _NO_CONFIG, Client
from .query import Query
from .scan import Scan

__version__ = "0.1.0"

# Each method names its class in __objclass__, as the official client's (built-in)
# methods do: code that dispatches on ``aerospike.Client.get.__objclass__`` works.
for _cls in (Client, Query, Scan):
    for _fn in vars(_cls).values():
        if inspect.isfunction(_fn):
            _fn.__objclass__ = _cls  # type: ignore[attr-defined]
del _cls, _fn


def client(config: dict[str, Any] = _NO_CONFIG) -> Client:
    """Build a client from ``config`` and connect it to the cluster (the ``Client``
    constructor does both)."""
    return Client(config)


@official_arguments
def calc_digest(ns: str, set: str, key: str | int | bytearray) -> bytearray:
    """The 20-byte digest the server files the record ``(ns, set, key)`` under."""
    if not isinstance(ns, str):
        raise TypeError("Namespace should be a string")
    if not isinstance(set, str):
        raise TypeError("Set should be a string or unicode")
    if isinstance(key, bool) or not isinstance(key, (str, int, bytearray)):
        raise TypeError("Key is invalid")
    if isinstance(key, bytearray) and not key:
        raise ParamError(-2, "Byte array size cannot be 0", None, None, False)
    if isinstance(key, int) and not -(1 << 63) <= key < (1 << 63):
        raise ParamError(-2, "integer value for KEY exceeds sys.maxsize", None, None, False)
    return bytearray(compute_digest(set, key))


@official_arguments
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
_INT_MAX = (1 << 63) - 1
_UNSET: Any = object()


def _aerospike_level(levelno: int) -> int:
    """The ``LOG_LEVEL_*`` of a Python logging level."""
    return 0 if levelno >= logging.ERROR else 1 if levelno >= logging.WARNING else \
        2 if levelno >= logging.INFO else 3


class _CallbackHandler(logging.Handler):
    """Hands each record to ``callback(level, function, path, line, message)``."""

    def __init__(self, callback: Callable[..., Any]) -> None:
        super().__init__()
        self.callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        self.callback(_aerospike_level(record.levelno), record.funcName, record.pathname,
                      record.lineno, record.getMessage())


class _DefaultHandler(logging.Handler):
    """The official client's default: ``<process id>:<counter> <message>`` on stdout."""

    def __init__(self) -> None:
        super().__init__()
        self.counter = itertools.count()

    def emit(self, record: logging.LogRecord) -> None:
        print(f"{os.getpid()}:{next(self.counter)} {record.getMessage()}", flush=True)


def _install(handler: logging.Handler | None) -> None:
    for old in [h for h in _log.handlers if isinstance(h, (_CallbackHandler, _DefaultHandler))]:
        _log.removeHandler(old)
    if handler is not None:
        _log.addHandler(handler)


def set_log_level(loglevel: int) -> int:
    """Set the level (``LOG_LEVEL_*``) from which the client logs; ``LOG_LEVEL_OFF``
    silences it without forgetting the handler. Returns 0."""
    if not isinstance(loglevel, int):
        raise ParamError(-2, "Invalid log level", None, None, False)
    if not -_INT_MAX - 1 <= loglevel <= _INT_MAX:
        raise ParamError(-2, "integer value exceeds sys.maxsize", None, None, False)
    _log.setLevel(_LOG_LEVELS.get(loglevel, logging.DEBUG))
    return 0


def set_log_handler(log_handler: Callable[..., Any] | None = _UNSET) -> int:
    """Send the client's log records to ``log_handler(level, function, path, line,
    message)``; with no argument, to the default handler, which prints
    ``<process id>:<counter> <message>``; with None, nowhere. Returns 0."""
    if log_handler is _UNSET:
        _install(_DefaultHandler())
    elif log_handler is None:
        _install(None)
    elif callable(log_handler):
        _install(_CallbackHandler(log_handler))
    return 0


# as the official client starts: errors go to the default handler
set_log_level(0)  # LOG_LEVEL_ERROR
set_log_handler()


__all__ = [name for name in dir() if name.isupper()] + [
    "Client", "Query", "Scan", "client", "calc_digest", "get_partition_id", "exception", "predicates", "GeoJSON",
    "geodata", "geojson", "KeyOrderedDict", "HyperLogLog", "null", "CDTWildcard",
    "CDTInfinite", "set_log_level", "set_log_handler",
    "set_serializer", "set_deserializer", "unset_serializers", "Transaction",
    "ConfigProvider"]


def __dir__() -> list[str]:
    """The module's API and its dunders, not the names it imports for its own use."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})
