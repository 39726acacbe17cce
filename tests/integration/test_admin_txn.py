"""Security administration and transactions against a server without security and
without transactions (the embedded server, or a real Community Edition server): what a
user of either API sees.

Every admin command reaches the server and is refused with SecurityNotSupported (51);
a transaction's write is refused with ENTERPRISE_ONLY (25) and leaves the record alone;
commit/abort of a transaction with nothing in it succeed without traffic.
"""
from __future__ import annotations

import pytest

import aerospike_async.constants as C
from aerospike_async import exceptions as E
from aerospike_async._txn import Transaction

ADMIN_CALLS = [
    ("admin_create_user", ("ituser", "secret123", ["read"])),
    ("admin_create_pki_user", ("itpki", ["read"])),
    ("admin_drop_user", ("ituser",)),
    ("admin_set_password", ("ituser", "other")),
    ("admin_grant_roles", ("ituser", ["read"])),
    ("admin_revoke_roles", ("ituser", ["read"])),
    ("admin_query_user_info", ("ituser",)),
    ("admin_query_users_info", ()),
    ("admin_query_user", ("ituser",)),
    ("admin_query_users", ()),
    ("admin_create_role", ("itrole", [{"code": C.PRIV_READ, "ns": "test", "set": ""}])),
    ("admin_drop_role", ("itrole",)),
    ("admin_grant_privileges", ("itrole", [{"code": C.PRIV_WRITE}])),
    ("admin_revoke_privileges", ("itrole", [{"code": C.PRIV_WRITE}])),
    ("admin_set_whitelist", ("itrole", ["127.0.0.1"])),
    ("admin_set_quotas", ("itrole", 10, 20)),
    ("admin_query_role", ("itrole",)),
    ("admin_query_roles", ()),
    ("admin_get_role", ("itrole",)),
    ("admin_get_roles", ()),
]


@pytest.mark.parametrize("name,args", ADMIN_CALLS, ids=[c[0] for c in ADMIN_CALLS])
async def test_admin_commands_are_refused_without_security(client, name, args):
    with pytest.raises(E.SecurityNotSupported) as info:
        await getattr(client, name)(*args)
    assert info.value.code == 51
    assert info.value.msg == "AEROSPIKE_SECURITY_NOT_SUPPORTED"


async def test_admin_arguments_are_checked_before_sending(client):
    with pytest.raises(E.ParamError, match="Current hashed password is invalid"):
        await client.admin_change_password("admin", "x")  # this client did not log in
    with pytest.raises(E.ParamError, match="Roles should be a list"):
        await client.admin_create_user("u", "p", "read")
    with pytest.raises(E.ParamError, match="Username should be a string"):
        await client.admin_drop_user(5)
    with pytest.raises(E.ParamError, match="Privileges should be a list"):
        await client.admin_grant_privileges("r", {"code": C.PRIV_READ})
    with pytest.raises(E.ParamError, match="Code is a compulsory"):
        await client.admin_revoke_privileges("r", [{"ns": "test"}])
    with pytest.raises(E.ParamError, match="namespace/set scope"):
        await client.admin_grant_privileges("r", [{"code": C.PRIV_SYS_ADMIN, "ns": "test"}])
    with pytest.raises(E.ParamError, match="Whitelist must be a list"):
        await client.admin_set_whitelist("r", "127.0.0.1")


def test_transaction_attributes():
    t = Transaction()
    assert 0 < t.id < 2**64
    assert t.id != Transaction().id
    assert (t.state, t.in_doubt, t.timeout) == (C.TXN_STATE_OPEN, False, 0)
    t.timeout = 30
    assert t.timeout == 30
    with pytest.raises(AttributeError):
        t.id = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        Transaction(reads_capacity="many")  # type: ignore[arg-type]


async def test_empty_transaction_abort_and_commit(client):
    t = Transaction()
    assert await client.abort(t) == C.ABORT_OK
    assert t.state == C.TXN_STATE_ABORTED
    assert await client.abort(t) == C.ABORT_ALREADY_ABORTED
    with pytest.raises(E.AerospikeError) as info:
        await client.commit(t)
    assert info.value.code == -19

    t = Transaction()
    assert await client.commit(t) == C.COMMIT_OK
    assert t.state == C.TXN_STATE_COMMITTED
    assert await client.commit(t) == C.COMMIT_ALREADY_COMMITTED
    with pytest.raises(E.AerospikeError) as info:
        await client.abort(t)
    assert info.value.code == -18


async def test_commit_and_abort_take_only_a_transaction(client, make_key):
    for call in (client.commit, client.abort):
        with pytest.raises(TypeError):
            await call("string")
    with pytest.raises(E.ParamError) as info:
        await client.get(make_key(), {"txn": True})
    assert info.value.msg == "txn is not of type aerospike.Transaction"


async def test_transaction_write_is_enterprise_only(client, make_key):
    key = make_key()
    t = Transaction()
    with pytest.raises(E.AerospikeError) as info:
        await client.put(key, {"a": 1}, policy={"txn": t})
    assert info.value.code == 25 and not info.value.in_doubt
    with pytest.raises(E.RecordNotFound):
        await client.get(key)
    # the namespace of the transaction is fixed by its first command
    with pytest.raises(E.ParamError, match="Namespace must be the same"):
        await client.put(("other_ns", "it", "k"), {"a": 1}, policy={"txn": t})
    assert await client.abort(t) == C.ABORT_OK
    with pytest.raises(E.ParamError, match="has been aborted"):
        await client.put(key, {"a": 1}, policy={"txn": t})
    with pytest.raises(E.ParamError):
        await client.put(key, {"a": 1}, policy={"txn": "not a transaction"})


def test_sync_api(sync_client, make_key):
    import aerospike
    from aerospike import exception

    with pytest.raises(exception.SecurityNotSupported):
        sync_client.admin_query_users_info()
    with pytest.raises(exception.SecurityNotSupported):
        sync_client.admin_create_role("itrole", [{"code": aerospike.PRIV_READ_WRITE}])
    with pytest.raises(exception.ParamError):
        sync_client.admin_change_password("admin", "x")

    t = aerospike.Transaction()
    assert (sync_client.abort(t), t.state) == (aerospike.ABORT_OK, aerospike.TXN_STATE_ABORTED)
    t = aerospike.Transaction(reads_capacity=16, writes_capacity=16)
    with pytest.raises(exception.AerospikeError) as info:
        sync_client.put(make_key(), {"a": 1}, policy={"txn": t})
    assert info.value.code == 25
    assert sync_client.commit(t) == aerospike.COMMIT_OK
