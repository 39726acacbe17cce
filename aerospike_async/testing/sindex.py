"""Secondary indexes of the embedded server: definitions, entries kept up to date on
every write, delete and expiry, and the lookups queries run.

An index entry is ``(bval, key)`` per indexed value of a record: ``bval`` is the signed
64-bit value the real server keys its index trees with (the integer itself, the
wyhash64 of a string or blob, the S2 leaf cell of a GeoJSON point) and ``key`` what the
embedded server matches a query against (the integer, the bytes, the parsed shape).
A region matches a point as the real server decides with geo2dsphere-within-strict on:
the S2 region (an S2Polygon, a union of them, or an S2Cap) contains the center of the
point's S2 leaf cell. (The server first narrows candidates by S2 cells, the covering of
a stored region or of the query region; the covering contains the region, so that
step never drops a match and is not repeated here.) Info replies copy a real Aerospike 8.1 Community Edition node.

An index may be defined over an expression instead of a bin (``sindex-create ... exp=``):
the expression is evaluated on each record as it is written and its value indexed as a
bin's would be (an unknown value: no entry). Queries name such an index by the
expression's bytes, which must equal those the index was created with.
"""
from __future__ import annotations

import base64
import functools
import json
import math
import struct
from typing import Any, Callable, Iterator

from ..protocol import cdt
from ..protocol.info import parse_info_params
from ..protocol.particles import (
    PARTICLE_BLOB, PARTICLE_GEOJSON, PARTICLE_INTEGER, PARTICLE_LIST, PARTICLE_MAP,
    PARTICLE_STRING,
)
from ..types import GeoJSON
from . import s2
from .cdt import CMap
from .expressions import (
    BIN, BIN_TYPE, DIGEST_MOD, QUOTE, REC_KEY, T_ANY, T_BLOB, T_BOOL, T_FLOAT, T_GEO, T_HLL,
    T_INT, T_LIST, T_MAP, T_NIL, T_STR, BuildError, Context, Expression, build, value_of,
)
from .geo import leaf_cell_id
from .store import Namespace, Record, Store

MAX_BIN_NAME = 15
MAX_INDEX_NAME = 63

# index types (wire INDEX_TYPE field values and info names)
ITYPE_DEFAULT = 0
ITYPE_LIST = 1
ITYPE_MAPKEYS = 2
ITYPE_MAPVALUES = 3
ITYPE_SET = 4
ITYPE_NAMES = {"DEFAULT": ITYPE_DEFAULT, "LIST": ITYPE_LIST, "MAPKEYS": ITYPE_MAPKEYS,
               "MAPVALUES": ITYPE_MAPVALUES, "SET": ITYPE_SET}
_ITYPE_LIST_NAMES = {v: k.lower() for k, v in ITYPE_NAMES.items()}

KTYPE_NAMES = {"NUMERIC": PARTICLE_INTEGER, "STRING": PARTICLE_STRING, "BLOB": PARTICLE_BLOB,
               "GEO2DSPHERE": PARTICLE_GEOJSON}
_KTYPE_LIST_NAMES = {v: k.lower() for k, v in KTYPE_NAMES.items()}

EARTH_RADIUS_M = 6371000.0
_I64 = struct.Struct(">q")
_GEO_HEADER = struct.Struct(">BH")
_MASK64 = (1 << 64) - 1

# -- wyhash64: the hash the server keys string and blob index entries with --------------

_WY = (0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3, 0x589965cc75374cc3)


def _wymix(a: int, b: int) -> int:
    p = a * b
    return (p & _MASK64) ^ (p >> 64)


def _r8(p: bytes, i: int) -> int:
    return int.from_bytes(p[i:i + 8], "little")


def _r4(p: bytes, i: int) -> int:
    return int.from_bytes(p[i:i + 4], "little")


def wyhash64(p: bytes) -> int:
    """wyhash (final version 3) with the server's seed, as an unsigned 64-bit int."""
    n = len(p)
    seed = 0x29FBB14CC886F ^ _WY[0]
    if n <= 16:
        if n >= 4:
            q = (n >> 3) << 2
            a = (_r4(p, 0) << 32) | _r4(p, q)
            b = (_r4(p, n - 4) << 32) | _r4(p, n - 4 - q)
        elif n > 0:
            a, b = (p[0] << 16) | (p[n >> 1] << 8) | p[n - 1], 0
        else:
            a = b = 0
    else:
        i, rem = 0, n
        if rem > 48:
            s1 = s2 = seed
            while rem > 48:
                seed = _wymix(_r8(p, i) ^ _WY[1], _r8(p, i + 8) ^ seed)
                s1 = _wymix(_r8(p, i + 16) ^ _WY[2], _r8(p, i + 24) ^ s1)
                s2 = _wymix(_r8(p, i + 32) ^ _WY[3], _r8(p, i + 40) ^ s2)
                i += 48
                rem -= 48
            seed ^= s1 ^ s2
        while rem > 16:
            seed = _wymix(_r8(p, i) ^ _WY[1], _r8(p, i + 8) ^ seed)
            i += 16
            rem -= 16
        a, b = _r8(p, i + rem - 16), _r8(p, i + rem - 8)
    return _wymix(_WY[1] ^ n, _wymix(a ^ _WY[1], b ^ seed))


def signed64(u: int) -> int:
    return u - (1 << 64) if u >= 1 << 63 else u


def bytes_bval(data: bytes) -> int:
    """The index bval of a string or blob value."""
    return signed64(wyhash64(data))


# -- geometry ---------------------------------------------------------------------------

class Shape:
    """A parsed GeoJSON value: a point, polygons (outer ring + holes) or a circle."""

    __slots__ = ("_regions", "kind", "point", "polygons", "radius")

    def __init__(self, kind: str, point: tuple[float, float] | None = None,
                 polygons: list[list[list[tuple[float, float]]]] | None = None,
                 radius: float = 0.0) -> None:
        self.kind = kind
        self.point = point
        self.polygons = polygons or []
        self.radius = radius
        self._regions: list[s2.Polygon | s2.Cap] | None = None

    @property
    def is_point(self) -> bool:
        return self.kind == "Point"

    def _s2_regions(self) -> list[s2.Polygon | s2.Cap]:
        """The S2 regions the server parses this shape into (built once)."""
        if self._regions is None:
            regions: list[s2.Polygon | s2.Cap] = []
            if self.kind == "AeroCircle":
                assert self.point is not None
                regions.append(s2.Cap.from_angle(s2.point_from_degrees(*self.point),
                                                 self.radius / EARTH_RADIUS_M))
            else:
                for rings in self.polygons:
                    try:
                        regions.append(s2.Polygon.from_lnglat(rings))
                    except ValueError:
                        pass
            self._regions = regions
        return self._regions

    def contains(self, lng: float, lat: float) -> bool:
        """Whether the region contains the point: the center of its S2 leaf cell lies
        in the S2 region (``geo_point_within`` of the server)."""
        center = s2.to_point(leaf_cell_id(lng, lat))
        return any(region.contains_point(center) for region in self._s2_regions())


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in meters between two (lng, lat) points."""
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_shape(text: bytes | str) -> Shape | None:
    """The shape of GeoJSON text, or None if it is not a point or region."""
    try:
        doc = json.loads(text)
        kind = doc["type"]
        coords = doc["coordinates"]
        if kind == "Point":
            return Shape(kind, point=(float(coords[0]), float(coords[1])))
        if kind == "AeroCircle":
            return Shape(kind, point=(float(coords[0][0]), float(coords[0][1])),
                         radius=float(coords[1]))
        if kind == "Polygon":
            return Shape(kind, polygons=[[[(float(p[0]), float(p[1])) for p in ring]
                                          for ring in coords]])
        if kind == "MultiPolygon":
            return Shape(kind, polygons=[[[(float(p[0]), float(p[1])) for p in ring]
                                          for ring in poly] for poly in coords])
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return None


def geo_particle_text(value: bytes) -> bytes:
    """The JSON text of a stored GeoJSON particle (after its cell header)."""
    _flags, ncells = _GEO_HEADER.unpack_from(value)
    return value[3 + 8 * ncells:]


def _geo_entry(text: bytes) -> tuple[int, Shape] | None:
    shape = parse_shape(text)
    if shape is None:
        return None
    if shape.is_point:
        assert shape.point is not None
        return signed64(leaf_cell_id(*shape.point)), shape
    return 0, shape


# -- CDT contexts -----------------------------------------------------------------------

_CTX_LIST_INDEX = 0x10
_CTX_LIST_RANK = 0x11
_CTX_LIST_VALUE = 0x13
_CTX_MAP_INDEX = 0x20
_CTX_MAP_RANK = 0x21
_CTX_MAP_KEY = 0x22
_CTX_MAP_VALUE = 0x23
_MISSING = object()


def apply_ctx(value: Any, ctx: list) -> Any:
    """The element a CDT context ([type, arg, type, arg, ...]) selects, or _MISSING."""
    for i in range(0, len(ctx) - 1, 2):
        kind, arg = ctx[i] & 0x3F, ctx[i + 1]
        try:
            if kind == _CTX_LIST_INDEX and isinstance(value, list):
                value = value[arg]
            elif kind == _CTX_LIST_RANK and isinstance(value, list):
                value = sorted(value, key=_order)[arg]
            elif kind == _CTX_LIST_VALUE and isinstance(value, list):
                value = next(v for v in value if v == arg)
            elif kind == _CTX_MAP_KEY and isinstance(value, dict):
                value = value[arg]
            elif kind == _CTX_MAP_INDEX and isinstance(value, dict):
                value = value[sorted(value, key=_order)[arg]]
            elif kind == _CTX_MAP_RANK and isinstance(value, dict):
                value = sorted(value.values(), key=_order)[arg]
            elif kind == _CTX_MAP_VALUE and isinstance(value, dict):
                value = next(v for v in value.values() if v == arg)
            else:
                return _MISSING
        except (IndexError, KeyError, StopIteration, TypeError):
            return _MISSING
    return value


def _order(v: Any) -> tuple:
    return (type(v).__name__, repr(v)) if not isinstance(v, (int, float)) else ("", v)


def _decode_ctx(data: bytes | None) -> list | None:
    if not data:
        return None
    try:
        ctx = cdt.unpack(data)
    except Exception:
        return None
    return ctx if isinstance(ctx, list) else None


# -- index entries ----------------------------------------------------------------------

def _scalar_entry(ktype: int, value: Any) -> tuple[int, Any] | None:
    """The entry of one decoded (collection element) value, or None if not indexable."""
    if ktype == PARTICLE_INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
    elif ktype == PARTICLE_STRING:
        if isinstance(value, str):
            data = value.encode("utf-8", "surrogateescape")
            return bytes_bval(data), data
    elif ktype == PARTICLE_BLOB:
        if isinstance(value, (bytes, bytearray)) and not isinstance(value, str):
            return bytes_bval(bytes(value)), bytes(value)
    elif ktype == PARTICLE_GEOJSON:
        if isinstance(value, GeoJSON):
            try:
                return _geo_entry(json.dumps(value.geo_data).encode())
            except (TypeError, ValueError):
                return None
    return None


def _exp_scalar_entry(ktype: int, value: Any) -> tuple[int, Any] | None:
    """The entry of one value computed by an expression, or None if not indexable."""
    if ktype == PARTICLE_INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
    elif isinstance(value, (bytes, bytearray)) and value and value[0] == ktype:
        data = bytes(value[1:])
        if ktype == PARTICLE_GEOJSON:
            return _geo_entry(data)
        return bytes_bval(data), data
    return None


class SIndex:
    """One secondary index: its definition and its entries by record digest."""

    __slots__ = ("name", "ns", "set_name", "bin", "ktype", "itype", "ctx_b64", "ctx",
                 "exp_b64", "exp_buf", "exp", "entries")

    def __init__(self, name: str, ns: str, set_name: str, bin_name: str, ktype: int,
                 itype: int, ctx_b64: str = "", exp_b64: str = "") -> None:
        self.name = name
        self.ns = ns
        self.set_name = set_name
        self.bin = bin_name
        self.ktype = ktype
        self.itype = itype
        self.ctx_b64 = ctx_b64
        self.ctx = _decode_ctx(base64.b64decode(ctx_b64)) if ctx_b64 else None
        self.exp_b64 = exp_b64
        self.exp_buf = base64.b64decode(exp_b64) if exp_b64 else b""
        self.exp: Expression | None = build(self.exp_buf) if exp_b64 else None
        self.entries: dict[bytes, list[tuple[int, Any]]] = {}

    def definition(self) -> tuple:
        return (self.set_name, self.bin, self.ktype, self.itype, self.ctx_b64, self.exp_b64)

    def covers(self, rec: Record) -> bool:
        return not self.set_name or rec.set_name == self.set_name.encode()

    def extract(self, rec: Record, digest: bytes = b"") -> list[tuple[int, Any]]:
        """This index's entries for a record (no duplicates of one bval)."""
        if self.itype == ITYPE_SET or not self.covers(rec):
            return []
        if self.exp is not None:
            return self._exp_entries(value_of(self.exp, Context(rec.bins, rec, digest)))
        stored = rec.bins.get(self.bin)
        if stored is None:
            return []
        ptype, raw = stored
        ktype = self.ktype
        if self.ctx is None and self.itype == ITYPE_DEFAULT:
            if ptype != ktype:
                return []
            if ktype == PARTICLE_INTEGER:
                value = _I64.unpack(raw)[0]
                return [(value, value)]
            if ktype in (PARTICLE_STRING, PARTICLE_BLOB):
                return [(bytes_bval(raw), raw)]
            entry = _geo_entry(geo_particle_text(raw))
            return [entry] if entry is not None else []
        if ptype not in (PARTICLE_LIST, PARTICLE_MAP):
            return []
        try:
            value = cdt.unpack(raw)
        except Exception:
            return []
        if self.ctx is not None:
            value = apply_ctx(value, self.ctx)
            if value is _MISSING:
                return []
        if self.itype == ITYPE_DEFAULT:
            elements: Any = [value]
        elif self.itype == ITYPE_LIST:
            elements = value if isinstance(value, list) else []
        elif self.itype == ITYPE_MAPKEYS:
            elements = list(value.keys()) if isinstance(value, dict) else []
        else:
            elements = list(value.values()) if isinstance(value, dict) else []
        out: list[tuple[int, Any]] = []
        seen: set[int] = set()
        for element in elements:
            entry = _scalar_entry(ktype, element)
            if entry is not None and entry[0] not in seen:
                seen.add(entry[0])
                out.append(entry)
        return out

    def _exp_entries(self, value: Any) -> list[tuple[int, Any]]:
        """The entries of an expression's value (the evaluator's model: strings, blobs and
        GeoJSON as bytes after their particle type, maps as CMap)."""
        if value is None:
            return []
        if self.itype == ITYPE_DEFAULT:
            elements: Any = [value]
        elif self.itype == ITYPE_LIST:
            elements = value if isinstance(value, list) else []
        elif self.itype == ITYPE_MAPKEYS:
            elements = [k for k, _v in value.pairs] if isinstance(value, CMap) else []
        else:
            elements = [v for _k, v in value.pairs] if isinstance(value, CMap) else []
        out: list[tuple[int, Any]] = []
        seen: set[int] = set()
        for element in elements:
            entry = _exp_scalar_entry(self.ktype, element)
            if entry is not None and entry[0] not in seen:
                seen.add(entry[0])
                out.append(entry)
        return out

    def update(self, digest: bytes, new: Record | None) -> None:
        entries = self.extract(new, digest) if new is not None else []
        if entries:
            self.entries[digest] = entries
        else:
            self.entries.pop(digest, None)

    def n_entries(self) -> int:
        return sum(len(e) for e in self.entries.values())

    def list_item(self) -> str:
        ctx = self.ctx_b64 or "null"
        return (f"ns={self.ns}:indexname={self.name}:set={self.set_name or 'null'}:"
                f"bin={self.bin or 'null'}:type={_KTYPE_LIST_NAMES.get(self.ktype, 'none')}:"
                f"indextype={_ITYPE_LIST_NAMES[self.itype]}:context={ctx}:"
                f"exp={self.exp_b64 or 'null'}:state=RW")

    def stat(self) -> str:
        if self.itype == ITYPE_SET:
            return "entries=0;used_bytes=0;load_pct=100"
        entries = self.n_entries()
        recs = len(self.entries)
        bvals = len({b for e in self.entries.values() for b, _k in e})
        per_bval = entries // bvals if bvals else 0
        per_rec = entries // recs if recs else 0
        return (f"entries={entries};used_bytes=16777216;entries_per_bval={per_bval};"
                f"entries_per_rec={per_rec};load_pct=100;load_time=0;stat_gc_recs=0")


class NamespaceIndexes:
    """The secondary indexes of one namespace; a store listener keeps them current."""

    __slots__ = ("namespace", "by_name")

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self.by_name: dict[str, SIndex] = {}
        namespace.listeners.append(self._changed)

    def _changed(self, digest: bytes, old: Record | None, new: Record | None) -> None:
        for index in self.by_name.values():
            index.update(digest, new)

    def add(self, index: SIndex) -> None:
        self.by_name[index.name] = index
        for digest, rec in self.namespace.records.items():
            index.update(digest, rec)

    def find(self, set_name: str, bin_name: str, ktype: int, itype: int,
             ctx: bytes | None) -> SIndex | None:
        """The index a query names by definition: the set's own first, then a set-less one."""
        for want_set in ((set_name, "") if set_name else ("",)):
            for index in self.by_name.values():
                if (index.set_name == want_set and index.bin == bin_name
                        and index.ktype == ktype and index.itype == itype
                        and not index.exp_b64 and _same_ctx(index, ctx)):
                    return index
        return None

    def find_exp(self, set_name: str, exp_buf: bytes, ktype: int, itype: int
                 ) -> SIndex | None:
        """The expression index a query names by its expression's bytes (set's own first)."""
        for want_set in ((set_name, "") if set_name else ("",)):
            for index in self.by_name.values():
                if (index.set_name == want_set and index.exp_buf == exp_buf
                        and index.ktype == ktype and index.itype == itype):
                    return index
        return None


def _same_ctx(index: SIndex, ctx: bytes | None) -> bool:
    if not ctx:
        return not index.ctx_b64
    return index.ctx_b64 != "" and base64.b64decode(index.ctx_b64) == ctx


def indexes_of(namespace: Namespace) -> NamespaceIndexes:
    """The namespace's index set, created on first use."""
    indexes = namespace.indexes
    if not isinstance(indexes, NamespaceIndexes):
        indexes = NamespaceIndexes(namespace)
        namespace.indexes = indexes
    return indexes


# -- query ranges -----------------------------------------------------------------------

class Range:
    """A decoded INDEX_RANGE field: bin, key type, and the begin/end values."""

    __slots__ = ("bin", "ktype", "begin", "end", "shape")

    def __init__(self, bin_name: str, ktype: int, begin: Any, end: Any,
                 shape: Shape | None = None) -> None:
        self.bin = bin_name
        self.ktype = ktype
        self.begin = begin
        self.end = end
        self.shape = shape

    def de_dups(self, index: SIndex) -> bool:
        """Whether a query of this range over ``index`` answers a record once though
        several of its values match: the real node does so for a range (integers from
        one value to another, or a geo region) over a list or map index."""
        if index.itype == ITYPE_DEFAULT:
            return False
        return self.ktype == PARTICLE_GEOJSON or (
            self.ktype == PARTICLE_INTEGER and self.begin != self.end)

    def matches(self, key: Any) -> bool:
        if self.ktype == PARTICLE_INTEGER:
            return bool(self.begin <= key <= self.end)
        if self.ktype in (PARTICLE_STRING, PARTICLE_BLOB):
            return bool(key == self.begin)
        shape = self.shape
        if shape is None:
            return False
        if shape.is_point:   # regions containing the point
            assert shape.point is not None
            return not key.is_point and key.contains(*shape.point)
        return key.is_point and shape.contains(*key.point)   # points within the region


def parse_range(data: bytes) -> Range | None:
    """Decode an INDEX_RANGE field (one range); None if malformed."""
    try:
        if data[0] != 1:
            return None
        pos = 1
        nlen = data[pos]
        bin_name = data[pos + 1:pos + 1 + nlen].decode("utf-8", "replace")
        pos += 1 + nlen
        ktype = data[pos]
        pos += 1
        blen = int.from_bytes(data[pos:pos + 4], "big")
        begin = data[pos + 4:pos + 4 + blen]
        pos += 4 + blen
        elen = int.from_bytes(data[pos:pos + 4], "big")
        end = data[pos + 4:pos + 4 + elen]
    except IndexError:
        return None
    if ktype == PARTICLE_INTEGER:
        if len(begin) != 8 or len(end) != 8:
            return None
        return Range(bin_name, ktype, _I64.unpack(begin)[0], _I64.unpack(end)[0])
    if ktype in (PARTICLE_STRING, PARTICLE_BLOB):
        return Range(bin_name, ktype, bytes(begin), bytes(end))
    if ktype == PARTICLE_GEOJSON:
        shape = parse_shape(begin)
        if shape is None:
            return None
        return Range(bin_name, ktype, begin, end, shape)
    return None


def lookup(index: SIndex, rng: Range, pids: set[int] | None
           ) -> Iterator[tuple[int, int, bytes]]:
    """(partition, bval, digest) of every entry in range (unsorted). A range of another key
    type than the index's (an index named by the query) matches nothing."""
    if rng.ktype != index.ktype:
        return
    matches = rng.matches
    for digest, entries in index.entries.items():
        pid = (digest[0] | (digest[1] << 8)) & 0xFFF
        if pids is not None and pid not in pids:
            continue
        for bval, key in entries:
            if matches(key):
                yield pid, bval, digest


# The real node walks an index in bursts of this many entries and drops a record's repeats
# only within a burst.
QUERY_BURST = 100


def de_dup(hits: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """A partition's sorted (bval, digest) hits with a record's repeats dropped, as the
    real node drops them: within each burst of QUERY_BURST entries."""
    out: list[tuple[int, bytes]] = []
    seen: set[bytes] = set()
    for n, hit in enumerate(hits, 1):
        if hit[1] not in seen:
            seen.add(hit[1])
            out.append(hit)
        if n % QUERY_BURST == 0:
            seen = set()
    return out


# -- info commands ----------------------------------------------------------------------

_EXP_TYPE_NAMES = {T_NIL: "null", T_BOOL: "bool", T_INT: "numeric", T_STR: "string",
                   T_LIST: "list", T_MAP: "map", T_BLOB: "blob", T_FLOAT: "float",
                   T_GEO: "geo2dsphere", T_HLL: "hll"}
_KTYPE_EXP_TYPES = {PARTICLE_INTEGER: T_INT, PARTICLE_STRING: T_STR, PARTICLE_BLOB: T_BLOB,
                    PARTICLE_GEOJSON: T_GEO}


def _exp_uses(node: Any, found: set[str]) -> None:
    """What an expression tree reads: "bins", "digest" (digest_modulo), "meta" (other
    record metadata) and "key" (the record key). Quoted literals are not looked into."""
    if not isinstance(node, list) or not node or not isinstance(node[0], int) \
            or isinstance(node[0], bool):
        return
    op = node[0]
    if op == QUOTE:
        return
    if op in (BIN, BIN_TYPE):
        found.add("bins")
    elif op == DIGEST_MOD:
        found.add("digest")
    elif op == REC_KEY:
        found.add("key")
    elif DIGEST_MOD < op < REC_KEY:
        found.add("meta")
    for arg in node[1:]:
        _exp_uses(arg, found)


def check_index_exp(exp_b64: str, itype: int, ktype: int) -> str:
    """The error answer refusing an index expression ("" if it is fit): it must decode and
    build, read no record metadata but the digest modulo, not the record key, and read a
    bin or the digest modulo; its type must be the key type (a list or a map for the
    collection index types)."""
    try:
        exp = build(base64.b64decode(exp_b64, validate=True))
    except (ValueError, BuildError):
        return "ERROR:4:bad 'exp'"
    uses: set[str] = set()
    _exp_uses(exp.node, uses)
    if "meta" in uses or "key" in uses or not uses & {"bins", "digest"}:
        return "ERROR:4:bad 'exp'"
    if itype == ITYPE_LIST:
        want = T_LIST
    elif itype in (ITYPE_MAPKEYS, ITYPE_MAPVALUES):
        want = T_MAP
    else:
        want = _KTYPE_EXP_TYPES[ktype]
    if exp.type not in (want, T_ANY):
        return (f"ERROR:4:bad 'exp' - expression type '{_EXP_TYPE_NAMES.get(exp.type, 'null')}'"
                f" does not match expected type '{_EXP_TYPE_NAMES[want]}'")
    return ""


# Buffer sizes (terminating NUL included) the real node reads sindex-create parameters
# into: a longer value is refused as "'<param>' value too long".
_NS_SZ = 32
_INAME_SZ = MAX_INDEX_NAME + 1
_SET_SZ = 64
_BIN_SZ = MAX_BIN_NAME + 1
_ITYPE_SZ = 10
_KTYPE_SZ = 12
_INDEXDATA_SZ = _BIN_SZ + _KTYPE_SZ
_CTX_SZ = 2048
_EXP_SZ = 16 * 1024
MAX_N_SINDEXES = 256


class _Refused(Exception):
    """An info command's error answer."""


def _answering_refusals(handler: Callable[[Store, str], str]) -> Callable[[Store, str], str]:
    """An info command handler whose _Refused becomes its error answer."""
    @functools.wraps(handler)
    def answer(store: Store, arg: str) -> str:
        try:
            return handler(store, arg)
        except _Refused as refused:
            return str(refused)
    return answer


def _param(arg: str, name: str, size: int, required: bool = False,
           code: int = 4) -> str | None:
    """A parameter checked as the real node checks it: None when absent (an error if
    required); empty, or too long for the node's buffer of ``size`` bytes, is an error."""
    value = parse_info_params(arg).get(name)
    if value is None:
        if required:
            raise _Refused(f"ERROR:{code}:missing '{name}'")
        return None
    if len(value.encode("utf-8", "surrogateescape")) >= size:
        raise _Refused(f"ERROR:{code}:'{name}' value too long")
    if not value:
        raise _Refused(f"ERROR:{code}:missing '{name}' value")
    return value


def _ns_param(arg: str) -> str:
    """The required namespace, named ``namespace`` or (deprecated) ``ns``."""
    for alias in ("namespace", "ns"):
        if alias in parse_info_params(arg):
            value = _param(arg, alias, _NS_SZ, code=20)
            assert value is not None
            return value
    raise _Refused("ERROR:20:missing 'namespace'")


@_answering_refusals
def info_sindex_create(store: Store, arg: str) -> str:
    """sindex-create, checked in the real node's order and with its answers: the old
    ``indexdata=<bin>,<type>`` form is still taken; an unknown namespace is accepted
    (the definition is cluster metadata); the same definition under a new name renames
    the index."""
    name = _param(arg, "indexname", _INAME_SZ, required=True)
    ns_name = _ns_param(arg)
    assert name is not None
    bin_name = ctx_b64 = exp_b64 = ""
    ktype = 0
    if (parse_info_params(arg).get("indextype") or "").upper() == "SET":
        for other in ("context", "indexdata", "type", "bin", "exp"):
            if other in parse_info_params(arg):
                return f"ERROR:4:{other} parameter is not supported for set index"
        set_name = _param(arg, "set", _SET_SZ, required=True) or ""
        itype = ITYPE_SET
    else:
        set_name = _param(arg, "set", _SET_SZ) or ""
        ctx_b64 = _param(arg, "context", _CTX_SZ) or ""
        if ctx_b64:
            try:
                ctx_buf = base64.b64decode(ctx_b64, validate=True)
            except ValueError:
                return "ERROR:4:'context' invalid base64"
            if _decode_ctx(ctx_buf) is None:
                return "ERROR:4:'context' invalid cdt context"
        itype_name = _param(arg, "indextype", _ITYPE_SZ)
        if itype_name is None:
            itype = ITYPE_DEFAULT
        elif itype_name.upper() in ITYPE_NAMES:
            itype = ITYPE_NAMES[itype_name.upper()]
        else:
            return ("ERROR:4:bad 'indextype' - must be one of 'default', 'list', "
                    "'mapkeys', 'mapvalues'")
        indexdata = _param(arg, "indexdata", _INDEXDATA_SZ)
        ktype_name = _param(arg, "type", _KTYPE_SZ)
        if indexdata is None and ktype_name is None:
            return "ERROR:4:both 'indexdata' and 'type' are missing"
        if indexdata is not None and ktype_name is not None:
            return "ERROR:4:both 'indexdata' and 'type' are specified"
        if ktype_name is not None:
            if ktype_name.upper() not in KTYPE_NAMES:
                return ("ERROR:4:bad 'type' - must be one of 'numeric', 'string', 'blob', "
                        "'geo2dsphere'")
            ktype = KTYPE_NAMES[ktype_name.upper()]
            bin_name = _param(arg, "bin", _BIN_SZ) or ""
            exp_b64 = _param(arg, "exp", _EXP_SZ) or ""
            if bin_name and exp_b64:
                return "ERROR:4:both 'bin' and 'exp' are specified"
            if not bin_name and not exp_b64:
                return "ERROR:4:both 'bin' and 'exp' are missing"
            if exp_b64:
                if ctx_b64:
                    return "ERROR:4:both 'context' and 'exp' are specified"
                refused = check_index_exp(exp_b64, itype, ktype)
                if refused:
                    return refused
        else:
            assert indexdata is not None
            bin_name, comma, ktype_name = indexdata.partition(",")
            if not comma:
                return "ERROR:4:'indexdata' missing bin type"
            if not bin_name:
                return "ERROR:4:'indexdata' missing bin name"
            if len(bin_name.encode("utf-8", "surrogateescape")) > MAX_BIN_NAME:
                return "ERROR:4:'indexdata' bin name too long"
            if ktype_name.upper() not in KTYPE_NAMES:
                return ("ERROR:4:bad 'indexdata' bin type - must be one of 'numeric', "
                        "'string', 'blob', 'geo2dsphere'")
            ktype = KTYPE_NAMES[ktype_name.upper()]
        if itype == ITYPE_MAPKEYS and ktype == PARTICLE_GEOJSON:
            return ("ERROR:4:bad 'indexdata' bin type for 'indextype' 'mapkeys' - must be "
                    "one of 'numeric', 'string', 'blob'")
    namespace = store.namespace(ns_name)
    if namespace is None:
        return "ok"
    indexes = indexes_of(namespace)
    index = SIndex(name, ns_name, set_name, bin_name, ktype, itype, ctx_b64, exp_b64)
    existing = indexes.by_name.get(name)
    if existing is not None:
        if existing.definition() == index.definition():
            return "ok"
        return "ERROR:200:'indexname' already exists with different definition"
    same = next((i for i in indexes.by_name.values()
                 if i.definition() == index.definition()), None)
    if same is not None:   # a definition is keyed by what it indexes: this renames it
        del indexes.by_name[same.name]
        same.name = name
        indexes.by_name[name] = same
        return "ok"
    if itype != ITYPE_SET and sum(i.itype != ITYPE_SET
                                  for i in indexes.by_name.values()) >= MAX_N_SINDEXES:
        return "ERROR:206:already at sindex definition limit"
    indexes.add(index)
    return "ok"


def _local_namespace(store: Store, arg: str) -> Namespace:
    namespace = store.namespace(_ns_param(arg))
    if namespace is None:
        raise _Refused("ERROR:20:namespace not found on node")
    return namespace


@_answering_refusals
def info_sindex_delete(store: Store, arg: str) -> str:
    name = _param(arg, "indexname", _INAME_SZ, required=True)
    namespace = store.namespace(_ns_param(arg))
    if namespace is not None:
        indexes_of(namespace).by_name.pop(name or "", None)
    return "ok"


@_answering_refusals
def info_sindex_list(store: Store, arg: str) -> str:
    namespaces = list(store.namespaces.values())
    params = parse_info_params(arg)
    if "namespace" in params or "ns" in params:
        namespaces = [_local_namespace(store, arg)]
    items: list[str] = []
    for ns in namespaces:
        if isinstance(ns.indexes, NamespaceIndexes):
            items.extend(i.list_item() for i in ns.indexes.by_name.values())
    return ";".join(items)


@_answering_refusals
def info_sindex_stat(store: Store, arg: str) -> str:
    name = _param(arg, "indexname", _INAME_SZ, required=True)
    namespace = _local_namespace(store, arg)
    index = indexes_of(namespace).by_name.get(name or "")
    if index is None:
        return "ERROR:201:no index"
    return index.stat()


@_answering_refusals
def info_sindex_exists(store: Store, arg: str) -> str:
    name = _param(arg, "indexname", _INAME_SZ, required=True)
    namespace = _local_namespace(store, arg)
    return "true" if name in indexes_of(namespace).by_name else "false"
