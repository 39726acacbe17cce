"""User serializers pinned to the official client 19.3, observed against the embedded
server: what reaches the serializer, the particle bytes stored, what reads return, and
the errors (class, code, message)."""
from __future__ import annotations

from typing import Any

import pytest

import aerospike
from aerospike_async.testing import EmbeddedServer
from server_raw import RawClient, get, key_fields
from aerospike_async.protocol.message import INFO2_WRITE, OP_WRITE, Message, Op

KEY = ("test", "ser", "k")


class Foo:
    def __init__(self, x: int) -> None:
        self.x = x

    def __repr__(self) -> str:
        return f"Foo({self.x})"


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


@pytest.fixture
def calls() -> list:
    return []


@pytest.fixture
def client(server, calls):
    aerospike.unset_serializers()
    c = aerospike.client({"hosts": [("127.0.0.1", server.port)]})
    try:
        c.remove(KEY)
    except aerospike.exception.RecordNotFound:
        pass
    yield c
    c.close()
    aerospike.unset_serializers()


def raw_ops(port: int) -> list[tuple[str, int, bytes]]:
    rc = RawClient(port)
    try:
        reply = rc.command(get(KEY))
    finally:
        rc.close()
    return [(o.name, o.particle_type, bytes(o.value)) for o in reply.ops]


def raw_put(port: int, ptype: int, data: bytes) -> None:
    rc = RawClient(port)
    try:
        rc.command(Message(info2=INFO2_WRITE, fields=key_fields(*KEY),
                           ops=[Op(OP_WRITE, ptype, "a", data)]))
    finally:
        rc.close()


def _err(exc_info: Any) -> tuple[str, int, str]:
    e = exc_info.value
    return type(e).__name__, e.code, e.msg


def test_unsupported_values_go_to_the_serializer_as_generic_blobs(server, client, calls):
    aerospike.set_serializer(lambda v: calls.append(v) or "S")
    client.put(KEY, {"a": Foo(1), "b": (1, 2), "c": {3}, "i": 1, "l": [Foo(2)],
                     "m": {"x": (1,)}, "y": b"xyz", "z": bytearray(b"ba")},
               serializer=aerospike.SERIALIZER_USER)
    assert [repr(v) for v in calls] == ["Foo(1)", "(1, 2)", "{3}", "Foo(2)", "(1,)"]
    assert raw_ops(server.port) == [
        ("a", 4, b"S"), ("b", 4, b"S"), ("c", 4, b"S"), ("i", 1, b"\0" * 7 + b"\1"),
        ("l", 20, b"\x91\xa2\x04S"), ("m", 19, b"\x81\xa2\x03x\xa2\x04S"),
        ("y", 4, b"xyz"), ("z", 4, b"ba")]


@pytest.mark.parametrize("result, stored", [("strval", b"strval"), ("str\0nul", b"str\0nul"),
                                            ("\u00e9", b"\xc3\xa9"), ("", b"")])
def test_the_serializer_result_is_stored_utf8(server, client, result, stored):
    aerospike.set_serializer(lambda v: result)
    client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert raw_ops(server.port) == [("a", 4, stored)]


class _S(str):
    pass


def test_a_str_subclass_result_is_accepted(server, client):
    aerospike.set_serializer(lambda v: _S("sub"))
    client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert raw_ops(server.port) == [("a", 4, b"sub")]


@pytest.mark.parametrize("result", [b"bytes", bytearray(b"ba"), 5, None, [1], "\udcff"])
def test_a_non_str_result_is_refused(client, result):
    aerospike.set_serializer(lambda v: result)
    with pytest.raises(aerospike.exception.ClientError) as ei:
        client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert _err(ei) == ("ClientError", -1, "Unable to set as_bytes")


def test_a_raising_serializer(client):
    def bad(v: Any) -> str:
        raise KeyError("k")
    aerospike.set_serializer(bad)
    with pytest.raises(aerospike.exception.ClientError) as ei:
        client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert _err(ei) == ("ClientError", -1, "Unable to call user's registered serializer callback")


@pytest.mark.parametrize("serializer, expected", [
    (None, ("ParamError", -2, "Cannot serialize: SERIALIZER_NONE selected")),
    ("x", ("ParamError", -2, "Cannot serialize: SERIALIZER_NONE selected")),
    (aerospike.SERIALIZER_NONE, ("ParamError", -2, "Cannot serialize: SERIALIZER_NONE selected")),
    (1, ("ClientError", -1, "Unable to serialize unknown Python native type.")),
    (aerospike.SERIALIZER_JSON, ("ClientError", -1,
                                 "Unable to serialize using standard json serializer")),
    (99, ("ClientError", -1, "Unsupported serializer")),
])
def test_serializer_argument_errors_even_with_a_registered_serializer(client, serializer,
                                                                      expected):
    aerospike.set_serializer(lambda v: "S")
    with pytest.raises(aerospike.exception.ClientError) as ei:
        client.put(KEY, {"a": Foo(1)}, serializer=serializer)
    assert _err(ei) == expected


def test_no_serializer_registered(client):
    with pytest.raises(aerospike.exception.ClientError) as ei:
        client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert _err(ei) == ("ClientError", -1, "No serializer callback registered")
    with pytest.raises(aerospike.exception.ParamError) as ei:
        client.put(KEY, {"a": [Foo(1)]})
    assert _err(ei) == ("ParamError", -2, "Cannot serialize: SERIALIZER_NONE selected")


def test_supported_values_never_reach_the_serializer(server, client, calls):
    aerospike.set_serializer(lambda v: calls.append(v) or "S")
    client.put(KEY, {"a": b"x", "t": True}, serializer=99)
    assert calls == []
    assert raw_ops(server.port) == [("a", 4, b"x"), ("t", 17, b"\x01")]


@pytest.mark.parametrize("ptype, data, expected", [
    (4, b"abc", ("D", "abc")), (4, b"", ("D", "")), (9, b"py", bytearray(b"py")),
    (7, b"java", b"java"), (8, b"cs", b"cs"), (12, b"erl", b"erl"), (3, b"str", "str"),
    (20, b"\x91\xc4\x04\x04abc", [("D", "abc")]), (20, b"\x91\xa4\x04abc", [("D", "abc")]),
    (20, b"\x91\xc4\x04\x09abc", [bytearray(b"abc")]), (20, b"\x91\xc4\x04\x07abc", [b"abc"]),
    (19, b"\x81\xa2\x04k\xa2\x04v", {("D", "k"): ("D", "v")}),
])
def test_the_deserializer_gets_generic_blobs_as_str(server, client, ptype, data, expected):
    aerospike.set_deserializer(lambda s: ("D", s))
    raw_put(server.port, ptype, data)
    assert client.get(KEY)[2] == {"a": expected}
    assert client.select(KEY, ["a"])[2] == {"a": expected}


def test_deserializer_failures_give_the_bytes(server, client):
    def bad(s: str) -> Any:
        raise ValueError(s)
    aerospike.set_deserializer(bad)
    raw_put(server.port, 4, b"abc")
    assert client.get(KEY)[2] == {"a": b"abc"}
    # the official client crashes on blobs that are not UTF-8; we give their bytes
    aerospike.set_deserializer(lambda s: ("D", s))
    raw_put(server.port, 4, b"\xff\xfe")
    assert client.get(KEY)[2] == {"a": b"\xff\xfe"}


def test_whatever_the_deserializer_returns_is_the_value(server, client):
    raw_put(server.port, 4, b"abc")
    for value in (5, b"b", None):
        aerospike.set_deserializer(lambda s, value=value: value)
        assert client.get(KEY)[2] == {"a": value}


def test_unset_serializers(server, client):
    aerospike.set_serializer(lambda v: "S")
    aerospike.set_deserializer(lambda s: ("D", s))
    raw_put(server.port, 4, b"abc")
    assert aerospike.unset_serializers() == 0
    assert client.get(KEY)[2] == {"a": b"abc"}
    with pytest.raises(aerospike.exception.ClientError) as ei:
        client.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert _err(ei) == ("ClientError", -1, "No serializer callback registered")


@pytest.mark.parametrize("bad", [5, None, "x"])
def test_registering_a_non_callable(bad):
    for fn in (aerospike.set_serializer, aerospike.set_deserializer):
        with pytest.raises(aerospike.exception.ParamError) as ei:
            fn(bad)
        assert _err(ei) == ("ParamError", -2, "Parameter must be a callable")
    assert aerospike.set_serializer(function=str) == 0
    aerospike.unset_serializers()


def test_config_serialization_takes_precedence(server, client, calls):
    aerospike.set_serializer(lambda v: "S")
    aerospike.set_deserializer(lambda s: ("D", s))
    config = {"hosts": [("127.0.0.1", server.port)],
              "serialization": (lambda v: "S2", lambda s: ("D2", s))}
    c2 = aerospike.client(config)
    try:
        c2.put(KEY, {"a": Foo(1)})  # the client's serializer is its default
        assert raw_ops(server.port) == [("a", 4, b"S2")]
        c2.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
        assert c2.get(KEY)[2] == {"a": ("D2", "S2")}
        assert client.get(KEY)[2] == {"a": ("D", "S2")}
        with pytest.raises(aerospike.exception.ParamError):
            c2.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_NONE)
    finally:
        c2.close()


def test_config_serialization_halves(server, client):
    aerospike.set_serializer(lambda v: "S")
    aerospike.set_deserializer(lambda s: ("D", s))
    hosts = [("127.0.0.1", server.port)]
    c = aerospike.client({"hosts": hosts, "serialization": (None, lambda s: ("D2", s))})
    c.put(KEY, {"a": Foo(1)}, serializer=aerospike.SERIALIZER_USER)
    assert c.get(KEY)[2] == {"a": ("D2", "S")}
    c.close()
    c = aerospike.client({"hosts": hosts, "serialization": (lambda v: "S2", None)})
    c.put(KEY, {"a": Foo(1)})
    assert c.get(KEY)[2] == {"a": ("D", "S2")}
    c.close()
    for ignored in ("x", [lambda v: "S2", None]):  # not a tuple: ignored
        c = aerospike.client({"hosts": hosts, "serialization": ignored})
        with pytest.raises(aerospike.exception.ParamError):
            c.put(KEY, {"a": Foo(1)})
        c.close()


@pytest.mark.parametrize("cfg, expected", [
    ((1, 2), ("ParamError", -2, "Serializer must be callable")),
    ((str, 5), ("ParamError", -2, "Deserializer must be callable")),
])
def test_config_serialization_errors(cfg, expected):
    with pytest.raises(aerospike.exception.ParamError) as ei:
        aerospike.client({"hosts": [("127.0.0.1", 3000)], "serialization": cfg})
    assert _err(ei) == expected
    for short in ((), (str,)):
        with pytest.raises(IndexError):
            aerospike.client({"hosts": [("127.0.0.1", 3000)], "serialization": short})
