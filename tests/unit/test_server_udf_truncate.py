"""The embedded server's UDF registry and truncation, over a real socket."""
from __future__ import annotations

import base64

import pytest

from aerospike_async.testing.udf import lua_parlist_error
from server_raw import RawClient, put, server_fixtures

server, client = server_fixtures()


def ask(client: RawClient, command: str) -> str:
    return next(iter(client.info(command).values()))


def udf_put(client: RawClient, name: str, text: str, **extra: str) -> str:
    b64 = base64.b64encode(text.encode()).decode()
    params = {"filename": name, "content": b64, "content-len": str(len(b64)),
              "udf-type": "LUA", **extra}
    return ask(client, "udf-put:" + "".join(f"{k}={v};" for k, v in params.items()))


def test_put_errors_in_the_server_words(client):
    assert udf_put(client, "noext", "x = 1") == "error=invalid_filename"
    assert udf_put(client, ".lua", "x = 1") == "error=invalid_filename"
    assert udf_put(client, "a.lua", "x = 1", **{"udf-type": "PY"}) == "error=invalid_udf_type"
    assert ask(client, "udf-put:filename=a.lua;content=YQ==;content-len=5;") == \
        "error=invalid_content_len"
    assert ask(client, "udf-put:filename=a.lua;content=YQ==;content-len=8;") == \
        "error=invalid_content"
    assert ask(client, "udf-put:filename=a.lua;content=Y!==;content-len=4;") == \
        "error=invalid_base64_content"
    assert ask(client, "udf-get:") == "error=invalid_filename"
    assert ask(client, "udf-remove:") == "error=invalid_filename"


def test_registry_keeps_order_and_replaces_versions(client):
    assert udf_put(client, "u1.lua", "x = 1") == "ok"
    assert udf_put(client, "u2.lua", "y = 2") == "ok"
    first = ask(client, "udf-list")
    assert udf_put(client, "u1.lua", "x = 3") == "ok"
    listing = ask(client, "udf-list")
    assert listing.index("u1.lua") < listing.index("u2.lua") and listing != first
    assert ask(client, "udf-get:filename=u1.lua") == \
        f"type=LUA;content={base64.b64encode(b'x = 3').decode()};"
    for name in ("u1.lua", "u2.lua"):
        assert ask(client, f"udf-remove:filename={name};") == "ok"
    assert "u1.lua" not in ask(client, "udf-list")


@pytest.mark.parametrize("source,found", [
    ("function f(a, b) return a end", None),
    ("local g = function(...) end\nfunction m.x:y(a, ...) end", None),
    ("s = 'function (' -- function (\n", None),
    ("function f(a\n  return a\nend", (2, "')' expected near 'return'")),
    ("function f(a,)\nend", (1, "<name> or '...' expected near ')'")),
    ("function f a", (1, "'(' expected near 'a'")),
    ("function f(a", (1, "')' expected near <eof>")),
])
def test_parameter_list_check(source, found):
    assert lua_parlist_error(source) == found


def test_truncate_commands(client):
    for set_name in ("ts1", "ts2"):
        assert client.command(put(("test", set_name, 1), {"a": 1})).result_code == 0
    assert ask(client, "truncate:namespace=test") == "ERROR:4:missing 'set'"
    assert ask(client, "truncate:set=ts1") == "ERROR:20:missing 'namespace'"
    assert ask(client, "truncate:namespace=test;set=ts1;lut=1") == \
        "ERROR:4:would truncate to 0"
    assert ask(client, "truncate-namespace:namespace=test;set=ts1") == \
        "ERROR:4:unexpected set name"
    assert ask(client, "truncate:namespace=test;set=ts1") == "ok"
    assert ask(client, "sets/test/ts1") == ""
    assert "objects=1" in ask(client, "sets/test/ts2")
    assert ask(client, "truncate:namespace=nosuch;set=x") == "ok"
