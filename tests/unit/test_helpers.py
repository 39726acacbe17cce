"""aerospike_helpers against the official client 19.3.

``data/official_helpers.jsonl`` holds calls and the values the official
helpers returned for them, normalised by ``norm`` below (dicts as ordered
key/value lists, objects as their attributes), recorded with /tmp/offvenv.
"""

from __future__ import annotations

import json
import types
import warnings
from pathlib import Path
from typing import Any

import pytest

import aerospike_helpers
from aerospike_async import constants, types as as_types
from aerospike_helpers import cdt_ctx
from aerospike_helpers import expressions as exp
from aerospike_helpers.batch import records as batch_records
from aerospike_helpers.operations import (
    bitwise_operations,
    expression_operations,
    hll_operations,
    list_operations,
    map_operations,
    operations,
)

DATA = Path(__file__).parent / "data" / "official_helpers.jsonl"

aerospike = types.SimpleNamespace(
    **{k: getattr(constants, k) for k in dir(constants) if not k.startswith("__")},
    **{k: getattr(as_types, k) for k in as_types.__all__},
)
NAMESPACE = {
    "aerospike": aerospike,
    "aerospike_helpers": aerospike_helpers,
    "operations": operations,
    "list_operations": list_operations,
    "map_operations": map_operations,
    "bitwise_operations": bitwise_operations,
    "hll_operations": hll_operations,
    "cdt_ctx": cdt_ctx,
    "batch_records": batch_records,
    "exp": exp,
    "expression_operations": expression_operations,
}


def norm(v: Any) -> Any:
    if isinstance(v, dict):
        return [type(v).__name__.lstrip("_")] + [[norm(k), norm(x)] for k, x in v.items()]
    if isinstance(v, (list, tuple)):
        return [type(v).__name__] + [norm(x) for x in v]
    if isinstance(v, (int, float, str, type(None), bool)):
        return v
    if isinstance(v, (bytes, bytearray)):
        return ["bytes", v.hex()]
    attrs = {}
    for k in sorted(set(getattr(v, "__dict__", {})) | set(getattr(type(v), "__slots__", ()))):
        if hasattr(v, k):
            attrs[k] = norm(getattr(v, k))
    return ["obj", type(v).__name__.lstrip("_"), attrs]


CASES = [json.loads(line) for line in DATA.read_text().splitlines()]


@pytest.mark.parametrize("case", CASES, ids=[c["call"][:80] for c in CASES])
def test_same_value_as_official(case: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = norm(eval(case["call"], dict(NAMESPACE)))  # noqa: S307 - fixed test data
    assert got == case["norm"]


def test_basic_operation_dicts() -> None:
    assert operations.read("b") == {"op": constants.OPERATOR_READ, "bin": "b"}
    assert operations.write("b", 1) == {"op": 1, "bin": "b", "val": 1}
    assert operations.increment("b", 2) == {"op": 6, "bin": "b", "val": 2}
    assert operations.append("b", "x") == {"op": 9, "bin": "b", "val": "x"}
    assert operations.prepend("b", "x") == {"op": 10, "bin": "b", "val": "x"}
    assert operations.delete() == {"op": 14}
    assert operations.touch() == {"op": 11}


def test_touch_ttl_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning):
        assert operations.touch(10) == {"op": 11, "val": 10}


def test_value_byte_size_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning):
        bitwise_operations.bit_set("b", 0, 8, 1, b"\x01")


def test_list_ctx_and_policy_rules() -> None:
    ctx = [cdt_ctx.cdt_ctx_list_index(0)]
    d = list_operations.list_append("l", 1, {"write_flags": 1}, ctx)
    assert list(d) == ["op", "bin", "val", "list_policy", "ctx"]
    assert d["ctx"] == [cdt_ctx.cdt_ctx_list_index(0)]
    assert "ctx" not in list_operations.list_append("l", 1, ctx=[])
    assert list_operations.list_create("l", 0, False, False, ctx=[])["ctx"] == []


def test_map_put_items_sorts_comparable_keys() -> None:
    d = map_operations.map_put_items("m", {"z": 1, "a": 2})
    assert list(d["val"]) == ["a", "z"]
    mixed = {1: "x", "a": 2}
    assert map_operations.map_put_items("m", mixed)["val"] is mixed


def test_hll_defaults() -> None:
    assert hll_operations.hll_init("h") == {
        "op": constants.OP_HLL_INIT, "bin": "h", "index_bit_count": -1, "mh_bit_count": -1}


def test_batch_record_defaults() -> None:
    r = batch_records.Read(("test", "s", 1), None, read_all_bins=True)
    assert (r.key, r.record, r.result, r.message, r.subcode, r.in_doubt) == (
        ("test", "s", 1), None, 0, None, 0, False)
    assert r._type == 0 and r._has_write is False
    assert batch_records.Write(("t", "s", 1), [])._has_write is True
    assert batch_records.BatchRecords().batch_records == []


def test_hyperloglog_reexported() -> None:
    assert aerospike_helpers.HyperLogLog is as_types.HyperLogLog


def test_constants_import_star_exports_public_names_only() -> None:
    ns: dict[str, Any] = {}
    exec("from aerospike_async.constants import *", ns)  # noqa: S102
    names = {k for k in ns if k != "__builtins__"}
    assert names == set(constants.__all__)
    assert all(not n.startswith("_") for n in names)
    assert len(names) == 366
    assert constants.OPERATOR_READ == 0 and constants.TTL_NEVER_EXPIRE == 0xFFFFFFFF
    assert constants.POLICY_EXISTS_CREATE_OR_REPLACE == 4
    assert constants.MAP_RETURN_ORDERED_MAP == 17 and constants.OP_EXPR_WRITE == 2201


def test_every_official_constant_value() -> None:
    official = json.loads((Path(__file__).parent / "data" / "official_constants.json").read_text())
    for name, value in official.items():
        assert getattr(constants, name) == value, name
    assert set(constants.__all__) == {n for n in official if not n.startswith("_")}


def test_cmpgeo_keeps_the_geojson_value() -> None:
    g = as_types.GeoJSON({"type": "Point", "coordinates": [1.0, 2.0]})
    assert exp.CmpGeo(exp.GeoBin("g"), g).compile() == [
        (8, None, None, 2), (81, 8, {"bin": "g"}, 0), (200, None, {"val": g}, 0)]
