"""The floors of DESIGN.md: what each layer may import."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAVES = {"aerospike_async.constants", "aerospike_async.exceptions", "aerospike_async.types",
          "aerospike_async.policy", "aerospike_async.predicates"}
IO_MODULES = {"asyncio", "socket", "ssl", "anyio", "uvloop", "selectors", "time"}

# package -> prefixes of first-party modules it may import (besides itself and the leaves)
ALLOWED = {
    "aerospike_async.protocol": {"aerospike_async.protocol"},
    "aerospike_async.cluster": {"aerospike_async.protocol", "aerospike_async.cluster"},
    "aerospike_async.command": {"aerospike_async.protocol", "aerospike_async.cluster",
                                "aerospike_async.command"},
    "aerospike_async.testing": {"aerospike_async.protocol", "aerospike_async.testing"},
    "aerospike_helpers": {"aerospike_helpers"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[0] == "compat":
        parts[0] = "aerospike"
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
    return found


def _first_party(name: str) -> bool:
    return name.split(".")[0] in {"aerospike_async", "aerospike_helpers", "aerospike", "compat"}


SOURCES = sorted(p for d in ("aerospike_async", "aerospike_helpers") for p in (ROOT / d).rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_floors(path):
    module = _module_name(path)
    for name in _imports(path):
        assert name.split(".")[0] not in {"aerospike", "compat"}, \
            f"{module} imports the sync drop-in ({name})"
        for package, allowed in ALLOWED.items():
            if module == package or module.startswith(package + "."):
                if _first_party(name) and name not in LEAVES and name != "aerospike_async":
                    assert any(name == a or name.startswith(a + ".") for a in allowed), \
                        f"{module} may not import {name}"
                if package == "aerospike_async.protocol":
                    assert name.split(".")[0] not in IO_MODULES, \
                        f"protocol/ is sans-IO but {module} imports {name}"


def test_importing_leaves_and_helpers_starts_nothing():
    code = ("import sys, aerospike_async, aerospike_async.constants, aerospike_async.types, "
            "aerospike_helpers.operations.operations\n"
            "bad = [m for m in ('aerospike_async.cluster', 'aerospike_async.client', 'anyio', "
            "'uvloop', 'asyncio') if m in sys.modules]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
