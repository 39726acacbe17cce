"""Our ``aerospike``/``aerospike_helpers`` surface against the official client 19.3.

``data/official_surface.json`` was dumped once from the official client's venv by
``data/dump_surface.py``; the same function describes ours here. Every official name must
exist with the same kind, constants with the same value, exception classes with the same
bases and code, and pure-Python helpers with the same parameter names, except for the
entries of ``GAPS`` (official names we lack) and ``PARAM_DIFFERENCES`` (where ours differ
on purpose), each with its reason.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("dump_surface", DATA / "dump_surface.py")
assert _spec is not None and _spec.loader is not None
dump_surface = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dump_surface)

#: Official names we do not offer, by "<section>:<owner>.<name>", with the reason.
GAPS: dict[str, str] = {}

#: Official parameter lists ours differ from on purpose, by "<module>.<name>", with the reason.
PARAM_DIFFERENCES: dict[str, str] = {}


def _official() -> dict[str, Any]:
    return json.loads((DATA / "official_surface.json").read_text())


def _names(section: str, official: dict, ours: dict) -> Iterator[tuple[str, Any, Any]]:
    """(gap key, official entry, our entry or None) for every official name of a section."""
    if section in ("aerospike", "exception", "predicates"):
        for name, entry in official[section].items():
            yield f"{section}:{name}", entry, ours[section].get(name)
    elif section == "classes":
        for cls, members in official["classes"].items():
            have = ours["classes"].get(cls)
            yield f"classes:{cls}", cls, cls if have is not None else None
            for member in members:
                yield (f"classes:{cls}.{member}", member,
                       member if have is not None and member in have else None)
    else:
        for module, names in official["helpers"].items():
            have = ours["helpers"].get(module)
            if have is None:
                yield f"helpers:{module}", module, None
                continue
            for name, entry in names.items():
                yield f"helpers:{module}.{name}", entry, have.get(name)


@pytest.fixture(scope="module")
def surfaces() -> tuple[dict, dict]:
    return _official(), dump_surface.surface()


@pytest.mark.parametrize("section", ["aerospike", "exception", "predicates", "classes",
                                     "helpers"])
def test_every_official_name_exists(surfaces: tuple[dict, dict], section: str) -> None:
    official, ours = surfaces
    missing = [key for key, _, mine in _names(section, official, ours)
               if mine is None and key not in GAPS]
    assert missing == []


#: Our ``aerospike`` names the official module lacks, with the reason.
EXTRAS = {"HyperLogLog": "the official client has it in aerospike_helpers only; both work"}


def test_aerospike_adds_no_names_but_the_listed_ones(surfaces: tuple[dict, dict]) -> None:
    import aerospike
    official, ours = surfaces
    assert sorted(set(ours["aerospike"]) - set(official["aerospike"])) == sorted(EXTRAS)
    # nor does dir() show what the module imports for its own use
    assert not {"logging", "Any", "Callable", "annotations", "ParamError"} & set(dir(aerospike))


def test_gaps_are_still_gaps(surfaces: tuple[dict, dict]) -> None:
    """A name that is now implemented must leave ``GAPS``."""
    official, ours = surfaces
    closed = [key for section in ("aerospike", "exception", "predicates", "classes", "helpers")
              for key, _, mine in _names(section, official, ours)
              if mine is not None and key in GAPS]
    assert closed == []


def test_constants_have_the_official_values(surfaces: tuple[dict, dict]) -> None:
    official, ours = surfaces
    wrong = {name: (entry["value"], ours["aerospike"].get(name, {}).get("value"))
             for name, entry in official["aerospike"].items()
             if "value" in entry and ours["aerospike"].get(name, {}).get("value")
             != entry["value"]}
    assert wrong == {}
    for module, names in official["helpers"].items():
        for name, entry in names.items():
            if "value" in entry and f"helpers:{module}.{name}" not in GAPS:
                assert ours["helpers"][module][name].get("value") == entry["value"], name


def test_exception_classes_match(surfaces: tuple[dict, dict]) -> None:
    official, ours = surfaces
    for name, entry in official["exception"].items():
        assert ours["exception"][name] == entry, name


def test_kinds_match(surfaces: tuple[dict, dict]) -> None:
    official, ours = surfaces
    wrong = []
    for section in ("aerospike", "predicates", "helpers"):
        for key, entry, mine in _names(section, official, ours):
            if mine is not None and isinstance(entry, dict) and mine["kind"] != entry["kind"]:
                wrong.append((key, entry["kind"], mine["kind"]))
    assert wrong == []


def test_helper_parameters_match(surfaces: tuple[dict, dict]) -> None:
    official, ours = surfaces
    wrong = []
    for key, entry, mine in _names("helpers", official, ours):
        name = key.split(":", 1)[1]
        if (mine is None or entry.get("params") is None or mine.get("params") is None
                or name in PARAM_DIFFERENCES):
            continue
        if mine["params"] != entry["params"]:
            wrong.append((name, entry["params"], mine["params"]))
    assert wrong == []


def test_documented_entries_are_explained() -> None:
    assert all(reason.strip() for reason in (*GAPS.values(), *PARAM_DIFFERENCES.values()))
