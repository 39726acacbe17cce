"""Query.where_with_index_name: our request bytes against those the official 19.3.0 client
sent (tests/unit/data/official_query_index_name.json, captured by a TCP proxy in front of
the embedded server), and the embedded server answering the index-name field as the real
server (as/src/query/query.c) does."""
from __future__ import annotations

import json
import types
from pathlib import Path
from unittest import mock

import pytest

from aerospike_async import Client
from aerospike_async import predicates as p
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.message import (FIELD_INDEX_NAME, FIELD_TASK_ID, Message,
                                               parse_message)
from aerospike_async.protocol.scan import encode_index_range, encode_query
from aerospike_async.testing.node import Node
from aerospike_async.testing.query import _plan
from aerospike_async.testing.store import Store
from aerospike_helpers import expressions as exp

CASES = json.loads((Path(__file__).parent / "data" / "official_query_index_name.json")
                   .read_text())["cases"]


def _where(q, case: str) -> dict | None:
    """Our call for the recorded case; the policy it was run with."""
    if case == "where":
        q.where(p.equals("age", 20))
    elif case == "name":
        assert q.where_with_index_name("age_idx", p.equals(None, 20)) is q
    elif case == "name_bin":
        q.where_with_index_name("age_idx", p.equals("age", 20))
    elif case == "name_range":
        q.where_with_index_name("age_idx", p.between(None, 10, 30))
    elif case == "name_exp":
        q.where_with_index_name("age_idx", p.equals(None, 20))
        return {"expressions": exp.GE(exp.IntBin("other"), 0).compile()}
    elif case == "name_list":
        q.where_with_index_name("lst_idx", p.contains(None, 1, 5))   # INDEX_TYPE_LIST
    return None


def _task_id(raw: bytes) -> int:
    msg, _ = parse_message(raw[8:])
    data = msg.field(FIELD_TASK_ID)
    assert data is not None
    return int.from_bytes(data, "big")


@pytest.mark.parametrize("case", sorted(CASES))
def test_request_is_the_official_clients(case):
    want = bytes.fromhex(CASES[case]["request"])
    client = Client({"hosts": [("127.0.0.1", 1)],
                     "policies": {"query": {"socket_timeout": 30000, "total_timeout": 0}}})
    q = client.query("test", "idx")
    policy = _where(q, case)
    with mock.patch("aerospike_async.query._task_id", return_value=_task_id(want)), \
            mock.patch("aerospike_async.query.RecordStream", lambda *args, **_kw: args), \
            mock.patch.object(Client, "cluster", None):
        build = q.stream(policy)[4]
        everything = types.SimpleNamespace(full=list(range(4096)), partial=[])
        got = build(everything, 0)
    assert got.hex() == want.hex()


def test_official_argument_checks():
    q = Client({"hosts": [("127.0.0.1", 1)]}).query("test", "idx")
    with pytest.raises(TypeError, match="argument 1 must be str, not int"):
        q.where_with_index_name(123, p.equals(None, 1))
    with pytest.raises(ParamError, match="predicate is invalid"):
        q.where_with_index_name("x", "bad")
    with pytest.raises(TypeError):
        q.where_with_index_name(index_name="x", predicate=p.equals(None, 1))
    q.where_with_index_name("x", p.equals(None, 1))
    with pytest.raises(ParamError, match="Failed to add predicate"):
        q.where_with_index_name("y", p.equals(None, 2))


# -- the embedded server ----------------------------------------------------------------
def _node() -> Node:
    node = Node(Store(clock=lambda: 1_700_000_000.0))
    assert node.info_value("sindex-create:namespace=test;set=idx;indexname=age_idx;"
                           "bin=age;type=NUMERIC") == "ok"
    return node


def _msg(index_name: bytes | None, bin_name: str = "", *, ctx: bytes | None = None,
         expr: bytes | None = None, set_name: str = "idx", ktype: int = 1,
         begin: bytes = (20).to_bytes(8, "big")) -> Message:
    raw = encode_query("test", set_name, info1=1, info3=4, task_id=1,
                       index_range=encode_index_range(bin_name, ktype, begin, begin),
                       index_context=ctx, index_expression=expr, pids=[0])
    msg, _ = parse_message(raw[8:])
    if index_name is not None:   # added by hand to send any bytes
        msg.fields.append((FIELD_INDEX_NAME, index_name))
    return msg


def test_server_plan_uses_the_named_index():
    node = _node()
    for set_name in ("idx", "other"):   # by name alone; records still limited to the set
        plan = _plan(node.engine, _msg(b"age_idx", set_name=set_name))
        assert not isinstance(plan, int) and plan.index is not None
        assert plan.index.name == "age_idx"


def test_server_refuses_as_the_real_server():
    node = _node()
    engine = node.engine
    assert _plan(engine, _msg(b"nope")) == 201                 # SINDEX_NOT_FOUND
    assert _plan(engine, _msg(b"x" * 63)) == 201
    assert _plan(engine, _msg(b"age_idx", "age")) == 4         # a name with a bin name
    assert _plan(engine, _msg(b"age_idx", ctx=b"\x91\x10\x00")) == 4
    assert _plan(engine, _msg(b"age_idx", expr=b"\x93\x51\x02\xa3age")) == 4
    assert _plan(engine, _msg(b"")) == 4                       # empty name
    assert _plan(engine, _msg(b"x" * 64)) == 4                 # INAME_MAX_SZ or longer
