"""Under the same injected fault, our drop-in and the official client (its own venv and
process) must answer alike: the exception's class, code and in_doubt, or a batch's result
and its keys' results and in_doubt, and the words of the messages that carry no address
(but not a cut connection's, which are the operating system's).

Each call runs in a fresh child process of either client against one embedded node,
whose fault is armed just before and cleared just after. Every case here was a
difference found this way.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import aerospike
import pytest

from aerospike_async.testing import EmbeddedCluster
from official import official_python_or_skip

NS = "test"

CALL_SCRIPT = r'''
import json, sys
import aerospike
from aerospike_helpers.batch import records as br
from aerospike_helpers.operations import operations as op
cfg = json.loads(sys.argv[1])
keys = [tuple(k) for k in cfg["keys"]]
pol = cfg["policy"]
client = aerospike.client({"hosts": [tuple(cfg["host"])]}).connect()
calls = {
    "get": lambda: client.get(keys[0], policy=pol)[2],
    "put": lambda: client.put(keys[0], {"v": 2}, policy=pol),
    "operate": lambda: client.operate(keys[0], [op.write("w", 1), op.read("v")], policy=pol)[2],
    "batch_read": lambda: client.batch_read(keys, policy=pol),
    "batch_operate": lambda: client.batch_operate(keys, [op.write("w", 1)], policy_batch=pol),
    "batch_write": lambda: client.batch_write(
        br.BatchRecords([br.Write(k, [op.write("w", 1)]) for k in keys]), policy_batch=pol),
    "scan": lambda: len(client.scan(keys[0][0], keys[0][1]).results(policy=pol)),
}
try:
    got = calls[cfg["call"]]()
    if isinstance(got, br.BatchRecords):
        got = {"batch": got.result, "keys": sorted({(r.result, r.in_doubt)
                                                    for r in got.batch_records})}
    print(json.dumps({"returned": got}))
except aerospike.exception.AerospikeError as e:
    # the words, where they hold no address and are not the OS's (a cut connection's)
    msg = (e.msg if e.msg and not re.search(r"\d+\.\d+\.\d+\.\d+", e.msg)
           and not isinstance(e, aerospike.exception.ConnectionError) else None)
    print(json.dumps({"raised": type(e).__name__, "code": e.code, "in_doubt": e.in_doubt,
                      "msg": msg}))
client.close()
'''.replace("import json, sys", "import json, re, sys")

SLOW = {"socket_timeout": 100, "total_timeout": 300, "max_retries": 0}
ONCE = {"socket_timeout": 1000, "total_timeout": 3000, "max_retries": 0}
RETRY = {"socket_timeout": 1000, "total_timeout": 3000, "max_retries": 1}

# (case, call, fault, its argument, policy, keys)
CASES = [
    ("get-garbled", "get", "garble", 1, ONCE, 1),
    ("get-garbled-with-a-retry", "get", "garble", 1, RETRY, 1),
    ("put-garbled-with-a-retry", "put", "garble", 1, RETRY, 1),
    ("get-cut", "get", "kill_mid_reply", 1, ONCE, 1),
    ("put-cut", "put", "kill_mid_reply", 1, ONCE, 1),
    ("put-cut-retried", "put", "kill_mid_reply", 1, RETRY, 1),
    ("get-slow", "get", "slow", 2.0, SLOW, 1),
    ("put-slow", "put", "slow", 2.0, SLOW, 1),
    ("put-slow-socket-over-total", "put", "slow", 1.0,
     {"socket_timeout": 500, "total_timeout": 200, "max_retries": 0}, 1),
    ("operate-slow", "operate", "slow", 2.0, SLOW, 1),
    ("batch_read-slow", "batch_read", "slow", 2.0, SLOW, 5),
    ("batch_operate-cut", "batch_operate", "kill_mid_reply", 1, ONCE, 5),
    ("batch_write-garbled", "batch_write", "garble", 1, ONCE, 5),
    ("scan-slow", "scan", "slow", 2.0, {"socket_timeout": 100, "total_timeout": 300}, 5),
    ("scan-slow-no-retry", "scan", "slow", 2.0, SLOW, 5),
    ("scan-garbled", "scan", "garble", 1, ONCE, 5),
]


@pytest.fixture(scope="module")
def official() -> str:
    return official_python_or_skip()


@pytest.fixture(scope="module")
def node() -> Iterator:
    cluster = EmbeddedCluster.run_in_thread(size=1, replication_factor=1)
    try:
        yield cluster.node(cluster.nodes[0].name)
    finally:
        cluster.stop()


def _answer(python: str, node, case: tuple, who: str) -> dict:
    name, call, fault, arg, policy, n_keys = case
    keys = [(NS, f"fp_{re.sub(r'[^a-z]', '', name)}_{who}", f"k{i}") for i in range(n_keys)]
    seeder = aerospike.client({"hosts": [(node.host, node.port)]})
    try:
        for k in keys:
            seeder.put(k, {"v": 1})
    finally:
        seeder.close()
    getattr(node, fault)(arg)
    try:
        done = subprocess.run(
            [python, "-c", CALL_SCRIPT, json.dumps({
                "host": [node.host, node.port], "keys": keys, "call": call,
                "policy": policy})],
            capture_output=True, text=True, timeout=60,
            env=dict(os.environ, PYTHONWARNINGS="ignore"))
    finally:
        node.clear_faults()
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_a_fault_is_reported_as_the_official_client_reports_it(official, node, case):
    theirs = _answer(official, node, case, "official")
    ours = _answer(sys.executable, node, case, "ours")
    assert ours == theirs
