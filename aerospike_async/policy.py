"""Documented client config and policy keys: defaults, merging, validation.

A policy given to a call is merged over the client's configured policy of
that kind, which is merged over the documented defaults. The result is a
``Policy`` with every field set, resolved once per distinct input.
"""
from __future__ import annotations

from typing import Any

from . import constants as C
from .exceptions import ParamError
from .protocol.expressions import INVALID_EXPRESSIONS
from .protocol.message import INFO4_MRT_ON_LOCKING_ONLY

_BASE = {
    "total_timeout": 1000, "socket_timeout": 30000, "max_retries": 0,
    "sleep_between_retries": 0, "compress": False, "expressions": None,
    "replica": C.POLICY_REPLICA_SEQUENCE, "key": C.POLICY_KEY_DIGEST,
}
_READ = {"max_retries": 2, "read_mode_ap": C.POLICY_READ_MODE_AP_ONE,
         "read_mode_sc": C.POLICY_READ_MODE_SC_SESSION, "deserialize": True,
         "read_touch_ttl_percent": 0}
_WRITE = {"exists": C.POLICY_EXISTS_IGNORE, "gen": C.POLICY_GEN_IGNORE,
          "commit_level": C.POLICY_COMMIT_LEVEL_ALL, "durable_delete": False,
          "ttl": 0, "compression_threshold": 0}

DEFAULTS: dict[str, dict[str, Any]] = {
    "read": {**_BASE, **_READ},
    "write": {**_BASE, **_WRITE},
    "operate": {**_BASE, **_READ, **_WRITE, "max_retries": 0, "respond_all_ops": False},
    "remove": {**_BASE, **_WRITE},
    "apply": {**_BASE, **_WRITE},
    "batch": {**_BASE, **_READ, "concurrent": True, "allow_inline": True,
              "allow_inline_ssd": False, "respond_all_keys": True},
    # the parent policy of batches that write (C as_policy_batch_parent_write: no retries)
    "batch_parent_write": {**_BASE, **_READ, "max_retries": 0, "concurrent": True,
                           "allow_inline": True, "allow_inline_ssd": False,
                           "respond_all_keys": True},
    # per-record policies of batch writes, removes, UDF applies and reads
    "batch_write": {"key": C.POLICY_KEY_DIGEST, "exists": C.POLICY_EXISTS_IGNORE,
                    "gen": C.POLICY_GEN_IGNORE, "commit_level": C.POLICY_COMMIT_LEVEL_ALL,
                    "durable_delete": False, "ttl": 0, "expressions": None},
    "batch_remove": {"key": C.POLICY_KEY_DIGEST, "gen": C.POLICY_GEN_IGNORE,
                     "commit_level": C.POLICY_COMMIT_LEVEL_ALL, "durable_delete": False,
                     "generation": 0, "expressions": None},
    "batch_apply": {"key": C.POLICY_KEY_DIGEST, "commit_level": C.POLICY_COMMIT_LEVEL_ALL,
                    "durable_delete": False, "ttl": 0, "expressions": None},
    "batch_read": {"read_mode_ap": C.POLICY_READ_MODE_AP_ONE,
                   "read_mode_sc": C.POLICY_READ_MODE_SC_SESSION,
                   "read_touch_ttl_percent": 0, "expressions": None},
    "scan": {**_BASE, "total_timeout": 0, "max_retries": 5, "records_per_second": 0,
             "durable_delete": False, "max_records": 0},
    "query": {**_BASE, "total_timeout": 0, "max_retries": 5, "records_per_second": 0,
              "deserialize": True, "short_query": False, "expected_duration": 0},
    "info": {"timeout": 1000},
}

_INT_KEYS = frozenset({
    "total_timeout", "socket_timeout", "max_retries", "sleep_between_retries", "replica",
    "key", "read_mode_ap", "read_mode_sc", "read_touch_ttl_percent", "exists", "gen",
    "commit_level", "ttl", "compression_threshold", "records_per_second", "max_records",
    "timeout", "expected_duration", "generation"})
_BOOL_KEYS = frozenset({"compress", "deserialize", "durable_delete", "respond_all_ops",
                        "concurrent", "allow_inline", "allow_inline_ssd",
                        "respond_all_keys", "short_query"})


_SETTINGS = frozenset({
    "total_timeout", "socket_timeout", "max_retries", "sleep_between_retries", "compress",
    "expressions", "replica", "key", "read_mode_ap", "read_mode_sc", "deserialize",
    "read_touch_ttl_percent", "exists", "gen", "commit_level", "durable_delete", "ttl",
    "compression_threshold", "respond_all_ops", "concurrent", "allow_inline",
    "allow_inline_ssd", "respond_all_keys"})


# -- validate_keys: the keys each dict may hold, as the official client lists them -------
_BASE_KEYS = frozenset({"total_timeout", "socket_timeout", "max_retries",
                        "sleep_between_retries", "compress", "txn", "expressions",
                        "connect_timeout", "timeout_delay"})
_INFO_KEYS = frozenset({"timeout", "send_as_is", "check_bounds"})
_WRITE_KEYS = frozenset({"key", "gen", "exists", "commit_level", "durable_delete", "replica",
                         "compression_threshold", "on_locking_only", "ttl"})
_BATCH_KEYS = _BASE_KEYS | {"concurrent", "allow_inline", "allow_inline_ssd", "deserialize",
                            "replica", "read_touch_ttl_percent", "read_mode_ap",
                            "read_mode_sc", "respond_all_keys"}
_SCAN_KEYS = _BASE_KEYS | {"durable_delete", "records_per_second", "max_records", "replica",
                           "ttl", "partition_filter"}
VALID_KEYS: dict[str, frozenset[str]] = {
    "read": _BASE_KEYS | {"key", "replica", "deserialize", "read_touch_ttl_percent",
                         "read_mode_ap", "read_mode_sc"},
    "write": _BASE_KEYS | _WRITE_KEYS,
    "apply": _BASE_KEYS | {"key", "replica", "commit_level", "durable_delete", "ttl",
                          "on_locking_only"},
    "operate": _BASE_KEYS | {"key", "gen", "exists", "commit_level", "durable_delete",
                            "replica", "deserialize", "read_touch_ttl_percent",
                            "read_mode_ap", "read_mode_sc", "on_locking_only", "ttl"},
    "remove": _BASE_KEYS | {"key", "gen", "generation", "commit_level", "durable_delete",
                           "replica"},
    "batch": _BATCH_KEYS, "batch_parent_write": _BATCH_KEYS,
    "txn_verify": _BATCH_KEYS, "txn_roll": _BATCH_KEYS,
    "batch_write": frozenset({"key", "gen", "exists", "commit_level", "durable_delete",
                              "on_locking_only", "expressions", "ttl"}),
    "batch_read": frozenset({"read_touch_ttl_percent", "read_mode_ap", "read_mode_sc",
                             "expressions"}),
    "batch_apply": frozenset({"key", "commit_level", "durable_delete", "on_locking_only",
                              "expressions", "ttl"}),
    "batch_remove": frozenset({"key", "gen", "generation", "commit_level", "durable_delete",
                               "expressions"}),
    "scan": _SCAN_KEYS,
    "query": _BASE_KEYS | {"deserialize", "replica", "short_query", "expected_duration",
                          "partition_filter"},
    "info": _INFO_KEYS,
    "admin": frozenset({"timeout"}),
    # a background scan_apply/query_apply waits for its job under the same policy
    "scan_apply": _SCAN_KEYS | _INFO_KEYS,
    "query_apply": _BASE_KEYS | _WRITE_KEYS | _INFO_KEYS,
    # the policies of list, map, bit and HyperLogLog operations
    "list": frozenset({"list_order", "write_flags"}),
    "map": frozenset({"map_order", "map_write_flags", "persist_index"}),
    "bit": frozenset({"bit_write_flags"}),
    "hll": frozenset({"flags"}),
}
CONFIG_KEYS = frozenset({
    "hosts", "user", "password", "validate_keys", "config_provider", "lua", "policies",
    "shm", "use_shared_connection", "tls", "send_bool_as", "serialization",
    "thread_pool_size", "max_threads", "max_socket_idle", "min_conns_per_node",
    "max_conns_per_node", "max_error_rate", "error_rate_window", "connect_timeout",
    "compression_threshold", "tend_interval", "cluster_name", "strict_types", "rack_aware",
    "rack_id", "rack_ids", "use_services_alternate", "fail_if_not_connected", "app_id",
    "force_single_node"})
# the keys of the config's sub-dicts (the policies dict's own, besides the policy kinds)
CONFIG_SECTION_KEYS: dict[str, frozenset[str]] = {
    "lua": frozenset({"system_path", "user_path"}),
    "tls": frozenset({"enable", "cafile", "capath", "protocols", "cipher_suite", "keyfile",
                      "keyfile_pw", "cert_blacklist", "certfile", "crl_check",
                      "crl_check_all", "log_session_info", "for_login_only"}),
    "shm": frozenset({"max_nodes", "max_namespaces", "takeover_threshold_sec", "shm_key",
                      "shm_max_nodes", "shm_max_namespaces", "shm_takeover_threshold_sec"}),
    "policies": frozenset({
        "read", "write", "apply", "operate", "remove", "query", "scan", "batch",
        "batch_remove", "batch_apply", "batch_write", "batch_parent_write", "info", "admin",
        "txn_verify", "txn_roll", "metrics", "total_timeout", "socket_timeout",
        "auth_mode", "login_timeout_ms", "key", "exists", "max_retries", "replica",
        "read_mode_ap", "commit_level", "max_threads", "thread_pool_size"}),
}
METADATA_KEYS = frozenset({"gen", "ttl"})
# the config's policy kinds that resolve() never merges, checked at construction only
_CONFIG_ONLY_KINDS = ("admin", "txn_verify", "txn_roll")
_BAD_CONFIG_VALUE = "Invalid Policy setting value"
_NONE: dict[str, Any] = {}


def check_keys(given: dict, valid: frozenset[str], what: str = "policy") -> None:
    """With ``validate_keys``: ParamError naming the first key of ``given`` that is not
    in ``valid`` (``what`` is "policy", "client config" or "record metadata")."""
    if given.keys() - valid:
        name = next(k for k in given if k not in valid)
        raise ParamError(-2, f'"{name}" is an invalid {what} dictionary key', None, None,
                         False)


# the op dict field holding each kind of operation policy, by operation code range
_OP_POLICY_FIELDS = ((1000, 1100, "list_policy", "list"), (1100, 1200, "map_policy", "map"),
                     (2000, 2100, "policy", "bit"), (2100, 2200, "hll_policy", "hll"))


def check_op_policies(operations: Any) -> None:
    """With ``validate_keys``: the list, map, bit and HLL policies of ``operations``."""
    for op in operations:
        code = op.get("op") if isinstance(op, dict) else None
        if type(code) is not int:
            continue
        for low, high, field, kind in _OP_POLICY_FIELDS:
            if low <= code < high:
                policy = op.get(field)
                if policy and isinstance(policy, dict):
                    check_keys(policy, VALID_KEYS[kind])
                break


def check_config_keys(config: dict[str, Any]) -> bool:
    """Whether ``config`` asks for ``validate_keys`` (ParamError unless it is a bool); when
    it does, ParamError for an unknown key in the config or its lua, tls, shm and
    policies dicts."""
    validate = config.get("validate_keys", False)
    if type(validate) is not bool:
        raise ParamError(-2, 'config["validate_keys"] must be a boolean', None, None, False)
    if validate:
        check_keys(config, CONFIG_KEYS, "client config")
        for section, valid in CONFIG_SECTION_KEYS.items():
            value = config.get(section)
            if isinstance(value, dict):
                check_keys(value, valid, "client config")
    return validate


class Policy:
    """Every setting of one policy kind, as attributes (milliseconds for times)."""

    __slots__ = ("kind", *sorted(_SETTINGS), "extra", "socket_s", "total_s",
                 "header_timeout", "derived")

    total_timeout: int
    socket_timeout: int
    max_retries: int
    sleep_between_retries: int
    compress: bool
    expressions: Any
    replica: int
    key: int
    read_mode_ap: int
    read_mode_sc: int
    deserialize: bool
    read_touch_ttl_percent: int
    exists: int
    gen: int
    commit_level: int
    durable_delete: bool
    ttl: int
    compression_threshold: int
    respond_all_ops: bool
    concurrent: bool
    allow_inline: bool
    allow_inline_ssd: bool
    respond_all_keys: bool
    socket_s: float
    total_s: float
    header_timeout: int

    def __init__(self, kind: str, values: dict[str, Any]) -> None:
        self.kind = kind
        extra = {}
        for name in _SETTINGS:
            setattr(self, name, None)
        for name, value in values.items():
            if name in _SETTINGS:
                setattr(self, name, value)
            else:
                extra[name] = value
        self.extra = extra
        if self.read_touch_ttl_percent:   # -1 (never reset the ttl) travels as 0xFFFFFFFF
            self.read_touch_ttl_percent &= 0xFFFFFFFF
        # the deadline algebra (REFERENCE §5): socket = min(socket, total), total when
        # socket is 0; the header carries it only when there is a total timeout
        total = (self.total_timeout or 0) / 1000.0
        socket = (self.socket_timeout or 0) / 1000.0
        if total and (not socket or socket > total):
            socket = total
        self.socket_s = socket
        self.total_s = total
        self.header_timeout = int(socket * 1000) if total else 0
        # what this policy alone determines, computed on first use: request bytes up to a
        # key's digest by (command, ns, set), a write's header bits without meta
        self.derived: dict[Any, Any] = {}

    def get(self, name: str, default: Any = None) -> Any:
        if name in _SETTINGS:
            value = getattr(self, name)
            return default if value is None else value
        return self.extra.get(name, default)


def write_info4(pol: Policy) -> int:
    """info4 of a write under ``pol``: its ``on_locking_only`` flag."""
    return INFO4_MRT_ON_LOCKING_ONLY if pol.extra and pol.get("on_locking_only") else 0


def validate_policy(policy: Any, arg: str = "policy") -> dict[str, Any]:
    """Check a caller's policy dict; ParamError naming the bad key otherwise."""
    if policy is None:
        return {}
    if not isinstance(policy, dict):
        raise ParamError(-2, f"{arg} must be a dict", None, None, False)
    for name, value in policy.items():
        if name in _INT_KEYS and (not isinstance(value, int) or isinstance(value, bool)):
            raise ParamError(-2, f"{name} is invalid", None, None, False)   # C's wording
        if name in _INT_KEYS and value < 0 and name not in ("ttl", "read_touch_ttl_percent"):
            raise ParamError(-2, f"{arg} key {name!r} must not be negative", None, None,
                             False)
        if name in _BOOL_KEYS and not isinstance(value, (bool, int)):
            raise ParamError(-2, f"{arg} key {name!r} must be a bool", None, None, False)
    if "expressions" in policy and policy["expressions"] is None:
        raise ParamError(-2, INVALID_EXPRESSIONS, None, None, False)
    return policy


def _check_config_policy(given: Any, kind: str, validate_keys: bool) -> dict[str, Any]:
    """One policy dict of the config (``policies[kind]``), its values worded as the
    official client words them at construction."""
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise ParamError(-2, _BAD_CONFIG_VALUE, None, None, False)
    if validate_keys:
        check_keys(given, VALID_KEYS[kind])
    try:
        validate_policy(given, f"policies[{kind!r}]")
    except ParamError:
        raise ParamError(-2, _BAD_CONFIG_VALUE, None, None, False) from None
    generation = given.get("generation")
    if generation is not None and not 0 <= generation <= 0xFFFF:   # a 16-bit field
        raise ParamError(-2, _BAD_CONFIG_VALUE, None, None, False)
    return given


class PolicySet:
    """The client's configured policies, resolving per-call overrides with a cache.

    ``validate_keys`` (the config's) makes ``resolve`` and ``check`` refuse a key the
    policy kind does not document; off, unknown keys are ignored at no cost."""

    def __init__(self, config: dict[str, Any], validate_keys: bool = False) -> None:
        self.validate_keys = validate_keys
        configured = config.get("policies") or {}
        if not isinstance(configured, dict):
            raise ParamError(-2, "config key 'policies' must be a dict", None, None, False)
        shared = {k: v for k, v in configured.items() if not isinstance(v, dict)}
        shared.pop("metrics", None)   # a MetricsPolicy, the client's to check
        validate_policy(shared, "policies")
        if "timeout" in config and isinstance(config["timeout"], int):
            shared.setdefault("total_timeout", config["timeout"])
        self._base: dict[str, dict[str, Any]] = {}
        self._resolved: dict[str, Policy] = {}
        for kind, defaults in DEFAULTS.items():
            given = configured.get(kind) if kind in configured else None
            given = _check_config_policy(given, kind, validate_keys and kind in configured)
            merged = {**defaults, **{k: v for k, v in shared.items() if k in defaults}, **given}
            self._base[kind] = merged
            self._resolved[kind] = Policy(kind, merged)
        for kind in _CONFIG_ONLY_KINDS:
            _check_config_policy(configured.get(kind), kind, validate_keys)
        self._forced: dict[str, dict[str, Any]] = {}

    def force(self, forced: dict[str, dict[str, Any]]) -> None:
        """Settings that win over both the configured policies and every call's own, per
        kind (a dynamic configuration file's); replaces the previous ones."""
        self._forced = forced
        for kind, base in self._base.items():
            self._resolved[kind] = Policy(kind, {**base, **forced.get(kind, {})})

    def resolve(self, kind: str, policy: Any = None) -> Policy:
        """The effective policy of ``kind`` with the caller's overrides applied (with
        ``validate_keys``, its keys checked as those of ``kind``)."""
        if not policy:
            if policy is not None and not isinstance(policy, dict):
                validate_policy(policy)
            return self._resolved[kind]
        validate_policy(policy)
        if self.validate_keys:
            check_keys(policy, VALID_KEYS[kind])
        return Policy(kind, {**self._base[kind], **policy, **self._forced.get(kind, _NONE)})

    def check(self, kind: str, policy: Any) -> None:
        """With ``validate_keys``, refuse a key a ``kind`` policy dict does not document
        (for the dicts that ``resolve`` does not see: admin, list, map, bit, HLL)."""
        if self.validate_keys and policy and isinstance(policy, dict):
            check_keys(policy, VALID_KEYS[kind])

    def base(self, kind: str) -> dict[str, Any]:
        return dict(self._base[kind])
