"""Every example runs as a newcomer would run it, and prints what it promises.

Each runs in its own process with this interpreter: against AEROSPIKE_HOSTS when it is
set (the examples read it themselves), else against an embedded server it starts.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ), check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_every_example_has_a_test_here():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == [
        "quickstart.py", "streaming.py", "sync_dropin.py"]


def test_quickstart():
    out = run_example("quickstart.py")
    assert f"total of squares = {sum(i * i for i in range(100))}" in out
    assert "operate -> {'visits': 1, 'name': 'Ada Lovelace (1815-1852)'}" in out
    assert "removed -> RecordNotFound 2" in out


def test_streaming():
    out = run_example("streaming.py").splitlines()
    assert out == ["batch_read: 100 of 101 found",
                   f"scan: sum of n over the set = {sum(range(1000))}",
                   "scan stopped after 10 records",
                   "query: 100 records with 100 <= n <= 199, from 100 to 199",
                   "batch_remove: 1000 removed"]


def test_sync_dropin():
    out = run_example("sync_dropin.py").splitlines()
    assert out == ["wrote 500 records from 8 threads",
                   "operate -> {'n': 107} generation 2",
                   "batch_read: 50 found",
                   "scan foreach: 500 records",
                   "get of a missing key -> RecordNotFound 2"]
