"""Every package in the tree is installed, with its py.typed marker."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared_packages() -> set[str]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, re.S | re.M)
    assert block, "pyproject.toml lists no packages"
    return set(re.findall(r'"([\w.]+)"', block.group(1)))


def _tree_packages() -> set[str]:
    found = set()
    for top, name in (("aerospike_async", "aerospike_async"),
                      ("aerospike_helpers", "aerospike_helpers"), ("compat", "aerospike")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    return found


def test_every_package_is_declared_for_installation():
    assert _tree_packages() == _declared_packages()


def test_each_top_level_package_is_typed():
    for top in ("aerospike_async", "aerospike_helpers", "compat"):
        assert (ROOT / top / "py.typed").exists()
