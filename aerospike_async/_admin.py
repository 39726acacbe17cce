"""User and role administration (``admin_*`` methods), mixed into ``Client``.

Arguments are checked as the official Python client checks them, before
anything is sent; each command then goes to one node of the cluster as an
admin message (``protocol/admin.py``) and the node's result code decides:
0 is success (the call returns 0, or the queried data), anything else raises
the documented exception for that code with the code's name as message
(a server without security answers SECURITY_NOT_SUPPORTED, 51).
"""
from __future__ import annotations

import time
from typing import Any

from .protocol.password import hash_password
from .cluster.cluster import ClusterSettings
from .cluster.connection import ConnectionClosed, SocketTimeout
from .exceptions import (
    AerospikeError,
    ClientError,
    ConnectionError,
    ParamError,
    TimeoutError,
    exception_for,
    result_code_name,
)
from .protocol import admin as A
from .protocol.framing import MSG_ADMIN, ProtocolError
from .policy import PolicySet

_DEFAULT_TIMEOUT_MS = 1000
_USER_SIZE = 64      # AS_USER_SIZE: names up to 63 bytes
_PASSWORD_SIZE = 64  # AS_PASSWORD_SIZE
_ROLE_SIZE = 64      # AS_ROLE_SIZE
_IP_SIZE = 64        # AS_IP_ADDRESS_SIZE


def _param(msg: str) -> ParamError:
    return ParamError(-2, msg, None, None, False)


def _client_error(msg: str) -> ClientError:
    return ClientError(-1, msg, None, None, False)


def _server_error(code: int) -> AerospikeError:
    return exception_for(code, result_code_name(code))


def _check_str_list(values: list, max_len: int) -> list[str]:
    """pyobject_to_strArray: every item a str shorter than ``max_len`` bytes."""
    out = []
    for v in values:
        if not isinstance(v, str):
            raise _client_error("Unable to convert unicode object to C string")
        if len(v.encode("utf-8")) >= max_len:
            raise _client_error("String exceeds max length")
        out.append(v)
    return out


def _check_privileges(privileges: Any) -> list[tuple[int, str, str]]:
    if not isinstance(privileges, list):
        raise _param("Privileges should be a list")
    out = []
    for p in privileges:
        if not isinstance(p, dict):
            continue  # the official client leaves such entries as zeroed privileges
        if "code" not in p:
            raise _param("Code is a compulsory parameter in privileges dictionary")
        code = p["code"]
        if not isinstance(code, int) or isinstance(code, bool):
            raise _param("Privilege code should be an int")
        ns = p.get("ns", "")
        set_name = p.get("set", "")
        if not isinstance(ns, str) or not isinstance(set_name, str):
            raise _param("Privilege ns and set should be strings")
        out.append((code, ns, set_name))
    return out


def _quota(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _param(f"{name} should be an integer")
    if not -(1 << 31) <= value < (1 << 31):
        raise _param(f"integer value for {name} exceeds sys.maxsize")
    return value


class AdminMixin:
    """The documented ``admin_*`` coroutines of ``Client``."""

    config: dict[str, Any]
    _settings: ClusterSettings
    _policies: PolicySet

    # -- plumbing ------------------------------------------------------------------------
    def _admin_timeout(self, policy: Any) -> float:
        if policy is not None and not isinstance(policy, dict):
            raise _param("policy must be a dict")
        timeout = None
        if policy:
            self._policies.check("admin", policy)
            timeout = policy.get("timeout")
        if timeout is None:
            configured = (self.config.get("policies") or {}).get("admin") or {}
            timeout = configured.get("timeout", _DEFAULT_TIMEOUT_MS) if isinstance(
                configured, dict) else _DEFAULT_TIMEOUT_MS
        if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 0:
            raise _param("policy key 'timeout' must be a non-negative int")
        return (timeout or 60000) / 1000.0  # 0: the C client's one-minute default

    async def _admin_exchange(self, request: bytes, timeout: float, single: bool
                              ) -> list[tuple[int, int, dict[int, bytes]]]:
        """Send an admin request to a random node and read its reply: one message when
        ``single``, else messages until a block carries a non-zero result code (QUERY_END
        or an error). Raises for connection failures; returns the blocks (the last one
        holds the final result code)."""
        node = self.cluster.random_node()  # type: ignore[attr-defined]
        deadline = time.monotonic() + timeout
        pool = node.pool
        try:
            conn = pool.take() or await pool.acquire(timeout)
        except (ConnectionClosed, SocketTimeout, OSError) as exc:
            raise ConnectionError(ConnectionError.code, f"{node.address} {exc}", None, None,
                                  False) from None
        blocks: list[tuple[int, int, dict[int, bytes]]] = []
        clean = False
        try:
            conn.start_stream(request)
            while True:
                mtype, payload = await conn.next_message(max(deadline - time.monotonic(),
                                                             0.001))
                if mtype != MSG_ADMIN:
                    raise ProtocolError(f"unexpected message type {mtype}")
                got = list(A.iter_blocks(payload))
                blocks += got
                if single and got or got and got[-1][0]:
                    break
            clean = True
        except SocketTimeout:
            raise TimeoutError(9, "Client timeout", None, None, False) from None
        except (ConnectionClosed, ProtocolError, OSError) as exc:
            raise ConnectionError(ConnectionError.code, f"{node.address} {exc}", None, None,
                                  False) from None
        finally:
            conn.end_stream()
            if clean:
                pool.release(conn)
            else:
                pool.discard(conn)
        return blocks

    async def _admin_command(self, request: bytes, policy: Any) -> int:
        """A command answered by one block: 0 or the exception for its result code."""
        timeout = self._admin_timeout(policy)
        blocks = await self._admin_exchange(request, timeout, True)
        rc = blocks[-1][0]
        if rc:
            raise _server_error(rc)
        return 0

    async def _admin_query(self, request: bytes, policy: Any
                           ) -> list[dict[int, bytes]]:
        """A query answered by blocks up to QUERY_END: the fields of each record block."""
        timeout = self._admin_timeout(policy)
        blocks = await self._admin_exchange(request, timeout, False)
        rc = blocks[-1][0]
        if rc and rc != A.RESULT_QUERY_END:
            raise _server_error(rc)
        return [fields for code, _cmd, fields in blocks if code == 0]

    def _check_connected(self) -> None:
        """ClientError when the client is not connected (as every other method)."""
        _ = self.cluster  # type: ignore[attr-defined]

    # -- users ---------------------------------------------------------------------------
    async def admin_create_user(self, user: str, password: str, roles: list[str],
                                policy: dict | None = None) -> int:
        """Create a user with a password and roles. Returns 0."""
        self._check_connected()
        if not isinstance(roles, list):
            raise _param("Roles should be a list")
        roles = _check_str_list(roles, _ROLE_SIZE)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        if not isinstance(password, str):
            raise _param("Password should be a string")
        self._admin_timeout(policy)
        if len(user.encode()) >= _USER_SIZE:
            raise _client_error(f"Max user length {_USER_SIZE - 1} exceeded: {len(user)}")
        if len(password.encode()) >= _PASSWORD_SIZE:
            raise _client_error(f"Max password length {_PASSWORD_SIZE - 1} exceeded: "
                                f"{len(password)}")
        return await self._admin_command(A.create_user(user, hash_password(password), roles),
                                         policy)

    async def admin_create_pki_user(self, user: str, roles: list[str],
                                    policy: dict | None = None) -> int:
        """Create a user that authenticates with a TLS certificate only (server 8.1+).
        Returns 0."""
        self._check_connected()
        if not isinstance(roles, list):
            raise _param("Roles should be a list")
        roles = _check_str_list(roles, _ROLE_SIZE)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        self._admin_timeout(policy)
        if len(user.encode()) >= _USER_SIZE:
            raise _client_error(f"Max user length {_USER_SIZE - 1} exceeded: {len(user)}")
        # "nopassword" is the server's keyword for: no password login for this user
        return await self._admin_command(
            A.create_user(user, hash_password("nopassword"), roles), policy)

    async def admin_drop_user(self, user: str, policy: dict | None = None) -> int:
        """Remove a user. Returns 0."""
        self._check_connected()
        self._admin_timeout(policy)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        return await self._admin_command(A.drop_user(user), policy)

    def _check_user_password(self, user: Any, password: Any, policy: Any) -> None:
        self._check_connected()
        self._admin_timeout(policy)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        if not isinstance(password, str):
            raise _param("Password should be a string")
        if len(user.encode()) >= _USER_SIZE:
            raise _client_error(f"Max user length {_USER_SIZE - 1} exceeded: {len(user)}")
        if len(password.encode()) >= _PASSWORD_SIZE:
            raise _client_error(f"Max password length {_PASSWORD_SIZE - 1} exceeded: "
                                f"{len(password)}")

    async def admin_set_password(self, user: str, password: str,
                                 policy: dict | None = None) -> int:
        """Set a user's password (as an administrator). Returns 0."""
        self._check_user_password(user, password, policy)
        digest = hash_password(password)
        await self._admin_command(A.set_password(user, digest), policy)
        self._password_changed(user, password)
        return 0

    async def admin_change_password(self, user: str, password: str,
                                    policy: dict | None = None) -> int:
        """Change the password of the user this client logged in as. Returns 0; a client
        that did not log in has no current password hash and raises ParamError."""
        self._check_user_password(user, password, policy)
        current = self._login_hash()
        if current is None:
            raise _param("Current hashed password is invalid")
        await self._admin_command(A.change_password(user, current, hash_password(password)),
                                  policy)
        self._password_changed(user, password)
        return 0

    def _login_hash(self) -> str | None:
        """The hash of the password the client logs in with (None without login)."""
        credentials = self._settings.credentials
        return credentials.password_hash if credentials is not None else None

    def _password_changed(self, user: str, password: str) -> None:
        """The client's own user has a new password: later logins use it."""
        credentials = self._settings.credentials
        if credentials is not None and credentials.user == user:
            credentials.change_password(password)

    async def admin_grant_roles(self, user: str, roles: list[str],
                                policy: dict | None = None) -> int:
        """Add roles to a user. Returns 0."""
        return await self._user_roles(A.grant_roles, user, roles, policy)

    async def admin_revoke_roles(self, user: str, roles: list[str],
                                 policy: dict | None = None) -> int:
        """Remove roles from a user. Returns 0."""
        return await self._user_roles(A.revoke_roles, user, roles, policy)

    async def _user_roles(self, encode: Any, user: Any, roles: Any, policy: Any) -> int:
        self._check_connected()
        if not isinstance(roles, list):
            raise _param("Roles should be a list")
        roles = _check_str_list(roles, _ROLE_SIZE)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        self._admin_timeout(policy)
        return await self._admin_command(encode(user, roles), policy)

    async def admin_query_user_info(self, user: str, policy: dict | None = None
                                    ) -> dict[str, Any]:
        """A user's ``{'roles', 'read_info', 'write_info', 'conns_in_use'}``."""
        self._check_connected()
        self._admin_timeout(policy)
        if not isinstance(user, str):
            raise _param("Username should be a string")
        users = [u for u in map(A.parse_user, await self._admin_query(A.query_users(user),
                                                                      policy)) if u]
        if not users:
            return {"roles": [], "read_info": None, "write_info": None, "conns_in_use": 0}
        return users[0][1]

    async def admin_query_users_info(self, policy: dict | None = None
                                     ) -> dict[str, dict[str, Any]]:
        """Every user's info, by user name."""
        self._check_connected()
        self._admin_timeout(policy)
        users = [u for u in map(A.parse_user, await self._admin_query(A.query_users(),
                                                                      policy)) if u]
        return dict(users)

    async def admin_query_user(self, user: str, policy: dict | None = None) -> list[str]:
        """The roles of a user (older form of admin_query_user_info)."""
        return (await self.admin_query_user_info(user, policy))["roles"]

    async def admin_query_users(self, policy: dict | None = None) -> dict[str, list[str]]:
        """Every user's roles, by user name (older form of admin_query_users_info)."""
        return {name: info["roles"]
                for name, info in (await self.admin_query_users_info(policy)).items()}

    # -- roles ---------------------------------------------------------------------------
    async def admin_create_role(self, role: str, privileges: list[dict] | None = None,
                                policy: dict | None = None, whitelist: list[str] | None = None,
                                read_quota: int | None = None,
                                write_quota: int | None = None) -> int:
        """Create a role with privileges, an optional address whitelist and optional
        read/write quotas (records per second; 0 = none). Returns 0."""
        self._check_connected()
        if not isinstance(role, str):
            raise _param("Role name should be a string")
        privs = _check_privileges(privileges) if privileges is not None else []
        self._admin_timeout(policy)
        addresses: list[str] = []
        if whitelist is not None:
            if not isinstance(whitelist, list):
                raise _param("Whitelist must be a list of IP strings.")
            addresses = _check_str_list(whitelist, _IP_SIZE)
        rq = _quota(read_quota, "read_quota") if read_quota is not None else 0
        wq = _quota(write_quota, "write_quota") if write_quota is not None else 0
        try:
            request = A.create_role(role, privs, addresses, rq, wq)
        except ValueError as exc:
            raise _param(str(exc)) from None
        return await self._admin_command(request, policy)

    async def admin_drop_role(self, role: str, policy: dict | None = None) -> int:
        """Remove a role. Returns 0."""
        self._check_connected()
        self._admin_timeout(policy)
        if not isinstance(role, str):
            raise _param("Role name should be a string")
        return await self._admin_command(A.drop_role(role), policy)

    async def admin_grant_privileges(self, role: str, privileges: list[dict],
                                     policy: dict | None = None) -> int:
        """Add privileges (``{'code', 'ns', 'set'}`` dicts) to a role. Returns 0."""
        return await self._role_privileges(A.grant_privileges, role, privileges, policy)

    async def admin_revoke_privileges(self, role: str, privileges: list[dict],
                                      policy: dict | None = None) -> int:
        """Remove privileges from a role. Returns 0."""
        return await self._role_privileges(A.revoke_privileges, role, privileges, policy)

    async def _role_privileges(self, encode: Any, role: Any, privileges: Any,
                               policy: Any) -> int:
        self._check_connected()
        if not isinstance(role, str):
            raise _param("Role name should be a string")
        privs = _check_privileges(privileges)
        self._admin_timeout(policy)
        try:
            request = encode(role, privs)
        except ValueError as exc:
            raise _param(str(exc)) from None
        return await self._admin_command(request, policy)

    async def admin_set_whitelist(self, role: str, whitelist: list[str] | None,
                                  policy: dict | None = None) -> int:
        """Replace a role's address whitelist (None or [] clears it). Returns 0."""
        self._check_connected()
        if not isinstance(role, str):
            raise _param("Role name should be a string.")
        if isinstance(whitelist, list):
            addresses = _check_str_list(whitelist, _IP_SIZE)
        elif whitelist is None:
            addresses = []
        else:
            raise _param("Whitelist must be a list of IP strings, or None.")
        self._admin_timeout(policy)
        return await self._admin_command(A.set_whitelist(role, addresses), policy)

    async def admin_set_quotas(self, role: str, read_quota: int | None = None,
                               write_quota: int | None = None,
                               policy: dict | None = None) -> int:
        """Set a role's read and write quotas (records per second). Returns 0."""
        self._check_connected()
        if not isinstance(role, str):
            raise _param("Role name should be a string.")
        rq = _quota(read_quota, "read_quota") if read_quota is not None else -1
        wq = _quota(write_quota, "write_quota") if write_quota is not None else -1
        self._admin_timeout(policy)
        return await self._admin_command(A.set_quotas(role, rq, wq), policy)

    async def admin_get_role(self, role: str, policy: dict | None = None
                             ) -> dict[str, Any]:
        """A role's ``{'privileges', 'whitelist', 'read_quota', 'write_quota'}``."""
        self._check_connected()
        self._admin_timeout(policy)
        if not isinstance(role, str):
            raise _param("Role name should be a string")
        roles = [A.parse_role(f) for f in await self._admin_query(A.query_roles(role), policy)]
        if not roles:
            return {"privileges": [], "whitelist": [], "read_quota": 0, "write_quota": 0}
        return roles[0][1]

    async def admin_get_roles(self, policy: dict | None = None
                              ) -> dict[str, dict[str, Any]]:
        """Every role's ``admin_get_role`` dict, by role name."""
        self._check_connected()
        self._admin_timeout(policy)
        return dict(A.parse_role(f) for f in await self._admin_query(A.query_roles(), policy))

    async def admin_query_role(self, role: str, policy: dict | None = None) -> list[dict]:
        """A role's privileges (the older form of admin_get_role)."""
        return (await self.admin_get_role(role, policy))["privileges"]

    async def admin_query_roles(self, policy: dict | None = None) -> dict[str, list[dict]]:
        """Every role's privileges, by role name (the older form of admin_get_roles)."""
        return {name: info["privileges"]
                for name, info in (await self.admin_get_roles(policy)).items()}

