"""S2 cells and region coverings, computed as the Aerospike server's S2 library does.

The server stores a written GeoJSON Polygon or AeroCircle with the S2 cells of its
covering (``S2RegionCoverer`` with min level 1, max level 30, at most 12 cells, level
mod 1, the values it uses when no namespace is at hand). The cells must equal the real
server's bit for bit, so this module follows the library's arithmetic step by step: the
quadratic (u, v) projection, cell bounds propagated by subdivision, the priority queue
of the coverer with the tie-breaking of a binary heap, and the region predicates
(``S2Cap`` and the shape-index predicates of ``S2Polygon``).

Points are 3-tuples of floats, cell ids Python ints (64-bit, unsigned).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Protocol

Point = tuple[float, float, float]
UV = tuple[float, float]

MAX_LEVEL = 30
_POS_BITS = 2 * MAX_LEVEL + 1
_MAX_SIZE = 1 << MAX_LEVEL
_LIMIT_IJ = 1 << MAX_LEVEL
_MAX_SITI = 1 << 31
_DBL_EPSILON = 2.220446049250313e-16
_SWAP = 1
_INVERT = 2
_POS_TO_IJ = ((0, 1, 3, 2), (0, 2, 3, 1), (3, 2, 0, 1), (3, 1, 0, 2))
_POS_TO_ORIENTATION = (_SWAP, 0, 0, _INVERT | _SWAP)
_IJ_TO_POS = ((0, 1, 3, 2), (0, 3, 1, 2), (2, 3, 1, 0), (2, 1, 3, 0))
_U64 = (1 << 64) - 1


# --- vectors ------------------------------------------------------------------------

def _sub(a: Point, b: Point) -> Point:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _neg(a: Point) -> Point:
    return (-a[0], -a[1], -a[2])


def _dot(a: Point, b: Point) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Point, b: Point) -> Point:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm2(a: Point) -> float:
    return a[0] * a[0] + a[1] * a[1] + a[2] * a[2]


def _normalize(a: Point) -> Point:
    n = math.sqrt(_norm2(a))
    if n != 0.0:
        n = 1.0 / n
    return (a[0] * n, a[1] * n, a[2] * n)


def _largest_abs_component(p: Point) -> int:
    ax, ay, az = abs(p[0]), abs(p[1]), abs(p[2])
    if ax > ay:
        return 0 if ax > az else 2
    return 1 if ay > az else 2


def point_from_degrees(lng: float, lat: float) -> Point:
    """The unit vector of a longitude/latitude in degrees (``S2LatLng::ToPoint``)."""
    phi = (math.pi / 180) * lat
    theta = (math.pi / 180) * lng
    cosphi = math.cos(phi)
    return (math.cos(theta) * cosphi, math.sin(theta) * cosphi, math.sin(phi))


# --- coordinates --------------------------------------------------------------------

def _st_to_uv(s: float) -> float:
    if s >= 0.5:
        return (1 / 3.) * (4 * s * s - 1)
    return (1 / 3.) * (1 - 4 * (1 - s) * (1 - s))


def _uv_to_st(u: float) -> float:
    if u >= 0:
        return 0.5 * math.sqrt(1 + 3 * u)
    return 1 - 0.5 * math.sqrt(1 - 3 * u)


def _ij_to_st_min(i: int) -> float:
    return (1.0 / _LIMIT_IJ) * i


def _st_to_ij(s: float) -> int:
    return max(0, min(_LIMIT_IJ - 1, round(_LIMIT_IJ * s - 0.5)))


def _siti_to_st(si: int) -> float:
    return (1.0 / _MAX_SITI) * si


def face_uv_to_xyz(face: int, u: float, v: float) -> Point:
    """The (unnormalized) point of face coordinates ``u``, ``v``."""
    if face == 0:
        return (1.0, u, v)
    if face == 1:
        return (-u, 1.0, v)
    if face == 2:
        return (-u, -v, 1.0)
    if face == 3:
        return (-1.0, -v, -u)
    if face == 4:
        return (v, -1.0, -u)
    return (v, u, -1.0)


def _valid_face_xyz_to_uv(face: int, p: Point) -> UV:
    if face == 0:
        return (p[1] / p[0], p[2] / p[0])
    if face == 1:
        return (-p[0] / p[1], p[2] / p[1])
    if face == 2:
        return (-p[0] / p[2], -p[1] / p[2])
    if face == 3:
        return (p[2] / p[0], p[1] / p[0])
    if face == 4:
        return (p[2] / p[1], -p[0] / p[1])
    return (-p[1] / p[2], -p[0] / p[2])


def get_face(p: Point) -> int:
    """The cube face ``p`` projects onto."""
    face = _largest_abs_component(p)
    if p[face] < 0:
        face += 3
    return face


def _face_xyz_to_uv(face: int, p: Point) -> UV | None:
    if face < 3:
        if p[face] <= 0:
            return None
    elif p[face - 3] >= 0:
        return None
    return _valid_face_xyz_to_uv(face, p)


def _u_norm(face: int, u: float) -> Point:
    if face == 0:
        return (u, -1.0, 0.0)
    if face == 1:
        return (1.0, u, 0.0)
    if face == 2:
        return (1.0, 0.0, u)
    if face == 3:
        return (-u, 0.0, 1.0)
    if face == 4:
        return (0.0, -u, 1.0)
    return (0.0, -1.0, -u)


def _v_norm(face: int, v: float) -> Point:
    if face == 0:
        return (-v, 0.0, 1.0)
    if face == 1:
        return (0.0, -v, 1.0)
    if face == 2:
        return (0.0, -1.0, -v)
    if face == 3:
        return (v, -1.0, 0.0)
    if face == 4:
        return (1.0, v, 0.0)
    return (1.0, 0.0, v)


# --- cell ids -----------------------------------------------------------------------

def lsb(cell: int) -> int:
    """The lowest set bit of a cell id."""
    return cell & -cell


def lsb_for_level(level: int) -> int:
    """The lowest set bit of any cell id at ``level``."""
    return 1 << (2 * (MAX_LEVEL - level))


def level(cell: int) -> int:
    """The level (0 for a face, 30 for a leaf) of a cell id."""
    return MAX_LEVEL - ((lsb(cell).bit_length() - 1) >> 1)


def face_of(cell: int) -> int:
    """The cube face of a cell id."""
    return cell >> _POS_BITS


def parent(cell: int, lvl: int | None = None) -> int:
    """The ancestor of ``cell`` at ``lvl`` (the direct parent by default)."""
    new_lsb = lsb(cell) << 2 if lvl is None else lsb_for_level(lvl)
    return ((cell & -new_lsb) | new_lsb) & _U64


def child_begin(cell: int, lvl: int | None = None) -> int:
    """The first child of ``cell`` (at ``lvl``, by default one level down)."""
    low = lsb(cell)
    return cell - low + (low >> 2 if lvl is None else lsb_for_level(lvl))


def child_end(cell: int, lvl: int | None = None) -> int:
    """One past the last child of ``cell`` in cell-id order."""
    low = lsb(cell)
    return cell + low + (low >> 2 if lvl is None else lsb_for_level(lvl))


def next_cell(cell: int) -> int:
    """The next cell at the same level along the Hilbert curve."""
    return cell + (lsb(cell) << 1)


def range_min(cell: int) -> int:
    """The first leaf cell id of ``cell``."""
    return cell - (lsb(cell) - 1)


def range_max(cell: int) -> int:
    """The last leaf cell id of ``cell``."""
    return cell + (lsb(cell) - 1)


def contains_id(cell: int, other: int) -> bool:
    """Whether ``other`` is ``cell`` or one of its descendants."""
    return range_min(cell) <= other <= range_max(cell)


def from_face(face: int) -> int:
    """The cell id of a whole cube face."""
    return (face << _POS_BITS) + lsb_for_level(0)


def is_face(cell: int) -> bool:
    """Whether ``cell`` is a whole face."""
    return cell & (lsb_for_level(0) - 1) == 0


def common_ancestor_level(a: int, b: int) -> int:
    """The level of the smallest cell containing both, or -1 if on different faces."""
    bits = max(a ^ b, max(lsb(a), lsb(b)))
    return max(60 - (bits.bit_length() - 1), -1) >> 1


def from_face_ij(face: int, i: int, j: int) -> int:
    """The leaf cell id at face coordinates ``i``, ``j``."""
    n = 0
    orientation = face & _SWAP
    for k in range(MAX_LEVEL - 1, -1, -1):
        ij = (((i >> k) & 1) << 1) | ((j >> k) & 1)
        pos = _IJ_TO_POS[orientation][ij]
        n = (n << 2) | pos
        orientation ^= _POS_TO_ORIENTATION[pos]
    return (((face << (_POS_BITS - 1)) | n) << 1) + 1


def to_face_ij_orientation(cell: int) -> tuple[int, int, int, int]:
    """``face, i, j, orientation`` of a cell id (``i``, ``j`` of the leaf its bits
    name, the orientation of the cell itself)."""
    face = face_of(cell)
    orientation = face & _SWAP
    lvl = level(cell)
    i = j = 0
    cell_orientation = orientation
    for k in range(MAX_LEVEL):
        pos = (cell >> (_POS_BITS - 2 - 2 * k)) & 3
        ij = _POS_TO_IJ[orientation][pos]
        i = (i << 1) | (ij >> 1)
        j = (j << 1) | (ij & 1)
        orientation ^= _POS_TO_ORIENTATION[pos]
        if k + 1 == lvl:
            cell_orientation = orientation
    return face, i, j, cell_orientation


def cell_id_from_point(p: Point) -> int:
    """The leaf cell containing ``p`` (``S2CellId(S2Point)``)."""
    face = get_face(p)
    u, v = _valid_face_xyz_to_uv(face, p)
    return from_face_ij(face, _st_to_ij(_uv_to_st(u)), _st_to_ij(_uv_to_st(v)))


def leaf_cell_id(lng: float, lat: float) -> int:
    """The S2 leaf cell id of the point at ``lng``, ``lat`` degrees."""
    return cell_id_from_point(point_from_degrees(lng, lat))


def _center_siti(cell: int) -> tuple[int, int, int]:
    face, i, j, _ = to_face_ij_orientation(cell)
    if cell & 1:
        delta = 1
    else:
        delta = 2 if (i ^ ((cell & 0xFFFFFFFF) >> 2)) & 1 else 0
    return face, 2 * i + delta, 2 * j + delta


def center_uv(cell: int) -> UV:
    """The (u, v) of a cell's center."""
    _, si, ti = _center_siti(cell)
    return _st_to_uv(_siti_to_st(si)), _st_to_uv(_siti_to_st(ti))


def to_point_raw(cell: int) -> Point:
    """A cell's center, not normalized."""
    face, si, ti = _center_siti(cell)
    return face_uv_to_xyz(face, _st_to_uv(_siti_to_st(si)), _st_to_uv(_siti_to_st(ti)))


def to_point(cell: int) -> Point:
    """A cell's center as a unit vector."""
    return _normalize(to_point_raw(cell))


def _size_ij(lvl: int) -> int:
    return 1 << (MAX_LEVEL - lvl)


def _ij_level_to_bound_uv(i: int, j: int, lvl: int) -> list[list[float]]:
    size = _size_ij(lvl)
    bound = []
    for x in (i, j):
        lo = x & -size
        bound.append([_st_to_uv(_ij_to_st_min(lo)), _st_to_uv(_ij_to_st_min(lo + size))])
    return bound


def bound_uv(cell: int) -> list[list[float]]:
    """``[[u_lo, u_hi], [v_lo, v_hi]]`` of a cell."""
    _, i, j, _ = to_face_ij_orientation(cell)
    return _ij_level_to_bound_uv(i, j, level(cell))


def _from_face_ij_wrap(face: int, i: int, j: int) -> int:
    i = max(-1, min(_MAX_SIZE, i))
    j = max(-1, min(_MAX_SIZE, j))
    scale = 1.0 / _MAX_SIZE
    limit = 1.0 + _DBL_EPSILON
    u = max(-limit, min(limit, scale * (2 * (i - _MAX_SIZE // 2) + 1)))
    v = max(-limit, min(limit, scale * (2 * (j - _MAX_SIZE // 2) + 1)))
    p = face_uv_to_xyz(face, u, v)
    face = get_face(p)
    u, v = _valid_face_xyz_to_uv(face, p)
    return from_face_ij(face, _st_to_ij(0.5 * (u + 1)), _st_to_ij(0.5 * (v + 1)))


def _from_face_ij_same(face: int, i: int, j: int, same: bool) -> int:
    return from_face_ij(face, i, j) if same else _from_face_ij_wrap(face, i, j)


def vertex_neighbors(cell: int, lvl: int) -> list[int]:
    """The cells at ``lvl`` around the vertex closest to ``cell``
    (``AppendVertexNeighbors``)."""
    face, i, j, _ = to_face_ij_orientation(cell)
    halfsize = _size_ij(lvl + 1)
    size = halfsize << 1
    if i & halfsize:
        ioffset, isame = size, i + size < _MAX_SIZE
    else:
        ioffset, isame = -size, i - size >= 0
    if j & halfsize:
        joffset, jsame = size, j + size < _MAX_SIZE
    else:
        joffset, jsame = -size, j - size >= 0
    out = [parent(cell, lvl),
           parent(_from_face_ij_same(face, i + ioffset, j, isame), lvl),
           parent(_from_face_ij_same(face, i, j + joffset, jsame), lvl)]
    if isame or jsame:
        out.append(parent(_from_face_ij_same(face, i + ioffset, j + joffset,
                                             isame and jsame), lvl))
    return out


def maximum_tile(cell: int, limit: int) -> int:
    """The largest cell starting at ``cell``'s range_min that ends before ``limit``."""
    start = range_min(cell)
    if start >= range_min(limit):
        return limit
    if range_max(cell) >= limit:
        while True:
            cell = child_begin(cell)
            if range_max(cell) < limit:
                return cell
    while not is_face(cell):
        up = parent(cell)
        if range_min(up) != start or range_max(up) >= limit:
            break
        cell = up
    return cell


def cells_from_begin_end(begin: int, end: int) -> list[int]:
    """The fewest cells covering the leaf range [begin, end)."""
    out = []
    cell = maximum_tile(begin, end)
    while cell != end:
        out.append(cell)
        cell = maximum_tile(next_cell(cell), end)
    return out


def normalize_cells(cells: Iterable[int]) -> list[int]:
    """Sorted, without contained cells, four siblings replaced by their parent
    (``S2CellUnion::Normalize``)."""
    out: list[int] = []
    for cell in sorted(cells):
        if out and contains_id(out[-1], cell):
            continue
        while out and contains_id(cell, out[-1]):
            out.pop()
        while len(out) >= 3 and _are_siblings(out[-3], out[-2], out[-1], cell):
            cell = parent(cell)
            del out[-3:]
        out.append(cell)
    return out


def _are_siblings(a: int, b: int, c: int, d: int) -> bool:
    if a ^ b ^ c != d:
        return False
    mask = lsb(d) << 1
    mask = ~(mask + (mask << 1)) & _U64
    masked = d & mask
    return (a & mask == masked and b & mask == masked and c & mask == masked
            and not is_face(d))


def denormalize_cells(cells: Sequence[int], min_level: int, level_mod: int) -> list[int]:
    """Cells below ``min_level`` (or off ``level_mod``) replaced by their descendants."""
    out = []
    for cell in cells:
        lvl = level(cell)
        new_level = max(min_level, lvl)
        if level_mod > 1:
            new_level += (MAX_LEVEL - (new_level - min_level)) % level_mod
            new_level = min(MAX_LEVEL, new_level)
        if new_level == lvl:
            out.append(cell)
        else:
            end = child_end(cell, new_level)
            child = child_begin(cell, new_level)
            while child != end:
                out.append(child)
                child = next_cell(child)
    return out


# --- metrics ------------------------------------------------------------------------

_MIN_WIDTH_DERIV = 2 * math.sqrt(2) / 3
_AVG_EDGE_DERIV = 1.459213746386106062


def _ilogb(x: float) -> int:
    return math.frexp(x)[1] - 1


def level_for_min_value(deriv: float, value: float) -> int:
    """``S2::Metric<1>::GetLevelForMinValue``."""
    if value <= 0:
        return MAX_LEVEL
    return max(0, min(MAX_LEVEL, _ilogb(deriv / value)))


def level_for_max_value(deriv: float, value: float) -> int:
    """``S2::Metric<1>::GetLevelForMaxValue``."""
    if value <= 0:
        return MAX_LEVEL
    return max(0, min(MAX_LEVEL, -_ilogb(value / deriv)))


# --- cells --------------------------------------------------------------------------

class Cell:
    """An S2 cell with its (u, v) bounds, as ``S2Cell`` keeps them."""

    __slots__ = ("face", "id", "level", "orientation", "uv")

    def __init__(self, cell_id: int, face: int = -1, lvl: int = 0, orientation: int = 0,
                 uv: list[list[float]] | None = None) -> None:
        self.id = cell_id
        if uv is None:
            face, i, j, orientation = to_face_ij_orientation(cell_id)
            lvl = level(cell_id)
            uv = _ij_level_to_bound_uv(i, j, lvl)
        self.face, self.level, self.orientation, self.uv = face, lvl, orientation, uv

    def subdivide(self) -> list[Cell]:
        """The four children, bounds shared with this cell and its center."""
        mid = center_uv(self.id)
        children = []
        child = child_begin(self.id)
        for pos in range(4):
            ij = _POS_TO_IJ[self.orientation][pos]
            i, j = ij >> 1, ij & 1
            u = [0.0, 0.0]
            v = [0.0, 0.0]
            u[i] = self.uv[0][i]
            u[1 - i] = mid[0]
            v[j] = self.uv[1][j]
            v[1 - j] = mid[1]
            children.append(Cell(child, self.face, self.level + 1,
                                 self.orientation ^ _POS_TO_ORIENTATION[pos], [u, v]))
            child = next_cell(child)
        return children

    def vertex_raw(self, k: int) -> Point:
        """Corner ``k`` (counterclockwise from (u_lo, v_lo)), not normalized."""
        j = (k >> 1) & 1
        i = j ^ (k & 1)
        return face_uv_to_xyz(self.face, self.uv[0][i], self.uv[1][j])

    def vertex(self, k: int) -> Point:
        """Corner ``k`` as a unit vector."""
        return _normalize(self.vertex_raw(k))

    def edge_raw(self, k: int) -> Point:
        """The inward normal of edge ``k`` (bottom, right, top, left), not normalized."""
        k &= 3
        if k == 0:
            return _v_norm(self.face, self.uv[1][0])
        if k == 1:
            return _u_norm(self.face, self.uv[0][1])
        if k == 2:
            return _neg(_v_norm(self.face, self.uv[1][1]))
        return _neg(_u_norm(self.face, self.uv[0][0]))

    def center(self) -> Point:
        """The center as a unit vector."""
        return to_point(self.id)

    def contains_point(self, p: Point) -> bool:
        """``S2Cell::Contains(S2Point)``: within the bounds widened by an epsilon."""
        uv = _face_xyz_to_uv(self.face, p)
        if uv is None:
            return False
        return (self.uv[0][0] - _DBL_EPSILON <= uv[0] <= self.uv[0][1] + _DBL_EPSILON
                and self.uv[1][0] - _DBL_EPSILON <= uv[1] <= self.uv[1][1] + _DBL_EPSILON)


# --- regions ------------------------------------------------------------------------

class Region(Protocol):
    """What the coverer asks of a region."""

    def may_intersect(self, cell: Cell) -> bool:
        """False only if the region certainly misses ``cell``."""

    def contains_cell(self, cell: Cell) -> bool:
        """True only if the region certainly contains ``cell``."""

    def cell_union_bound(self) -> list[int]:
        """A few cells covering the region."""


class Cap:
    """A spherical cap (``S2Cap``): a center and a chord-angle radius."""

    def __init__(self, center: Point, length2: float) -> None:
        self.center = center
        self.length2 = length2

    @classmethod
    def from_angle(cls, center: Point, radians: float) -> Cap:
        """The cap of an angle in radians (negative: empty)."""
        if radians < 0:
            return cls(center, -1.0)
        length = 2 * math.sin(0.5 * min(math.pi, radians))
        return cls(center, length * length)

    def is_empty(self) -> bool:
        """Whether the cap holds no point."""
        return self.length2 < 0

    def is_full(self) -> bool:
        """Whether the cap is the whole sphere."""
        return self.length2 == 4

    def complement(self) -> Cap:
        """The closure of the cap's complement."""
        if self.is_full():
            return Cap((1.0, 0.0, 0.0), -1.0)
        if self.is_empty():
            return Cap((1.0, 0.0, 0.0), 4.0)
        return Cap(_neg(self.center), min(4.0, 4 - self.length2))

    def contains_point(self, p: Point) -> bool:
        """Whether ``p`` lies in the cap (boundary included)."""
        return min(4.0, _norm2(_sub(self.center, p))) <= self.length2

    def radius(self) -> float:
        """The radius in radians."""
        if self.length2 < 0:
            return -1.0
        return 2 * math.asin(0.5 * math.sqrt(self.length2))

    def _intersects(self, cell: Cell, vertices: list[Point]) -> bool:
        if self.length2 >= 2.0 or self.is_empty():
            return False
        if cell.contains_point(self.center):
            return True
        sin2_angle = self.length2 * (1 - 0.25 * self.length2)
        for k in range(4):
            edge = cell.edge_raw(k)
            dot = _dot(self.center, edge)
            if dot > 0:
                continue
            if dot * dot > sin2_angle * _norm2(edge):
                return False
            direction = _cross(edge, self.center)
            if _dot(direction, vertices[k]) < 0 and _dot(direction, vertices[(k + 1) & 3]) > 0:
                return True
        return False

    def contains_cell(self, cell: Cell) -> bool:
        """``S2Cap::Contains(S2Cell)``."""
        vertices = []
        for k in range(4):
            vertex = cell.vertex(k)
            if not self.contains_point(vertex):
                return False
            vertices.append(vertex)
        return not self.complement()._intersects(cell, vertices)

    def may_intersect(self, cell: Cell) -> bool:
        """``S2Cap::MayIntersect(S2Cell)``."""
        vertices = []
        for k in range(4):
            vertex = cell.vertex(k)
            if self.contains_point(vertex):
                return True
            vertices.append(vertex)
        return self._intersects(cell, vertices)

    def cell_union_bound(self) -> list[int]:
        """``S2Cap::GetCellUnionBound``: the cells around the vertex nearest the center."""
        lvl = level_for_min_value(_MIN_WIDTH_DERIV, self.radius()) - 1
        if lvl < 0:
            return [from_face(face) for face in range(6)]
        return vertex_neighbors(cell_id_from_point(self.center), lvl)


# --- the coverer --------------------------------------------------------------------

class _Candidate:
    __slots__ = ("cell", "children", "is_terminal")

    def __init__(self, cell: Cell, is_terminal: bool) -> None:
        self.cell = cell
        self.is_terminal = is_terminal
        self.children: list[_Candidate] = []


_Entry = tuple[int, _Candidate]


def _heap_push(heap: list[_Entry], entry: _Entry) -> None:
    """``std::push_heap`` of libstdc++ on a max-heap compared by priority only."""
    heap.append(entry)
    _sift_up(heap, len(heap) - 1, 0, entry)


def _sift_up(heap: list[_Entry], hole: int, top: int, value: _Entry) -> None:
    parent_index = (hole - 1) // 2
    while hole > top and heap[parent_index][0] < value[0]:
        heap[hole] = heap[parent_index]
        hole = parent_index
        parent_index = (hole - 1) // 2
    heap[hole] = value


def _heap_pop(heap: list[_Entry]) -> _Entry:
    """``std::pop_heap`` then ``pop_back`` of libstdc++ (``__adjust_heap``)."""
    top = heap[0]
    last = len(heap) - 1
    if last > 0:
        value = heap[last]
        heap[last] = top
        length = last
        hole = 0
        second = 0
        while second < (length - 1) // 2:
            second = 2 * (second + 1)
            if heap[second][0] < heap[second - 1][0]:
                second -= 1
            heap[hole] = heap[second]
            hole = second
        if length & 1 == 0 and second == (length - 2) // 2:
            second = 2 * (second + 1)
            heap[hole] = heap[second - 1]
            hole = second - 1
        _sift_up(heap, hole, 0, value)
    heap.pop()
    return top


class RegionCoverer:
    """``S2RegionCoverer`` computing (exterior) coverings."""

    def __init__(self, min_level: int = 0, max_level: int = MAX_LEVEL, max_cells: int = 8,
                 level_mod: int = 1) -> None:
        self.min_level = max(0, min(MAX_LEVEL, min_level))
        self.max_level = max(0, min(MAX_LEVEL, max_level))
        self.max_cells = max_cells
        self.level_mod = max(1, min(3, level_mod))
        self._region: Region | None = None
        self._result: list[int] = []
        self._pq: list[_Entry] = []

    @property
    def _max_children_shift(self) -> int:
        return 2 * self.level_mod

    def _new_candidate(self, cell: Cell) -> _Candidate | None:
        assert self._region is not None
        if not self._region.may_intersect(cell):
            return None
        is_terminal = cell.level >= self.min_level and (
            cell.level + self.level_mod > self.max_level or self._region.contains_cell(cell))
        return _Candidate(cell, is_terminal)

    def _expand_children(self, candidate: _Candidate, cell: Cell, num_levels: int) -> int:
        assert self._region is not None
        num_levels -= 1
        num_terminals = 0
        for child_cell in cell.subdivide():
            if num_levels > 0:
                if self._region.may_intersect(child_cell):
                    num_terminals += self._expand_children(candidate, child_cell, num_levels)
                continue
            child = self._new_candidate(child_cell)
            if child is not None:
                candidate.children.append(child)
                if child.is_terminal:
                    num_terminals += 1
        return num_terminals

    def _add_candidate(self, candidate: _Candidate | None) -> None:
        if candidate is None:
            return
        if candidate.is_terminal:
            self._result.append(candidate.cell.id)
            return
        num_levels = 1 if candidate.cell.level < self.min_level else self.level_mod
        num_terminals = self._expand_children(candidate, candidate.cell, num_levels)
        shift = self._max_children_shift
        if not candidate.children:
            return
        if num_terminals == 1 << shift and candidate.cell.level >= self.min_level:
            candidate.is_terminal = True
            candidate.children = []
            self._add_candidate(candidate)
            return
        priority = -((((candidate.cell.level << shift) + len(candidate.children)) << shift)
                     + num_terminals)
        _heap_push(self._pq, (priority, candidate))

    def _adjust_level(self, lvl: int) -> int:
        if self.level_mod > 1 and lvl > self.min_level:
            lvl -= (lvl - self.min_level) % self.level_mod
        return lvl

    def _initial_candidates(self) -> None:
        assert self._region is not None
        tmp = RegionCoverer(max_level=self.max_level, max_cells=min(4, self.max_cells))
        cells = tmp.canonicalize_covering(self._region.cell_union_bound())
        if self.level_mod > 1:
            raise NotImplementedError("level_mod > 1")
        for cell in cells:
            self._add_candidate(self._new_candidate(Cell(cell)))

    def covering(self, region: Region) -> list[int]:
        """The cell ids of the covering of ``region``, sorted (``GetCovering``)."""
        self._region = region
        self._result = []
        self._pq = []
        self._initial_candidates()
        while self._pq:
            candidate = _heap_pop(self._pq)[1]
            if (candidate.cell.level < self.min_level or len(candidate.children) == 1
                    or len(self._result) + len(self._pq) + len(candidate.children)
                    <= self.max_cells):
                for child in candidate.children:
                    self._add_candidate(child)
            else:
                candidate.is_terminal = True
                self._add_candidate(candidate)
        self._region = None
        result = normalize_cells(self._result)
        if self.min_level > 0 or self.level_mod > 1:
            result = denormalize_cells(result, self.min_level, self.level_mod)
        return result

    def canonicalize_covering(self, covering: list[int]) -> list[int]:
        """``CanonicalizeCovering`` (only the paths reachable with level_mod 1)."""
        if self.max_level < MAX_LEVEL or self.level_mod > 1:
            covering = [parent(c, self._adjust_level(min(level(c), self.max_level)))
                        if self._adjust_level(min(level(c), self.max_level)) != level(c) else c
                        for c in covering]
        covering = normalize_cells(covering)
        if self.min_level > 0 or self.level_mod > 1:
            covering = denormalize_cells(covering, self.min_level, self.level_mod)
        excess = len(covering) - self.max_cells
        if excess <= 0 or self._is_canonical(covering):
            return covering
        if excess * len(covering) > 10000:
            raise NotImplementedError("very large coverings")
        while len(covering) > self.max_cells:
            best_index, best_level = -1, -1
            for i in range(len(covering) - 1):
                lvl = self._adjust_level(common_ancestor_level(covering[i], covering[i + 1]))
                if lvl > best_level:
                    best_level, best_index = lvl, i
            if best_level < self.min_level:
                break
            ancestor = parent(covering[best_index], best_level)
            covering = _replace_with_ancestor(covering, ancestor)
            while best_level > self.min_level:
                best_level -= self.level_mod
                ancestor = parent(ancestor, best_level)
                if not self._contains_all_children(covering, ancestor):
                    break
                covering = _replace_with_ancestor(covering, ancestor)
        return covering

    def _contains_all_children(self, covering: list[int], cell: int) -> bool:
        lvl = level(cell) + self.level_mod
        present = set(covering)
        child = child_begin(cell, lvl)
        end = child_end(cell, lvl)
        while child != end:
            if child not in present:
                return False
            child = next_cell(child)
        return True

    def _is_canonical(self, covering: list[int]) -> bool:
        min_level, level_mod = self.min_level, self.level_mod
        max_level = self.max_level if level_mod == 1 else (
            self.max_level - (self.max_level - min_level) % level_mod)
        too_many = len(covering) > self.max_cells
        same_parent_count = 1
        prev: int | None = None
        for cell in covering:
            lvl = level(cell)
            if lvl < min_level or lvl > max_level:
                return False
            if level_mod > 1 and (lvl - min_level) % level_mod != 0:
                return False
            if prev is not None:
                if range_max(prev) >= range_min(cell):
                    return False
                if too_many and common_ancestor_level(cell, prev) >= min_level:
                    return False
                plevel = lvl - level_mod
                if (plevel < min_level or lvl != level(prev)
                        or parent(cell, plevel) != parent(prev, plevel)):
                    same_parent_count = 1
                else:
                    same_parent_count += 1
                    if same_parent_count == 1 << (2 * level_mod):
                        return False
            prev = cell
        return True


def _replace_with_ancestor(covering: list[int], ancestor: int) -> list[int]:
    lo, hi = range_min(ancestor), range_max(ancestor)
    out = [c for c in covering if c < lo]
    out.append(ancestor)
    out.extend(c for c in covering if c > hi)
    return out


# --- exact predicates ---------------------------------------------------------------

_MAX_DET_ERROR = 1.8274 * _DBL_EPSILON
ORIGIN: Point = (-0.0099994664350250197, 0.0025924542609324121, 0.99994664350250195)
"""``S2::Origin()``: the reference point of the brute-force containment tests."""


def _exact_sign(a: Point, b: Point, c: Point) -> int:
    """The sign of det(a, b, c) in exact arithmetic, perturbed symbolically when zero."""
    perm = 1
    pa, pb, pc = a, b, c
    if pa > pb:
        pa, pb, perm = pb, pa, -perm
    if pb > pc:
        pb, pc, perm = pc, pb, -perm
    if pa > pb:
        pa, pb, perm = pb, pa, -perm
    xa = tuple(Fraction(x) for x in pa)
    xb = tuple(Fraction(x) for x in pb)
    xc = tuple(Fraction(x) for x in pc)
    bxc = (xb[1] * xc[2] - xb[2] * xc[1], xb[2] * xc[0] - xb[0] * xc[2],
           xb[0] * xc[1] - xb[1] * xc[0])
    det = xa[0] * bxc[0] + xa[1] * bxc[1] + xa[2] * bxc[2]
    if det != 0:
        return perm * (1 if det > 0 else -1)
    return perm * _perturbed_sign(xa, xb, xc, bxc)


def _sgn(x: Fraction) -> int:
    return (x > 0) - (x < 0)


def _perturbed_sign(a: Sequence[Fraction], b: Sequence[Fraction], c: Sequence[Fraction],
                    b_cross_c: Sequence[Fraction]) -> int:
    for value in (b_cross_c[2], b_cross_c[1], b_cross_c[0], c[0] * a[1] - c[1] * a[0], c[0]):
        if _sgn(value):
            return _sgn(value)
    for value, sign in ((c[1], -1), (c[2] * a[0] - c[0] * a[2], 1), (c[2], 1),
                        (a[0] * b[1] - a[1] * b[0], 1), (b[0], -1), (b[1], 1), (a[0], 1)):
        if _sgn(value):
            return sign * _sgn(value)
    return 1


def _triage_sign(a: Point, b: Point, c: Point) -> int:
    det = _dot(_cross(a, b), c)
    if det > _MAX_DET_ERROR:
        return 1
    if det < -_MAX_DET_ERROR:
        return -1
    return 0


def _expensive_sign(a: Point, b: Point, c: Point) -> int:
    if a == b or b == c or c == a:
        return 0
    return _exact_sign(a, b, c)


def sign(a: Point, b: Point, c: Point) -> int:
    """``s2pred::Sign``: +1 if a, b, c turn counterclockwise, -1 clockwise, 0 only
    when two of them are equal."""
    result = _triage_sign(a, b, c)
    return result if result else _expensive_sign(a, b, c)


def _ordered_ccw(a: Point, b: Point, c: Point, o: Point) -> bool:
    total = 0
    if sign(b, o, a) >= 0:
        total += 1
    if sign(c, o, b) >= 0:
        total += 1
    if sign(a, o, c) > 0:
        total += 1
    return total >= 2


def _ortho(a: Point) -> Point:
    k = _largest_abs_component(a) - 1
    if k < 0:
        k = 2
    temp = [0.012, 0.0053, 0.00457]
    temp[k] = 1.0
    return _normalize(_cross(a, (temp[0], temp[1], temp[2])))


def _vertex_crossing(a: Point, b: Point, c: Point, d: Point) -> bool:
    if a == b or c == d:
        return False
    if a == c:
        return b == d or _ordered_ccw(_ortho(a), d, b, a)
    if b == d:
        return _ordered_ccw(_ortho(b), c, a, b)
    if a == d:
        return b == c or _ordered_ccw(_ortho(a), c, b, a)
    if b == c:
        return _ordered_ccw(_ortho(b), d, a, b)
    return False


def crossing_sign(a: Point, b: Point, c: Point, d: Point) -> int:
    """``S2::CrossingSign``: 1 if edges AB and CD cross at a point interior to both,
    0 if they share a vertex, -1 otherwise."""
    acb = -_triage_sign(a, b, c)
    bda = _triage_sign(a, b, d)
    if acb == -bda and bda != 0:
        return -1
    if a == c or a == d or b == c or b == d:
        return 0
    if a == b or c == d:
        return -1
    if acb == 0:
        acb = -_expensive_sign(a, b, c)
    if bda == 0:
        bda = _expensive_sign(a, b, d)
    if bda != acb:
        return -1
    if -sign(c, d, b) != acb:
        return -1
    return 1 if sign(c, d, a) == acb else -1


def edge_or_vertex_crossing(a: Point, b: Point, c: Point, d: Point) -> bool:
    """``S2::EdgeOrVertexCrossing``: whether AB crosses CD, shared vertices counted
    by the semi-open vertex rules."""
    crossing = crossing_sign(a, b, c, d)
    if crossing < 0:
        return False
    if crossing > 0:
        return True
    return _vertex_crossing(a, b, c, d)


def _robust_cross_prod(a: Point, b: Point) -> Point:
    result = _cross(_sub(a, b), (a[0] + b[0], a[1] + b[1], a[2] + b[2]))
    min_norm = (32 * math.sqrt(3) * 2.0 ** -53) / (6 - (1 + 2 * math.sqrt(3)))
    if _norm2(result) >= min_norm * min_norm:
        return result
    if a == b:
        return _ortho(a)
    xa = [Fraction(x) for x in a]
    xb = [Fraction(x) for x in b]
    exact = (xa[1] * xb[2] - xa[2] * xb[1], xa[2] * xb[0] - xa[0] * xb[2],
             xa[0] * xb[1] - xa[1] * xb[0])
    scale = max(abs(x) for x in exact) or Fraction(1)
    return _normalize((float(exact[0] / scale), float(exact[1] / scale),
                       float(exact[2] / scale)))


# --- edge clipping ------------------------------------------------------------------

_FACE_CLIP_ERROR_UV_COORD = 9 * (1 / math.sqrt(2)) * _DBL_EPSILON
_FACE_CLIP_ERROR_RADIANS = 3 * _DBL_EPSILON
_EDGE_CLIP_ERROR_UV_COORD = 2.25 * _DBL_EPSILON
_INTERSECTS_RECT_ERROR_UV_DIST = 3 * math.sqrt(2) * _DBL_EPSILON
CELL_PADDING = 2 * (_FACE_CLIP_ERROR_UV_COORD + _EDGE_CLIP_ERROR_UV_COORD)
"""``MutableS2ShapeIndex::kCellPadding``."""


def _face_xyz_to_uvw(face: int, p: Point) -> Point:
    x, y, z = p
    if face == 0:
        return (y, z, x)
    if face == 1:
        return (-x, z, y)
    if face == 2:
        return (-x, -y, z)
    if face == 3:
        return (-z, -y, -x)
    if face == 4:
        return (-z, x, -y)
    return (y, x, -z)


def _intersects_face(n: Point) -> bool:
    u, v, w = abs(n[0]), abs(n[1]), abs(n[2])
    return v >= w - u and u >= w - v


def _intersects_opposite_edges(n: Point) -> bool:
    u, v, w = abs(n[0]), abs(n[1]), abs(n[2])
    if abs(u - v) != w:
        return abs(u - v) >= w
    return u - w >= v if u >= v else v - w >= u


def _exit_axis(n: Point) -> int:
    if _intersects_opposite_edges(n):
        return 1 if abs(n[0]) >= abs(n[1]) else 0
    negatives = sum(math.copysign(1.0, x) < 0 for x in n)
    return 1 if negatives % 2 == 0 else 0


def _exit_point(n: Point, axis: int) -> UV:
    if axis == 0:
        u = 1.0 if n[1] > 0 else -1.0
        return (u, (-u * n[0] - n[2]) / n[1])
    v = 1.0 if n[0] < 0 else -1.0
    return ((-v * n[1] - n[2]) / n[0], v)


def _clip_destination(a: Point, b: Point, scaled_n: Point, a_tangent: Point,
                      b_tangent: Point, scale_uv: float) -> tuple[int, UV]:
    max_safe = 1 - _FACE_CLIP_ERROR_UV_COORD
    if b[2] > 0:
        uv = (b[0] / b[2], b[1] / b[2])
        if max(abs(uv[0]), abs(uv[1])) <= max_safe:
            return 0, uv
    exit_uv = _exit_point(scaled_n, _exit_axis(scaled_n))
    uv = (scale_uv * exit_uv[0], scale_uv * exit_uv[1])
    p = (uv[0], uv[1], 1.0)
    score = 0
    if _dot(_sub(p, a), a_tangent) < 0:
        score = 2
    elif _dot(_sub(p, b), b_tangent) < 0:
        score = 1
    if score > 0:
        if b[2] <= 0:
            score = 3
        else:
            uv = (b[0] / b[2], b[1] / b[2])
    return score, uv


def clip_to_padded_face(a_xyz: Point, b_xyz: Point, face: int,
                        padding: float) -> tuple[UV, UV] | None:
    """``S2::ClipToPaddedFace``: the (u, v) endpoints of the part of edge AB on the
    padded ``face``, or None if it misses the face."""
    if get_face(a_xyz) == face and get_face(b_xyz) == face:
        return _valid_face_xyz_to_uv(face, a_xyz), _valid_face_xyz_to_uv(face, b_xyz)
    n = _face_xyz_to_uvw(face, _robust_cross_prod(a_xyz, b_xyz))
    a = _face_xyz_to_uvw(face, a_xyz)
    b = _face_xyz_to_uvw(face, b_xyz)
    scale_uv = 1 + padding
    scaled_n = (scale_uv * n[0], scale_uv * n[1], n[2])
    if not _intersects_face(scaled_n):
        return None
    n = _normalize(n)
    a_tangent = _cross(n, a)
    b_tangent = _cross(b, n)
    a_score, a_uv = _clip_destination(b, a, _neg(scaled_n), b_tangent, a_tangent, scale_uv)
    b_score, b_uv = _clip_destination(a, b, scaled_n, a_tangent, b_tangent, scale_uv)
    if a_score + b_score < 3:
        return a_uv, b_uv
    return None


def _intersects_rect(a: UV, b: UV, rect: Sequence[Sequence[float]]) -> bool:
    """``S2::IntersectsRect``: whether segment AB meets the closed (u, v) rectangle."""
    if (max(a[0], b[0]) < rect[0][0] or min(a[0], b[0]) > rect[0][1]
            or max(a[1], b[1]) < rect[1][0] or min(a[1], b[1]) > rect[1][1]):
        return False
    n = (-(b[1] - a[1]), b[0] - a[0])
    i = 1 if n[0] >= 0 else 0
    j = 1 if n[1] >= 0 else 0
    hi = n[0] * (rect[0][i] - a[0]) + n[1] * (rect[1][j] - a[1])
    lo = n[0] * (rect[0][1 - i] - a[0]) + n[1] * (rect[1][1 - j] - a[1])
    return hi >= 0 and lo <= 0


def _interpolate(x: float, a: float, b: float, a1: float, b1: float) -> float:
    if abs(a - x) <= abs(b - x):
        return a1 + (b1 - a1) * (x - a) / (b - a)
    return b1 + (a1 - b1) * (x - b) / (a - b)


# --- the shape index of a polygon ---------------------------------------------------

def _face_siti_to_xyz(face: int, si: int, ti: int) -> Point:
    return face_uv_to_xyz(face, _st_to_uv(_siti_to_st(si)), _st_to_uv(_siti_to_st(ti)))


class _PaddedCell:
    """``S2PaddedCell``: a cell with (u, v) bounds widened by a padding."""

    __slots__ = ("_middle", "bound", "id", "ij_lo", "level", "orientation", "padding")

    def __init__(self, cell_id: int, padding: float) -> None:
        self.id = cell_id
        self.padding = padding
        self._middle: list[list[float]] | None = None
        if is_face(cell_id):
            limit = 1 + padding
            self.bound = [[-limit, limit], [-limit, limit]]
            self._middle = [[-padding, padding], [-padding, padding]]
            self.ij_lo = [0, 0]
            self.orientation = face_of(cell_id) & 1
            self.level = 0
        else:
            _, i, j, self.orientation = to_face_ij_orientation(cell_id)
            self.level = level(cell_id)
            bound = _ij_level_to_bound_uv(i, j, self.level)
            self.bound = [[bound[0][0] - padding, bound[0][1] + padding],
                          [bound[1][0] - padding, bound[1][1] + padding]]
            size = _size_ij(self.level)
            self.ij_lo = [i & -size, j & -size]

    def child(self, i: int, j: int) -> _PaddedCell:
        """The child in the (i, j) quadrant."""
        out = _PaddedCell.__new__(_PaddedCell)
        out.padding = self.padding
        out.level = self.level + 1
        out._middle = None
        pos = _IJ_TO_POS[self.orientation][2 * i + j]
        out.id = child_begin(self.id) + pos * (lsb(self.id) >> 1)
        size = _size_ij(out.level)
        out.ij_lo = [self.ij_lo[0] + i * size, self.ij_lo[1] + j * size]
        out.orientation = self.orientation ^ _POS_TO_ORIENTATION[pos]
        middle = self.middle()
        out.bound = [list(self.bound[0]), list(self.bound[1])]
        out.bound[0][1 - i] = middle[0][1 - i]
        out.bound[1][1 - j] = middle[1][1 - j]
        return out

    def middle(self) -> list[list[float]]:
        """The (u, v) rectangle shared by all four padded children."""
        if self._middle is None:
            size = _size_ij(self.level)
            u = _st_to_uv(_siti_to_st(2 * self.ij_lo[0] + size))
            v = _st_to_uv(_siti_to_st(2 * self.ij_lo[1] + size))
            self._middle = [[u - self.padding, u + self.padding],
                            [v - self.padding, v + self.padding]]
        return self._middle

    def child_ij(self, pos: int) -> tuple[int, int]:
        """The (i, j) quadrant of the child at Hilbert position ``pos``."""
        ij = _POS_TO_IJ[self.orientation][pos]
        return ij >> 1, ij & 1

    def center(self) -> Point:
        """The cell's center (unit vector)."""
        size = _size_ij(self.level)
        return _normalize(_face_siti_to_xyz(face_of(self.id), 2 * self.ij_lo[0] + size,
                                            2 * self.ij_lo[1] + size))

    def entry_vertex(self) -> Point:
        """Where the Hilbert curve enters the cell."""
        i, j = self.ij_lo
        if self.orientation & _INVERT:
            size = _size_ij(self.level)
            i += size
            j += size
        return _normalize(_face_siti_to_xyz(face_of(self.id), 2 * i, 2 * j))

    def exit_vertex(self) -> Point:
        """Where the Hilbert curve leaves the cell."""
        i, j = self.ij_lo
        size = _size_ij(self.level)
        if self.orientation == 0 or self.orientation == _SWAP + _INVERT:
            i += size
        else:
            j += size
        return _normalize(_face_siti_to_xyz(face_of(self.id), 2 * i, 2 * j))

    def shrink_to_fit(self, rect: Sequence[Sequence[float]]) -> int:
        """The smallest descendant cell whose padded bound contains ``rect``."""
        size = _size_ij(self.level)
        if self.level == 0:
            if rect[0][0] <= 0 <= rect[0][1] or rect[1][0] <= 0 <= rect[1][1]:
                return self.id
        else:
            u = _st_to_uv(_siti_to_st(2 * self.ij_lo[0] + size))
            v = _st_to_uv(_siti_to_st(2 * self.ij_lo[1] + size))
            if rect[0][0] <= u <= rect[0][1] or rect[1][0] <= v <= rect[1][1]:
                return self.id
        margin = self.padding + 1.5 * _DBL_EPSILON
        ij_min = [0, 0]
        ij_xor = [0, 0]
        for d in range(2):
            ij_min[d] = max(self.ij_lo[d], _st_to_ij(_uv_to_st(rect[d][0] - margin)))
            ij_max = min(self.ij_lo[d] + size - 1, _st_to_ij(_uv_to_st(rect[d][1] + margin)))
            ij_xor[d] = ij_min[d] ^ ij_max
        level_msb = ((ij_xor[0] | ij_xor[1]) << 1) + 1
        lvl = MAX_LEVEL - (level_msb.bit_length() - 1)
        if lvl <= self.level:
            return self.id
        return parent(from_face_ij(face_of(self.id), ij_min[0], ij_min[1]), lvl)


class _FaceEdge:
    __slots__ = ("a", "b", "edge_id", "max_level", "v0", "v1")

    def __init__(self, edge_id: int, v0: Point, v1: Point, a: UV, b: UV,
                 max_level: int) -> None:
        self.edge_id, self.v0, self.v1, self.a, self.b = edge_id, v0, v1, a, b
        self.max_level = max_level


class _ClippedEdge:
    __slots__ = ("bound", "face_edge")

    def __init__(self, face_edge: _FaceEdge, bound: list[list[float]]) -> None:
        self.face_edge = face_edge
        self.bound = bound


def _clip_bound(edge: _ClippedEdge, axis: int, end: int, value: float) -> _ClippedEdge:
    """S2's ``ClipUBound`` (axis 0) or ``ClipVBound`` (axis 1): the edge with its bound
    on that axis clipped to value at end (0 low, 1 high), and its bound on the other
    axis clipped where the edge meets value."""
    if end == 0:
        if edge.bound[axis][0] >= value:
            return edge
    elif edge.bound[axis][1] <= value:
        return edge
    e, other = edge.face_edge, 1 - axis
    x = max(edge.bound[other][0], min(edge.bound[other][1],
                                      _interpolate(value, e.a[axis], e.b[axis],
                                                   e.a[other], e.b[other])))
    other_end = end ^ int((e.a[0] > e.b[0]) != (e.a[1] > e.b[1]))
    bound = [list(edge.bound[0]), list(edge.bound[1])]
    bound[axis][end] = value
    bound[other][other_end] = x
    return _ClippedEdge(edge.face_edge, bound)


def _clip_v_axis(edge: _ClippedEdge, middle: Sequence[float],
                 child_edges: list[list[_ClippedEdge]]) -> None:
    if edge.bound[1][1] <= middle[0]:
        child_edges[0].append(edge)
    elif edge.bound[1][0] >= middle[1]:
        child_edges[1].append(edge)
    else:
        child_edges[0].append(_clip_bound(edge, 1, 1, middle[1]))
        child_edges[1].append(_clip_bound(edge, 1, 0, middle[0]))


_MAX_EDGES_PER_CELL = 10
_MIN_SHORT_EDGE_FRACTION = 0.2


class _IndexCell:
    __slots__ = ("contains_center", "edges")

    def __init__(self, edges: list[int], contains_center: bool) -> None:
        self.edges = edges
        self.contains_center = contains_center


class ShapeIndex:
    """``MutableS2ShapeIndex`` holding one polygon shape (its edges and whether
    ``ORIGIN`` lies inside), built as the library builds it in one batch."""

    def __init__(self, edges: list[tuple[Point, Point]], contains_origin: bool) -> None:
        self.edges = edges
        self.contains_origin = contains_origin
        self.cells: dict[int, _IndexCell] = {}
        self.ids: list[int] = []
        # the interior tracker: the segment last drawn (a to b), whether b is inside
        # the polygon, and the first leaf after the last index cell with edges
        self._b: Point = _normalize(face_uv_to_xyz(0, -1.0, -1.0))
        self._a: Point = self._b
        self._inside: bool = self._brute_contains(self._b)
        self._next_cellid: int = range_min(from_face(0))
        self._build()

    # interior tracking: the set of shapes containing the focus is {0} or {}
    def _brute_contains(self, p: Point) -> bool:
        if p == ORIGIN:
            return self.contains_origin
        inside = self.contains_origin
        for v0, v1 in self.edges:
            inside ^= edge_or_vertex_crossing(ORIGIN, p, v0, v1)
        return inside

    def _draw_to(self, b: Point) -> None:
        self._a, self._b = self._b, b

    def _test_edges(self, edges: list[_ClippedEdge]) -> None:
        for edge in edges:
            fe = edge.face_edge
            if edge_or_vertex_crossing(self._a, self._b, fe.v0, fe.v1):
                self._inside = not self._inside

    def _build(self) -> None:
        all_edges: list[list[_FaceEdge]] = [[] for _ in range(6)]
        for edge_id, (v0, v1) in enumerate(self.edges):
            max_level = level_for_max_value(_AVG_EDGE_DERIV, math.sqrt(_norm2(_sub(v0, v1))))
            face = get_face(v0)
            if face == get_face(v1):
                a = _valid_face_xyz_to_uv(face, v0)
                b = _valid_face_xyz_to_uv(face, v1)
                max_uv = 1 - CELL_PADDING
                if abs(a[0]) <= max_uv and abs(a[1]) <= max_uv and abs(b[0]) <= max_uv \
                        and abs(b[1]) <= max_uv:
                    all_edges[face].append(_FaceEdge(edge_id, v0, v1, a, b, max_level))
                    continue
            for face in range(6):
                clipped = clip_to_padded_face(v0, v1, face, CELL_PADDING)
                if clipped is not None:
                    all_edges[face].append(_FaceEdge(edge_id, v0, v1, clipped[0], clipped[1],
                                                     max_level))
        for face in range(6):
            self._update_face_edges(face, all_edges[face])
        self.ids = sorted(self.cells)

    def _update_face_edges(self, face: int, face_edges: list[_FaceEdge]) -> None:
        if not face_edges and not self._inside:
            return
        clipped_edges = []
        bound: list[list[float]] | None = None
        for fe in face_edges:
            eb = [[min(fe.a[0], fe.b[0]), max(fe.a[0], fe.b[0])],
                  [min(fe.a[1], fe.b[1]), max(fe.a[1], fe.b[1])]]
            clipped_edges.append(_ClippedEdge(fe, eb))
            if bound is None:
                bound = [list(eb[0]), list(eb[1])]
            else:
                for d in range(2):
                    bound[d][0] = min(bound[d][0], eb[d][0])
                    bound[d][1] = max(bound[d][1], eb[d][1])
        face_id = from_face(face)
        pcell = _PaddedCell(face_id, CELL_PADDING)
        if bound is not None:
            shrunk = pcell.shrink_to_fit(bound)
            if shrunk != pcell.id:
                self._skip_cell_range(range_min(face_id), range_min(shrunk))
                self._update_edges(_PaddedCell(shrunk, CELL_PADDING), clipped_edges)
                self._skip_cell_range(next_cell(range_max(shrunk)),
                                      next_cell(range_max(face_id)))
                return
        self._update_edges(pcell, clipped_edges)

    def _skip_cell_range(self, begin: int, end: int) -> None:
        if not self._inside:
            return
        for cell in cells_from_begin_end(begin, end):
            self._update_edges(_PaddedCell(cell, CELL_PADDING), [])

    def _make_index_cell(self, pcell: _PaddedCell, edges: list[_ClippedEdge]) -> bool:
        if not edges and not self._inside:
            return True
        if len(edges) > _MAX_EDGES_PER_CELL:
            max_short = max(_MAX_EDGES_PER_CELL,
                            int(_MIN_SHORT_EDGE_FRACTION * (len(edges) + int(self._inside))))
            count = 0
            for edge in edges:
                count += pcell.level < edge.face_edge.max_level
                if count > max_short:
                    return False
        if edges:
            if range_min(pcell.id) != self._next_cellid:
                self._b = pcell.entry_vertex()
            self._draw_to(pcell.center())
            self._test_edges(edges)
        self.cells[pcell.id] = _IndexCell([e.face_edge.edge_id for e in edges], self._inside)
        if edges:
            self._draw_to(pcell.exit_vertex())
            self._test_edges(edges)
            self._next_cellid = range_min(next_cell(pcell.id))
        return True

    def _update_edges(self, pcell: _PaddedCell, edges: list[_ClippedEdge]) -> None:
        if self._make_index_cell(pcell, edges):
            return
        child_edges: list[list[list[_ClippedEdge]]] = [[[], []], [[], []]]
        middle = pcell.middle()
        for edge in edges:
            if edge.bound[0][1] <= middle[0][0]:
                _clip_v_axis(edge, middle[1], child_edges[0])
            elif edge.bound[0][0] >= middle[0][1]:
                _clip_v_axis(edge, middle[1], child_edges[1])
            elif edge.bound[1][1] <= middle[1][0]:
                child_edges[0][0].append(_clip_bound(edge, 0, 1, middle[0][1]))
                child_edges[1][0].append(_clip_bound(edge, 0, 0, middle[0][0]))
            elif edge.bound[1][0] >= middle[1][1]:
                child_edges[0][1].append(_clip_bound(edge, 0, 1, middle[0][1]))
                child_edges[1][1].append(_clip_bound(edge, 0, 0, middle[0][0]))
            else:
                left = _clip_bound(edge, 0, 1, middle[0][1])
                _clip_v_axis(left, middle[1], child_edges[0])
                right = _clip_bound(edge, 0, 0, middle[0][0])
                _clip_v_axis(right, middle[1], child_edges[1])
        for pos in range(4):
            i, j = pcell.child_ij(pos)
            if child_edges[i][j] or self._inside:
                self._update_edges(pcell.child(i, j), child_edges[i][j])

    # --- queries --------------------------------------------------------------------

    def _seek(self, target: int) -> int:
        """Index (into ``ids``) of the first index cell with id >= target."""
        lo, hi = 0, len(self.ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.ids[mid] < target:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def locate_cell(self, target: int) -> tuple[str, int]:
        """``Locate(S2CellId)``: INDEXED (with the index cell's position), SUBDIVIDED
        or DISJOINT."""
        pos = self._seek(range_min(target))
        if pos < len(self.ids):
            found = self.ids[pos]
            if found >= target and range_min(found) <= target:
                return "INDEXED", pos
            if found <= range_max(target):
                return "SUBDIVIDED", pos
        if pos > 0 and range_max(self.ids[pos - 1]) >= target:
            return "INDEXED", pos - 1
        return "DISJOINT", pos

    def locate_point(self, p: Point) -> int | None:
        """Position of the index cell containing ``p``, or None."""
        target = cell_id_from_point(p)
        pos = self._seek(target)
        if pos < len(self.ids) and range_min(self.ids[pos]) <= target:
            return pos
        if pos > 0 and range_max(self.ids[pos - 1]) >= target:
            return pos - 1
        return None

    def _shape_contains(self, cell_id: int, cell: _IndexCell, p: Point) -> bool:
        inside = cell.contains_center
        if cell.edges:
            center = to_point(cell_id)
            for edge_id in cell.edges:
                v0, v1 = self.edges[edge_id]
                crossing = crossing_sign(center, p, v0, v1)
                if crossing < 0:
                    continue
                if crossing == 0:
                    crossing = int(_vertex_crossing(center, p, v0, v1))
                if crossing:
                    inside = not inside
        return inside

    def contains_point(self, p: Point) -> bool:
        """Whether the polygon contains ``p`` (semi-open boundary)."""
        pos = self.locate_point(p)
        if pos is None:
            return False
        cell_id = self.ids[pos]
        return self._shape_contains(cell_id, self.cells[cell_id], p)

    def _any_edge_intersects(self, cell: _IndexCell, target: Cell) -> bool:
        max_error = _FACE_CLIP_ERROR_UV_COORD + _INTERSECTS_RECT_ERROR_UV_DIST
        bound = [[target.uv[0][0] - max_error, target.uv[0][1] + max_error],
                 [target.uv[1][0] - max_error, target.uv[1][1] + max_error]]
        for edge_id in cell.edges:
            v0, v1 = self.edges[edge_id]
            clipped = clip_to_padded_face(v0, v1, target.face, max_error)
            if clipped is not None and _intersects_rect(clipped[0], clipped[1], bound):
                return True
        return False

    def contains_cell(self, target: Cell) -> bool:
        """``S2ShapeIndexRegion::Contains(S2Cell)``."""
        relation, pos = self.locate_cell(target.id)
        if relation != "INDEXED":
            return False
        cell_id = self.ids[pos]
        cell = self.cells[cell_id]
        if cell_id == target.id:
            return not cell.edges and cell.contains_center
        return (not self._any_edge_intersects(cell, target)
                and self._shape_contains(cell_id, cell, target.center()))

    def may_intersect(self, target: Cell) -> bool:
        """``S2ShapeIndexRegion::MayIntersect(S2Cell)``."""
        relation, pos = self.locate_cell(target.id)
        if relation == "DISJOINT":
            return False
        if relation == "SUBDIVIDED":
            return True
        cell_id = self.ids[pos]
        if cell_id == target.id:
            return True
        cell = self.cells[cell_id]
        return (self._any_edge_intersects(cell, target)
                or self._shape_contains(cell_id, cell, target.center()))

    def cell_union_bound(self) -> list[int]:
        """``S2ShapeIndexRegion::GetCellUnionBound``."""
        ids = self.ids
        if not ids:
            return []
        out: list[int] = []
        last_index_id = ids[-1]
        pos = 0
        if ids[0] != last_index_id:
            lvl = common_ancestor_level(ids[0], last_index_id) + 1
            last_id = parent(last_index_id, lvl)
            cell = parent(ids[pos], lvl)
            while cell != last_id:
                if range_max(cell) < ids[pos]:
                    cell = next_cell(cell)
                    continue
                first = ids[pos]
                pos = self._seek(next_cell(range_max(cell))) - 1
                _cover_range(first, ids[pos], out)
                pos += 1
                cell = next_cell(cell)
        _cover_range(ids[pos], last_index_id, out)
        return out


def _cover_range(first: int, last: int, out: list[int]) -> None:
    if first == last:
        out.append(first)
    else:
        out.append(parent(first, common_ancestor_level(first, last)))


# --- loops and polygons -------------------------------------------------------------

def _angle(a: Point, b: Point) -> float:
    return math.atan2(math.sqrt(_norm2(_cross(a, b))), _dot(a, b))


def _curvature(vertices: Sequence[Point]) -> float:
    """The loop's total turning (2*pi minus its area); negative if clockwise."""
    n = len(vertices)
    total = 0.0
    for i in range(n):
        a, b, c = vertices[i - 1], vertices[i], vertices[(i + 1) % n]
        turn = _angle(_robust_cross_prod(a, b), _robust_cross_prod(b, c))
        total += turn if sign(a, b, c) > 0 else -turn
    return total


class Loop:
    """``S2Loop`` built from distinct vertices (the closing one dropped) and
    normalized to enclose at most half the sphere, as the server's GeoJSON parser does."""

    def __init__(self, vertices: Sequence[Point]) -> None:
        self.vertices = list(vertices)
        self.origin_inside = self._compute_origin_inside()
        if _curvature(self.vertices) < -11.25 * _DBL_EPSILON * len(self.vertices):
            self.vertices.reverse()
            self.origin_inside = not self.origin_inside

    def _compute_origin_inside(self) -> bool:
        v = self.vertices
        if len(v) < 3:
            return False
        v1_inside = (v[0] != v[1] and v[2] != v[1]
                     and not _ordered_ccw(_ortho(v[1]), v[2], v[0], v[1]))
        return v1_inside != self._brute_contains(v[1], False)

    def _brute_contains(self, p: Point, origin_inside: bool) -> bool:
        v = self.vertices
        inside = origin_inside
        for i in range(1, len(v) + 1):
            inside ^= edge_or_vertex_crossing(ORIGIN, p, v[i - 1], v[i % len(v)])
        return inside

    def contains_point(self, p: Point) -> bool:
        """Brute-force containment (semi-open boundary)."""
        return self._brute_contains(p, self.origin_inside)

    def edges(self) -> list[tuple[Point, Point]]:
        """The edges, each vertex to the next."""
        v = self.vertices
        return [(v[i], v[(i + 1) % len(v)]) for i in range(len(v))]


class Polygon:
    """``S2Polygon`` of loops (a point is inside when an odd number of loops hold it),
    answering the coverer through its shape index as the library does."""

    def __init__(self, loops: Sequence[Loop]) -> None:
        self.loops = list(loops)
        edges: list[tuple[Point, Point]] = []
        contains_origin = False
        for loop in self.loops:
            edges.extend(loop.edges())
            contains_origin ^= loop.origin_inside
        self.index = ShapeIndex(edges, contains_origin)

    @classmethod
    def from_lnglat(cls, rings: Sequence[Sequence[Sequence[float]]]) -> Polygon:
        """A polygon from GeoJSON rings of [lng, lat] positions (closed)."""
        loops = []
        for ring in rings:
            points: list[Point] = [point_from_degrees(float(p[0]), float(p[1])) for p in ring]
            deduped = [points[0]]
            for point in points[1:]:
                if point != deduped[-1]:
                    deduped.append(point)
            if len(deduped) < 4 or deduped[0] != deduped[-1]:
                raise ValueError("a loop needs at least 4 positions, first and last equal")
            loops.append(Loop(deduped[:-1]))
        return cls(loops)

    def contains_point(self, p: Point) -> bool:
        """Whether ``p`` lies in the polygon."""
        return self.index.contains_point(p)

    def may_intersect(self, cell: Cell) -> bool:
        """See ``ShapeIndex.may_intersect``."""
        return self.index.may_intersect(cell)

    def contains_cell(self, cell: Cell) -> bool:
        """See ``ShapeIndex.contains_cell``."""
        return self.index.contains_cell(cell)

    def cell_union_bound(self) -> list[int]:
        """See ``ShapeIndex.cell_union_bound``."""
        return self.index.cell_union_bound()
