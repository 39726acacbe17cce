"""The official (C-based) Aerospike Python client, in a virtual environment of its own.

It installs the same import names (``aerospike``, ``aerospike_helpers``) as this project, so
it lives in ``<repo>/.cache/official-venv`` and is driven from subprocesses:
``official_python()`` gives that venv's interpreter, creating it on first use.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import venv
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OFFICIAL_REQUIREMENT = "aerospike==19.3.0"
VENV_DIR = ROOT / ".cache" / "official-venv"
INSTALL_TIMEOUT = 300.0

_why_unavailable: str = ""


def _python_in(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _importable(python: Path) -> bool:
    """True when ``python`` imports the official client at the pinned version."""
    if not python.exists():
        return False
    check = ("import importlib.metadata as m, aerospike; "
             "assert m.version('aerospike') == %r" % OFFICIAL_REQUIREMENT.split("==")[1])
    return subprocess.run([str(python), "-c", check], capture_output=True,
                          timeout=60).returncode == 0


def _install(venv_dir: Path) -> str:
    """Create the venv and pip-install the official client; '' on success, else why not."""
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    python = _python_in(venv_dir)
    cmd = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-input", "--only-binary", ":all:", OFFICIAL_REQUIREMENT]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"pip install {OFFICIAL_REQUIREMENT} took over {INSTALL_TIMEOUT:.0f} s"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"pip install {OFFICIAL_REQUIREMENT} failed: {tail[0][:200]}"
    if not _importable(python):
        return f"{OFFICIAL_REQUIREMENT} installed but does not import on {sys.platform}"
    return ""


@lru_cache(maxsize=None)
def official_python() -> str | None:
    """Path of a Python that imports the official client, or None (see ``why_unavailable``)."""
    global _why_unavailable
    python = _python_in(VENV_DIR)
    VENV_DIR.parent.mkdir(parents=True, exist_ok=True)
    with open(VENV_DIR.parent / "official-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel runs wait for one installer
        try:
            if _importable(python):
                return str(python)
            _why_unavailable = _install(VENV_DIR)
        except (OSError, subprocess.SubprocessError) as exc:
            _why_unavailable = f"cannot create the official client's venv: {exc}"
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return None if _why_unavailable else str(python)


def why_unavailable() -> str:
    """Why ``official_python()`` returned None (the skip reason for tests that need it)."""
    official_python()
    return _why_unavailable or "the official client is available"


def official_python_or_skip() -> str:
    """``official_python()``, or skip the calling test where the client cannot be had."""
    import pytest
    found = official_python()
    if found is None:
        pytest.skip(f"official client unavailable: {why_unavailable()}")
    return found
