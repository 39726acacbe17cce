"""Admin message codec and transaction fields: pure functions, checked against the
recorded bytes (wire-vectors admin.jsonl, errors.jsonl) and hand-built replies."""
from __future__ import annotations

import struct

import pytest
import vectors

import aerospike_async.constants as C
from aerospike_async import _txn
from aerospike_async.protocol.password import hash_password
from aerospike_async.protocol import admin as A
from aerospike_async.protocol.message import FIELD_KEY, FIELD_MRT_DEADLINE, FIELD_MRT_ID
from aerospike_async.protocol.record import key_fields


def _recorded(scenario_id: str) -> bytes:
    sc = next(s for s in vectors.load(scenario_id.split("/")[0]) if s["id"] == scenario_id)
    return bytes.fromhex(sc["exchanges"][0]["request"])


def test_password_hash_is_bcrypt_with_the_constant_salt():
    assert hash_password("secret123") == \
        "$2a$10$7EqJtq98hPqEX7fNZaFWoO4xSzPSA3ZzZBoYGhe9PTeymhVeSz8Ki"


@pytest.mark.parametrize("scenario_id,request_bytes", [
    ("admin/query_users_info", lambda: A.query_users()),
    ("admin/query_user_info", lambda: A.query_users("admin")),
    ("admin/create_user", lambda: A.create_user("vecuser", hash_password("secret123"),
                                                ["read"])),
    ("admin/drop_user", lambda: A.drop_user("vecuser")),
    ("admin/query_roles", lambda: A.query_roles()),
    ("admin/query_role", lambda: A.query_roles("read")),
    ("admin/drop_role", lambda: A.drop_role("vecrole")),
    ("admin/grant_privileges", lambda: A.grant_privileges("vecrole", [(C.PRIV_WRITE, "", "")])),
    ("admin/revoke_privileges",
     lambda: A.revoke_privileges("vecrole", [(C.PRIV_WRITE, "", "")])),
    ("admin/grant_roles", lambda: A.grant_roles("vecuser", ["read"])),
    ("admin/set_quotas", lambda: A.set_quotas("vecrole", 10, 20)),
    ("admin/set_whitelist", lambda: A.set_whitelist("vecrole", ["127.0.0.1"])),
])
def test_requests_match_the_recording(scenario_id, request_bytes):
    assert request_bytes() == _recorded(scenario_id)


def test_privileges_and_create_role_layout():
    data = A.privileges_data([(C.PRIV_READ, "test", "s"), (C.PRIV_SYS_ADMIN, "", "")])
    assert data == b"\x02" + b"\x0a\x04test\x01s" + b"\x01"
    with pytest.raises(ValueError, match="namespace/set scope"):
        A.privileges_data([(C.PRIV_SYS_ADMIN, "test", "")])
    # optional parts only when given: role only, then every part
    assert A.create_role("r")[8 + 3] == 1
    full = A.create_role("r", [(C.PRIV_READ, "", "")], ["1.2.3.4", "5.6.7.8"], 5, 6)
    assert full[8 + 3] == 5
    assert b"1.2.3.4,5.6.7.8" in full and full.endswith(b"\x00\x00\x00\x06")


def _block(rc: int, fields: list[bytes]) -> bytes:
    return bytes((0, rc, 0, len(fields))) + bytes(12) + b"".join(fields)


def test_query_reply_blocks_parse_into_documented_shapes():
    user = _block(0, [A.field(A.USER, b"bob"), A.field(A.ROLES, A.roles_data(["read", "w"])),
                      A.field(A.READ_INFO, b"\x01" + struct.pack(">I", 7)),
                      A.field(A.CONNECTIONS, struct.pack(">I", 3))])
    role = _block(0, [A.field(A.ROLE, b"r1"),
                      A.field(A.PRIVILEGES, A.privileges_data([(C.PRIV_READ, "test", "")])),
                      A.field(A.WHITELIST, b"10.0.0.1,10.0.0.2"),
                      A.field(A.WRITE_QUOTA, struct.pack(">I", 9))])
    blocks = list(A.iter_blocks(user + _block(A.RESULT_QUERY_END, [])))
    assert [b[0] for b in blocks] == [0, A.RESULT_QUERY_END]
    assert A.parse_user(blocks[0][2]) == ("bob", {"roles": ["read", "w"], "read_info": [7],
                                                  "write_info": None, "conns_in_use": 3})
    (_rc, _cmd, fields), = A.iter_blocks(role)
    assert A.parse_role(fields) == ("r1", {
        "privileges": [{"ns": "test", "set": "", "code": C.PRIV_READ}],
        "whitelist": ["10.0.0.1", "10.0.0.2"], "read_quota": 0, "write_quota": 9})
    # an error block ends the answer
    assert [b[0] for b in A.iter_blocks(_block(51, []) + user)] == [51]


def test_transaction_fields_follow_the_digest_and_precede_the_user_key(monkeypatch):
    monkeypatch.setattr(_txn, "new_transaction_id", lambda: 0x0102030405060708)
    t = _txn.Transaction()
    t.deadline = 77
    digest = bytes(range(20))
    fields, count = _txn.command_fields(t, "test", "s", digest, "k", True)
    base, n_base = key_fields("test", "s", digest, None)
    assert fields.startswith(base) and count == n_base + 3
    rest = fields[len(base):]
    assert rest[:13] == struct.pack(">IB", 9, FIELD_MRT_ID) + bytes.fromhex("0807060504030201")
    assert rest[13:22] == struct.pack(">IB", 5, FIELD_MRT_DEADLINE) + struct.pack("<I", 77)
    assert rest[26] == FIELD_KEY
    # reads carry no deadline; a version read earlier in the transaction goes along
    t.on_read(digest, "s", (1 << 63) | 0x0A0B0C)
    fields, count = _txn.command_fields(t, "test", "s", digest, None, False)
    assert count == n_base + 2 and fields.endswith(bytes.fromhex("0c0b0a00000000"))


def test_monitor_operate_matches_the_recording(monkeypatch):
    recorded = bytes.fromhex(next(s for s in vectors.load("errors")
                                  if s["id"] == "errors/txn_put")["exchanges"][0]["request"])
    monkeypatch.setattr(_txn, "new_transaction_id", lambda: 0x2b0b403d7a90b5a5)
    t = _txn.Transaction()
    digest = bytes.fromhex("29241c4e62f66ff6baa20a2cf2a76a6e521c91ca")
    assert _txn.monitor_add_key_request(t, "test", digest, 5000) == recorded
