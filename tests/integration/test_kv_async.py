"""The async key-value API against a server: what a user sees."""
from __future__ import annotations

import asyncio

import pytest

import aerospike_async.constants as C
from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_async.types import GeoJSON, KeyOrderedDict
from aerospike_helpers.operations import operations as op

NEVER = 0xFFFFFFFF

VALUES = [
    0, 1, -1, 2**63 - 1, -(2**63), 1.5, -0.0, float("inf"), "", "héllo ✓ 日本", b"\x00\xff",
    True, False, [], [1, "a", b"b", 2.5, True, None, [1, [2]], {"k": "v"}], {},
    {1: "a", "b": 2, b"c": 3.5}, {"nested": {"deep": [1, 2, {"x": None}]}},
    list(range(1000)),
]


@pytest.mark.parametrize("value", VALUES, ids=[f"v{i}" for i in range(len(VALUES))])
async def test_put_then_get_returns_the_value(client, make_key, value):
    key = make_key()
    assert await client.put(key, {"v": value}) == 0
    (ns, set_name, user_key, digest), meta, bins = await client.get(key)
    assert (ns, set_name, user_key) == (key[0], key[1], None)
    assert isinstance(digest, bytearray) and len(digest) == 20
    assert meta == {"ttl": NEVER, "gen": 1}
    assert bins == {"v": value}


async def test_geojson_and_key_ordered_map_round_trip(client, make_key):
    key = make_key()
    point = GeoJSON({"type": "Point", "coordinates": [-122.0, 37.5]})
    await client.put(key, {"g": point, "m": KeyOrderedDict({"b": 1, "a": 2})})
    _, _, bins = await client.get(key)
    assert isinstance(bins["g"], GeoJSON) and bins["g"].unwrap() == point.unwrap()
    assert isinstance(bins["m"], KeyOrderedDict) and list(bins["m"]) == ["a", "b"]


async def test_get_missing_record_raises_record_not_found(client, make_key):
    with pytest.raises(E.RecordNotFound) as info:
        await client.get(make_key())
    assert info.value.code == 2 and info.value.in_doubt is False


async def test_select_returns_only_existing_named_bins(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1, "b": 2, "c": 3})
    out_key, meta, bins = await client.select(key, ["a", "c", "zz"])
    assert out_key[2] == key[2]
    assert bins == {"a": 1, "c": 3}
    assert meta["gen"] == 1


async def test_exists_reports_meta_or_none(client, make_key):
    key = make_key()
    assert (await client.exists(key))[1] is None
    await client.put(key, {"a": 1})
    out_key, meta = await client.exists(key)
    assert out_key[:3] == key and meta == {"ttl": NEVER, "gen": 1}


async def test_put_merges_bins_and_none_removes_a_bin(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1, "b": 2})
    await client.put(key, {"b": None, "c": 3})
    _, meta, bins = await client.get(key)
    assert bins == {"a": 1, "c": 3} and meta["gen"] == 2


async def test_ttl_from_meta_and_from_policy(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1}, meta={"ttl": 100})
    ttl = (await client.exists(key))[1]["ttl"]
    assert 98 <= ttl <= 100
    await client.put(key, {"a": 2}, policy={"ttl": 200})
    assert 198 <= (await client.exists(key))[1]["ttl"] <= 200
    await client.put(key, {"a": 3}, meta={"ttl": C.TTL_NEVER_EXPIRE})
    assert (await client.exists(key))[1]["ttl"] == NEVER


async def test_exists_policies(client, make_key):
    key = make_key()
    with pytest.raises(E.RecordNotFound):
        await client.put(key, {"a": 1}, policy={"exists": C.POLICY_EXISTS_UPDATE})
    await client.put(key, {"a": 1}, policy={"exists": C.POLICY_EXISTS_CREATE})
    with pytest.raises(E.RecordExistsError):
        await client.put(key, {"a": 2}, policy={"exists": C.POLICY_EXISTS_CREATE})
    await client.put(key, {"b": 2}, policy={"exists": C.POLICY_EXISTS_REPLACE})
    assert (await client.get(key))[2] == {"b": 2}


async def test_generation_policies(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    with pytest.raises(E.RecordGenerationError):
        await client.put(key, {"a": 2}, meta={"gen": 5}, policy={"gen": C.POLICY_GEN_EQ})
    await client.put(key, {"a": 2}, meta={"gen": 1}, policy={"gen": C.POLICY_GEN_EQ})
    await client.put(key, {"a": 3}, meta={"gen": 7}, policy={"gen": C.POLICY_GEN_GT})
    with pytest.raises(E.RecordGenerationError):
        await client.remove(key, meta={"gen": 1}, policy={"gen": C.POLICY_GEN_EQ})
    assert (await client.get(key))[1]["gen"] == 3


async def test_touch_resets_ttl_and_bumps_generation(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    assert await client.touch(key, 300) == 0
    meta = (await client.exists(key))[1]
    assert meta["gen"] == 2 and 298 <= meta["ttl"] <= 300
    with pytest.raises(E.RecordNotFound):
        await client.touch(make_key())


async def test_append_prepend_increment(client, make_key):
    key = make_key()
    await client.put(key, {"s": "b", "i": 1, "f": 1.0, "x": b"\x01"})
    await client.append(key, "s", "c")
    await client.prepend(key, "s", "a")
    await client.append(key, "x", b"\x02")
    await client.increment(key, "i", 41)
    await client.increment(key, "f", 0.5)
    await client.increment(key, "new", 7)
    _, meta, bins = await client.get(key)
    assert bins == {"s": "abc", "i": 42, "f": 1.5, "x": b"\x01\x02", "new": 7}
    assert meta["gen"] == 7


async def test_type_mismatches_raise_bin_incompatible_type(client, make_key):
    key = make_key()
    await client.put(key, {"s": "x", "i": 1})
    with pytest.raises(E.BinIncompatibleType):
        await client.increment(key, "s", 1)
    with pytest.raises(E.BinIncompatibleType):
        await client.append(key, "i", "x")
    assert (await client.get(key))[2] == {"s": "x", "i": 1}


async def test_remove_bin_and_remove(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1, "b": 2})
    assert await client.remove_bin(key, ["a"]) == 0
    assert (await client.get(key))[2] == {"b": 2}
    assert await client.remove(key) == 0
    assert (await client.exists(key))[1] is None
    with pytest.raises(E.RecordNotFound):
        await client.remove(key)


async def test_operate_applies_operations_in_order(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1, "s": "abc"})
    out_key, meta, bins = await client.operate(key, [
        op.increment("a", 10), op.read("a"), op.append("s", "d"), op.prepend("s", ">"),
        op.read("s"), op.write("w", [1, 2]), op.read("w")])
    assert out_key[:3] == key
    assert bins == {"a": 11, "s": ">abcd", "w": [1, 2]}
    assert meta["gen"] == 2


async def test_operate_ordered_keeps_each_result(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    _, _, results = await client.operate_ordered(
        key, [op.read("a"), op.write("a", 5), op.read("a"), op.increment("a", 1), op.read("a")])
    assert results == [("a", 1), ("a", 5), ("a", 6)]


async def test_operate_touch_and_delete(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    await client.operate(key, [op.touch()], policy={"ttl": 500})
    assert 498 <= (await client.exists(key))[1]["ttl"] <= 500
    await client.operate(key, [op.delete(), op.write("z", 9)])
    assert (await client.get(key))[2] == {"z": 9}
    await client.operate(key, [op.delete()])
    assert (await client.exists(key))[1] is None


async def test_send_key_stores_the_user_key(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1}, policy={"key": C.POLICY_KEY_SEND})
    assert (await client.get(key))[2] == {"a": 1}
    digest_key = (key[0], key[1], None, (await client.get(key))[0][3])
    assert (await client.get(digest_key))[2] == {"a": 1}


async def test_int_and_bytes_user_keys(client, namespace):
    for user_key in (7_100_001, -42, b"raw-key", bytearray(b"\x01\x02")):
        key = (namespace, "it_keys", user_key)
        await client.put(key, {"k": 1})
        assert (await client.get(key))[2] == {"k": 1}
        await client.remove(key)


async def test_a_dict_key_names_the_same_record_as_its_tuple(client, make_key):
    ns, set_name, user_key = make_key()
    await client.put({"ns": ns, "set": set_name, "key": user_key}, {"a": 1})
    assert (await client.get((ns, set_name, user_key)))[2] == {"a": 1}
    records = await client.batch_read([{"ns": ns, "set": set_name, "key": user_key}])
    assert records.batch_records[0].record[2] == {"a": 1}


async def test_a_bytearray_bin_name_in_an_operation_is_read_up_to_a_nul(client, make_key):
    """As the official client reads it, as a C string."""
    key = make_key()
    await client.operate(key, [op.write(bytearray(b"name\0tail"), "v")])
    assert (await client.get(key))[2] == {"name": "v"}


BAD_CALLS = [
    ("get", ("not-a-tuple",), E.ParamError),
    ("get", (("test", "it"),), E.ParamError),
    ("get", ((1, "it", "k"),), E.ParamError),
    ("get", (("test", 5, "k"),), E.ParamError),
    ("get", (("test", "it", None),), E.ParamError),
    ("get", (("test", "it", [1]),), E.ParamError),
    ("get", (("test", "s" * 64, "k"),), E.ParamError),
    ("put", (("test", "it", "bad"), [("a", 1)]), E.ParamError),
    ("put", (("test", "it", "bad"), {1: "a"}), E.ClientError),
    ("put", (("test", "it", "bad"), {"abcdefghijklmnop": 1}), E.BinNameError),
    ("put", (("test", "it", "bad"), {"a": {1, 2}}), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": (1, 2)}), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": 2**64}), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": 1}, 5), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": 1}, {"ttl": "x"}), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": 1}, None, "x"), E.ParamError),
    ("put", (("test", "it", "bad"), {"a": 1}, None, {"total_timeout": "x"}), E.ParamError),
    ("operate", (("test", "it", "bad"), op.read("a")), E.ParamError),
    ("operate", (("test", "it", "bad"), [{"op": 9999, "bin": "a"}]), E.ParamError),
    ("append", (("test", "it", "bad"), "a", 5), E.ParamError),
    ("increment", (("test", "it", "bad"), "a", "x"), E.ParamError),
    ("select", (("test", "it", "bad"), "a"), E.ParamError),
    ("apply", (("test", "it", "bad"), 5, "f", []), E.ParamError),
    ("apply", (("test", "it", "bad"), "m", None, []), E.ParamError),
    ("apply", (("test", "it", "bad"), "m", "f", [{1, 2}]), E.ClientError),  # as official
]


@pytest.mark.parametrize("method,args,exc", BAD_CALLS,
                         ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BAD_CALLS)])
async def test_bad_input_is_rejected_before_sending(client, namespace, method, args, exc):
    args = tuple((namespace,) + a[1:] if isinstance(a, tuple) and len(a) == 3
                 and a[0] == "test" else a for a in args)
    with pytest.raises(exc) as info:
        await getattr(client, method)(*args)
    assert info.value.code is not None and info.value.msg


async def test_bad_input_leaves_the_stored_record_alone(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    for bins in ({"a": {1}}, {"a": 2**64}, {"abcdefghijklmnop": 1}):
        with pytest.raises(E.AerospikeError):
            await client.put(key, bins)
    assert (await client.get(key))[1:] == ({"ttl": NEVER, "gen": 1}, {"a": 1})


async def test_operations_lists_that_are_empty_are_refused_before_sending(client, make_key):
    """An empty operations list is a ParamError, as in the official client: operate and
    operate_ordered say "No operations defined", batch_operate names its ``ops``; the
    record is not touched."""
    key = make_key()
    await client.put(key, {"a": 1})
    for call in (client.operate, client.operate_ordered):
        with pytest.raises(E.ParamError, match="No operations defined") as info:
            await call(key, [])
        assert info.value.code == -2
    for ops_arg in ([], "x", None):
        with pytest.raises(E.ParamError, match="ops should be a list of op dictionaries"):
            await client.batch_operate([key], ops_arg)
    with pytest.raises(E.ParamError, match="op should be an aerospike operation dictionary"):
        await client.batch_operate([key], [1])
    assert (await client.get(key))[1:] == ({"ttl": NEVER, "gen": 1}, {"a": 1})


async def test_record_errors_name_the_key_and_the_bin_argument(client, make_key):
    """A record error carries the key as the caller gave it and the command's bin
    argument (a put's bins, the bin of append or increment; else None), as the official
    client's do."""
    key, missing = make_key(), make_key()
    await client.put(key, {"a": 1, "s": "x"})
    with pytest.raises(E.RecordNotFound) as info:
        await client.get(missing)
    assert info.value.key is missing and info.value.bin is None
    with pytest.raises(E.RecordExistsError) as info:
        await client.put(key, {"a": 2}, policy={"exists": C.POLICY_EXISTS_CREATE})
    assert (info.value.key, info.value.bin) == (key, {"a": 2})
    with pytest.raises(E.BinIncompatibleType) as info:
        await client.increment(key, "s", 1)
    assert (info.value.key, info.value.bin) == (key, "s")
    for call in (client.remove, client.touch, lambda k: client.operate(k, [op.read("a")])):
        with pytest.raises(E.RecordNotFound) as info:
            await call(missing)
        assert (info.value.key, info.value.bin) == (missing, None)


async def test_a_closed_client_refuses_commands_with_cluster_error(config, make_key):
    """After close(), commands raise ClusterError (code 11), as the official client does."""
    c = Client(config)
    await c.connect()
    await c.put(make_key(), {"a": 1})
    await c.close()
    assert not c.is_connected()
    for call in (lambda: c.get(make_key()), lambda: c.batch_read([make_key()])):
        with pytest.raises(E.ClusterError) as info:
            await call()
        assert (info.value.code, info.value.msg) == (11, "No connection to aerospike cluster")


async def test_unknown_namespace_is_refused_before_sending(client):
    with pytest.raises(E.NamespaceNotFound) as info:
        await client.get(("nosuchns", "it", "k"))
    assert info.value.code == 20


async def test_put_with_no_bins_is_refused_by_the_server(client, make_key):
    with pytest.raises(E.InvalidRequest):
        await client.put(make_key(), {})


async def test_many_concurrent_commands_share_the_pool(client, make_key):
    keys = [make_key(i) for i in range(200)]
    await asyncio.gather(*(client.put(k, {"i": i}) for i, k in enumerate(keys)))
    records = await asyncio.gather(*(client.get(k) for k in keys))
    assert [r[2]["i"] for r in records] == list(range(200))
    node = client.cluster.nodes[0]
    assert node.pool.in_use == 0 and 1 <= node.pool.total <= 100


async def test_client_reports_connection_and_nodes(client, config):
    assert client.is_connected()
    names = client.get_node_names()
    assert names and all({"address", "port", "node_name"} <= set(n) for n in names)
    assert set(client.get_nodes()) <= {(n["address"], n["port"]) for n in names}
    assert (await client.info_random_node("build")).startswith("build\t")


async def test_expression_write_create_only_refuses_an_existing_bin(client, make_key):
    from aerospike_helpers import expressions as exp
    from aerospike_helpers.operations import expression_operations as expr_ops
    key = make_key()
    await client.put(key, {"a": 1})
    write = expr_ops.expression_write("a", exp.Val(2).compile(),
                                      C.EXP_WRITE_CREATE_ONLY)
    with pytest.raises(E.BinExistsError):
        await client.operate(key, [write])
    assert (await client.get(key))[2] == {"a": 1}


@pytest.mark.parametrize("command", ["get", "exists"])
async def test_reads_send_the_same_bytes_from_their_cached_request_prefix(client, make_key,
                                                                         monkeypatch, command):
    """get's and exists' requests are cached up to the digest per policy, namespace and
    set: later calls send exactly what encoding them afresh sends, and a policy that sends
    the user key is never cut short."""
    import aerospike_async.client as client_module
    import aerospike_async.protocol.message as M
    from aerospike_async._validate import parse_key
    sent: list[bytes] = []
    real = client_module.execute

    async def spy(cluster, pol, ns, digest, is_write, request):  # type: ignore[no-untyped-def]
        sent.append(request)
        return await real(cluster, pol, ns, digest, is_write, request)
    monkeypatch.setattr(client_module, "execute", spy)
    keys = [make_key(i) for i in range(3)]
    for k in keys:
        await client.put(k, {"v": 1})
    sent.clear()
    policies = [None, {"total_timeout": 700}, {"key": C.POLICY_KEY_SEND}]
    call = getattr(client, command)
    for policy in policies:
        for k in keys:
            await call(k, policy)
    bits = client_module._READ_ALL if command == "get" else M.INFO1_READ | M.INFO1_NOBINDATA
    for i, request in enumerate(sent):
        pol = client._policies.resolve("read", policies[i // 3])
        info1, info3 = client._read_bits(pol)
        ns, set_name, user_key, digest = parse_key(keys[i % 3])
        fields, n = client._fields(pol, ns, set_name, user_key, digest)
        assert request == client_module.encode_command(
            info1 | bits, 0, info3, 0, 0, 0, pol.header_timeout, fields, n)
    assert keys[2][2].encode() in sent[-1] and keys[2][2].encode() not in sent[2]


async def test_null_removes_a_bin_and_travels_as_nil_in_collections(client, make_key):
    from aerospike_async.types import null
    from aerospike_helpers.operations import list_operations as lo
    key = make_key()
    await client.put(key, {"a": 1, "b": 2, "l": [1]})
    await client.put(key, {"a": null(), "m": {"x": null()}})
    await client.operate(key, [lo.list_append("l", null()), op.write("b", null())])
    assert (await client.get(key))[2] == {"l": [1, None], "m": {"x": None}}


async def test_values_travel_as_the_official_client_sends_them(client, make_key):
    """Strings end at their first NUL (bins, list items, map keys and values); a map
    leaves out, with a DeprecationWarning, the keys its server cannot take."""
    key = make_key()
    with pytest.warns(DeprecationWarning) as caught:
        await client.put(key, {"s": "a\x00b", "l": ["c\x00d"], "m": {"k\x00z": "v\x00w", None: 1}})
        await client.put(key, {"n": {True: 1, 2.5: 2, "a": 3}})
    assert sorted(str(w.message) for w in caught) == [
        f"Attempted to store a map with key {k}, which is an invalid type"
        for k in ("2.5", "NIL", "true")]
    assert (await client.get(key))[2] == {"s": "a", "l": ["c"], "m": {"k": "v"}, "n": {"a": 3}}


@pytest.mark.parametrize("value", [[1 << 63], {"k": (1 << 64) - 1}, [[-(1 << 63) - 1]]],
                         ids=["list", "map", "nested"])
async def test_integers_past_64_bits_in_collections_are_refused(client, make_key, value):
    from aerospike_helpers.operations import list_operations as lo
    key = make_key()
    await client.put(key, {"l": [0]})
    with pytest.raises(E.ParamError, match="integer value exceeds sys.maxsize"):
        await client.put(key, {"l": value})
    with pytest.raises(E.ParamError, match="integer value exceeds sys.maxsize"):
        await client.operate(key, [lo.list_append("l", value)])
    assert (await client.get(key))[2] == {"l": [0]}


async def test_deserialize_false_leaves_lists_and_maps_as_their_msgpack_bytes(client, make_key):
    from aerospike_helpers.operations import list_operations as lo
    from aerospike_helpers.operations import map_operations as mo
    from conftest import RUN_ID
    key = make_key(set_name=f"deser_{RUN_ID}")
    await client.put(key, {"l": [5, 1, 4], "m": {"a": 1}, "s": "str", "i": 3})
    raw = {"deserialize": False}
    raw_l, raw_m = b"\x93\x05\x01\x04", b"\x81\xa2\x03a\x01"
    assert (await client.get(key, policy=raw))[2] == {"l": raw_l, "m": raw_m, "s": "str", "i": 3}
    assert (await client.select(key, ["l"], policy=raw))[2] == {"l": raw_l}
    _, _, bins = await client.operate(
        key, [lo.list_get_range("l", 0, 3),
              mo.map_get_by_key_list("m", ["a"], C.MAP_RETURN_KEY_VALUE)], policy=raw)
    assert bins == {"l": raw_l, "m": b"\x82\xc7\x00\x08\xc0\xa2\x03a\x01"}
    batch = await client.batch_read([key], policy=raw)
    assert batch.batch_records[0].record[2]["l"] == raw_l
    query = client.query(key[0], key[1])
    assert [r[2]["m"] for r in await query.results(policy=raw)] == [raw_m]
    # a scan policy has no such key: the official client decodes as usual
    scan = client.scan(key[0], key[1])
    assert [r[2]["m"] for r in await scan.results(policy=raw)] == [{"a": 1}]
    assert (await client.get(key))[2]["l"] == [5, 1, 4]


async def test_ttl_rules_of_the_official_client(client, make_key):
    """touch's val decides the ttl over meta's; an operate touch's ttl wins over meta's; a
    ttl past ten years, or a policy ttl of -3, is the server's parameter error."""
    key = make_key()
    await client.put(key, {"a": 1})
    await client.touch(key, 120, meta={"ttl": 77})
    assert 118 <= (await client.exists(key))[1]["ttl"] <= 120
    with pytest.warns(DeprecationWarning, match="TTL should be specified in the policy"):
        _, meta, _ = await client.operate(key, [op.touch(300)], meta={"ttl": 50})
    assert 298 <= meta["ttl"] <= 300
    for policy, meta_ttl in (({}, {"ttl": 11 * 365 * 24 * 3600}), ({"ttl": -3}, {})):
        with pytest.raises(E.InvalidRequest):
            await client.put(key, {"a": 2}, meta=meta_ttl, policy=policy)
    assert (await client.get(key))[2] == {"a": 1}


async def test_remove_takes_the_generation_of_its_policy(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    await client.put(key, {"a": 2})
    eq = {"gen": C.POLICY_GEN_EQ}
    with pytest.raises(E.RecordGenerationError):
        await client.remove(key, policy={**eq, "generation": 1})
    assert await client.remove(key, policy={**eq, "generation": 2}) == 0
    assert (await client.exists(key))[1] is None


async def test_get_gives_back_the_user_key_it_sent(client, make_key):
    key = make_key()
    await client.put(key, {"a": 1})
    assert (await client.get(key))[0][2] is None
    assert (await client.get(key, policy={"key": C.POLICY_KEY_SEND}))[0][2] == key[2]
    # -1: never reset the ttl on read (sent as 0xFFFFFFFF)
    assert (await client.get(key, policy={"read_touch_ttl_percent": -1}))[2] == {"a": 1}
