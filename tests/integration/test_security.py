"""Logging in to a cluster with security on, through both APIs.

These tests start embedded servers of their own with users (whatever AEROSPIKE_HOSTS
says): they need a server whose users they chose. Where the official client can be
installed, it logs in to the same servers, and its login requests are compared with ours.
"""
from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import pytest

import aerospike
from aerospike_async import Client
from aerospike_async import constants as C
from aerospike_async.protocol.password import hash_password
from aerospike_async.cluster.auth import Credentials, Session
from aerospike_async.exceptions import (ConnectionError, InvalidCredential, InvalidUser,
                                        NotAuthenticated, ParamError, SecurityNotSupported)
from aerospike_async.protocol import admin as A
from aerospike_async.protocol.digest import compute_digest
from aerospike_async.protocol.framing import MSG_ADMIN, encode_proto
from aerospike_async.protocol.record import encode_command, key_fields
from aerospike_async.testing import EmbeddedCluster, EmbeddedServer
from conftest import wait_for
from official import official_python_or_skip

USERS = {"alice": "wonderland", "bob": "builder"}


def config(server, user="alice", password="wonderland", **extra) -> dict:
    return {"hosts": [server.address], "user": user, "password": password,
            "connect_timeout": 2000, **extra}


async def test_a_client_logs_in_and_its_commands_run():
    async with EmbeddedServer(users=USERS) as server:
        async with Client(config(server, min_conns_per_node=3)) as client:
            key = ("test", "sec", 1)
            await client.put(key, {"n": 1})
            assert (await client.get(key))[2] == {"n": 1}
            batch = await client.batch_read([key, ("test", "sec", 2)])
            assert [r.result for r in batch.batch_records] == [0, 2]
            assert [b async for _k, _m, b in client.scan("test", "sec")] == [{"n": 1}]
            assert (await client.info_all("build"))
            # a host that is not one of the nodes by name is asked on a connection of its
            # own, which logs in first
            assert await client.info_node("build", ("localhost", server.port))
            # many commands at once open more connections: each presents the session
            await asyncio.gather(*(client.get(key) for _ in range(20)))
        assert server.security.logins >= 1
        assert server.security.authentications >= 3


def test_the_sync_client_logs_in():
    server = EmbeddedServer.run_in_thread(users=USERS)
    try:
        client = aerospike.client(config(server))
        try:
            client.put(("test", "sec", "s"), {"v": "x"})
            assert client.get(("test", "sec", "s"))[2] == {"v": "x"}
            assert client.batch_read([("test", "sec", "s")]).batch_records[0].result == 0
        finally:
            client.close()
        # connect(username, password) replaces the config's credentials (the constructor
        # connects with the config's, as the official client's does)
        client = aerospike.Client(config(server))
        client.close()
        with pytest.raises(InvalidUser):
            client.connect("nobody", "x")
        client.connect("bob", "builder")
        try:
            assert client.exists(("test", "sec", "s"))[1] is not None
        finally:
            client.close()
    finally:
        server.stop()


@pytest.mark.parametrize("user,password,error", [
    ("alice", "wrong", InvalidCredential),
    ("mallory", "wonderland", InvalidUser),
])
async def test_a_refused_login_fails_connect_with_the_servers_reason(user, password, error):
    async with EmbeddedServer(users=USERS) as server:
        with pytest.raises(error) as info:
            await Client(config(server, user, password)).connect()
        assert "Failed to connect" in info.value.msg


def test_a_refused_login_fails_the_sync_constructor():
    server = EmbeddedServer.run_in_thread(users=USERS)
    try:
        with pytest.raises(aerospike.exception.InvalidCredential):
            aerospike.client(config(server, password="wrong"))
    finally:
        server.stop()


async def test_credentials_against_a_server_without_security_fail_as_the_official_client():
    # a Community server answers a login SECURITY_NOT_SUPPORTED; connect fails with it
    async with EmbeddedServer() as server:
        with pytest.raises(SecurityNotSupported):
            await Client(config(server)).connect()


async def test_without_a_login_a_secured_server_refuses_commands():
    async with EmbeddedServer(users=USERS) as server:
        # a client without credentials cannot tend the node: no seed answers
        with pytest.raises(ConnectionError):
            await Client({"hosts": [server.address], "connect_timeout": 500}).connect()
        # a data command on a connection that did not log in is refused
        reader, writer = await asyncio.open_connection(*server.address)
        fields, n = key_fields("test", "sec", compute_digest("sec", 1), None)
        writer.write(encode_command(1 | 2, 0, 0, 0, 0, 0, 1000, fields, n, b"", 0))
        header = await reader.readexactly(8 + 22)
        assert header[8 + 5] == NotAuthenticated.code
        writer.close()


async def test_a_session_is_renewed_before_it_expires():
    # the server's sessions last 61 s: the client renews 60 s early, at every tend
    async with EmbeddedServer(users=USERS, session_ttl=61) as server:
        async with Client(config(server, tend_interval=100)) as client:
            first = server.security.logins
            await asyncio.sleep(1.5)
            assert server.security.logins > first
            await client.put(("test", "sec", "renewed"), {"ok": True})


async def test_after_a_restart_that_lost_the_sessions_the_client_logs_in_again():
    async with EmbeddedServer(users=USERS) as server:
        async with Client(config(server, tend_interval=50)) as client:
            key = ("test", "sec", "restart")
            await client.put(key, {"n": 1})
            logins = server.security.logins
            await server.stop()
            server.security.expire_sessions()
            await server.start()   # same port; every connection was dropped
            deadline = time.monotonic() + 5
            while True:
                try:
                    assert (await client.get(key))[2] == {"n": 1}
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.05)
            assert server.security.logins > logins


async def test_every_node_of_a_cluster_is_logged_in_to():
    async with EmbeddedCluster(size=3, users=USERS) as cluster:
        async with Client({"hosts": [cluster.nodes[0].address], "user": "bob",
                           "password": "builder"}) as client:
            await wait_for(lambda: len(client.get_node_names()) == 3)
            keys = [("test", "sec", i) for i in range(50)]
            await asyncio.gather(*(client.put(k, {"i": k[2]}) for k in keys))
            batch = await client.batch_read(keys)
            assert all(r.result == 0 for r in batch.batch_records)
        assert cluster.security.logins >= 3


def test_config_is_checked_before_anything_is_sent():
    with pytest.raises(ParamError, match="auth_mode"):
        Client({"hosts": [("127.0.0.1", 3000)], "user": "a", "password": "b",
                "policies": {"auth_mode": 9}})
    with pytest.raises(ParamError, match="TLS"):
        Client({"hosts": [("127.0.0.1", 3000)], "user": "a", "password": "b",
                "policies": {"auth_mode": C.AUTH_EXTERNAL}})
    with pytest.raises(ParamError, match="TLS"):
        Client({"hosts": [("127.0.0.1", 3000)], "policies": {"auth_mode": C.AUTH_PKI}})
    with pytest.raises(ParamError, match="login_timeout_ms"):
        Client({"hosts": [("127.0.0.1", 3000)], "user": "a", "password": "b",
                "policies": {"login_timeout_ms": "soon"}})
    with pytest.raises(ParamError, match="strings"):
        Client({"hosts": [("127.0.0.1", 3000)], "user": "a", "password": 5})


def test_login_messages_carry_what_each_auth_mode_sends():
    def fields(request: bytes) -> dict[int, bytes]:
        return next(iter(A.iter_blocks(request[8:])))[2]

    internal = Credentials("alice", "pw", C.AUTH_INTERNAL, 5.0, False)
    assert fields(internal.login_request()) == {A.USER: b"alice",
                                                A.CREDENTIAL: hash_password("pw").encode()}
    external = Credentials("alice", "pw", C.AUTH_EXTERNAL_INSECURE, 5.0, False)
    assert fields(external.login_request())[A.CLEAR_PASSWORD] == b"pw"
    pki = Credentials("ignored", "ignored", C.AUTH_PKI, 5.0, True)
    assert pki.user is None and fields(pki.login_request()) == {}
    assert fields(Session(b"tok", "alice", 3600).authenticate_request()) == {
        A.USER: b"alice", A.SESSION_TOKEN: b"tok"}
    assert fields(Session(b"tok", None, 3600).authenticate_request()) == {
        A.SESSION_TOKEN: b"tok"}


# -- the official client --------------------------------------------------------------------

_OFFICIAL_LOGIN = """
import json, sys, aerospike
port, password = int(sys.argv[1]), sys.argv[2]
try:
    c = aerospike.client({"hosts": [("127.0.0.1", port)], "user": "alice",
                          "password": password, "min_conns_per_node": 2})
except aerospike.exception.AerospikeError as e:
    print(json.dumps({"error": type(e).__name__, "code": e.code})); sys.exit()
c.put(("test", "sec", "official"), {"by": "official"})
print(json.dumps({"bins": c.get(("test", "sec", "official"))[2]}))
c.close()
"""


def _official(python: str, port: int, password: str) -> dict:
    out = subprocess.run([python, "-c", _OFFICIAL_LOGIN, str(port), password],
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_official_client_logs_in_to_the_embedded_server():
    python = official_python_or_skip()
    server = EmbeddedServer.run_in_thread(users=USERS)
    try:
        assert _official(python, server.port, "wonderland") == {"bins": {"by": "official"}}
        assert server.server.security.authentications >= 2   # its pool connections
        assert _official(python, server.port, "wrong") == {"error": "InvalidCredential",
                                                           "code": 65}
    finally:
        server.stop()


async def test_our_login_requests_are_the_official_clients():
    python = official_python_or_skip()
    requests: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        header = await reader.readexactly(8)
        body = await reader.readexactly(int.from_bytes(header, "big") & (1 << 48) - 1)
        requests.append(header + body)
        token, ttl = A.field(A.SESSION_TOKEN, b"t" * 16), A.field(A.SESSION_TTL,
                                                                 (3600).to_bytes(4, "big"))
        writer.write(encode_proto(MSG_ADMIN, A.admin_block(0, 0, (token, ttl))))
        await writer.drain()
        writer.close()   # then nothing more: the official client gives up connecting

    listener = await asyncio.start_server(record, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        await asyncio.to_thread(_official, python, port, "wonderland")
    finally:
        listener.close()
    ours = Credentials("alice", "wonderland", C.AUTH_INTERNAL, 5.0, False)
    assert requests and requests[0] == ours.login_request()


_ADMIN_SCRIPT = r"""
import json, sys
import aerospike
from aerospike import exception

port = int(sys.argv[1])
def connect(user, password):
    return aerospike.client({"hosts": [("127.0.0.1", port)], "user": user,
                             "password": password})
admin = connect("alice", "wonderland")
out = {}

def step(name, fn):
    try:
        got = fn()
        out[name] = got if not isinstance(got, dict) else {k: got[k] for k in sorted(got)}
    except exception.AerospikeError as e:
        out[name] = ["raised", type(e).__name__, e.code]

read_test = {"code": aerospike.PRIV_READ, "ns": "test", "set": ""}
write_set = {"code": aerospike.PRIV_WRITE, "ns": "test", "set": "s1"}
step("create_role", lambda: admin.admin_create_role(
    "reader", [read_test], whitelist=["127.0.0.1"], read_quota=100))
step("create_role_again", lambda: admin.admin_create_role("reader", [read_test]))
step("create_user", lambda: admin.admin_create_user("carol", "pw1", ["reader"]))
step("create_user_again", lambda: admin.admin_create_user("carol", "pw1", ["reader"]))
step("create_user_unknown_role", lambda: admin.admin_create_user("dan", "pw", ["nope"]))
step("user_info", lambda: admin.admin_query_user_info("carol"))
step("users", lambda: sorted(admin.admin_query_users_info()))
step("role", lambda: admin.admin_get_role("reader"))
step("role_privileges", lambda: admin.admin_query_role("reader"))
step("grant_roles", lambda: admin.admin_grant_roles("carol", ["read-write"]))
step("roles_granted", lambda: sorted(admin.admin_query_user_info("carol")["roles"]))
step("revoke_roles", lambda: admin.admin_revoke_roles("carol", ["read-write"]))
step("roles_revoked", lambda: admin.admin_query_user_info("carol")["roles"])
step("grant_privileges", lambda: admin.admin_grant_privileges("reader", [write_set]))
step("privileges_granted", lambda: admin.admin_get_role("reader"))
step("revoke_privileges", lambda: admin.admin_revoke_privileges("reader", [write_set]))
step("whitelist", lambda: admin.admin_set_whitelist("reader", ["10.0.0.1", "10.0.0.2"]))
step("quotas", lambda: admin.admin_set_quotas("reader", read_quota=5, write_quota=6))
step("role_changed", lambda: admin.admin_get_role("reader"))
step("drop_unknown_role", lambda: admin.admin_drop_role("nosuch"))
step("unknown_user_info", lambda: admin.admin_query_user_info("nobody"))
step("all_roles", lambda: sorted(admin.admin_get_roles()))
step("all_roles_privileges", lambda: admin.admin_query_roles()["reader"])
admin.put(("test", "s1", 1), {"v": 1})
carol = connect("carol", "pw1")
step("carol_reads", lambda: carol.get(("test", "s1", 1))[2])
step("carol_writes", lambda: carol.put(("test", "s1", 2), {"v": 2}))
step("carol_creates_user", lambda: carol.admin_create_user("eve", "pw", ["read"]))
step("carol_sees_herself", lambda: carol.admin_query_user_info("carol")["roles"])
step("carol_changes_password", lambda: carol.admin_change_password("carol", "pw2"))
carol.close()
step("old_password", lambda: connect("carol", "pw1").is_connected())
step("set_password", lambda: admin.admin_set_password("carol", "pw3"))
step("new_password", lambda: connect("carol", "pw3").is_connected())
step("drop_user", lambda: admin.admin_drop_user("carol"))
step("dropped_user_info", lambda: admin.admin_query_user_info("carol"))
step("drop_role", lambda: admin.admin_drop_role("reader"))
admin.close()
print(json.dumps(out))
"""


def _admin_outcome(python: str) -> dict:
    server = EmbeddedServer.run_in_thread(users=USERS)
    try:
        done = subprocess.run([python, "-c", _ADMIN_SCRIPT, str(server.port)],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_users_and_roles_are_administered_and_enforced():
    ours = _admin_outcome(sys.executable)
    assert ours["user_info"]["roles"] == ["reader"]
    assert ours["carol_reads"] == {"v": 1}
    assert ours["carol_writes"] == ["raised", "RoleViolation", 81]
    assert ours["carol_creates_user"] == ["raised", "RoleViolation", 81]
    assert ours["carol_sees_herself"] == ["reader"]
    assert ours["old_password"] == ["raised", "InvalidCredential", 65]
    assert ours["new_password"] is True
    assert ours["dropped_user_info"] == ["raised", "InvalidUser", 60]
    assert ours["role_changed"]["whitelist"] == ["10.0.0.1", "10.0.0.2"]
    assert (ours["role_changed"]["read_quota"], ours["role_changed"]["write_quota"]) == (5, 6)


def test_user_and_role_administration_answers_as_the_official_clients():
    official = official_python_or_skip()
    assert _admin_outcome(official) == _admin_outcome(sys.executable)


async def test_a_malformed_login_is_answered_and_the_server_goes_on():
    async with EmbeddedServer(users=USERS) as server:
        reader, writer = await asyncio.open_connection(*server.address)
        # LOGIN announcing a field that is not there
        writer.write(encode_proto(MSG_ADMIN, bytes((0, 0, A.LOGIN, 1)) + bytes(12) + b"\x00"))
        reply = await reader.readexactly(8 + A.HEADER_SIZE)
        assert reply[8 + 1] == 54   # INVALID_COMMAND
        writer.write(A.login("alice", hash_password("wonderland"), None))
        header = await reader.readexactly(8)
        body = await reader.readexactly(int.from_bytes(header, "big") & (1 << 48) - 1)
        rc, token, ttl = A.parse_login(body)
        assert rc == 0 and token and ttl
        writer.close()


async def test_a_new_tend_connection_presents_the_session_instead_of_logging_in_again():
    async with EmbeddedServer(users=USERS) as server:
        async with Client(config(server, tend_interval=50)) as client:
            (node,) = client.cluster.nodes
            logins, authentications = server.security.logins, server.security.authentications
            node.close_tend_connection()   # as when a tend request failed
            await wait_for(lambda: server.security.authentications > authentications)
            assert server.security.logins == logins
            assert client.is_connected()


_OFFICIAL_CLUSTER = """
import json, sys, aerospike
hosts = [tuple(h) for h in json.loads(sys.argv[1])]
c = aerospike.client({"hosts": hosts[:1], "user": "bob", "password": "builder"})
keys = [("test", "sec", "official-%d" % i) for i in range(30)]
for k in keys:
    c.put(k, {"k": k[2]})
found = sum(r.result == 0 for r in c.batch_read(keys).batch_records)
print(json.dumps({"nodes": len(c.get_node_names()), "found": found}))
c.close()
"""


def test_the_official_client_logs_in_to_every_node_of_a_secured_cluster():
    python = official_python_or_skip()
    cluster = EmbeddedCluster.run_in_thread(size=3, users=USERS)
    try:
        done = subprocess.run([python, "-c", _OFFICIAL_CLUSTER, json.dumps(cluster.seeds)],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout.strip().splitlines()[-1]) == {"nodes": 3, "found": 30}
        assert cluster.cluster.security.logins >= 3
    finally:
        cluster.stop()


async def test_after_changing_its_own_password_the_client_logs_in_with_the_new_one():
    async with EmbeddedServer(users=USERS) as server:
        async with Client(config(server, tend_interval=50)) as client:
            await client.admin_change_password("alice", "looking-glass")
            logins = server.security.logins
            server.security.expire_sessions()
            (node,) = client.cluster.nodes
            node.close_tend_connection()   # presenting the ended session fails: log in
            await wait_for(lambda: server.security.logins > logins)
            await client.put(("test", "sec", "pw"), {"v": 1})
        with pytest.raises(InvalidCredential):
            await Client(config(server)).connect()   # the old password no longer works
        async with Client(config(server, password="looking-glass")):
            pass
