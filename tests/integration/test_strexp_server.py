"""String expressions and ListJoin through the async API, against the server of the
session (embedded by default, AEROSPIKE_HOSTS otherwise). The embedded server answers
as 8.2 does for these tests (it refuses string calls as the recorded 8.1.2 server did
otherwise); a real server before 8.2 answers InvalidRequest, and the tests are skipped
there."""
from __future__ import annotations

import os
import uuid

import pytest

from aerospike_async import Client
from aerospike_async.exceptions import FilteredOut, InvalidRequest
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import expression_operations as expop
from aerospike_helpers.string_helpers import NumericType, StringPolicy

P = StringPolicy()


@pytest.fixture(autouse=True, scope="module")
def embedded_server_as_8_2():
    if os.environ.get("AEROSPIKE_HOSTS"):
        yield
        return
    from aerospike_async.testing import expressions as server_expressions
    server_expressions.enable_string_calls()
    yield
    server_expressions.enable_string_calls(False)


async def _require_string_expressions(client: Client, key: tuple) -> None:
    await client.put(key, {"probe": "x"})
    try:
        await client.operate(key, [expop.expression_read("r", exp.StrLen("probe").compile())])
    except InvalidRequest:
        pytest.skip("the server has no string expressions")


async def test_filter_and_read_with_string_expressions(client, make_key):
    key = make_key()
    await _require_string_expressions(client, key)
    await client.put(key, {"name": "  Zoë Åström ", "code": "0042", "tags": ["a", "b", "c"]})

    starts = exp.StartsWith("Zoë", exp.Trim(P, "name")).compile()
    _k, _m, bins = await client.get(key, {"expressions": starts})
    assert bins["code"] == "0042"
    with pytest.raises(FilteredOut):
        await client.get(key, {"expressions": exp.Contains("zzz", "name").compile()})

    _k, _m, bins = await client.operate(key, [
        expop.expression_read("len", exp.StrLen(exp.Trim(P, "name")).compile()),
        expop.expression_read("bytes", exp.ByteLength("name").compile()),
        expop.expression_read("up", exp.Upper(P, exp.Trim(P, "name")).compile()),
        expop.expression_read("last", exp.SubStr(-6, exp.TrimEnd(P, "name")).compile()),
        expop.expression_read("at", exp.Find("ö", 1, "name").compile()),
        expop.expression_read("num", exp.ToInteger("code").compile()),
        expop.expression_read("isnum", exp.IsNumeric(NumericType.INT, "code").compile()),
        expop.expression_read("joined", exp.ListJoin(None, "/", "tags").compile()),
    ])
    assert bins == {"len": 10, "bytes": 16, "up": "ZOË ÅSTRÖM", "last": "Åström", "at": 10,
                    "num": 42, "isnum": True, "joined": "a/b/c"}


async def test_write_a_string_expression_result(client, make_key):
    key = make_key()
    await _require_string_expressions(client, key)
    await client.put(key, {"s": "hello world"})
    title = exp.Replace(P, "world", "there", exp.PadEnd(P, 12, "!", "s"))
    await client.operate(key, [expop.expression_write("s", title.compile())])
    _k, _m, bins = await client.get(key)
    assert bins["s"] == "hello there!"


async def test_query_filtered_by_string_expressions(client, namespace):
    set_name = "strexp" + uuid.uuid4().hex[:10]
    await _require_string_expressions(client, (namespace, set_name, "probe"))
    await client.remove((namespace, set_name, "probe"))
    for i, word in enumerate(["apple", "Banana", "cherry", "APRICOT", "avocado"]):
        await client.put((namespace, set_name, i), {"w": word})
    q = client.query(namespace, set_name)
    starts_a = exp.RegexCompare("^ap", "w", exp.RegexFlags.CASE_INSENSITIVE)
    got = sorted(r[2]["w"] for r in await q.results({"expressions": starts_a.compile()}))
    assert got == ["APRICOT", "apple"]
    q = client.query(namespace, set_name)
    long_lower = exp.And(exp.IsLower("w"), exp.GT(exp.StrLen("w"), 5))
    got = sorted(r[2]["w"] for r in await q.results({"expressions": long_lower.compile()}))
    assert got == ["avocado", "cherry"]
