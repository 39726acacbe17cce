"""The embedded server answers the recorded batch, scan, query and sindex requests as the
real server did.

Each scenario's setup runs against the embedded server with raw requests and info
commands (reset, reset_set, ensure_index, drop_index, ...), then the recorded requests
are sent in order and the answers compared with the recorded ones, modulo what the
wire-vector README says varies between runs of the real server:

- multi-record answers (scans, queries, batches) are compared as multisets of AS_MSGs,
  whatever their grouping into proto messages and their order; a recording that ends
  before the LAST message (the client stopped reading) must be contained in our answer;
- when the request caps the records (max_records), which records come back depends on
  the server's threads: only their number is compared;
- a record ttl is compared as "expires or not";
- ``query-show`` and ``sindex-stat`` carry statistics: only their stable parts are
  compared (job identity and type, status done or active; load_pct=100);
- GeoJSON regions are compared by their JSON text, and BVAL of geo queries is not
  compared: the real server stores the S2 cells covering a region and answers the cell
  that matched, which the embedded server does not compute (it matches the geometry
  directly).
"""
from __future__ import annotations

import base64
import types
from collections import Counter
from typing import Any

import pytest

import vectors
from aerospike_async import constants
from aerospike_async.protocol import cdt
from aerospike_async.protocol.digest import compute_digest, key_bytes
from aerospike_async.protocol.expressions import encode_expression
from aerospike_async.protocol.framing import MSG_AS, MSG_INFO, parse_proto_header
from aerospike_async.protocol.info import parse_info_response
from aerospike_async.protocol.message import (
    FIELD_BVAL_ARRAY, FIELD_DIGEST, FIELD_INDEX_RANGE, FIELD_KEY, FIELD_MAX_RECORDS,
    FIELD_NAMESPACE, FIELD_SET, INFO2_DELETE, INFO2_WRITE, INFO3_LAST, Message,
    parse_messages,
)
from aerospike_async.protocol.particles import PARTICLE_GEOJSON
from aerospike_async.testing import EmbeddedServer
from aerospike_async.testing.sindex import geo_particle_text
from aerospike_async.types import GeoJSON
from aerospike_helpers import expressions as exp
from server_raw import RawClient, write_op

AREAS = ("batch", "scan", "query", "sindex")

_AEROSPIKE = types.SimpleNamespace(
    **{k: getattr(constants, k) for k in dir(constants) if k.isupper()}, GeoJSON=GeoJSON,
    exception=types.SimpleNamespace(IndexFoundError=type("IndexFoundError", (Exception,), {})))
_CDT_CTX = types.SimpleNamespace(cdt_ctx_map_key=lambda key: (0x22, key),
                                 cdt_ctx_list_index=lambda index: (0x10, index))
_KTYPES = {constants.INDEX_NUMERIC: "NUMERIC", constants.INDEX_STRING: "STRING",
           constants.INDEX_BLOB: "BLOB", constants.INDEX_GEO2DSPHERE: "GEO2DSPHERE"}
_ITYPES = {constants.INDEX_TYPE_DEFAULT: "", constants.INDEX_TYPE_LIST: "LIST",
           constants.INDEX_TYPE_MAPKEYS: "MAPKEYS", constants.INDEX_TYPE_MAPVALUES: "MAPVALUES"}


def _scenarios() -> list[Any]:
    out = []
    for area in AREAS:
        for sc in vectors.load(area):
            if not sc["exchanges"]:
                continue
            out.append(pytest.param(sc, id=sc["id"]))
    return out


class _Setup:
    """The recording's setup helpers, performed with raw requests and info commands."""

    def __init__(self, client: RawClient) -> None:
        self.c = client

    def reset(self, key: tuple, bins: dict | None = None, meta: dict | None = None,
              policy: dict | None = None) -> None:
        ns, set_name, user_key = key[:3]
        digest = compute_digest(set_name, user_key)
        fields = [(FIELD_NAMESPACE, ns.encode()), (FIELD_SET, (set_name or "").encode()),
                  (FIELD_DIGEST, digest)]
        self.c.command(Message(info2=INFO2_WRITE | INFO2_DELETE, fields=fields))
        if bins is None:
            return
        if (policy or {}).get("key") == constants.POLICY_KEY_SEND:
            ktype, kbytes = key_bytes(user_key)
            fields = fields + [(FIELD_KEY, bytes((ktype,)) + kbytes)]
        ttl = (meta or {}).get("ttl", 0) & 0xFFFFFFFF
        answer = self.c.command(Message(info2=INFO2_WRITE, expiration=ttl, fields=fields,
                                        ops=[write_op(n, v) for n, v in bins.items()]))
        assert answer.result_code == 0

    def reset_set(self, set_name: str, records: list, policy: dict | None = None) -> None:
        for k, bins in records:
            self.reset(("test", set_name, k), bins, None, policy)

    def index_exists(self, name: str, ns: str = "test") -> bool:
        listing = self.c.info(f"sindex-list:ns={ns}")
        return f"indexname={name}:" in next(iter(listing.values()))

    def drop_index(self, name: str, ns: str = "test") -> None:
        self.c.info(f"sindex-delete:namespace={ns};indexname={name}")

    def ensure_index(self, kind: str, set_name: str, bin_name: str, name: str, *extra: Any,
                     ns: str = "test") -> None:
        if self.index_exists(name, ns):
            return
        itype = {"list": "LIST", "mapkeys": "MAPKEYS", "mapvalues": "MAPVALUES"}.get(kind)
        if itype is None:
            ktype = {"integer": "NUMERIC", "string": "STRING", "geo2dsphere": "GEO2DSPHERE",
                     "blob": "BLOB"}[kind]
            spec = f"bin={bin_name};type={ktype}"
        else:
            ktype = {constants.INDEX_NUMERIC: "NUMERIC", constants.INDEX_STRING: "STRING",
                     constants.INDEX_BLOB: "BLOB",
                     constants.INDEX_GEO2DSPHERE: "GEO2DSPHERE"}[extra[0]]
            spec = f"indextype={itype};bin={bin_name};type={ktype}"
        answer = self.c.info(f"sindex-create:namespace={ns};set={set_name};indexname={name};"
                             f"{spec}")
        assert next(iter(answer.values())) == "ok"

    def index_cdt_create(self, ns: str, set_name: str, bin_name: str, itype: int, ktype: int,
                         name: str, ctx: list) -> None:
        packed = base64.b64encode(cdt.pack([x for item in ctx for x in item])).decode()
        kind = f"indextype={_ITYPES[itype]};" if _ITYPES[itype] else ""
        self.c.info(f"sindex-create:namespace={ns};set={set_name};indexname={name};"
                    f"context={packed};{kind}bin={bin_name};type={_KTYPES[ktype]}")

    def index_expr_create(self, ns: str, set_name: str | None, itype: int, ktype: int,
                          compiled: Any, name: str) -> None:
        """The info command the official client (C client 7.x, server 8.1.2) sends."""
        packed = base64.b64encode(encode_expression(compiled)).decode()
        kind = f";indextype={_ITYPES[itype]}" if _ITYPES[itype] else ""
        set_part = f";set={set_name}" if set_name else ""
        answer = self.c.info(f"sindex-create:namespace={ns}{set_part};indexname={name};"
                             f"exp={packed}{kind};type={_KTYPES[ktype]}")
        value = next(iter(answer.values()))
        if value.startswith("ERROR:200:"):
            raise _AEROSPIKE.exception.IndexFoundError(value)
        assert value == "ok", value

    def ensure_udf(self, path: str) -> None:
        """Register a module of the wire-vectors directory (``udf-put``)."""
        encoded = base64.b64encode((vectors.VECTORS / path).read_bytes()).decode()
        name = path.rsplit("/", 1)[-1]
        answer = self.c.info(f"udf-put:filename={name};content={encoded};"
                             f"content-len={len(encoded)};udf-type=LUA;")
        assert next(iter(answer.values())) == "ok", answer

    def names(self) -> dict[str, Any]:
        return {"reset": self.reset, "reset_set": self.reset_set,
                "ensure_index": self.ensure_index, "drop_index": self.drop_index,
                "index_exists": self.index_exists, "wait_index_ready": lambda *a, **k: None,
                "wait_index_gone": lambda *a, **k: None, "aerospike": _AEROSPIKE,
                "ensure_udf": self.ensure_udf, "cdt_ctx": _CDT_CTX,
                "exp": exp,
                "client": types.SimpleNamespace(index_cdt_create=self.index_cdt_create,
                                                index_expr_create=self.index_expr_create)}


def _normal_ops(msg: Message) -> list[tuple]:
    ops = []
    for o in msg.ops:
        value = o.value
        if o.particle_type == PARTICLE_GEOJSON and len(value) >= 3:
            value = geo_particle_text(value)
        ops.append((o.op, o.particle_type, o.name, value))
    return ops


def _comparable(msg: Message, geo_query: bool) -> tuple:
    fields = [(t, d) for t, d in msg.fields if not (geo_query and t == FIELD_BVAL_ARRAY)]
    return (msg.info1, msg.info2, msg.info3, msg.info4, msg.result_code, msg.generation,
            msg.expiration != 0, msg.timeout, tuple(fields), tuple(_normal_ops(msg)))


def _read_answer(conn: RawClient, until_last: bool, frames: int) -> list[Message]:
    """Our answer: every AS_MSG up to LAST, or ``frames`` whole messages."""
    msgs: list[Message] = []
    if not until_last:
        for _ in range(frames):
            mtype, payload = conn.read_frame()
            assert mtype == MSG_AS
            msgs.extend(parse_messages(payload))
        return msgs
    while True:
        mtype, payload = conn.read_frame()
        assert mtype == MSG_AS
        batch = parse_messages(payload)
        msgs.extend(batch)
        if batch and batch[-1].info3 & INFO3_LAST:
            return msgs


def _compare_info(want: str, got: str, n: int) -> None:
    want_d = parse_info_response(want.encode())
    got_d = parse_info_response(got.encode())
    assert list(want_d) == list(got_d), f"exchange {n}: info commands"
    for cmd, want_v in want_d.items():
        got_v = got_d[cmd]
        if want_v.startswith("ERROR") or cmd.startswith(("sindex-create", "sindex-delete")):
            assert got_v == want_v, f"exchange {n}: {cmd}"
        elif cmd.startswith("sindex-stat"):
            assert "load_pct=100" in got_v, f"exchange {n}: {cmd}"
        elif cmd.startswith(("query-show", "scan-show")):
            want_f = dict(p.partition("=")[::2] for p in want_v.split(":"))
            got_f = dict(p.partition("=")[::2] for p in got_v.split(":"))
            for key in ("trid", "ns", "set", "sindex-name", "job-type", "udf-filename",
                        "udf-function"):
                assert got_f.get(key) == want_f.get(key), f"exchange {n}: {cmd} {key}"
            assert got_f["status"] in ("done(ok)", "active(ok)")
        else:
            assert got_v == want_v, f"exchange {n}: {cmd}"


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread() as srv:
        yield srv


@pytest.mark.parametrize("scenario", _scenarios())
def test_server_answers_like_the_recording(server, scenario):
    setup_client = RawClient(server.port)
    try:
        if scenario["setup"].strip():
            exec(compile(scenario["setup"], "<setup>", "exec"), _Setup(setup_client).names())
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
                _compare_info(responses[0][8:].decode(), payload.decode(), n)
                continue
            req = parse_messages(request[8:])[0]
            want: list[Message] = []
            for r in responses:
                want.extend(parse_messages(r[8:]))
            complete = bool(want) and bool(want[-1].info3 & INFO3_LAST)
            streamed = complete or any(m.info3 == 0 and m.fields for m in want)
            got = _read_answer(conn, streamed or not want, len(responses))
            rng = req.field(FIELD_INDEX_RANGE)
            geo_query = rng is not None and bytes([PARTICLE_GEOJSON]) in rng[:3 + rng[1]]
            if req.field(FIELD_MAX_RECORDS) is not None:
                records = [m for m in got if not m.info3]
                want_records = [m for m in want if not m.info3]
                assert len(records) == len(want_records), f"exchange {n}: record count"
                assert [m.result_code for m in got if m.info3 & INFO3_LAST] == \
                    [m.result_code for m in want if m.info3 & INFO3_LAST]
                continue
            got_c = Counter(_comparable(m, geo_query) for m in got)
            want_c = Counter(_comparable(m, geo_query) for m in want)
            if complete:
                assert got_c == want_c, f"exchange {n}"
            else:
                assert not want_c - got_c, f"exchange {n}: recorded messages missing"
            if not complete and want:
                conn.close()   # the client stopped reading: drop the rest of the stream
                del clients[exchange["conn"]]
    finally:
        for c in clients.values():
            c.close()
