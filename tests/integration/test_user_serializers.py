"""User serializers through both APIs (valid against a real server too)."""
from __future__ import annotations

import pytest

import aerospike
import aerospike_async.constants as C
from aerospike_async import Client, _serializers


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
