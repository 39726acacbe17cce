"""GeoJSON bins as the server stores them: validated, with their S2 cells.

A GeoJSON particle is ``flags u8, cell count u16, cell ids u64..., JSON text``. For a
point the server stores the S2 leaf cell containing it (flags 0). A region has flags 1
(``GEOJSON_ISREGION``) and the cells of its covering: an S2RegionCoverer with min level
1, max level 30, at most 12 cells, level mod 1 (the server's defaults when it has no
namespace at hand, which is the case when it stores a particle) over an S2Polygon for a
Polygon, or an S2Cap of radius meters / 6371000 for an AeroCircle. A MultiPolygon (an
S2RegionUnion, whose covering starts from a latitude-longitude bound) is stored with
flags 1 and no cells: its covering is not computed here.
"""
from __future__ import annotations

import json
import struct
from typing import Any, TypeGuard

from . import s2
from .s2 import leaf_cell_id

__all__ = ["EARTH_RADIUS_M", "leaf_cell_id", "region_cells", "store_geojson"]

_HEADER = struct.Struct(">BH")
_CELL = struct.Struct(">Q")
_REGIONS = ("Polygon", "MultiPolygon", "AeroCircle")
_ISREGION = 0x1
EARTH_RADIUS_M = 6371000.0
"""The earth radius the server divides an AeroCircle's radius by."""
_MAX_CELLS = 12


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
        cells = region_cells(kind, coords)
        if cells is None:
            return None
        return _HEADER.pack(_ISREGION, len(cells)) + b"".join(map(_CELL.pack, cells)) + text
    return None


def region_cells(kind: str, coords: Any) -> list[int] | None:
    """The cells the server stores with a (valid) region: its covering, sorted; None
    when the server rejects the region (a degenerate loop, or a covering of more than
    12 cells, as for a region on every cube face)."""
    if kind == "MultiPolygon":
        return []
    region: s2.Polygon | s2.Cap
    if kind == "AeroCircle":
        center = s2.point_from_degrees(float(coords[0][0]), float(coords[0][1]))
        region = s2.Cap.from_angle(center, float(coords[1]) / EARTH_RADIUS_M)
    else:
        try:
            region = s2.Polygon.from_lnglat(coords)
        except ValueError:
            return None
    coverer = s2.RegionCoverer(min_level=1, max_level=30, max_cells=_MAX_CELLS, level_mod=1)
    cells = coverer.covering(region)
    return cells if len(cells) <= _MAX_CELLS else None
