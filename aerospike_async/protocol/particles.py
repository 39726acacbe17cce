"""Particles: how one bin value is typed and encoded on the wire."""
from __future__ import annotations

import contextvars
import struct
from typing import Any, Callable

from ..types import GeoJSON, HyperLogLog, KeyOrderedDict, null
from . import cdt

PARTICLE_NULL = 0
PARTICLE_INTEGER = 1
PARTICLE_FLOAT = 2
PARTICLE_STRING = 3
PARTICLE_BLOB = 4
PARTICLE_JAVA_BLOB = 7
PARTICLE_CSHARP_BLOB = 8
PARTICLE_PYTHON_BLOB = 9
PARTICLE_RUBY_BLOB = 10
PARTICLE_PHP_BLOB = 11
PARTICLE_ERLANG_BLOB = 12
PARTICLE_BOOL = 17
PARTICLE_HLL = 18
PARTICLE_MAP = 19
PARTICLE_LIST = 20
PARTICLE_GEOJSON = 23

_I64 = struct.Struct(">q")
int64_bytes = _I64.pack   # an int value's 8 bytes; struct.error outside int64
_F64 = struct.Struct(">d")
_GEO_HEADER = struct.Struct(">BH")

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def _enc_int(v: int) -> tuple[int, bytes]:
    try:
        return PARTICLE_INTEGER, _I64.pack(v)
    except struct.error:
        raise OverflowError("integer value exceeds sys.maxsize") from None


def _enc_bool(v: bool) -> tuple[int, bytes]:
    return PARTICLE_BOOL, b"\x01" if v else b"\x00"


def _enc_float(v: float) -> tuple[int, bytes]:
    return PARTICLE_FLOAT, _F64.pack(v)


def _enc_str(v: str) -> tuple[int, bytes]:
    # the official client sends a string bin as a C string: it ends at the first NUL
    return PARTICLE_STRING, cdt.c_string(v).encode("utf-8")


def _enc_bytes(v: bytes) -> tuple[int, bytes]:
    return PARTICLE_BLOB, bytes(v)


def _enc_list(v: list) -> tuple[int, bytes]:
    return PARTICLE_LIST, cdt.pack(v)


def _enc_map(v: dict) -> tuple[int, bytes]:
    return PARTICLE_MAP, cdt.pack(v)


def _enc_geo(v: GeoJSON) -> tuple[int, bytes]:
    return PARTICLE_GEOJSON, _GEO_HEADER.pack(0, 0) + v.dumps().encode("utf-8")


def _enc_hll(v: HyperLogLog) -> tuple[int, bytes]:
    return PARTICLE_HLL, bytes(v)


def _enc_none(v: None | null) -> tuple[int, bytes]:
    # written, it removes the bin
    return PARTICLE_NULL, b""


_ENCODERS: dict[type, Callable[[Any], tuple[int, bytes]]] = {
    int: _enc_int, bool: _enc_bool, float: _enc_float, str: _enc_str,
    bytes: _enc_bytes, bytearray: _enc_bytes, list: _enc_list,
    dict: _enc_map, KeyOrderedDict: _enc_map, GeoJSON: _enc_geo,
    HyperLogLog: _enc_hll, type(None): _enc_none, null: _enc_none,
}
_BASES = (bool, int, float, str, bytes, bytearray, list, dict)


def encode_particle(value: Any) -> tuple[int, bytes]:
    """(particle type, value bytes) for a bin value; TypeError/OverflowError if it cannot travel."""
    enc = _ENCODERS.get(type(value))
    if enc is None:
        for base in _BASES:
            if isinstance(value, base):
                enc = _ENCODERS[base]
                break
        else:
            raise TypeError(f"unsupported bin value type {type(value).__name__}")
    return enc(value)


def _dec_geojson(data: bytes | memoryview) -> GeoJSON:
    _flags, ncells = _GEO_HEADER.unpack_from(data)
    return GeoJSON(bytes(data[3 + 8 * ncells:]).decode("utf-8"))


def _dec_int(data: bytes | memoryview) -> int:
    if len(data) == 8:
        return _I64.unpack(data)[0]
    return int.from_bytes(data, "big", signed=True)


#: true while a reply read with a policy's ``deserialize`` False is decoded: list and map
#: values are then left as their msgpack bytes, as the official client returns them
raw_collections: contextvars.ContextVar[bool] = \
    contextvars.ContextVar("aerospike_raw_collections", default=False)


def _dec_collection(data: bytes | memoryview) -> Any:
    return bytes(data) if raw_collections.get() else cdt.unpack(data)


_DECODERS: dict[int, Callable[[bytes | memoryview], Any]] = {
    PARTICLE_NULL: lambda d: None,
    PARTICLE_INTEGER: _dec_int,
    PARTICLE_FLOAT: lambda d: _F64.unpack(d)[0],
    PARTICLE_STRING: lambda d: bytes(d).decode("utf-8", "surrogateescape"),
    PARTICLE_BLOB: bytes,
    PARTICLE_PYTHON_BLOB: bytearray,
    PARTICLE_BOOL: lambda d: bool(d[0]) if d else False,
    PARTICLE_HLL: lambda d: HyperLogLog(bytes(d)),
    PARTICLE_MAP: _dec_collection,
    PARTICLE_LIST: _dec_collection,
    PARTICLE_GEOJSON: _dec_geojson,
}


# -- user serializers ---------------------------------------------------------
# aerospike.set_serializer/set_deserializer register module-wide ("class") functions;
# a client's config "serialization" tuple its own ("instance") ones, which win. A
# serializer turns a value of an unsupported type into a str, stored UTF-8 encoded as a
# generic blob (particle 4, or a blob with subtype 4 inside a list or map). A deserializer
# gets every generic blob, decoded as UTF-8 str, as the official client (19.3) does.
# Supported values never reach this code: encoding only falls back here when the plain
# encoders refuse a value, and blob decoding only checks ``hooks.on``, false until a
# deserializer is registered somewhere.

class _Hooks:
    on = False                                  # any deserializer registered yet
    serializer: Callable[[Any], Any] | None = None
    deserializer: Callable[[Any], Any] | None = None


hooks = _Hooks()
#: the deserializer of the client whose reply is being decoded (its config tuple's)
instance_deserializer: contextvars.ContextVar[Callable[[Any], Any] | None] = \
    contextvars.ContextVar("aerospike_instance_deserializer", default=None)


def _user_error(msg: str) -> Exception:
    from ..exceptions import ClientError
    return ClientError(-1, msg, None, None, False)


def user_serialize(fn: Callable[[Any], Any], value: Any) -> bytes:
    """The blob bytes ``fn`` makes of ``value``: its str result, UTF-8 encoded."""
    try:
        out = fn(value)
    except Exception:
        raise _user_error("Unable to call user's registered serializer callback") from None
    try:
        return out.encode("utf-8") if isinstance(out, str) else _no_str()
    except (UnicodeEncodeError, TypeError):
        raise _user_error("Unable to set as_bytes") from None


def _no_str() -> bytes:
    raise TypeError("serializer result is not a str")


def decode_blob(data: bytes | memoryview) -> Any:
    """A generic blob: through the client's or the module's deserializer when one is set
    (given the bytes as str); its bytes when none is, or when it raises or the bytes are
    not UTF-8 (the official client crashes on those)."""
    fn = instance_deserializer.get() or hooks.deserializer
    raw = bytes(data)
    if fn is None:
        return raw
    try:
        return fn(raw.decode("utf-8"))
    except Exception:
        return raw


def enable_blob_hook() -> None:
    """From now on generic blobs go through decode_blob (a deserializer exists)."""
    hooks.on = True
    _DECODERS[PARTICLE_BLOB] = decode_blob
    cdt.blob_hook = decode_blob


def encode_particle_user(value: Any, serialize: Callable[[Any], bytes]) -> tuple[int, bytes]:
    """encode_particle() for a value encode_particle refused: a list or map gets its
    unsupported members serialized, any other value becomes a generic blob."""
    if isinstance(value, dict):
        return PARTICLE_MAP, cdt.pack_user(value, serialize)
    if isinstance(value, list):
        return PARTICLE_LIST, cdt.pack_user(value, serialize)
    return PARTICLE_BLOB, serialize(value)


def decode_particle(ptype: int, data: bytes | memoryview) -> Any:
    """The Python value of a particle; language blobs come back as bytes."""
    dec = _DECODERS.get(ptype)
    if dec is None:
        return bytes(data)
    return dec(data)
