"""Answers a real Aerospike 8.1 node gives (read from its source) that the embedded server
must give too: CDT contexts and result orders, a batch's filter, secondary-index creation
and collection-index queries. Run against a real server with AEROSPIKE_HOSTS as well."""
from __future__ import annotations

import uuid

import pytest

import aerospike
from aerospike import exception as e
from aerospike import predicates as p
from aerospike_helpers import cdt_ctx
from aerospike_helpers.expressions import Eq, ListGetByValueRange
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import map_operations as mo


@pytest.fixture
def record(sync_client, make_key):
    """Write the given bins to a fresh key; removed afterwards."""
    keys = []

    def write(bins: dict) -> tuple:
        key = make_key()
        sync_client.put(key, bins)
        keys.append(key)
        return key
    yield write
    for key in keys:
        sync_client.remove(key)


def _bin(sync_client, key, op):
    return sync_client.operate(key, [op])[2]["x"]


# -- contexts --------------------------------------------------------------------------------

def test_a_context_step_into_a_scalar_or_the_wrong_container_is_not_applicable(
        sync_client, record):
    key = record({"x": {"a": {"b": 1}}})
    through_scalar = [cdt_ctx.cdt_ctx_map_key("a"), cdt_ctx.cdt_ctx_map_key("b"),
                      cdt_ctx.cdt_ctx_map_key("c")]
    with pytest.raises(e.OpNotApplicable):
        sync_client.operate(key, [mo.map_get_by_key("x", "k", aerospike.MAP_RETURN_VALUE,
                                                     through_scalar)])
    with pytest.raises(e.OpNotApplicable):   # a list context on a map
        sync_client.operate(key, [lo.list_get("x", 0, [cdt_ctx.cdt_ctx_list_index(0)])])


def test_a_return_type_the_server_does_not_know_is_not_applicable(sync_client, record):
    key = record({"x": [3, 1, 2]})
    with pytest.raises(e.OpNotApplicable):
        sync_client.operate(key, [lo.list_get_by_index_range("x", 0, 42, 1)])


# -- result orders ---------------------------------------------------------------------------

def test_ranks_selected_by_a_value_list_follow_that_list(sync_client, record):
    key = record({"x": ["c", "b", "a"]})
    assert _bin(sync_client, key, lo.list_get_by_value_list(
        "x", ["c", "a"], aerospike.LIST_RETURN_RANK)) == [2, 0]
    assert _bin(sync_client, key, lo.list_get_by_value_list(
        "x", ["c", "a"], aerospike.LIST_RETURN_INDEX)) == [0, 2]
    # the ranks left out come ascending
    assert _bin(sync_client, key, lo.list_get_by_value_list(
        "x", ["b"], aerospike.LIST_RETURN_RANK, True)) == [0, 2]


def test_inverted_ranks_of_a_list_range(sync_client, record):
    key = record({"x": ["d", "b", "c", "a"]})   # ranks 3, 1, 2, 0
    # out of a rank range: ascending ranks
    assert _bin(sync_client, key, lo.list_get_by_rank_range(
        "x", 1, aerospike.LIST_RETURN_RANK, 2, True)) == [0, 3]
    # out of an index range: the ranks in index order
    assert _bin(sync_client, key, lo.list_get_by_index_range(
        "x", 2, aerospike.LIST_RETURN_RANK, 2, True)) == [3, 1]


def test_an_inverted_map_rank_range_leaving_the_lowest_ranks_answers_in_rank_order(
        sync_client, record):
    key = record({"x": {"a": 2, "b": 1, "c": 3}})
    # relative to 3: ranks [2, 7) select c; the rest is ranks [0, 2): b=1, then a=2
    assert _bin(sync_client, key, mo.map_get_by_value_rank_range_relative(
        "x", 3, 0, aerospike.MAP_RETURN_VALUE, 5, True)) == [1, 2]
    assert _bin(sync_client, key, mo.map_get_by_rank_range(
        "x", 2, 1, aerospike.MAP_RETURN_KEY, True)) == ["b", "a"]


# -- batch -----------------------------------------------------------------------------------

def test_a_batch_filter_that_does_not_build_fails_the_whole_batch(sync_client, record):
    # enough keys that every node of a cluster gets a batch request (a key alone on its
    # node goes as a single-record command, whose failure is only that record's)
    keys = [record({"x": [10, 11, 12]}) for _ in range(40)]
    # a list compared with an integer: refused when the server builds the filter
    bad = Eq(ListGetByValueRange(None, aerospike.LIST_RETURN_VALUE, 10, 13, "x"), 12)
    records = sync_client.batch_read(keys, policy={"expressions": bad.compile()})
    assert records.result == 4


# -- secondary indexes -----------------------------------------------------------------------

@pytest.fixture
def index_name(sync_client, namespace):
    name = "fid_" + uuid.uuid4().hex[:10]
    yield name
    sync_client.index_remove(namespace, name)


def _query(sync_client, namespace, set_name, predicate) -> list:
    q = sync_client.query(namespace, set_name)
    q.where(predicate)
    return q.results()


def test_a_bytearray_index_bin_name_is_read_up_to_a_nul(sync_client, namespace, make_key,
                                                         index_name):
    key = make_key(set_name="fid_ba")
    bins = {"sal": 80000}
    sync_client.put(key, bins)
    try:
        sync_client.index_integer_create(namespace, "fid_ba", bytearray(b"sal\0kj"),
                                         index_name)
        found = _query(sync_client, namespace, "fid_ba", p.equals("sal", 80000))
        assert [r[2] for r in found] == [bins]
    finally:
        sync_client.remove(key)


def test_an_index_set_name_longer_than_63_characters_is_refused(sync_client, namespace,
                                                                  index_name):
    with pytest.raises(e.InvalidRequest):
        sync_client.index_integer_create(namespace, "s" * 64, "i", index_name)


def test_sindex_create_takes_the_older_indexdata_form(sync_client, namespace, make_key,
                                                      index_name):
    key = make_key(set_name="fid_old")
    sync_client.put(key, {"names": ["x", "y"]})
    try:
        answer = sync_client.info_random_node(
            f"sindex-create:ns={namespace};set=fid_old;indexname={index_name};"
            "indextype=list;indexdata=names,string")
        assert answer.rstrip("\n").endswith("ok")
        listed = sync_client.info_random_node(f"sindex-list:ns={namespace}")
        assert f"indexname={index_name}:set=fid_old:bin=names:type=string:indextype=list" \
            in listed
    finally:
        sync_client.remove(key)


def test_a_range_over_a_list_index_answers_a_record_once(sync_client, namespace, make_key,
                                                         index_name):
    key = make_key(set_name="fid_li")
    bins = {"l": [1, 2, 3]}
    sync_client.put(key, bins)
    try:
        sync_client.index_list_create(namespace, "fid_li", "l", aerospike.INDEX_NUMERIC,
                                      index_name)
        found = _query(sync_client, namespace, "fid_li",
                       p.range("l", aerospike.INDEX_TYPE_LIST, 1, 3))
        assert [r[2] for r in found] == [bins]
    finally:
        sync_client.remove(key)


# -- scans -----------------------------------------------------------------------------------

def test_a_scan_selecting_bins_skips_records_that_have_none_of_them(sync_client, make_key):
    tag = uuid.uuid4().hex[:8]
    keys = [make_key(set_name="fid_scan") for _ in range(3)]
    sync_client.put(keys[0], {"a" + tag: 1, "b" + tag: 2})
    sync_client.put(keys[1], {"b" + tag: 3})
    sync_client.put(keys[2], {"c" + tag: 4})
    try:
        scan = sync_client.scan(keys[0][0], "fid_scan")
        scan.select("a" + tag, "b" + tag)
        # other records of the set (none has these bins) do not come back, even empty
        assert sorted(r[2].get("b" + tag) for r in scan.results()) == [2, 3]
    finally:
        for key in keys:
            sync_client.remove(key)


# -- single-record reads ---------------------------------------------------------------------

def test_selecting_no_bins_is_an_invalid_request(sync_client, record):
    key = record({"a": 1})
    with pytest.raises(e.InvalidRequest):
        sync_client.select(key, [])


# -- modify ops of any value type ------------------------------------------------------------


def test_a_modify_op_creates_a_missing_bin_of_any_type_and_refuses_another_type(
        loose_client, record):
    key = record({"s": "abc"})
    _k, _m, bins = loose_client.operate(key, [
        {"op": aerospike.OPERATOR_PREPEND, "bin": "n", "val": 4},
        {"op": aerospike.OPERATOR_READ, "bin": "n"}])
    assert bins == {"n": 4}
    with pytest.raises(e.BinIncompatibleType):
        loose_client.operate(key, [{"op": aerospike.OPERATOR_INCR, "bin": "s", "val": "x"}])
    with pytest.raises(e.BinIncompatibleType):
        loose_client.operate(key, [{"op": aerospike.OPERATOR_APPEND, "bin": "n", "val": 5}])
