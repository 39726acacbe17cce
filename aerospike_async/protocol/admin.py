"""Security administration messages (proto type 2), sans-IO.

A request is the 8-byte proto header, a 16-byte admin header (byte 2 = command,
byte 3 = field count, the rest zero) and the fields: ``u32 size`` (data length
plus one), ``u8 field id``, data. Strings go without a terminator; a role list
is a count byte then each role as a length byte and its bytes; a privilege list
is a count byte then per privilege its code byte and, for data privileges
(code >= PRIV_READ), the namespace and set as length-prefixed strings; a
whitelist is the addresses joined with commas; quotas are big-endian u32.

A reply is one or more type-2 messages, each holding one or more admin blocks
(the 16-byte header, byte 1 = result code, byte 3 = field count, then fields).
Queries end with a block whose result code is QUERY_END (50).
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Any

from .framing import MSG_ADMIN, encode_proto

# commands
AUTHENTICATE = 0
CREATE_USER = 1
DROP_USER = 2
SET_PASSWORD = 3
CHANGE_PASSWORD = 4
GRANT_ROLES = 5
REVOKE_ROLES = 6
QUERY_USERS = 9
CREATE_ROLE = 10
DROP_ROLE = 11
GRANT_PRIVILEGES = 12
REVOKE_PRIVILEGES = 13
SET_WHITELIST = 14
SET_QUOTAS = 15
QUERY_ROLES = 16
LOGIN = 20

# field ids
USER = 0
PASSWORD = 1
OLD_PASSWORD = 2
CREDENTIAL = 3
CLEAR_PASSWORD = 4
SESSION_TOKEN = 5
SESSION_TTL = 6
ROLES = 10
ROLE = 11
PRIVILEGES = 12
WHITELIST = 13
READ_QUOTA = 14
WRITE_QUOTA = 15
READ_INFO = 16
WRITE_INFO = 17
CONNECTIONS = 18

HEADER_SIZE = 16
RESULT_QUERY_END = 50
PRIV_DATA_FIRST = 10
"""Privilege codes from here on (read, read-write, ...) carry a namespace and set."""

_U32 = struct.Struct(">I")
_FIELD = struct.Struct(">IB")


def _text(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def field(field_id: int, data: bytes) -> bytes:
    """One admin field."""
    return _FIELD.pack(len(data) + 1, field_id) + data


def _short_string(value: str | bytes) -> bytes:
    data = _text(value)
    if len(data) > 255:
        raise ValueError("admin string longer than 255 bytes")
    return bytes((len(data),)) + data


def roles_data(roles: Sequence[str]) -> bytes:
    """A role list: count, then length-prefixed names."""
    return bytes((len(roles) & 0xFF,)) + b"".join(_short_string(r) for r in roles)


def privileges_data(privileges: Sequence[tuple[int, str, str]]) -> bytes:
    """A privilege list of ``(code, namespace, set)``; namespace and set only go with
    data privileges. ValueError for a global privilege given a namespace or set."""
    out = bytearray((len(privileges) & 0xFF,))
    for code, ns, set_name in privileges:
        out.append(code & 0xFF)
        if code >= PRIV_DATA_FIRST:
            out += _short_string(ns) + _short_string(set_name)
        elif ns or set_name:
            raise ValueError("Admin privilege has namespace/set scope which is invalid.")
    return bytes(out)


def admin_block(result_code: int, command: int, fields: Sequence[bytes] = ()) -> bytes:
    """One admin block: the 16-byte header (result code, command, field count), then the
    fields. A request is one block with result code 0; a reply, one or more."""
    return (bytes((0, result_code, command, len(fields))) + bytes(HEADER_SIZE - 4)
            + b"".join(fields))


def encode_admin(command: int, fields: Sequence[bytes] = ()) -> bytes:
    """A whole admin request message."""
    return encode_proto(MSG_ADMIN, admin_block(0, command, fields))


# -- requests -----------------------------------------------------------------------------
def create_user(user: str, password_hash: str, roles: Sequence[str]) -> bytes:
    return encode_admin(CREATE_USER, [field(USER, _text(user)),
                                      field(PASSWORD, _text(password_hash)),
                                      field(ROLES, roles_data(roles))])


def drop_user(user: str) -> bytes:
    return encode_admin(DROP_USER, [field(USER, _text(user))])


def set_password(user: str, password_hash: str) -> bytes:
    return encode_admin(SET_PASSWORD, [field(USER, _text(user)),
                                       field(PASSWORD, _text(password_hash))])


def change_password(user: str, old_hash: str, password_hash: str) -> bytes:
    return encode_admin(CHANGE_PASSWORD, [field(USER, _text(user)),
                                          field(OLD_PASSWORD, _text(old_hash)),
                                          field(PASSWORD, _text(password_hash))])


def grant_roles(user: str, roles: Sequence[str]) -> bytes:
    return encode_admin(GRANT_ROLES, [field(USER, _text(user)), field(ROLES, roles_data(roles))])


def revoke_roles(user: str, roles: Sequence[str]) -> bytes:
    return encode_admin(REVOKE_ROLES, [field(USER, _text(user)),
                                       field(ROLES, roles_data(roles))])


def query_users(user: str | None = None) -> bytes:
    return encode_admin(QUERY_USERS, [field(USER, _text(user))] if user is not None else [])


def create_role(role: str, privileges: Sequence[tuple[int, str, str]] = (),
                whitelist: Sequence[str] = (), read_quota: int = 0,
                write_quota: int = 0) -> bytes:
    """CREATE_ROLE with the optional parts present only when non-empty / positive."""
    fields = [field(ROLE, _text(role))]
    if privileges:
        fields.append(field(PRIVILEGES, privileges_data(privileges)))
    if whitelist:
        fields.append(field(WHITELIST, _text(",".join(whitelist))))
    if read_quota > 0:
        fields.append(field(READ_QUOTA, _U32.pack(read_quota & 0xFFFFFFFF)))
    if write_quota > 0:
        fields.append(field(WRITE_QUOTA, _U32.pack(write_quota & 0xFFFFFFFF)))
    return encode_admin(CREATE_ROLE, fields)


def drop_role(role: str) -> bytes:
    return encode_admin(DROP_ROLE, [field(ROLE, _text(role))])


def grant_privileges(role: str, privileges: Sequence[tuple[int, str, str]]) -> bytes:
    return encode_admin(GRANT_PRIVILEGES, [field(ROLE, _text(role)),
                                           field(PRIVILEGES, privileges_data(privileges))])


def revoke_privileges(role: str, privileges: Sequence[tuple[int, str, str]]) -> bytes:
    return encode_admin(REVOKE_PRIVILEGES, [field(ROLE, _text(role)),
                                            field(PRIVILEGES, privileges_data(privileges))])


def set_whitelist(role: str, whitelist: Sequence[str]) -> bytes:
    fields = [field(ROLE, _text(role))]
    if whitelist:
        fields.append(field(WHITELIST, _text(",".join(whitelist))))
    return encode_admin(SET_WHITELIST, fields)


def set_quotas(role: str, read_quota: int, write_quota: int) -> bytes:
    return encode_admin(SET_QUOTAS, [field(ROLE, _text(role)),
                                     field(READ_QUOTA, _U32.pack(read_quota & 0xFFFFFFFF)),
                                     field(WRITE_QUOTA, _U32.pack(write_quota & 0xFFFFFFFF))])


def query_roles(role: str | None = None) -> bytes:
    return encode_admin(QUERY_ROLES, [field(ROLE, _text(role))] if role is not None else [])


def login(user: str | None, credential: str | None, clear_password: str | None = None
          ) -> bytes:
    """LOGIN: user and password hash (internal), plus the clear password (external
    authentication); no fields at all for PKI (``user`` None: the client certificate
    names the user)."""
    if user is None:
        return encode_admin(LOGIN)
    fields = [field(USER, _text(user)), field(CREDENTIAL, _text(credential or ""))]
    if clear_password is not None:
        fields.append(field(CLEAR_PASSWORD, _text(clear_password)))
    return encode_admin(LOGIN, fields)


def authenticate(user: str | None, token: bytes) -> bytes:
    """AUTHENTICATE a new connection with a session token from LOGIN (without the user
    under PKI)."""
    fields = [] if user is None else [field(USER, _text(user))]
    return encode_admin(AUTHENTICATE, fields + [field(SESSION_TOKEN, token)])


# -- replies ------------------------------------------------------------------------------


def iter_blocks(payload: bytes | memoryview) -> Iterable[tuple[int, int, dict[int, bytes]]]:
    """``(result_code, command, {field id: data})`` of each block of a reply payload.

    Iteration stops after a block with a non-zero result code (which ends the answer)."""
    data = bytes(payload)
    pos = 0
    end = len(data)
    while pos + HEADER_SIZE <= end:
        rc, command, n_fields = data[pos + 1], data[pos + 2], data[pos + 3]
        pos += HEADER_SIZE
        fields: dict[int, bytes] = {}
        for _ in range(n_fields):
            size, fid = _FIELD.unpack_from(data, pos)
            pos += 5
            fields[fid] = data[pos:pos + size - 1]
            pos += size - 1
        yield rc, command, fields
        if rc:
            return


def parse_login(payload: bytes | memoryview) -> tuple[int, bytes | None, int | None]:
    """``(result code, session token, session ttl in seconds)`` of a LOGIN reply; the
    token and ttl are None where the reply has none."""
    for rc, _command, fields in iter_blocks(payload):
        ttl = fields.get(SESSION_TTL)
        return (rc, fields.get(SESSION_TOKEN),
                _U32.unpack_from(ttl)[0] if ttl is not None and len(ttl) >= 4 else None)
    raise ValueError("empty admin reply")


def result_code(payload: bytes | memoryview) -> int:
    """The result code of a one-block admin reply (AUTHENTICATE and the like)."""
    if len(payload) < HEADER_SIZE:
        raise ValueError("short admin reply")
    return payload[1]


def parse_roles(data: bytes) -> list[str]:
    """The names of a role list (see roles_data)."""
    count = data[0] if data else 0
    pos = 1
    out = []
    for _ in range(count):
        n = data[pos]
        out.append(data[pos + 1:pos + 1 + n].decode("utf-8", "replace"))
        pos += 1 + n
    return out


def _parse_info(data: bytes) -> list[int]:
    count = data[0] if data else 0
    return [_U32.unpack_from(data, 1 + 4 * i)[0] for i in range(count)]


def parse_user(fields: dict[int, bytes]) -> tuple[str, dict[str, Any]] | None:
    """``(name, {'roles', 'read_info', 'write_info', 'conns_in_use'})`` of a user block
    (the infos: lists of statistics, quota first, or None when the block has none),
    None for a block naming no user and no roles."""
    name = fields.get(USER, b"").decode("utf-8", "replace")
    if not name and ROLES not in fields:
        return None
    read_info = fields.get(READ_INFO)
    write_info = fields.get(WRITE_INFO)
    conns = fields.get(CONNECTIONS)
    return name, {"roles": parse_roles(fields.get(ROLES, b"")),
                  "read_info": _parse_info(read_info) if read_info is not None else None,
                  "write_info": _parse_info(write_info) if write_info is not None else None,
                  "conns_in_use": _U32.unpack_from(conns)[0] if conns else 0}


def parse_privileges(data: bytes) -> list[dict[str, Any]]:
    """The ``{'ns', 'set', 'code'}`` of each privilege of a privilege list."""
    count = data[0] if data else 0
    pos = 1
    out = []
    for _ in range(count):
        code = data[pos]
        pos += 1
        ns = set_name = ""
        if code >= PRIV_DATA_FIRST:
            n = data[pos]
            ns = data[pos + 1:pos + 1 + n].decode("utf-8", "replace")
            pos += 1 + n
            n = data[pos]
            set_name = data[pos + 1:pos + 1 + n].decode("utf-8", "replace")
            pos += 1 + n
        out.append({"ns": ns, "set": set_name, "code": code})
    return out


def parse_role(fields: dict[int, bytes]) -> tuple[str, dict[str, Any]]:
    """``(name, {'privileges', 'whitelist', 'read_quota', 'write_quota'})`` of a role block."""
    whitelist = fields.get(WHITELIST, b"").decode("utf-8", "replace")
    rq = fields.get(READ_QUOTA)
    wq = fields.get(WRITE_QUOTA)
    return fields.get(ROLE, b"").decode("utf-8", "replace"), {
        "privileges": parse_privileges(fields.get(PRIVILEGES, b"")),
        "whitelist": [a for a in whitelist.split(",") if a],
        "read_quota": _U32.unpack_from(rq)[0] if rq else 0,
        "write_quota": _U32.unpack_from(wq)[0] if wq else 0}


