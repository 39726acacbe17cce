"""Access control for the embedded server: users, logins and session tokens.

With users configured, a connection must log in (LOGIN, user and password hash) or
present a session token from an earlier login (AUTHENTICATE) before anything else: a
command before that gets NOT_AUTHENTICATED, an info request has its connection closed.
A login answers a random session token and its ttl, as the Enterprise server does.
Administering users and roles is not implemented: those commands keep answering
SECURITY_NOT_SUPPORTED.
"""
from __future__ import annotations

import secrets
import struct
import time
from typing import Callable

from ..protocol.password import hash_password
from ..protocol import admin as A
from ..protocol.framing import MSG_ADMIN, MSG_INFO, encode_proto
from .engine import Answer, reply

NOT_AUTHENTICATED = 80
INVALID_USER = 60
INVALID_CREDENTIAL = 65
EXPIRED_SESSION = 66
DEFAULT_SESSION_TTL = 86400  # seconds, the server's session-ttl default


def _admin_reply(rc: int, fields: tuple[bytes, ...] = ()) -> bytes:
    header = bytes((0, rc, 0, len(fields))) + bytes(A.HEADER_SIZE - 4)
    return encode_proto(MSG_ADMIN, header + b"".join(fields))


class Security:
    """The users of a server with security on, and the sessions their logins opened.

    ``users`` maps user names to clear passwords; ``session_ttl`` is the lifetime, in
    seconds, of the session tokens logins hand out."""

    def __init__(self, users: dict[str, str], session_ttl: int = DEFAULT_SESSION_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._hashes = {user: hash_password(password) for user, password in users.items()}
        self._passwords = dict(users)
        self.session_ttl = session_ttl
        self._clock = clock
        self._sessions: dict[bytes, tuple[str, float]] = {}
        self.logins = 0          # LOGIN commands that succeeded
        self.authentications = 0  # AUTHENTICATE commands that succeeded

    def expire_sessions(self) -> None:
        """End every session: their tokens no longer authenticate new connections."""
        self._sessions.clear()

    def gate(self, user: str | None, msg_type: int, payload: bytes
             ) -> tuple[str | None, Answer | None]:
        """For a connection logged in as ``user`` (None: not yet), receiving one message:
        ``(user from now on, the answer)``; the answer is None when the message is to be
        served as usual. An info request before login closes the connection (raises)."""
        if msg_type == MSG_ADMIN and len(payload) >= A.HEADER_SIZE:
            command = payload[2]
            if command == A.LOGIN:
                return self._login(user, payload)
            if command == A.AUTHENTICATE:
                return self._authenticate(user, payload)
        if user is not None:
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

    def _login(self, user: str | None, payload: bytes) -> tuple[str | None, Answer]:
        fields = self._fields(payload)
        name = fields.get(A.USER, b"").decode("utf-8", "replace")
        if name not in self._hashes:
            return user, _admin_reply(INVALID_USER)
        clear = fields.get(A.CLEAR_PASSWORD)
        if fields.get(A.CREDENTIAL, b"").decode() != self._hashes[name] and (
                clear is None or clear.decode("utf-8", "replace") != self._passwords[name]):
            return user, _admin_reply(INVALID_CREDENTIAL)
        token = secrets.token_bytes(32)
        self._sessions[token] = (name, self._clock() + self.session_ttl)
        self.logins += 1
        return name, _admin_reply(0, (A.field(A.SESSION_TOKEN, token),
                                      A.field(A.SESSION_TTL,
                                              struct.pack(">I", self.session_ttl))))

    def _authenticate(self, user: str | None, payload: bytes) -> tuple[str | None, Answer]:
        fields = self._fields(payload)
        session = self._sessions.get(fields.get(A.SESSION_TOKEN, b""))
        name = fields.get(A.USER, b"").decode("utf-8", "replace")
        if session is None or session[0] != name:
            return user, _admin_reply(INVALID_CREDENTIAL)
        if self._clock() >= session[1]:
            return user, _admin_reply(EXPIRED_SESSION)
        self.authentications += 1
        return name, _admin_reply(0)
