"""Batch, scan, query and secondary-index calls answered with the recorded replies.

Like ``test_client_vectors.py`` (whose helpers this reuses): the scenario's
``call`` runs through the sync drop-in against the scripted fake node, which
answers each AS_MSG request with the next recorded exchange and, here, also
answers the call's own info requests (``sindex-*``, ``query-show``) from the
recording. Checked: the requests byte for byte (a scan/query's task id,
field 7, is random per call and is masked), their number, and the outcome.

Stream UDF aggregations (``q.apply`` followed by ``results``/``foreach``) run their
final reduce in Lua on the client, from ``udf/vec_udf.lua`` (config ``lua.user_path``).
"""
from __future__ import annotations

import collections
import re
import time
from typing import Any

import pytest
import vectors
from test_client_vectors import (CITRUSLEAF_EPOCH, ScriptedInfoNode, _make_ns,
                                 _mask_task_id, _norm, _outcome_of, _request_diffs,
                                 _run_code, recording_now)
from unittest import mock


AREAS = ("batch", "scan", "query", "sindex")
POLICY_KINDS = ("read", "write", "operate", "apply", "remove", "batch")
_CALL_INFO = ("sindex-", "query-show", "jobs:", "scan-show")
_JOB_ID = re.compile(rb"id=\d+")

_AGGREGATION = {"query/aggregate_sum", "query/aggregate_count", "query/aggregate_group",
                "query/aggregate_stream_map", "query/aggregate_foreach"}


def _scenarios() -> list[Any]:
    out = []
    for area in AREAS:
        for sc in vectors.load(area):
            out.append(pytest.param(sc, id=sc["id"]))
    return out


@pytest.fixture(scope="module")
def node():
    fake = ScriptedInfoNode(_CALL_INFO).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def client(node):
    import aerospike
    c = aerospike.client({"hosts": [("127.0.0.1", node.port)],
                          "policies": {k: {"total_timeout": 5000} for k in POLICY_KINDS},
                          "lua": {"user_path": str(vectors.VECTORS / "udf")}})
    yield c
    c.close()


def _helpers(ns: dict, client: Any) -> None:
    """The README helpers that calls use (wait_job)."""
    import aerospike

    def wait_job(job_id: int, module: str) -> None:
        for _ in range(400):
            if client.job_info(job_id, module)["status"] == aerospike.JOB_STATUS_COMPLETED:
                return
            time.sleep(0.001)
    ns["wait_job"] = wait_job


@pytest.mark.parametrize("sc", _scenarios())
def test_client_answers_as_recorded(sc, node, client):
    ns = _make_ns(client)
    _helpers(ns, client)
    as_msgs = [ex for ex in sc["exchanges"] if ex["type"] != 1]
    infos = [ex for ex in sc["exchanges"] if ex["type"] == 1]
    node.script([[bytes.fromhex(r) for r in ex["responses"]] for ex in as_msgs])
    node.info_script = collections.deque((None, bytes.fromhex(ex["responses"][0]))
                                        for ex in infos)
    node.info_requests = []

    now = recording_now(sc)
    if now is None:
        got = _outcome_of(lambda: _run_code(sc["call"], ns))
    else:
        frozen = CITRUSLEAF_EPOCH + now + 0.5
        with mock.patch("time.time", lambda: frozen):
            got = _outcome_of(lambda: _run_code(sc["call"], ns))

    recorded = [_mask_task_id(bytes.fromhex(ex["request"])) for ex in as_msgs]
    problems = _request_diffs(recorded, [_mask_task_id(r) for r in node.requests])
    # job ids are random per call; a job is polled until done, so the poll count varies
    want_info = [_JOB_ID.sub(b"id=N", bytes.fromhex(ex["request"])[8:]) for ex in infos]
    got_info = [_JOB_ID.sub(b"id=N", r) for r in node.info_requests]
    if infos and (not got_info or got_info != want_info[:len(got_info)]):
        problems.append(f"info requests differ:\n  recorded {want_info}\n  ours     "
                        f"{got_info}")
    want = sc["outcome"]
    if "ok" in want:
        if got.get("ok") is None or _norm(want["ok"], node.port) != got["ok"]:
            problems.append(f"outcome differs:\n  recorded {want}\n  ours     {got}")
    else:
        same = (got.get("error") == want["error"] and got.get("code") == want["code"]
                and got.get("in_doubt") == want["in_doubt"])
        if not same:
            problems.append(f"outcome differs:\n  recorded {want}\n  ours     {got}")
    assert not problems, "\n".join(problems)


def test_aggregations_are_checked():
    kept = {sc["id"] for area in AREAS for sc in vectors.load(area)}
    assert _AGGREGATION | {"query/with_expressions", "query/where_with_expr",
                           "scan/execute_background_expr", "batch/read_with_expr"} <= kept
