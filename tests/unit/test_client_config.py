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
