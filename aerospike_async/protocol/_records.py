"""Shared pieces of the one-pass batch and scan/query reply decoders.

``read_bins`` decodes the operations of one record into a bins dict, the common
particles (string, integer, blob, float) inline; ``read_pairs`` into (name, value) pairs
in arrival order; ``cached_name`` turns name bytes
(bin, namespace and set names) into ``str`` through one bounded cache.
Both are written for the hot loops: what they use is bound as default arguments, so
it is read as fast locals on every call.

The rest serves loops compiled per record layout. The records of a scan or a batch
mostly share their fields and their bins' names and types, so a loop written for one
layout reads a record's header and what lies at constant offsets with one struct
(``Head``), checks the remaining constant bytes with one ``startswith`` per run and
decodes each value with one expression, instead of parsing the record field by field:
``op_shape`` and ``key_layout`` describe a record's layout, ``ops_source``,
``bins_source`` and ``loop_source`` write the source that decodes it, ``Loops`` compiles
and keeps the loops and decides when one is worth compiling. Only ints and fixed names
reach the source; every value taken from a reply is bound as a constant.
"""
from __future__ import annotations

import struct
from typing import Any, Callable

from .particles import decode_particle, hooks

_OP3 = struct.Struct(">IxBxB")       # op size, particle type, name length
_OP5 = struct.Struct(">IBBBB")       # op size, op, particle type, flags, name length
_I64 = struct.Struct(">q")
_F64 = struct.Struct(">d")
_U32 = struct.Struct(">I")
_KEY_HEAD = struct.Struct(">IxB")   # a key field's size and particle type

_names: dict[bytes, str] = {}
_NAMES_MAX = 10000


def cached_name(raw: bytes, _names: dict[bytes, str] = _names) -> str:
    """``raw`` decoded as UTF-8, remembered while the cache holds fewer than 10,000 names."""
    s = raw.decode("utf-8")
    if len(_names) < _NAMES_MAX:
        _names[raw] = s
    return s


def read_bins(data: bytes, pos: int, n_ops: int, end: int, bins: dict[str, Any],
              _ohead: Any = _OP3.unpack_from, _i64: Any = _I64.unpack_from,
              _f64: Any = _F64.unpack_from, _names_get: Any = _names.get,
              _name: Any = cached_name, _decode: Any = decode_particle,
              _hooks: Any = hooks) -> int:
    """Decode the ``n_ops`` operations at ``pos`` of ``data`` into ``bins`` (a later
    value of the same name wins); returns the offset after the last one.

    Raises ValueError when an operation runs past ``end`` or its name past the
    operation, struct.error/UnicodeDecodeError on other malformed bytes.
    """
    while n_ops:   # cheaper than a range() per record for the usual few bins
        n_ops -= 1
        size, ptype, name_len = _ohead(data, pos)
        name_end = pos + 8 + name_len
        stop = pos + 4 + size
        if stop > end or name_end > stop:
            raise ValueError("operation runs past the message")
        raw = data[pos + 8:name_end]
        name = _names_get(raw) or _name(raw)   # (a cached "" is falsy: decoded again)
        if ptype == 3:
            bins[name] = data[name_end:stop].decode("utf-8", "surrogateescape")
        elif ptype == 1 and stop - name_end == 8:
            bins[name] = _i64(data, name_end)[0]
        elif ptype == 4:
            bins[name] = _decode(4, data[name_end:stop]) if _hooks.on else data[name_end:stop]
        elif ptype == 2 and stop - name_end == 8:
            bins[name] = _f64(data, name_end)[0]
        else:
            bins[name] = _decode(ptype, data[name_end:stop])
        pos = stop
    return pos


#: one value of a compiled layout: particle type, whether the value has a fixed size (an
#: 8-byte integer or float), the constant bytes before the value (from its size word when
#: fixed, else from after it) and the bin name, or None for the record's user key
Layout = tuple[int, bool, bytes, "bytes | None"]


#: records with more operations are decoded one by one (their loop would nest too deep)
MAX_COMPILED_OPS = 64


def op_shape(data: bytes, pos: int, n_ops: int, end: int) -> tuple[Layout, ...] | None:
    """The layout of the ``n_ops`` operations at ``pos`` (see Layout), as ``ops_source``
    takes it. None when an operation is malformed, or there are more than
    MAX_COMPILED_OPS."""
    if n_ops > MAX_COMPILED_OPS:
        return None
    shape = []
    for _ in range(n_ops):
        size, ptype, name_len = _OP3.unpack_from(data, pos)
        name_end = pos + 8 + name_len
        stop = pos + 4 + size
        if stop > end or name_end > stop:
            return None
        name = data[pos + 8:name_end]
        if (ptype == 1 or ptype == 2) and stop - name_end == 8:
            shape.append((ptype, True, data[pos:name_end], name))
        else:
            shape.append((ptype, False, data[pos + 4:name_end], name))
        pos = stop
    return tuple(shape)


def key_layout(data: bytes, pos: int) -> Layout | None:
    """The layout of the user key field at ``pos`` (an integer, string or bytes key), else
    None."""
    size, ptype = _KEY_HEAD.unpack_from(data, pos)
    if ptype == 1 and size == 10:
        return (1, True, data[pos:pos + 6], None)
    if ptype == 3 or ptype == 4:
        return (ptype, False, data[pos + 4:pos + 6], None)
    return None


class Head:
    """What a compiled loop reads of each record with one struct, from the record's start
    ``pos``: header words, then the constant bytes and the values that lie at constant
    offsets, up to the size word and constant bytes of the first value of variable size.

    ``read`` adds a value, ``expect`` constant bytes (read as one bytes object, compared
    with the constant bound as ``_<name>``). One ``unpack_from`` and a few bytes compares
    cost far less than a ``startswith`` call per run of constant bytes and an unpack per
    value. A record too short for the struct (the last of a cut reply, say) leaves the
    loop, and is decoded field by field.
    """

    def __init__(self) -> None:
        self._format = ">"
        self._size = 0
        self.names: list[str] = []
        self.consts: dict[str, bytes] = {}
        self.open = True   # ops_source reads values through it until one of variable size

    def read(self, offset: int, code: str, name: str) -> None:
        """Read ``name`` as struct ``code`` at ``offset``, at or after what is read already."""
        if offset < self._size:
            raise ValueError(f"{name} at {offset} overlaps what is read before it")
        self._format += f"{offset - self._size}x{code}" if offset > self._size else code
        self._size = offset + struct.calcsize(">" + code)
        self.names.append(name)

    def expect(self, offset: int, name: str, constant: bytes) -> str:
        """Read ``len(constant)`` bytes at ``offset`` as ``name``; returns the condition
        that they are ``constant``."""
        self.read(offset, f"{len(constant)}s", name)
        self.consts[f"_{name}"] = constant
        return f"{name} == _{name}"

    def unpacker(self) -> Callable[[bytes, int], tuple]:
        """The struct's ``unpack_from``: what it reads, in the order of ``names``."""
        return struct.Struct(self._format).unpack_from


def record_head(lead: bytes, *words: str) -> tuple[Head, str]:
    """A Head for records whose first six bytes are ``lead`` (header size, info bits,
    result code), reading after them the header's 4-byte ``words`` (generation, void
    time, ...); and the condition that a record's six bytes are ``lead``."""
    head = Head()
    stays = head.expect(0, "lead", lead)
    for i, name in enumerate(words):
        head.read(6 + 4 * i, "I", name)
    return head, stays


def position(base: str, offset: int) -> str:
    """Source of the offset ``offset`` bytes after the variable ``base``."""
    return f"{base} + {offset}" if offset else base


def ops_source(values: tuple[Layout, ...], bail: str | None, base: str, offset: int = 0,
               prefix: bytes = b"", first: int = 0, head: Head | None = None,
               checks: tuple[str, ...] = ()
               ) -> tuple[list[str], dict[str, Any], str, tuple[str, int], int]:
    """Source lines decoding values laid out as ``values`` (see Layout) at ``base +
    offset`` of ``data`` (``base`` a variable, ``offset`` a constant), after the constant
    bytes ``prefix``, into ``v<first>``, ``v<first + 1>``...; ``bail`` is the statement
    run when the bytes do not match, or None to nest what follows each check under it.
    ``checks`` are conditions checked along with the first.

    With an open ``head`` (``base`` then is the record's start), the values up to the
    first of variable size, its size word and their constant bytes are read by the head's
    struct, and all their conditions checked at once. The rest are checked with one
    ``startswith`` per run of constant bytes: offsets are constants from one
    variable-size value to the next, and adjacent constant bytes (the prefix, a
    fixed-size value's header) are checked at once.

    Returns the lines, the constants they name (bind them as fast locals, with
    ``bound_helpers()``), the source of the bins dict display, the offset after the last
    value (base and constant) and how deep the last lines are nested. Names and constant
    bytes are bound, never written into source."""
    lines: list[str] = []
    consts: dict[str, Any] = {}
    items = []
    pending = prefix   # constant bytes expected at the current offset, not yet checked
    conditions = list(checks)   # not yet checked
    depth = 0

    def at(extra: int) -> str:
        return position(base, offset + extra)

    def emit(*new: str) -> None:
        lines.extend("    " * depth + line for line in new)

    def check(*also: str) -> None:
        nonlocal depth
        condition = " and ".join((*conditions, *also))
        conditions.clear()
        if bail is None:
            emit(f"if {condition}:")
            depth += 1
        else:
            emit(f"if not ({condition}): {bail}")

    def expect(name: str, constant: bytes) -> None:   # constant bytes at the offset
        if head is not None and head.open:
            conditions.append(head.expect(offset, name, constant))
        else:
            consts[f"_{name}"] = constant
            check(f"startswith(_{name}, {at(0)})")

    for i, (ptype, fixed, head_bytes, name) in enumerate(values, first):
        if fixed:
            expect(f"k{i}", pending + head_bytes)
            offset += len(pending) + len(head_bytes)
            if head is not None and head.open:
                head.read(offset, "q" if ptype == 1 else "d", f"v{i}")
            else:
                emit(f"v{i} = {'_i64' if ptype == 1 else '_f64'}(data, {at(0)})[0]")
            offset += 8
        else:
            if pending:
                expect(f"b{i}", pending)
                offset += len(pending)
            value = at(4 + len(head_bytes))
            if head is not None and head.open:
                head.read(offset, "I", f"n{i}")
                conditions.append(head.expect(offset + 4, f"k{i}", head_bytes))
                head.open = False
                emit(f"q{i} = {at(4)} + n{i}")
                check(f"{value} <= q{i} <= end")
            else:
                consts[f"_k{i}"] = head_bytes
                emit(f"q{i} = {at(4)} + _u32(data, {at(0)})[0]")
                check(f"{value} <= q{i} <= end", f"startswith(_k{i}, {at(4)})")
            raw = f"data[{value}:q{i}]"
            if name is None:   # the user key, decoded as a key field is
                emit(f'v{i} = str({raw}, "utf-8")' if ptype == 3 else f"v{i} = bytearray({raw})")
            elif ptype == 3:   # strict first: the default arguments take a faster path
                emit("try:", f"    v{i} = {raw}.decode()", "except UnicodeDecodeError:",
                     f'    v{i} = {raw}.decode("utf-8", "surrogateescape")')
            elif ptype == 4:
                emit(f"v{i} = _decode(4, {raw}) if _hooks.on else {raw}")
            else:
                emit(f"v{i} = _decode({int(ptype)}, {raw})")
            base, offset = f"q{i}", 0
        pending = b""
        if name is not None:
            consts[f"_n{i}"] = cached_name(name)
            items.append(f"_n{i}: v{i}")
    if pending:
        expect(f"k{first}_end", pending)
        offset += len(pending)
    if conditions:
        check()
    return lines, consts, "{" + ", ".join(items) + "}", (base, offset), depth


#: the ttl the API reports, as loop source: from the record's ``void`` time against ``now``
#: (``_never``: the ttl of a record that never expires)
TTL_SOURCE = "void - now if void > now else (_never if void == 0 else 1)"


def loop_source(head: Head, stays: str, body: list[str], stop: str,
                setup: tuple[str, ...] = (), cleanup: tuple[str, ...] = ()
                ) -> tuple[list[str], dict[str, Any]]:
    """The lines of a loop over the records at ``pos`` up to ``stop``, and the constants
    they name: each record is read by ``head`` first; one for which ``stays`` (a condition
    on what the head read) is false, or too short for the head, ends the loop at its
    offset; any other goes through ``body``, which ends the loop there too or leaves
    ``pos`` after the record. A last record that ran past ``end`` (a cut reply) raises
    ValueError. ``setup`` lines run before the loop, ``cleanup`` lines however it ends."""
    loop = [f"while pos < {stop}:",
            "    try:",
            f"        {', '.join(head.names)} = _head(data, pos)",
            "    except _error:",
            "        return pos",
            f"    if not ({stays}):",
            "        return pos",
            *("    " + line for line in body),
            "if pos > end:",
            '    raise ValueError("record runs past the message")',
            "return pos"]
    if cleanup:
        loop = ["try:", *("    " + line for line in loop),
                "finally:", *("    " + line for line in cleanup)]
    return [*setup, *loop], {**head.consts, "_head": head.unpacker(), "_error": struct.error}


def bins_source(shape: tuple[Layout, ...], at: tuple[str, int, bytes], first: int,
                fallback: list[str], ops_at: str, finish: Callable[[str, str], list[str]],
                head: Head | None = None, checks: tuple[str, ...] = ()
                ) -> tuple[list[str], dict[str, Any]]:
    """Source lines, in a loop over records, ending a record whose operations are laid
    out as ``shape`` (see ops_source, with ``at`` its base, offset and prefix, ``first``
    its first value's number, ``head`` the loop's head, ``checks`` what else such a
    record meets) with ``finish(bins, end)`` lines and ``continue``. Any other record
    falls through to ``fallback`` lines, which give up on it unless its bins can be
    decoded one by one, and read its field and operation counts (header bytes 18..22) as
    ``counts``; it is finished with its bins decoded one by one from ``ops_at``: a record
    with another bin or a bin of another type (an optional bin, say) still goes through
    the compiled loop."""
    ops, consts, bins, after, depth = ops_source(shape, None, *at, first, head, checks)
    assert depth, "a record must be checked before it is finished"
    inner = "    " * depth
    return [*ops,
            *(inner + line for line in finish(bins, position(*after))),
            inner + "continue",
            *fallback,
            "bins = {}",
            f"p = _read_bins(data, {ops_at}, counts & 0xFFFF, end, bins)",
            *finish("bins", "p")], consts


class Loops:
    """Decoding loops compiled per record layout, and when to compile one.

    A compile costs about as much as decoding a few hundred records field by field. So a
    layout gets a loop only when its family (see ``find``) comes again within the last
    ``RECENT`` records decoded field by field, and compiles are paid for with records
    decoded (``earn``): a compile spends ``COMPILE_COST`` of them, and at most four
    compiles' worth is saved up. Records of ever new families thus cost about what they
    did without loops: after ``MISSES`` lookups in a row found no loop, only one such
    record in ``LOOK_EVERY`` is looked up. At most ``size`` loops are kept (all dropped
    when full). Event loops in several threads may share one Loops: what it keeps is
    only ever added, popped or cleared whole, each one step under the GIL.
    """

    COMPILE_COST = 1000
    RECENT = 8
    MISSES = 8
    LOOK_EVERY = 16

    def __init__(self, name: str, size: int = 256) -> None:
        self._name = f"<{name}>"
        self._size = size
        self._loops: dict[tuple, Any] = {}
        self._recent: dict[tuple, None] = {}   # recent families without a loop
        self._credit = 4 * self.COMPILE_COST
        self._misses = 0
        self._skip = 0

    def earn(self, records: int) -> None:
        """Count ``records`` decoded towards the next compiles."""
        self._credit = min(self._credit + records, 4 * self.COMPILE_COST)

    def wanted(self) -> bool:
        """Called for each record decoded field by field: whether to look up (``find``)
        a loop for its layout."""
        if self._skip:
            self._skip -= 1
            return False
        return True

    def find(self, layout: tuple, family: tuple,
             build: Callable[[], tuple[str, list[str], dict[str, Any]]]) -> Any:
        """The loop for ``layout``: kept, or compiled now from ``build()`` (the signature,
        body lines and bound names of the loop); None when not (yet) worth it. ``family``
        is the part of the layout a loop needs its records to share (their fields: one
        reads records of other bins too, one by one): what has to come again."""
        loop = self._loops.get(layout)
        if loop is None:
            recent = self._recent
            if family in recent and self._credit >= self.COMPILE_COST:
                recent.pop(family, None)
                self._credit -= self.COMPILE_COST
                loop = self._compile(layout, *build())
            else:
                if len(recent) >= self.RECENT:
                    recent.clear()
                recent[family] = None
        if loop is None:
            self._misses += 1
            if self._misses >= self.MISSES:
                self._skip = self.LOOK_EVERY - 1
        else:
            self._misses = 0
        return loop

    def _compile(self, layout: tuple, signature: str, lines: list[str],
                 bound: dict[str, Any]) -> Any:
        # def loop(signature, ...) with body ``lines``, the names of ``bound`` as defaulted
        # parameters (read as fast locals)
        params = ", ".join(f"{name}={name}" for name in bound)
        source = (f"def loop({signature}, {params}):\n"
                  + "".join(f"    {line}\n" for line in lines))
        namespace = dict(bound)
        exec(compile(source, self._name, "exec"), namespace)
        if len(self._loops) >= self._size:
            self._loops.clear()
        loop = self._loops[layout] = namespace["loop"]
        return loop

    def __len__(self) -> int:
        return len(self._loops)


def bound_helpers() -> dict[str, Any]:
    """What ``ops_source`` lines call, by the names they use."""
    return {"_i64": _I64.unpack_from, "_f64": _F64.unpack_from, "_u32": _U32.unpack_from,
            "_decode": decode_particle, "_hooks": hooks, "_read_bins": read_bins}


def read_pairs(data: Any, pos: int, n_ops: int, end: int) -> tuple[list[tuple[str, Any]], int]:
    """The ``n_ops`` operations at ``pos`` of ``data`` (bytes or memoryview) as (name, value)
    pairs in arrival order, and the offset after the last one. Raises ValueError when an
    operation runs past ``end`` or its name past the operation."""
    pairs: list[tuple[str, Any]] = []
    head = _OP5.unpack_from
    for _ in range(n_ops):
        size, _op, ptype, _flags, name_len = head(data, pos)
        name_end = pos + 8 + name_len
        stop = pos + 4 + size
        if stop > end or name_end > stop:
            raise ValueError("operation runs past the message")
        pairs.append((str(data[pos + 8:name_end], "utf-8"),
                      decode_particle(ptype, data[name_end:stop])))
        pos = stop
    return pairs, pos
