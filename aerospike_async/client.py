"""The asyncio client: the documented ``aerospike.Client`` API as coroutines.

``client = Client(config); await client.connect()`` (or ``async with``),
then ``await client.get(key)`` and friends. Arguments, policies, result
shapes and exceptions follow the official Python client.
"""
from __future__ import annotations

import contextvars
import logging
import os
import struct
from typing import Any, Awaitable, Callable

from . import _batch, constants as C
from ._admin import AdminMixin
from ._metrics import Metrics, app_id, cluster_stats
from ._txn import TxnMixin, command_fields, txn_of
from ._validate import (check_bin_list, check_bin_names, check_bins, check_meta,
                        echoed_user_key, param_error, parse_key, udf_call_fields, value_error)
from .cluster.auth import Credentials
from .cluster.cluster import Cluster, ClusterSettings
from .cluster.config_file import ConfigFile
from .cluster.connection import ConnectionClosed, SocketTimeout
from .cluster.node import Node, info_host
from .cluster.tls import build_tls
from .command.base import execute, server_error, server_now
from .dynamic_config import ConfigProvider, DynamicConfig, parse_config_text
from .exceptions import (AerospikeError, ClientError, ParamError, RecordError, TimeoutError,
                         UDFError, exception_for, not_connected)
from .policy import (METADATA_KEYS, VALID_KEYS, Policy, PolicySet, check_config_keys,
                     check_keys, check_op_policies, validate_policy, write_info4)
from .protocol import message as M
from .protocol.digest import partition_id
from .protocol.expressions import expression_base64, filter_field
from .protocol.framing import ProtocolError, compress
from .protocol.info import encode_info_request
from .protocol.cdt import instance_serializer
from .protocol.operations import encode_operation, encode_operation_loose
from .protocol.particles import (PARTICLE_INTEGER, PARTICLE_STRING, encode_particle,
                                 encode_particle_user, enable_blob_hook, hooks,
                                 instance_deserializer, int64_bytes, raw_collections,
                                 user_serialize)
from .protocol.record import (ttl_of, encode_command, encode_name_ops, key_fields,
                              op_header, record_parts)
from .types import Bins, CDTInfinite, CDTWildcard, Key, Metadata, Record

log = logging.getLogger("aerospike_async")

COMPRESS_THRESHOLD = 128
_LIST = list   # remove_bin's documented argument name hides the builtin
_NAMELESS_READS = (M.OP_READ, M.OP_EXP_READ)   # operations that read a whole record unnamed
RC_NOT_FOUND = 2

_READ_ALL = M.INFO1_READ | M.INFO1_GET_ALL
_SC_READ_BITS = {C.POLICY_READ_MODE_SC_SESSION: 0,
                 C.POLICY_READ_MODE_SC_LINEARIZE: M.INFO3_SC_READ_TYPE,
                 C.POLICY_READ_MODE_SC_ALLOW_REPLICA: M.INFO3_SC_READ_RELAX,
                 C.POLICY_READ_MODE_SC_ALLOW_UNAVAILABLE: M.INFO3_SC_READ_TYPE | M.INFO3_SC_READ_RELAX}


def _parse_hosts(hosts: Any) -> list[tuple[str, int, str | None]]:
    """``hosts`` -> ``[(address, port, tls_name or None)]``; an entry is an ``(address,
    port)`` or ``(address, port, tls_name)`` tuple (or an ``address[:port]`` string)."""
    if not isinstance(hosts, list):
        raise ParamError(-2, "Hosts must be a list", None, None, False)
    if not hosts:
        raise ParamError(-2, "Hosts must not be empty", None, None, False)
    seeds: list[tuple[str, int, str | None]] = []
    for h in hosts:
        if isinstance(h, str):
            host, _, port_text = h.rpartition(":") if h.count(":") == 1 else (h, "", "3000")
            seeds.append((host, int(port_text or 3000), None))
        elif isinstance(h, (tuple, list)) and 1 < len(h) <= 3 and isinstance(h[0], str):
            port = h[1]
            if not isinstance(port, int) or isinstance(port, bool):
                raise ParamError(-2, "Invalid host -> The host port must be an integer",
                                 None, None, False)
            tls_name = h[2] if len(h) > 2 else None
            if tls_name is not None and not isinstance(tls_name, str):
                raise ParamError(-2, "Invalid tls_name in hosts: must be a str", None, None,
                                 False)
            seeds.append((h[0], port, tls_name or None))
        else:   # a tuple needs its port, as in the official client
            raise ParamError(-2, "Invalid host", None, None, False)
    return seeds


def _check_config_values(config: dict) -> None:
    """The config settings the official client checks at construction, worded as it
    words them."""
    lua = config.get("lua")
    if isinstance(lua, dict):
        path = lua.get("user_path")
        if isinstance(path, str) and len(path.encode("utf-8")) > 255:
            raise ParamError(-2, "Lua user path too long", None, None, False)
    for name in ("rack_aware", "use_services_alternate"):
        if name in config and type(config[name]) is not bool:
            raise ParamError(-2, "Invalid Policy setting value", None, None, False)
    rack_id = config.get("rack_id", 0)
    if (not isinstance(rack_id, int) or isinstance(rack_id, bool)
            or not -(1 << 31) <= rack_id < (1 << 31)):
        raise ParamError(-2, "Invalid Policy setting value", None, None, False)
    threshold = config.get("compression_threshold", 0)
    if isinstance(threshold, int) and threshold < 0:
        raise ParamError(-2, "Compression value must not be negative", None, None, False)
    if config.get("app_id") is not None and not isinstance(config["app_id"], str):
        raise TypeError(f"config['app_id'] must be a str, not {type(config['app_id']).__name__}")


def _config_file(config: dict) -> tuple[ConfigFile[DynamicConfig] | None, float]:
    """The dynamic configuration file of ``config_provider``, else of the environment's
    ``AEROSPIKE_CLIENT_CONFIG_URL``, read once here, and the seconds between checks for
    its changes (the file's ``config_interval``, else the provider's; at least the tend
    interval). (None, 0): neither is set."""
    provider = config.get("config_provider")
    if provider is None:
        path = os.environ.get("AEROSPIKE_CLIENT_CONFIG_URL")
        if not path:
            return None, 0.0
        provider = ConfigProvider(path)
    elif not isinstance(provider, ConfigProvider):
        raise ParamError(-2, "config_provider must be an aerospike.ConfigProvider class "
                         f"instance. But a {type(provider).__name__} was received instead",
                         None, None, False)
    file = ConfigFile(provider.path, parse_config_text)
    interval = file.current.config_interval
    interval = provider.interval if interval is None else interval
    tend_interval = _count(config, "tend_interval", 1000)
    if interval < tend_interval:
        raise ClientError(-1, f"Dynamic config interval {interval} must be greater or equal "
                          f"to the tend interval {tend_interval}", None, None, False)
    return file, interval / 1000.0


def _config_metrics_policy(config: dict) -> Any:
    """The config's ``policies['metrics']`` (a MetricsPolicy), checked, or None."""
    policies = config.get("policies")
    if not isinstance(policies, dict) or "metrics" not in policies:
        return None
    from aerospike_helpers.metrics import MetricsPolicy

    from ._metrics import validate_policy as validate_metrics
    policy = policies["metrics"]
    if not isinstance(policy, MetricsPolicy):
        raise ParamError(-2, "metrics must be an aerospike_helpers.metrics.MetricsPolicy "
                         f"class instance. But a {type(policy).__name__} was received instead",
                         None, None, False)
    return validate_metrics(policy)


def _count(config: dict, name: str, default: int) -> int:
    """A config setting that is a non-negative int (a size, a count, milliseconds)."""
    value = config.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ParamError(-2, f"config key {name!r} must be a non-negative int", None, None,
                         False)
    return value


def _idle_seconds(config: dict) -> float:
    """``max_socket_idle``: seconds, an int or a float, 0 for the default."""
    value = config.get("max_socket_idle", 0)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise ParamError(-2, "config key 'max_socket_idle' must be a non-negative number",
                         None, None, False)
    return float(value)


def _ms(config: dict, name: str, default: int) -> float:
    """A config setting in milliseconds, as seconds."""
    return _count(config, name, default) / 1000.0


def remaining_ttl(void_time: int) -> int:
    """The ttl the API reports for a server void time (0 = never expires)."""
    return ttl_of(void_time, server_now())


_NO_UDF_ARGS: Any = object()   # query_apply called without its args

class Client(AdminMixin, TxnMixin):
    """An Aerospike client on the running asyncio loop.

    ``config`` is the documented config dict: ``hosts`` (list of
    ``(address, port)`` or ``(address, port, tls_name)``), ``tls`` (``enable``,
    ``cafile``, ``capath``, ``protocols``, ``cipher_suite``, ``cert_blacklist``,
    ``certfile``, ``keyfile``, ``keyfile_pw``, ``crl_check``, ``crl_check_all``,
    ``log_session_info``; ``for_login_only`` is refused), ``policies`` (per-kind
    defaults: read, write, operate, remove, apply, batch, scan, query, info), ``tend_interval``,
    ``connect_timeout``, ``max_conns_per_node``, ``min_conns_per_node``,
    ``max_socket_idle``, ``max_error_rate``, ``error_rate_window``,
    ``cluster_name``, ``use_services_alternate``, ``send_bool_as``, and ``user`` and
    ``password`` to log in to a cluster with security on (with ``auth_mode`` and
    ``login_timeout_ms`` in ``policies``), and ``config_provider`` (an
    ``aerospike.ConfigProvider``; else the environment's ``AEROSPIKE_CLIENT_CONFIG_URL``):
    a dynamic configuration file whose policy fields win over every other policy, read
    again whenever it changes.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        if not isinstance(config, dict):
            raise ParamError(-2, "Config must be a dict", None, None, False)
        validate_keys = check_config_keys(config)
        _check_config_values(config)
        if "hosts" not in config:
            raise ParamError(-2, "Hosts must be a list", None, None, False)
        self.config = config
        hosts = _parse_hosts(config["hosts"])
        seeds = [(h, p) for h, p, _n in hosts]
        # TLS: one SSLContext for every connection, built (and its files read) here
        self._tls = build_tls(config.get("tls"))
        self._policies = PolicySet(config, validate_keys)
        self._config_file, self._config_interval = _config_file(config)
        self._file_metrics: dict[str, Any] | None = None   # the file's metrics section
        self._metrics_policy = _config_metrics_policy(config)
        self._serializer, self._deserializer = _serialization(config.get("serialization"))
        info_timeout = self._policies.base("info").get("timeout", 1000) / 1000.0
        self._settings = ClusterSettings(
            seeds,
            tend_interval=max(_ms(config, "tend_interval", 1000), 0.01),
            connect_timeout=_ms(config, "connect_timeout", 1000),
            info_timeout=info_timeout or 1.0,
            cluster_name=config.get("cluster_name"),
            max_conns_per_node=_count(config, "max_conns_per_node", 100),
            min_conns_per_node=_count(config, "min_conns_per_node", 0),
            max_socket_idle=_idle_seconds(config),
            max_error_rate=_count(config, "max_error_rate", 100),
            error_rate_window=_count(config, "error_rate_window", 1),
            use_services_alternate=bool(config.get("use_services_alternate", False)),
            fail_if_not_connected=bool(config.get("fail_if_not_connected", True)),
            rack_aware=bool(config.get("rack_aware", False)),
            rack_ids=_rack_ids(config),
            tls=self._tls is not None,
            tls_config=self._tls,
            seed_tls_names={(h, p): n for h, p, n in hosts if n},
            credentials=self._credentials(config.get("user"), config.get("password")),
        )
        self._bool_as_int = config.get("send_bool_as", C.AS_BOOL) == C.INTEGER
        # strict_types False: operate checks less, as the official client's does
        self._encode_op = (encode_operation if config.get("strict_types") is not False
                           else encode_operation_loose)
        # the config serializer as operations and expressions use it (value -> blob bytes)
        fn = self._serializer
        self._blob_serializer: Callable[[Any], bytes] | None = \
            None if fn is None else (lambda v: user_serialize(fn, v))
        self._cluster: Cluster | None = None
        self._metrics = Metrics()

    def _credentials(self, user: Any, password: Any) -> Credentials | None:
        """Whom to log in as: ``user`` and ``password`` under the config's auth policies."""
        return Credentials.from_config(user, password, self.config.get("policies"),
                                       self._tls is not None)

    def _serve_blocking_callers(self) -> None:
        """Make this the sync drop-in's client, before it connects: its single-record
        and batch commands take the nodes' blocking pools, so ``min_conns_per_node`` keeps
        those open and not the loop's, as the official client's minimum counts its sync
        connections."""
        s = self._settings
        s.sync_min_conns_per_node, s.min_conns_per_node = s.min_conns_per_node, 0

    # -- lifecycle ---------------------------------------------------------------
    async def connect(self, username: str | None = None, password: str | None = None
                      ) -> "Client":
        """Seed the cluster and start tending; returns the client. ``username`` and
        ``password`` (Enterprise security) replace the config's ``user`` and
        ``password``."""
        if self._cluster is not None and self._cluster.is_connected:
            return self
        if username is not None or password is not None:
            self._settings.credentials = self._credentials(username, password)
        file = self._config_file
        if file is not None:
            for name, value in file.current.static.items():
                setattr(self._settings, name, value)   # connection counts, read once
            self._apply_dynamic_config(file.current)
        cluster = Cluster(self._settings)
        await cluster.connect()
        self._cluster = cluster
        if file is not None:
            if file.current.metrics is not None:
                self._apply_dynamic_metrics(file.current.metrics)
            file.watch(self._config_interval, self._reload_config)
        return self

    def _apply_dynamic_config(self, config: DynamicConfig) -> None:
        """The dynamic part of a configuration file: forced policies, cluster settings."""
        self._policies.force(config.policies)
        settings = self._settings
        for name, value in config.client.items():
            if name in ("connect_timeout", "tend_interval"):
                value = max(value / 1000.0, 0.01)
            setattr(settings, name, value)

    def _apply_dynamic_metrics(self, metrics: dict[str, Any]) -> None:
        from aerospike_helpers.metrics import MetricsPolicy
        self._file_metrics = metrics
        if metrics.get("enable"):
            base = self._metrics_policy or MetricsPolicy()
            policy = MetricsPolicy(base.metrics_listeners, base.report_dir,
                                   base.report_size_limit, base.interval,
                                   metrics.get("latency_columns", base.latency_columns),
                                   metrics.get("latency_shift", base.latency_shift),
                                   metrics.get("labels", base.labels))
            self._metrics.enable(self.cluster, policy, app_id(self.config))
        elif "enable" in metrics:
            self._metrics.disable(self._cluster)

    def _reload_config(self, config: DynamicConfig) -> None:
        """The configuration file changed: apply its dynamic part again."""
        self._apply_dynamic_config(config)
        if (config.metrics is not None and config.metrics != self._file_metrics
                and self._cluster is not None):
            self._apply_dynamic_metrics(config.metrics)

    def _metrics_by_file(self, call: str) -> bool:
        """Whether a configuration file decides metrics, so ``call`` is ignored."""
        if self._config_file is None or self._config_file.current.metrics is None:
            return False
        log.warning("%s ignored: metrics are set by the dynamic configuration file", call)
        return True

    async def close(self) -> None:
        """Stop tending and close every connection."""
        cluster = self._cluster
        self._cluster = None
        if self._config_file is not None:
            self._config_file.stop()
        if cluster is not None:
            self._metrics.disable(cluster, quiet=True)  # a last snapshot, as C close does
            await cluster.close()

    def is_connected(self) -> bool:
        return self._cluster is not None and self._cluster.is_connected

    # -- metrics -------------------------------------------------------------
    async def enable_metrics(self, policy: Any = None) -> None:
        """Enable extended metrics (per-namespace latency histograms and counters) with a
        ``aerospike_helpers.metrics.MetricsPolicy``; with no listeners in it (or no
        policy), snapshots are written to metrics files in ``report_dir`` every
        ``interval`` tends. Enabling again first disables the current metrics. Ignored
        when a dynamic configuration file sets metrics."""
        if not self._metrics_by_file("enable_metrics"):
            self._enable_metrics(policy)

    def _enable_metrics(self, policy: Any, wrap: Any = None) -> None:
        if policy is None:   # the config's policies['metrics'], else the defaults
            policy = self._metrics_policy
        self._metrics.enable(self.cluster, policy, app_id(self.config), wrap)

    def _abandon_metrics(self) -> None:
        self._metrics.abandon(self._cluster)

    async def disable_metrics(self) -> None:
        """Disable extended metrics: the disable listener gets a last snapshot (the
        default one writes it and closes its file). Ignored when a dynamic configuration
        file sets metrics."""
        if not self._metrics_by_file("disable_metrics"):
            self._metrics.disable(self._cluster)

    def get_stats(self) -> Any:
        """An ``aerospike_helpers.metrics.ClusterStats``: per-node connection counts and
        error, timeout and key-busy counts, and the retry count."""
        return cluster_stats(self.cluster)

    async def __aenter__(self) -> "Client":
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def cluster(self) -> Cluster:
        cluster = self._cluster
        if cluster is None:
            raise not_connected()
        return cluster

    def _connected(self, period: bool = False) -> Cluster:
        """The cluster; not connected, the official wording (``period``: ends with one)."""
        cluster = self._cluster
        if cluster is None:
            raise not_connected(period)
        return cluster

    # -- request pieces ----------------------------------------------------
    def _value(self, value: Any, serializer: Any = None) -> tuple[int, bytes]:
        if self._bool_as_int:
            value = _bools_to_ints(value)
        try:
            return encode_particle(value)
        except TypeError as exc:
            if isinstance(value, (CDTWildcard, CDTInfinite)):   # only CDT ranges take them
                raise ClientError(-1, "Invalid value type: "
                                  f"{13 if isinstance(value, CDTWildcard) else 14}", None,
                                  None, False) from None
            fn = self._user_serializer(serializer, exc)
            return encode_particle_user(value, lambda v: user_serialize(fn, v))
        except (OverflowError, ValueError) as exc:
            raise value_error(exc) from None

    def _user_serializer(self, mode: Any, exc: Exception) -> Callable[[Any], Any]:
        """The serializer for a value of an unsupported type, as the official client
        picks it: put's ``serializer`` argument (an int) when given, else this client's
        config serializer, else none (SERIALIZER_NONE)."""
        if type(mode) is bool or not isinstance(mode, int):
            if self._serializer is not None:
                return self._serializer
            raise value_error(exc) from None
        if mode == C.SERIALIZER_USER:
            fn = self._serializer or hooks.serializer
            if fn is None:
                raise ClientError(-1, "No serializer callback registered", None, None, False)
            return fn
        if mode == C.SERIALIZER_NONE:
            raise value_error(exc) from None
        msg = {1: "Unable to serialize unknown Python native type.",
               C.SERIALIZER_JSON: "Unable to serialize using standard json serializer"}
        raise ClientError(-1, msg.get(mode, "Unsupported serializer"), None, None, False)

    def _bin_ops(self, op: int, bins: dict, serializer: Any = None) -> tuple[bytes, int]:
        parts: list[bytes] = []
        for name, value in bins.items():
            # the usual values, a str without NUL and an int64, are encoded here; any
            # other value, or one that fails (worded by _value), goes through _value
            t = type(value)
            try:
                if t is str and "\x00" not in value:
                    ptype, data = PARTICLE_STRING, value.encode()
                elif t is int:
                    ptype, data = PARTICLE_INTEGER, int64_bytes(value)
                else:
                    ptype, data = self._value(value, serializer)
            except (UnicodeEncodeError, struct.error):
                ptype, data = self._value(value, serializer)
            parts.append(op_header(op, ptype, name.encode(), len(data)) + data)
        return b"".join(parts), len(parts)

    def _serializing(self) -> contextvars.Token | None:
        """Let this client's config serializer serve the values of operations and
        expressions encoded until the token is reset (None: it has none)."""
        if self._blob_serializer is None:
            return None
        return instance_serializer.set(self._blob_serializer)

    def _fields(self, pol: Policy, ns: str, set_name: str | None, user_key: Any,
                digest: bytes, write: bool = False) -> tuple[bytes, int]:
        txn = txn_of(pol) if pol.extra else None
        if txn is not None:  # the transaction fields go between the digest and the user key
            fields, n_fields = command_fields(
                txn, ns, set_name, digest, user_key if pol.key == C.POLICY_KEY_SEND else None,
                write)
        else:
            fields, n_fields = key_fields(ns, set_name, digest,
                                          user_key if pol.key == C.POLICY_KEY_SEND else None)
        if pol.expressions is not None:
            token = self._serializing()
            try:
                return fields + filter_field(pol.expressions), n_fields + 1
            finally:
                if token is not None:
                    instance_serializer.reset(token)
        return fields, n_fields

    def _read_request(self, command: str, info1: int, pol: Policy, ns: str,
                      set_name: str | None, user_key: Any, digest: bytes) -> bytes:
        """The request of a read without operations (get: ``info1`` READ|GET_ALL, exists:
        READ|NOBINDATA). When nothing of the key but its digest is in it (no user key sent,
        no filter, no transaction), its bytes before the digest are all the policy's: they
        are kept in ``pol.derived`` under (``command``, ns, set) for the next such read."""
        prefix = pol.derived.get((command, ns, set_name))
        if prefix is not None:
            return prefix + digest
        r1, info3 = self._read_bits(pol)
        if info1 & M.INFO1_NOBINDATA:   # exists: the official client asks no compressed reply
            r1 &= ~M.INFO1_COMPRESS_RESPONSE
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest)
        request = encode_command(r1 | info1, 0, info3, 0, 0, pol.read_touch_ttl_percent or 0,
                                 pol.header_timeout, fields, n_fields)
        if (not pol.extra and pol.key != C.POLICY_KEY_SEND and pol.expressions is None
                and len(pol.derived) < 64):
            pol.derived[(command, ns, set_name)] = request[:-20]
        return request

    @staticmethod
    def _write_header(pol: Policy, meta: dict | None) -> tuple[int, int, int, int]:
        """(info2, info3, generation, expiration) of a write; without meta they are all the
        policy's, computed once and kept in ``pol.derived``."""
        if not meta:
            header = pol.derived.get("write_header")
            if header is None:
                header = pol.derived["write_header"] = Client._header_bits(pol, {})
            return header
        return Client._header_bits(pol, meta)

    @staticmethod
    def _header_bits(pol: Policy, meta: dict) -> tuple[int, int, int, int]:
        info2 = M.INFO2_WRITE
        info3 = 0
        generation = 0
        gen_policy = pol.gen
        if gen_policy == C.POLICY_GEN_EQ:
            info2 |= M.INFO2_GENERATION
            generation = meta.get("gen") or 0
        elif gen_policy == C.POLICY_GEN_GT:
            info2 |= M.INFO2_GENERATION_GT
            generation = meta.get("gen") or 0
        exists = pol.exists
        if exists == C.POLICY_EXISTS_CREATE:
            info2 |= M.INFO2_CREATE_ONLY
        elif exists == C.POLICY_EXISTS_UPDATE:
            info3 |= M.INFO3_UPDATE_ONLY
        elif exists == C.POLICY_EXISTS_REPLACE:
            info3 |= M.INFO3_REPLACE_ONLY
        elif exists == C.POLICY_EXISTS_CREATE_OR_REPLACE:
            info3 |= M.INFO3_CREATE_OR_REPLACE
        if pol.durable_delete:
            info2 |= M.INFO2_DURABLE_DELETE
        if pol.commit_level == C.POLICY_COMMIT_LEVEL_MASTER:
            info3 |= M.INFO3_COMMIT_MASTER
        ttl = meta.get("ttl")
        # -3 and its unsigned form (TTL_CLIENT_DEFAULT) both mean the policy's ttl; a
        # policy ttl of -3 travels as it is, as the official client sends it (the server
        # refuses it)
        if ttl is None or ttl & 0xFFFFFFFF == C.TTL_CLIENT_DEFAULT:
            ttl = pol.ttl or 0
        return info2, info3, generation & 0xFFFFFFFF, ttl & 0xFFFFFFFF

    @staticmethod
    def _read_bits(pol: Policy) -> tuple[int, int]:
        info1 = 0
        if pol.read_mode_ap == C.POLICY_READ_MODE_AP_ALL:
            info1 |= M.INFO1_READ_MODE_AP_ALL
        if pol.compress:
            info1 |= M.INFO1_COMPRESS_RESPONSE
        return info1, _SC_READ_BITS.get(pol.read_mode_sc, 0)

    def _run(self, pol: Policy, ns: str, digest: bytes, is_write: bool,
             request: bytes) -> Awaitable[tuple[Node, Any]]:
        """``execute`` of a command (compressed first where the policy asks it), handed
        back to be awaited by the caller: no coroutine frame of its own in between."""
        if pol.compress and is_write and len(request) > COMPRESS_THRESHOLD:
            request = compress(request)
        return execute(self.cluster, pol, ns, digest, is_write, request)

    def _run_txn(self, txn: Any, pol: Policy, ns: str, set_name: str | None,
                 digest: bytes, request: bytes) -> Awaitable[tuple[Node, Any]]:
        """``_run`` of a write, tracking it in its transaction (if any)."""
        if txn is None:
            return self._run(pol, ns, digest, True, request)
        return self._run_tracked(txn, pol, ns, set_name, digest, request)

    async def _run_tracked(self, txn: Any, pol: Policy, ns: str, set_name: str | None,
                           digest: bytes, request: bytes) -> tuple[Node, Any]:
        try:
            node, payload = await self._run(pol, ns, digest, True, request)
        except AerospikeError as exc:
            self._txn_failed(txn, set_name, digest, exc)
            raise
        self._txn_done(txn, set_name, digest, True, payload)
        return node, payload

    @staticmethod
    def _key(ns: str, set_name: str | None, user_key: Any, digest: bytes) -> Key:
        return (ns, set_name, echoed_user_key(user_key), bytearray(digest))

    # -- reads -------------------------------------------------------------
    async def get(self, key: Key, policy: dict | None = None) -> Record:
        """Read every bin of a record: ``(key, meta, bins)``; RecordNotFound if absent."""
        ns, set_name, user_key, digest = parse_key(key)
        pol = self._policies.resolve("read", policy)
        txn = await self._txn_prepare(pol, ns, set_name, digest, False) if pol.extra else None
        request = self._read_request("get", _READ_ALL, pol, ns, set_name, user_key, digest)
        node, payload = await execute(self.cluster, pol, ns, digest, False, request)
        if txn is not None:
            self._txn_done(txn, set_name, digest, False, payload)
        rc, gen, void_time, bins = _parts(node, payload, self._deserializer, False, pol)
        if rc:
            raise record_failure(node, rc, key)
        # the official client's get gives back the user key only when it sent it
        return ((ns, set_name or None,
                 echoed_user_key(user_key) if pol.key == C.POLICY_KEY_SEND else None,
                 bytearray(digest)),
                {"ttl": remaining_ttl(void_time), "gen": gen}, bins)

    async def select(self, key: Key, bins: list[str], policy: dict | None = None) -> Record:
        """Read the named bins of a record; missing bins are left out."""
        ns, set_name, user_key, digest = parse_key(key)
        names = check_bin_names(bins, "Bin name must be a string", too_long=False)
        pol = self._policies.resolve("read", policy)
        info1, info3 = self._read_bits(pol)
        txn = await self._txn_prepare(pol, ns, set_name, digest, False) if pol.extra else None
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest)
        ops, n_ops = encode_name_ops(M.OP_READ, names)
        request = encode_command(info1 | M.INFO1_READ, 0, info3, 0, 0,
                                 pol.read_touch_ttl_percent or 0, pol.header_timeout,
                                 fields, n_fields, ops, n_ops)
        node, payload = await execute(self.cluster, pol, ns, digest, False, request)
        self._txn_done(txn, set_name, digest, False, payload)
        rc, gen, void_time, found = _parts(node, payload, self._deserializer, False, pol)
        if rc:
            raise record_failure(node, rc, key)
        return (self._key(ns, set_name, user_key, digest),
                {"ttl": remaining_ttl(void_time), "gen": gen}, found)

    async def exists(self, key: Key, policy: dict | None = None
                     ) -> tuple[Key, Metadata | None]:
        """``(key, meta)`` of a record, or ``(key, None)`` when it does not exist."""
        ns, set_name, user_key, digest = parse_key(key)
        pol = self._policies.resolve("read", policy)
        txn = await self._txn_prepare(pol, ns, set_name, digest, False) if pol.extra else None
        request = self._read_request("exists", M.INFO1_READ | M.INFO1_NOBINDATA, pol, ns,
                                     set_name, user_key, digest)
        node, payload = await execute(self.cluster, pol, ns, digest, False, request)
        if txn is not None:
            self._txn_done(txn, set_name, digest, False, payload)
        rc, gen, void_time, _bins = _parts(node, payload, self._deserializer)
        out_key = self._key(ns, set_name, user_key, digest)
        if rc == RC_NOT_FOUND:
            return out_key, None
        if rc:
            raise record_failure(node, rc, key)
        return out_key, {"ttl": remaining_ttl(void_time), "gen": gen}

    # -- writes ------------------------------------------------------------
    async def _write(self, kind: str, key: Key, ops: bytes, n_ops: int, meta: Any,
                     policy: Any, parsed: tuple | None = None, bin_arg: Any = None) -> int:
        ns, set_name, user_key, digest = parsed or parse_key(key)
        if meta is not None:
            meta = check_meta(meta)
            if self._policies.validate_keys:
                check_keys(meta, METADATA_KEYS, "record metadata")
        pol = self._policies.resolve(kind, policy)
        info2, info3, generation, expiration = self._write_header(pol, meta)
        # as the official client: operate-based writes ask for a compressed reply
        info1 = M.INFO1_COMPRESS_RESPONSE if pol.compress and kind == "operate" else 0
        txn = await self._txn_prepare(pol, ns, set_name, digest, True) if pol.extra else None
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest, True)
        request = encode_command(info1, info2, info3, write_info4(pol), generation,
                                 expiration, pol.header_timeout, fields, n_fields, ops, n_ops)
        node, payload = await self._run_txn(txn, pol, ns, set_name, digest, request)
        rc = payload[5]
        if rc:
            raise record_failure(node, rc, key, bin_arg)
        return 0

    async def put(self, key: Key, bins: Bins, meta: dict | None = None,
                  policy: dict | None = None, serializer: Any = None) -> int:
        """Create or update a record with ``bins``; a bin set to None is removed. Returns 0."""
        parsed = parse_key(key)
        ops, n_ops = self._bin_ops(M.OP_WRITE, check_bins(bins), serializer)
        return await self._write("write", key, ops, n_ops, meta, policy, parsed, bins)

    async def touch(self, key: Key, val: int = 0, meta: dict | None = None,
                    policy: dict | None = None) -> int:
        """Reset a record's ttl to ``val`` seconds and bump its generation; as the official
        client does, ``val`` decides the ttl (0 by default) even when meta has one."""
        parsed = parse_key(key)
        meta = dict(check_meta(meta))
        if not isinstance(val, int) or isinstance(val, bool):
            raise param_error("Ttl should be an int or long")
        meta["ttl"] = val
        return await self._write("operate", key, op_header(M.OP_TOUCH, 0, b"", 0), 1, meta,
                                 policy, parsed)

    async def _concat(self, key: Key, op: int, bin: str, val: Any, meta: Any, policy: Any
                      ) -> int:
        parsed = parse_key(key)
        check_bin_names([bin], "Bin name should be of type string")
        check_bins({bin: val})
        if not isinstance(val, (str, bytes, bytearray)):
            raise param_error("Cannot concatenate 'str' and 'non-str' objects")
        ops, n_ops = self._bin_ops(op, {bin: val})
        return await self._write("operate", key, ops, n_ops, meta, policy, parsed, bin)

    async def append(self, key: Key, bin: str, val: str | bytes, meta: dict | None = None,
                     policy: dict | None = None) -> int:
        """Append a string or bytes to a bin (creating it if missing). Returns 0."""
        return await self._concat(key, M.OP_APPEND, bin, val, meta, policy)

    async def prepend(self, key: Key, bin: str, val: str | bytes, meta: dict | None = None,
                      policy: dict | None = None) -> int:
        """Prepend a string or bytes to a bin (creating it if missing). Returns 0."""
        return await self._concat(key, M.OP_PREPEND, bin, val, meta, policy)

    async def increment(self, key: Key, bin: str, offset: int | float,
                        meta: dict | None = None, policy: dict | None = None) -> int:
        """Add ``offset`` to an integer or float bin (creating it if missing). Returns 0."""
        parsed = parse_key(key)
        check_bin_names([bin], "Bin name should be of type string")
        check_bins({bin: offset})
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise param_error("Unsupported operand type(s) for +: only 'int' allowed")
        ops, n_ops = self._bin_ops(M.OP_INCR, {bin: offset})
        return await self._write("operate", key, ops, n_ops, meta, policy, parsed, bin)

    async def remove_bin(self, key: Key, list: list[str], meta: dict | None = None,
                         policy: dict | None = None) -> int:
        """Remove the named bins from a record. Returns 0. As in the official client, a
        policy it cannot take is a ClientError ("Incorrect policy -> ...")."""
        if not isinstance(list, _LIST):
            raise param_error("Bins should be a list")
        parsed = parse_key(key)
        names = check_bin_list(list)
        if policy:
            try:
                self._policies.resolve("write", policy)
            except ParamError as exc:
                raise ClientError(-1, f"Incorrect policy -> {exc.msg}", None, None,
                                  False) from None
        ops, n_ops = self._bin_ops(M.OP_WRITE, {name: None for name in names})
        return await self._write("write", key, ops, n_ops, meta, policy, parsed)

    async def remove(self, key: Key, meta: dict | None = None, policy: dict | None = None
                     ) -> int:
        """Delete a record; RecordNotFound if absent. Returns 0. Only an int ``gen`` of
        ``meta`` counts (for a generation policy); anything else there is ignored, as the
        official client ignores it."""
        ns, set_name, user_key, digest = parse_key(key)
        gen = meta.get("gen") if isinstance(meta, dict) else None
        meta = {"gen": gen} if isinstance(gen, int) else {}
        pol = self._policies.resolve("remove", policy)
        policy_gen = pol.get("generation")   # the remove policy's own key, under meta's
        if policy_gen and "gen" not in meta:
            meta = {**meta, "gen": policy_gen}
        info2, info3, generation, _exp = self._write_header(pol, meta)
        txn = await self._txn_prepare(pol, ns, set_name, digest, True) if pol.extra else None
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest, True)
        request = encode_command(0, info2 | M.INFO2_DELETE, info3, 0, generation, 0,
                                 pol.header_timeout, fields, n_fields)
        node, payload = await self._run_txn(txn, pol, ns, set_name, digest, request)
        rc = payload[5]
        if rc:
            raise record_failure(node, rc, key)
        return 0

    # -- record UDFs -----------------------------------------------------------
    async def apply(self, key: Key, module: str, function: str, args: list,
                    policy: dict | None = None) -> Any:
        """Run the record UDF ``function`` of the registered Lua ``module`` on a record
        with ``args``, and return what it returned. A failing function raises UDFError
        with the server's failure message."""
        ns, set_name, user_key, digest = parse_key(key)
        if not isinstance(args, list):
            raise TypeError("expected UDF method arguments in a 'list'")  # as the official client
        udf, n_udf = udf_call_fields(module, function, args)
        pol = self._policies.resolve("apply", policy)
        info2, info3, _gen, expiration = self._write_header(pol, {})
        txn = await self._txn_prepare(pol, ns, set_name, digest, True) if pol.extra else None
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest, True)
        request = encode_command(M.INFO1_COMPRESS_RESPONSE if pol.compress else 0, info2,
                                 info3, write_info4(pol), 0, expiration, pol.header_timeout,
                                 fields + udf, n_fields + n_udf)
        node, payload = await self._run_txn(txn, pol, ns, set_name, digest, request)
        rc, _gen, _void_time, bins = _parts(node, payload, self._deserializer)
        if rc == 0:
            return bins.get("SUCCESS")
        failure = bins.get("FAILURE")
        if rc == UDFError.code and failure is not None:
            exc: AerospikeError = UDFError(rc, f"{node.address} {failure}", None, None, False)
        else:
            exc = record_failure(node, rc, key)
        if isinstance(exc, UDFError):   # it names the function, as the official client's does
            exc.module, exc.func = module, function
        raise exc

    # -- operate -------------------------------------------------------------
    async def _operate(self, key: Key, operations: Any, meta: Any, policy: Any,
                       ordered: bool = False) -> tuple[Key, Metadata | None, Any]:
        """operate (bins as a dict), or with ``ordered`` operate_ordered (a list)."""
        ns, set_name, user_key, digest = parse_key(key)
        if not isinstance(operations, list):
            raise param_error("Operations should be of type list")
        if not operations:
            raise param_error("No operations defined")
        meta = dict(check_meta(meta))
        pol = self._policies.resolve("operate", policy)
        if self._policies.validate_keys:
            check_keys(meta, METADATA_KEYS, "record metadata")
            check_op_policies(operations)
        parts = []
        reads = writes = respond_all = read_all = False
        encode = self._encode_op
        token = self._serializing()
        try:
            for op in operations:
                if self._bool_as_int and isinstance(op, dict) and "val" in op:
                    op = {**op, "val": _bools_to_ints(op["val"])}
                encoded = encode(op)
                if encoded is None:   # left out (strict_types False)
                    continue
                parts.append(encoded.data)
                reads |= encoded.reads
                writes |= encoded.writes
                respond_all |= encoded.respond_all
                # a read (or expression read) without a bin name reads the whole record:
                # the official client then asks for every bin, not every operation's answer
                if encoded.reads and not encoded.data[7]:   # byte 7: the bin name's length
                    read_all |= encoded.data[4] in _NAMELESS_READS
                if encoded.ttl is not None:   # a touch's ttl wins over meta's, as in C
                    meta["ttl"] = encoded.ttl
        finally:
            if token is not None:
                instance_serializer.reset(token)
        if not parts:
            raise param_error("No operations defined")
        info1, info3r = self._read_bits(pol) if reads else (0, 0)
        if reads:
            info1 |= M.INFO1_READ | (M.INFO1_GET_ALL if read_all else 0)
        elif pol.compress:
            info1 |= M.INFO1_COMPRESS_RESPONSE
        if writes:
            info2, info3, generation, expiration = self._write_header(pol, meta)
        else:
            info2, info3, generation, expiration = 0, info3r, 0, pol.read_touch_ttl_percent or 0
        if respond_all and not read_all:
            info2 |= M.INFO2_RESPOND_ALL_OPS
        txn = await self._txn_prepare(pol, ns, set_name, digest, writes) if pol.extra else None
        fields, n_fields = self._fields(pol, ns, set_name, user_key, digest, writes)
        request = encode_command(info1, info2, info3,
                                 write_info4(pol) if writes else 0, generation,
                                 expiration, pol.header_timeout, fields, n_fields,
                                 b"".join(parts), len(parts))
        if txn is None:
            node, payload = await self._run(pol, ns, digest, writes, request)
        elif writes:
            node, payload = await self._run_txn(txn, pol, ns, set_name, digest, request)
        else:
            node, payload = await self._run(pol, ns, digest, False, request)
            self._txn_done(txn, set_name, digest, False, payload)
        rc, gen, void_time, bins = _parts(node, payload, self._deserializer, ordered, pol)
        if rc:
            raise record_failure(node, rc, key)
        return (self._key(ns, set_name, user_key, digest),
                {"ttl": remaining_ttl(void_time), "gen": gen}, bins)

    async def operate(self, key: Key, list: list[dict], meta: dict | None = None,
                      policy: dict | None = None) -> Record:
        """Apply operations to one record atomically; read results as a bins dict."""
        return await self._operate(key, list, meta, policy)

    async def operate_ordered(self, key: Key, list: list[dict], meta: dict | None = None,
                              policy: dict | None = None
                              ) -> tuple[Key, Metadata | None, list[tuple[str, Any]]]:
        """Like operate, with results as a list of ``(bin, value)`` in operation order."""
        return await self._operate(key, list, meta, policy, ordered=True)

    # -- batch ---------------------------------------------------------------
    async def batch_read(self, keys: list[Key], bins: list[str] | None = None,
                         policy: dict | None = None) -> Any:
        """Read many records: a ``BatchRecords`` whose records are in key order
        (all bins, the ``bins`` named, or only metadata when ``bins`` is [])."""
        return await _batch.batch_read(self, keys, bins, policy)

    async def batch_operate(self, keys: list[Key], ops: list[dict],
                            policy_batch: dict | None = None,
                            policy_batch_write: dict | None = None,
                            ttl: int | None = None) -> Any:
        """Apply the same operations to many records: a ``BatchRecords``."""
        return await _batch.batch_operate(self, keys, ops, policy_batch, policy_batch_write, ttl)

    async def batch_write(self, batch_records: Any, policy_batch: dict | None = None) -> Any:
        """Run a ``BatchRecords`` of Read/Write/Remove/Apply records; fills and returns it."""
        return await _batch.batch_write(self, batch_records, policy_batch)

    async def batch_apply(self, keys: list[Key], module: str, function: str, args: list,
                          policy_batch: dict | None = None,
                          policy_batch_apply: dict | None = None) -> Any:
        """Call a record UDF on many records: a ``BatchRecords``."""
        return await _batch.batch_apply(self, keys, module, function, args, policy_batch,
                                        policy_batch_apply)

    async def batch_remove(self, keys: list[Key], policy_batch: dict | None = None,
                           policy_batch_remove: dict | None = None) -> Any:
        """Remove many records: a ``BatchRecords``."""
        return await _batch.batch_remove(self, keys, policy_batch, policy_batch_remove)

    # -- scan, query, jobs, secondary indexes -------------------------------
    def scan(self, namespace: str, set: str | None = None) -> Any:
        """A ``Scan`` of the namespace and set (async iterable; results, foreach...)."""
        from .scan import Scan
        return Scan(self, namespace, set)

    def query(self, namespace: str, set: str | None = None) -> Any:
        """A ``Query`` of the namespace and set (where, select, async iteration...)."""
        from .query import Query
        return Query(self, namespace, set)

    async def query_apply(self, ns: str, set: str | None, predicate: Any, module: str,
                          function: str, args: list = _NO_UDF_ARGS,
                          policy: dict | None = None) -> int:
        """Run a record UDF in the background on the records a predicate selects (``args``
        left out: none; given, a list, as in the official client)."""
        from .query import Query
        if not isinstance(ns, str):
            raise TypeError(f"query_apply() argument 1 must be str, not {type(ns).__name__}")
        if args is not _NO_UDF_ARGS and not isinstance(args, list):
            raise param_error("Arguments should be a list")
        if set is not None and not isinstance(set, str):
            raise param_error("Set name should be string")
        if not isinstance(module, str):
            raise param_error("Module name should be string")
        if not isinstance(function, str):
            raise param_error("Function name should be string")
        if not isinstance(predicate, tuple):
            raise param_error("Predicate must be a tuple")
        q = Query(self, ns, set)
        q.where(predicate)
        q._use_udf(module, function, None if args is _NO_UDF_ARGS else args)
        return await q.execute_background(self._background_policy("query_apply", policy))

    def _background_policy(self, keys: str, policy: Any) -> Any:
        """scan_apply's and query_apply's policy: with ``validate_keys``, the keys of
        ``keys`` are allowed (info keys too, since the official client waits for the job
        under it); those the job's own policy does not take are then left out."""
        if not (self._policies.validate_keys and policy and isinstance(policy, dict)):
            return policy
        check_keys(policy, VALID_KEYS[keys])
        return {k: v for k, v in policy.items() if k not in ("timeout", "send_as_is",
                                                              "check_bounds")}

    async def scan_apply(self, ns: str, set: str | None, module: str, function: str,
                         args: list | None = None, policy: dict | None = None,
                         options: dict | None = None) -> int:
        """Start a background scan that runs the record UDF ``module.function(*args)`` on
        every record of the namespace and set; returns the job id (``job_info`` with
        ``JOB_SCAN`` follows it). ``options`` (scan options) is checked and unused."""
        from .query import check_scan_options
        from .scan import Scan
        if not isinstance(ns, str):
            raise TypeError(f"scan_apply() argument 1 must be str, not {type(ns).__name__}")
        if set is not None and not isinstance(set, str):
            raise param_error("Set name should be string")
        if isinstance(options, dict):   # what is not a dict is left unused, as in C
            check_scan_options(options)
        if not isinstance(module, str):
            raise param_error("Module name should be string")
        if not isinstance(function, str):
            raise param_error("Function name should be string")
        if args is not None and not isinstance(args, list):
            raise param_error("Arguments should be a list")
        validate_policy(policy)
        scan = Scan(self, ns, set)
        scan._use_udf(module, function, args)
        return await scan.execute_background(self._background_policy("scan_apply", policy))

    async def job_info(self, job_id: int, module: str, policy: dict | None = None
                       ) -> dict[str, int]:
        """``{'status', 'progress_pct', 'records_read'}`` of a background scan/query."""
        from ._sindex import job_info
        return await job_info(self, job_id, module, policy)

    async def index_single_value_create(self, ns: str, set: str | None, bin: str,
                                        index_datatype: int, name: str,
                                        policy: dict | None = None, ctx: Any = None) -> int:
        """Create a secondary index on a bin's single values (ctx: inside a collection)."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_DEFAULT, index_datatype,
                                  name, policy, ctx)

    async def index_list_create(self, ns: str, set: str | None, bin: str,
                                index_datatype: int, name: str, policy: dict | None = None,
                                ctx: Any = None) -> int:
        """Create a secondary index on the elements of a list bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_LIST, index_datatype,
                                  name, policy, ctx)

    async def index_map_keys_create(self, ns: str, set: str | None, bin: str,
                                    index_datatype: int, name: str,
                                    policy: dict | None = None, ctx: Any = None) -> int:
        """Create a secondary index on the keys of a map bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_MAPKEYS, index_datatype,
                                  name, policy, ctx)

    async def index_map_values_create(self, ns: str, set: str | None, bin: str,
                                      index_datatype: int, name: str,
                                      policy: dict | None = None, ctx: Any = None) -> int:
        """Create a secondary index on the values of a map bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_MAPVALUES,
                                  index_datatype, name, policy, ctx)

    async def index_cdt_create(self, ns: str, set: str | None, bin: str, index_type: int,
                               index_datatype: int, index_name: str, ctx: Any,
                               policy: dict | None = None) -> int:
        """Create a secondary index on a value inside a collection (``ctx``)."""
        from ._sindex import index_create
        if ctx is None:
            raise param_error("ctx cannot be None")
        return await index_create(self, ns, set, bin, index_type, index_datatype, index_name,
                                  policy, ctx)

    async def index_integer_create(self, ns: str, set: str | None, bin: str, name: str,
                                   policy: dict | None = None) -> int:
        """Create an integer secondary index on a bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_DEFAULT, C.INDEX_NUMERIC,
                                  name, policy)

    async def index_string_create(self, ns: str, set: str | None, bin: str, name: str,
                                  policy: dict | None = None) -> int:
        """Create a string secondary index on a bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_DEFAULT, C.INDEX_STRING,
                                  name, policy)

    async def index_blob_create(self, ns: str, set: str | None, bin: str, name: str,
                                policy: dict | None = None) -> int:
        """Create a blob (bytes) secondary index on a bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_DEFAULT, C.INDEX_BLOB,
                                  name, policy)

    async def index_geo2dsphere_create(self, ns: str, set: str | None, bin: str, name: str,
                                       policy: dict | None = None) -> int:
        """Create a geospatial secondary index on a GeoJSON bin."""
        from ._sindex import index_create
        return await index_create(self, ns, set, bin, C.INDEX_TYPE_DEFAULT,
                                  C.INDEX_GEO2DSPHERE, name, policy)

    async def index_set_create(self, ns: str, set: str, name: str,
                               policy: dict | None = None) -> int:
        """Create a set index."""
        from ._sindex import index_create
        return await index_create(self, ns, set, None, C.INDEX_TYPE_DEFAULT, None, name,
                                  policy, set_index=True)

    async def index_expr_create(self, ns: str, set: str | None, index_type: int,
                                index_datatype: int, expressions: Any, name: str,
                                policy: dict | None = None) -> int:
        """Create a secondary index on the value of a compiled expression (server 8.1+);
        query it with ``Query.where_with_expr``."""
        from ._sindex import _ask, _raise_if_error, _wait_index
        from .protocol.expressions import sindex_create_exp_command
        if not isinstance(ns, str):
            raise param_error("Namespace should be a string")
        if set is not None and not isinstance(set, str):
            raise param_error("Set should be string, unicode or None")
        if not isinstance(name, str):
            raise param_error("Index name should be string or unicode")
        if index_type not in (C.INDEX_TYPE_DEFAULT, C.INDEX_TYPE_LIST, C.INDEX_TYPE_MAPKEYS,
                              C.INDEX_TYPE_MAPVALUES):
            raise param_error("Index type is invalid")
        if index_datatype not in (C.INDEX_STRING, C.INDEX_INTEGER, C.INDEX_NUMERIC,
                                  C.INDEX_GEO2DSPHERE, C.INDEX_BLOB):
            raise param_error("Index data type is invalid")
        command = sindex_create_exp_command(ns, set, name, index_type, index_datatype,
                                            expressions)
        node = self.cluster.random_node()
        _raise_if_error(await _ask(self, node, command, policy), node)
        await _wait_index(self, ns, name, policy)
        return 0

    async def index_remove(self, ns: str, name: str, policy: dict | None = None) -> int:
        """Remove a secondary index (no error when it does not exist). Returns 0."""
        from ._sindex import index_remove
        return await index_remove(self, ns, name, policy)

    # -- UDF modules and truncation -----------------------------------------
    async def udf_put(self, filename: str, udf_type: int = C.UDF_TYPE_LUA,
                      policy: dict | None = None) -> int:
        """Register the Lua module in the local file ``filename`` (under its base name)
        and wait until every node lists it. Returns 0."""
        from ._udf import udf_put
        return await udf_put(self, filename, udf_type, policy)

    async def udf_remove(self, module: str, policy: dict | None = None) -> int:
        """Remove a registered module (no error when it is not registered) and wait until
        no node lists it. Returns 0."""
        from ._udf import udf_remove
        return await udf_remove(self, module, policy)

    async def udf_list(self, policy: dict | None = None) -> list[dict[str, Any]]:
        """The registered modules: ``{'name', 'hash', 'type', 'content'}`` each (hash a
        bytearray of the server's hex text, content empty)."""
        from ._udf import udf_list
        return await udf_list(self, policy)

    async def udf_get(self, module: str, language: int = C.UDF_TYPE_LUA,
                      policy: dict | None = None) -> str:
        """The source text of a registered module."""
        from ._udf import udf_get
        return await udf_get(self, module, language, policy)

    async def truncate(self, namespace: str, set: str | None, nanos: int,
                       policy: dict | None = None) -> int:
        """Remove the records of a set (of the whole namespace when ``set`` is None) last
        updated before ``nanos`` (nanoseconds since 1970; 0 = now). Returns 0."""
        from ._udf import truncate
        return await truncate(self, namespace, set, nanos, policy)

    # -- cluster information ---------------------------------------------
    def get_expression_base64(self, expression: Any) -> str:
        """The base64 text of a compiled expression's wire form (what
        ``Query.where_with_expr`` and other clients accept)."""
        return expression_base64(expression)

    def get_cdtctx_base64(self, ctx: list) -> str:
        """The base64 text of a list of ``cdt_ctx`` contexts' wire form."""
        import base64

        from .protocol.cdt_ops import pack_ctx
        return base64.b64encode(pack_ctx(ctx)[0]).decode("ascii")

    def get_policies(self) -> dict[str, dict[str, Any]]:
        """The policies in force, by kind (``read``, ``write``, ``batch``, ``admin`` ...):
        the documented defaults overlaid with the config's ``policies``. Fields left unset
        (None, such as ``expressions``) are omitted."""
        from ._admin import _DEFAULT_TIMEOUT_MS
        from .policy import DEFAULTS
        result = {kind: {k: v for k, v in self._policies.base(kind).items() if v is not None}
                  for kind in DEFAULTS if kind != "batch_read"}
        admin = (self.config.get("policies") or {}).get("admin")
        timeout = admin.get("timeout") if isinstance(admin, dict) else None
        result["admin"] = {"timeout": _DEFAULT_TIMEOUT_MS if timeout is None else timeout}
        return result

    def shm_key(self) -> int | None:
        """The shared-memory key of the cluster map; None, since this client tends the
        cluster itself and never shares it through shared memory (as the official client
        reports when ``shm`` is not enabled)."""
        return None

    def get_key_partition_id(self, ns: str, set: str, key: Any) -> int:
        """The partition id of a key."""
        _ns, _set, _k, digest = parse_key((ns, set, key))
        return partition_id(digest)

    def get_nodes(self) -> list[tuple[str, int]]:
        """``(address, port)`` of every live node."""
        return [(n.host, n.port) for n in self.cluster.nodes if n.active]

    def get_node_names(self) -> list[dict[str, Any]]:
        """``{'address', 'port', 'node_name'}`` of every live node."""
        return [{"address": n.host, "port": n.port, "node_name": n.name}
                for n in self._connected(True).nodes if n.active]

    async def _info(self, node: Node, command: str, policy: Any) -> str:
        if not isinstance(command, str):
            raise param_error("Request should be a string.")
        timeout = self._policies.resolve("info", policy).get("timeout", 1000) / 1000.0
        pool = node.pool
        try:
            conn = await pool.acquire(timeout)
        except (ConnectionClosed, SocketTimeout, OSError) as exc:
            raise ClientError(-1, f"{node.address} {exc}", None, None, False) from None
        try:
            _t, payload = await conn.request(encode_info_request(*filter(None, [command])),
                                             timeout)
        except SocketTimeout:
            pool.discard(conn)
            raise TimeoutError(9, f"{node.address} info timeout", None, None, False) from None
        except BaseException:
            pool.discard(conn)
            raise
        pool.release(conn)
        return _info_text(bytes(payload), node.address)

    async def info_all(self, command: str, policy: dict | None = None
                       ) -> dict[str, tuple[AerospikeError | None, str]]:
        """Ask every node: ``{node_name: (error, response)}``."""
        if not isinstance(command, str):
            raise param_error("Request must be a string")
        if policy is not None and not isinstance(policy, dict):
            raise param_error("policy must be a dict")
        self._policies.resolve("info", policy)   # not a node's failure: raised, not listed
        out: dict[str, tuple[AerospikeError | None, str]] = {}
        for node in self.cluster.nodes:
            try:
                text = await self._info(node, command, policy)
                # as the official client: the response with its first name removed
                out[node.name] = (None, text.split("\t", 1)[1] if "\t" in text else text)
            except (ClientError, TimeoutError) as exc:  # the node, not the command, failed
                out[node.name] = (exc, "")
        return out

    async def info_random_node(self, command: str, policy: dict | None = None) -> str:
        """Ask one node, chosen at random."""
        return await self._info(self._connected(True).random_node(), command, policy)

    async def info_single_node(self, command: str, host: str, policy: dict | None = None
                               ) -> str:
        """Ask the node named ``host`` (a node name)."""
        if not isinstance(host, str):
            raise param_error("Host must be a string.")
        self._policies.resolve("info", policy)   # a bad policy first, as the official client
        node = self._connected(True).nodes_by_name.get(host)
        if node is None:
            raise param_error(f"Could not get node with name {host}.")
        return await self._info(node, command, policy)

    async def info_node(self, command: str, host: tuple, policy: dict | None = None) -> str:
        """Ask the node at ``host``, an ``(address, port)`` or ``(address, port,
        tls_name)`` tuple; a host that is not a known node is asked directly."""
        if (not isinstance(host, (tuple, list)) or len(host) not in (2, 3)
                or not isinstance(host[0], str) or not isinstance(host[1], int)
                or isinstance(host[1], bool)):
            raise param_error("Host should be a tuple of (address, port[, tls_name])")
        address, port = host[0], host[1]
        for node in self.cluster.nodes:
            if node.active and node.host == address and node.port == port:
                return await self._info(node, command, policy)
        if not isinstance(command, str):
            raise param_error("Info request should be a string")
        validate_policy(policy)
        timeout = self._policies.resolve("info", policy).get("timeout", 1000) / 1000.0
        tls_name = host[2] if len(host) > 2 and isinstance(host[2], str) else None
        text = await info_host(address, port, command, timeout, self._tls, tls_name,
                               self._settings.credentials)
        return _info_text(text, f"{address}:{port}")

    async def set_xdr_filter(self, data_center: str, namespace: str,
                             expression_filter: Any, policy: dict | None = None) -> str:
        """Set (``expression_filter`` a compiled expression) or remove (None) the XDR
        filter of ``namespace`` towards ``data_center`` (Enterprise servers). One node,
        chosen at random, is sent ``xdr-set-filter:dc=<dc>;namespace=<ns>;exp=<base64 or
        null>`` and passes it on. Returns the node's whole reply (the command, a tab,
        ``ok``, a newline); an ``ERROR`` reply raises, a Community server's being
        AerospikeError 25 ``enterprise only``. The arguments are checked first, in the
        official client's order and words."""
        if not isinstance(data_center, str):
            raise param_error("Data_center should be a string.")
        if not isinstance(namespace, str):
            raise param_error("Namespace should be a string.")
        exp = "null" if expression_filter is None else expression_base64(expression_filter)
        if policy is not None:
            if not isinstance(policy, dict):
                raise param_error("policy must be a dict")
            if "timeout" in policy:
                timeout = policy["timeout"]
                if not isinstance(timeout, int):
                    raise param_error("timeout is invalid")
                # the official client takes it as a uint32 of milliseconds
                policy = {**policy, "timeout": int(timeout) & 0xFFFFFFFF}
        return await self._info(self.cluster.random_node(),
                                f"xdr-set-filter:dc={data_center};namespace={namespace};"
                                f"exp={exp}", policy)


def _rack_ids(config: dict) -> list[int]:
    ids = config.get("rack_ids")
    if ids is None:
        ids = [config.get("rack_id", 0)]
    if (not isinstance(ids, (list, tuple)) or not ids
            or any(not isinstance(i, int) or isinstance(i, bool) for i in ids)):
        raise ParamError(-2, "config key 'rack_ids' must be a non-empty list of ints "
                         "('rack_id' an int)", None, None, False)
    return list(ids)


def _info_text(payload: bytes, address: str) -> str:
    """The info reply as text; a value ``ERROR:code:message`` raises that error."""
    text = payload.decode("utf-8", "replace")
    for line in text.split("\n"):
        _name, _tab, value = line.partition("\t")
        if value[:6] in ("ERROR:", "error:"):
            code_s, _c, message = value[6:].partition(":")
            try:
                code = int(code_s)
            except ValueError:
                code = -1
            raise exception_for(code, f"{message or 'error'} from {address}", False)
    return text


def record_failure(node: Node, rc: int, key: Any, bin_arg: Any = None) -> AerospikeError:
    """The exception of a single-record command that ``node`` answered with ``rc``. A record
    error carries, as the official client's does, the key as the caller gave it and the
    command's bin argument (a put's bins, an append's bin name; else None)."""
    exc = server_error(node, rc)
    if isinstance(exc, RecordError):
        exc.key = key
        exc.bin = bin_arg
    return exc


def _parts(node: Node, payload: Any, deserializer: Callable[[Any], Any] | None,
           ordered: bool = False, pol: Policy | None = None) -> tuple[int, int, int, Any]:
    """record_parts of a reply from ``node``, blobs decoded by the client's
    ``deserializer``, lists and maps left as bytes when ``pol`` says not to deserialize;
    a malformed reply is a ClientError naming the node."""
    token = instance_deserializer.set(deserializer) if deserializer is not None else None
    raw = raw_collections.set(True) if pol is not None and pol.deserialize is False else None
    try:
        return record_parts(payload, ordered)
    except ProtocolError as exc:
        raise ClientError(-1, f"{node.address} {exc}", None, None, False) from None
    finally:
        if token is not None:
            instance_deserializer.reset(token)
        if raw is not None:
            raw_collections.reset(raw)


def _serialization(value: Any) -> tuple[Callable[[Any], Any] | None,
                                        Callable[[Any], Any] | None]:
    """(serializer, deserializer) of the config's ``serialization`` tuple: the official
    client reads its first two items, ignores anything but a tuple, and takes None for
    "not set"."""
    if type(value) is not tuple:
        return None, None
    ser, deser = value[0], value[1]
    if ser is not None and not callable(ser):
        raise ParamError(-2, "Serializer must be callable", None, None, False)
    if deser is not None and not callable(deser):
        raise ParamError(-2, "Deserializer must be callable", None, None, False)
    if deser is not None:
        enable_blob_hook()
    return ser, deser


def _bools_to_ints(value: Any) -> Any:
    """send_bool_as=INTEGER: bools travel as 0/1, inside collections too."""
    if value is True or value is False:
        return int(value)
    if isinstance(value, list):
        return [_bools_to_ints(v) for v in value]
    if isinstance(value, dict):
        return type(value)((k, _bools_to_ints(v)) for k, v in value.items())
    return value


__all__ = ["Client", "remaining_ttl"]
