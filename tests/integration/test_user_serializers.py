"""User serializers through both APIs (valid against a real server too)."""
from __future__ import annotations

import json

import pytest

import aerospike
import aerospike_async.constants as C
from aerospike_async import Client, _serializers
from aerospike_helpers.expressions import base as exp
from aerospike_helpers.operations import list_operations as lo
from aerospike_helpers.operations import operations as ops


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


def _ser(p: Point) -> str:
    return f"{p.x},{p.y}"


def _deser(s: str) -> tuple[int, ...]:
    return tuple(int(v) for v in s.split(","))


async def test_async_client_config_serialization(config, make_key):
    key = make_key()
    async with Client({**config, "serialization": (_ser, _deser)}) as c:
        await c.put(key, {"p": Point(1, 2), "l": [Point(3, 4)], "n": 5})
        _k, _m, bins = await c.get(key)
        assert bins == {"p": (1, 2), "l": [(3, 4)], "n": 5}
        await c.remove(key)


async def test_async_module_serializers(client, make_key):
    key = make_key()
    _serializers.set_serializer(_ser)
    _serializers.set_deserializer(_deser)
    try:
        await client.put(key, {"p": Point(5, 6)}, serializer=C.SERIALIZER_USER)
        assert (await client.get(key))[2] == {"p": (5, 6)}
        _serializers.unset_serializers()
        assert (await client.get(key))[2] == {"p": b"5,6"}
    finally:
        _serializers.unset_serializers()
        await client.remove(key)


def test_sync_module_serializers(sync_client, make_key):
    key = make_key()
    aerospike.set_serializer(_ser)
    aerospike.set_deserializer(_deser)
    try:
        with pytest.raises(aerospike.exception.ParamError):
            sync_client.put(key, {"p": Point(1, 1)})
        sync_client.put(key, {"p": Point(7, 8), "m": {"k": Point(9, 9)}},
                        serializer=aerospike.SERIALIZER_USER)
        assert sync_client.get(key)[2] == {"p": (7, 8), "m": {"k": (9, 9)}}
    finally:
        aerospike.unset_serializers()
        sync_client.remove(key)


def test_config_serializer_serves_operate_and_expressions(config, make_key):
    key = make_key()
    c = aerospike.client({**config, "serialization": (json.dumps, json.loads)})
    try:
        # a tuple has no Aerospike type: operate writes it through the config serializer
        c.operate(key, [ops.write("t", (1, 2)), lo.list_append("l", (3,))])
        assert c.get(key)[2] == {"t": [1, 2], "l": [[3]]}
        # and a filter expression compares with its serialized form
        hit = exp.Eq(exp.BlobBin("t"), (1, 2)).compile()
        miss = exp.Eq(exp.BlobBin("t"), (2, 1)).compile()
        assert c.get(key, {"expressions": hit})[2]["t"] == [1, 2]
        with pytest.raises(aerospike.exception.FilteredOut):
            c.get(key, {"expressions": miss})
    finally:
        c.remove(key)
        c.close()


def test_module_serializer_does_not_serve_operate(sync_client, make_key):
    key = make_key()
    aerospike.set_serializer(_ser)
    try:
        with pytest.raises(aerospike.exception.ClientError):
            sync_client.operate(key, [ops.write("p", Point(1, 2))])
    finally:
        aerospike.unset_serializers()

