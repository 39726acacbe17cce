"""The same script through our sync drop-in and through the official client, against the
same server: what the two return must be the same, step by step.

Each step prints what a user's code could depend on and the wire vectors do not show: the
class and attributes of batch records, the key, bin, module and function an exception
carries, batch records' messages, the keys of get_partitions_status, and whether a page
left early loses records. Each run writes its own set, so neither sees the other's
records. With ``AEROSPIKE_HOSTS`` both run against that cluster instead.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid

import pytest

from official import official_python_or_skip

NAMESPACE = os.environ.get("AEROSPIKE_NAMESPACE", "test")

PARITY_SCRIPT = r'''
import json, sys
import aerospike
from aerospike import exception
from aerospike import predicates as p
from aerospike_helpers import expressions as exp
from aerospike_helpers import cdt_ctx
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import list_operations as lop
from aerospike_helpers.operations import map_operations as mop
from aerospike_helpers.operations import operations as op

hosts = [(h, p) for h, p in json.loads(sys.argv[1])]
ns, set_name = sys.argv[2], sys.argv[3]
client = aerospike.client({"hosts": hosts}).connect()
out = {}

def key(name):
    return (ns, set_name, name)

def step(name, fn):
    try:
        out[name] = fn()
    except Exception as e:  # what was raised is the step's outcome
        out[name] = ["raised", type(e).__name__, getattr(e, "code", None),
                     getattr(e, "msg", None)]

def raised(fn):
    """The class and message of what fn raises (builtin exceptions carry no code)."""
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e)]

def failure(fn, passed=None, *names):
    """The class and code of what fn raises, whether its key is the one passed, and the
    other attributes named."""
    try:
        fn()
    except exception.AerospikeError as e:
        got = [type(e).__name__, e.code]
        if passed is not None:
            got.append(getattr(e, "key", None) == passed)
        return got + [getattr(e, n, "<absent>") for n in names]
    return "no error"

def shape(res):
    return [[type(r).__name__, sorted(vars(r)), r.result] for r in res.batch_records]

def wording(res):
    # the message without its node address
    return [[r.result, r.message and r.message.split(" ", 1)[1]] for r in res.batch_records]

keys = [key("b%d" % i) for i in range(3)]
for k in keys:
    client.put(k, {"a": 1, "s": "x"})
never = exp.Eq(exp.IntBin("a"), 99).compile()

step("batch_read", lambda: shape(client.batch_read(keys)))
step("batch_read_bins", lambda: shape(client.batch_read(keys, ["a"])))
step("batch_operate_read", lambda: shape(client.batch_operate(keys, [op.read("a")])))
step("batch_operate_write", lambda: shape(client.batch_operate(keys, [op.write("w", 1)])))
step("batch_remove_filtered_one_key", lambda: [
    wording(client.batch_remove(keys[:1], policy_batch={"expressions": never})),
    client.exists(keys[0])[1] is not None])
step("batch_operate_filtered_one_key", lambda: [
    wording(client.batch_operate(keys[:1], [op.write("w", 2)],
                                 policy_batch={"expressions": never})),
    client.get(keys[0])[2].get("w")])
step("batch_incr_str_one_key",
     lambda: wording(client.batch_operate(keys[:1], [op.increment("s", 1)])))
step("batch_missing_and_bad_namespace", lambda: wording(client.batch_read(
    [key("missing"), ("nosuchnamespace", set_name, 1)])))
step("batch_remove", lambda: shape(client.batch_remove(keys)))

client.put(key("e"), {"a": 1, "s": "x"})
step("get_missing", lambda: failure(lambda: client.get(key("nope")), key("nope"), "bin"))
step("put_create_only", lambda: failure(
    lambda: client.put(key("e"), {"a": 2}, policy={"exists": aerospike.POLICY_EXISTS_CREATE}),
    key("e"), "bin"))
step("increment_str", lambda: failure(lambda: client.increment(key("e"), "s", 1),
                                      key("e"), "bin"))
step("remove_missing", lambda: failure(lambda: client.remove(key("nope")), key("nope"),
                                       "bin"))
step("operate_missing", lambda: failure(lambda: client.operate(key("nope"), [op.read("a")]),
                                        key("nope"), "bin"))
step("apply_unknown_module", lambda: failure(
    lambda: client.apply(key("e"), "no_such_module", "f", []), None, "module", "func"))
step("operate_empty", lambda: client.operate(key("e"), []))
step("operate_ordered_empty", lambda: client.operate_ordered(key("e"), []))
step("batch_operate_empty", lambda: client.batch_operate([key("e")], []))
step("batch_operate_not_dicts", lambda: client.batch_operate([key("e")], [1]))

paged_set = set_name + "p"   # a set of its own: set_name holds the records above
for i in range(300):
    client.put((ns, paged_set, i), {"i": i})

def pages_after_an_early_stop():
    scan = client.scan(ns, paged_set)
    scan.paginate()
    seen = []
    def take_ten(record):
        seen.append(record[2]["i"])
        return len(seen) < 10
    scan.foreach(take_ten, {"max_records": 100})
    status = scan.get_partitions_status()
    first = [sorted(k for k in status if not isinstance(k, int)), status["done"]]
    for _ in range(20):
        if scan.is_done():
            break
        seen += [r[2]["i"] for r in scan.results({"max_records": 100})]
    status = scan.get_partitions_status()
    refused = seen[9]   # the record the callback returned False for
    return [first, status["done"], status["retry"], sorted(set(seen)) == list(range(300)),
            len(seen), seen.count(refused)]
step("paginate_after_early_stop", pages_after_an_early_stop)

# bad input, each refused (or taken) as the official client does
step("batch_remove_no_keys", lambda: [len(client.batch_remove([]).batch_records)])
step("batch_operate_no_keys",
     lambda: [len(client.batch_operate([], [op.read("a")]).batch_records)])
step("info_all_not_str", lambda: client.info_all(5))
step("put_ttl_none", lambda: client.put(key("e"), {"a": 1}, meta={"ttl": None}))
step("put_ttl_client_default", lambda: client.put(key("e"), {"a": 1}, meta={"ttl": -3}))
step("batch_operate_write_policy_str",
     lambda: client.batch_operate([key("e")], [op.read("a")], None, "x"))
step("batch_write_meta_str", lambda: client.batch_write(
    br.BatchRecords([br.Write(key("e"), [op.write("a", 1)], meta="x")])))
step("query_options_not_dict", lambda: client.query(ns, set_name).results(None, "x"))
step("query_nobins_not_bool",
     lambda: client.query(ns, set_name).results(None, {"nobins": 1}))
step("namespace_too_long", lambda: client.get(("n" * 40, set_name, "k")))
step("digest_as_bytes", lambda: client.get((ns, set_name, None, b"x" * 20)))
step("digest_too_short", lambda: client.get((ns, set_name, None, bytearray(19))))
step("bool_user_key", lambda: [client.put((ns, set_name, True), {"b": 1}),
                               client.get((ns, set_name, 1))[2]])
step("select_bin_not_str", lambda: client.select(key("e"), [1]))
step("select_bin_too_long", lambda: client.select(key("e"), ["b" * 16])[2])
step("operate_bin_too_long", lambda: client.operate(key("e"), [op.write("b" * 16, 1)]))
step("append_bin_not_str", lambda: client.append(key("e"), 5, "x"))
step("batch_read_bin_not_str", lambda: client.batch_read([key("e")], [1]))
step("scan_select_not_str", lambda: client.scan(ns, set_name).select(1))
step("host_without_port", lambda: aerospike.client({"hosts": [("127.0.0.1",)]}))
client.put(key("c"), {"l": [3, 1, 2], "m": {"a": 1}})
step("list_sort_flags_not_int", lambda: client.operate(key("c"), [lop.list_sort("l", "x")]))
step("list_set_order_not_int", lambda: client.operate(key("c"), [lop.list_set_order("l", "x")]))
step("list_policy_order_not_int", lambda: client.operate(key("c"), [
    lop.list_append("l", 4, policy={"list_order": "x"})]))
step("map_policy_order_not_int", lambda: client.operate(key("c"), [
    mop.map_put("m", "b", 2, map_policy={"map_order": "x"})]))
step("value_list_not_list", lambda: client.operate(key("c"), [
    lop.list_remove_by_value_list("l", 5, aerospike.LIST_RETURN_NONE)]))
step("ctx_index_not_int", lambda: client.operate(key("c"), [
    lop.list_get("l", 0, ctx=[cdt_ctx.cdt_ctx_list_index("x")])]))
step("op_value_unserializable", lambda: client.operate(key("c"), [op.write("o", object())]))
step("cdt_value_unserializable", lambda: client.operate(key("c"), [
    lop.list_append("l", {1, 2})]))
step("udf_arg_unserializable", lambda: client.apply(key("c"), "m", "f", [{1, 2}]))
step("put_lone_surrogate", lambda: client.put(key("c"), {"s": "\ud800"}))
step("query_foreach_callback_raises",
     lambda: client.query(ns, paged_set).foreach(lambda record: 1 / 0))
step("scan_foreach_callback_raises",
     lambda: client.scan(ns, paged_set).foreach(lambda record: 1 / 0))
step("scan_foreach_not_callable", lambda: client.scan(ns, paged_set).foreach(5))

# scans and queries: partition filters, UDF arguments, argument checks
def partition_arg_counts(kind):
    counts = set()
    getattr(client, kind)(ns, paged_set).foreach(lambda *a: counts.add(len(a)),
                                                 {"partition_filter": {}})
    return sorted(counts)
step("query_foreach_partition_filter_args", lambda: partition_arg_counts("query"))
step("scan_foreach_partition_filter_args", lambda: partition_arg_counts("scan"))
def filter_kept(kind):
    obj = getattr(client, kind)(ns, paged_set)
    half = {"partition_filter": {"begin": 0, "count": 2048}}
    in_half = len(client.scan(ns, paged_set).results(half))   # a fresh object's count
    got = [len(obj.results(half)) == in_half > 0, len(obj.results(half)), obj.is_done()]
    try:
        obj.results({"partition_filter": {"begin": 2048, "count": 2048}})
    except exception.ParamError as e:
        got.append(e.msg)
    return got
step("query_partition_filter_kept", lambda: filter_kept("query"))
step("scan_partition_filter_kept", lambda: filter_kept("scan"))
def status_refused(status):
    return client.query(ns, paged_set).results(
        {"partition_filter": {"begin": 7, "count": 1, "partition_status": status}})
step("partition_status_no_done", lambda: status_refused({"retry": 1}))
step("partition_status_retry_str", lambda: status_refused({"done": 0, "retry": "x"}))
step("partition_status_bad_init", lambda: status_refused(
    {"done": 0, "retry": 1, 7: (7, "x", 1, bytearray(20), 0)}))
step("partition_status_bad_bval", lambda: status_refused(
    {"done": 0, "retry": 1, 7: (7, 1, 1, bytearray(20), "x")}))
step("query_apply_returns_the_query", lambda: [
    q.apply("m", "f", [1, [2.5, None], {"k": b"v"}]) is q
    for q in [client.query(ns, set_name)]])
step("query_apply_tuple_arg", lambda: client.query(ns, set_name).apply("m", "f", [[(1, 2)]]))
step("scan_apply_set_arg", lambda: client.scan(ns, set_name).apply("m", "f", [{"k": {1}}]))
step("query_apply_args_not_list", lambda: client.query(ns, set_name).apply("m", "f", "a"))
step("query_apply_module_not_str", lambda: client.query(ns, set_name).apply(1, "f", []))
step("client_query_apply_args_none", lambda: client.query_apply(
    ns, set_name, p.between("i", 1, 2), "m", "f", None))
step("client_query_apply_tuple_arg", lambda: client.query_apply(
    ns, set_name, p.between("i", 1, 2), "m", "f", [(1, 2)]))
step("client_query_apply_ns_none", lambda: client.query_apply(
    None, set_name, p.between("i", 1, 2), "m", "f", [1]))
step("scan_apply_concurrent_int", lambda: client.scan_apply(
    ns, set_name, "m", "f", [1], {}, {"concurrent": 5}))
def empty_udf(call):
    q = client.query(ns, paged_set)
    q.apply("", "")
    return call(q)
step("query_empty_udf_is_no_aggregation", lambda: empty_udf(lambda q: len(q.results())))
step("query_empty_udf_background", lambda: empty_udf(lambda q: q.execute_background()))
step("aggregate_options_not_dict", lambda: [
    q.foreach(lambda v: None, None, "") for q in [client.query(ns, set_name)]
    if q.apply("m", "f") is q])
step("between_bools", lambda: p.between("i", True, False))
step("query_without_namespace", lambda: client.query())
step("scan_without_namespace", lambda: client.scan())
step("query_set_not_str", lambda: client.query(ns, 5))
step("job_info_module_not_str", lambda: client.job_info(1, None))
step("job_info_id_not_int", lambda: client.job_info("1", aerospike.JOB_SCAN))
step("udf_get_language_not_int", lambda: client.udf_get("m.lua", "0"))
step("udf_put_language_one", lambda: client.udf_put("m.lua", 1))
step("udf_put_name_too_long", lambda: client.udf_put("a" * 600 + ".lua"))
step("args_missing", lambda: raised(lambda: client.get()))
step("args_missing_second", lambda: raised(lambda: client.put(key("a"))))
step("args_too_many", lambda: raised(lambda: client.append(key("a"), "b", "c", {}, {}, 1)))
step("args_too_many_keywords", lambda: raised(
    lambda: client.get(key=key("a"), policy=None, extra=1)))
step("args_invalid_keyword", lambda: raised(lambda: client.put(key("a"), {}, bad=1)))
step("args_name_and_position", lambda: raised(lambda: client.get(key("a"), key=key("a"))))
step("args_info_all", lambda: raised(lambda: client.info_all()))
step("args_batch_read", lambda: raised(lambda: client.batch_read([key("a")], None, {}, 1)))
step("args_query_foreach", lambda: raised(lambda: client.query(ns, set_name).foreach()))
step("args_scan_results", lambda: raised(lambda: client.scan(ns, set_name).results(bad=1)))
step("args_calc_digest", lambda: raised(lambda: aerospike.calc_digest(ns)))
step("args_partition_id", lambda: raised(lambda: client.get_key_partition_id(ns, set_name)))
step("txn_capacity_over_32_bits", lambda: raised(
    lambda: aerospike.Transaction(reads_capacity=2**32)))
step("txn_capacity_over_64_bits", lambda: raised(
    lambda: aerospike.Transaction(writes_capacity=2**64)))
step("txn_capacity_negative", lambda: raised(lambda: aerospike.Transaction(reads_capacity=-1)))
step("txn_capacity_not_int", lambda: raised(lambda: aerospike.Transaction(reads_capacity="x")))
step("txn_timeout_over_32_bits", lambda: raised(
    lambda: setattr(aerospike.Transaction(), "timeout", 2**32)))
step("udf_remove_by_filename", lambda: client.udf_remove(filename="absent_module.lua"))
step("index_cdt_create_by_name", lambda: [
    client.index_cdt_create(ns, set_name, "cdt", aerospike.INDEX_TYPE_DEFAULT,
                            aerospike.INDEX_NUMERIC, name=set_name + "_cdt",
                            ctx=[cdt_ctx.cdt_ctx_list_index(0)]),
    client.index_remove(ns, set_name + "_cdt")])
step("scan_apply_with_policy", lambda: [
    s.apply("m", "f", [1], {"total_timeout": 10}) is s for s in [client.scan(ns, set_name)]])

client.close()
step("get_after_close", lambda: client.get(key("e")))
print(json.dumps(out))
'''


@pytest.fixture(scope="module")
def official() -> str:
    return official_python_or_skip()


def _outcome(python: str, hosts: list[tuple[str, int]]) -> dict:
    set_name = "parity" + uuid.uuid4().hex[:12]
    done = subprocess.run([python, "-c", PARITY_SCRIPT, json.dumps(hosts), NAMESPACE,
                           set_name], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def outcomes(official: str, hosts: list[tuple[str, int]]) -> tuple[dict, dict]:
    """(ours, the official client's) by step."""
    return _outcome(sys.executable, hosts), _outcome(official, hosts)


# every step of the script, in its order
STEPS = re.findall(r'^step\("(\w+)"', PARITY_SCRIPT, re.M)


@pytest.mark.parametrize("step", STEPS)
def test_our_drop_in_answers_as_the_official_client(outcomes: tuple[dict, dict],
                                                    step: str) -> None:
    ours, theirs = outcomes
    assert step in theirs
    assert ours.get(step) == theirs[step]
