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
    "batch": {**_BASE, **_READ, "concurrent_nodes": True, "allow_inline": True,
              "allow_inline_ssd": False, "respond_all_keys": True},
    # the parent policy of batches that write (C as_policy_batch_parent_write: no retries)
    "batch_parent_write": {**_BASE, **_READ, "max_retries": 0, "concurrent_nodes": True,
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
                        "concurrent_nodes", "allow_inline", "allow_inline_ssd",
                        "respond_all_keys", "short_query"})


_SETTINGS = frozenset({
    "total_timeout", "socket_timeout", "max_retries", "sleep_between_retries", "compress",
    "expressions", "replica", "key", "read_mode_ap", "read_mode_sc", "deserialize",
    "read_touch_ttl_percent", "exists", "gen", "commit_level", "durable_delete", "ttl",
    "compression_threshold", "respond_all_ops"})


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


class PolicySet:
    """The client's configured policies, resolving per-call overrides with a cache."""

    def __init__(self, config: dict[str, Any]) -> None:
        configured = config.get("policies") or {}
        if not isinstance(configured, dict):
            raise ParamError(-2, "config key 'policies' must be a dict", None, None, False)
        shared = {k: v for k, v in configured.items() if not isinstance(v, dict)}
        validate_policy(shared, "policies")
        if "timeout" in config and isinstance(config["timeout"], int):
            shared.setdefault("total_timeout", config["timeout"])
        self._base: dict[str, dict[str, Any]] = {}
        self._resolved: dict[str, Policy] = {}
        for kind, defaults in DEFAULTS.items():
            given = configured.get(kind) or {}
            validate_policy(given, f"policies[{kind!r}]")
            merged = {**defaults, **{k: v for k, v in shared.items() if k in defaults}, **given}
            self._base[kind] = merged
            self._resolved[kind] = Policy(kind, merged)

    def resolve(self, kind: str, policy: Any = None) -> Policy:
        """The effective policy of ``kind`` with the caller's overrides applied."""
        if not policy:
            if policy is not None and not isinstance(policy, dict):
                validate_policy(policy)
            return self._resolved[kind]
        validate_policy(policy)
        return Policy(kind, {**self._base[kind], **policy})

    def base(self, kind: str) -> dict[str, Any]:
        return dict(self._base[kind])
