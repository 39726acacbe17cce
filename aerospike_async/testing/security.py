"""Access control for the embedded server: users, logins and session tokens.

With users configured, a connection must log in (LOGIN, user and password hash) or
present a session token from an earlier login (AUTHENTICATE) before anything else: a
command before that gets NOT_AUTHENTICATED, an info request has its connection closed.
A login answers a random session token and its ttl, as the Enterprise server does.

Users and roles are administered with the admin commands (create, drop, passwords, roles,
privileges, whitelists, quotas, queries), and what a user's roles allow is enforced: a
read needs a read privilege, a write a write privilege, a UDF read-write-udf, each global
or for the command's namespace (and set); user and role administration needs user-admin
(a user may always query itself and change its own password). Anything else a role may
restrict (sys-admin, data-admin, ... info commands, whitelists, quotas) is recorded and
reported, not enforced.
"""
from __future__ import annotations

import secrets
import struct
import time
from typing import Callable, Mapping

from .. import constants as C
from ..protocol import admin as A
from ..protocol.framing import MSG_ADMIN, MSG_AS, MSG_INFO, ProtocolError, encode_proto
from ..protocol.message import (FIELD_NAMESPACE, FIELD_SET, FIELD_UDF_FUNCTION, INFO1_READ,
                                INFO2_WRITE, parse_message)
from ..protocol.password import hash_password
from .engine import Answer, reply

INVALID_COMMAND = 54
INVALID_USER = 60
USER_EXISTS = 61
INVALID_CREDENTIAL = 65
EXPIRED_SESSION = 66
INVALID_ROLE = 70
ROLE_EXISTS = 71
INVALID_PRIVILEGE = 72
NOT_AUTHENTICATED = 80
ROLE_VIOLATION = 81
DEFAULT_SESSION_TTL = 86400  # seconds, the server's session-ttl default

# the predefined roles and the privileges they stand for
PREDEFINED_ROLES: dict[str, tuple[int, ...]] = {
    "user-admin": (C.PRIV_USER_ADMIN,), "sys-admin": (C.PRIV_SYS_ADMIN,),
    "data-admin": (C.PRIV_DATA_ADMIN,), "udf-admin": (C.PRIV_UDF_ADMIN,),
    "sindex-admin": (C.PRIV_SINDEX_ADMIN,), "read": (C.PRIV_READ,),
    "read-write": (C.PRIV_READ_WRITE,), "read-write-udf": (C.PRIV_READ_WRITE_UDF,),
    "write": (C.PRIV_WRITE,), "truncate": (C.PRIV_TRUNCATE,),
    "superuser": (C.PRIV_USER_ADMIN, C.PRIV_SYS_ADMIN, C.PRIV_DATA_ADMIN,
                  C.PRIV_READ_WRITE_UDF),
}
_READS = frozenset((C.PRIV_READ, C.PRIV_READ_WRITE, C.PRIV_READ_WRITE_UDF))
_WRITES = frozenset((C.PRIV_READ_WRITE, C.PRIV_READ_WRITE_UDF, C.PRIV_WRITE))
_UDF = frozenset((C.PRIV_READ_WRITE_UDF,))
_USER_ADMIN = frozenset((C.PRIV_USER_ADMIN,))
Privilege = tuple[int, str, str]   # (code, namespace, set): "" is any
# user name -> clear password (a superuser), or (clear password, role names)
Users = Mapping[str, "str | tuple[str, list[str]]"]


def _admin_reply(rc: int, fields: tuple[bytes, ...] = ()) -> bytes:
    return encode_proto(MSG_ADMIN, A.admin_block(rc, 0, fields))


class _Role:
    __slots__ = ("privileges", "whitelist", "read_quota", "write_quota")

    def __init__(self, privileges: list[Privilege]) -> None:
        self.privileges = privileges
        self.whitelist: list[str] = []
        self.read_quota = 0
        self.write_quota = 0


class Security:
    """The users and roles of a server with security on, and the sessions their logins
    opened.

    ``users`` maps user names to a clear password (the user is a superuser) or to
    ``(password, roles)``; ``session_ttl`` is the lifetime, in seconds, of the session
    tokens logins hand out (the server's default when None)."""

    def __init__(self, users: Users, session_ttl: int | None = None) -> None:
        self._hashes: dict[str, str] = {}
        self._passwords: dict[str, str] = {}
        self._roles_of: dict[str, list[str]] = {}
        for user, given in users.items():
            password, roles = (given, ["superuser"]) if isinstance(given, str) else given
            self._hashes[user] = hash_password(password)
            self._passwords[user] = password
            self._roles_of[user] = list(roles)
        self._roles: dict[str, _Role] = {}
        self.session_ttl = session_ttl or DEFAULT_SESSION_TTL
        self._sessions: dict[bytes, tuple[str, float]] = {}
        self.logins = 0          # LOGIN commands that succeeded
        self.authentications = 0  # AUTHENTICATE commands that succeeded

    def expire_sessions(self) -> None:
        """End every session: their tokens no longer authenticate new connections."""
        self._sessions.clear()

    def gate(self, user: str | None, msg_type: int, payload: bytes,
             certified: str | None = None) -> tuple[str | None, Answer | None]:
        """For a connection logged in as ``user`` (None: not yet), receiving one message:
        ``(user from now on, the answer)``; the answer is None when the message is to be
        served as usual. ``certified``: the common name of the client certificate the
        connection's TLS verified, which a PKI login (no user, no password) logs in as.
        An info request before login closes the connection (raises)."""
        if msg_type == MSG_ADMIN and len(payload) >= A.HEADER_SIZE:
            try:
                command = payload[2]
                if command == A.LOGIN:
                    return self._login(user, payload, certified)
                if command == A.AUTHENTICATE:
                    return self._authenticate(user, payload)
                if user is not None:
                    return user, self._administer(user, payload)
            except (IndexError, struct.error, UnicodeDecodeError):
                return user, _admin_reply(INVALID_COMMAND)   # fields that do not parse
        if user is not None:
            if msg_type == MSG_AS:
                return user, self._authorize(user, payload)
            return user, None
        if msg_type == MSG_INFO:
            raise PermissionError("info request before login")
        if msg_type == MSG_ADMIN:
            return None, _admin_reply(NOT_AUTHENTICATED)
        return None, reply(NOT_AUTHENTICATED)

    def _fields(self, payload: bytes) -> dict[int, bytes]:
        for _rc, _command, fields in A.iter_blocks(payload):
            return fields
        return {}

    def _login(self, user: str | None, payload: bytes, certified: str | None
               ) -> tuple[str | None, Answer]:
        fields = self._fields(payload)
        if A.USER not in fields:   # PKI: the verified certificate names the user
            if certified is None or certified not in self._hashes:
                return user, _admin_reply(INVALID_CREDENTIAL)
            return certified, self._open_session(certified)
        name = fields[A.USER].decode("utf-8", "replace")
        if name not in self._hashes:
            return user, _admin_reply(INVALID_USER)
        # the hash, or (external authentication) the clear password where it is known
        clear = fields.get(A.CLEAR_PASSWORD)
        known = self._passwords[name]
        if fields.get(A.CREDENTIAL, b"").decode("utf-8", "replace") != self._hashes[name] and (
                clear is None or not known or clear.decode("utf-8", "replace") != known):
            return user, _admin_reply(INVALID_CREDENTIAL)
        return name, self._open_session(name)

    def _open_session(self, name: str) -> bytes:
        """The LOGIN reply of a new session of ``name``: its token and ttl."""
        token = secrets.token_bytes(32)
        self._sessions[token] = (name, time.monotonic() + self.session_ttl)
        self.logins += 1
        return _admin_reply(0, (A.field(A.SESSION_TOKEN, token),
                                A.field(A.SESSION_TTL, struct.pack(">I", self.session_ttl))))

    def _authenticate(self, user: str | None, payload: bytes) -> tuple[str | None, Answer]:
        fields = self._fields(payload)
        session = self._sessions.get(fields.get(A.SESSION_TOKEN, b""))
        if session is None or (A.USER in fields   # PKI sessions come without the user
                               and fields[A.USER].decode("utf-8", "replace") != session[0]):
            return user, _admin_reply(INVALID_CREDENTIAL)
        if time.monotonic() >= session[1]:
            return user, _admin_reply(EXPIRED_SESSION)
        self.authentications += 1
        return session[0], _admin_reply(0)

    # -- what users may do ------------------------------------------------------------
    def _privileges(self, user: str) -> list[Privilege]:
        out: list[Privilege] = []
        for name in self._roles_of.get(user, ()):
            predefined = PREDEFINED_ROLES.get(name)
            if predefined is not None:
                out.extend((code, "", "") for code in predefined)
            elif name in self._roles:
                out.extend(self._roles[name].privileges)
        return out

    def _may(self, user: str, codes: frozenset[int], ns: str = "", set_name: str = ""
             ) -> bool:
        return any(code in codes and (not p_ns or not ns or p_ns == ns)
                   and (not p_set or not set_name or p_set == set_name)
                   for code, p_ns, p_set in self._privileges(user))

    def _authorize(self, user: str, payload: bytes) -> Answer | None:
        """None when ``user`` may run the command, else its ROLE_VIOLATION reply (a
        message that does not parse is left to the engine to answer)."""
        try:
            msg, _end = parse_message(payload)
        except ProtocolError:
            return None
        if msg.field(FIELD_UDF_FUNCTION) is not None:
            needed = _UDF
        elif msg.info2 & INFO2_WRITE:
            needed = _WRITES
        elif msg.info1 & INFO1_READ:
            needed = _READS
        else:
            return None
        ns, set_name = (msg.field(f) or b"" for f in (FIELD_NAMESPACE, FIELD_SET))
        return None if self._may(user, needed, ns.decode("utf-8", "replace"),
                                 set_name.decode("utf-8", "replace")) else reply(ROLE_VIOLATION)

    # -- administration ----------------------------------------------------------------
    def _administer(self, user: str, payload: bytes) -> Answer:
        command = payload[2]
        fields = self._fields(payload)
        target = fields.get(A.USER, b"").decode("utf-8", "replace")
        is_admin = self._may(user, _USER_ADMIN)
        own = target == user and A.USER in fields
        if command == A.CHANGE_PASSWORD and own or command == A.QUERY_USERS and own:
            pass   # a user may change its own password and see itself
        elif not is_admin:
            return _admin_reply(ROLE_VIOLATION)
        handler = self._HANDLERS.get(command)
        if handler is None:
            return _admin_reply(INVALID_COMMAND)
        try:
            return handler(self, fields)
        except (IndexError, struct.error, UnicodeDecodeError):
            return _admin_reply(INVALID_PRIVILEGE if A.PRIVILEGES in fields else
                                INVALID_COMMAND)

    def _role_exists(self, name: str) -> bool:
        return name in PREDEFINED_ROLES or name in self._roles

    def _create_user(self, f: dict[int, bytes]) -> bytes:
        name = _text(f.get(A.USER))
        if name in self._hashes:
            return _admin_reply(USER_EXISTS)
        roles = A.parse_roles(f.get(A.ROLES, b""))
        if not all(map(self._role_exists, roles)):
            return _admin_reply(INVALID_ROLE)
        self._hashes[name] = _text(f.get(A.PASSWORD))
        self._passwords[name] = ""   # only its hash came over the wire
        self._roles_of[name] = roles
        return _admin_reply(0)

    def _drop_user(self, f: dict[int, bytes]) -> bytes:
        name = _text(f.get(A.USER))
        if name not in self._hashes:
            return _admin_reply(INVALID_USER)
        del self._hashes[name], self._passwords[name], self._roles_of[name]
        for token, (owner, _expiry) in list(self._sessions.items()):
            if owner == name:
                del self._sessions[token]
        return _admin_reply(0)

    def _set_password(self, f: dict[int, bytes]) -> bytes:
        name = _text(f.get(A.USER))
        if name not in self._hashes:
            return _admin_reply(INVALID_USER)
        if A.OLD_PASSWORD in f and _text(f[A.OLD_PASSWORD]) != self._hashes[name]:
            return _admin_reply(INVALID_CREDENTIAL)
        self._hashes[name] = _text(f.get(A.PASSWORD))
        self._passwords[name] = ""
        return _admin_reply(0)

    def _change_roles(self, f: dict[int, bytes], grant: bool) -> bytes:
        name = _text(f.get(A.USER))
        if name not in self._hashes:
            return _admin_reply(INVALID_USER)
        roles = A.parse_roles(f.get(A.ROLES, b""))
        if not all(map(self._role_exists, roles)):
            return _admin_reply(INVALID_ROLE)
        have = self._roles_of[name]
        if grant:
            have.extend(r for r in roles if r not in have)
        else:
            have[:] = [r for r in have if r not in roles]
        return _admin_reply(0)

    def _query_users(self, f: dict[int, bytes]) -> bytes:
        names = [_text(f[A.USER])] if A.USER in f else sorted(self._hashes)
        if any(name not in self._hashes for name in names):
            return _admin_reply(INVALID_USER)
        blocks = [A.admin_block(0, A.QUERY_USERS, (
            A.field(A.USER, name.encode()),
            A.field(A.ROLES, A.roles_data(self._roles_of[name])),
            A.field(A.READ_INFO, _stats()), A.field(A.WRITE_INFO, _stats()),
            A.field(A.CONNECTIONS, struct.pack(">I", 0)))) for name in names]
        return _query_answer(A.QUERY_USERS, blocks)

    def _create_role(self, f: dict[int, bytes]) -> bytes:
        name = _text(f.get(A.ROLE))
        if self._role_exists(name):
            return _admin_reply(ROLE_EXISTS)
        _name, given = A.parse_role(f)
        role = _Role(_privileges(f))
        role.whitelist = given["whitelist"]
        role.read_quota, role.write_quota = given["read_quota"], given["write_quota"]
        self._roles[name] = role
        return _admin_reply(0)

    def _custom_role(self, f: dict[int, bytes]) -> _Role | None:
        return self._roles.get(_text(f.get(A.ROLE)))

    def _drop_role(self, f: dict[int, bytes]) -> bytes:
        name = _text(f.get(A.ROLE))
        if self._roles.pop(name, None) is None:
            return _admin_reply(INVALID_ROLE)
        for roles in self._roles_of.values():
            roles[:] = [r for r in roles if r != name]
        return _admin_reply(0)

    def _change_privileges(self, f: dict[int, bytes], grant: bool) -> bytes:
        role = self._custom_role(f)
        if role is None:
            return _admin_reply(INVALID_ROLE)
        privileges = _privileges(f)
        if grant:
            role.privileges.extend(p for p in privileges if p not in role.privileges)
        else:
            role.privileges[:] = [p for p in role.privileges if p not in privileges]
        return _admin_reply(0)

    def _set_whitelist(self, f: dict[int, bytes]) -> bytes:
        role = self._custom_role(f)
        if role is None:
            return _admin_reply(INVALID_ROLE)
        role.whitelist = A.parse_role(f)[1]["whitelist"]
        return _admin_reply(0)

    def _set_quotas(self, f: dict[int, bytes]) -> bytes:
        role = self._custom_role(f)
        if role is None:
            return _admin_reply(INVALID_ROLE)
        given = A.parse_role(f)[1]
        if A.READ_QUOTA in f:
            role.read_quota = given["read_quota"]
        if A.WRITE_QUOTA in f:
            role.write_quota = given["write_quota"]
        return _admin_reply(0)

    def _query_roles(self, f: dict[int, bytes]) -> bytes:
        names = ([_text(f[A.ROLE])] if A.ROLE in f
                 else sorted([*PREDEFINED_ROLES, *self._roles]))
        blocks = []
        for name in names:
            predefined = PREDEFINED_ROLES.get(name)
            role = (_Role([(code, "", "") for code in predefined]) if predefined is not None
                    else self._roles.get(name))
            if role is None:
                return _admin_reply(INVALID_ROLE)
            fields = [A.field(A.ROLE, name.encode()),
                      A.field(A.PRIVILEGES, A.privileges_data(role.privileges))]
            if role.whitelist:
                fields.append(A.field(A.WHITELIST, ",".join(role.whitelist).encode()))
            if role.read_quota:
                fields.append(A.field(A.READ_QUOTA, struct.pack(">I", role.read_quota)))
            if role.write_quota:
                fields.append(A.field(A.WRITE_QUOTA, struct.pack(">I", role.write_quota)))
            blocks.append(A.admin_block(0, A.QUERY_ROLES, fields))
        return _query_answer(A.QUERY_ROLES, blocks)

    _HANDLERS: dict[int, Callable[[Security, dict[int, bytes]], bytes]] = {
        A.CREATE_USER: _create_user,
        A.DROP_USER: _drop_user,
        A.SET_PASSWORD: _set_password,
        A.CHANGE_PASSWORD: _set_password,
        A.GRANT_ROLES: lambda self, f: self._change_roles(f, True),
        A.REVOKE_ROLES: lambda self, f: self._change_roles(f, False),
        A.QUERY_USERS: _query_users,
        A.CREATE_ROLE: _create_role,
        A.DROP_ROLE: _drop_role,
        A.GRANT_PRIVILEGES: lambda self, f: self._change_privileges(f, True),
        A.REVOKE_PRIVILEGES: lambda self, f: self._change_privileges(f, False),
        A.SET_WHITELIST: _set_whitelist,
        A.SET_QUOTAS: _set_quotas,
        A.QUERY_ROLES: _query_roles,
    }


def _query_answer(command: int, blocks: list[bytes]) -> bytes:
    """A query's reply: its blocks, then the block that ends it."""
    return encode_proto(MSG_ADMIN, b"".join(blocks) + A.admin_block(A.RESULT_QUERY_END,
                                                                      command))


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8")


def _stats() -> bytes:
    """A user's read or write statistics: quota, tps, rps, limitless scans (none here)."""
    return bytes((4,)) + bytes(16)


def _privileges(fields: dict[int, bytes]) -> list[Privilege]:
    """The privileges of an admin command's fields, as (code, namespace, set)."""
    return [(p["code"], p["ns"], p["set"])
            for p in A.parse_privileges(fields.get(A.PRIVILEGES, b""))]
