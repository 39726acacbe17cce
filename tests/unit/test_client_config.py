"""A client config is checked when the Client is made, before anything connects: a bad
value is a ParamError naming its key, never a Python error from deep inside."""
from __future__ import annotations

import pytest

from aerospike_async import Client
from aerospike_async.exceptions import ParamError

HOSTS = [("127.0.0.1", 3000)]


@pytest.mark.parametrize("extra", [
    {"max_conns_per_node": "x"}, {"min_conns_per_node": -1}, {"max_error_rate": 1.5},
    {"error_rate_window": None}, {"max_socket_idle": "x"}, {"connect_timeout": "x"},
    {"policies": {"total_timeout": "x"}}, {"policies": {"read": {"max_retries": "x"}}},
    {"policies": "x"},
])
def test_a_bad_config_value_is_a_param_error(extra):
    with pytest.raises(ParamError):
        Client({"hosts": HOSTS, **extra})


@pytest.mark.parametrize("hosts", [[("127.0.0.1",)], [("127.0.0.1", "3000")], [], "x",
                                   [(5, 3000)]])
def test_a_bad_host_is_a_param_error(hosts):
    with pytest.raises(ParamError):
        Client({"hosts": hosts})


def test_good_values_are_taken():
    Client({"hosts": HOSTS, "max_conns_per_node": 10, "max_socket_idle": 1.5,
            "policies": {"total_timeout": 500, "read": {"max_retries": 1}}})


# -- validate_keys --------------------------------------------------------------------
@pytest.mark.parametrize("extra, what", [
    ({"username": "u"}, "client config"),
    ({"lua": {"path": "."}}, "client config"),
    ({"tls": {"ca_file": "x"}}, "client config"),
    ({"shm": {"nodes": 3}}, "client config"),
    ({"policies": {"total_timeout_ms": 1}}, "client config"),
    *[({"policies": {kind: {"socket_timeout": 1, "key_policy": 1}}}, "policy")
      for kind in ("read", "write", "apply", "remove", "query", "scan", "operate", "batch",
                   "batch_parent_write", "txn_verify", "txn_roll")],
    ({"policies": {"info": {"key_policy": 1}}}, "policy"),
    ({"policies": {"admin": {"key_policy": 1}}}, "policy"),
    ({"policies": {"batch_write": {"ttl": 1, "key_policy": 1}}}, "policy"),
    ({"policies": {"batch_apply": {"key_policy": 1}}}, "policy"),
    ({"policies": {"batch_remove": {"generation": 1, "key_policy": 1}}}, "policy"),
])
def test_validate_keys_names_the_unknown_key(extra, what):
    config = {"hosts": HOSTS, **extra}
    Client(config)   # off (the default): ignored
    with pytest.raises(ParamError) as info:
        Client({**config, "validate_keys": True})
    unknown = next(name for name in ("username", "path", "ca_file", "nodes",
                                      "total_timeout_ms", "key_policy") if name in repr(extra))
    assert info.value.msg == f'"{unknown}" is an invalid {what} dictionary key'


def test_validate_keys_takes_every_documented_config_key():
    Client({"hosts": HOSTS, "validate_keys": True, "user": None, "password": None,
            "lua": {"system_path": ".", "user_path": "."}, "tend_interval": 1000,
            "shm": {"max_nodes": 3, "max_namespaces": 8, "takeover_threshold_sec": 30},
            "tls": {"enable": False, "crl_check": False, "log_session_info": False},
            "policies": {"total_timeout": 1, "socket_timeout": 1, "max_retries": 1,
                         "key": 0, "exists": 0, "replica": 1, "commit_level": 0,
                         "auth_mode": 0, "login_timeout_ms": 5000,
                         "read": {"read_touch_ttl_percent": 50, "read_mode_ap": 0},
                         "batch": {"concurrent": True, "respond_all_keys": True},
                         "query": {"expected_duration": 0, "short_query": False},
                         "scan": {"ttl": 0, "records_per_second": 0},
                         "info": {"timeout": 1000}, "admin": {"timeout": 1000}},
            "max_conns_per_node": 10, "rack_aware": False, "rack_id": 0,
            "use_services_alternate": False, "app_id": "app", "send_bool_as": 1})


@pytest.mark.parametrize("value", ["True", 1, None])
def test_validate_keys_must_be_a_bool_and_is_checked_first(value):
    with pytest.raises(ParamError) as info:
        Client({"validate_keys": value})   # no hosts either
    assert info.value.msg == 'config["validate_keys"] must be a boolean'


# -- values the official client checks at construction ---------------------------------
@pytest.mark.parametrize("extra, message", [
    ({"rack_aware": "True"}, "Invalid Policy setting value"),
    ({"use_services_alternate": 1}, "Invalid Policy setting value"),
    ({"rack_id": 1 << 31}, "Invalid Policy setting value"),
    ({"rack_id": -(1 << 40)}, "Invalid Policy setting value"),
    ({"rack_id": "1"}, "Invalid Policy setting value"),
    ({"compression_threshold": -1}, "Compression value must not be negative"),
    ({"lua": {"user_path": "a" * 256}}, "Lua user path too long"),
    ({"policies": {"batch_remove": {"generation": 0.3}}}, "Invalid Policy setting value"),
    ({"policies": {"batch_remove": {"generation": -1}}}, "Invalid Policy setting value"),
    ({"policies": {"batch_remove": {"generation": 1 << 16}}}, "Invalid Policy setting value"),
    ({"policies": {"read": {"read_touch_ttl_percent": "fail"}}},
     "Invalid Policy setting value"),
    ({"policies": {"query": {"expected_duration": "1"}}}, "Invalid Policy setting value"),
    ({"policies": {"batch": {"concurrent": "yes"}}}, "Invalid Policy setting value"),
    ({"hosts": ()}, "Hosts must be a list"),
    ({"hosts": []}, "Hosts must not be empty"),
    ({"hosts": [("127.0.0.1", "3000")]}, "Invalid host -> The host port must be an integer"),
])
def test_config_values_are_checked_with_the_official_wording(extra, message):
    with pytest.raises(ParamError) as info:
        Client({"hosts": HOSTS, **extra})
    assert info.value.msg == message


def test_the_documented_ranges_are_taken():
    Client({"hosts": HOSTS, "rack_aware": True, "rack_id": -1,
            "lua": {"user_path": "a" * 255},
            "policies": {"batch_remove": {"generation": 0xFFFF}}})


def test_app_id_must_be_a_str():
    with pytest.raises(TypeError):
        Client({"hosts": HOSTS, "app_id": 1})
    Client({"hosts": HOSTS, "app_id": None})


def test_the_config_metrics_policy_must_be_a_metrics_policy():
    from aerospike_helpers.metrics import MetricsPolicy
    with pytest.raises(ParamError) as info:
        Client({"hosts": HOSTS, "policies": {"metrics": (MetricsPolicy(),)}})
    assert info.value.msg == ("metrics must be an aerospike_helpers.metrics.MetricsPolicy "
                              "class instance. But a tuple was received instead")
    with pytest.raises(ParamError):
        Client({"hosts": HOSTS, "policies": {"metrics": MetricsPolicy(latency_shift=256)}})
    Client({"hosts": HOSTS, "validate_keys": True,
            "policies": {"metrics": MetricsPolicy(latency_columns=3)}})
