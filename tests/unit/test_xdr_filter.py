"""Client.set_xdr_filter against the official 19.3.0 client
(tests/unit/data/official_xdr_filter.json, captured by a TCP proxy in front of the embedded
server): the same argument checks before anything is sent, the same request bytes, the
same outcome for the Community server's reply and the same return value for an Enterprise
server's ``ok``. The embedded server answers ``xdr-set-filter`` as the 8.1.2 Community
server does: the command is in its table as ``ee_only`` (as/src/base/thr_info.c), so the
reply is ``ERROR:25:enterprise only``, not ``unrecognized command``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import aerospike
import aerospike_async.client as async_client_module
from aerospike_async.testing import EmbeddedServer
from aerospike_async.testing import node as node_module
from aerospike_async.testing.node import Node
from aerospike_async.testing.store import Store
from aerospike_helpers import expressions as exp

DATA = json.loads((Path(__file__).parent / "data" / "official_xdr_filter.json").read_text())
EXPR = exp.Eq(exp.IntBin("bin1"), 6).compile()

#: The call of each recorded case: (args, kwargs).
CALLS: dict[str, tuple[tuple, dict[str, Any]]] = {
    "expr": (("dc1", "test", EXPR), {}),
    "none": (("dc1", "test", None), {}),
    "expr_policy": (("dc1", "test", EXPR, {"timeout": 500}), {}),
    "kw": ((), {"data_center": "dc1", "namespace": "test", "expression_filter": EXPR}),
    "dc_int": ((1, "test", EXPR), {}),
    "ns_int": (("dc1", 1, EXPR), {}),
    "dc_none": ((None, "test", EXPR), {}),
    "ns_none": (("dc1", None, EXPR), {}),
    "expr_str": (("dc1", "test", "abc"), {}),
    "expr_int": (("dc1", "test", 5), {}),
    "expr_list": (("dc1", "test", [1, 2]), {}),
    "expr_bad_list": (("dc1", "test", [(1, 2, 3, 4)]), {}),
    "expr_empty_list": (("dc1", "test", []), {}),
    "policy_bad": (("dc1", "test", EXPR, 5), {}),
    "policy_badkey": (("dc1", "test", EXPR, {"bogus": 1}), {}),
    "policy_timeout_str": (("dc1", "test", EXPR, {"timeout": "x"}), {}),
    "missing": (("dc1", "test"), {}),
    "extra": (("dc1", "test", EXPR, None, 1), {}),
    "empty_strs": (("", "", EXPR), {}),
    "unicode": (("dç", "tést", EXPR), {}),
    "semicolon": (("a;b", "t=x", None), {}),
    "dc_bytes": ((b"dc1", "test", EXPR), {}),
}


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    c = aerospike.client({"hosts": [("127.0.0.1", server.port)]}).connect()
    yield c
    c.close()


def _run(client, case: str) -> tuple[list[str], dict[str, Any]]:
    """Our sync client's requests (hex) and outcome for a recorded case."""
    sent: list[str] = []
    real = async_client_module.encode_info_request

    def record(*commands: str) -> bytes:
        raw = real(*commands)
        sent.append(raw.hex())
        return raw

    args, kwargs = CALLS[case]
    with mock.patch.object(async_client_module, "encode_info_request", record):
        try:
            return sent, {"ok": client.set_xdr_filter(*args, **kwargs)}
        except TypeError:
            return sent, {"error": "TypeError"}
        except aerospike.exception.AerospikeError as exc:
            address = f"127.0.0.1:{client._async.cluster.nodes[0].port}"
            return sent, {"error": type(exc).__name__, "code": exc.code,
                          "msg": exc.msg.replace(address, "{address}")}


def test_every_recorded_case_has_a_call() -> None:
    assert sorted(c["case"] for c in DATA["community"]) == sorted(CALLS)


@pytest.mark.parametrize("case", [c["case"] for c in DATA["community"]])
def test_community_outcome_and_bytes_match_official(client, case: str) -> None:
    recorded = next(c for c in DATA["community"] if c["case"] == case)
    sent, outcome = _run(client, case)
    assert sent == recorded["requests"]
    assert outcome == recorded["outcome"]


@pytest.mark.parametrize("case", [c for c in DATA["community"] if c["requests"]],
                         ids=lambda c: c["case"])
def test_embedded_server_answers_as_community(case: dict) -> None:
    node = Node(Store())
    for request, reply in zip(case["requests"], case["replies"]):
        assert node.info(bytes.fromhex(request)[8:]).hex() == reply


@pytest.mark.parametrize("case", DATA["enterprise"], ids=lambda c: c["case"])
def test_enterprise_ok_returns_the_whole_reply(client, case: dict) -> None:
    # the embedded server answering as an Enterprise server (the recorded reply)
    with mock.patch.dict(node_module.INFO_COMMANDS, {"xdr-set-filter:": lambda n, a: "ok"}):
        sent, outcome = _run(client, case["case"])
        assert Node(Store()).info(bytes.fromhex(sent[0])[8:]).hex() == case["replies"][0]
    assert sent == case["requests"]
    assert outcome == case["outcome"]


def test_other_enterprise_only_xdr_commands() -> None:
    node = Node(Store())
    for command in ("xdr-set-filter", "xdr-get-filter:dc=d1;namespace=test",
                    "xdr-dc-state:dc=d1"):
        assert node.info_value(command) == "ERROR:25:enterprise only"


async def test_async_client_same_request_and_outcome(server) -> None:
    from aerospike_async import Client
    from aerospike_async.exceptions import AerospikeError, ParamError
    async with Client({"hosts": [("127.0.0.1", server.port)]}) as c:
        with pytest.raises(AerospikeError) as info:
            await c.set_xdr_filter("dc1", "test", EXPR)
        assert (type(info.value).__name__, info.value.code) == ("AerospikeError", 25)
        assert info.value.msg.startswith("enterprise only from ")
        with pytest.raises(ParamError, match="Namespace should be a string."):
            await c.set_xdr_filter("dc1", 3, None)
