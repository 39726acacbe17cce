"""Lua UDFs executed through the async client and the sync drop-in: a record UDF that
writes a bin, batch_apply, a background scan UDF job followed with job_info, and a
stream UDF aggregation reduced on the client.

Written to hold against a real server as well as the embedded one: modules are
registered from temporary files with run-unique names and removed afterwards; records
live in run-unique sets. The aggregation's final reduce runs in Lua on the client
(the ``lupa`` package, part of the dev extra).
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

import aerospike_async.constants as C
from aerospike_async import exceptions as E
from conftest import RUN_ID, write_udf_module

MODULE_SOURCE = """
function put_bin(rec, name, value)
  rec[name] = value
  if aerospike:exists(rec) then aerospike:update(rec) else aerospike:create(rec) end
  return rec[name]
end

function double(rec, name)
  rec[name] = rec[name] * 2
  aerospike:update(rec)
  return rec[name]
end

function boom(rec)
  error('it failed')
end

local function add(a, b) return a + b end

function sum_of(stream, name)
  return stream : map(function(r) return r[name] end) : reduce(add)
end

function over(stream, name, min)
  return stream : filter(function(r) return r[name] > min end)
                : map(function(r) return r[name] end)
end
"""


@pytest.fixture
def module(tmp_path: Path, request: pytest.FixtureRequest):
    """A fresh module file with a run-unique name: (path, module name)."""
    return write_udf_module(tmp_path, request.node.name, "ux", MODULE_SOURCE, 24)


def _set_name(tag: str) -> str:
    return f"ux{RUN_ID}{tag}".replace("-", "")[:40]


async def _wait_job(client, job: int, kind: str) -> dict:
    for _ in range(500):
        info = await client.job_info(job, kind)
        if info["status"] == C.JOB_STATUS_COMPLETED:
            return info
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job} did not complete: {info}")


async def test_record_udf_batch_apply_background_and_aggregation(client, module, make_key,
                                                                 namespace):
    path, name = module
    assert await client.udf_put(str(path)) == 0
    try:
        # a record UDF that writes a bin
        key = make_key("rec")
        await client.put(key, {"a": 1})
        assert await client.apply(key, name, "put_bin", ["b", 41]) == 41
        _k, meta, bins = await client.get(key)
        assert bins == {"a": 1, "b": 41} and meta["gen"] == 2
        # on a missing record it creates one
        fresh = make_key("fresh")
        assert await client.apply(fresh, name, "put_bin", ["n", "x"]) == "x"
        assert (await client.get(fresh))[2] == {"n": "x"}
        # a Lua error is a UDFError naming the module's line
        with pytest.raises(E.UDFError) as info:
            await client.apply(key, name, "boom", [])
        assert info.value.code == 100 and "it failed" in info.value.msg
        assert (info.value.module, info.value.func) == (name, "boom")
        with pytest.raises(E.UDFError) as info:
            await client.apply(key, name, "no_such_function", [])
        assert "function not found" in info.value.msg
        assert (info.value.module, info.value.func) == (name, "no_such_function")

        # batch_apply
        keys = [make_key(f"b{i}") for i in range(3)]
        for i, k in enumerate(keys):
            await client.put(k, {"v": i + 1})
        res = await client.batch_apply(keys, name, "double", ["v"])
        assert res.result == 0
        assert [r.record[2] for r in res.batch_records] == [{"SUCCESS": 2}, {"SUCCESS": 4},
                                                            {"SUCCESS": 6}]
        assert {type(r).__name__ for r in res.batch_records} == {"BatchRecord"}  # not Apply
        assert [(await client.get(k))[2]["v"] for k in keys] == [2, 4, 6]

        # a background scan UDF job, followed with job_info
        set_name = _set_name("bg")
        for i in range(6):
            await client.put((namespace, set_name, i), {"i": i})
        scan = client.scan(namespace, set_name)
        scan.apply(name, "put_bin", ["mark", 7])
        job = await scan.execute_background()
        await _wait_job(client, job, C.JOB_SCAN)
        marks = sorted((r[2]["i"], r[2].get("mark"))
                       for r in await client.scan(namespace, set_name).results())
        assert marks == [(i, 7) for i in range(6)]

        # a stream UDF aggregation: server part on the nodes, final reduce here
        query = client.query(namespace, set_name)
        query.apply(name, "sum_of", ["i"])
        assert await query.results() == [15]
        query = client.query(namespace, set_name)
        query.apply(name, "over", ["i", 3])
        assert sorted(await query.results()) == [4, 5]
        query = client.query(namespace, set_name)
        query.apply(name, "over", ["i", 3])
        assert sorted([value async for value in query]) == [4, 5]
        seen = []
        query = client.query(namespace, set_name)
        query.apply(name, "sum_of", ["mark"])
        await query.foreach(seen.append)
        assert seen == [42]
    finally:
        await client.udf_remove(f"{name}.lua")


def test_sync_record_udf_and_aggregation(sync_client, module, namespace):
    import aerospike
    path, name = module
    assert sync_client.udf_put(str(path)) == 0
    try:
        set_name = _set_name("sy")
        for i in range(5):
            sync_client.put((namespace, set_name, i), {"i": i})
        assert sync_client.apply((namespace, set_name, 0), name, "put_bin", ["w", 1.5]) == 1.5
        assert sync_client.get((namespace, set_name, 0))[2] == {"i": 0, "w": 1.5}
        query = sync_client.query(namespace, set_name)
        query.apply(name, "sum_of", ["i"])
        assert query.results() == [10]
        out = []
        query = sync_client.query(namespace, set_name)
        query.apply(name, "over", ["i", 2])
        query.foreach(out.append)
        assert sorted(out) == [3, 4]
        res = sync_client.batch_apply([(namespace, set_name, 1), (namespace, set_name, 2)],
                                      name, "double", ["i"])
        assert [r.record[2] for r in res.batch_records] == [{"SUCCESS": 2}, {"SUCCESS": 4}]
        scan = sync_client.scan(namespace, set_name)
        scan.apply(name, "put_bin", ["z", "y"])
        job = scan.execute_background()
        for _ in range(500):
            if sync_client.job_info(job, aerospike.JOB_SCAN)["status"] == \
                    aerospike.JOB_STATUS_COMPLETED:
                break
            time.sleep(0.02)
        assert {r[2].get("z") for r in sync_client.scan(namespace, set_name).results()} == {"y"}
    finally:
        sync_client.udf_remove(f"{name}.lua")
