"""The embedded server answers the recorded requests of AREAS as the real server did.

For each scenario whose setup only calls ``reset(...)``, ``client.operate(...)`` or
``client.put(...)``, the setup is performed with raw requests, then the recorded requests
are sent in order and every reply is compared with the recorded one, field by field (a record ttl is compared only as "expires or not",
since it is a void time that depends on when the record was written).
"""
from __future__ import annotations

import ast
import base64
import math
import time
import types
from typing import Any

import pytest

import vectors
from aerospike_async import constants
from aerospike_async.protocol.digest import compute_digest, key_bytes
from aerospike_async.protocol.framing import MSG_AS, parse_proto_header
from aerospike_async.protocol.message import (
    FIELD_DIGEST, FIELD_KEY, FIELD_NAMESPACE, FIELD_SET, INFO1_GET_ALL, INFO1_READ,
    INFO2_DELETE, INFO2_RESPOND_ALL_OPS, INFO2_WRITE, Message, field_bytes, parse_messages,
)
from aerospike_async.protocol.operations import encode_operation
from aerospike_async.protocol.particles import decode_particle
from aerospike_async.protocol.record import encode_command
from aerospike_async.testing import EmbeddedServer
from aerospike_async.types import GeoJSON
from aerospike_helpers import cdt_ctx
from aerospike_helpers.operations import hll_operations, list_operations, map_operations
from server_raw import RawClient, write_op

AREAS = ("kv", "operate", "list", "map", "path", "expressions", "expop", "bit", "hll")
_AEROSPIKE = types.SimpleNamespace(
    **{k: getattr(constants, k) for k in dir(constants) if k.isupper()}, GeoJSON=GeoJSON)
_EVAL_NAMES = {"aerospike": _AEROSPIKE, "bytearray": bytearray, "__builtins__": {},
               "list_operations": list_operations, "map_operations": map_operations,
               "cdt_ctx": cdt_ctx, "hll_operations": hll_operations}


def _is_client_call(call: ast.Call, method: str) -> bool:
    return (isinstance(call.func, ast.Attribute) and call.func.attr == method
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "client")


def _is_operate(call: ast.Call) -> bool:
    """``client.operate(key, [list/map operations])``: run in setup through our encoder."""
    return _is_client_call(call, "operate")


class _SetupReader:
    """``client`` in the arguments of a setup ``client.put``: ``get`` reads the record
    from the embedded server (values as the official client returns them)."""

    def __init__(self, raw: RawClient) -> None:
        self.raw = raw

    def get(self, key: tuple) -> tuple:
        reply = self.raw.command(Message(info1=INFO1_READ | INFO1_GET_ALL,
                                         fields=_key_fields(key)))
        assert reply.result_code == 0, "setup get failed"
        bins = {o.name: decode_particle(o.particle_type, o.value) for o in reply.ops}
        return key, {"gen": reply.generation}, bins


def _reset_calls(setup: str) -> list[tuple[list[Any], dict[str, Any]]] | None:
    """The arguments of each ``reset(...)`` (or setup ``client.operate(...)``) call of a
    setup, or None if it does more."""
    calls = []
    for stmt in ast.parse(setup).body:
        call = stmt.value if isinstance(stmt, ast.Expr) else None
        if isinstance(call, ast.Call) and _is_operate(call):
            args = [eval(compile(ast.Expression(a), "<setup>", "eval"), _EVAL_NAMES)
                    for a in call.args]
            calls.append((args, {"operate": True}))
            continue
        if isinstance(call, ast.Call) and _is_client_call(call, "put") and not call.keywords:
            # evaluated when run: its arguments may read what the setup wrote
            calls.append(([call], {"put": True}))
            continue
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "ensure_udf"):
            path = eval(compile(ast.Expression(call.args[0]), "<setup>", "eval"), _EVAL_NAMES)
            calls.append(([path], {"udf": True}))
            continue
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                and call.func.id == "reset"):
            return None
        args = [eval(compile(ast.Expression(a), "<setup>", "eval"), _EVAL_NAMES)
                for a in call.args]
        kwargs = {k.arg: eval(compile(ast.Expression(k.value), "<setup>", "eval"),
                              _EVAL_NAMES) for k in call.keywords}
        calls.append((args, kwargs))
    return calls


def _scenarios() -> list[Any]:
    out = []
    for area in AREAS:
        for sc in vectors.load(area):
            if not sc["exchanges"]:
                continue  # a client-side outcome
            calls = _reset_calls(sc["setup"]) if sc["setup"].strip() else []
            out.append(pytest.param(sc, calls, id=sc["id"]))
    return out


def _key_fields(key: tuple) -> list[tuple[int, bytes]]:
    ns, set_name, user_key = key[:3]
    digest = key[3] if len(key) > 3 else compute_digest(set_name, user_key)
    return [(FIELD_NAMESPACE, ns.encode()), (FIELD_SET, (set_name or "").encode()),
            (FIELD_DIGEST, bytes(digest))]


def _reset(client: RawClient, key: tuple, bins: dict | None = None, meta: dict | None = None,
           policy: dict | None = None) -> None:
    """What the recording's reset() did: remove the record, then write ``bins`` if given."""
    fields = _key_fields(key)
    client.command(Message(info2=INFO2_WRITE | INFO2_DELETE, fields=fields))
    if bins is None:
        return
    if (policy or {}).get("key") == constants.POLICY_KEY_SEND:
        ktype, kbytes = key_bytes(key[2])
        fields = fields + [(FIELD_KEY, bytes((ktype,)) + kbytes)]
    ttl = (meta or {}).get("ttl", 0) & 0xFFFFFFFF
    reply = client.command(Message(info2=INFO2_WRITE, expiration=ttl, fields=fields,
                                   ops=[write_op(n, v) for n, v in bins.items()]))
    assert reply.result_code == 0


def _operate(client: RawClient, key: tuple, ops: list, operate: bool = True) -> None:
    """A setup ``client.operate``: the operations (list, map, HLL) as our client encodes
    them."""
    encoded = [encode_operation(op) for op in ops]
    writes = any(e.writes for e in encoded)
    info2 = (INFO2_WRITE if writes else 0) | (
        INFO2_RESPOND_ALL_OPS if any(e.respond_all for e in encoded) else 0)
    fields = b"".join(field_bytes(t, d) for t, d in _key_fields(key))
    request = encode_command(0, info2, 0, 0, 0, 0, 1000, fields, 3,
                             b"".join(e.data for e in encoded), len(encoded))
    mtype, payload = client.send_raw(request)
    assert mtype == MSG_AS and payload[5] == 0, "setup operate failed"


def _put(client: RawClient, call: ast.Call, put: bool = True) -> None:
    """A setup ``client.put(key, bins)``, its arguments evaluated now."""
    names = dict(_EVAL_NAMES, client=_SetupReader(client))
    key, bins = (eval(compile(ast.Expression(a), "<setup>", "eval"), names)
                 for a in call.args)
    reply = client.command(Message(info2=INFO2_WRITE, fields=_key_fields(key),
                                   ops=[write_op(n, v) for n, v in bins.items()]))
    assert reply.result_code == 0, "setup put failed"


def _ensure_udf(client: RawClient, path: str, udf: bool = True) -> None:
    """A setup ``ensure_udf(path)``: register the module (``udf-put``)."""
    data = (vectors.VECTORS / path).read_bytes()
    encoded = base64.b64encode(data).decode()
    name = path.rsplit("/", 1)[-1]
    answer = client.info(f"udf-put:filename={name};content={encoded};"
                         f"content-len={len(encoded)};udf-type=LUA;")
    assert next(iter(answer.values())) == "ok", answer


def _comparable(msg: Message) -> tuple:
    return (msg.info1, msg.info2, msg.info3, msg.info4, msg.result_code, msg.generation,
            msg.expiration != 0, msg.timeout, msg.fields,
            [(o.op, o.particle_type, o.name, o.value) for o in msg.ops])


class _SecondStartClock:
    """The wall clock, moved ahead to the start of a second before each scenario.

    A scenario runs in milliseconds, so its setup and call then fall in one second, as
    they did when recorded: a record written with ttl 1000 reads back ttl 1000, not 999
    because a second turned in between. Moving only past mid-second keeps it near time.
    """

    def __init__(self) -> None:
        self._ahead = 0.0

    def __call__(self) -> float:
        return time.time() + self._ahead

    def start_second(self) -> None:
        now = self()
        if now % 1 > 0.5:
            self._ahead += math.ceil(now) - now


_CLOCK = _SecondStartClock()


@pytest.fixture(scope="module")
def server():
    with EmbeddedServer.run_in_thread(clock=_CLOCK) as srv:
        yield srv


@pytest.mark.parametrize("scenario,resets", _scenarios())
def test_server_answers_like_the_recording(server, scenario, resets):
    assert resets is not None, "the setup interpreter does not know this setup's calls"
    _CLOCK.start_second()
    setup_client = RawClient(server.port)
    for args, kwargs in resets:
        run = (_put if kwargs.get("put") else _operate if kwargs.get("operate")
               else _ensure_udf if kwargs.get("udf") else _reset)
        run(setup_client, *args, **kwargs)
    setup_client.close()
    clients: dict[int, RawClient] = {}
    try:
        for n, exchange in enumerate(scenario["exchanges"]):
            conn = clients.get(exchange["conn"])
            if conn is None:
                conn = clients[exchange["conn"]] = RawClient(server.port)
            conn.sock.sendall(bytes.fromhex(exchange["request"]))
            for want_hex in exchange["responses"]:
                got_type, got = conn.read_frame()
                want = bytes.fromhex(want_hex)
                want_type, _size = parse_proto_header(want)
                assert got_type == want_type, f"exchange {n}: message type"
                if want_type == MSG_AS:
                    got_msgs = [_comparable(m) for m in parse_messages(got)]
                    want_msgs = [_comparable(m) for m in parse_messages(want[8:])]
                    assert got_msgs == want_msgs, f"exchange {n}"
                else:
                    assert got == want[8:], f"exchange {n}"
    finally:
        for c in clients.values():
            c.close()
