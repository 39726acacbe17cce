"""The documented ``aerospike.exception`` hierarchy, registered by result code.

Every exception carries ``code``, ``msg``, ``file``, ``line`` and ``in_doubt``
(and ``subcode``); ``args`` is ``(code, msg, file, line, in_doubt)`` as in the
official client. Server result codes are >= 0, client-side codes are < 0.
A code without a class of its own is raised as plain :class:`AerospikeError`
carrying that code (the official client does the same, e.g. code 25).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "EXCEPTION_BY_CODE",
    "ResultCode",
    "exception_for",
    "exception_class_for",
    "result_code_name",
]


class ResultCode(IntEnum):
    """Result codes of the server and of the client (the C client's ``as_status``)."""

    METRICS_CONFLICT = -20
    TXN_ALREADY_ABORTED = -19
    TXN_ALREADY_COMMITTED = -18
    TXN_FAILED = -17
    BATCH_FAILED = -16
    NO_RESPONSE = -15
    MAX_ERROR_RATE = -14
    USE_NORMAL_RETRY = -13
    MAX_RETRIES_EXCEEDED = -12
    ASYNC_QUEUE_FULL = -11
    CONNECTION = -10
    TLS_ERROR = -9
    INVALID_NODE = -8
    NO_MORE_CONNECTIONS = -7
    ASYNC_CONNECTION = -6
    CLIENT_ABORT = -5
    INVALID_HOST = -4
    NO_MORE_RECORDS = -3
    PARAM = -2
    CLIENT = -1
    OK = 0
    SERVER = 1
    RECORD_NOT_FOUND = 2
    RECORD_GENERATION = 3
    REQUEST_INVALID = 4
    RECORD_EXISTS = 5
    BIN_EXISTS = 6
    CLUSTER_CHANGE = 7
    SERVER_FULL = 8
    TIMEOUT = 9
    ALWAYS_FORBIDDEN = 10
    CLUSTER = 11
    BIN_INCOMPATIBLE_TYPE = 12
    RECORD_TOO_BIG = 13
    RECORD_BUSY = 14
    SCAN_ABORTED = 15
    UNSUPPORTED_FEATURE = 16
    BIN_NOT_FOUND = 17
    DEVICE_OVERLOAD = 18
    RECORD_KEY_MISMATCH = 19
    NAMESPACE_NOT_FOUND = 20
    BIN_NAME = 21
    FAIL_FORBIDDEN = 22
    FAIL_ELEMENT_NOT_FOUND = 23
    FAIL_ELEMENT_EXISTS = 24
    ENTERPRISE_ONLY = 25
    OP_NOT_APPLICABLE = 26
    FILTERED_OUT = 27
    LOST_CONFLICT = 28
    INVALID_ENCODING = 29
    XDR_KEY_BUSY = 32
    QUERY_END = 50
    SECURITY_NOT_SUPPORTED = 51
    SECURITY_NOT_ENABLED = 52
    SECURITY_SCHEME_NOT_SUPPORTED = 53
    INVALID_COMMAND = 54
    INVALID_FIELD = 55
    ILLEGAL_STATE = 56
    INVALID_USER = 60
    USER_ALREADY_EXISTS = 61
    INVALID_PASSWORD = 62
    EXPIRED_PASSWORD = 63
    FORBIDDEN_PASSWORD = 64
    INVALID_CREDENTIAL = 65
    EXPIRED_SESSION = 66
    INVALID_ROLE = 70
    ROLE_ALREADY_EXISTS = 71
    INVALID_PRIVILEGE = 72
    INVALID_WHITELIST = 73
    QUOTAS_NOT_ENABLED = 74
    INVALID_QUOTA = 75
    NOT_AUTHENTICATED = 80
    ROLE_VIOLATION = 81
    NOT_WHITELISTED = 82
    QUOTA_EXCEEDED = 83
    UDF = 100
    MRT_BLOCKED = 120
    MRT_VERSION_MISMATCH = 121
    MRT_EXPIRED = 122
    MRT_TOO_MANY_WRITES = 123
    MRT_COMMITTED = 124
    MRT_ABORTED = 125
    MRT_ALREADY_LOCKED = 126
    MRT_MONITOR_EXISTS = 127
    BATCH_DISABLED = 150
    BATCH_MAX_REQUESTS_EXCEEDED = 151
    BATCH_QUEUES_FULL = 152
    GEO_INVALID_GEOJSON = 160
    INDEX_FOUND = 200
    INDEX_NOT_FOUND = 201
    INDEX_OOM = 202
    INDEX_NOT_READABLE = 203
    INDEX = 204
    INDEX_NAME_MAXLEN = 205
    INDEX_MAXCOUNT = 206
    QUERY_ABORTED = 210
    QUERY_QUEUE_FULL = 211
    QUERY_TIMEOUT = 212
    QUERY = 213
    UDF_NOT_FOUND = 1301
    LUA_FILE_NOT_FOUND = 1302


# The names the official messages use ("<node> AEROSPIKE_ERR_RECORD_NOT_FOUND").
# Codes missing here are named AEROSPIKE_ERR_CLIENT (< 0) or AEROSPIKE_ERR_SERVER.
_RESULT_CODE_NAMES: dict[int, str] = {
    -20: "AEROSPIKE_METRICS_CONFLICT",
    -19: "AEROSPIKE_TXN_ALREADY_ABORTED",
    -18: "AEROSPIKE_TXN_ALREADY_COMMITTED",
    -17: "AEROSPIKE_TXN_FAILED",
    -16: "AEROSPIKE_BATCH_FAILED",
    -15: "AEROSPIKE_NO_RESPONSE",
    -14: "AEROSPIKE_MAX_ERROR_RATE",
    -13: "AEROSPIKE_USE_NORMAL_RETRY",
    -12: "AEROSPIKE_ERR_MAX_RETRIES_EXCEEDED",
    -11: "AEROSPIKE_ERR_ASYNC_QUEUE_FULL",
    -10: "AEROSPIKE_ERR_CONNECTION",
    -9: "AEROSPIKE_ERR_TLS_ERROR",
    -8: "AEROSPIKE_ERR_INVALID_NODE",
    -7: "AEROSPIKE_ERR_NO_MORE_CONNECTIONS",
    -6: "AEROSPIKE_ERR_ASYNC_CONNECTION",
    -5: "AEROSPIKE_ERR_CLIENT_ABORT",
    -4: "AEROSPIKE_ERR_INVALID_HOST",
    -3: "AEROSPIKE_NO_MORE_RECORDS",
    -2: "AEROSPIKE_ERR_PARAM",
    -1: "AEROSPIKE_ERR_CLIENT",
    0: "AEROSPIKE_OK",
    1: "AEROSPIKE_ERR_SERVER",
    2: "AEROSPIKE_ERR_RECORD_NOT_FOUND",
    3: "AEROSPIKE_ERR_RECORD_GENERATION",
    4: "AEROSPIKE_ERR_REQUEST_INVALID",
    5: "AEROSPIKE_ERR_RECORD_EXISTS",
    6: "AEROSPIKE_ERR_BIN_EXISTS",
    7: "AEROSPIKE_ERR_CLUSTER_CHANGE",
    8: "AEROSPIKE_ERR_SERVER_FULL",
    9: "AEROSPIKE_ERR_TIMEOUT",
    10: "AEROSPIKE_ERR_ALWAYS_FORBIDDEN",
    11: "AEROSPIKE_ERR_CLUSTER",
    12: "AEROSPIKE_ERR_BIN_INCOMPATIBLE_TYPE",
    13: "AEROSPIKE_ERR_RECORD_TOO_BIG",
    14: "AEROSPIKE_ERR_RECORD_BUSY",
    15: "AEROSPIKE_ERR_SCAN_ABORTED",
    16: "AEROSPIKE_ERR_UNSUPPORTED_FEATURE",
    17: "AEROSPIKE_ERR_BIN_NOT_FOUND",
    18: "AEROSPIKE_ERR_DEVICE_OVERLOAD",
    19: "AEROSPIKE_ERR_RECORD_KEY_MISMATCH",
    20: "AEROSPIKE_ERR_NAMESPACE_NOT_FOUND",
    21: "AEROSPIKE_ERR_BIN_NAME",
    22: "AEROSPIKE_ERR_FAIL_FORBIDDEN",
    23: "AEROSPIKE_ERR_FAIL_ELEMENT_NOT_FOUND",
    24: "AEROSPIKE_ERR_FAIL_ELEMENT_EXISTS",
    25: "AEROSPIKE_ERR_ENTERPRISE_ONLY",
    26: "AEROSPIKE_ERR_OP_NOT_APPLICABLE",
    27: "AEROSPIKE_FILTERED_OUT",
    28: "AEROSPIKE_LOST_CONFLICT",
    29: "AEROSPIKE_INVALID_ENCODING",
    32: "AEROSPIKE_XDR_KEY_BUSY",
    50: "AEROSPIKE_QUERY_END",
    51: "AEROSPIKE_SECURITY_NOT_SUPPORTED",
    52: "AEROSPIKE_SECURITY_NOT_ENABLED",
    53: "AEROSPIKE_SECURITY_SCHEME_NOT_SUPPORTED",
    54: "AEROSPIKE_INVALID_COMMAND",
    55: "AEROSPIKE_INVALID_FIELD",
    56: "AEROSPIKE_ILLEGAL_STATE",
    60: "AEROSPIKE_INVALID_USER",
    61: "AEROSPIKE_USER_ALREADY_EXISTS",
    62: "AEROSPIKE_INVALID_PASSWORD",
    63: "AEROSPIKE_EXPIRED_PASSWORD",
    64: "AEROSPIKE_FORBIDDEN_PASSWORD",
    65: "AEROSPIKE_INVALID_CREDENTIAL",
    66: "AEROSPIKE_EXPIRED_SESSION",
    70: "AEROSPIKE_INVALID_ROLE",
    71: "AEROSPIKE_ROLE_ALREADY_EXISTS",
    72: "AEROSPIKE_INVALID_PRIVILEGE",
    73: "AEROSPIKE_INVALID_WHITELIST",
    74: "AEROSPIKE_QUOTAS_NOT_ENABLED",
    75: "AEROSPIKE_INVALID_QUOTA",
    80: "AEROSPIKE_NOT_AUTHENTICATED",
    81: "AEROSPIKE_ROLE_VIOLATION",
    82: "AEROSPIKE_NOT_WHITELISTED",
    83: "AEROSPIKE_QUOTA_EXCEEDED",
    100: "AEROSPIKE_ERR_UDF",
    120: "AEROSPIKE_MRT_BLOCKED",
    121: "AEROSPIKE_MRT_VERSION_MISMATCH",
    122: "AEROSPIKE_MRT_EXPIRED",
    123: "AEROSPIKE_MRT_TOO_MANY_WRITES",
    124: "AEROSPIKE_MRT_COMMITTED",
    125: "AEROSPIKE_MRT_ABORTED",
    126: "AEROSPIKE_MRT_ALREADY_LOCKED",
    127: "AEROSPIKE_MRT_MONITOR_EXISTS",
    150: "AEROSPIKE_ERR_BATCH_DISABLED",
    151: "AEROSPIKE_ERR_BATCH_MAX_REQUESTS_EXCEEDED",
    152: "AEROSPIKE_ERR_BATCH_QUEUES_FULL",
    200: "AEROSPIKE_ERR_INDEX_FOUND",
    201: "AEROSPIKE_ERR_INDEX_NOT_FOUND",
    202: "AEROSPIKE_ERR_INDEX_OOM",
    203: "AEROSPIKE_ERR_INDEX_NOT_READABLE",
    204: "AEROSPIKE_ERR_INDEX",
    205: "AEROSPIKE_ERR_INDEX_NAME_MAXLEN",
    206: "AEROSPIKE_ERR_INDEX_MAXCOUNT",
    210: "AEROSPIKE_ERR_QUERY_ABORTED",
    211: "AEROSPIKE_ERR_QUERY_QUEUE_FULL",
    212: "AEROSPIKE_ERR_QUERY_TIMEOUT",
    213: "AEROSPIKE_ERR_QUERY",
}


def result_code_name(code: int) -> str:
    """The ``AEROSPIKE_*`` name the official client puts in messages for ``code``."""
    name = _RESULT_CODE_NAMES.get(code)
    if name is not None:
        return name
    return "AEROSPIKE_ERR_CLIENT" if code < 0 else "AEROSPIKE_ERR_SERVER"


_ATTRS = ("code", "msg", "file", "line", "in_doubt")


class AerospikeError(Exception):
    """Base of every exception the client raises.

    Built as ``Cls(code, msg, file, line, in_doubt)``; missing trailing values
    keep the class defaults (``code`` is the class's result code).
    """

    code: int | None = None
    msg: str | None = None
    file: str | None = None
    line: int | None = None
    in_doubt: bool | None = None
    subcode: int | None = None

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if args and (args[0] is None or isinstance(args[0], int)):
            for name, value in zip(_ATTRS, args):
                setattr(self, name, value)


class ClientError(AerospikeError):
    """A client-side failure: misconfiguration or misuse of the API."""

    code = -1


class ServerError(AerospikeError):
    """Base of the errors the cluster returns."""

    code: int | None = 1


class TimeoutError(AerospikeError):
    """The command did not finish within its timeout."""

    code = 9


class ParamError(ClientError):
    """Invalid arguments; nothing was sent."""

    code = -2


class InvalidHostError(ClientError):
    """A host name could not be resolved."""

    code = -4


class ConnectionError(ClientError):
    """A connection to a node could not be made or broke."""

    code = -10


class TLSError(ClientError):
    """A TLS failure."""

    code = -9


class BatchFailed(ClientError):
    """One or more keys of a batch failed."""

    code = -16


class NoResponse(ClientError):
    """The server sent no response."""

    code = -15


class MaxErrorRateExceeded(ClientError):
    """The node's error rate limit was reached; the command was not sent."""

    code = -14


class MaxRetriesExceeded(ClientError):
    """The retry limit was reached."""

    code = -12


class InvalidNodeError(ClientError):
    """The node is invalid or could not be found."""

    code = -8


class NoMoreConnectionsError(ClientError):
    """The node's connection pool is at its limit."""

    code = -7


class AsyncConnectionError(ClientError):
    """An asynchronous connection failure."""

    code = -6


class ClientAbortError(ClientError):
    """A scan or query was aborted by the user's callback."""

    code = -5


class TransactionFailed(ClientError):
    """The transaction failed."""

    code = -17


class TransactionAlreadyCommitted(ClientError):
    """Abort was called on a transaction already committed."""

    code = -18


class TransactionAlreadyAborted(ClientError):
    """Commit was called on a transaction already aborted."""

    code = -19


class InvalidRequest(ServerError):
    """The request or one of its fields is invalid."""

    code = 4


class ServerFull(ServerError):
    """The namespace is out of memory or storage space."""

    code = 8


class AlwaysForbidden(ServerError):
    """The operation is not allowed in the current configuration."""

    code = 10


class UnsupportedFeature(ServerError):
    """The server does not implement the feature."""

    code = 16


class DeviceOverload(ServerError):
    """The storage devices cannot keep up with the writes."""

    code = 18


class NamespaceNotFound(ServerError):
    """The namespace is not known to the server."""

    code = 20


class ForbiddenError(ServerError):
    """The operation is not allowed at this time."""

    code = 22


class QueryError(ServerError):
    """Base of the query errors."""

    code = 213


class ClusterError(ServerError):
    """Cluster discovery or connection errors."""

    code = 11


class InvalidGeoJSON(ServerError):
    """The GeoJSON value is invalid or unsupported."""

    code = 160


class OpNotApplicable(ServerError):
    """The operation cannot be applied to the bin's current value."""

    code = 26


class FilteredOut(ServerError):
    """The filter expression was false; the command was not performed."""

    code = 27


class LostConflict(ServerError):
    """The write lost a conflict to XDR."""

    code = 28


class ScanAbortedError(ServerError):
    """The scan was aborted."""

    code = 15


class ElementNotFoundError(ServerError):
    """An update-only CDT write found no such element."""

    code = 23


class ElementExistsError(ServerError):
    """A create-only CDT write found the element present."""

    code = 24


class BatchDisabledError(ServerError):
    """Batch commands are disabled on the server."""

    code = 150


class BatchMaxRequestError(ServerError):
    """The server's batch request limit was exceeded."""

    code = 151


class BatchQueueFullError(ServerError):
    """All batch queues of the server are full."""

    code = 152


class QueryAbortedError(ServerError):
    """The query was aborted."""

    code = 210


class ClusterChangeError(ClusterError):
    """The cluster changed during the request."""

    code = 7


class RecordError(ServerError):
    """Base of record and bin errors."""

    code: int | None = None
    key: tuple[object, ...] | None = None
    bin: str | None = None


class RecordKeyMismatch(RecordError):
    """The key sent does not match the key stored."""

    code = 19


class RecordNotFound(RecordError):
    """The record does not exist."""

    code = 2


class RecordGenerationError(RecordError):
    """The record's generation does not satisfy the write policy."""

    code = 3


class RecordExistsError(RecordError):
    """The record already exists (create-only write)."""

    code = 5


class RecordTooBig(RecordError):
    """The record does not fit in a storage write block."""

    code = 13


class RecordBusy(RecordError):
    """Too many concurrent requests on one record (hot key)."""

    code = 14


class BinNameError(RecordError):
    """The bin name is too long or the bin name quota is exhausted."""

    code = 21


class BinIncompatibleType(RecordError):
    """The operation does not fit the bin's value type."""

    code = 12


class BinExistsError(RecordError):
    """The bin already exists (create-only operation)."""

    code = 6


class BinNotFound(RecordError):
    """The bin does not exist (update-only operation)."""

    code = 17


class IndexError(ServerError):
    """Base of the secondary index errors."""

    code = 204
    name: str | None = None


class IndexNotFound(IndexError):
    """The secondary index does not exist."""

    code = 201


class IndexFoundError(IndexError):
    """The secondary index already exists."""

    code = 200


class IndexOOM(IndexError):
    """The secondary index is out of memory."""

    code = 202


class IndexNotReadable(IndexError):
    """The secondary index is not readable yet."""

    code = 203


class IndexNameMaxLen(IndexError):
    """The index name is too long."""

    code = 205


class IndexNameMaxCount(IndexError):
    """The maximum number of indexes was reached."""

    code = 206


class UDFError(ServerError):
    """Base of the UDF errors."""

    code = 100
    module: str | None = None
    func: str | None = None


class UDFNotFound(UDFError):
    """The UDF does not exist."""

    code = 1301


class LuaFileNotFound(UDFError):
    """The Lua file does not exist."""

    code = 1302


class AdminError(ServerError):
    """Base of the security API errors."""

    code: int | None = None


class SecurityNotSupported(AdminError):
    """The server does not support security."""

    code = 51


class SecurityNotEnabled(AdminError):
    """Security is not enabled on the server."""

    code = 52


class SecuritySchemeNotSupported(AdminError):
    """The security scheme is not supported."""

    code = 53


class InvalidCommand(AdminError):
    """The administration command is invalid."""

    code = 54


class InvalidField(AdminError):
    """An administration field is invalid."""

    code = 55


class IllegalState(AdminError):
    """The security protocol was not followed."""

    code = 56


class InvalidUser(AdminError):
    """The user name is invalid."""

    code = 60


class UserExistsError(AdminError):
    """The user already exists."""

    code = 61


class InvalidPassword(AdminError):
    """The password is invalid."""

    code = 62


class ExpiredPassword(AdminError):
    """The password has expired."""

    code = 63


class ForbiddenPassword(AdminError):
    """The password is forbidden (for example recently used)."""

    code = 64


class InvalidCredential(AdminError):
    """The security credential is invalid."""

    code = 65


class InvalidRole(AdminError):
    """The role name is invalid."""

    code = 70


class RoleExistsError(AdminError):
    """The role already exists."""

    code = 71


class RoleViolation(AdminError):
    """The user lacks the role the operation needs."""

    code = 81


class InvalidPrivilege(AdminError):
    """The privilege is invalid."""

    code = 72


class NotAuthenticated(AdminError):
    """The user is not authenticated."""

    code = 80


class InvalidWhitelist(AdminError):
    """The IP allowlist is invalid."""

    code = 73


class NotWhitelisted(AdminError):
    """The sender's IP is not in the allowlist."""

    code = 82


class QuotasNotEnabled(AdminError):
    """Quotas are not enabled on the server."""

    code = 74


class InvalidQuota(AdminError):
    """The quota is invalid."""

    code = 75


class QuotaExceeded(AdminError):
    """A quota was exceeded."""

    code = 83


class QueryQueueFull(QueryError):
    """The query processing queue is full."""

    code = 211


class QueryTimeout(QueryError):
    """The secondary index query timed out on the server."""

    code = 212

__all__ += [
    "AerospikeError",
    "ClientError",
    "ServerError",
    "TimeoutError",
    "ParamError",
    "InvalidHostError",
    "ConnectionError",
    "TLSError",
    "BatchFailed",
    "NoResponse",
    "MaxErrorRateExceeded",
    "MaxRetriesExceeded",
    "InvalidNodeError",
    "NoMoreConnectionsError",
    "AsyncConnectionError",
    "ClientAbortError",
    "TransactionFailed",
    "TransactionAlreadyCommitted",
    "TransactionAlreadyAborted",
    "InvalidRequest",
    "ServerFull",
    "AlwaysForbidden",
    "UnsupportedFeature",
    "DeviceOverload",
    "NamespaceNotFound",
    "ForbiddenError",
    "QueryError",
    "ClusterError",
    "InvalidGeoJSON",
    "OpNotApplicable",
    "FilteredOut",
    "LostConflict",
    "ScanAbortedError",
    "ElementNotFoundError",
    "ElementExistsError",
    "BatchDisabledError",
    "BatchMaxRequestError",
    "BatchQueueFullError",
    "QueryAbortedError",
    "ClusterChangeError",
    "RecordError",
    "RecordKeyMismatch",
    "RecordNotFound",
    "RecordGenerationError",
    "RecordExistsError",
    "RecordTooBig",
    "RecordBusy",
    "BinNameError",
    "BinIncompatibleType",
    "BinExistsError",
    "BinNotFound",
    "IndexError",
    "IndexNotFound",
    "IndexFoundError",
    "IndexOOM",
    "IndexNotReadable",
    "IndexNameMaxLen",
    "IndexNameMaxCount",
    "UDFError",
    "UDFNotFound",
    "LuaFileNotFound",
    "AdminError",
    "SecurityNotSupported",
    "SecurityNotEnabled",
    "SecuritySchemeNotSupported",
    "InvalidCommand",
    "InvalidField",
    "IllegalState",
    "InvalidUser",
    "UserExistsError",
    "InvalidPassword",
    "ExpiredPassword",
    "ForbiddenPassword",
    "InvalidCredential",
    "InvalidRole",
    "RoleExistsError",
    "RoleViolation",
    "InvalidPrivilege",
    "NotAuthenticated",
    "InvalidWhitelist",
    "NotWhitelisted",
    "QuotasNotEnabled",
    "InvalidQuota",
    "QuotaExceeded",
    "QueryQueueFull",
    "QueryTimeout",
]


def _registry() -> dict[int, type[AerospikeError]]:
    by_code: dict[int, type[AerospikeError]] = {}
    pending: list[type[AerospikeError]] = [AerospikeError]
    while pending:
        cls = pending.pop(0)
        if cls.code is not None:
            by_code.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return by_code


EXCEPTION_BY_CODE: dict[int, type[AerospikeError]] = _registry()


def not_connected(period: bool = False) -> ClusterError:
    """What a command on a client that is not, or no longer, connected raises (the
    official client ends the message with a period for get_node_names and the
    info_random_node/info_single_node calls)."""
    return ClusterError(ClusterError.code, "No connection to aerospike cluster"
                        + ("." if period else ""), None, None, False)


def exception_class_for(code: int) -> type[AerospikeError]:
    """The class raised for ``code``: its registered class, else AerospikeError."""
    return EXCEPTION_BY_CODE.get(code, AerospikeError)


def exception_for(
    code: int,
    msg: str = "",
    in_doubt: bool = False,
    *,
    subcode: int | None = None,
    file: str | None = None,
    line: int | None = None,
) -> AerospikeError:
    """Build the documented exception for result ``code`` with its attributes set."""
    exc = exception_class_for(code)(code, msg, file, line, in_doubt)
    if subcode is not None:
        exc.subcode = subcode
    return exc
