"""UDF module management and truncation, over the info protocol.

- ``udf_put`` reads a local Lua file and sends
  ``udf-put:filename=<basename>;content=<base64>;content-len=<n>;udf-type=LUA;`` to one
  node (the cluster spreads the module), then asks ``udf-list`` of every node until each
  lists the module, as the official client waits.
- ``udf_remove`` sends ``udf-remove:filename=<name>;`` and waits until no node lists it.
- ``udf_list`` parses one node's ``udf-list``; ``udf_get`` decodes ``udf-get``'s content.
- ``truncate`` sends ``truncate:namespace=<ns>;set=<set>[;lut=<nanos>]`` (or
  ``truncate-namespace:...`` when the set is None) to one node.

A UDF command the server refuses answers ``error=...`` after the tab (not
``ERROR:code:...``); the official C client raises that as a UDF error (code 100) whose
message is the rest of the answer with a ``message=`` part base64-decoded, and so do we.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import operator
import os
import time
from typing import Any

from . import constants as C
from ._validate import param_error
from .exceptions import ClientError, LuaFileNotFound, ParamError, UDFError

SCRIPT_LEN_MAX = 1048576
"""The official client refuses script files of this size or more."""
_POLL_INTERVAL = 0.05
_WAIT_LIMIT = 30.0
"""How long put/remove wait for every node to (stop) list the module before returning
anyway (the official client waits without limit)."""


def _udf_error(response: str, address: str, module: str | None = None) -> UDFError | None:
    """The UDF error an ``error=...`` answer carries (None if it carries none)."""
    _name, tab, value = response.partition("\t")
    if not tab or not value.startswith("error="):
        return None
    head, found, encoded = value.partition("message=")
    if found:
        try:
            decoded = base64.b64decode(encoded.rstrip("\n"), validate=True)
            value = head + found + decoded.decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            pass
    exc = UDFError(100, f"{value} from {address}", None, None, False)
    exc.module = module
    return exc


def _module_names(response: str) -> list[str]:
    return [entry["name"] for entry in _parse_udf_list(response)]


def _parse_udf_list(response: str) -> list[dict[str, Any]]:
    _name, tab, value = response.partition("\t")
    if not tab:
        raise param_error(f"Invalid udf-list response: {response}")
    files = []
    for item in value.rstrip("\n").split(";"):
        if not item:
            continue
        fields = dict(part.partition("=")[::2] for part in item.split(","))
        files.append({"name": fields.get("filename", ""),
                      "hash": bytearray(fields.get("hash", "").encode("ascii", "replace")),
                      "type": C.UDF_TYPE_LUA, "content": bytearray(b"")})
    return files


async def _ask(client: Any, node: Any, command: str, policy: Any,
               module: str | None = None) -> str:
    response = await client._info(node, command, policy)
    exc = _udf_error(response, node.address, module)
    if exc is not None:
        raise exc
    return response


async def _wait_listing(client: Any, name: str, policy: Any, present: bool) -> None:
    """Ask every live node's ``udf-list`` until all (do not) list ``name``."""
    deadline = time.monotonic() + _WAIT_LIMIT
    while True:
        done = True
        for node in [n for n in client.cluster.nodes if n.active]:
            try:
                names = _module_names(await client._info(node, "udf-list", policy))
            except (ClientError, ParamError):
                if present:  # as the official client: an unanswered node is not done
                    done = False
                continue
            if (name in names) != present:
                done = False
                break
        if done or time.monotonic() > deadline:
            return
        await asyncio.sleep(_POLL_INTERVAL)


def _read_script(filename: str) -> bytes:
    try:
        with open(filename, "rb") as f:
            content = f.read(SCRIPT_LEN_MAX)
    except OSError:
        raise LuaFileNotFound(1302, "cannot open script file", None, None, False) from None
    if not content:
        raise LuaFileNotFound(1302, "Script file is empty", None, None, False)
    if len(content) >= SCRIPT_LEN_MAX:
        raise LuaFileNotFound(1302, "Script File is too large", None, None, False)
    return content


def _is_lua(language: Any) -> bool:
    """Whether a UDF language argument is LUA, read as the official client reads it (a C
    long): TypeError for what is not an integer, OverflowError past a C long."""
    value = operator.index(language)
    if not -(1 << 63) <= value < 1 << 63:
        raise OverflowError("Python int too large to convert to C long")
    return value == C.UDF_TYPE_LUA


_PATH_MAX = 511
"""The longest local copy path (user_path, "/", file name) the official client takes."""


async def udf_put(client: Any, filename: Any, udf_type: Any = C.UDF_TYPE_LUA,
                  policy: Any = None) -> int:
    if not _is_lua(udf_type):
        raise ClientError(-1, "Invalid UDF language", None, None, False)
    if not isinstance(filename, str):
        raise param_error("Filename should be a string")
    from .policy import validate_policy
    validate_policy(policy)
    base = os.path.basename(filename)
    if not base:
        raise param_error("Empty udf filename")
    from ._aggregate import lua_paths   # udf_put copies the file into user_path
    user_path = lua_paths(getattr(client, "config", None))[0].rstrip("/") + "/"
    if len(user_path.encode()) + len(base.encode()) > _PATH_MAX:
        raise param_error("Lua file pathname too long")
    content = _read_script(filename)
    name = os.path.basename(filename)
    encoded = base64.b64encode(content).decode("ascii")
    command = (f"udf-put:filename={name};content={encoded};content-len={len(encoded)};"
               f"udf-type=LUA;")
    node = client.cluster.random_node()
    await _ask(client, node, command, policy)
    await _wait_listing(client, name, policy, present=True)
    from ._aggregate import remember_module  # the local copy aggregations reduce with
    remember_module(getattr(client, "config", None), filename, content)
    return 0


async def udf_remove(client: Any, module: Any, policy: Any = None) -> int:
    if not isinstance(module, str):
        raise param_error("Filename should be a string")
    name = os.path.basename(module)
    node = client.cluster.random_node()
    await _ask(client, node, f"udf-remove:filename={name};", policy, module)
    await _wait_listing(client, name, policy, present=False)
    return 0


async def udf_list(client: Any, policy: Any = None) -> list[dict[str, Any]]:
    node = client.cluster.random_node()
    return _parse_udf_list(await _ask(client, node, "udf-list", policy))


async def udf_get(client: Any, module: Any, language: Any = C.UDF_TYPE_LUA,
                  policy: Any = None) -> str:
    if not _is_lua(language):
        raise ClientError(-1, "Invalid language", None, None, False)
    if not isinstance(module, str):
        raise ClientError(-1, "Module name should be a string or unicode string.", None,
                          None, False)
    node = client.cluster.random_node()
    response = await _ask(client, node, f"udf-get:filename={module};", policy, module)
    _name, tab, value = response.partition("\t")
    at = value.find("content=") if tab else -1
    if at < 0:
        raise param_error(f"Invalid udf-get response: {response}")
    encoded = value[at + 8:].split(";", 1)[0].rstrip("\n")
    try:
        content = base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        raise param_error(f"Invalid udf-get response: {response}") from None
    return content.decode("utf-8", "replace")


async def truncate(client: Any, namespace: Any, set_name: Any, nanos: Any,
                   policy: Any = None) -> int:
    if not isinstance(namespace, str):
        raise param_error("Namespace must be unicode or string type")
    if set_name is not None and not isinstance(set_name, str):
        raise param_error("Set must be None, or unicode or string type")
    if not isinstance(nanos, int):
        raise param_error("Nanoseconds must be a long type")
    if nanos < 0:
        raise param_error("Nanoseconds must be a positive value")
    if nanos >= 1 << 64:
        raise param_error("Nanoseconds value too large")
    try:
        client._policies.resolve("info", policy)
    except ParamError as exc:   # worded as the official client words it
        raise ClientError(-1, f"Incorrect Policy -> {exc.msg}", None, None, False) from None
    if set_name is not None:
        command = f"truncate:namespace={namespace};set={set_name}"
    else:
        command = f"truncate-namespace:namespace={namespace}"
    if nanos:
        command += f";lut={int(nanos)}"
    node = client.cluster.random_node()
    await client._info(node, command, policy)
    return 0


__all__ = ["truncate", "udf_get", "udf_list", "udf_put", "udf_remove"]
