"""Secondary indexes over an expression in the embedded server: ``sindex-create ... exp=``,
entries kept up to date on every write, queries naming the index by the expression's bytes
(INDEX_EXPRESSION field, empty bin name in the range), and removal."""
from __future__ import annotations

import base64
import struct

import pytest

from aerospike_async.protocol.digest import compute_digest, key_bytes
from aerospike_async.protocol.expressions import encode_expression
from aerospike_async.protocol.framing import FrameReader
from aerospike_async.protocol.message import (
    FIELD_BVAL_ARRAY, FIELD_DIGEST, FIELD_INDEX_CONTEXT, FIELD_INDEX_EXPRESSION,
    FIELD_INDEX_RANGE, FIELD_INDEX_TYPE, FIELD_KEY, FIELD_NAMESPACE, FIELD_PID_ARRAY,
    FIELD_SET, FIELD_TASK_ID, INFO1_READ, INFO2_DELETE, INFO2_WRITE, INFO3_LAST,
    INFO3_PARTITION_DONE, Message, parse_messages,
)
from aerospike_async.protocol.particles import PARTICLE_INTEGER, PARTICLE_STRING
from aerospike_async.testing.node import Node
from aerospike_async.testing.sindex import bytes_bval
from aerospike_async.testing.store import Store
from aerospike_helpers import expressions as exp
from server_raw import write_op

SET = "xs"
PLUS_ONE = encode_expression(exp.Add(exp.IntBin("i"), 1).compile())


@pytest.fixture
def node():
    return Node(Store(clock=lambda: 1_700_000_000.0))


def info(node: Node, command: str) -> str:
    return node.info_value(command)


def create(node: Node, name: str, packed: bytes, ktype: str = "NUMERIC", itype: str = "",
           extra: str = "", set_name: str = SET) -> str:
    """The command the official client sends (C client, server 8.1.2)."""
    b64 = base64.b64encode(packed).decode()
    kind = f";indextype={itype}" if itype else ""
    return info(node, f"sindex-create:namespace=test;set={set_name};indexname={name};"
                      f"exp={b64}{kind};type={ktype}{extra}")


def put(node: Node, key, bins: dict) -> None:
    ktype, kbytes = key_bytes(key)
    msg = Message(info2=INFO2_WRITE, fields=[
        (FIELD_NAMESPACE, b"test"), (FIELD_SET, SET.encode()),
        (FIELD_DIGEST, compute_digest(SET, key)), (FIELD_KEY, bytes((ktype,)) + kbytes)],
        ops=[write_op(n, v) for n, v in bins.items()])
    assert node.engine.execute(msg)[13] == 0


def remove(node: Node, key) -> None:
    node.engine.execute(Message(info2=INFO2_WRITE | INFO2_DELETE, fields=[
        (FIELD_NAMESPACE, b"test"), (FIELD_SET, SET.encode()),
        (FIELD_DIGEST, compute_digest(SET, key))]))


def int_range(lo: int, hi: int, bin_name: str = "") -> bytes:
    nb = bin_name.encode()
    return (bytes([1, len(nb)]) + nb + bytes([PARTICLE_INTEGER]) + struct.pack(">Iq", 8, lo)
            + struct.pack(">Iq", 8, hi))


def str_range(value: str) -> bytes:
    vb = value.encode()
    return (bytes([1, 0, PARTICLE_STRING]) + struct.pack(">I", len(vb)) + vb
            + struct.pack(">I", len(vb)) + vb)


def query(node: Node, rng: bytes, packed: bytes | None = PLUS_ONE,
          itype: int | None = None, ctx: bytes | None = None) -> list[Message]:
    fields = [(FIELD_NAMESPACE, b"test"), (FIELD_SET, SET.encode()),
              (FIELD_TASK_ID, struct.pack(">Q", 7)), (FIELD_INDEX_RANGE, rng)]
    if packed is not None:
        fields.append((FIELD_INDEX_EXPRESSION, packed))
    if itype is not None:
        fields.append((FIELD_INDEX_TYPE, bytes([itype])))
    if ctx is not None:
        fields.append((FIELD_INDEX_CONTEXT, ctx))
    fields.append((FIELD_PID_ARRAY, b"".join(struct.pack("<H", p) for p in range(4096))))
    out = node.engine.execute(Message(info1=INFO1_READ, info3=INFO3_PARTITION_DONE,
                                      fields=fields))
    reader = FrameReader()
    reader.feed(out if isinstance(out, bytes) else b"".join(out))
    msgs: list[Message] = []
    for _t, payload in reader:
        msgs.extend(parse_messages(payload))
    return msgs


def keys(msgs: list[Message]) -> list[int]:
    assert msgs[-1].info3 & INFO3_LAST, [(m.result_code, m.info3) for m in msgs]
    return sorted(struct.unpack(">q", m.field(FIELD_KEY)[1:])[0] for m in msgs if not m.info3)


def refused(msgs: list[Message]) -> int:
    assert len(msgs) == 1 and not msgs[0].info3 & INFO3_LAST
    return msgs[0].result_code


# -- definitions -------------------------------------------------------------------------------

def test_create_list_stat_and_remove(node):
    b64 = base64.b64encode(PLUS_ONE).decode()
    assert create(node, "ix_e", PLUS_ONE) == "ok"
    assert create(node, "ix_e", PLUS_ONE) == "ok"   # same definition again
    other = encode_expression(exp.Add(exp.IntBin("i"), 2).compile())
    assert create(node, "ix_e", other) == \
        "ERROR:200:'indexname' already exists with different definition"
    assert (f"ns=test:indexname=ix_e:set={SET}:bin=null:type=numeric:indextype=default:"
            f"context=null:exp={b64}:state=RW") in info(node, "sindex-list:ns=test")
    for k in range(3):
        put(node, k, {"i": k})
    assert info(node, "sindex-stat:namespace=test;indexname=ix_e").startswith(
        "entries=3;used_bytes=16777216;entries_per_bval=1;entries_per_rec=1;load_pct=100")
    assert keys(query(node, int_range(1, 3))) == [0, 1, 2]
    assert info(node, "sindex-delete:namespace=test;indexname=ix_e") == "ok"
    assert "ix_e" not in info(node, "sindex-list:ns=test")
    assert info(node, "sindex-stat:namespace=test;indexname=ix_e") == "ERROR:201:no index"
    assert refused(query(node, int_range(1, 3))) == 201


def test_create_refusals_follow_the_server(node):
    b64 = base64.b64encode(PLUS_ONE).decode()
    assert info(node, f"sindex-create:namespace=test;set={SET};indexname=a;bin=i;exp={b64};"
                      f"type=NUMERIC") == "ERROR:4:both 'bin' and 'exp' are specified"
    assert info(node, f"sindex-create:namespace=test;set={SET};indexname=a;type=NUMERIC") == \
        "ERROR:4:both 'bin' and 'exp' are missing"
    assert create(node, "a", PLUS_ONE, extra=";context=kiKiA2s=") == \
        "ERROR:4:both 'context' and 'exp' are specified"
    assert info(node, f"sindex-create:namespace=test;set={SET};indexname=a;indextype=SET;"
                      f"exp={b64}") == "ERROR:4:exp parameter is not supported for set index"
    assert create(node, "a", PLUS_ONE, "STRING") == \
        "ERROR:4:bad 'exp' - expression type 'numeric' does not match expected type 'string'"
    assert create(node, "a", PLUS_ONE, itype="LIST") == \
        "ERROR:4:bad 'exp' - expression type 'numeric' does not match expected type 'list'"
    assert create(node, "a", b"\xc1") == "ERROR:4:bad 'exp'"                 # does not build
    assert info(node, f"sindex-create:namespace=test;set={SET};indexname=a;exp=@@@;"
                      "type=NUMERIC") == "ERROR:4:bad 'exp'"                 # not base64
    for refused_exp in (exp.TTL(), exp.Add(exp.IntBin("i"), exp.LastUpdateTime()),
                        exp.KeyInt(), exp.Add(1, 2)):   # metadata, key, no bin
        assert create(node, "a", encode_expression(refused_exp.compile())) == \
            "ERROR:4:bad 'exp'"
    assert create(node, "a", encode_expression(exp.DigestMod(3).compile())) == "ok"
    assert "indexname=a:" in info(node, "sindex-list:ns=test")


# -- maintenance and queries -------------------------------------------------------------------

def test_index_follows_later_writes_and_deletes(node):
    for k in range(6):
        put(node, k, {"i": k * 10})
    assert create(node, "ix", PLUS_ONE) == "ok"   # built over the existing records
    assert keys(query(node, int_range(11, 31))) == [1, 2, 3]
    put(node, 1, {"i": 500})        # value changed: out of the range, into another
    remove(node, 2)                 # record gone
    put(node, 3, {"i": "thirty"})   # no longer an integer: Add is unknown, no entry
    put(node, 6, {"i": 20})         # a new record
    put(node, 7, {"x": 1})          # no bin i: no entry
    assert keys(query(node, int_range(11, 31))) == [6]
    assert keys(query(node, int_range(501, 501))) == [1]
    assert info(node, "sindex-stat:namespace=test;indexname=ix").startswith("entries=5;")


def test_range_queries_answer_the_expression_value_as_bval(node):
    assert create(node, "ix", PLUS_ONE) == "ok"
    for k in range(20):
        put(node, k, {"i": k})
    assert keys(query(node, int_range(5, 9))) == [4, 5, 6, 7, 8]
    assert keys(query(node, int_range(8, 8))) == [7]
    assert keys(query(node, int_range(100, 200))) == []
    bvals = sorted(struct.unpack("<q", m.field(FIELD_BVAL_ARRAY))[0]
                   for m in query(node, int_range(1, 3)) if not m.info3)
    assert bvals == [1, 2, 3]


def test_string_and_list_expression_indexes(node):
    strs = encode_expression(exp.StrBin("s").compile())
    lists = encode_expression(exp.ListBin("l").compile())
    assert create(node, "ix_s", strs, "STRING") == "ok"
    assert create(node, "ix_l", lists, itype="LIST") == "ok"
    put(node, 1, {"s": "abc", "l": [1, 2, 2]})
    put(node, 2, {"s": "xyz", "l": [2, 3]})
    msgs = query(node, str_range("abc"), strs)
    assert keys(msgs) == [1]
    assert msgs[0].field(FIELD_BVAL_ARRAY) == struct.pack("<q", bytes_bval(b"abc"))
    assert keys(query(node, int_range(2, 2), lists, itype=1)) == [1, 2]
    assert keys(query(node, int_range(3, 9), lists, itype=1)) == [2]
    assert info(node, "sindex-stat:namespace=test;indexname=ix_l").startswith("entries=4;")


def test_query_without_a_matching_index(node):
    assert create(node, "ix", PLUS_ONE) == "ok"
    put(node, 1, {"i": 1})
    # other expression bytes, another key type or index type: no such index (201)
    assert refused(query(node, int_range(0, 9), encode_expression(
        exp.Add(exp.IntBin("i"), 2).compile()))) == 201
    assert refused(query(node, str_range("2"))) == 201
    assert refused(query(node, int_range(0, 9), itype=1)) == 201
    # a bin query does not reach an expression index
    assert refused(query(node, int_range(0, 9, "i"), None)) == 201
    # malformed: a bin name or a context beside the expression, an empty expression,
    # neither bin nor expression
    assert refused(query(node, int_range(0, 9, "i"))) == 4
    assert refused(query(node, int_range(0, 9), ctx=b"\x92\x22\xa1\x6b")) == 4
    assert refused(query(node, int_range(0, 9), b"")) == 4
    assert refused(query(node, int_range(0, 9), None)) == 4
