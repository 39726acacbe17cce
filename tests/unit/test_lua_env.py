"""The mod-lua environment (aerospike_async.modlua) and what happens without the lupa package."""
from __future__ import annotations

import pytest

from aerospike_async import modlua
from aerospike_async.protocol.cdt import pack

SOURCE = b"""
function ints(rec) return 7 end
function floats(rec) return 7.0 end
function div(rec) return 7 / 1 end
function tbl(rec) return {1, 2} end
function lst(rec) local l = list{3, 'a'}; list.append(l, bytes(0)); return l end
function mp(rec) local m = map(); m['b'] = 1; m[2] = 'x'; m['a'] = nil; return m end
function kinds(rec) return type(list()) .. type(map()) .. type(bytes()) end
function bad(rec) local x = nil; return x.y end
local function add(a, b) return a + b end
function total(s) return s : reduce(add) end
function groups(s) return s : groupby(function(v) return v % 2 end) end
"""


@pytest.fixture(scope="module")
def env():
    return modlua.ModLua(SOURCE, "/u/m.lua")


@pytest.mark.parametrize("function,expected", [
    ("ints", (1, (7).to_bytes(8, "big"))),
    ("floats", (2, b"@\x1c\x00\x00\x00\x00\x00\x00")),
    ("div", (2, b"@\x1c\x00\x00\x00\x00\x00\x00")),   # Lua 5.4: '/' gives a float
    ("tbl", (0, b"")),                                  # plain tables have no type
    ("lst", (20, b"\x93\x03\xa2\x03a\xa1\x04")),
    ("mp", (19, b"\x82\x02\xa2\x03x\xa2\x03b\x01")),       # keys in Aerospike order
    ("kinds", (3, b"userdatauserdatauserdata")),
])
def test_values_become_particles(env, function, expected):
    ok, ptype, data = env.apply_record(function, modlua.RecordHost(), pack([]))
    assert ok
    assert (ptype, data) == expected


def test_errors_carry_the_module_path(env):
    assert env.apply_record("bad", modlua.RecordHost(), b"\x90")[:1] == (False,)
    assert env.apply_record("bad", modlua.RecordHost(), b"\x90")[1].startswith("/u/m.lua:9:")
    assert env.apply_record("nope", modlua.RecordHost(), b"\x90") == (False,
                                                                     "function not found")


def test_client_scope_reduces_and_groups(env):
    ints = [(1, i.to_bytes(8, "big")) for i in range(5)]
    assert env.apply_stream("total", modlua.SCOPE_CLIENT, ints, b"\x90") == \
        ([(1, (10).to_bytes(8, "big"))], None)
    out, err = env.apply_stream("groups", modlua.SCOPE_SERVER, [], b"\x90")
    assert err is None and out == [(19, b"\x80")]


def test_without_lupa_the_client_names_the_extra(monkeypatch):
    from aerospike_async import _aggregate
    from aerospike_async.exceptions import ClientError
    monkeypatch.setattr(modlua, "LUA_AVAILABLE", False)
    with pytest.raises(ClientError) as info:
        _aggregate.check_lua_available()
    assert "lua" in info.value.msg and "lupa" in info.value.msg


def test_without_lupa_the_server_answers_module_unavailable(monkeypatch):
    from aerospike_async.testing import udf_exec
    from aerospike_async.testing.store import Store
    monkeypatch.setattr(modlua, "LUA_AVAILABLE", False)
    store = Store()
    ns = store.namespace("test")
    rc, _gen, _void, bins = udf_exec.run_record_udf(store, ns, bytes(20), "m", "f", b"\x90")
    assert rc == 100 and bins == [("FAILURE", 3, b"UDF: Execution Error 1")]
