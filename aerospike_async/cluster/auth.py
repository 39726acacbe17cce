"""Logging in to the nodes of a cluster with security on (Aerospike Enterprise).

The tender logs in to each node on the node's tend connection (LOGIN: user and bcrypt
hash of the password) and keeps the session token the node answers; every other new
connection to the node presents that token (AUTHENTICATE). A session is renewed by a new
login 60 seconds before its ttl runs out, and whenever presenting it failed, as the C
client does. A server without security (answering SECURITY_NOT_ENABLED) needs no login.
"""
from __future__ import annotations

import time
from typing import Any

from .. import constants as C
from ..protocol.password import hash_password
from ..exceptions import ParamError
from ..protocol import admin as A
from ..protocol.framing import MSG_ADMIN
from .connection import ConnectionClosed

SECURITY_NOT_ENABLED = 52
_EARLY = 60.0  # seconds before its ttl that a session is renewed
_CLIENT_ERROR = -1


class LoginFailed(ConnectionClosed):
    """A node refused a login or a session token: ``code`` is the server's result code
    (or -1 when the reply made no sense)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class Credentials:
    """Who the client logs in as, and how (``auth_mode``): the user and the password's
    hash, plus the clear password for external authentication; neither under PKI, where
    the client certificate names the user."""

    __slots__ = ("user", "external", "password_hash", "clear_password", "login_timeout")

    def __init__(self, user: str | None, password: str | None, mode: int,
                 login_timeout: float, tls: bool) -> None:
        if mode not in (C.AUTH_INTERNAL, C.AUTH_EXTERNAL, C.AUTH_EXTERNAL_INSECURE,
                        C.AUTH_PKI):
            raise ParamError(-2, f"Invalid auth_mode: {mode!r}", None, None, False)
        if mode == C.AUTH_EXTERNAL and not tls:
            raise ParamError(-2, "auth_mode AUTH_EXTERNAL sends the clear password: it "
                                 "requires TLS", None, None, False)
        if mode == C.AUTH_PKI:
            if not tls:
                raise ParamError(-2, "auth_mode AUTH_PKI requires TLS and a client "
                                     "certificate", None, None, False)
            user = password = None
        elif not isinstance(user, str) or not isinstance(password, str):
            raise ParamError(-2, "user and password must be strings", None, None, False)
        self.user = user
        self.external = mode in (C.AUTH_EXTERNAL, C.AUTH_EXTERNAL_INSECURE)
        self.password_hash: str | None = None
        self.clear_password: str | None = None
        if password is not None:
            self.change_password(password)
        self.login_timeout = login_timeout

    def login_request(self) -> bytes:
        return A.login(self.user, self.password_hash, self.clear_password)

    def change_password(self, password: str) -> None:
        """Log in with ``password`` from now on."""
        self.password_hash = hash_password(password)
        self.clear_password = password if self.external else None

    @classmethod
    def from_config(cls, user: Any, password: Any, policies: Any, tls: bool
                    ) -> Credentials | None:
        """The credentials a client config (``user``, ``password``, and ``auth_mode`` and
        ``login_timeout_ms`` in ``policies``) asks for; None when it logs in as nobody."""
        policies = policies if isinstance(policies, dict) else {}
        mode = policies.get("auth_mode", C.AUTH_INTERNAL)
        if mode != C.AUTH_PKI and not user:
            return None
        timeout_ms = policies.get("login_timeout_ms", 5000)
        if not isinstance(timeout_ms, int) or isinstance(timeout_ms, bool) or timeout_ms < 0:
            raise ParamError(-2, "login_timeout_ms must be a non-negative int", None, None,
                             False)
        return cls(user, password if password is not None else "", mode,
                   (timeout_ms or 5000) / 1000.0, tls)


class Session:
    """A node's session token, who it is of, and when to renew it (monotonic seconds; 0:
    no ttl)."""

    __slots__ = ("token", "user", "renew_at")

    def __init__(self, token: bytes, user: str | None, ttl: int | None) -> None:
        self.token = token
        self.user = user
        self.renew_at = time.monotonic() + ttl - _EARLY if ttl and ttl > _EARLY else 0.0

    def authenticate_request(self) -> bytes:
        return A.authenticate(self.user, self.token)

    def due(self) -> bool:
        return bool(self.renew_at) and time.monotonic() >= self.renew_at


async def _admin_reply(conn: Any, request: bytes, timeout: float | None) -> bytes:
    mtype, payload = await conn.request(request, timeout)
    if mtype != MSG_ADMIN:
        raise LoginFailed(_CLIENT_ERROR, f"unexpected reply type {mtype} to a login")
    return bytes(payload)


async def login(conn: Any, creds: Credentials) -> Session | None:
    """Log in on ``conn``: the session the node opened, or None when the node has no
    security. Raises LoginFailed when the node refuses."""
    payload = await _admin_reply(conn, creds.login_request(), creds.login_timeout)
    try:
        rc, token, ttl = A.parse_login(payload)
    except (ValueError, IndexError) as exc:
        raise LoginFailed(_CLIENT_ERROR, f"malformed login reply: {exc}") from None
    if rc == SECURITY_NOT_ENABLED:
        return None
    if rc:
        raise LoginFailed(rc, "login refused")
    if not token:
        raise LoginFailed(_CLIENT_ERROR, "Failed to retrieve session token")
    return Session(token, creds.user, ttl)


async def authenticate(conn: Any, session: Session, timeout: float | None) -> None:
    """Present ``session`` on a new connection. Raises LoginFailed when refused."""
    payload = await _admin_reply(conn, session.authenticate_request(), timeout)
    try:
        rc = A.result_code(payload)
    except ValueError as exc:
        raise LoginFailed(_CLIENT_ERROR, f"malformed authenticate reply: {exc}") from None
    if rc and rc != SECURITY_NOT_ENABLED:
        raise LoginFailed(rc, "session token refused")
