"""``aerospike.Client``: the documented blocking client on top of the async core."""
from __future__ import annotations

import atexit
import collections
import inspect
import logging
import os
import weakref
from typing import Any, Callable

from aerospike_async.client import Client as AsyncClient
from aerospike_async.cluster.blocking import run_in_caller
from aerospike_async.exceptions import ClientError, ParamError, not_connected

from ._arguments import official_arguments, raise_argument_error
from ._loop import LOOP

_open_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()
_NO_CONFIG: Any = object()   # aerospike.client() with no config at all
log = logging.getLogger("aerospike")
# forks this process has been through: a client made before a fork belongs to the parent
# (a count to compare, where os.getpid() is a system call on every command)
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


if hasattr(os, "register_at_fork"):  # no fork, and no such hook, on Windows
    os.register_at_fork(after_in_child=_count_fork)


class Client:
    """A blocking Aerospike client (``aerospike.client(config)`` builds and connects one).

    Every method runs the matching coroutine of ``aerospike_async.Client`` and
    returns its result; it may be called from any number of threads at once. The
    single-record and batch commands run in the calling thread on blocking sockets, as
    the official client's do; the rest run on the process's event loop thread.
    """

    def __init__(self, config: dict[str, Any] = _NO_CONFIG) -> None:
        """Build the client and connect it, as ``aerospike.client(config)`` does."""
        if config is _NO_CONFIG:
            try:
                raise TypeError("client() missing required argument 'config' (pos 1)")
            except TypeError:   # the ParamError comes with it as its context
                raise ParamError(-2, "No config argument", None, None, False)
        self._async = AsyncClient(config)
        self._async._serve_blocking_callers()
        self._forks = _forks
        self._holds_loop = False
        # enable/disable metrics listener calls made on the loop thread, to be run on the
        # caller's thread once the loop has done its part (as the official client calls
        # them from enable_metrics/disable_metrics/close on the caller's thread)
        self._deferred: collections.deque[tuple[Callable[..., Any], tuple]] = \
            collections.deque()
        self.connect()

    def _usable(self, period: bool = False) -> None:
        if self._forks != _forks:
            raise ClientError(-1, "This client was created in another process; create a "
                              "new client after fork", None, None, False)
        if not self._holds_loop:
            raise not_connected(period)

    def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._usable()
        return LOOP.run(fn, *args, **kwargs)

    def connect(self, username: str | None = None, password: str | None = None) -> "Client":
        """Connect to the cluster (done already by ``aerospike.client``); returns the client."""
        if not self._holds_loop:
            LOOP.acquire()
            self._holds_loop = True
            _open_clients.add(self)
        try:
            LOOP.run(self._async.connect, username, password)
        except BaseException:
            self.close()
            raise
        return self

    def is_connected(self) -> bool:
        return self._holds_loop and self._async.is_connected()

    def close(self) -> None:
        """Close every connection; the loop thread stops with the last open client."""
        if not self._holds_loop:
            return
        try:
            if self._forks == _forks and LOOP.running:
                LOOP.run(self._async.close)
        finally:
            self._holds_loop = False
            _open_clients.discard(self)
            if self._forks == _forks:
                LOOP.release()
        try:
            self._run_deferred()
        except Exception:  # noqa: BLE001 - close does not fail on a listener's error
            pass

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get_nodes(self) -> list[tuple[str, int]]:
        """``(address, port)`` of every live node."""
        return self._async.get_nodes()

    def get_node_names(self) -> list[dict[str, Any]]:
        """``{'address', 'port', 'node_name'}`` of every live node."""
        return self._async.get_node_names()

    @official_arguments
    def get_expression_base64(self, expression: Any) -> str:
        """The base64 text of a compiled expression's wire form."""
        return self._async.get_expression_base64(expression)

    @official_arguments
    def get_cdtctx_base64(self, ctx: list) -> str:
        """The base64 text of a list of ``cdt_ctx`` contexts' wire form."""
        return self._async.get_cdtctx_base64(ctx)

    def get_policies(self) -> dict[str, dict[str, Any]]:
        """The policies in force, by kind."""
        return self._async.get_policies()

    def shm_key(self) -> int | None:
        """None: the cluster map is never kept in shared memory."""
        return self._async.shm_key()

    @official_arguments
    def get_key_partition_id(self, ns: str, set: str, key: Any) -> int:
        """The partition id of a key."""
        return self._async.get_key_partition_id(ns, set, key)

    # -- metrics -------------------------------------------------------------
    def _wrap_listeners(self, listeners: Any) -> Any:
        """Listeners whose enable/disable calls are queued for the caller's thread;
        snapshot and node-close calls stay on the loop thread, which tends the cluster
        (the official client calls them on its tend thread)."""
        from aerospike_helpers.metrics import MetricsListeners
        deferred = self._deferred

        def enable() -> None:
            deferred.append((listeners.enable_listener, ()))

        def disable(cluster: Any) -> None:
            deferred.append((listeners.disable_listener, (cluster,)))

        return MetricsListeners(enable, listeners.snapshot_listener,
                                listeners.node_close_listener, disable)

    def _run_deferred(self, raise_disable: bool = True) -> None:
        """Run the queued listener calls here; the first failure is raised after all ran
        (a failed disable only when ``raise_disable``: re-enabling logs it, as C does)."""
        from aerospike_async._metrics import _callback_error
        error: Exception | None = None
        failed_enable = False
        while self._deferred:
            fn, args = self._deferred.popleft()
            try:
                fn(*args)
            except Exception as exc:  # noqa: BLE001 - reported as the official client does
                if args and not raise_disable:
                    log.warning("metrics disable error: %s", exc)
                elif error is None:
                    name = "enable_listener" if not args else "disable_listener"
                    error = _callback_error(name, exc)
                    failed_enable = not args
        if error is not None:
            if failed_enable and self._holds_loop:
                LOOP.run(_call, self._async._abandon_metrics)
            raise error

    def enable_metrics(self, policy: Any = None) -> None:
        """Enable extended metrics (see ``aerospike_async.Client.enable_metrics``)."""
        try:
            self._run(_call, self._async._enable_metrics, policy, self._wrap_listeners)
        finally:
            self._run_deferred(raise_disable=False)

    def disable_metrics(self) -> None:
        """Disable extended metrics; the disable listener runs on this thread."""
        try:
            self._run(self._async.disable_metrics)
        finally:
            self._run_deferred()

    def get_stats(self) -> Any:
        """An ``aerospike_helpers.metrics.ClusterStats`` of the cluster."""
        if not self._holds_loop:
            raise not_connected()
        return self._run(_call, self._async.get_stats)


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Run a plain function on the loop thread (through ``LOOP.run``)."""
    return fn(*args)


def _blocking(name: str, in_caller: bool = False, period: bool = False
              ) -> Callable[..., Any]:
    """The blocking method ``name``: the matching coroutine run on the loop thread, or
    with ``in_caller`` (single-record and batch commands) in the calling thread, with no
    hop to the loop thread and back (see run_in_caller). ``period``: its "not connected"
    message ends with one, as the official client words it for that method."""
    coroutine_fn = getattr(AsyncClient, name)

    if in_caller:
        def method(self: Client, *args: Any, **kwargs: Any) -> Any:
            self._usable()
            try:
                command = coroutine_fn(self._async, *args, **kwargs)
            except TypeError as exc:
                raise_argument_error(exc, name, coroutine_fn, args, kwargs, bound=True)
            return run_in_caller(command)
    else:
        def method(self: Client, *args: Any, **kwargs: Any) -> Any:
            self._usable(period)
            try:
                return LOOP.run(coroutine_fn, self._async, *args, **kwargs)
            except TypeError as exc:
                raise_argument_error(exc, name, coroutine_fn, args, kwargs, bound=True)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = coroutine_fn.__doc__
    method.__signature__ = inspect.signature(coroutine_fn)  # type: ignore[attr-defined]
    return method


for _name in ("info_all", "info_node"):
    setattr(Client, _name, _blocking(_name))
for _name in ("info_random_node", "info_single_node"):
    setattr(Client, _name, _blocking(_name, period=True))

for _name in ("get", "select", "exists", "put", "remove", "touch", "append", "prepend",
              "increment", "remove_bin", "operate", "operate_ordered", "apply", "batch_read",
              "batch_operate", "batch_write", "batch_apply", "batch_remove"):
    setattr(Client, _name, _blocking(_name, in_caller=True))

for _name in ("job_info", "query_apply", "scan_apply", "index_single_value_create",
              "index_list_create", "index_map_keys_create", "index_map_values_create",
              "index_integer_create", "index_string_create", "index_blob_create",
              "index_geo2dsphere_create", "index_set_create", "index_expr_create",
              "index_remove"):
    setattr(Client, _name, _blocking(_name))

for _name in ("udf_put", "udf_list", "udf_get", "truncate", "set_xdr_filter"):
    setattr(Client, _name, _blocking(_name))


def _also_by(official: str, documented: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method``, whose parameter ``documented`` (the documentation's name) it also takes
    by the keyword ``official``, the name the official client's own argument list gives
    it: code that runs on the official client runs here."""
    def wrapper(self: Client, *args: Any, **kwargs: Any) -> Any:
        if official in kwargs:
            if documented in kwargs:
                raise TypeError(f"{method.__name__}() got {documented!r} twice, also as "
                                f"{official!r}")
            kwargs[documented] = kwargs.pop(official)
        return method(self, *args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = method.__name__
    wrapper.__doc__ = method.__doc__
    wrapper.__signature__ = method.__signature__  # type: ignore[attr-defined]
    return wrapper


Client.udf_remove = _also_by("filename", "module", _blocking("udf_remove"))  # type: ignore
Client.index_cdt_create = _also_by("name", "index_name",  # type: ignore[attr-defined]
                                   _blocking("index_cdt_create"))


# security administration and transactions
for _name in ("admin_create_user", "admin_create_pki_user", "admin_drop_user",
              "admin_set_password", "admin_change_password", "admin_grant_roles",
              "admin_revoke_roles", "admin_query_user_info", "admin_query_users_info",
              "admin_query_user", "admin_query_users", "admin_create_role", "admin_drop_role",
              "admin_grant_privileges", "admin_revoke_privileges", "admin_set_whitelist",
              "admin_set_quotas", "admin_query_role", "admin_query_roles", "admin_get_role",
              "admin_get_roles", "commit", "abort"):
    setattr(Client, _name, _blocking(_name))


def _scan(self: Client, namespace: str | None = None, set: str | None = None) -> Any:
    """A blocking ``Scan`` of the namespace and set (no namespace: ParamError)."""
    from .scan import Scan
    if namespace is None:
        raise ParamError(-2, "Parameters are incorrect", None, None, False)
    return Scan._of(self, namespace, set)


def _query(self: Client, namespace: str | None = None, set: str | None = None) -> Any:
    """A blocking ``Query`` of the namespace and set (no namespace: ParamError)."""
    from .query import Query
    if namespace is None:
        raise ParamError(-2, "query() expects atleast 1 parameter", None, None, False)
    return Query._of(self, namespace, set)


Client.scan = _scan  # type: ignore[attr-defined]
Client.query = _query  # type: ignore[attr-defined]


def _close_all() -> None:
    for client in list(_open_clients):
        try:
            client.close()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_close_all)
