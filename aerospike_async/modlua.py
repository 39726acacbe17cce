"""The mod-lua environment of Aerospike UDFs, on the optional ``lupa`` package (Lua 5.4).

Both sides use it: the embedded server runs record UDFs and the server part of stream
UDFs with it, and the client runs the final part of a stream UDF aggregation (the
reduce the nodes already ran, over what every node sent, then what follows it).

A UDF module sees what a real server gives it: ``list``, ``map``, ``bytes``,
``record``, ``aerospike`` (``create``/``update``/``exists``/``remove``/``log``),
``stream``, ``geojson``, ``trace``/``debug``/``info``/``warn``, ``math.sum`` and
``math.product``, and the standard Lua libraries. Values cross between Lua and the
wire as particles in Aerospike's msgpack dialect, following mod-lua's rules: a Lua
integer is an INTEGER and any other number a FLOAT, a string a STRING, ``bytes`` a
BLOB (or the type set with ``bytes.set_type``), ``list``/``map`` a LIST/MAP (map keys
in Aerospike's order), a boolean a BOOL, nil and plain tables no value.

Lua 5.4 is used (not LuaJIT): the server's Lua has the integer subtype that decides
between INTEGER and FLOAT results. Without lupa, :data:`LUA_AVAILABLE` is False and
:class:`ModLua` raises :class:`LuaUnavailable`. Sans-IO: nothing here touches sockets,
the clock or the event loop.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

_ENV_SOURCE = (Path(__file__).with_name("modlua_env.lua")).read_bytes()

try:  # optional dependency: the 'lua' extra
    _lupa: Any = importlib.import_module("lupa.lua54")
except ImportError:  # pragma: no cover - depends on the environment
    _lupa = None

LUA_AVAILABLE = _lupa is not None
"""Whether a Lua 5.4 runtime (the ``lupa`` package) can be used."""

SCOPE_SERVER = 1
SCOPE_CLIENT = 2

LUA_EXTRA_HINT = ("Lua UDFs need the optional 'lupa' package: "
                  "pip install 'aerospike-asyncio[lua]'")


class LuaUnavailable(ImportError):
    """Raised when Lua is needed but the ``lupa`` package is not installed."""

    def __init__(self, message: str = LUA_EXTRA_HINT) -> None:
        super().__init__(message)


class LuaLoadError(Exception):
    """A module that could not be loaded (missing, or its Lua does not run)."""


class RecordHost:
    """What a record UDF's ``rec`` reads and changes; subclassed by the server.

    Values are particles ``(type, bytes)``. The defaults describe a record that does
    not exist and cannot be written (the stream side of a client).
    """

    def bin(self, name: str) -> tuple[int, bytes] | None:
        return None

    def set_bin(self, name: str, ptype: int, data: bytes) -> None:
        pass

    def exists(self) -> bool:
        return False

    def create(self) -> int:
        return 2

    def update(self) -> int:
        return 2

    def remove(self) -> int:
        return 2

    def ttl(self) -> int:
        return 0

    def last_update_time(self) -> int:
        return 0

    def gen(self) -> int:
        return 0

    def size(self) -> int:
        return 0

    def key(self) -> tuple[int, bytes] | None:
        return None

    def setname(self) -> str | None:
        return None

    def digest(self) -> bytes:
        return b""

    def numbins(self) -> int:
        return 0

    def bin_names(self) -> list[str]:
        return []

    def set_ttl(self, ttl: int) -> None:
        pass

    def drop_key(self) -> None:
        pass

    def log(self, level: int, message: str) -> None:
        pass


def _s(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def _b(value: str | bytes | None) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return value.encode("utf-8", "surrogateescape")


class ModLua:
    """One Lua state with the mod-lua environment and a module loaded in it.

    ``source`` is the module's Lua text and ``chunkname`` the file name that error
    messages show (the real server's is ``<user-path>/<module>.lua``). ``require`` of
    another module asks ``find_module(name) -> (source, chunkname) | None``.
    """

    def __init__(self, source: bytes, chunkname: str,
                 find_module: Callable[[str], tuple[bytes, str] | None] | None = None) -> None:
        if _lupa is None:
            raise LuaUnavailable()
        self._lua = lua = _lupa.LuaRuntime(encoding=None, unpack_returned_tuples=True,
                                           register_eval=False, register_builtins=False)
        lua.execute(_ENV_SOURCE)
        g = lua.globals()
        self._apply_record = g[b"__apply_record"]
        self._apply_stream = g[b"__apply_stream"]
        self._find_module = find_module
        if find_module is not None:
            self._install_searcher()
        loader = lua.eval(b"function(src, name) local f, err = load(src, '@' .. name, 't')"
                          b" if not f then return false, err end"
                          b" local ok, e = pcall(f) if not ok then return false, tostring(e) end"
                          b" return true end")
        ok, *err = _tuple(loader(source, chunkname.encode("utf-8", "surrogateescape")))
        if not ok:
            raise LuaLoadError(_s(err[0]) if err else "cannot load module")

    def _install_searcher(self) -> None:
        find = self._find_module

        def search(name: bytes) -> Any:
            found = find(_s(name)) if find is not None else None
            if found is None:
                return None
            return (found[0], found[1].encode("utf-8", "surrogateescape"))

        install = self._lua.eval(
            b"function(search) table.insert(package.searchers, 2, function(name)"
            b" local src, chunk = search(name)"
            b" if src == nil then return '\\n\\tno registered module ' .. name end"
            b" local f, err = load(src, '@' .. chunk, 't')"
            b" if not f then error(err) end return f, chunk end) end")
        install(search)

    def _host_table(self, host: RecordHost) -> Any:
        """The Lua table of callbacks a record (or the aerospike object) calls."""
        def bin_(name: bytes) -> Any:
            found = host.bin(_s(name))
            return (None, None) if found is None else (found[0], bytes(found[1]))

        def set_bin(name: bytes, ptype: int, data: bytes) -> None:
            host.set_bin(_s(name), int(ptype), bytes(data))

        def key() -> Any:
            found = host.key()
            return (None, None) if found is None else (found[0], bytes(found[1]))

        def bin_names() -> Any:
            return self._lua.table_from([_b(n) for n in host.bin_names()])

        return self._lua.table_from({
            b"bin": bin_, b"set_bin": set_bin, b"exists": host.exists,
            b"create": host.create, b"update": host.update, b"remove": host.remove,
            b"ttl": host.ttl, b"last_update_time": host.last_update_time, b"gen": host.gen,
            b"size": host.size, b"key": key, b"setname": lambda: _b(host.setname()),
            b"digest": host.digest, b"numbins": host.numbins, b"bin_names": bin_names,
            b"set_ttl": lambda ttl: host.set_ttl(int(ttl)), b"drop_key": host.drop_key,
            b"log": lambda level, msg: host.log(int(level), _s(msg)),
        })

    def apply_record(self, function: str, host: RecordHost,
                     args: bytes) -> tuple[bool, int, bytes] | tuple[bool, str]:
        """Call ``function(rec, *args)`` (``args``: the msgpack arglist as sent).
        Returns ``(True, ptype, data)`` with the return value as a particle, or
        ``(False, message)`` with the Lua error message (``function not found`` when
        the module has no such function)."""
        res = _tuple(self._apply_record(function.encode("utf-8", "surrogateescape"),
                                        self._host_table(host), args or b"\x90"))
        if not res[0]:
            return False, _message(res[1] if len(res) > 1 else None)
        return True, int(res[1]), bytes(res[2])

    def apply_stream(self, function: str, scope: int, inputs: Iterable[Any], args: bytes,
                     host: RecordHost | None = None) -> tuple[list[tuple[int, bytes]], str | None]:
        """Run a stream UDF's ``scope`` part over ``inputs`` (RecordHost objects on the
        server, particles ``(ptype, bytes)`` on the client). Returns the output
        particles and, if the UDF failed, its error message."""
        it: Iterator[Any] = iter(inputs)
        out: list[tuple[int, bytes]] = []

        def read() -> Any:
            for item in it:
                if isinstance(item, RecordHost):
                    return (b"r", self._host_table(item), None)
                return (b"v", int(item[0]), bytes(item[1]))
            return None

        def emit(ptype: int, data: bytes) -> None:
            out.append((int(ptype), bytes(data)))

        res = _tuple(self._apply_stream(function.encode("utf-8", "surrogateescape"), scope,
                                        self._host_table(host or RecordHost()), read, emit,
                                        args or b"\x90"))
        if not res[0]:
            return out, _message(res[1] if len(res) > 1 else None)
        return out, None


def _tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _message(value: Any) -> str:
    if value is None:
        return "UDF: Execution Error 2"
    return _s(value)


__all__ = ["LUA_AVAILABLE", "LuaUnavailable", "LuaLoadError", "ModLua", "RecordHost",
           "SCOPE_SERVER", "SCOPE_CLIENT", "LUA_EXTRA_HINT"]
