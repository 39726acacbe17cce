"""Stream UDF aggregations on the client side: ``Query.apply(module, function, args)``
followed by ``results()``, ``foreach()`` or ``async for``.

Each node runs the server part of the stream UDF (its operations up to and including
the first ``reduce``) and answers the values it yields. As the official client does,
the client then runs the same module locally over everything the nodes sent: that
``reduce`` again, then whatever follows it (``map``/``filter``/``aggregate`` with no
``reduce`` pass the values through unchanged). The outputs are the query's results.

The local module is found as the official client finds it (config ``lua``):

- ``<user_path>/<module>.lua``; ``user_path`` defaults to ``"."``. ``udf_put`` copies
  the file it registers into ``user_path`` when that is not ``"."``, as the official
  client does;
- else the file this process last registered under that name with ``udf_put``.

``system_path`` is accepted and unused: the system Lua (``list``, ``map``, stream
operations...) is built in (``modlua``).

Lua needs the optional ``lupa`` package (the ``lua`` extra:
``pip install 'aerospike-asyncio[lua]'``). Without it an aggregation raises
:class:`~aerospike_async.exceptions.ClientError` (code -1) whose message names the
extra, before anything is sent.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable

from .command.scan import Records
from .exceptions import ClientError, UDFError
from . import modlua
from .protocol.particles import decode_particle

DEFAULT_USER_PATH = "."

_registered: dict[str, str] = {}
"""Module name (file name without extension) -> the local file udf_put registered."""
_registered_lock = threading.Lock()


def _module_name(filename: str) -> str:
    base = os.path.basename(filename)
    return base.rsplit(".", 1)[0] if "." in base else base


def lua_paths(config: dict[str, Any] | None) -> tuple[str, str | None]:
    """``(user_path, system_path)`` of a client config's ``lua`` entry."""
    lua = (config or {}).get("lua") or {}
    user = lua.get("user_path") if isinstance(lua, dict) else None
    system = lua.get("system_path") if isinstance(lua, dict) else None
    return (user if isinstance(user, str) and user else DEFAULT_USER_PATH,
            system if isinstance(system, str) else None)


def remember_module(config: dict[str, Any] | None, filename: str, content: bytes) -> None:
    """Called by ``udf_put``: note the local file of a registered module and copy it into
    ``user_path`` (unless that is ``"."``), as the official client does. A copy that
    cannot be written is skipped silently, as there."""
    with _registered_lock:
        _registered[_module_name(filename)] = os.path.abspath(filename)
    user_path, _system = lua_paths(config)
    if user_path == ".":
        return
    target = os.path.join(user_path, os.path.basename(filename))
    try:
        if os.path.abspath(target) != os.path.abspath(filename):
            with open(target, "wb") as f:
                f.write(content)
    except OSError:
        pass


def find_module(config: dict[str, Any] | None, module: str) -> tuple[bytes, str] | None:
    """The source and path of a module for the local part of an aggregation."""
    user_path, _system = lua_paths(config)
    candidates = [os.path.join(user_path, module + ".lua")]
    with _registered_lock:
        known = _registered.get(module)
    if known is not None:
        candidates.append(known)
    for path in candidates:
        try:
            with open(path, "rb") as f:
                return f.read(), path
        except OSError:
            continue
    return None


def _udf_error(message: str, module: str, function: str) -> UDFError:
    exc = UDFError(100, message, None, None, False)
    exc.module = module
    exc.func = function
    return exc


def check_lua_available() -> None:
    """Raise the documented ClientError when aggregations cannot run (no ``lupa``)."""
    if not modlua.LUA_AVAILABLE:
        raise ClientError(-1, "Stream UDF aggregation needs Lua: " + modlua.LUA_EXTRA_HINT,
                          None, None, False)


class ClientReduce:
    """The client part of one aggregation: the module loaded once, then ``run(values)``
    over the particles every node sent gives the final Python values."""

    def __init__(self, config: dict[str, Any] | None, module: str, function: str,
                 args: bytes) -> None:
        check_lua_available()
        found = find_module(config, module)
        if found is None:
            user_path, _system = lua_paths(config)
            raise _udf_error(f"Lua module '{module}' not found in user_path "
                             f"'{user_path}' (register it with udf_put or set config "
                             f"lua.user_path)", module, function)
        source, path = found
        directory = os.path.dirname(path) or "."

        def find_other(name: str) -> tuple[bytes, str] | None:
            other = os.path.join(directory, name + ".lua")
            try:
                with open(other, "rb") as f:
                    return f.read(), other
            except OSError:
                return find_module(config, name)

        try:
            self._lua = modlua.ModLua(source, path, find_other)
        except modlua.LuaLoadError as exc:
            raise _udf_error(f"Lua module '{module}' does not load: {exc}", module,
                             function) from None
        self.module = module
        self.function = function
        self.args = args or b"\x90"

    def run(self, values: list[tuple[int, bytes]]) -> list[Any]:
        """The query's results from the values the nodes sent."""
        out, error = self._lua.apply_stream(self.function, modlua.SCOPE_CLIENT, values,
                                            self.args)
        if error is not None:
            raise _udf_error(error, self.module, self.function)
        return [decode_particle(ptype, data) for ptype, data in out]


class AggregateStream:
    """What ``Query.stream`` returns for an aggregation: the same consumer interface as
    the record stream (``next_chunk``/``close``/``async for``), whose one chunk is the
    reduced values."""

    def __init__(self, reduce: ClientReduce,
                 gather: Callable[[], Any]) -> None:
        self._reduce = reduce
        self._gather = gather
        self._done = False

    def start(self) -> "AggregateStream":
        return self

    async def next_chunk(self) -> list | None:
        """All the results at once (None when they have been given)."""
        if self._done:
            return None
        self._done = True
        values = await self._gather()
        results = self._reduce.run(values)
        return results or None

    def __aiter__(self) -> Records:
        return Records(self)

    def give_back(self) -> None:
        """Nothing to give back: an aggregation's results come whole."""

    async def close(self) -> None:
        self._done = True

    async def aclose(self) -> None:
        await self.close()


__all__ = ["ClientReduce", "AggregateStream", "remember_module", "find_module", "lua_paths",
           "check_lua_available", "DEFAULT_USER_PATH"]
