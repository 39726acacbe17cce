"""GeoJSON bins as the server stores them: validated, with the S2 cell of a point.

A GeoJSON particle is ``flags u8, cell count u16, cell ids u64..., JSON text``. For a
point the server stores the S2 leaf cell containing it; regions carry the cells of
their covering, which the embedded server does not compute (it keeps none).
"""
from __future__ import annotations

import json
import math
import struct
from typing import Any, TypeGuard

_HEADER = struct.Struct(">BH")
_CELL = struct.Struct(">Q")
_REGIONS = ("Polygon", "MultiPolygon", "AeroCircle")

_LOOKUP_BITS = 4
_SWAP = 1
_INVERT = 2
_MAX_LEVEL = 30
_POS_TO_IJ = ((0, 1, 3, 2), (0, 2, 3, 1), (3, 2, 0, 1), (3, 1, 0, 2))
_POS_TO_ORIENTATION = (_SWAP, 0, 0, _INVERT | _SWAP)
_LOOKUP_POS = [0] * (1 << (2 * _LOOKUP_BITS + 2))


def _init_lookup(level: int, i: int, j: int, orig: int, pos: int, orientation: int) -> None:
    if level == _LOOKUP_BITS:
        ij = (i << _LOOKUP_BITS) + j
        _LOOKUP_POS[(ij << 2) + orig] = (pos << 2) + orientation
        return
    r = _POS_TO_IJ[orientation]
    for index in range(4):
        _init_lookup(level + 1, (i << 1) + (r[index] >> 1), (j << 1) + (r[index] & 1), orig,
                     (pos << 2) + index, orientation ^ _POS_TO_ORIENTATION[index])


for _orientation in range(4):
    _init_lookup(0, 0, 0, _orientation, 0, _orientation)


def _uv_to_st(u: float) -> float:
    return 0.5 * math.sqrt(1 + 3 * u) if u >= 0 else 1 - 0.5 * math.sqrt(1 - 3 * u)


def _st_to_ij(s: float) -> int:
    size = 1 << _MAX_LEVEL
    return max(0, min(size - 1, math.floor(size * s)))


def leaf_cell_id(lng: float, lat: float) -> int:
    """The S2 cell id (level 30) of the point at ``lng``, ``lat`` degrees."""
    phi, theta = math.radians(lat), math.radians(lng)
    x, y, z = math.cos(phi) * math.cos(theta), math.cos(phi) * math.sin(theta), math.sin(phi)
    ax, ay, az = abs(x), abs(y), abs(z)
    face = (0 if ax > az else 2) if ax > ay else (1 if ay > az else 2)
    if (x, y, z)[face] < 0:
        face += 3
    if face == 0:
        u, v = y / x, z / x
    elif face == 1:
        u, v = -x / y, z / y
    elif face == 2:
        u, v = -x / z, -y / z
    elif face == 3:
        u, v = z / x, y / x
    elif face == 4:
        u, v = z / y, -x / y
    else:
        u, v = -y / z, -x / z
    i, j = _st_to_ij(_uv_to_st(u)), _st_to_ij(_uv_to_st(v))
    n = face << 60
    bits = face & _SWAP
    mask = (1 << _LOOKUP_BITS) - 1
    for k in range(7, -1, -1):
        bits += ((i >> (k * _LOOKUP_BITS)) & mask) << (_LOOKUP_BITS + 2)
        bits += ((j >> (k * _LOOKUP_BITS)) & mask) << 2
        bits = _LOOKUP_POS[bits]
        n |= (bits >> 2) << (k * 2 * _LOOKUP_BITS)
        bits &= _SWAP | _INVERT
    return n * 2 + 1


def _is_position(value: object) -> TypeGuard[list[Any]]:
    return (isinstance(value, list) and len(value) >= 2
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in value[:2]))


def _valid_region(kind: str, coords: object) -> bool:
    if kind == "AeroCircle":
        return (isinstance(coords, list) and len(coords) == 2 and _is_position(coords[0])
                and isinstance(coords[1], (int, float)) and coords[1] >= 0)
    polygons = coords if kind == "MultiPolygon" else [coords]
    return isinstance(polygons, list) and bool(polygons) and all(
        isinstance(poly, list) and poly and all(
            isinstance(ring, list) and len(ring) >= 4 and all(_is_position(p) for p in ring)
            for ring in poly)
        for poly in polygons)


def store_geojson(value: bytes) -> bytes | None:
    """The particle the server keeps for a GeoJSON value written by a client, or None
    when the text is not GeoJSON it accepts (result code 160)."""
    if len(value) < 3:
        return None
    _flags, ncells = _HEADER.unpack_from(value)
    text = value[3 + 8 * ncells:]
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    kind, coords = doc.get("type"), doc.get("coordinates")
    if kind == "Point" and _is_position(coords):
        cell = leaf_cell_id(float(coords[0]), float(coords[1]))
        return _HEADER.pack(0, 1) + _CELL.pack(cell) + text
    if kind in _REGIONS and _valid_region(kind, coords):
        return _HEADER.pack(0, 0) + text
    return None
