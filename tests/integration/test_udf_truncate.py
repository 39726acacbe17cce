"""UDF module management and truncate through the async client and the sync drop-in.

Written to hold against a real server as well as the embedded one (module names and
sets are unique to the run; modules are removed afterwards; namespace truncation only
touches ``bar``, and only when the server has it).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from pathlib import Path

import pytest

from aerospike_async import exceptions as E
from conftest import RUN_ID

SOURCE = "function hello(rec)\n  return 'hello from {tag}'\nend\n"
BROKEN = "function broken(rec\n  return 1\nend\n"


def module_hash(name: str, content: bytes) -> str:
    """What ``udf-list`` reports: SHA-1 of the server's metadata item for the module."""
    item = (f'{{"content64": {json.dumps(base64.b64encode(content).decode())}, '
            f'"type": "LUA", "name": {json.dumps(name)}}}')
    return hashlib.sha1(item.encode()).hexdigest()


@pytest.fixture
def lua_file(tmp_path: Path, request: pytest.FixtureRequest):
    """make(text) -> path of a fresh module file with a run-unique name."""
    made: list[str] = []

    def make(text: str, suffix: str = "") -> Path:
        name = f"it_{RUN_ID}_{request.node.name[:20]}{suffix}.lua".replace("[", "_")
        path = tmp_path / name.replace("]", "_")
        path.write_text(text)
        made.append(path.name)
        return path
    make.made = made  # type: ignore[attr-defined]
    return make


# -- UDF modules, async ---------------------------------------------------------------------

async def test_put_list_get_remove(client, lua_file):
    path = lua_file(SOURCE.format(tag="a"))
    name = path.name
    try:
        assert await client.udf_put(str(path)) == 0
        listed = [m for m in await client.udf_list() if m["name"] == name]
        assert listed == [{"name": name, "hash": bytearray(module_hash(name, path.read_bytes())
                                                           .encode()),
                           "type": 0, "content": bytearray(b"")}]
        assert await client.udf_get(name) == path.read_text()
        # a new version replaces the module (and its hash)
        path.write_text(SOURCE.format(tag="b"))
        assert await client.udf_put(str(path)) == 0
        assert await client.udf_get(name) == path.read_text()
        (entry,) = [m for m in await client.udf_list() if m["name"] == name]
        assert entry["hash"] == bytearray(module_hash(name, path.read_bytes()).encode())
    finally:
        assert await client.udf_remove(name) == 0
    assert name not in [m["name"] for m in await client.udf_list()]
    with pytest.raises(E.UDFError) as info:
        await client.udf_get(name)
    assert info.value.code == 100 and info.value.msg.startswith("error=not_found")


async def test_remove_of_an_unknown_module_is_not_an_error(client):
    assert await client.udf_remove(f"it_{RUN_ID}_never_put.lua") == 0


async def test_put_refuses_bad_files_and_lua(client, lua_file, tmp_path):
    with pytest.raises(E.LuaFileNotFound) as info:
        await client.udf_put(str(tmp_path / "missing.lua"))
    assert (info.value.code, info.value.msg) == (1302, "cannot open script file")
    with pytest.raises(E.LuaFileNotFound):
        await client.udf_put(str(lua_file("", "_empty")))
    broken = lua_file(BROKEN, "_bad")
    with pytest.raises(E.UDFError) as info:
        await client.udf_put(str(broken))
    assert info.value.code == 100
    assert info.value.msg.startswith(f"error=compile_error;file={broken.name};line=2;"
                                     f"message=')' expected near 'return'")
    assert broken.name not in [m["name"] for m in await client.udf_list()]


async def test_udf_argument_errors_are_raised_before_sending(client):
    with pytest.raises(E.ParamError):
        await client.udf_put(3)
    with pytest.raises(E.ClientError):
        await client.udf_put("x.lua", udf_type=1)
    with pytest.raises(E.ParamError):
        await client.udf_remove(None)
    with pytest.raises(E.ClientError):
        await client.udf_get(b"x.lua")


@pytest.mark.parametrize("language", ["0", None, (), [], 1.5])
async def test_a_udf_language_that_is_not_an_integer_is_a_type_error(client, language):
    """As in the official client, which reads the language as a C long: before the file
    name is even looked at."""
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        await client.udf_put(None, language)
    with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
        await client.udf_get("x.lua", language)
    with pytest.raises(OverflowError):
        await client.udf_get("x.lua", 1 << 70)
    with pytest.raises(E.ClientError, match="Invalid UDF language"):
        await client.udf_put("x.lua", True)   # a bool is an integer: 1, not LUA


async def test_udf_put_refuses_a_file_name_too_long_to_copy_into_user_path(client, tmp_path):
    # the official client copies the file into lua user_path, a path of at most 511 bytes
    with pytest.raises(E.ParamError, match="Lua file pathname too long"):
        await client.udf_put(str(tmp_path / ("a" * 510 + ".lua")))
    with pytest.raises(E.LuaFileNotFound):   # short enough: then the file is looked for
        await client.udf_put(str(tmp_path / ("a" * 250 + ".lua")))


# -- truncate, async --------------------------------------------------------------------------

async def _write(client, namespace, set_name, keys):
    await asyncio.gather(*(client.put((namespace, set_name, k), {"k": k}) for k in keys))


async def _present(client, namespace, set_name, keys):
    found = await asyncio.gather(*(client.exists((namespace, set_name, k)) for k in keys))
    return [k for k, (_key, meta) in zip(keys, found) if meta is not None]


async def test_truncate_set_now_spares_other_sets_and_later_writes(client, namespace):
    gone, other = f"tr_{RUN_ID}_a", f"tr_{RUN_ID}_b"
    await _write(client, namespace, gone, range(5))
    await _write(client, namespace, other, range(3))
    await asyncio.sleep(0.01)  # the server compares last-update times in milliseconds
    assert await client.truncate(namespace, gone, 0) == 0
    assert await _present(client, namespace, gone, list(range(5))) == []
    assert await _present(client, namespace, other, list(range(3))) == [0, 1, 2]
    await asyncio.sleep(0.01)
    await _write(client, namespace, gone, [7])
    assert await _present(client, namespace, gone, [7]) == [7]


async def test_truncate_before_a_time_keeps_newer_records(client, namespace):
    set_name = f"tr_{RUN_ID}_lut"
    await _write(client, namespace, set_name, ["old1", "old2"])
    await asyncio.sleep(0.2)
    cut = time.time_ns()
    await asyncio.sleep(0.2)
    await _write(client, namespace, set_name, ["new"])
    assert await client.truncate(namespace, set_name, cut) == 0
    assert await _present(client, namespace, set_name, ["old1", "old2", "new"]) == ["new"]


async def test_truncate_errors(client, namespace):
    with pytest.raises(E.InvalidRequest) as info:
        await client.truncate(namespace, f"tr_{RUN_ID}_x", 4000000000 * 10**9)
    assert info.value.msg.startswith("would truncate in the future")
    with pytest.raises(E.ParamError) as perr:
        await client.truncate(namespace, "s", -1)
    assert perr.value.msg == "Nanoseconds must be a positive value"
    with pytest.raises(E.ParamError):
        await client.truncate(namespace, 5, 0)
    with pytest.raises(E.ParamError):
        await client.truncate(None, "s", 0)
    with pytest.raises(E.ParamError):
        await client.truncate(namespace, "s", 1.5)


async def test_truncate_whole_namespace(client):
    names = (await client.info_random_node("namespaces")).partition("\t")[2].strip()
    if "bar" not in names.split(";"):
        pytest.skip("the server has no 'bar' namespace to truncate")
    await _write(client, "bar", f"tr_{RUN_ID}_n1", [1])
    await _write(client, "bar", f"tr_{RUN_ID}_n2", [2])
    await asyncio.sleep(0.01)
    assert await client.truncate("bar", None, 0) == 0
    assert await _present(client, "bar", f"tr_{RUN_ID}_n1", [1]) == []
    assert await _present(client, "bar", f"tr_{RUN_ID}_n2", [2]) == []


# -- the sync drop-in -----------------------------------------------------------------------

def test_sync_udf_round_trip(sync_client, lua_file):
    import aerospike
    path = lua_file(SOURCE.format(tag="sync"), "_sync")
    try:
        assert sync_client.udf_put(str(path), aerospike.UDF_TYPE_LUA, {"timeout": 2000}) == 0
        (entry,) = [m for m in sync_client.udf_list() if m["name"] == path.name]
        assert entry["hash"].decode() == module_hash(path.name, path.read_bytes())
        assert sync_client.udf_get(path.name, aerospike.UDF_TYPE_LUA) == path.read_text()
    finally:
        assert sync_client.udf_remove(path.name) == 0
    assert path.name not in [m["name"] for m in sync_client.udf_list()]
    with pytest.raises(aerospike.exception.UDFError):
        sync_client.udf_get(path.name)


def test_sync_truncate(sync_client, namespace):
    import aerospike
    set_name = f"tr_{RUN_ID}_sync"
    for k in range(3):
        sync_client.put((namespace, set_name, k), {"k": k})
    time.sleep(0.01)
    assert sync_client.truncate(namespace, set_name, 0) == 0
    for k in range(3):
        assert sync_client.exists((namespace, set_name, k))[1] is None
    with pytest.raises(aerospike.exception.ParamError):
        sync_client.truncate(namespace, set_name, -5)
