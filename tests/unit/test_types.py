"""Value types against the official client 19.3 (reprs and errors checked there)."""

from __future__ import annotations

import pytest

from aerospike_async.exceptions import ClientError, ParamError
from aerospike_async.types import (
    CDTInfinite,
    CDTWildcard,
    GeoJSON,
    HyperLogLog,
    KeyOrderedDict,
    geodata,
    geojson,
    null,
)

POINT = {"type": "Point", "coordinates": [-122.0, 37.5]}


def test_geojson_repr_and_str_like_official() -> None:
    g = GeoJSON(POINT)
    # the repr recorded in kv/put_get_geojson_point
    assert repr({"v": g}) == """{'v': '{"type": "Point", "coordinates": [-122.0, 37.5]}'}"""
    assert str(g) == '{"type": "Point", "coordinates": [-122.0, 37.5]}'
    assert g.dumps() == str(g)
    # quoted but not escaped, as the official client 19.3 shows it
    assert repr(GeoJSON({"n": "é"})) == """'{"n": "\\u00e9"}'"""
    assert repr(GeoJSON({"n": "it's"})) == """'{"n": "it's"}'"""


def test_geojson_from_text_wrap_loads() -> None:
    g = GeoJSON('{"type": "Point", "coordinates": [1, 2]}')
    assert g.unwrap() == {"type": "Point", "coordinates": [1, 2]}
    assert g.geo_data is g.unwrap()
    g.wrap({"a": 1})
    assert repr(g) == """'{"a": 1}'"""
    g.loads('{"b": 2}')
    assert g.unwrap() == {"b": 2}


def test_geojson_errors_like_official() -> None:
    with pytest.raises(ClientError) as ei:
        GeoJSON("notjson")
    assert ei.value.code == -1
    assert ei.value.msg == "String is not GeoJSON serializable -> Unable to load GeoJSON"
    for bad in (5, "[1, 2]", '"x"'):
        with pytest.raises(ParamError) as ei:
            GeoJSON(bad)  # type: ignore[arg-type]
        assert ei.value.msg == "Geospatial data should be a dictionary or raw GeoJSON string"
    g = GeoJSON(POINT)
    with pytest.raises(ParamError):
        g.wrap("str")  # type: ignore[arg-type]
    with pytest.raises(ParamError) as ei:
        g.loads(5)  # type: ignore[arg-type]
    assert ei.value.msg == "Argument should be a GeoJSON string"
    g.wrap({"a": object()})
    with pytest.raises(ClientError):
        repr(g)


def test_geojson_identity_equality_like_official() -> None:
    assert GeoJSON(POINT) != GeoJSON(POINT)
    g = GeoJSON(POINT)
    assert g == g and hash(g) == hash(g)


def test_geodata_geojson_functions() -> None:
    assert geodata({"a": 1}).unwrap() == {"a": 1}
    assert geojson('{"a": 1}').unwrap() == {"a": 1}
    with pytest.raises(ParamError, match="should be a dictionary"):
        geodata("x")  # type: ignore[arg-type]
    with pytest.raises(ParamError, match="should be a GeoJSON string"):
        geojson({"a": 1})  # type: ignore[arg-type]


def test_hyperloglog() -> None:
    h = HyperLogLog(b"ab")
    assert repr(h) == "HyperLogLog(b'ab')" and str(h) == "HyperLogLog(b'ab')"
    assert h == b"ab" and isinstance(h, bytes)


def test_key_ordered_dict() -> None:
    d = KeyOrderedDict({"b": 1, "a": 2})
    assert isinstance(d, dict) and d == {"b": 1, "a": 2}
    assert repr(d) == "{'b': 1, 'a': 2}"


def test_sentinels_are_distinct_instances() -> None:
    assert null() != null() and isinstance(null(), null)
    assert isinstance(CDTWildcard(), CDTWildcard) and isinstance(CDTInfinite(), CDTInfinite)
    assert not isinstance(CDTWildcard(), CDTInfinite)
