"""Our client, answered with the recorded replies, returns the recorded outcome.

For each scenario of the areas below, the scenario's ``call`` (not its
``setup``, whose traffic was not recorded) runs through the sync drop-in
``aerospike`` against a scripted fake node (``tests/fake_node.py``) that
answers the tender's info requests as a one-node server and answers each
AS_MSG request with the recorded replies of the next exchange. Checked:

1. every request our client sent equals the recorded one byte for byte
   (nothing in single-record requests varies between runs, README "What varies");
2. as many requests as recorded exchanges (none for client-side errors);
3. the outcome: errors by class name, code and in_doubt (messages compared
   after putting our node's address in place of the recording's
   ``127.0.0.1:3300``; message differences alone are printed, not failed);
   values by repr, with 'now' frozen at the recording time so that the ttl
   derived from a recorded void time comes out as recorded.

Every area but batch, scan, query and sindex (those are in test_client_vectors_bsq.py).

Info calls, UDF module management (udf_put/get/list/remove) and truncate talk info: the
fake node answers the call's own info requests from the recording too
(``ScriptedInfoNode``), and those requests must equal the recorded ones (the waits of
udf_put/udf_remove poll ``udf-list``; the recordings show one poll each). Calls run
in the wire-vectors directory, where ``udf/*.lua`` lie.
"""
from __future__ import annotations

import collections
import json
import os
import re
import time
from typing import Any
from unittest import mock

import pytest
import vectors
from fake_node import FakeNode

from aerospike_async.protocol.framing import MSG_AS, MSG_COMPRESSED, MSG_INFO, decompress
from aerospike_async.protocol.info import encode_info_response, parse_info_request
from aerospike_async.protocol.message import FIELD_TASK_ID, parse_message, parse_messages
from aerospike_async.protocol.record import CITRUSLEAF_EPOCH, TTL_NEVER

AREAS = ("kv", "operate", "operate_ordered", "digest", "list", "map", "path", "expressions",
         "expop", "b64", "bit", "hll")
RECORDED_NODE = "127.0.0.1:3300"
POLICY_KINDS = ("read", "write", "operate", "apply", "remove", "batch")

# info commands a call itself sends (UDF modules, truncate): answered from the recording
_CALL_INFO = ("udf-", "truncate")


def _scenarios() -> list[Any]:
    out = [sc for area in AREAS for sc in vectors.load(area)]
    out += list(vectors.load("badinput"))
    out += list(vectors.load("strops"))
    out += list(vectors.load("udf"))
    out += list(vectors.load("truncate"))
    out += list(vectors.load("admin"))
    out += list(vectors.load("errors"))
    out += list(vectors.load("info"))
    return [pytest.param(sc, id=sc["id"]) for sc in out]


# -- the recorded 'now' ----------------------------------------------------------------------
_TTL = re.compile(r"'ttl': (\d+)")


def _void_times(sc: dict) -> list[int]:
    """Non-zero record void times in the recorded replies."""
    voids = []
    for ex in sc["exchanges"]:
        for raw in map(bytes.fromhex, ex["responses"]):
            if raw[1] == MSG_COMPRESSED:
                raw = decompress(raw[8:])
            if raw[1] == MSG_AS:
                voids += [m.expiration for m in parse_messages(raw[8:]) if m.expiration]
    return voids


def recording_now(sc: dict) -> int | None:
    """The recording's clock (seconds since 2010-01-01) when the client turned the void
    time of the last record it read into the recorded ttl: ``void_time - ttl``."""
    ttls = [int(t) for t in _TTL.findall(sc["outcome"].get("ok", "")) if int(t) != TTL_NEVER]
    voids = _void_times(sc)
    if not voids:
        return None
    if not ttls:
        # no ttl in the outcome: the record ttl a request set, if any (written just before)
        ttls = [m.expiration for ex in sc["exchanges"]
                for m in parse_messages(bytes.fromhex(ex["request"])[8:])
                if bytes.fromhex(ex["request"])[1] == MSG_AS and 0 < m.expiration < TTL_NEVER]
        if not ttls:
            return None
    return voids[-1] - ttls[-1]


# -- running a call --------------------------------------------------------------------------
def _make_ns(client: Any) -> dict[str, Any]:
    """The names the recording's call code sees (replay.py make_ns, our modules)."""
    import aerospike
    from aerospike import exception, predicates

    import aerospike_helpers
    import aerospike_helpers.expressions as exp
    from aerospike_helpers import cdt_ctx
    from aerospike_helpers.batch import records as batch_records
    from aerospike_helpers.operations import (
        bitwise_operations,
        expression_operations,
        hll_operations,
        list_operations,
        map_operations,
        operations,
    )
    ns = {"aerospike": aerospike, "exception": exception, "predicates": predicates,
          "client": client, "time": time, "aerospike_helpers": aerospike_helpers, "exp": exp,
          "cdt_ctx": cdt_ctx, "batch_records": batch_records, "operations": operations,
          "list_operations": list_operations, "map_operations": map_operations,
          "bitwise_operations": bitwise_operations, "hll_operations": hll_operations,
          "expression_operations": expression_operations}
    try:
        from aerospike_helpers.operations import string_operations
        ns["string_operations"] = string_operations
    except ImportError:
        pass
    return ns


def _run_code(code: str, ns: dict[str, Any]) -> Any:
    """An expression yields its value; a statement block yields ``result``."""
    code = code.strip()
    try:
        compiled = compile(code, "<call>", "eval")
    except SyntaxError:
        ns.pop("result", None)
        exec(compile(code, "<call>", "exec"), ns)
        return ns.get("result")
    return eval(compiled, ns)


def _outcome_of(fn: Any) -> dict[str, Any]:
    from aerospike import exception
    try:
        return {"ok": repr(fn())}
    except exception.AerospikeError as e:
        return {"error": type(e).__name__, "code": e.code, "msg": e.msg,
                "in_doubt": getattr(e, "in_doubt", None)}
    except Exception as e:  # noqa: BLE001 - TypeError and the like, as the recording did
        return {"error": type(e).__name__, "code": None, "msg": str(e), "in_doubt": None}


# -- describing request differences --------------------------------------------------------
def _short(data: bytes, limit: int = 48) -> str:
    return data[:limit].hex() + (f"...({len(data)} bytes)" if len(data) > limit else "")


def _bytes_diff(want: bytes, have: bytes) -> str:
    """Where two byte strings part: lengths, first differing offset and a little context."""
    at = next((i for i, (a, b) in enumerate(zip(want, have)) if a != b), min(len(want), len(have)))
    lo = max(at - 8, 0)
    return (f"{len(want)} vs {len(have)} bytes, first difference at {at}: "
            f"recorded ..{want[lo:at + 16].hex()}.. ours ..{have[lo:at + 16].hex()}..")


def _unwrap(raw: bytes) -> tuple[str, bytes]:
    if raw[1] == MSG_COMPRESSED:
        return "compressed ", decompress(raw[8:])
    return "", raw


def _message_diff(want_raw: bytes, have_raw: bytes) -> str:
    """The fields of an AS_MSG that differ, briefly (falls back to a byte diff)."""
    outer = (want_raw, have_raw)
    wk, want_raw = _unwrap(want_raw)
    hk, have_raw = _unwrap(have_raw)
    lines = [] if wk == hk else [f"recorded is {wk or 'plain'}, ours is {hk or 'plain'}"]
    try:
        want, = parse_messages(want_raw[8:])
        have, = parse_messages(have_raw[8:])
    except Exception:  # noqa: BLE001 - not one decodable AS_MSG: show bytes
        return "; ".join(lines + [_bytes_diff(want_raw, have_raw)])
    for attr in ("info1", "info2", "info3", "info4", "result_code", "generation", "expiration",
                 "timeout"):
        a, b = getattr(want, attr), getattr(have, attr)
        if a != b:
            lines.append(f"header {attr}: recorded {a}, ours {b}")
    if [f[0] for f in want.fields] != [f[0] for f in have.fields]:
        lines.append(f"field types: recorded {[f[0] for f in want.fields]}, "
                     f"ours {[f[0] for f in have.fields]}")
    for (t, a), (_, b) in zip(want.fields, have.fields):
        if a != b:
            lines.append(f"field {t}: {_bytes_diff(a, b)}")
    if len(want.ops) != len(have.ops):
        lines.append(f"op count: recorded {len(want.ops)}, ours {len(have.ops)}")
    for i, (a, b) in enumerate(zip(want.ops, have.ops)):
        for attr in ("op", "particle_type", "name"):
            if getattr(a, attr) != getattr(b, attr):
                lines.append(f"op {i} {attr}: recorded {getattr(a, attr)!r}, "
                             f"ours {getattr(b, attr)!r}")
        if a.value != b.value:
            lines.append(f"op {i} value: {_bytes_diff(a.value, b.value)}")
    if not lines:  # same decoded content, different bytes: the compressed stream
        lines.append("same message, compressed differently: " + _bytes_diff(*outer))
    return "; ".join(lines)


def _describe(raw: bytes) -> str:
    try:
        kind, raw = _unwrap(raw)
        return kind + ", ".join(
            f"info={m.info1},{m.info2},{m.info3} fields={[f[0] for f in m.fields]} "
            f"ops={[(o.op, o.name) for o in m.ops]}" for m in parse_messages(raw[8:]))
    except Exception:  # noqa: BLE001
        return _short(raw)


def _request_diffs(recorded: list[bytes], got: list[bytes]) -> list[str]:
    out = []
    if len(got) != len(recorded):
        out.append(f"sent {len(got)} request(s), recorded {len(recorded)}")
    for i, (want, have) in enumerate(zip(recorded, got)):
        if want != have:
            out.append(f"request {i} differs: {_message_diff(want, have)}")
    for i, have in enumerate(got[len(recorded):], len(recorded)):
        out.append(f"extra request {i}: {_describe(have)}")
    return out


# -- fixtures --------------------------------------------------------------------------------
MESSAGE_DIFFERENCES: list[str] = []


class ScriptedInfoNode(FakeNode):
    """A fake node that also answers the call's own info requests with the recorded
    replies, in order, and records them: a request equal to the next recorded one, or any
    ``udf-*``/``truncate*`` request (so that a wrong one shows); tending is answered as
    FakeNode does."""

    def __init__(self, call_info: tuple[str, ...] = _CALL_INFO) -> None:
        super().__init__()
        # (request payload or None, reply): a request equal to the head's payload, or any
        # info command starting with one of ``call_info``, gets the head's reply
        self.info_script: collections.deque[tuple[bytes | None, bytes]] = collections.deque()
        self.info_requests: list[bytes] = []
        self.call_info = call_info

    def _info_reply(self, payload: bytes) -> bytes:
        commands = parse_info_request(payload)
        with self._lock:
            scripted = self.info_script and self.info_script[0][0] == payload
            if scripted or (commands and any(c.startswith(self.call_info) for c in commands)):
                self.info_requests.append(payload)
                if self.info_script:
                    return self.info_script.popleft()[1]
                return encode_info_response([(c, "ERROR::unscripted") for c in commands])
        return super()._info_reply(payload)


def _mask_task_id(raw: bytes) -> bytes:
    """An AS_MSG request with its task id field zeroed (random per scan)."""
    if raw[1] != MSG_AS:
        return raw
    msg, _ = parse_message(raw[8:])
    out, pos = bytearray(raw), 8 + 22
    for ftype, data in msg.fields:
        if ftype == FIELD_TASK_ID:
            out[pos + 5:pos + 5 + len(data)] = bytes(len(data))
        pos += 5 + len(data)
    return bytes(out)


@pytest.fixture(scope="module")
def node():
    fake = ScriptedInfoNode().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def clients(node):
    import aerospike
    made: dict[str, Any] = {}

    def client_for(extra: dict | None) -> Any:
        key = json.dumps(extra or {}, sort_keys=True)
        if key not in made:
            cfg: dict[str, Any] = {"hosts": [("127.0.0.1", node.port)],
                                   "policies": {k: {"total_timeout": 5000} for k in POLICY_KINDS}}
            for k, v in (extra or {}).items():
                cfg[k] = getattr(aerospike, v) if isinstance(v, str) and hasattr(aerospike, v) else v
            made[key] = aerospike.client(cfg)
        return made[key]

    yield client_for
    for c in made.values():
        c.close()
    if MESSAGE_DIFFERENCES:
        print("\nerror messages that differ from the recording (class and code match):")
        for line in MESSAGE_DIFFERENCES:
            print("  " + line)


def _norm(text: str, port: int) -> str:
    return (text.replace(RECORDED_NODE, f"127.0.0.1:{port}")
            .replace("('127.0.0.1', 3300)", f"('127.0.0.1', {port})")
            .replace("'port': 3300", f"'port': {port}"))


@pytest.mark.parametrize("sc", _scenarios())
def test_client_answers_as_recorded(sc, node, clients):
    client = clients(sc.get("client_config"))
    ns = _make_ns(client)
    as_msgs = [ex for ex in sc["exchanges"] if ex["type"] != MSG_INFO]
    infos = [ex for ex in sc["exchanges"] if ex["type"] == MSG_INFO]
    recorded = [_mask_task_id(bytes.fromhex(ex["request"])) for ex in as_msgs]
    node.script([[bytes.fromhex(r) for r in ex["responses"]] for ex in as_msgs])
    node.info_script = collections.deque((bytes.fromhex(ex["request"])[8:],
                                          bytes.fromhex(ex["responses"][0])) for ex in infos)
    node.info_requests = []

    now = recording_now(sc)
    here = os.getcwd()
    os.chdir(vectors.VECTORS)  # udf_put('udf/vec_tmp.lua') and the like
    try:
        if now is None:
            got = _outcome_of(lambda: _run_code(sc["call"], ns))
        else:
            frozen = CITRUSLEAF_EPOCH + now + 0.5
            with mock.patch("time.time", lambda: frozen):
                got = _outcome_of(lambda: _run_code(sc["call"], ns))
    finally:
        os.chdir(here)

    problems = _request_diffs(recorded, [_mask_task_id(r) for r in node.requests])
    want_info = [bytes.fromhex(ex["request"])[8:] for ex in infos]
    if node.info_requests != want_info:
        problems.append(f"info requests differ:\n  recorded {want_info}\n  ours     "
                        f"{node.info_requests}")
    want = sc["outcome"]
    if "ok" in want:
        if got.get("ok") is None or _norm(want["ok"], node.port) != got["ok"]:
            problems.append(f"outcome differs:\n  recorded {want}\n  ours     {got}")
    else:
        same = (got.get("error") == want["error"] and got.get("code") == want["code"]
                and got.get("in_doubt") == want["in_doubt"])
        if not same:
            problems.append(f"outcome differs:\n  recorded {want}\n  ours     {got}")
        elif _norm(want["msg"] or "", node.port) != (got.get("msg") or ""):
            MESSAGE_DIFFERENCES.append(f"{sc['id']}: recorded {want['msg']!r}, ours {got['msg']!r}")
    assert not problems, "\n".join(problems)


def test_recording_now_is_void_time_minus_ttl():
    sc = next(s for s in vectors.load("kv") if s["id"] == "kv/ttl_100")
    assert recording_now(sc) == _void_times(sc)[-1] - 100
    never = next(s for s in vectors.load("kv") if s["id"] == "kv/ttl_never_expire")
    assert recording_now(never) is None


def test_a_changed_request_byte_is_reported():
    sc = next(s for s in vectors.load("kv") if s["id"] == "kv/ttl_100")
    raw = bytes.fromhex(sc["exchanges"][0]["request"])
    changed = raw[:-1] + bytes((raw[-1] ^ 1,))
    (diff,) = _request_diffs([raw], [changed])
    assert "op 0 value" in diff
    assert _request_diffs([raw], []) == ["sent 0 request(s), recorded 1"]


# -- transactions: the recorded transaction id ------------------------------------------------
def recorded_txn_id(sc: dict) -> int | None:
    """The transaction id the recording's requests carry (field MRT_ID, little-endian)."""
    from aerospike_async.protocol.message import FIELD_MRT_ID
    for ex in sc["exchanges"]:
        raw = bytes.fromhex(ex["request"])
        if raw[1] != MSG_AS:
            continue
        for m in parse_messages(raw[8:]):
            for ftype, data in m.fields:
                if ftype == FIELD_MRT_ID:
                    return int.from_bytes(data, "little")
    return None


@pytest.fixture(autouse=True)
def _recorded_transaction_id(request):
    """A transaction made by the call gets the recorded (otherwise random) id."""
    callspec = getattr(request.node, "callspec", None)
    sc = callspec.params.get("sc") if callspec else None
    txn_id = recorded_txn_id(sc) if isinstance(sc, dict) else None
    if txn_id is None:
        yield
        return
    with mock.patch("aerospike_async._txn.new_transaction_id", lambda: txn_id):
        yield


def test_recorded_txn_id_is_read_from_the_mrt_field():
    sc = next(s for s in vectors.load("errors") if s["id"] == "errors/txn_put")
    assert recorded_txn_id(sc) == 0x2b0b403d7a90b5a5
