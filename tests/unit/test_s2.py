"""S2 cells and coverings of the embedded server (aerospike_async.testing.s2).

The expected cell ids are those a real Aerospike 8.1 server stored, as recorded in the
wire vectors (kv/put_get_geojson_*, and the points and 50 km circles of the query
scenarios).
"""
from __future__ import annotations

import json

import pytest

from aerospike_async.testing import geo, s2
from aerospike_async.testing.sindex import parse_shape

# (lng, lat) -> the leaf cell the real server stored for the point
RECORDED_POINTS = {
    (-122.0, 37.5): 0x808FB8A247954393,   # kv/put_get_geojson_point
    (1.0, 2.0): 0x10036E17CA9FB709,       # kv/put_get_geojson_str
    (-121.5, 37.5): 0x80902C30E06E1A7F,   # query/* (set vecq)
    (-121.3, 37.7): 0x809038E453782395,
    (-122.0, 37.0): 0x808E40730ADFF1A3,
    (-121.9, 37.1): 0x808E3BE2272BED6B,
    (-121.0, 38.0): 0x80906464B8875FCD,
    (-120.1, 38.9): 0x809988921EC7033B,
    (-120.8, 38.2): 0x809083DE44A00469,
}

POLYGON = [[[-122.5, 37.0], [-121.0, 37.0], [-121.0, 38.08], [-122.5, 38.08], [-122.5, 37.0]]]
POLYGON_CELLS = [  # kv/put_get_geojson_polygon
    0x8085500000000000, 0x8085700000000000, 0x8085900000000000, 0x8085A40000000000,
    0x808E400000000000, 0x808EF00000000000, 0x808F100000000000, 0x808F700000000000,
    0x808FC00000000000, 0x8090400000000000, 0x8091C00000000000, 0x809AB00000000000,
]
CIRCLE_CELLS = [  # kv/put_get_geojson_circle: [[-122.0, 37.5], 1000]
    0x808FB890B0000000, 0x808FB89700000000, 0x808FB89C00000000, 0x808FB8A400000000,
    0x808FB8A8B0000000, 0x808FB8AF00000000, 0x808FB8B100000000, 0x808FB8BC00000000,
    0x808FC758C0000000, 0x808FC75F00000000, 0x808FC76100000000, 0x808FC76300000000,
]
CIRCLE_50KM_CELLS = [  # query/equals_int: [[-117.0, 37.0], 50000]
    0x80B8C00000000000, 0x80B9240000000000, 0x80B92C0000000000, 0x80BED00000000000,
    0x80BF140000000000, 0x80BF300000000000, 0x80BF500000000000, 0x80BF6B0000000000,
    0x80C0A7C000000000, 0x80C0AC0000000000, 0x80C7500000000000, 0x80C7700000000000,
]


def _server_coverer() -> s2.RegionCoverer:
    """The options the server covers a stored region with."""
    return s2.RegionCoverer(min_level=1, max_level=30, max_cells=12, level_mod=1)


@pytest.mark.parametrize("lnglat", sorted(RECORDED_POINTS))
def test_leaf_cell_of_recorded_points(lnglat: tuple[float, float]) -> None:
    assert s2.leaf_cell_id(*lnglat) == RECORDED_POINTS[lnglat]


@pytest.mark.parametrize("lnglat", [(-122.0, 37.5), (1.0, 2.0), (0.0, 0.0), (179.9, -89.9),
                                    (-45.0, 45.0), (90.0, 0.0), (12.34, -56.78)])
def test_cell_id_round_trips(lnglat: tuple[float, float]) -> None:
    point = s2.point_from_degrees(*lnglat)
    leaf = s2.cell_id_from_point(point)
    assert s2.level(leaf) == s2.MAX_LEVEL and leaf & 1
    face, i, j, _ = s2.to_face_ij_orientation(leaf)
    assert face == s2.get_face(point) == s2.face_of(leaf)
    assert s2.from_face_ij(face, i, j) == leaf
    for lvl in range(s2.MAX_LEVEL + 1):
        ancestor = s2.parent(leaf, lvl)
        assert s2.level(ancestor) == lvl
        assert s2.contains_id(ancestor, leaf)
        assert s2.range_min(ancestor) <= leaf <= s2.range_max(ancestor)
        assert s2.Cell(ancestor).contains_point(point)
        if lvl:
            assert s2.parent(ancestor) == s2.parent(leaf, lvl - 1)
            children = s2.Cell(s2.parent(ancestor)).subdivide()
            assert ancestor in [child.id for child in children]
    assert s2.parent(leaf, 0) == s2.from_face(face)


def test_subdivided_bounds_match_bounds_from_ids() -> None:
    cell = s2.Cell(s2.parent(s2.leaf_cell_id(-122.0, 37.5), 3))
    for child in cell.subdivide():
        assert child.level == 4 and child.face == cell.face
        assert child.uv == s2.bound_uv(child.id)
        assert child.orientation == s2.to_face_ij_orientation(child.id)[3]


def test_polygon_covering_is_the_recorded_one() -> None:
    polygon = s2.Polygon.from_lnglat(POLYGON)
    assert _server_coverer().covering(polygon) == POLYGON_CELLS


@pytest.mark.parametrize("center, radius, cells", [
    ((-122.0, 37.5), 1000, CIRCLE_CELLS),
    ((-117.0, 37.0), 50000, CIRCLE_50KM_CELLS),
])
def test_circle_covering_is_the_recorded_one(center: tuple[float, float], radius: float,
                                             cells: list[int]) -> None:
    cap = s2.Cap.from_angle(s2.point_from_degrees(*center), radius / 6371000.0)
    assert _server_coverer().covering(cap) == cells


@pytest.mark.parametrize("ring", [
    POLYGON[0],
    [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],
    [[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]],   # around the center of face 0
    [[44.0, 30.0], [46.0, 30.0], [46.0, 36.0], [44.0, 36.0], [44.0, 30.0]],  # straddles faces 0/1
    [[10.0, 10.0], [0.0, 10.0], [0.0, 0.0], [10.0, 0.0], [10.0, 10.0]],  # clockwise
    [[-122.4, 37.7], [-122.39, 37.7], [-122.39, 37.71], [-122.4, 37.71], [-122.4, 37.7]],
    [[0.0, 0.0], [3.0, 1.0], [5.0, 0.0], [6.0, 3.0], [4.0, 5.0], [2.0, 4.0], [1.0, 6.0],
     [-1.0, 3.0], [0.5, 2.0], [-2.0, 1.0], [-1.0, -1.0], [1.0, -2.0], [0.0, 0.0]],
])
@pytest.mark.parametrize("min_level, max_level", [(1, 30), (1, 20)])
def test_covering_properties(ring: list[list[float]], min_level: int, max_level: int) -> None:
    polygon = s2.Polygon.from_lnglat([ring])
    covering = s2.RegionCoverer(min_level, max_level, 12, 1).covering(polygon)
    assert 0 < len(covering) <= 12
    assert covering == sorted(covering)
    assert all(min_level <= s2.level(cell) <= max_level for cell in covering)
    for lng, lat in ring:
        leaf = s2.leaf_cell_id(lng, lat)
        assert any(s2.contains_id(cell, leaf) for cell in covering), (lng, lat)
    # the polygon is normalized: a point inside it lies in it and in its covering
    lng = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
    lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
    if len(ring) == 5:
        assert polygon.contains_point(s2.point_from_degrees(lng, lat))
        assert any(s2.contains_id(c, s2.leaf_cell_id(lng, lat)) for c in covering)


def test_circle_covering_properties() -> None:
    for radius in (1.0, 100.0, 10_000.0, 1_000_000.0):
        center = s2.point_from_degrees(-122.0, 37.5)
        cap = s2.Cap.from_angle(center, radius / 6371000.0)
        covering = _server_coverer().covering(cap)
        assert 0 < len(covering) <= 12
        assert any(s2.contains_id(c, s2.cell_id_from_point(center)) for c in covering)
        assert all(cap.may_intersect(s2.Cell(c)) for c in covering)


def test_polygon_and_cap_containment() -> None:
    polygon = s2.Polygon.from_lnglat(POLYGON)
    assert polygon.contains_point(s2.point_from_degrees(-122.0, 37.5))
    assert not polygon.contains_point(s2.point_from_degrees(-120.9, 37.5))
    assert not polygon.contains_point(s2.point_from_degrees(58.0, -37.5))
    cap = s2.Cap.from_angle(s2.point_from_degrees(-122.0, 37.5), 1000 / 6371000.0)
    assert cap.contains_point(s2.point_from_degrees(-122.0, 37.508))
    assert not cap.contains_point(s2.point_from_degrees(-122.0, 37.51))


def test_polygon_with_a_hole_excludes_it() -> None:
    outer = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
    hole = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
    polygon = s2.Polygon.from_lnglat([outer, hole])
    assert polygon.contains_point(s2.point_from_degrees(2.0, 2.0))
    assert not polygon.contains_point(s2.point_from_degrees(5.0, 5.0))


def test_degenerate_loops_are_rejected() -> None:
    with pytest.raises(ValueError):
        s2.Polygon.from_lnglat([[[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]])
    with pytest.raises(ValueError):
        s2.Polygon.from_lnglat([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])


def test_exact_sign_predicates() -> None:
    a, b, c = (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)
    assert s2.sign(a, b, c) == 1 and s2.sign(b, a, c) == -1
    assert s2.sign(a, a, c) == 0
    # collinear points: the symbolic perturbation still gives opposite signs to
    # the two orientations
    d = s2._normalize((1.0, 1.0, 0.0))
    assert s2.sign(a, d, b) == -s2.sign(d, a, b) != 0
    assert s2.crossing_sign(a, b, c, s2._normalize((1.0, 1.0, -1.0))) == 1
    assert s2.crossing_sign(a, b, a, c) == 0


def _stored(doc: dict[str, object]) -> bytes | None:
    return geo.store_geojson(b"\x00\x00\x00" + json.dumps(doc).encode())


def test_stored_regions_carry_flags_and_covering() -> None:
    polygon = _stored({"type": "Polygon", "coordinates": POLYGON})
    assert polygon is not None and polygon[:3] == b"\x01\x00\x0c"
    assert [int.from_bytes(polygon[3 + 8 * k:11 + 8 * k], "big") for k in range(12)] \
        == POLYGON_CELLS
    circle = _stored({"type": "AeroCircle", "coordinates": [[-122.0, 37.5], 1000]})
    assert circle is not None and circle[:3] == b"\x01\x00\x0c"
    assert circle[3:11] == CIRCLE_CELLS[0].to_bytes(8, "big")
    point = _stored({"type": "Point", "coordinates": [-122.0, 37.5]})
    assert point is not None and point[:11] == b"\x00\x00\x01" + (0x808FB8A247954393).to_bytes(8, "big")
    multi = _stored({"type": "MultiPolygon", "coordinates": [POLYGON]})
    assert multi is not None and multi[:3] == b"\x01\x00\x00"


def test_regions_the_server_cannot_cover_are_rejected() -> None:
    # a cap reaching every cube face needs 4 cells of level 1 on each: over 12 cells
    assert _stored({"type": "AeroCircle", "coordinates": [[0.0, 0.0], 20_000_000]}) is None
    # a loop of 3 distinct positions once repeated ones are dropped
    assert _stored({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 0], [0, 0]]]}) is None


def test_query_shapes_use_geodesic_edges() -> None:
    # the edge from (0, 60) to (60, 60) is a great circle arc bulging to ~63.4 degrees
    band = parse_shape('{"type": "Polygon", "coordinates": '
                       '[[[0,50],[60,50],[60,60],[0,60],[0,50]]]}')
    assert band is not None
    assert band.contains(30.0, 62.0)
    assert not band.contains(30.0, 64.0)
    assert not band.contains(30.0, 52.0)   # the bottom arc bulges north too, to ~54
    circle = parse_shape('{"type": "AeroCircle", "coordinates": [[-122.0, 37.5], 1000]}')
    assert circle is not None
    assert circle.contains(-122.0, 37.508) and not circle.contains(-122.0, 37.51)
