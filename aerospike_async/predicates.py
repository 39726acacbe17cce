"""Query predicates (``aerospike.predicates``), as the tuples the official client builds.

A predicate is ``(kind, index_datatype, bin, value1[, value2, index_type])``
with kind 0 for equality and 1 for ranges and geo tests. Like the official
client, a predicate with values of the wrong type comes back as None, which
``Query.where`` then rejects.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from .constants import (INDEX_BLOB, INDEX_GEO2DSPHERE, INDEX_NUMERIC, INDEX_STRING,
                        INDEX_TYPE_DEFAULT)
from .exceptions import ParamError

PREDICATE_EQUALS = 0
PREDICATE_RANGE = 1

Predicate = Optional[tuple]


def _int(value: Any) -> bool:
    return isinstance(value, int)   # a bool too, as 0 or 1, as in the official client


def _datatype(value: Any) -> int | None:
    if isinstance(value, str):
        return INDEX_STRING
    if _int(value):
        return INDEX_NUMERIC
    if isinstance(value, (bytes, bytearray)):
        return INDEX_BLOB
    return None


def equals(bin: str, val: str | int | bytes | bytearray) -> Predicate:
    """Records whose bin equals ``val`` (string, integer or blob index)."""
    datatype = _datatype(val)
    if datatype is None:
        return None
    return (PREDICATE_EQUALS, datatype, bin, val)


def between(bin: str, min: int, max: int) -> Predicate:
    """Records whose integer bin lies in ``[min, max]``."""
    if not (_int(min) and _int(max)):
        return None
    return (PREDICATE_RANGE, INDEX_NUMERIC, bin, min, max)


def contains(bin: str, index_type: int, val: str | int | bytes | bytearray) -> Predicate:
    """Records whose list, map keys or map values (``index_type``) contain ``val``."""
    datatype = _datatype(val)
    if datatype is None or not _int(index_type):
        return None
    return (PREDICATE_EQUALS, datatype, bin, val, None, index_type)


def range(bin: str, index_type: int, min: int, max: int) -> Predicate:
    """Records whose list, map keys or map values hold an integer in ``[min, max]``."""
    if not (_int(min) and _int(max) and _int(index_type)):
        return None
    return (PREDICATE_RANGE, INDEX_NUMERIC, bin, min, max, index_type)


def _geo(bin: str, shape: Any, index_type: int) -> Predicate:
    if not isinstance(shape, str):
        return None
    return (PREDICATE_RANGE, INDEX_GEO2DSPHERE, bin, shape, None, index_type)


def _number(*values: Any) -> None:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise ParamError(-2, "Latitude, longitude and radius should be integer or double "
                         "type, bin of string type", None, None, False)


def geo_within_geojson_region(bin: str, shape: str, index_type: int = INDEX_TYPE_DEFAULT
                              ) -> Predicate:
    """Records whose geo bin lies within the GeoJSON region ``shape``."""
    return _geo(bin, shape, index_type)


def geo_within_radius(bin: str, long: float, lat: float, radius_meters: float,
                      index_type: int = INDEX_TYPE_DEFAULT) -> Predicate:
    """Records whose geo bin lies within ``radius_meters`` of a point."""
    _number(long, lat, radius_meters)
    circle = json.dumps({"type": "AeroCircle", "coordinates": [[long, lat], radius_meters]})
    return _geo(bin, circle, index_type)


def geo_contains_geojson_point(bin: str, point: str, index_type: int = INDEX_TYPE_DEFAULT
                               ) -> Predicate:
    """Records whose geo region bin contains the GeoJSON ``point``."""
    return _geo(bin, point, index_type)


def geo_contains_point(bin: str, long: float, lat: float,
                       index_type: int = INDEX_TYPE_DEFAULT) -> Predicate:
    """Records whose geo region bin contains the point (long, lat)."""
    _number(long, lat)
    point = json.dumps({"type": "Point", "coordinates": [long, lat]})
    return _geo(bin, point, index_type)


__all__ = ["equals", "between", "contains", "range", "geo_within_geojson_region",
           "geo_within_radius", "geo_contains_geojson_point", "geo_contains_point"]
