"""The exception hierarchy against the official client 19.3 and the wire vectors."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from aerospike_async import exceptions as exc
from aerospike_async.exceptions import (
    AerospikeError,
    ResultCode,
    exception_class_for,
    exception_for,
    result_code_name,
)

# name -> (base class name, class code), read from the official aerospike.exception 19.3
OFFICIAL = {
    'AerospikeError': ('Exception', None),
    'ClientError': ('AerospikeError', -1),
    'ServerError': ('AerospikeError', 1),
    'TimeoutError': ('AerospikeError', 9),
    'ParamError': ('ClientError', -2),
    'InvalidHostError': ('ClientError', -4),
    'ConnectionError': ('ClientError', -10),
    'TLSError': ('ClientError', -9),
    'BatchFailed': ('ClientError', -16),
    'NoResponse': ('ClientError', -15),
    'MaxErrorRateExceeded': ('ClientError', -14),
    'MaxRetriesExceeded': ('ClientError', -12),
    'InvalidNodeError': ('ClientError', -8),
    'NoMoreConnectionsError': ('ClientError', -7),
    'AsyncConnectionError': ('ClientError', -6),
    'ClientAbortError': ('ClientError', -5),
    'TransactionFailed': ('ClientError', -17),
    'TransactionAlreadyCommitted': ('ClientError', -18),
    'TransactionAlreadyAborted': ('ClientError', -19),
    'InvalidRequest': ('ServerError', 4),
    'ServerFull': ('ServerError', 8),
    'AlwaysForbidden': ('ServerError', 10),
    'UnsupportedFeature': ('ServerError', 16),
    'DeviceOverload': ('ServerError', 18),
    'NamespaceNotFound': ('ServerError', 20),
    'ForbiddenError': ('ServerError', 22),
    'QueryError': ('ServerError', 213),
    'ClusterError': ('ServerError', 11),
    'InvalidGeoJSON': ('ServerError', 160),
    'OpNotApplicable': ('ServerError', 26),
    'FilteredOut': ('ServerError', 27),
    'LostConflict': ('ServerError', 28),
    'ScanAbortedError': ('ServerError', 15),
    'ElementNotFoundError': ('ServerError', 23),
    'ElementExistsError': ('ServerError', 24),
    'BatchDisabledError': ('ServerError', 150),
    'BatchMaxRequestError': ('ServerError', 151),
    'BatchQueueFullError': ('ServerError', 152),
    'QueryAbortedError': ('ServerError', 210),
    'ClusterChangeError': ('ClusterError', 7),
    'RecordError': ('ServerError', None),
    'RecordKeyMismatch': ('RecordError', 19),
    'RecordNotFound': ('RecordError', 2),
    'RecordGenerationError': ('RecordError', 3),
    'RecordExistsError': ('RecordError', 5),
    'RecordTooBig': ('RecordError', 13),
    'RecordBusy': ('RecordError', 14),
    'BinNameError': ('RecordError', 21),
    'BinIncompatibleType': ('RecordError', 12),
    'BinExistsError': ('RecordError', 6),
    'BinNotFound': ('RecordError', 17),
    'IndexError': ('ServerError', 204),
    'IndexNotFound': ('IndexError', 201),
    'IndexFoundError': ('IndexError', 200),
    'IndexOOM': ('IndexError', 202),
    'IndexNotReadable': ('IndexError', 203),
    'IndexNameMaxLen': ('IndexError', 205),
    'IndexNameMaxCount': ('IndexError', 206),
    'UDFError': ('ServerError', 100),
    'UDFNotFound': ('UDFError', 1301),
    'LuaFileNotFound': ('UDFError', 1302),
    'AdminError': ('ServerError', None),
    'SecurityNotSupported': ('AdminError', 51),
    'SecurityNotEnabled': ('AdminError', 52),
    'SecuritySchemeNotSupported': ('AdminError', 53),
    'InvalidCommand': ('AdminError', 54),
    'InvalidField': ('AdminError', 55),
    'IllegalState': ('AdminError', 56),
    'InvalidUser': ('AdminError', 60),
    'UserExistsError': ('AdminError', 61),
    'InvalidPassword': ('AdminError', 62),
    'ExpiredPassword': ('AdminError', 63),
    'ForbiddenPassword': ('AdminError', 64),
    'InvalidCredential': ('AdminError', 65),
    'InvalidRole': ('AdminError', 70),
    'RoleExistsError': ('AdminError', 71),
    'RoleViolation': ('AdminError', 81),
    'InvalidPrivilege': ('AdminError', 72),
    'NotAuthenticated': ('AdminError', 80),
    'InvalidWhitelist': ('AdminError', 73),
    'NotWhitelisted': ('AdminError', 82),
    'QuotasNotEnabled': ('AdminError', 74),
    'InvalidQuota': ('AdminError', 75),
    'QuotaExceeded': ('AdminError', 83),
    'QueryQueueFull': ('QueryError', 211),
    'QueryTimeout': ('QueryError', 212),
}

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "wire-vectors"

# (class, code) pairs the official client raised in the wire vectors
VECTOR_PAIRS = {
    ("AerospikeError", 25), ("BinExistsError", 6), ("BinIncompatibleType", 12),
    ("BinNameError", 21), ("BinNotFound", 17), ("ClientError", -1),
    ("ElementExistsError", 24), ("ElementNotFoundError", 23), ("FilteredOut", 27),
    ("IndexNotFound", 201), ("InvalidGeoJSON", 160), ("InvalidRequest", 4),
    ("LuaFileNotFound", 1302), ("NamespaceNotFound", 20), ("OpNotApplicable", 26),
    ("ParamError", -2), ("RecordExistsError", 5), ("RecordGenerationError", 3),
    ("RecordNotFound", 2), ("RecordTooBig", 13), ("SecurityNotSupported", 51),
    ("UDFError", 100),
}


def test_every_official_class_with_base_and_code() -> None:
    for name, (base, code) in OFFICIAL.items():
        cls = getattr(exc, name)
        assert cls.__bases__[0].__name__ == base, name
        assert cls.code == code, name
        assert name in exc.__all__


def test_no_extra_classes() -> None:
    ours = {n for n, v in vars(exc).items() if isinstance(v, type) and issubclass(v, AerospikeError)}
    assert ours == set(OFFICIAL)


def test_registry_maps_each_code_to_its_class() -> None:
    for name, (_, code) in OFFICIAL.items():
        if code is not None:
            assert exception_class_for(code) is getattr(exc, name)
    assert exception_class_for(25) is AerospikeError
    assert exception_class_for(-3) is AerospikeError
    assert exception_class_for(9999) is AerospikeError


@pytest.mark.parametrize("name,code", sorted(VECTOR_PAIRS))
def test_vector_pairs_resolve(name: str, code: int) -> None:
    e = exception_for(code, "m")
    assert type(e).__name__ == name
    assert e.code == code


def test_vector_pairs_cover_the_recorded_outcomes() -> None:
    if not VECTORS.is_dir():
        pytest.skip("wire vectors not present")
    seen = set()
    for path in VECTORS.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            out = json.loads(line)["outcome"]
            if "error" in out and out["code"] is not None:
                seen.add((out["error"], out["code"]))
                if re.fullmatch(r"127\.0\.0\.1:3300 AEROSPIKE_\w+", out["msg"]):
                    assert out["msg"].split()[1] == result_code_name(out["code"])
    assert seen <= VECTOR_PAIRS
    for name, code in seen:
        assert type(exception_for(code)).__name__ == name


def test_attributes_and_args() -> None:
    e = exception_for(2, "127.0.0.1:3300 AEROSPIKE_ERR_RECORD_NOT_FOUND", True, subcode=4)
    assert isinstance(e, exc.RecordNotFound)
    assert isinstance(e, exc.RecordError) and isinstance(e, exc.ServerError)
    assert e.args == (2, "127.0.0.1:3300 AEROSPIKE_ERR_RECORD_NOT_FOUND", None, None, True)
    assert (e.code, e.msg, e.file, e.line, e.in_doubt, e.subcode) == (
        2, "127.0.0.1:3300 AEROSPIKE_ERR_RECORD_NOT_FOUND", None, None, True, 4)
    assert e.key is None and e.bin is None
    assert exc.UDFError.module is None and exc.UDFError.func is None
    assert exc.IndexError.name is None


def test_defaults_like_official() -> None:
    e = exc.RecordNotFound()
    assert e.args == () and e.code == 2 and e.msg is None and e.in_doubt is None
    e = exc.RecordNotFound("text only")
    assert e.args == ("text only",) and e.code == 2
    assert AerospikeError().code is None
    e = exc.ParamError(-2, "bad", "f.c", 7, False)
    assert str(e) == "(-2, 'bad', 'f.c', 7, False)"


def test_pickle_roundtrip() -> None:
    e = pickle.loads(pickle.dumps(exception_for(13, "too big")))
    assert type(e) is exc.RecordTooBig and e.msg == "too big" and e.code == 13


def test_result_code_names() -> None:
    assert result_code_name(2) == "AEROSPIKE_ERR_RECORD_NOT_FOUND"
    assert result_code_name(27) == "AEROSPIKE_FILTERED_OUT"
    assert result_code_name(51) == "AEROSPIKE_SECURITY_NOT_SUPPORTED"
    assert result_code_name(201) == "AEROSPIKE_ERR_INDEX_NOT_FOUND"
    assert result_code_name(-1) == "AEROSPIKE_ERR_CLIENT"
    assert result_code_name(-2) == "AEROSPIKE_ERR_PARAM"
    # absent from the C client's table: generic names, as in the vectors (code 160)
    assert result_code_name(160) == "AEROSPIKE_ERR_SERVER"
    assert result_code_name(1302) == "AEROSPIKE_ERR_SERVER"
    assert result_code_name(-99) == "AEROSPIKE_ERR_CLIENT"


def test_result_code_enum() -> None:
    assert ResultCode.OK == 0
    assert ResultCode.RECORD_NOT_FOUND == 2
    assert ResultCode.FILTERED_OUT == 27
    assert ResultCode.PARAM == -2
    assert ResultCode.LUA_FILE_NOT_FOUND == 1302
