"""The embedded server answers the recorded admin and transaction requests as the
recorded Community Edition server did (security disabled, no transactions).

Admin requests (proto type 2) are answered with the recorded reply byte for byte. The
errors/txn_put exchange is a transaction monitor operate on set ``<ERO~MRT`` (a plain
record write on this server) followed by a put carrying MRT fields (ENTERPRISE_ONLY);
replies are compared field by field, the record void time only as "expires or not".
"""
from __future__ import annotations

import pytest
import vectors
from server_raw import RawClient

from aerospike_async.protocol.framing import MSG_ADMIN, MSG_AS, encode_proto
from aerospike_async.protocol.message import parse_message
from aerospike_async.testing import EmbeddedServer


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


def _admin_scenarios() -> list:
    out = []
    for sc in vectors.load("admin"):
        assert all(ex["type"] == MSG_ADMIN for ex in sc["exchanges"]), sc["id"]
        out.append(pytest.param(sc, id=sc["id"]))
    return out


@pytest.mark.parametrize("sc", _admin_scenarios())
def test_admin_request_answered_as_recorded(server, sc):
    raw = RawClient(server.port)
    try:
        for ex in sc["exchanges"]:
            mtype, payload = raw.send_raw(bytes.fromhex(ex["request"]))
            got = encode_proto(mtype, payload)
            assert [got.hex()] == ex["responses"]
    finally:
        raw.close()


def _txn_scenarios() -> list:
    return [pytest.param(sc, id=sc["id"]) for sc in vectors.load("errors")
            if sc["id"].startswith("errors/txn_") and sc["exchanges"]]


@pytest.mark.parametrize("sc", _txn_scenarios())
def test_transaction_requests_answered_as_recorded(server, sc):
    raw = RawClient(server.port)
    try:
        for ex in sc["exchanges"]:
            assert ex["type"] == MSG_AS
            mtype, payload = raw.send_raw(bytes.fromhex(ex["request"]))
            want_raw = bytes.fromhex(ex["responses"][0])
            want, _ = parse_message(want_raw[8:])
            have, _ = parse_message(payload)
            assert mtype == MSG_AS
            assert have.result_code == want.result_code
            assert have.generation == want.generation
            assert bool(have.expiration) == bool(want.expiration)
            assert have.fields == want.fields
            assert [(o.op, o.particle_type, o.name, o.value) for o in have.ops] == \
                [(o.op, o.particle_type, o.name, o.value) for o in want.ops]
    finally:
        raw.close()
