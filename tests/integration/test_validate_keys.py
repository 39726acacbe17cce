"""The sync drop-in's config checks as a user meets them: ``validate_keys`` on every
policy and metadata dict, the client's default ttl for background scans and queries,
argument wording the official client has, and the constructor that connects."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable

import pytest

import aerospike
from aerospike import exception as E
from aerospike import predicates as p
from aerospike_helpers.batch import records as br
from aerospike_helpers.metrics import MetricsPolicy
from aerospike_helpers.operations import bitwise_operations as bw
from aerospike_helpers.operations import hll_operations as hll
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import map_operations as mo
from aerospike_helpers.operations import operations as op
from conftest import blocking_wait_for

BAD = {"a": 1}
BAD_POLICY = '"a" is an invalid policy dictionary key'


@pytest.fixture
def checked(config: dict) -> Any:
    client = aerospike.client({**config, "validate_keys": True})
    try:
        yield client
    finally:
        client.close()


def _calls(c: Any, key: tuple, ns: str) -> list[tuple[str, Callable[[], Any]]]:
    """One call per kind of policy dict, each given the unknown key ``a``."""
    return [
        ("get", lambda: c.get(key, policy=BAD)),
        ("select", lambda: c.select(key, ["v"], policy=BAD)),
        ("exists", lambda: c.exists(key, policy=BAD)),
        ("put", lambda: c.put(key, {"v": 2}, policy=BAD)),
        ("touch", lambda: c.touch(key, 100, policy=BAD)),
        ("append", lambda: c.append(key, "s", "x", policy=BAD)),
        ("increment", lambda: c.increment(key, "v", 1, policy=BAD)),
        ("operate", lambda: c.operate(key, [op.read("v")], policy=BAD)),
        ("remove", lambda: c.remove(key, policy=BAD)),
        ("apply", lambda: c.apply(key, "m", "f", [], policy=BAD)),
        ("batch_read", lambda: c.batch_read([key], policy=BAD)),
        ("batch_operate", lambda: c.batch_operate([key], [op.read("v")],
                                                  policy_batch_write=BAD)),
        ("batch_apply", lambda: c.batch_apply([key], "m", "f", [], policy_batch_apply=BAD)),
        ("batch_remove", lambda: c.batch_remove([key], policy_batch_remove=BAD)),
        ("batch_write Read", lambda: c.batch_write(br.BatchRecords(
            [br.Read(key, [op.read("v")], policy=BAD)]))),
        ("batch_write Write", lambda: c.batch_write(br.BatchRecords(
            [br.Write(key, [op.write("v", 1)], policy=BAD)]))),
        ("scan", lambda: c.scan(ns, "vk").results(BAD)),
        ("query", lambda: c.query(ns, "vk").results(BAD)),
        ("scan_apply", lambda: c.scan_apply(ns, "vk", "m", "f", [], BAD)),
        ("query_apply", lambda: c.query_apply(ns, "vk", p.equals("v", 1), "m", "f", [], BAD)),
        ("info_all", lambda: c.info_all("status", BAD)),
        ("info_random_node", lambda: c.info_random_node("status", BAD)),
        ("udf_list", lambda: c.udf_list(BAD)),
        ("index_remove", lambda: c.index_remove(ns, "no_such_index", BAD)),
        ("admin", lambda: c.admin_query_user_info("nobody", BAD)),
        ("list policy", lambda: c.operate(key, [lo.list_append("l", 1, policy=BAD)])),
        ("map policy", lambda: c.operate(key, [mo.map_put("m", "k", 1, map_policy=BAD)])),
        ("bit policy", lambda: c.operate(key, [bw.bit_not("b", 0, 8, policy=BAD)])),
        ("hll policy", lambda: c.operate(key, [hll.hll_add("h", [1], policy=BAD)])),
        ("batch op policy", lambda: c.batch_operate(
            [key], [lo.list_append("l", 1, policy=BAD)])),
    ]


def test_validate_keys_refuses_an_unknown_policy_key_of_every_kind(checked, make_key,
                                                                   namespace):
    key = make_key()
    checked.put(key, {"v": 1})
    for name, call in _calls(checked, key, namespace):
        with pytest.raises(E.ParamError) as info:
            call()
        assert info.value.msg == BAD_POLICY, name
    assert checked.get(key)[2] == {"v": 1}   # nothing was sent


def test_without_validate_keys_unknown_keys_are_ignored(sync_client, make_key):
    key = make_key()
    assert sync_client.put(key, {"v": 1}, meta={"ttl": 100, "generation": 5},
                           policy=BAD) == 0
    assert sync_client.get(key, policy=BAD)[2] == {"v": 1}
    sync_client.operate(key, [lo.list_append("l", 1, policy=BAD)], policy=BAD)
    assert sync_client.info_all("status", BAD)
    assert sync_client.remove(key, policy=BAD) == 0


def test_validate_keys_takes_the_documented_keys(checked, make_key, namespace):
    key = make_key()
    checked.put(key, {"v": 1}, meta={"ttl": 100, "gen": 0},
                policy={"key": aerospike.POLICY_KEY_SEND, "total_timeout": 5000,
                        "compression_threshold": 0})
    assert checked.get(key, {"read_mode_ap": 0, "read_touch_ttl_percent": 0})[2] == {"v": 1}
    checked.operate(key, [lo.list_append("l", 1, policy={"write_flags": 0}),
                          mo.map_put("m", "k", 1, map_policy={"map_order": 1})],
                    policy={"ttl": 100, "deserialize": True})
    records = checked.batch_write(br.BatchRecords(
        [br.Read(key, [op.read("v")], policy={"read_mode_ap": 0}),
         br.Write(key, [op.write("w", 1)], meta={"ttl": 100}, policy={"ttl": 50})]))
    assert [r.result for r in records.batch_records] == [0, 0]
    assert checked.scan(namespace, "vk").results({"max_records": 1, "ttl": 0}) is not None
    assert checked.info_random_node("status", {"timeout": 1000})
    checked.remove(key, policy={"generation": 0, "durable_delete": False})


def test_validate_keys_refuses_an_unknown_metadata_key(checked, make_key):
    key = make_key()
    for call in (lambda: checked.put(key, {"v": 1}, meta={"ttl": 30, "generation": 1}),
                 lambda: checked.operate(key, [op.write("v", 1)], meta={"generation": 1}),
                 lambda: checked.batch_write(br.BatchRecords(
                     [br.Write(key, [op.write("v", 1)], meta={"generation": 1})]))):
        with pytest.raises(E.ParamError) as info:
            call()
        assert info.value.msg == '"generation" is an invalid record metadata dictionary key'
    with pytest.raises(E.RecordNotFound):
        checked.get(key)


def test_bools_in_metadata_are_the_ints_they_are(sync_client, make_key):
    key = make_key()
    assert sync_client.put(key, {"v": 1}, meta={"gen": True, "ttl": 1000}) == 0
    assert sync_client.put(key, {"v": 2}, meta={"gen": False, "ttl": 1000}) == 0
    assert sync_client.get(key)[2] == {"v": 2}
    with pytest.raises(E.ParamError):
        sync_client.touch(key, 120, {"ttl": 2 ** 64})
    with pytest.raises(E.ParamError):
        sync_client.put(key, {"v": 1}, meta={"gen": None})


def test_remove_takes_only_an_int_gen_from_its_meta(sync_client, make_key):
    key = make_key()
    sync_client.put(key, {"v": 1})
    sync_client.put(key, {"v": 2})   # generation 2
    gt = {"gen": aerospike.POLICY_GEN_GT}
    for meta in (("gen", 5), "x", {"gen": "5"}, {"gen": 1}):   # all but the int 5: gen 0/1
        with pytest.raises(E.RecordGenerationError):
            sync_client.remove(key, meta, gt)
    assert sync_client.remove(key, {"gen": 5}, gt) == 0


def test_remove_bin_wording(sync_client, make_key):
    key = make_key()
    sync_client.put(key, {"v": 1, "w": 2})
    with pytest.raises(E.ParamError) as info:
        sync_client.remove_bin(None, None)
    assert info.value.msg == "Bins should be a list"
    with pytest.raises(E.ClientError) as client_error:
        sync_client.remove_bin(key, ["w"], {}, {"total_timeout": 0.5})
    assert client_error.value.code == -1
    assert client_error.value.msg == "Incorrect policy -> total_timeout is invalid"
    assert sync_client.get(key)[2] == {"v": 1, "w": 2}


def test_a_cdt_range_marker_is_no_bin_value(sync_client, make_key):
    for value, code in ((aerospike.CDTInfinite(), 14), (aerospike.CDTWildcard(), 13)):
        with pytest.raises(E.ClientError) as info:
            sync_client.put(make_key(), {"a": value})
        assert info.value.msg == f"Invalid value type: {code}"


def test_background_jobs_take_the_client_default_ttl(config, namespace):
    set_name = f"ttl-{uuid.uuid4().hex[:8]}"
    key = (namespace, set_name, "k")
    client = aerospike.client({**config, "policies": {"scan": {"ttl": 9000},
                                                      "write": {"ttl": 7000}}})
    try:
        for job_of, expected in ((client.scan, 9000), (client.query, 7000)):
            client.put(key, {"s": "a"}, meta={"ttl": 90})
            job = job_of(namespace, set_name)
            job.ttl = aerospike.TTL_CLIENT_DEFAULT
            job.add_ops([op.append("s", "b")])
            job_id = job.execute_background()
            module = aerospike.JOB_SCAN if job_of == client.scan else aerospike.JOB_QUERY
            blocking_wait_for(lambda: client.job_info(job_id, module)["status"]
                              == aerospike.JOB_STATUS_COMPLETED, timeout=10)
            _key, meta, bins = client.get(key)
            assert bins["s"].endswith("b") and expected - 50 < meta["ttl"] <= expected
    finally:
        client.remove(key)
        client.close()


def test_enable_metrics_without_a_policy_takes_the_configs(config, tmp_path: Path):
    policy = MetricsPolicy(report_dir=str(tmp_path), latency_columns=3, latency_shift=2)
    client = aerospike.client({**config, "policies": {"metrics": policy}})
    try:
        client.enable_metrics()
        client.disable_metrics()
    finally:
        client.close()
    (log,) = tmp_path.glob("metrics-*.log")
    assert "latency(3,2)" in log.read_text().splitlines()[0]


def test_the_constructor_connects_and_needs_a_config(config):
    client = aerospike.Client(config)
    try:
        assert client.is_connected()
    finally:
        client.close()
    with pytest.raises(E.ParamError) as info:
        aerospike.client()
    assert info.value.msg == "No config argument"
    assert isinstance(info.value.__context__, TypeError)


def test_not_connected_wording(config, make_key):
    client = aerospike.client(config)
    client.close()
    for call in (client.get_node_names, lambda: client.info_random_node("status"),
                 lambda: client.info_single_node("status", "x")):
        with pytest.raises(E.ClusterError) as info:
            call()
        assert info.value.msg == "No connection to aerospike cluster."
    with pytest.raises(E.ClusterError) as info:
        client.get(make_key())
    assert info.value.msg == "No connection to aerospike cluster"


def test_info_single_node_checks_its_policy_before_the_host(sync_client):
    with pytest.raises(E.ParamError) as info:
        sync_client.info_single_node("status", "no-such-node", {"timeout": 0.5})
    assert info.value.msg == "timeout is invalid"
    with pytest.raises(E.ParamError) as info:
        sync_client.info_single_node("status", "no-such-node")
    assert info.value.msg == "Could not get node with name no-such-node."


def test_methods_name_their_class_as_the_official_ones_do():
    assert aerospike.Client.get.__objclass__ is aerospike.Client
    assert aerospike.Scan.results.__objclass__ is aerospike.Scan
    assert aerospike.Query.results.__objclass__ is aerospike.Query
