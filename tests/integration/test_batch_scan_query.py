"""Batch, scan, query and secondary indexes through both APIs, against the server of
the session (embedded by default, AEROSPIKE_HOSTS otherwise); test_cluster_bsq.py runs
them again on the embedded 3-node cluster."""
from __future__ import annotations

import asyncio
import gc
import uuid
import weakref

import aerospike
import pytest
from aerospike import predicates as p

from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_helpers import expressions as exp
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import operations as ops


def _set() -> str:
    return "bsq" + uuid.uuid4().hex[:10]


async def _fill(client: Client, ns: str, set_name: str, n: int) -> None:
    await asyncio.gather(*(client.put((ns, set_name, i), {"i": i, "s": f"v{i:03d}"})
                           for i in range(n)))


# -- batch -------------------------------------------------------------------------------------
async def test_batch_results_are_freed_when_dropped_without_the_cycle_collector(
        client, make_key):
    # A call must leave no reference cycle holding its records: dropped, they are freed at
    # once, not at the next (full, costly) collection of the cycle collector.
    keys = [make_key(i) for i in range(20)]
    for i, k in enumerate(keys):
        await client.put(k, {"a": i})
    calls = {
        "batch_read": lambda: client.batch_read(keys),
        "batch_read of bins": lambda: client.batch_read(keys, ["a"]),
        "batch_operate": lambda: client.batch_operate(keys, [ops.increment("a", 1)]),
        "batch_write": lambda: client.batch_write(
            br.BatchRecords([br.Write(k, [ops.write("b", 2)]) for k in keys])),
        "batch_remove": lambda: client.batch_remove(keys[15:]),
    }
    gc.collect()
    gc.disable()
    try:
        for name, call in calls.items():
            res = await call()
            first = weakref.ref(res.batch_records[0])
            del res
            assert first() is None, f"{name}: its records wait for the cycle collector"
    finally:
        gc.enable()


async def test_batch_read_returns_records_in_key_order(client, make_key):
    keys = [make_key(i) for i in range(50)]
    for i, k in enumerate(keys[:40]):
        await client.put(k, {"a": i})
    res = await client.batch_read(keys)
    assert res.result == 0
    assert [r.key[2] for r in res.batch_records] == [k[2] for k in keys]
    for i, r in enumerate(res.batch_records):
        if i < 40:
            assert r.result == 0 and r.record[2] == {"a": i} and r.record[1]["gen"] == 1
        else:
            assert r.result == 2 and r.record is None
    meta_only = await client.batch_read(keys[:3], [])
    assert all(len(r.record) == 2 for r in meta_only.batch_records)


async def test_batch_read_calls_in_turn_each_read_what_they_ask(client, namespace):
    """One client, the same keys (alone, a few, of two sets interleaved), asked in turn for
    every bin, some bins and none: each call gets what it asked, not what the call before
    it asked (the request pieces a policy keeps from call to call)."""
    sets = [_set(), _set()]
    for set_name in sets:
        for i in range(4):
            await client.put((namespace, set_name, i), {"a": i, "b": -i})
    one = [(namespace, sets[0], 1)]
    few = [(namespace, sets[0], i) for i in range(4)]
    mixed = [(namespace, sets[i % 2], i) for i in range(4)]
    for keys in (one, few, mixed, one):
        for bins, want in ((None, lambda i: {"a": i, "b": -i}), (["a"], lambda i: {"a": i}),
                           ([], None), (["b"], lambda i: {"b": -i}), (None, lambda i: {
                               "a": i, "b": -i})):
            res = await client.batch_read(keys, bins)
            assert [r.key[:3] for r in res.batch_records] == keys
            for key, rec in zip(keys, res.batch_records):
                assert rec.result == 0
                if want is None:
                    assert len(rec.record) == 2 and rec.record[1]["gen"] == 1
                else:
                    assert rec.record[2] == want(key[2])


async def test_batch_operate_write_remove(client, make_key):
    keys = [make_key(i) for i in range(20)]
    res = await client.batch_operate(keys, [ops.write("w", 7), ops.read("w")])
    assert res.result == 0
    assert all(r.record[2] == {"w": 7} for r in res.batch_records)
    brs = br.BatchRecords([br.Write(keys[0], [ops.increment("w", 1), ops.read("w")]),
                           br.Read(keys[1], None, read_all_bins=True),
                           br.Remove(keys[2])])
    out = await client.batch_write(brs)
    assert out.result == 0
    assert out.batch_records[0].record[2] == {"w": 8}
    assert out.batch_records[1].record[2] == {"w": 7}
    removed = await client.batch_remove(keys[3:6])
    assert [r.result for r in removed.batch_records] == [0, 0, 0]
    assert (await client.exists(keys[3]))[1] is None


async def test_batch_of_1000_keys(client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 1000)
    res = await client.batch_read([(namespace, set_name, i) for i in range(1000)])
    assert [r.record[2]["i"] for r in res.batch_records] == list(range(1000))


async def test_large_batches_side_by_side_each_get_their_own_records(client, namespace):
    """The first of several concurrent large batches finds the nodes idle and goes out in
    pieces, the later ones find them busy and go whole: each call still gets exactly its
    own records, in its keys' order."""
    set_name = _set()
    await _fill(client, namespace, set_name, 2000)
    ranges = [range(s, s + 700) for s in (0, 300, 900, 1300)]
    results = await asyncio.gather(*(client.batch_read([(namespace, set_name, i) for i in r])
                                     for r in ranges))
    for r, res in zip(ranges, results):
        assert [rec.record[2]["i"] for rec in res.batch_records] == list(r)
        assert [rec.key[2] for rec in res.batch_records] == list(r)


async def test_a_large_batch_of_str_keys_and_one_of_mixed_keys(client, namespace):
    set_name = _set()
    await asyncio.gather(*(client.put((namespace, set_name, f"s{i}"), {"i": i})
                           for i in range(300)))
    res = await client.batch_read([(namespace, set_name, f"s{i}") for i in range(300)])
    assert [r.record[2]["i"] for r in res.batch_records] == list(range(300))
    assert res.batch_records[7].key[:3] == (namespace, set_name, "s7")
    assert res.batch_records[7].key[3] == aerospike.calc_digest(namespace, set_name, "s7")
    await _fill(client, namespace, set_name, 300)
    mixed = [(namespace, set_name, i if i % 2 else f"s{i}") for i in range(300)]
    res = await client.batch_read(mixed)
    assert [r.record[2]["i"] for r in res.batch_records] == list(range(300))


async def test_a_large_batch_refuses_a_namespace_that_is_a_str_subclass(client, namespace):
    class Name(str):
        pass
    keys = [(namespace, "s", i) for i in range(300)] + [(Name(namespace), "s", 300)]
    with pytest.raises(E.ParamError, match="key at index: 300"):
        await client.batch_read(keys)


@pytest.mark.parametrize("bad", [(None, 3.5), ("n", 2 ** 63), ("n", None), 7])
async def test_a_large_batch_with_one_bad_key_is_refused_whole(client, namespace, bad):
    """The keys of a large batch are checked before any of them is sent: a bad last key
    fails the call with ParamError naming its index, and the client stays usable."""
    set_name = _set()
    await _fill(client, namespace, set_name, 600)
    keys: list = [(namespace, set_name, i) for i in range(600)]
    keys[599] = (namespace, *bad) if isinstance(bad, tuple) else bad
    with pytest.raises(E.ParamError, match="key at index: 599"):
        await client.batch_read(keys)
    keys[599] = (namespace, set_name, "é-not-ascii")
    res = await client.batch_read(keys)
    assert [r.record[2]["i"] for r in res.batch_records[:599]] == list(range(599))
    assert res.batch_records[599].result == 2 and res.result == 0


async def test_the_batch_filter_holds_for_a_key_alone_on_its_node(client, make_key):
    """A key alone on its node goes out as a single-record command: the batch policy's
    filter still applies, so a filtered-out write or remove leaves the record as it was."""
    key = make_key("alone")
    await client.put(key, {"a": 1})
    never = exp.Eq(exp.IntBin("a"), 99).compile()
    res = await client.batch_read([key], policy={"expressions": never})
    assert [(r.result, r.record) for r in res.batch_records] == [(27, None)]
    res = await client.batch_operate([key], [ops.read("a")], policy_batch={"expressions": never})
    assert res.batch_records[0].result == 27
    res = await client.batch_operate([key], [ops.write("b", 2)],
                                     policy_batch={"expressions": never})
    assert res.batch_records[0].result == 27
    res = await client.batch_remove([key], policy_batch={"expressions": never})
    assert res.batch_records[0].result == 27
    assert (await client.get(key))[2] == {"a": 1}
    keep = exp.Eq(exp.IntBin("a"), 1).compile()
    res = await client.batch_read([key], policy={"expressions": keep})
    assert res.batch_records[0].record[2] == {"a": 1}


async def test_failed_batch_records_carry_the_official_clients_message(client, make_key,
                                                                     namespace):
    """A key that failed gets a message as the official client words it: "<node> <code
    name>" when it was alone on its node, "<node> AEROSPIKE_OK" (the batch request's own
    status) inside a larger batch; a missing record, or a namespace refused before
    sending, gets none."""
    keys = [make_key(f"m{i}") for i in range(2)]
    for k in keys:
        await client.put(k, {"s": "x"})
    res = await client.batch_operate(keys[:1], [ops.increment("s", 1)])
    assert res.batch_records[0].result == 12
    assert res.batch_records[0].message.endswith(" AEROSPIKE_ERR_BIN_INCOMPATIBLE_TYPE")
    never = exp.Eq(exp.IntBin("s"), 99).compile()
    res = await client.batch_read(keys, policy={"expressions": never})
    assert [r.result for r in res.batch_records] == [27, 27]
    # on a cluster the two keys may each be alone on their node
    endings = ((" AEROSPIKE_OK",) if len(client.cluster.nodes) == 1
               else (" AEROSPIKE_OK", " AEROSPIKE_FILTERED_OUT"))
    assert all(r.message.endswith(endings) for r in res.batch_records)
    res = await client.batch_read([make_key("none"), (namespace + "_nosuchns", "s", 1)])
    assert [(r.result, r.message) for r in res.batch_records] == [(2, None), (20, None)]


_BATCH_RECORD_ATTRS = ["in_doubt", "key", "message", "record", "result", "subcode"]


async def test_batch_calls_answer_with_plain_batch_records(client, sync_client, make_key):
    """batch_read, batch_operate and batch_remove report each key in a plain BatchRecord
    (key, record, result, message, subcode, in_doubt), as the official client does, not
    in the Read, Write or Remove record the call implies; through both APIs."""
    keys = [make_key(f"plain{i}") for i in range(3)]
    for k in keys:
        await client.put(k, {"a": 1})
    calls = [lambda: client.batch_read(keys), lambda: client.batch_read(keys, ["a"]),
             lambda: client.batch_operate(keys, [ops.read("a")]),
             lambda: client.batch_operate(keys, [ops.write("b", 2)]),
             lambda: client.batch_remove(keys)]
    for call in calls:
        res = await call()
        assert res.result == 0
        for rec in res.batch_records:
            assert type(rec) is br.BatchRecord
            assert sorted(vars(rec)) == _BATCH_RECORD_ATTRS
    res = sync_client.batch_read(keys)
    assert [r.result for r in res.batch_records] == [2, 2, 2]
    assert all(type(r) is br.BatchRecord and sorted(vars(r)) == _BATCH_RECORD_ATTRS
               for r in res.batch_records)


async def test_batch_results_as_the_official_client_gives_them(client, make_key):
    """Keys report an empty set as None and a bytes user key as a str; a Read record
    without bins still has its (empty) bins; a key removed alone has ttl 0."""
    first, second = make_key(), make_key()
    await client.put(first, {"a": 1})
    await client.put(second, {"a": 1})
    no_set = (first[0], "", first[2])
    await client.put(no_set, {"a": 1})
    res = await client.batch_read([no_set, (first[0], first[1], first[2].encode())])
    assert [r.key[1:3] for r in res.batch_records] == [(None, first[2]), (first[1], first[2])]
    res = await client.batch_write(br.BatchRecords([br.Read(first, None)]))
    assert res.batch_records[0].record[2] == {}
    with pytest.raises(E.ParamError, match="Bins argument should be a list."):
        await client.batch_read([first], ("a",))
    res = await client.batch_remove([second])
    assert res.batch_records[0].record[1] == {"ttl": 0, "gen": 0}


async def test_batch_ttls_as_the_official_client_sets_them(client, make_key):
    """batch_operate ignores a touch's ttl (the write policy's applies); a Write record's
    touch ttl wins over its meta's."""
    keys = [make_key() for _ in range(3)]
    for key in keys:
        await client.put(key, {"a": 1})
    with pytest.warns(DeprecationWarning, match="TTL should be specified in the policy"):
        touch = ops.touch(300)
    await client.batch_operate(keys, [touch], policy_batch_write={"ttl": 700})
    assert all(698 <= t <= 700 for t in [(await client.exists(k))[1]["ttl"] for k in keys])
    await client.batch_write(br.BatchRecords(
        [br.Write(k, [touch], meta={"ttl": 50}) for k in keys]))
    assert all(298 <= t <= 300 for t in [(await client.exists(k))[1]["ttl"] for k in keys])


async def test_without_respond_all_keys_a_failed_batch_reports_the_records_code(
        client, make_key):
    keys = [make_key() for _ in range(30)]   # several on every node: batch requests
    for key in keys:
        await client.put(key, {"a": 1})
    res = await client.batch_operate(
        keys, [ops.write("b", 1)], policy_batch={"respond_all_keys": False},
        policy_batch_write={"exists": aerospike.POLICY_EXISTS_CREATE})
    assert res.result == 5   # RECORD_EXISTS, not -16
    res = await client.batch_operate(
        keys, [ops.write("b", 1)],
        policy_batch_write={"exists": aerospike.POLICY_EXISTS_CREATE})
    assert res.result == -16 and {r.result for r in res.batch_records} == {5}


async def test_batch_write_refuses_records_whose_operations_do_not_fit_them(client, make_key):
    """As the official client: a Write record must have operations; in a batch of several
    keys, a Write record that writes nothing or a Read record that writes makes the call
    fail (result -2) with nothing sent."""
    keys = [make_key() for _ in range(2)]
    for key in keys:
        await client.put(key, {"a": 1})
    with pytest.raises(E.ParamError, match="py_ops_list is NULL or not a list"):
        await client.batch_write(br.BatchRecords([br.Write(keys[0], [])]))
    for records in ([br.Write(keys[0], [ops.read("a")]), br.Write(keys[1], [ops.write("b", 1)])],
                    [br.Read(keys[0], [ops.write("b", 1)]), br.Read(keys[1], None)]):
        res = await client.batch_write(br.BatchRecords(records))
        assert res.result == -2 and [r.result for r in res.batch_records] == [-15, -15]
    assert [(await client.get(k))[2] for k in keys] == [{"a": 1}, {"a": 1}]


def test_sync_batch(sync_client, make_key):
    keys = [make_key(i) for i in range(5)]
    for k in keys:
        sync_client.put(k, {"x": 1})
    res = sync_client.batch_read(keys, ["x"])
    assert [r.record[2] for r in res.batch_records] == [{"x": 1}] * 5
    with pytest.raises(aerospike.exception.ParamError):
        sync_client.batch_read("x")


# -- scan ---------------------------------------------------------------------------------------
async def test_scan_async_for_results_foreach(client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    seen = [bins["i"] async for _key, _meta, bins in client.scan(namespace, set_name)]
    assert sorted(seen) == list(range(300))
    results = await client.scan(namespace, set_name).results()
    assert sorted(r[2]["i"] for r in results) == list(range(300))
    assert all(r[0][:2] == (namespace, set_name) and len(r[0][3]) == 20 for r in results)
    got = []
    await client.scan(namespace, set_name).foreach(lambda r: got.append(r) or len(got) < 10)
    assert len(got) == 10
    s = client.scan(namespace, set_name)
    s.select("s")
    assert all(set(r[2]) == {"s"} for r in await s.results())


async def test_scan_and_batch_read_records_whose_bins_and_keys_differ(client, namespace):
    """Records of one set whose bins differ (a bin now and then, a bin whose type changes)
    and of which some keep their user key: a scan and a batch read give each record as a
    get does, in the reply decoders' every path (alike records, records unlike their
    neighbours, stored keys of three types)."""
    set_name = _set()
    send_key = {"key": aerospike.POLICY_KEY_SEND}
    keys = []
    for i in range(600):
        # the first 300 keep int keys (records alike but for their bins), the others
        # keys of three types, or none
        mixed = i >= 300
        user_key: object = [i, f"k{i}", bytearray(f"b{i}".encode())][i % 3] if mixed else i
        key = (namespace, set_name, user_key)
        bins: dict = {"n": i, "s": "x" * (i % 50)}
        if i % 7 == 0:
            bins["deleted"] = 1
        if i % 11 == 0:
            bins["s"] = i * 0.5   # the same bin, another type
        await client.put(key, bins, policy=send_key if not mixed or i % 4 else None)
        keys.append(key)
    digests, want = [], {}
    for key in keys:
        got_key, _meta, bins = await client.get(key)
        digests.append(bytes(got_key[3]))
        want[digests[-1]] = bins
    scanned = [(k, b) async for k, _meta, b in client.scan(namespace, set_name)]
    assert {bytes(k[3]): b for k, b in scanned} == want
    stored = {bytes(k[3]): k[2] for k, _b in scanned}
    for i, key in enumerate(keys):
        expected = None if i >= 300 and i % 4 == 0 else key[2]   # (a bytearray: a blob)
        assert stored[digests[i]] == expected
        assert type(stored[digests[i]]) is type(expected)
    read = await client.batch_read(keys)
    assert [r.record[2] for r in read.batch_records] == [want[d] for d in digests]


async def _fill_more_than_a_stream_buffers(client: Client, ns: str, set_name: str) -> int:
    # 200 records of 64 KB: far more than the 16 pieces a scan's queue holds, so a stream
    # nobody stops stays blocked with its connections in use
    await asyncio.gather(*(client.put((ns, set_name, i), {"i": i, "blob": bytes(65536)})
                           for i in range(200)))
    return 200


async def test_scan_break_leaves_no_connection_busy(client, namespace):
    set_name = _set()
    stored = await _fill_more_than_a_stream_buffers(client, namespace, set_name)
    n = 0
    async for _rec in client.scan(namespace, set_name):
        n += 1
        if n == 5:
            break
    # the iterator's finalizer closes the streams, in a task of its own
    await _assert_no_connection_busy(client)
    assert len(await client.scan(namespace, set_name).results()) == stored


async def _assert_no_connection_busy(client) -> None:
    # given up to two seconds (a loaded machine) to free them, not a fixed tenth
    for _ in range(100):
        if all(node.pool.in_use == 0 for node in client.cluster.nodes):
            break
        await asyncio.sleep(0.02)
    for node in client.cluster.nodes:
        assert node.pool.in_use == 0, node.pool


async def test_scan_left_by_an_exception_or_a_cancellation_leaves_no_connection_busy(
        client, namespace):
    set_name = _set()
    stored = await _fill_more_than_a_stream_buffers(client, namespace, set_name)
    with pytest.raises(LookupError):
        async for _rec in client.scan(namespace, set_name).records():
            raise LookupError("the consumer failed")
    await _assert_no_connection_busy(client)

    started = asyncio.Event()

    async def consume() -> None:
        async for _rec in client.scan(namespace, set_name):
            started.set()
            await asyncio.sleep(10)   # a slow consumer, cancelled while it holds a record

    task = asyncio.ensure_future(consume())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _assert_no_connection_busy(client)
    assert len(await client.scan(namespace, set_name).results()) == stored


async def test_scan_by_node_name_reads_only_that_nodes_partitions(client, namespace):
    """``results(nodename=...)``/``foreach(..., nodename=...)`` scan one node (the
    partitions it serves): the per-node scans do not overlap and together are the full
    scan; an unknown node name is a ParamError."""
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    names = [n["node_name"] for n in client.get_node_names()]
    per_node: dict[str, list[int]] = {}
    for name in names:
        per_node[name] = [r[2]["i"] for r in
                          await client.scan(namespace, set_name).results(None, name)]
        got: list[int] = []
        await client.scan(namespace, set_name).foreach(lambda r: got.append(r[2]["i"]),
                                                      None, None, name)
        assert sorted(got) == sorted(per_node[name])
    union = [i for ids in per_node.values() for i in ids]
    assert sorted(union) == list(range(300))  # no record twice, none missing
    if len(names) > 1:
        assert all(0 < len(ids) < 300 for ids in per_node.values())
    with pytest.raises(aerospike.exception.ParamError):
        await client.scan(namespace, set_name).results(None, "no-such-node")
    with pytest.raises(aerospike.exception.ParamError):
        await client.scan(namespace, set_name).foreach(lambda r: None, nodename="nope")


def test_sync_scan_by_node_name(sync_client, namespace):
    set_name = _set()
    for i in range(60):
        sync_client.put((namespace, set_name, i), {"i": i})
    names = [n["node_name"] for n in sync_client.get_node_names()]
    seen: list[int] = []
    for name in names:
        part = [r[2]["i"] for r in sync_client.scan(namespace, set_name).results(None, name)]
        got: list[int] = []
        sync_client.scan(namespace, set_name).foreach(lambda r: got.append(r[2]["i"]),
                                                     nodename=name)
        assert sorted(got) == sorted(part)
        seen += part
    assert sorted(seen) == list(range(60))
    with pytest.raises(aerospike.exception.ParamError):
        sync_client.scan(namespace, set_name).results(None, "no-such-node")


async def test_scan_records_per_second_throttles_the_stream(client, namespace):
    """A server holds a scan to records_per_second (per node): at a rate that gives each
    node about 0.4 s of records the scan takes that long; without the limit the same
    scan is much quicker."""
    import time
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    per_node = 300 / max(1, len(client.get_node_names()))
    rate = int(per_node / 0.4)
    floor = 0.8 * per_node / rate
    t0 = time.monotonic()
    fast = await client.scan(namespace, set_name).results()
    quick = time.monotonic() - t0
    t0 = time.monotonic()
    slow = await client.scan(namespace, set_name).results({"records_per_second": rate})
    slow_s = time.monotonic() - t0
    assert len(fast) == len(slow) == 300
    assert slow_s >= floor, slow_s
    assert quick < slow_s / 2, (quick, slow_s)
    t0 = time.monotonic()
    n = 0
    async for _rec in client.scan(namespace, set_name).records({"records_per_second": rate}):
        n += 1
    assert n == 300 and time.monotonic() - t0 >= floor


async def _next_pages(s, max_records: int) -> list[int]:
    """The ``i`` bins of a paginated scan's pages until it is done (20 pages at most)."""
    seen: list[int] = []
    for _ in range(20):
        if s.is_done():
            break
        seen += [r[2]["i"] for r in await s.results({"max_records": max_records})]
    return seen


def _taking(seen: list, n: int):
    """A foreach callback that takes records' ``i`` into ``seen`` and refuses the n-th."""
    def take(record):
        seen.append(record[2]["i"])
        return len(seen) < n
    return take


async def test_scan_paginate_and_max_records(client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 25)
    assert len(await client.scan(namespace, set_name).results({"max_records": 5})) == 5
    s = client.scan(namespace, set_name)
    s.paginate()
    assert sorted(await _next_pages(s, 10)) == list(range(25))
    status = s.get_partitions_status()
    assert status["done"] is True
    # as the official client's: the partitions by id, then only "done" and "retry"
    assert {k for k in status if not isinstance(k, int)} == {"done", "retry"}
    assert status["retry"] is False and len(status) == 4096 + 2


async def test_max_records_where_the_official_client_takes_it(client, namespace):
    """A scan takes max_records from its policy; a query from its attribute only."""
    set_name = _set()
    await _fill(client, namespace, set_name, 60)   # enough on every node for its share
    query = client.query(namespace, set_name)
    assert len(await query.results({"max_records": 3})) == 60
    query.max_records = 4
    assert len(await query.results()) == 4
    assert len(await client.scan(namespace, set_name).results({"max_records": 5})) == 5


@pytest.mark.parametrize("kind", ["scan", "query"])
async def test_foreach_with_a_partition_filter_gets_the_partition_id(client, namespace, kind):
    from aerospike_async.protocol.digest import partition_id
    set_name = _set()
    await _fill(client, namespace, set_name, 20)
    seen: list[tuple[int, int]] = []
    await getattr(client, kind)(namespace, set_name).foreach(
        lambda part, record: seen.append((part, partition_id(record[0][3]))),
        {"partition_filter": {}})
    assert len(seen) == 20 and all(part == expected for part, expected in seen)


@pytest.mark.parametrize("kind", ["scan", "query"])
async def test_an_object_given_a_partition_filter_resumes_from_where_it_ended(
        client, namespace, kind):
    """As in the official client: once given a partition filter, a scan or query object
    keeps its partitions' state (paginated or not), so calling it again reads only what
    is left, and another range is refused."""
    set_name = _set()
    await _fill(client, namespace, set_name, 40)
    in_range = {r[2]["i"] for r in await client.scan(namespace, set_name).results(
        {"partition_filter": {"begin": 0, "count": 2048}})}
    obj = getattr(client, kind)(namespace, set_name)
    first = await obj.results({"partition_filter": {"begin": 0, "count": 2048}})
    assert {r[2]["i"] for r in first} == in_range
    assert obj.is_done()
    assert await obj.results({"partition_filter": {"begin": 0, "count": 2048}}) == []
    with pytest.raises(E.ParamError, match="prev=0,2048 current=2048,2048"):
        await obj.results({"partition_filter": {"begin": 2048, "count": 2048}})
    with pytest.raises(E.ParamError, match="Partition filter can not change"):
        await obj.results()


_ZERO = bytearray(20)


@pytest.mark.parametrize("kind", ["scan", "query"])
@pytest.mark.parametrize("pf, message", [
    (None, "partition_filter must be a dict"),
    ({"begin": -1}, "invalid partition_filter policy begin"),
    ({"begin": 4096}, "invalid partition_filter policy begin"),
    ({"begin": "1"}, "invalid partition_filter policy begin"),
    ({"count": 0}, "invalid partition_filter policy count"),
    ({"count": 4097}, "invalid partition_filter policy count"),
    ({"begin": 4000, "count": 100}, "invalid partition filter range"),
    ({"partition_status": []}, "partition_status must be a dict"),
    ({"partition_status": {"retry": True}}, "partition_status dict missing key 'done'"),
    ({"partition_status": {"done": False}}, "partition_status dict missing key 'retry'"),
    ({"partition_status": {"done": "no", "retry": 1}},
     "partition_status dict key 'done' must be an int"),
    ({"partition_status": {"done": 0, "retry": None}},
     "partition_status dict key 'retry' must be an int"),
    ({"begin": 7, "count": 1, "partition_status": {"done": 0, "retry": 1, 7: (7, "y", 1, _ZERO, 0)}},
     "invalid init for part_id: 7"),
    ({"begin": 7, "count": 1, "partition_status": {"done": 0, "retry": 1, 7: (7, 0, "y", _ZERO, 0)}},
     "invalid retry for part_id: 7"),
    ({"begin": 7, "count": 1, "partition_status": {"done": 0, "retry": 1, 7: (7, 1, 1, "digest", 0)}},
     "invalid digest value for part_id: 7"),
    ({"begin": 7, "count": 1, "partition_status": {"done": 0, "retry": 1, 7: (7, 1, 1, _ZERO, "0")}},
     "invalid bval for part_id: 7"),
    ({"begin": 7, "count": 1, "partition_status": {"done": 0, "retry": 1, 7: (7, 1, 1, _ZERO, -1)}},
     "bval must fit in unsigned long long"),
])
async def test_a_bad_partition_filter_is_refused_before_anything_is_sent(
        client, namespace, kind, pf, message):
    obj = getattr(client, kind)(namespace, _set())
    with pytest.raises(E.ParamError) as info:
        await obj.foreach(lambda part, record: None, {"partition_filter": pf})
    assert message in info.value.msg


async def test_a_partition_status_resumes_a_query_after_its_digest(client, namespace):
    """get_partitions_status() of a stopped paginated query, handed to a new query object
    as its partition filter's partition_status, reads only what the first did not."""
    set_name = _set()
    await _fill(client, namespace, set_name, 60)
    q = client.query(namespace, set_name)
    q.paginate()
    q.max_records = 25
    first = [r[2]["i"] for r in await q.results()]
    status = q.get_partitions_status()
    assert all(0 <= st[4] < 1 << 64 for pid, st in status.items() if isinstance(pid, int))
    rest = client.query(namespace, set_name)
    seen: list[int] = []
    await rest.foreach(lambda part, record: seen.append(record[2]["i"]),
                       {"partition_filter": {"partition_status": status}})
    assert sorted(first + seen) == list(range(60))


@pytest.mark.parametrize("options, message", [
    ({"percent": 50}, "Invalid value for scan options"),
    ({"nobins": 1}, "Invalid value(type) for nobins")])
async def test_scan_options_are_checked_as_the_official_client_checks_them(
        client, namespace, options, message):
    with pytest.raises(E.ParamError) as info:
        await client.scan(namespace, _set()).foreach(lambda r: None, options=options)
    assert info.value.msg == message


async def test_background_jobs_refuse_what_the_official_client_refuses(client, namespace):
    scan = client.scan(namespace, _set())
    scan.add_ops([ops.read("i")])
    with pytest.raises(E.ParamError, match="Background scan operations must be write-only"):
        await scan.execute_background()
    with pytest.raises(E.ParamError, match="Predicate must be a tuple"):
        await client.query_apply(namespace, _set(), None, "m", "f", [])
    with pytest.raises(E.ParamError, match="ctx cannot be None"):
        await client.index_cdt_create(namespace, _set(), "c", aerospike.INDEX_TYPE_LIST,
                                      aerospike.INDEX_NUMERIC, "idx_none_ctx", None)


async def test_a_paginated_scan_left_early_loses_no_record(client, namespace):
    """Leaving a page early (a break out of async for) hands back the records received but
    not taken: the following pages still give every record, once."""
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    s = client.scan(namespace, set_name)
    s.paginate()
    seen = []
    async for _key, _meta, bins in s.records({"max_records": 100}):
        seen.append(bins["i"])
        if len(seen) == 10:
            break
    seen += await _next_pages(s, 100)
    assert sorted(seen) == list(range(300))


async def test_a_paginated_scan_stopped_by_its_foreach_callback_gives_the_refused_again(
        client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    s = client.scan(namespace, set_name)
    s.paginate()
    seen: list[int] = []
    await s.foreach(_taking(seen, 10), {"max_records": 100})
    refused = seen[-1]
    seen += await _next_pages(s, 100)
    assert sorted(seen) == sorted([*range(300), refused])


def test_sync_paginated_scan_stopped_by_its_callback_loses_no_record(sync_client,
                                                                      namespace):
    """A page stopped by its foreach callback: the next pages give every other record
    once, and the record the callback refused (returned False for) again, as the
    official client does."""
    set_name = _set()
    for i in range(300):
        sync_client.put((namespace, set_name, i), {"i": i})
    s = sync_client.scan(namespace, set_name)
    s.paginate()
    seen: list[int] = []
    s.foreach(_taking(seen, 10), {"max_records": 100})
    assert len(seen) == 10
    refused = seen[-1]
    for _ in range(20):
        if s.is_done():
            break
        seen += [r[2]["i"] for r in s.results({"max_records": 100})]
    assert sorted(seen) == sorted([*range(300), refused])


async def test_scan_background_ops_and_job_info(client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 10)
    s = client.scan(namespace, set_name)
    s.add_ops([ops.write("bg", 1)])
    job = await s.execute_background()
    for _ in range(200):
        info = await client.job_info(job, aerospike.JOB_SCAN)
        if info["status"] == aerospike.JOB_STATUS_COMPLETED:
            break
        await asyncio.sleep(0.02)
    assert info["status"] == aerospike.JOB_STATUS_COMPLETED
    assert all(r[2]["bg"] == 1 for r in await client.scan(namespace, set_name).results())


async def test_throttled_background_job_is_seen_in_progress_then_completed(client,
                                                                          namespace):
    """execute_background answers before the job is done: a job held to a low
    records_per_second is reported in progress by job_info, then completed."""
    set_name = _set()
    await _fill(client, namespace, set_name, 300)
    s = client.scan(namespace, set_name)
    s.add_ops([ops.write("bg", 2)])
    job = await s.execute_background({"records_per_second": 400})
    first = await client.job_info(job, aerospike.JOB_SCAN)
    assert first["status"] == aerospike.JOB_STATUS_INPROGRESS
    assert 0 <= first["progress_pct"] < 100
    info = first
    for _ in range(300):
        await asyncio.sleep(0.02)
        info = await client.job_info(job, aerospike.JOB_SCAN)
        if info["status"] == aerospike.JOB_STATUS_COMPLETED:
            break
    assert info["status"] == aerospike.JOB_STATUS_COMPLETED
    assert all(r[2]["bg"] == 2 for r in await client.scan(namespace, set_name).results())


def test_sync_scan_foreach_on_caller_thread(sync_client, namespace):
    import threading
    set_name = _set()
    for i in range(100):
        sync_client.put((namespace, set_name, i), {"i": i})
    threads = set()
    out = []

    def cb(rec):
        threads.add(threading.get_ident())
        out.append(rec[2]["i"])
    sync_client.scan(namespace, set_name).foreach(cb)
    assert sorted(out) == list(range(100)) and threads == {threading.get_ident()}
    out.clear()
    sync_client.scan(namespace, set_name).foreach(lambda r: out.append(r) or len(out) < 3)
    assert len(out) == 3
    assert len(sync_client.scan(namespace, set_name).results()) == 100


# -- query and indexes --------------------------------------------------------------------------
async def test_query_with_index(client, namespace):
    set_name = _set()
    index = "idx_" + set_name
    await _fill(client, namespace, set_name, 40)
    await client.index_integer_create(namespace, set_name, "i", index)
    try:
        q = client.query(namespace, set_name)
        q.where(p.between("i", 10, 19))
        got = sorted([bins["i"] async for _k, _m, bins in q])
        assert got == list(range(10, 20))
        q2 = client.query(namespace, set_name)
        q2.where(p.equals("i", 7))
        assert [r[2]["i"] for r in await q2.results()] == [7]
    finally:
        await client.index_remove(namespace, index)


async def test_expression_index_with_where_with_expr(client, namespace):
    set_name = _set()
    index = "eidx_" + set_name
    doubled = exp.Mul(exp.IntBin("i"), 2).compile()
    await _fill(client, namespace, set_name, 30)
    await client.put((namespace, set_name, "nobin"), {"s": "no i"})
    await client.index_expr_create(namespace, set_name, aerospike.INDEX_TYPE_DEFAULT,
                                   aerospike.INDEX_NUMERIC, doubled, index)
    try:
        q = client.query(namespace, set_name)
        q.where_with_expr(doubled, p.between(None, 10, 20))
        assert sorted(r[2]["i"] for r in await q.results()) == [5, 6, 7, 8, 9, 10]
        await client.put((namespace, set_name, 7), {"i": 100})     # moves out of range
        await client.remove((namespace, set_name, 8))
        await client.put((namespace, set_name, "new"), {"i": 6})   # a second 12
        q = client.query(namespace, set_name)
        q.where_with_expr(client.get_expression_base64(doubled), p.between(None, 10, 20))
        assert sorted(r[2]["i"] for r in await q.results()) == [5, 6, 6, 9, 10]
        q = client.query(namespace, set_name)
        q.where_with_expr(doubled, p.equals(None, 200))
        assert [r[2]["i"] for r in await q.results()] == [100]
        q = client.query(namespace, set_name)   # an expression no index was built on
        q.where_with_expr(exp.Mul(exp.IntBin("i"), 3).compile(), p.equals(None, 9))
        with pytest.raises(aerospike.exception.IndexNotFound):
            await q.results()
    finally:
        await client.index_remove(namespace, index)



async def test_where_with_index_name(client, namespace):
    set_name = _set()
    index = "nidx_" + set_name
    await _fill(client, namespace, set_name, 30)
    await client.index_integer_create(namespace, set_name, "i", index)
    try:
        q = client.query(namespace, set_name)
        assert q.where_with_index_name(index, p.between(None, 10, 14)) is q
        assert sorted(r[2]["i"] for r in await q.results()) == [10, 11, 12, 13, 14]
        q = client.query(namespace, set_name)   # the predicate's bin name is not sent
        q.where_with_index_name(index, p.equals("not_i", 7))
        assert [r[2]["i"] for r in await q.results()] == [7]
        q = client.query(namespace, set_name)
        q.where_with_index_name("no_such_" + index, p.equals(None, 7))
        with pytest.raises(aerospike.exception.IndexNotFound):
            await q.results()
    finally:
        await client.index_remove(namespace, index)


def test_sync_where_with_index_name(sync_client, namespace):
    set_name = _set()
    index = "snidx_" + set_name
    for i in range(20):
        sync_client.put((namespace, set_name, i), {"s": f"v{i:03d}"})
    sync_client.index_string_create(namespace, set_name, "s", index)
    try:
        q = sync_client.query(namespace, set_name)
        assert q.where_with_index_name(index, p.equals(None, "v007")) is q
        assert [r[2]["s"] for r in q.results()] == ["v007"]
        with pytest.raises(aerospike.exception.ParamError):
            q.where_with_index_name(index, p.equals(None, "v008"))
    finally:
        sync_client.index_remove(namespace, index)

def test_sync_query_and_index(sync_client, namespace):
    set_name = _set()
    index = "sidx_" + set_name
    for i in range(20):
        sync_client.put((namespace, set_name, i), {"i": i, "s": f"v{i:03d}"})
    assert sync_client.index_string_create(namespace, set_name, "s", index) == 0
    try:
        q = sync_client.query(namespace, set_name)
        q.where(p.equals("s", "v007"))
        assert [r[2]["i"] for r in q.results()] == [7]
        with pytest.raises(aerospike.exception.ParamError):
            sync_client.index_integer_create(namespace, set_name, "i", None)
    finally:
        sync_client.index_remove(namespace, index)


async def test_a_query_takes_one_predicate(client, sync_client, namespace):
    for c in (client, sync_client):
        q = c.query(namespace, _set())
        assert q.where(p.equals("i", 1)) is q
        with pytest.raises(E.ParamError) as info:
            q.where(p.between("i", 1, 5))
        assert info.value.msg == "Failed to add predicate"
        with pytest.raises(E.ParamError):
            q.where_with_index_name("idx", p.equals(None, 1))


@pytest.mark.parametrize("kind", ["scan", "query"])
def test_sync_foreach_with_a_partition_filter_gets_the_partition_id(sync_client, namespace,
                                                                     kind):
    set_name = _set()
    for i in range(10):
        sync_client.put((namespace, set_name, i), {"i": i})
    seen: list[tuple[int, int]] = []
    getattr(sync_client, kind)(namespace, set_name).foreach(
        lambda part, record: seen.append((part, aerospike.get_partition_id(record[0][3]))),
        {"partition_filter": {"begin": 0, "count": 4096}})
    assert len(seen) == 10 and all(part == expected for part, expected in seen)
    with pytest.raises(aerospike.exception.ClientError):   # a one-argument callback
        getattr(sync_client, kind)(namespace, set_name).foreach(
            lambda record: None, {"partition_filter": {}})


@pytest.mark.parametrize("kind", ["scan", "query"])
async def test_apply_checks_udf_arguments_as_the_official_client(client, namespace, kind):
    """Query/Scan.apply return the object; arguments must be a list of what the server
    stores (through lists and map values): a tuple or set is a ClientError, since the
    documented answer is to serialize those yourself."""
    obj = getattr(client, kind)(namespace, _set())
    assert obj.apply("m", "f", [1, "s", b"b", None, [2.5, {"k": [True]}]]) is obj
    for args, message in (("a", "udf function arguments must be enclosed in a list"),
                          ((1,), "udf function arguments must be enclosed in a list"),
                          ([[(1, 2)]], "udf function argument type must be supported"),
                          ([{"k": {1}}], "udf function argument type must be supported"),
                          ([{(1,): 1}], "Unable to serialize unknown Python native type")):
        with pytest.raises(E.ClientError, match=message.replace("(", r"\(")):
            obj.apply("m", "f", args)
    with pytest.raises(E.ClientError, match="udf module argument must be a string"):
        obj.apply(None, "f", [])


async def test_an_empty_udf_function_sets_no_udf(client, namespace):
    set_name = _set()
    await _fill(client, namespace, set_name, 5)
    q = client.query(namespace, set_name)
    q.apply("", "")
    assert sorted(r[2]["i"] for r in await q.results()) == list(range(5))
    with pytest.raises(E.ParamError, match="Background function or ops is required"):
        await q.execute_background()
    q.apply("m", "f")   # an aggregation checks its options before anything else
    with pytest.raises(E.ParamError, match="query options must be a dictionary"):
        await q.foreach(lambda value: None, None, "")


async def test_background_udf_calls_check_their_arguments(client, namespace):
    between = p.between("i", 1, 2)
    with pytest.raises(E.ParamError, match="Arguments should be a list"):
        await client.query_apply(namespace, _set(), between, "m", "f", None)
    with pytest.raises(TypeError, match="argument 1 must be str"):
        await client.query_apply(None, None, between, "m", "f", [])
    with pytest.raises(E.ParamError, match="Set name should be string"):
        await client.query_apply(namespace, 5, between, "m", "f", [])
    for call in (client.query_apply(namespace, _set(), between, "m", "f", [(1, 2)]),
                 client.scan_apply(namespace, _set(), "m", "f", [{1, 2}])):
        with pytest.raises(E.ClientError, match="Unable to serialize"):
            await call
    with pytest.raises(E.ParamError, match=r"Invalid value\(type\) for concurrent"):
        await client.scan_apply(namespace, _set(), "m", "f", [], {}, {"concurrent": 5})
    with pytest.raises(E.ParamError, match="Invalid value for scan options"):
        await client.scan_apply(namespace, _set(), "m", "f", [], {}, {"percent": 5})


@pytest.mark.parametrize("job_id, module", [("1", aerospike.JOB_SCAN), (1.0, "scan"),
                                            (1, None), (1, 0), (1, b"scan")])
async def test_job_info_argument_types_are_type_errors(client, job_id, module):
    with pytest.raises(TypeError, match="job_info\\(\\) argument"):
        await client.job_info(job_id, module)


def test_sync_scan_and_query_need_a_namespace(sync_client, namespace):
    for make in (sync_client.scan, sync_client.query):
        with pytest.raises(aerospike.exception.ParamError):
            make()
        with pytest.raises(aerospike.exception.ParamError, match="Set should be string"):
            make(namespace, 5)
    q = sync_client.query(namespace)
    assert q.apply("m", "f", [1]) is q   # chainable, as the official Query.apply


async def test_integer_predicates_take_bools_as_the_official_client(client, namespace):
    assert p.between("i", True, False) == (1, aerospike.INDEX_NUMERIC, "i", True, False)
    assert p.equals("i", True) == (0, aerospike.INDEX_NUMERIC, "i", True)
    q = client.query(namespace, _set())
    assert q.where(p.between("i", False, True)) is q


async def test_an_aggregation_takes_no_partition_filter(client, namespace):
    pytest.importorskip("lupa")
    q = client.query(namespace, _set())
    q.apply("m", "f")
    with pytest.raises(E.ParamError, match="cannot query by partition"):
        await q.results({"partition_filter": {"begin": 0, "count": 1}})


@pytest.mark.parametrize("kind", ["scan", "query"])
async def test_select_takes_a_bytearray_bin_name_up_to_its_nul(client, namespace, kind):
    set_name = _set()
    await client.put((namespace, set_name, 1), {"sal": 5, "other": 6})
    await client.put((namespace, set_name, 2), {"other": 7})
    obj = getattr(client, kind)(namespace, set_name)
    assert obj.select(bytearray(b"sal\0ignored")) is obj
    # the server leaves out a record with none of the selected bins
    assert [r[2] for r in await obj.results()] == [{"sal": 5}]
    with pytest.raises(E.ParamError, match="Bin name should be of type string"):
        getattr(client, kind)(namespace, set_name).select(5)


async def test_a_query_selects_once_and_its_where_needs_a_bin(client, namespace):
    q = client.query(namespace, _set())
    q.select("a")
    with pytest.raises(E.ClientError, match="cannot be called more than once"):
        q.select("b")
    with pytest.raises(E.ParamError, match="Bin should be a string"):
        q.where(p.equals(None, 1))
    with pytest.raises(E.ParamError, match="Failed to add predicate"):
        q.where(p.range(5, aerospike.INDEX_TYPE_DEFAULT, 2, 4))
    s = client.scan(namespace, _set())
    s.select("a")
    s.select("b")   # a scan's selection is replaced


def test_sync_scan_and_query_objects_come_from_the_client_only():
    for cls in (aerospike.Scan, aerospike.Query):
        with pytest.raises(TypeError, match="cannot create"):
            cls("test", "demo")
