"""Running Lua UDFs in the embedded server: record UDFs (``apply``, batch apply rows,
background scan/query UDF jobs) and the server part of stream UDFs (aggregations).

Modules come from the node's registry (``testing.udf``); each module gets one Lua
state (``modlua.ModLua``), rebuilt when the module changes. Error messages
show the module as the real server loads it, from ``USER_PATH``
(``/var/lib/aerospike/node/usr/udf/lua/vec_udf.lua:38: boom``).

Reply facts (checked against the wire vectors):

- success: result 0 and one bin ``SUCCESS`` holding the return value (a nil result is
  a NULL particle); the record's generation and void time after the call;
- a Lua error: result 100 (UDF) and one bin ``FAILURE`` holding the message; a
  function the module lacks answers ``function not found``;
- a module that is not registered or does not load: ``UDF: Execution Error 1``;
- writes happen when the function returns, if it called ``aerospike:create`` or
  ``aerospike:update``: one generation more, the command's ttl, the key when sent;
  ``aerospike:remove`` deletes the record (the reply carries the next generation).

Without the ``lupa`` package nothing runs: every record UDF call is answered as for a
module that cannot be loaded, and aggregations as UDF errors.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Iterable

from .. import modlua
from ..protocol.particles import PARTICLE_NULL, PARTICLE_STRING
from .store import (
    TTL_DONT_UPDATE, Bins, Namespace, Record, next_generation, remove_bin, valid_ttl,
)

if TYPE_CHECKING:
    from .store import Store

USER_PATH = "/var/lib/aerospike/node/usr/udf/lua"
"""Where the recording server kept registered modules: error messages name it."""

MODULE_UNAVAILABLE = "UDF: Execution Error 1"

OK = 0
NOT_FOUND = 2
RECORD_EXISTS = 5
UDF_EXECUTION = 100
MAX_BIN_NAME = 15

_log = logging.getLogger("aerospike_async.testing.lua")


def lua_available() -> bool:
    """Whether UDFs can run (the optional ``lupa`` package is installed)."""
    return modlua.LUA_AVAILABLE


def _module_key(name: str) -> str:
    """A module's cache key: its file name without the extension, as the server's."""
    return name.rsplit(".", 1)[0] if "." in name else name


class LuaStates:
    """One loaded Lua state per registered module, by module name (no extension)."""

    __slots__ = ("store", "_states")

    def __init__(self, store: Store) -> None:
        self.store = store
        self._states: dict[str, tuple[bytes, modlua.ModLua]] = {}

    def _source(self, module: str) -> tuple[bytes, str] | None:
        for name, mod in getattr(self.store, "udf_modules", {}).items():
            if _module_key(name) == module:
                return mod.content, f"{USER_PATH}/{name}"
        return None

    def get(self, module: str) -> modlua.ModLua | None:
        """The module's state, or None if it is not registered or does not load."""
        found = self._source(module)
        if found is None:
            self._states.pop(module, None)
            return None
        content, chunkname = found
        cached = self._states.get(module)
        if cached is not None and cached[0] == content:
            return cached[1]
        try:
            state = modlua.ModLua(content, chunkname, self._source)
        except (modlua.LuaLoadError, modlua.LuaUnavailable):
            return None
        self._states[module] = (content, state)
        return state


def states_of(store: Store) -> LuaStates:
    states = getattr(store, "lua_states", None)
    if states is None:
        states = store.lua_states = LuaStates(store)
    return states


class ServerRecord(modlua.RecordHost):
    """A record as a record UDF sees and changes it; the changes are kept until the
    function returns (``commit``)."""

    def __init__(self, namespace: Namespace, digest: bytes, rec: Record | None, now: int,
                 set_name: bytes, key: bytes | None, read_only: bool = False) -> None:
        self.namespace = namespace
        self.digest_ = digest
        self.rec = rec
        self.now = now
        self.set_name = set_name
        self.key_field = key
        self.read_only = read_only
        self.bins: Bins = dict(rec.bins) if rec is not None else {}
        self.present = rec is not None
        self.written = False
        self.removed = False
        self.ttl_set: int | None = None
        self.key_dropped = False

    # reads
    def bin(self, name: str) -> tuple[int, bytes] | None:
        return self.bins.get(name) if self.present else None

    def exists(self) -> bool:
        return self.present

    def gen(self) -> int:
        return self.rec.generation if self.rec is not None and self.present else 0

    def ttl(self) -> int:
        rec = self.rec
        if rec is None or not self.present or not rec.void_time:
            return 0xFFFFFFFF if rec is not None and self.present else 0
        return max(rec.void_time - self.now, 0)

    def last_update_time(self) -> int:
        return self.rec.last_update_ns // 1_000_000 if self.rec is not None else 0

    def size(self) -> int:
        return self.rec.size() if self.rec is not None and self.present else 0

    def key(self) -> tuple[int, bytes] | None:
        raw = self.rec.key if self.rec is not None and self.rec.key else self.key_field
        if not raw:
            return None
        return raw[0], raw[1:]

    def setname(self) -> str | None:
        return self.set_name.decode("utf-8", "surrogateescape") if self.set_name else None

    def digest(self) -> bytes:
        return self.digest_

    def numbins(self) -> int:
        return len(self.bins) if self.present else 0

    def bin_names(self) -> list[str]:
        return list(self.bins) if self.present else []

    # changes
    def set_bin(self, name: str, ptype: int, data: bytes) -> None:
        if self.read_only:
            return
        if ptype == PARTICLE_NULL:
            remove_bin(self.bins, name)
        else:
            self.bins[name] = (ptype, data)

    def create(self) -> int:
        if self.read_only:
            return 2
        if self.present:
            return 1
        self.present = True
        self.removed = False
        self.written = True
        return 0

    def update(self) -> int:
        if self.read_only:
            return 2
        if not self.present:
            return 2
        self.written = True
        return 0

    def remove(self) -> int:
        if self.read_only or not self.present:
            return 2
        self.present = False
        self.removed = True
        self.written = False
        self.bins = {}
        return 0

    def set_ttl(self, ttl: int) -> None:
        self.ttl_set = ttl

    def drop_key(self) -> None:
        self.key_dropped = True

    def log(self, level: int, message: str) -> None:
        _log.log({1: logging.WARNING, 2: logging.INFO}.get(level, logging.DEBUG), "%s",
                 message)


def _too_long(bins: Bins) -> bool:
    return any(len(n.encode("utf-8", "surrogateescape")) > MAX_BIN_NAME for n in bins)


def run_record_udf(store: Store, namespace: Namespace, digest: bytes, module: str,
                   function: str, args: bytes, *, expiration: int = 0,
                   set_name: bytes = b"", key: bytes | None = None,
                   now_ns: int = 0) -> tuple[int, int, int, list[tuple[str, int, bytes]]]:
    """Run a record UDF on one record. Returns ``(result code, generation, void time,
    bins)``: the reply's header values and its one bin (SUCCESS or FAILURE)."""
    if not valid_ttl(expiration):
        return 4, 0, 0, []   # a ttl the server does not take: parameter error
    now = store.now()
    rec = namespace.get(digest, now)
    gen = rec.generation if rec is not None else 0
    void = rec.void_time if rec is not None else 0
    state = states_of(store).get(module) if lua_available() else None
    if state is None:
        return UDF_EXECUTION, gen, void, [("FAILURE", PARTICLE_STRING,
                                           MODULE_UNAVAILABLE.encode())]
    host = ServerRecord(namespace, digest, rec, now,
                        rec.set_name if rec is not None else set_name, key)
    result = state.apply_record(function, host, args)
    if not result[0]:
        message = str(result[1]).encode("utf-8", "surrogateescape")
        return UDF_EXECUTION, gen, void, [("FAILURE", PARTICLE_STRING, message)]
    _ok, ptype, data = result  # type: ignore[misc]
    success = [("SUCCESS", ptype, data)]
    if host.removed and rec is not None:
        namespace.delete(digest)
        return OK, next_generation(gen), 0, success
    if not host.written:
        return OK, gen, void, success
    bins = host.bins
    if _too_long(bins):
        return 21, gen, void, []
    if not bins:
        if rec is not None:
            namespace.delete(digest)
        return OK, next_generation(gen) if rec is not None else 0, 0, success
    ttl = host.ttl_set if host.ttl_set is not None else expiration
    void_time = namespace.void_time_for(ttl, now, void if rec is not None else None)
    if rec is not None and ttl == TTL_DONT_UPDATE:
        write_ttl = rec.write_ttl
    else:
        write_ttl = void_time - now if void_time else 0
    stored_key = None if host.key_dropped else (
        rec.key if rec is not None and rec.key is not None else key)
    new = Record(bins, rec.set_name if rec is not None else set_name, stored_key,
                 next_generation(gen), void_time, now_ns or store.now_ns(), write_ttl)
    if new.size() > namespace.max_record_size:
        return 13, gen, void, []
    namespace.put(digest, new)
    return OK, new.generation, new.void_time, success


def run_stream_udf(store: Store, module: str, function: str, args: bytes,
                   records: Iterable[tuple[bytes, Record]], namespace: Namespace
                   ) -> tuple[list[tuple[int, bytes]], str | None]:
    """The server part of a stream UDF over ``records`` (one partition's worth): the
    values to send back, and the error message if the UDF failed."""
    state = states_of(store).get(module) if lua_available() else None
    if state is None:
        return [], MODULE_UNAVAILABLE
    now = store.now()
    hosts = (ServerRecord(namespace, digest, rec, now, rec.set_name, None, read_only=True)
             for digest, rec in records)
    return state.apply_stream(function, modlua.SCOPE_SERVER, hosts, args)


__all__ = ["run_record_udf", "run_stream_udf", "lua_available", "LuaStates", "USER_PATH",
           "MODULE_UNAVAILABLE"]
