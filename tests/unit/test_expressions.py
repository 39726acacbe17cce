"""Expression encoding (protocol/expressions.py) and the builders: known wire forms,
every builder exported, and bad input rejected with ParamError before anything is sent."""
from __future__ import annotations

import base64

import pytest
from fake_node import FakeNode

import aerospike_helpers.expressions as exp
from aerospike_async import constants as C
from aerospike_async.exceptions import ClientError, ParamError
from aerospike_async.protocol.expressions import (
    INVALID_EXPRESSIONS,
    encode_expression,
    expression_base64,
    filter_field,
    sindex_create_exp_command,
)
from aerospike_async.types import CDTInfinite, KeyOrderedDict
from aerospike_async.types import null as aerospike_null
from aerospike_helpers import cdt_ctx
from aerospike_helpers.operations import expression_operations, operations


def _hex(e: exp._BaseExpr) -> str:  # type: ignore[name-defined]
    return encode_expression(e.compile()).hex()


# -- known wire forms (from the recordings of the official client) ---------------------------
@pytest.mark.parametrize("expr, b64", [
    (exp.Eq(exp.IntBin("i"), 10), "kwGTUQKhaQo="),
    (exp.And(exp.Eq(exp.StrBin("s"), "x"), exp.GT(exp.FloatBin("f"), 1.5)),
     "kxCTAZNRA6FzogN4kwOTUQehZss/+AAAAAAAAA=="),
    (exp.MapGetByKey([cdt_ctx.cdt_ctx_list_index(0)], C.MAP_RETURN_VALUE,
                     exp.ResultType.STRING, "k", exp.ListBin("l")), "lX8DAJPM/5IQAJNhB6IDa5NRBKFs"),
    (exp.Let(exp.Def("x", exp.IntBin("i")), exp.Add(exp.Var("x"), 1)), "lH2heJNRAqFpkxSSfKF4AQ=="),
    (exp.And(exp.GT(exp.TTL(), 0), exp.Eq(exp.SetName(), "vec"), exp.KeyExists()),
     "lBCTA5FFAJMBkUakA3ZlY5FH"),
    (exp.Eq(exp.ListBin("l"), [1, "a", [2.5]]), "kwGTUQShbJJ+kwGiA2GRy0AEAAAAAAAA"),
    (exp.Eq(exp.Val(None), exp.Val(None)), "kwHAwA=="),
    (exp.CmpRegex(C.REGEX_ICASE, "a.*", exp.StrBin("s")), "lAcCo2EuKpNRA6Fz"),
])
def test_base64_of_recorded_expressions(expr, b64):
    assert expression_base64(expr.compile()) == b64


@pytest.mark.parametrize("expr, wire", [
    (exp.ListSize(None, exp.ListBin("l")), "957f02009110935104a16c"),
    (exp.ListAppend(None, None, 9, "l"), "957f0440920109935104a16c"),
    (exp.MapPutItems(None, None, {"y": 25, "a": 0}, "m"),
     "957f0540924482a2036100a2037919935105a16d"),
    (exp.BitInsert(None, 1, bytearray([0xAA]), "bl"), "957f0641940101a204aa00935106a2626c"),
    (exp.HLLGetCount(exp.HLLAdd(None, ["d", "e"], None, None, "h")),
     "957f02029132957f09429501927e92a20364a20365ffff00935109a168"),
    (exp.BinExists("i"), "93029252a16900"),
    (exp.Cond(exp.GT(exp.IntBin("i"), 100), 1, exp.Unknown()), "947b9303935102a169640191 00"),
    (exp.InList(2, exp.ListBin("l")), "930902935104a16c"),
    (exp.MapGetKeys(exp.MapBin("m")), "9265935105a16d"),
])
def test_recorded_wire_forms(expr, wire):
    assert _hex(expr) == wire.replace(" ", "")


def test_policies_add_their_arguments():
    # a list policy adds order and flags to append (CRMOD) and only flags to insert (MOD)
    pol = {"list_order": C.LIST_ORDERED, "write_flags": C.LIST_WRITE_ADD_UNIQUE}
    assert _hex(exp.ListAppend(None, pol, 9, "l")) == "957f044094010901" + "01" + "935104a16c"
    assert _hex(exp.ListInsert(None, pol, 0, 9, "l")) == "957f04409403000901935104a16c"
    mpol = {"map_order": C.MAP_KEY_ORDERED, "map_write_flags": 0}
    assert _hex(exp.MapPut(None, mpol, "k", 1, "m")) == \
        "957f0540954" + "3a2036b010100" + "935105a16d"


def test_variadic_counts_nest():
    e = exp.And(exp.Or(exp.Eq(exp.IntBin("a"), 1), exp.Eq(exp.IntBin("b"), 2)),
                exp.Add(1, 2, 3) == 6 if False else exp.Eq(exp.Add(1, 2, 3), 6))
    assert encode_expression(e.compile()).hex() == (
        "9310" "93119301935102a161019301935102a16202" "9301941401020306")


def test_filter_context_and_path_expressions():
    ctx = [cdt_ctx.cdt_ctx_all_children_with_filter(
        exp.GE(exp.LoopVarInt(C.EXP_LOOPVAR_VALUE), 2).compile())]
    op = operations.select_by_path("m", ctx, C.EXP_PATH_SELECT_VALUE)
    from aerospike_async.protocol.operations import encode_operation
    assert encode_operation(op).data.endswith(bytes.fromhex("93ccfe92049304937a02010201"))
    sel = exp.SelectByPath([cdt_ctx.cdt_ctx_all_children()], exp.ResultType.LIST,
                           C.EXP_PATH_SELECT_VALUE, exp.MapBin("m"))
    assert _hex(sel) == "957f040093ccfe9204c301935105a16d"


def test_expression_operations_encode_expression_and_flags():
    from aerospike_async.protocol.operations import encode_operation
    enc = encode_operation(expression_operations.expression_read(
        "r", exp.IntBin("zz").compile(), C.EXP_READ_EVAL_NO_FAIL))
    assert enc.data[4] == 7 and enc.data[5] == 4 and enc.respond_all and enc.reads
    assert enc.data.endswith(bytes.fromhex("92935102a27a7a10"))
    enc = encode_operation(expression_operations.expression_write("c", exp.Val(5).compile()))
    assert enc.data[4] == 8 and enc.writes and enc.data.endswith(b"\x92\x05\x00")


def test_filter_field_and_raw_bytes():
    data = encode_expression(exp.KeyExists().compile())
    assert filter_field(exp.KeyExists().compile()) == b"\x00\x00\x00\x03\x2b" + data
    assert filter_field(data) == filter_field(exp.KeyExists().compile())


def test_values_follow_the_official_typing():
    assert _hex(exp.Eq(exp.BlobBin("b"), b"\x01")) == "9301935106a162a20401"
    assert _hex(exp.Eq(exp.MapBin("m"), KeyOrderedDict({"a": 1}))).startswith(
        "9301935105a16d82c70001c0")
    assert _hex(exp.ListGetByValueRange(None, C.LIST_RETURN_COUNT, 1, CDTInfinite(), "l"))\
        .endswith("0501d4ff01935104a16c")
    assert _hex(exp.Eq(exp.BoolBin("t"), True)) == "9301935101a174c3"
    # a HyperLogLog value is bytes to the official client's expression code: a plain blob
    from aerospike_async.types import HyperLogLog
    assert _hex(exp.Eq(exp.HLLBin("h"), HyperLogLog(b"ab"))) == "9301935109a168a3046162"


def test_index_expr_create_command():
    cmd = sindex_create_exp_command("test", "vecq", "idx", C.INDEX_TYPE_DEFAULT,
                                    C.INDEX_NUMERIC, exp.Add(exp.IntBin("i"), 1).compile())
    b64 = base64.b64encode(bytes.fromhex("9314935102a16901")).decode()
    assert cmd == f"sindex-create:namespace=test;set=vecq;indexname=idx;exp={b64};type=NUMERIC"


# -- the package --------------------------------------------------------------------------------
def test_star_import_gives_every_builder():
    ns: dict = {}
    exec("from aerospike_helpers.expressions import *", ns)  # noqa: S102
    from aerospike_helpers.expressions import (
        arithmetic,
        base,
        bitwise,
        bitwise_operators,
        hll,
        list,
        map,
    )
    for mod in (arithmetic, base, bitwise, bitwise_operators, hll, list, map):
        public = {n for n, v in vars(mod).items() if isinstance(v, type)
                  and issubclass(v, exp.resources._BaseExpr) and not n.startswith("_")
                  and v.__module__ == mod.__name__}
        assert public <= set(ns), (mod.__name__, public - set(ns))
    for name in ("Add", "Mul", "IntXOr", "ListAppend", "MapPut", "BitAnd", "HLLInit",
                 "ResultType", "SelectByPath", "LoopVarInt", "InList", "MapGetValues"):
        assert name in ns


# -- bad input: refused before sending ------------------------------------------------------------
# ParamError (-2) for malformed expressions; the official client's ClientError (-1) for values
# with no Aerospike type and for what its compiler refuses
@pytest.mark.parametrize("bad, error, message", [
    (exp.Eq(exp.IntBin("a"), 1), ParamError, INVALID_EXPRESSIONS),
    ([], ParamError, INVALID_EXPRESSIONS),
    ("kwGTUQKhaQo=", ParamError, INVALID_EXPRESSIONS),
    ([(1, None, {}, 2), "x"], ParamError, "4 element tuples"),
    ([(9999, None, {}, 0)], ParamError, "Unrecognised expression op"),
    (exp.Eq(exp.IntBin("a"), 1 << 64).compile(), ParamError, "exceeds sys.maxsize"),
    (exp.Eq(exp.IntBin("a"), [1, [1 << 63]]).compile(), ParamError, "exceeds sys.maxsize"),
    (exp.Eq(exp.DigestMod(1 << 63), 0).compile(), ParamError, "val too large"),
    (exp.CmpRegex(0, 5, exp.StrBin("s")).compile(), ParamError, "regex_str must be a string"),
    (exp.ListSize("l", "l").compile(), ParamError, "Failed to convert ctx"),
    (exp.IntBin(5).compile(), ParamError, "Bin name"),
    (exp.IntBin("\ud800").compile(), ParamError, "utf-8"),
    ([(16, None, {}, 1), (200, None, {"val": True}, 0)], ParamError, "missing end"),
    (exp.Eq(exp.IntBin("a"), object()).compile(), ClientError, "Unable to serialize"),
    (exp.Eq(exp.IntBin("a"), (1, 2)).compile(), ClientError, "Unable to serialize"),
    (exp.Eq(exp.ListBin("a"), [1, (1, 2)]).compile(), ClientError, "Unable to serialize"),
    (exp.Eq(exp.IntBin("a"), exp.Val(exp.IntBin("b"))).compile(), ClientError,
     "Unable to serialize"),
    (exp.ListGetByIndex(None, C.LIST_RETURN_NONE, exp.ResultType.INTEGER, 0, "l").compile(),
     ClientError, "as_exp_compile failed."),
    (exp.ListSize([], "l").compile(), ClientError, "as_exp_compile failed."),
])
def test_bad_expressions_are_refused(bad, error, message):
    with pytest.raises(error) as info:
        encode_expression(bad)
    assert info.value.code == (-2 if error is ParamError else -1)
    assert message in info.value.msg


@pytest.mark.parametrize("build, same_as", [
    (lambda: exp.Eq(exp.StrBin("s"), "ab\x00cd"), lambda: exp.Eq(exp.StrBin("s"), "ab")),
    (lambda: exp.Eq(exp.IntBin("i\x00x"), 1), lambda: exp.Eq(exp.IntBin("i"), 1)),
    (lambda: exp.Eq(exp.ListBin("l"), ["a\x00b", {"k\x00": 1}]),
     lambda: exp.Eq(exp.ListBin("l"), ["a", {"k": 1}])),
    (lambda: exp.Eq(exp.ListBin("l"), [aerospike_null(), 1]),
     lambda: exp.Eq(exp.ListBin("l"), [None, 1])),
])
def test_strings_travel_as_c_strings_and_null_as_nil(build, same_as):
    """As the official client sends them: a string ends at its first NUL, null is nil."""
    assert encode_expression(build().compile()) == encode_expression(same_as().compile())


@pytest.fixture(scope="module")
def sync_client():
    import aerospike
    node = FakeNode().start()
    client = aerospike.client({"hosts": [("127.0.0.1", node.port)]})
    yield client, node
    client.close()
    node.stop()


@pytest.mark.parametrize("call", [
    lambda c, p: c.get(("test", "vec", "k"), policy=p),
    lambda c, p: c.select(("test", "vec", "k"), ["a"], policy=p),
    lambda c, p: c.exists(("test", "vec", "k"), policy=p),
    lambda c, p: c.put(("test", "vec", "k"), {"a": 1}, policy=p),
    lambda c, p: c.remove(("test", "vec", "k"), policy=p),
    lambda c, p: c.touch(("test", "vec", "k"), policy=p),
    lambda c, p: c.append(("test", "vec", "k"), "s", "x", policy=p),
    lambda c, p: c.increment(("test", "vec", "k"), "i", 1, policy=p),
    lambda c, p: c.remove_bin(("test", "vec", "k"), ["a"], policy=p),
    lambda c, p: c.operate(("test", "vec", "k"), [operations.read("a")], policy=p),
    lambda c, p: c.batch_read([("test", "vec", "k")], policy=p),
    lambda c, p: c.query("test", "vec").results(policy=p),
    lambda c, p: c.scan("test", "vec").results(policy=p),
    lambda c, p: c.operate(("test", "vec", "k"), [expression_operations.expression_read(
        "r", exp.IntBin(1).compile())]),
    lambda c, p: c.operate(("test", "vec", "k"), [operations.select_by_path(
        "m", [cdt_ctx.cdt_ctx_all_children_with_filter([("bad",)])], 0)]),
])
def test_commands_reject_bad_expressions_before_sending(sync_client, call):
    from aerospike import exception
    client, node = sync_client
    before = len(node.requests)
    with pytest.raises(exception.ParamError):
        call(client, {"expressions": exp.Eq(exp.IntBin("a"), 1)})
    assert len(node.requests) == before


def test_base64_helpers_on_the_client(sync_client):
    client, _node = sync_client
    assert client.get_expression_base64(exp.Eq(exp.IntBin("i"), 10).compile()) == "kwGTUQKhaQo="
    assert client.get_cdtctx_base64([cdt_ctx.cdt_ctx_map_key("k"), cdt_ctx.cdt_ctx_list_rank(-1),
                                     cdt_ctx.cdt_ctx_map_value(5)]) == "liKiA2sR/yMF"


@pytest.mark.parametrize("expr, wire", [
    # the official client's bytes (get_expression_base64): without a size, no offset/flag
    (exp.BitB64Encode(5, None, True, exp.BlobBin("bl")), "957f03019137935106a2626c"),
    (exp.BitB64Encode(1, 3, True, "bl"), "957f03019437010301935106a2626c"),
])
def test_bit_b64_encode_expression_bytes(expr, wire):
    assert encode_expression(expr.compile()).hex() == wire
