"""Dynamic client configuration from a YAML file (``aerospike.ConfigProvider``).

The file has the schema of the official clients' dynamic configuration::

    version: 1.0.0
    static:            # read once, when the client connects
      client:
        config_interval: 1000
        max_connections_per_node: 100
    dynamic:           # read again whenever the file changes
      client: {timeout: 1000, max_error_rate: 100, tend_interval: 1000, ...}
      read: {total_timeout: 500, replica: SEQUENCE, read_mode_ap: ONE, ...}
      write: {send_key: true, durable_delete: false, ...}
      query: ..., scan: ..., batch_read: ..., batch_write: ..., batch_udf: ...,
      batch_delete: ..., txn_verify: ..., txn_roll: ...
      metrics: {enable: true, latency_columns: 7, latency_shift: 1, labels: {...}}

The policy fields of the file override the configured policies and those given to each
command. Fields this client has no use for (``connect_timeout``, ``timeout_delay``, ...)
are accepted and ignored. This module parses; ``cluster.config_file`` reads and watches
the file, and the client applies what it says.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import constants as C

_U32 = (1 << 32) - 1

_REPLICAS = {"MASTER": C.POLICY_REPLICA_MASTER, "MASTER_PROLES": C.POLICY_REPLICA_ANY,
             "SEQUENCE": C.POLICY_REPLICA_SEQUENCE, "PREFER_RACK": C.POLICY_REPLICA_PREFER_RACK,
             "RANDOM": C.POLICY_REPLICA_RANDOM}
_READ_MODES_AP = {"ONE": C.POLICY_READ_MODE_AP_ONE, "ALL": C.POLICY_READ_MODE_AP_ALL}
_READ_MODES_SC = {"SESSION": C.POLICY_READ_MODE_SC_SESSION,
                  "LINEARIZE": C.POLICY_READ_MODE_SC_LINEARIZE,
                  "ALLOW_REPLICA": C.POLICY_READ_MODE_SC_ALLOW_REPLICA,
                  "ALLOW_UNAVAILABLE": C.POLICY_READ_MODE_SC_ALLOW_UNAVAILABLE}
_DURATIONS = {"LONG": C.QUERY_DURATION_LONG, "SHORT": C.QUERY_DURATION_SHORT,
              "LONG_RELAX_AP": C.QUERY_DURATION_LONG_RELAX_AP}


class ConfigProvider:
    """Where a client reads its dynamic configuration: the YAML file at ``path``, checked
    for changes every ``interval`` milliseconds (default 60000, at least the tend
    interval). Immutable."""

    __slots__ = ("_path", "_interval")

    def __init__(self, path: str, interval: int = 60000) -> None:
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, not {type(path).__name__}")
        if isinstance(interval, bool) or not isinstance(interval, int):
            raise TypeError(f"interval must be an int, not {type(interval).__name__}")
        if not 0 <= interval <= _U32:
            raise ValueError("interval must fit in an unsigned 32-bit integer")
        self._path = path
        self._interval = interval

    @property
    def path(self) -> str:
        """The configuration file's path."""
        return self._path

    @property
    def interval(self) -> int:
        """Milliseconds between checks of the file for changes."""
        return self._interval

    def __repr__(self) -> str:
        return f"ConfigProvider(path={self._path!r}, interval={self._interval})"


@dataclass
class DynamicConfig:
    """What one reading of the file says.

    ``policies``: per policy kind of this client, the fields to force on every command;
    ``client``: config keys the file sets; ``metrics``: the metrics section (None: none)."""

    config_interval: int | None = None
    static: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None


def parse_config_text(text: str) -> DynamicConfig:
    """The DynamicConfig a configuration file's text describes (ValueError naming what is
    wrong)."""
    return parse_config(parse_yaml(text))


# -- the file's schema ------------------------------------------------------------------

def _uint(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _U32:
        raise ValueError(f"Invalid {name}: {value}")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"Invalid {name}: {value}")
    return value


def _choice(table: dict[str, int]) -> Any:
    def parse(value: Any, name: str) -> int:
        if value not in table:
            raise ValueError(f"Invalid {name}: {value}")
        return table[value]
    return parse


def _send_key(value: Any, name: str) -> int:
    return C.POLICY_KEY_SEND if _bool(value, name) else C.POLICY_KEY_DIGEST


# file field -> (our policy key, parser); None: accepted, not used by this client
_BASE_FIELDS: dict[str, Any] = {
    "socket_timeout": ("socket_timeout", _uint), "total_timeout": ("total_timeout", _uint),
    "max_retries": ("max_retries", _uint),
    "sleep_between_retries": ("sleep_between_retries", _uint),
    "replica": ("replica", _choice(_REPLICAS)), "connect_timeout": None,
    "timeout_delay": None, "fail_on_filtered_out": None,
}
_READ_FIELDS = {**_BASE_FIELDS, "read_mode_ap": ("read_mode_ap", _choice(_READ_MODES_AP)),
                "read_mode_sc": ("read_mode_sc", _choice(_READ_MODES_SC))}
_WRITE_FIELDS = {**_BASE_FIELDS, "send_key": ("key", _send_key),
                 "durable_delete": ("durable_delete", _bool)}
_BATCH_FIELDS = {**_READ_FIELDS, "concurrent_nodes": ("concurrent_nodes", _bool),
                 "max_concurrent_threads": None,
                 "allow_inline": ("allow_inline", _bool),
                 "allow_inline_ssd": ("allow_inline_ssd", _bool),
                 "respond_all_keys": ("respond_all_keys", _bool)}
_RECORD_WRITE_FIELDS = {"send_key": ("key", _send_key),
                        "durable_delete": ("durable_delete", _bool)}
_QUERY_FIELDS = {**_BASE_FIELDS, "info_timeout": None, "include_bin_data": None,
                 "record_queue_size": None,
                 "expected_duration": ("expected_duration", _choice(_DURATIONS))}
_SCAN_FIELDS = {**_READ_FIELDS, "concurrent_nodes": None, "max_concurrent_nodes": None}

# file section -> [(our policy kinds, fields)]: a write section sets every single-record
# write kind, a batch write section both the batch call's policy and its records' policy
_SECTIONS: dict[str, list[tuple[tuple[str, ...], dict[str, Any]]]] = {
    "read": [(("read",), _READ_FIELDS)],
    "write": [(("write", "operate", "remove", "apply"), _WRITE_FIELDS)],
    "query": [(("query",), _QUERY_FIELDS)],
    "scan": [(("scan",), _SCAN_FIELDS)],
    "batch_read": [(("batch",), _BATCH_FIELDS)],
    "batch_write": [(("batch_parent_write",), _BATCH_FIELDS),
                    (("batch_write",), _RECORD_WRITE_FIELDS)],
    "batch_udf": [(("batch_apply",), _RECORD_WRITE_FIELDS)],
    "batch_delete": [(("batch_remove",), _RECORD_WRITE_FIELDS)],
    "txn_verify": [(("txn_verify",), _BATCH_FIELDS)],
    "txn_roll": [(("txn_roll",), _BATCH_FIELDS)],
}
_STATIC_CLIENT = {"config_interval": ("config_interval", _uint),
                  "max_connections_per_node": ("max_conns_per_node", _uint),
                  "min_connections_per_node": ("min_conns_per_node", _uint),
                  "async_max_connections_per_node": None,
                  "async_min_connections_per_node": None}
_DYNAMIC_CLIENT = {"app_id": ("app_id", lambda v, _n: str(v)),
                   "timeout": ("connect_timeout", _uint),
                   "max_error_rate": ("max_error_rate", _uint),
                   "error_rate_window": ("error_rate_window", _uint),
                   "login_timeout": ("login_timeout_ms", _uint),
                   "max_socket_idle": ("max_socket_idle", _uint),
                   "tend_interval": ("tend_interval", _uint),
                   "fail_if_not_connected": ("fail_if_not_connected", _bool),
                   "use_service_alternative": ("use_services_alternate", _bool),
                   "rack_aware": ("rack_aware", _bool),
                   "rack_ids": ("rack_ids", lambda v, n: [_uint(i, n) for i in v]
                                if isinstance(v, list) else [_uint(v, n)])}
_METRICS = {"enable": ("enable", _bool), "latency_columns": ("latency_columns", _uint),
            "latency_shift": ("latency_shift", _uint),
            "labels": ("labels", lambda v, n: {str(k): str(x) for k, x in v.items()}
                       if isinstance(v, dict) else _fail(n, v))}


def _fail(name: str, value: Any) -> Any:
    raise ValueError(f"Invalid {name}: {value}")


def _fields(section: Any, table: dict[str, Any], where: str) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ValueError(f"{where} must be a mapping")
    out = {}
    for name, value in section.items():
        if name not in table:
            raise ValueError(f"Unexpected field: {where}.{name}")
        entry = table[name]
        if entry is not None:
            key, parse = entry
            out[key] = parse(value, name)
    return out


def parse_config(doc: Any) -> DynamicConfig:
    """The DynamicConfig a parsed file describes (ValueError naming what is wrong)."""
    if not isinstance(doc, dict):
        raise ValueError("the file must hold a mapping")
    unknown = set(doc) - {"version", "static", "dynamic"}
    if unknown:
        raise ValueError(f"Unexpected field: {sorted(unknown)[0]}")
    static = doc.get("static") or {}
    dynamic = doc.get("dynamic") or {}
    if not isinstance(static, dict) or not isinstance(dynamic, dict):
        raise ValueError("static and dynamic must be mappings")
    out = DynamicConfig()
    out.static = _fields(static.get("client"), _STATIC_CLIENT, "static.client")
    out.config_interval = out.static.pop("config_interval", None)
    for name, section in dynamic.items():
        if name == "client":
            out.client = _fields(section, _DYNAMIC_CLIENT, "dynamic.client")
        elif name == "metrics":
            out.metrics = _fields(section, _METRICS, "dynamic.metrics")
        elif name in _SECTIONS:
            tables = _SECTIONS[name]
            known = {f for _kinds, table in tables for f in table}
            _fields(section, dict.fromkeys(known), f"dynamic.{name}")   # names only
            for kinds, table in tables:
                values = _fields({k: v for k, v in section.items() if k in table}, table,
                                 f"dynamic.{name}")
                if values:
                    for kind in kinds:
                        out.policies.setdefault(kind, {}).update(values)
        else:
            raise ValueError(f"Unexpected field: dynamic.{name}")
    return out


# -- YAML, as much as the schema needs ------------------------------------------------------
# Block mappings nested by indentation, "- item" sequences, flow lists [a, b] and maps
# {a: 1}, plain or quoted scalars, comments. Scalars: true/false, null/~, integers,
# floats, everything else a string.

_LINE = re.compile(r"^(?P<indent> *)(?P<body>.*?)\s*$")


def parse_yaml(text: str) -> Any:
    """The value a YAML document of the subset above holds (ValueError otherwise)."""
    lines: list[tuple[int, str, int]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise ValueError(f"line {number}: tabs are not allowed in indentation")
        match = _LINE.match(_strip_comment(raw))
        assert match is not None
        body = match.group("body")
        if body and body not in ("---", "..."):
            lines.append((len(match.group("indent")), body, number))
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0][0])
    if end != len(lines):
        raise ValueError(f"line {lines[end][2]}: unexpected indentation")
    return value


def _outside_quotes(text: str) -> Iterator[tuple[int, str]]:
    """Each (index, character) of ``text`` that is not inside '...' or "..." quotes."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        else:
            yield i, ch


def _strip_comment(line: str) -> str:
    for i, ch in _outside_quotes(line):
        if ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


def _block(lines: list[tuple[int, str, int]], i: int, indent: int) -> tuple[Any, int]:
    if lines[i][1].startswith("- ") or lines[i][1] == "-":
        items = []
        while i < len(lines) and lines[i][0] == indent and (
                lines[i][1].startswith("- ") or lines[i][1] == "-"):
            rest = lines[i][1][1:].strip()
            if rest:
                items.append(_scalar(rest, lines[i][2]))
                i += 1
            elif i + 1 < len(lines) and lines[i + 1][0] > indent:
                value, i = _block(lines, i + 1, lines[i + 1][0])
                items.append(value)
            else:
                items.append(None)
                i += 1
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        _, body, number = lines[i]
        key, sep, rest = body.partition(":")
        if not sep or (rest and not rest.startswith(" ")):
            raise ValueError(f"line {number}: expected 'key: value'")
        key = _unquote(key.strip())
        rest = rest.strip()
        i += 1
        if rest:
            mapping[key] = _scalar(rest, number)
        elif i < len(lines) and lines[i][0] > indent:
            mapping[key], i = _block(lines, i, lines[i][0])
        elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            mapping[key], i = _block(lines, i, indent)   # a sequence not indented
        else:
            mapping[key] = None
    if i < len(lines) and lines[i][0] > indent:
        raise ValueError(f"line {lines[i][2]}: unexpected indentation")
    return mapping, i


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _scalar(text: str, number: int) -> Any:
    if text.startswith("[") or text.startswith("{"):
        return _flow(text, number)
    if text[0] in "'\"":
        if len(text) < 2 or text[-1] != text[0]:
            raise ValueError(f"line {number}: unterminated quote")
        return text[1:-1]
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered in ("null", "~"):
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _flow(text: str, number: int) -> Any:
    closing = {"[": "]", "{": "}"}[text[0]]
    if not text.endswith(closing):
        raise ValueError(f"line {number}: unterminated {text[0]}")
    inner = text[1:-1].strip()
    parts = [p.strip() for p in _split_top(inner)] if inner else []
    if closing == "]":
        return [_scalar(p, number) for p in parts]
    out = {}
    for part in parts:
        key, sep, value = part.partition(":")
        if not sep:
            raise ValueError(f"line {number}: expected 'key: value' in {{}}")
        out[_unquote(key.strip())] = _scalar(value.strip(), number) if value.strip() else None
    return out


def _split_top(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in _outside_quotes(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


__all__ = ["ConfigProvider", "DynamicConfig", "parse_config_text", "parse_config",
           "parse_yaml"]
