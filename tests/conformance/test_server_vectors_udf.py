"""The embedded server answers the recorded UDF-management, truncate and string-operation
requests as the real 8.1 server did.

Areas: ``udf`` (module management and record UDF calls, run in Lua), ``truncate``,
``strops``, and the ``errors/udf_runtime`` scenario (a Lua error's message). Each
scenario starts from the module registry the recording server had -- only
``vec_udf.lua`` registered -- then its setup runs with raw requests and info commands
(``reset``, ``reset_set``, ``ensure_udf``, ``remove_udf``), then the recorded requests
are sent in order. Info answers must equal the recorded ones exactly (``udf-put``
echoes, ``udf-list`` hashes, ``udf-get`` content, the compile error of ``vec_bad.lua``,
``ERROR:4:would truncate in the future``); AS_MSG answers are compared field by field
(``_comparable`` of the stream tests: a record ttl only as "expires or not").
"""
from __future__ import annotations

import base64
import re
from typing import Any

import pytest

import vectors
from aerospike_async.protocol.framing import MSG_AS, MSG_INFO, parse_proto_header
from aerospike_async.protocol.info import parse_info_response
from aerospike_async.protocol.message import INFO3_LAST, Message, parse_messages
from aerospike_async.testing import EmbeddedServer
from server_raw import RawClient
from test_server_vectors_streams import _comparable, _read_answer, _Setup

AREAS = ("udf", "truncate", "strops")
EXTRA = ("errors/udf_runtime",)
"""Scenarios of other areas that run record UDFs."""


def _scenarios() -> list[Any]:
    out = []
    for area in AREAS:
        for sc in vectors.load(area):
            if sc["exchanges"]:
                out.append(pytest.param(sc, id=sc["id"]))
    for sc in vectors.load("errors"):
        if sc["id"] in EXTRA:
            out.append(pytest.param(sc, id=sc["id"]))
    return out


def _udf_put_command(path: str) -> str:
    data = (vectors.VECTORS / path).read_bytes()
    encoded = base64.b64encode(data).decode()
    name = path.rsplit("/", 1)[-1]
    return (f"udf-put:filename={name};content={encoded};content-len={len(encoded)};"
            f"udf-type=LUA;")


class _UdfSetup(_Setup):
    """The stream tests' setup helpers plus the README's UDF ones."""

    def ensure_udf(self, path: str) -> None:
        value = next(iter(self.c.info(_udf_put_command(path)).values()))
        assert value == "ok", value

    def remove_udf(self, module: str) -> None:
        self.c.info(f"udf-remove:filename={module};")

    def registry_as_recorded(self) -> None:
        """Only vec_udf.lua registered, as on the recording server."""
        listing = next(iter(self.c.info("udf-list").values()))
        for name in re.findall(r"filename=([^,;]+)", listing):
            self.remove_udf(name)
        self.ensure_udf("udf/vec_udf.lua")

    def names(self) -> dict[str, Any]:
        names = super().names()
        names.update(ensure_udf=self.ensure_udf, remove_udf=self.remove_udf)
        return names


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


@pytest.mark.parametrize("scenario", _scenarios())
def test_server_answers_like_the_recording(server, scenario):
    setup_client = RawClient(server.port)
    try:
        setup = _UdfSetup(setup_client)
        setup.registry_as_recorded()
        if scenario["setup"].strip():
            exec(compile(scenario["setup"], "<setup>", "exec"), setup.names())
    finally:
        setup_client.close()
    clients: dict[int, RawClient] = {}
    try:
        for n, exchange in enumerate(scenario["exchanges"]):
            conn = clients.get(exchange["conn"])
            if conn is None:
                conn = clients[exchange["conn"]] = RawClient(server.port)
            request = bytes.fromhex(exchange["request"])
            conn.sock.sendall(request)
            responses = [bytes.fromhex(r) for r in exchange["responses"]]
            if parse_proto_header(request)[0] == MSG_INFO:
                assert len(responses) == 1
                mtype, payload = conn.read_frame()
                assert mtype == MSG_INFO
                want = parse_info_response(responses[0][8:])
                got = parse_info_response(payload)
                assert got == want, f"exchange {n}"
                continue
            want_msgs: list[Message] = []
            for r in responses:
                want_msgs.extend(parse_messages(r[8:]))
            streamed = bool(want_msgs) and bool(want_msgs[-1].info3 & INFO3_LAST)
            got_msgs = _read_answer(conn, streamed, len(responses))
            assert all(parse_proto_header(r)[0] == MSG_AS for r in responses)
            assert sorted(map(repr, map(lambda m: _comparable(m, False), got_msgs))) == \
                sorted(map(repr, map(lambda m: _comparable(m, False), want_msgs))), \
                f"exchange {n}"
    finally:
        for c in clients.values():
            c.close()


def test_every_udf_management_scenario_is_checked():
    ids = {p.id for p in _scenarios()}
    assert {"udf/put", "udf/put_bad_syntax", "udf/get_missing", "udf/list_raw",
            "udf/remove_missing", "truncate/future_nanos", "truncate/set_then_scan",
            "strops/upper", "udf/apply_fail", "udf/apply_set_bin", "udf/apply_key_send",
            "udf/apply_ttl_policy", "udf/apply_missing_function",
            "errors/udf_runtime"} <= ids
