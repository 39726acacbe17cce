"""The AS_MSG message (proto type 3): header, fields and operations."""
from __future__ import annotations

import struct

from .framing import MSG_AS, ProtocolError, proto_word

# info1
INFO1_READ = 1 << 0
INFO1_GET_ALL = 1 << 1
INFO1_SHORT_QUERY = 1 << 2
INFO1_BATCH = 1 << 3
INFO1_XDR = 1 << 4
INFO1_NOBINDATA = 1 << 5
INFO1_READ_MODE_AP_ALL = 1 << 6
INFO1_COMPRESS_RESPONSE = 1 << 7
# info2
INFO2_WRITE = 1 << 0
INFO2_DELETE = 1 << 1
INFO2_GENERATION = 1 << 2
INFO2_GENERATION_GT = 1 << 3
INFO2_DURABLE_DELETE = 1 << 4
INFO2_CREATE_ONLY = 1 << 5
INFO2_RELAX_AP_LONG_QUERY = 1 << 6
INFO2_RESPOND_ALL_OPS = 1 << 7
# info3
INFO3_LAST = 1 << 0
INFO3_COMMIT_MASTER = 1 << 1
INFO3_PARTITION_DONE = 1 << 2
INFO3_UPDATE_ONLY = 1 << 3
INFO3_CREATE_OR_REPLACE = 1 << 4
INFO3_REPLACE_ONLY = 1 << 5
INFO3_SC_READ_TYPE = 1 << 6
INFO3_SC_READ_RELAX = 1 << 7
INFO4_MRT_ON_LOCKING_ONLY = 1 << 4   # the write runs only if its transaction has not locked the record

# field types
FIELD_NAMESPACE = 0
FIELD_SET = 1
FIELD_KEY = 2
FIELD_RECORD_VERSION = 3
FIELD_DIGEST = 4
FIELD_MRT_ID = 5
FIELD_MRT_DEADLINE = 6
FIELD_TASK_ID = 7
FIELD_SOCKET_TIMEOUT = 9
FIELD_RECORDS_PER_SECOND = 10
FIELD_PID_ARRAY = 11
FIELD_DIGEST_ARRAY = 12
FIELD_MAX_RECORDS = 13
FIELD_BVAL_ARRAY = 15
FIELD_INDEX_NAME = 21
FIELD_INDEX_RANGE = 22
FIELD_INDEX_CONTEXT = 23
FIELD_INDEX_EXPRESSION = 24
FIELD_INDEX_TYPE = 26
FIELD_UDF_PACKAGE_NAME = 30
FIELD_UDF_FUNCTION = 31
FIELD_UDF_ARGLIST = 32
FIELD_UDF_OP = 33
FIELD_QUERY_BINLIST = 40
FIELD_BATCH_INDEX = 41
FIELD_BATCH_INDEX_WITH_SET = 42
FIELD_FILTER_EXP = 43

# wire operation codes
OP_READ = 1
OP_WRITE = 2
OP_CDT_READ = 3
OP_CDT_MODIFY = 4
OP_INCR = 5
OP_EXP_READ = 7
OP_EXP_MODIFY = 8
OP_APPEND = 9
OP_PREPEND = 10
OP_TOUCH = 11
OP_BIT_READ = 12
OP_BIT_MODIFY = 13
OP_DELETE = 14
OP_HLL_READ = 15
OP_HLL_MODIFY = 16

MSG_HEADER_SIZE = 22
MSG_HEADER = struct.Struct(">BBBBBBIIIHH")
_HEADER_WITH_PROTO = struct.Struct(">QBBBBBBIIIHH")
_U32 = struct.Struct(">I")
_FIELD_HEADER = struct.Struct(">IB")
_OP_HEADER = struct.Struct(">IBBBB")


class Op:
    """One operation of a message: wire op code, particle type, bin name, value bytes."""

    __slots__ = ("op", "particle_type", "name", "value")

    def __init__(self, op: int, particle_type: int, name: str, value: bytes) -> None:
        self.op = op
        self.particle_type = particle_type
        self.name = name
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Op) and (
            self.op, self.particle_type, self.name, self.value
        ) == (other.op, other.particle_type, other.name, other.value)

    def __repr__(self) -> str:
        return f"Op({self.op}, {self.particle_type}, {self.name!r}, {self.value!r})"


class Message:
    """A decoded AS_MSG: header fields, (type, data) fields and operations."""

    __slots__ = ("info1", "info2", "info3", "info4", "result_code", "generation",
                 "expiration", "timeout", "fields", "ops")

    def __init__(self, info1: int = 0, info2: int = 0, info3: int = 0, info4: int = 0,
                 result_code: int = 0, generation: int = 0, expiration: int = 0,
                 timeout: int = 0, fields: list[tuple[int, bytes]] | None = None,
                 ops: list[Op] | None = None) -> None:
        self.info1 = info1
        self.info2 = info2
        self.info3 = info3
        self.info4 = info4
        self.result_code = result_code
        self.generation = generation
        self.expiration = expiration
        self.timeout = timeout
        self.fields = fields if fields is not None else []
        self.ops = ops if ops is not None else []

    def field(self, ftype: int) -> bytes | None:
        """Data of the first field of type ``ftype``, or None."""
        for t, data in self.fields:
            if t == ftype:
                return data
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and all(
            getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __repr__(self) -> str:
        head = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"Message({head})"


def parse_message(payload: bytes | memoryview, offset: int = 0) -> tuple[Message, int]:
    """Decode the AS_MSG at ``offset`` of a type-3 payload; returns it and the next offset."""
    try:
        (hsize, info1, info2, info3, info4, rc, gen, exp, timeout, n_fields,
         n_ops) = MSG_HEADER.unpack_from(payload, offset)
    except struct.error:
        raise ProtocolError("truncated message header") from None
    if hsize != MSG_HEADER_SIZE:
        raise ProtocolError(f"unexpected message header size {hsize}")
    pos = offset + MSG_HEADER_SIZE
    end = len(payload)
    fields = []
    for _ in range(n_fields):
        if pos + 5 > end:
            raise ProtocolError("truncated field")
        size, ftype = _FIELD_HEADER.unpack_from(payload, pos)
        stop = pos + 4 + size
        if size < 1 or stop > end:
            raise ProtocolError("bad field size")
        fields.append((ftype, bytes(payload[pos + 5:stop])))
        pos = stop
    ops = []
    for _ in range(n_ops):
        if pos + 8 > end:
            raise ProtocolError("truncated operation")
        size, op, ptype, _flags, name_len = _OP_HEADER.unpack_from(payload, pos)
        stop = pos + 4 + size
        if size < 4 + name_len or stop > end:
            raise ProtocolError("bad operation size")
        name_end = pos + 8 + name_len
        name = bytes(payload[pos + 8:name_end]).decode("utf-8", "surrogateescape")
        ops.append(Op(op, ptype, name, bytes(payload[name_end:stop])))
        pos = stop
    return Message(info1, info2, info3, info4, rc, gen, exp, timeout, fields, ops), pos


def parse_messages(payload: bytes | memoryview) -> list[Message]:
    """Every AS_MSG packed one after another in a type-3 payload (batch, scan, query)."""
    out = []
    offset = 0
    end = len(payload)
    while offset < end:
        msg, offset = parse_message(payload, offset)
        out.append(msg)
    return out


def encode_message(msg: Message) -> bytes:
    """A whole type-3 proto message for ``msg``."""
    return encode_parts(msg.info1, msg.info2, msg.info3, msg.info4, msg.result_code,
                        msg.generation, msg.expiration, msg.timeout,
                        [field_bytes(t, d) for t, d in msg.fields],
                        [op_bytes(o.op, o.particle_type, name_bytes(o.name),
                                  o.value) for o in msg.ops])


def field_bytes(ftype: int, data: bytes) -> bytes:
    """One encoded field."""
    return _FIELD_HEADER.pack(len(data) + 1, ftype) + data


def c_string(data: bytearray) -> bytes:
    """A name given as a bytearray, read as the official client reads it, as a C string:
    its bytes up to the first NUL."""
    return bytes(data).split(b"\0", 1)[0]


def name_bytes(name: str) -> bytes:
    """The wire bytes of a bin name, the inverse of how parse_message decodes it."""
    return name.encode("utf-8", "surrogateescape")


def op_bytes(op: int, ptype: int, name: bytes, value: bytes) -> bytes:
    """One encoded operation."""
    return _OP_HEADER.pack(len(name) + len(value) + 4, op, ptype, 0, len(name)) + name + value


def encode_parts(info1: int, info2: int, info3: int, info4: int, result_code: int,
                 generation: int, expiration: int, timeout: int,
                 fields: list[bytes], ops: list[bytes]) -> bytes:
    """A whole type-3 message from pre-encoded fields and operations."""
    body = b"".join(fields) + b"".join(ops)
    size = MSG_HEADER_SIZE + len(body)
    return _HEADER_WITH_PROTO.pack(
        proto_word(MSG_AS, size), MSG_HEADER_SIZE, info1, info2, info3, info4,
        result_code, generation, expiration, timeout, len(fields), len(ops)) + body


__all__ = [name for name in dir() if name.isupper() or name in (
    "Op", "Message", "parse_message", "parse_messages", "encode_message", "field_bytes",
    "op_bytes", "encode_parts")]
