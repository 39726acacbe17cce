"""Value types of the documented API: GeoJSON, KeyOrderedDict, HyperLogLog,
the ``null`` sentinel, the CDT wildcard/infinity values, and the shapes of
keys and records.

Equality and ``repr()`` follow the official client: GeoJSON, ``null``,
``CDTWildcard`` and ``CDTInfinite`` compare by identity; the repr of a
GeoJSON is the repr of its JSON text.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias, cast

from .exceptions import ClientError, ParamError

__all__ = [
    "Bins",
    "CDTInfinite",
    "CDTWildcard",
    "GeoJSON",
    "HyperLogLog",
    "Key",
    "KeyOrderedDict",
    "Metadata",
    "Record",
    "geodata",
    "geojson",
    "null",
]

#: ``(namespace, set, user_key, digest)``; a key given by the caller may have
#: three elements, or ``None`` as user key with a 20-byte digest.
Key: TypeAlias = tuple[Any, ...]
#: Record metadata as returned: ``{"gen": int, "ttl": int}``.
Metadata: TypeAlias = dict[str, int]
#: Bin name -> value.
Bins: TypeAlias = dict[str, Any]
#: A record as returned by reads: ``(key, meta, bins)``.
Record: TypeAlias = tuple[Key, Metadata | None, Bins | None]

_GEO_TYPE_MSG = "Geospatial data should be a dictionary or raw GeoJSON string"
_GEO_LOAD_MSG = "String is not GeoJSON serializable -> Unable to load GeoJSON"


def _parse_geojson(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise ClientError(-1, _GEO_LOAD_MSG, None, None, False) from None
    if not isinstance(value, dict):
        raise ParamError(-2, _GEO_TYPE_MSG, None, None, False)
    return value


_ONE_PARAMETER = object()  # GeoJSON() given no value


class GeoJSON:
    """A GeoJSON value (``aerospike.GeoJSON``), stored in a geo2dsphere bin.

    Built from a dict or from GeoJSON text; ``geo_data`` holds the dict.
    """

    __slots__ = ("geo_data",)

    def __init__(self, geo_data: dict[str, Any] | str = cast(Any, _ONE_PARAMETER), *more: Any,
                 **unknown: Any) -> None:
        if geo_data is _ONE_PARAMETER or more or unknown:
            raise ParamError(-2, "GeoJSON() expects exactly 1 parameter", None, None, False)
        if isinstance(geo_data, str):
            self.geo_data = _parse_geojson(geo_data)
        elif isinstance(geo_data, dict):
            self.geo_data = geo_data
        else:
            raise ParamError(-2, _GEO_TYPE_MSG, None, None, False)

    def wrap(self, geo_data: dict[str, Any]) -> None:
        """Replace the value with the dict ``geo_data``."""
        if not isinstance(geo_data, dict):
            raise ParamError(-2, _GEO_TYPE_MSG, None, None, False)
        self.geo_data = geo_data

    def unwrap(self) -> dict[str, Any]:
        """Return the value as a dict."""
        return self.geo_data

    def loads(self, raw_geo: str) -> None:
        """Replace the value with the parsed GeoJSON text ``raw_geo``."""
        if not isinstance(raw_geo, str):
            raise ParamError(-2, "Argument should be a GeoJSON string", None, None, False)
        self.geo_data = _parse_geojson(raw_geo)

    def dumps(self) -> str:
        """Return the value as GeoJSON text."""
        try:
            return json.dumps(self.geo_data)
        except (TypeError, ValueError):
            raise ClientError(
                -1, "Unable to call get data in str format", None, None, False
            ) from None

    def __str__(self) -> str:
        return self.dumps()

    def __repr__(self) -> str:
        return f"'{self.dumps()}'"   # quoted, not escaped, as the official client shows it


def geodata(geo_data: dict[str, Any]) -> GeoJSON:
    """Build a GeoJSON from a dict (``aerospike.geodata``)."""
    if not isinstance(geo_data, dict):
        raise ParamError(-2, "The geospatial data should be a dictionary", None, None, False)
    return GeoJSON(geo_data)


def geojson(geojson_str: str) -> GeoJSON:
    """Build a GeoJSON from GeoJSON text (``aerospike.geojson``)."""
    if not isinstance(geojson_str, str):
        raise ParamError(
            -2, "The geospatial data should be a GeoJSON string", None, None, False
        )
    return GeoJSON(geojson_str)


class KeyOrderedDict(dict):
    """A dict written to the server as a key-ordered map."""


class HyperLogLog(bytes):
    """A HyperLogLog value, read from or written to an HLL bin."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({bytes.__repr__(self)})"

    __str__ = __repr__


class null:  # noqa: N801 - documented name
    """``aerospike.null()``: a value that removes a bin when written."""

    __slots__ = ()


class CDTWildcard:
    """``aerospike.CDTWildcard()``: matches any value in CDT range/list operations."""

    __slots__ = ()


class CDTInfinite:
    """``aerospike.CDTInfinite()``: a value greater than every other in CDT ranges."""

    __slots__ = ()
