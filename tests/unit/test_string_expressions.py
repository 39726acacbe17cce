"""String expressions and ListJoin compile to the bytes the official 19.3 client sends.

``data/official_string_exprs.json`` maps each case of ``data/dump_string_exprs.py`` to the
base64 the official client's ``get_expression_base64`` gave for it; the same source is
evaluated here with our helpers.
"""
from __future__ import annotations

import base64
import importlib.util
import inspect
import json
from pathlib import Path

import pytest

from aerospike_async import constants as aerospike
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.expressions import encode_expression
from aerospike_helpers import cdt_ctx
from aerospike_helpers import expressions as exp
from aerospike_helpers.expressions import string as string_exp
from aerospike_helpers.string_helpers import NumericType, RegexFlags, StringPolicy, WriteFlags

DATA = Path(__file__).parent / "data"
OFFICIAL: dict = json.loads((DATA / "official_string_exprs.json").read_text())
_spec = importlib.util.spec_from_file_location("dump_string_exprs", DATA / "dump_string_exprs.py")
assert _spec is not None and _spec.loader is not None
_dump = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_dump)

NAMES = dict(aerospike=aerospike, exp=exp, cdt_ctx=cdt_ctx, NumericType=NumericType,
             RegexFlags=RegexFlags, StringPolicy=StringPolicy, WriteFlags=WriteFlags)


def test_recording_covers_every_case() -> None:
    assert list(OFFICIAL) == _dump.CASES


@pytest.mark.parametrize("case", list(OFFICIAL))
def test_bytes_match_official(case: str) -> None:
    ours = encode_expression(eval(case, NAMES).compile())
    assert base64.b64encode(ours).decode() == OFFICIAL[case]


def test_every_builder_is_recorded() -> None:
    builders = {n for n, c in inspect.getmembers(string_exp, inspect.isclass)
                if c.__module__ == string_exp.__name__ and not n.startswith("_")}
    recorded = {c.split("(")[0].removeprefix("exp.") for c in OFFICIAL}
    assert builders | {"ListJoin"} <= recorded


def test_recorded_strlen_on_the_wire() -> None:
    # strops/exp_strlen of the wire vectors: expression_read('r', StrLen(StrBin('s')))
    assert encode_expression(exp.StrLen(exp.StrBin("s")).compile()).hex() == \
        "957f02039100935103a173"


@pytest.mark.parametrize("build, msg", [
    (lambda: exp.SubStr("a", "s"), "start must be an integer"),   # type: ignore[arg-type]
    (lambda: exp.Find(3, 1, "s"), "String value required"),       # type: ignore[arg-type]
    (lambda: exp.Concat(StringPolicy(), "abc", "s"), "Value must be a list"),  # type: ignore[arg-type]
    (lambda: exp.ListJoin(None, 5, "l"), "String value required"),  # type: ignore[arg-type]
    (lambda: exp.Upper({"write_flags": 4}, "s"),                   # type: ignore[arg-type]
     "Unable to get write flags from string policy"),
])
def test_invalid_arguments_raise_param_error(build, msg) -> None:
    # the official client's messages for the same mistakes
    with pytest.raises(ParamError, match=msg):
        encode_expression(build().compile())


def test_official_forms_of_odd_arguments() -> None:
    # checked against the official client: a string stops at NUL (it is sent as a C
    # string), a None policy sends flags 0, Snip without end sends no flags
    assert encode_expression(exp.Contains("a\x00b", "s").compile()).hex() == \
        "957f01039204a20361935103a173"
    assert encode_expression(exp.Upper(None, "s").compile()).hex() == \
        "957f0343923800935103a173"
    assert encode_expression(exp.Snip(None, 1, None, "s").compile()).hex() == \
        "957f0343923501935103a173"
    assert encode_expression(exp.SubStr(2 ** 40, "s").compile()).hex() == \
        "957f03039201cf0000010000000000935103a173"
