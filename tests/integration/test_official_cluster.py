"""The official client from PyPI tends the embedded 3-node cluster.

The client runs in a subprocess (its own venv) and is steered over stdin: it connects
with one seed, lists the nodes, writes and reads keys; the test then stops a node and
restarts it, and the client reports when it saw each change and whether every key still
reads back. Skipped when the official client cannot be installed here.
"""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from aerospike_async.testing import EmbeddedCluster
from official import official_python, why_unavailable

SCRIPT = r'''
import json, sys, time
import aerospike

seed = tuple(json.loads(sys.argv[1]))
n_keys = int(sys.argv[2])
client = aerospike.client({"hosts": [seed], "policies": {"read": {"max_retries": 3}},
                           "tend_interval": 250}).connect()

def say(**kw):
    print(json.dumps(kw), flush=True)

def names():
    return sorted(n["node_name"] for n in client.get_node_names())

def wait_for(count, timeout=15.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if len(names()) == count:
            break
        time.sleep(0.02)
    return round(time.monotonic() - start, 3)

def read_all(tag):
    bad = []
    for i in range(n_keys):
        try:
            _k, meta, bins = client.get(("test", "oc", i))
            if bins != {"v": i, "tag": tag}:
                bad.append(i)
        except Exception as e:
            bad.append([i, type(e).__name__])
    return bad

say(step="connected", names=names())
for i in range(n_keys):
    client.put(("test", "oc", i), {"v": i, "tag": "first"})
say(step="written", bad=read_all("first"))
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["do"] == "wait":
        waited = wait_for(cmd["count"])
        bad = read_all(cmd["tag"])
        bad_after = []
        if cmd.get("rewrite"):
            for i in range(n_keys):
                client.put(("test", "oc", i), {"v": i, "tag": cmd["rewrite"]})
            bad_after = read_all(cmd["rewrite"])
        say(step=cmd["do"], waited=waited, names=names(), bad=bad, bad_after=bad_after)
    elif cmd["do"] == "quit":
        break
client.close()
'''

N_KEYS = 100


@pytest.fixture(scope="module")
def python() -> str:
    found = official_python()
    if found is None:
        pytest.skip(f"official client unavailable: {why_unavailable()}")
    return found


def test_official_client_tends_three_embedded_nodes(python: str) -> None:
    with EmbeddedCluster.run_in_thread(size=3, replication_factor=2, namespaces=("test",),
                                       join_delay=0.2) as cluster:
        seed = cluster.seeds[0]
        env = dict(os.environ, PYTHONWARNINGS="ignore")
        proc = subprocess.Popen([python, "-c", SCRIPT, json.dumps(seed), str(N_KEYS)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        assert proc.stdin is not None and proc.stdout is not None

        def step(**command: object) -> dict:
            if command:
                proc.stdin.write(json.dumps(command) + "\n")
                proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                proc.wait(10)
                pytest.fail(f"official client ended: {proc.stderr.read()[-2000:]}")
            return json.loads(line)

        try:
            connected = step()
            assert connected["names"] == ["B1", "B2", "B3"]
            assert step()["bad"] == []

            victim = cluster.node("B3")
            victim.stop()
            stopped = time.monotonic()
            gone = step(do="wait", count=2, tag="first", rewrite="second")
            assert gone["names"] == ["B1", "B2"], gone
            assert gone["bad"] == [] and gone["bad_after"] == []  # acknowledged writes survive

            victim.restart()  # reads and writes while it joins and partitions migrate
            back = step(do="wait", count=3, tag="second", rewrite="third")
            cluster.wait_stable()
            assert back["names"] == ["B1", "B2", "B3"], back
            assert back["bad"] == [] and back["bad_after"] == []
            settled = step(do="wait", count=3, tag="third")
            assert settled["bad"] == []
            step_times = {"removal_seen_s": gone["waited"], "return_seen_s": back["waited"],
                          "since_stop_s": round(time.monotonic() - stopped, 3)}
            print("official client saw:", step_times)
            proc.stdin.write(json.dumps({"do": "quit"}) + "\n")
            proc.stdin.flush()
            proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
