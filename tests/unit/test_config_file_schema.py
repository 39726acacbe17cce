"""The dynamic configuration file: its YAML, its schema, and ConfigProvider."""
from __future__ import annotations

import pytest

import aerospike_async.constants as C
from aerospike_async.cluster.config_file import ConfigFile
from aerospike_async.dynamic_config import ConfigProvider, parse_config, parse_config_text, \
    parse_yaml
from aerospike_async.exceptions import ClientError

FILE = """\
version: 1.0.0   # the schema's version
static:
  client:
    config_interval: 5000
    max_connections_per_node: 50
dynamic:
  client:
    timeout: 2000
    rack_ids: [1, 2]
  read:
    total_timeout: 500
    replica: PREFER_RACK
    read_mode_ap: ALL
    connect_timeout: 100
  write:
    send_key: true
    durable_delete: false
  query:
    expected_duration: SHORT
  batch_write:
    allow_inline: false
    send_key: false
  metrics:
    enable: true
    labels:
      app: "shop # not a comment"
"""


def test_the_yaml_subset_the_schema_needs():
    assert parse_yaml("a:\n  b: 1\n  c: [x, 'y z', 2.5]\n  d: {e: true, f: null}\n"
                      "l:\n  - 1\n  - two\nm:\n- 3\n") == {
        "a": {"b": 1, "c": ["x", "y z", 2.5], "d": {"e": True, "f": None}},
        "l": [1, "two"], "m": [3]}
    assert parse_yaml("# only a comment\n") is None
    for bad in ("a: 1\n   b: 2\n", "a 1\n", "a: 'open\n", "a: [1, 2\n"):
        with pytest.raises(ValueError):
            parse_yaml(bad)


def test_the_file_maps_onto_this_clients_policies_and_settings():
    config = parse_config(parse_yaml(FILE))
    assert config.config_interval == 5000
    assert config.static == {"max_conns_per_node": 50}
    assert config.client == {"connect_timeout": 2000, "rack_ids": [1, 2]}
    assert config.policies["read"] == {"total_timeout": 500,
                                       "replica": C.POLICY_REPLICA_PREFER_RACK,
                                       "read_mode_ap": C.POLICY_READ_MODE_AP_ALL}
    for kind in ("write", "operate", "remove", "apply"):   # a write section sets them all
        assert config.policies[kind] == {"key": C.POLICY_KEY_SEND, "durable_delete": False}
    assert config.policies["query"] == {"expected_duration": C.QUERY_DURATION_SHORT}
    assert config.policies["batch_parent_write"] == {"allow_inline": False}
    assert config.policies["batch_write"] == {"key": C.POLICY_KEY_DIGEST}
    assert config.metrics == {"enable": True, "labels": {"app": "shop # not a comment"}}


@pytest.mark.parametrize("text", [
    "dynamic:\n  read:\n    replica: NEAREST\n", "dynamic:\n  read:\n    total_timeout: -1\n",
    "dynamic:\n  write:\n    send_key: yes please\n", "dynamic:\n  reed:\n    x: 1\n",
    "dynamic:\n  read:\n    no_such_field: 1\n", "statik:\n  client: {}\n"])
def test_a_wrong_field_or_value_is_named(text):
    with pytest.raises(ValueError):
        parse_config(parse_yaml(text))


def test_a_file_that_cannot_be_read_or_parsed_is_a_client_error(tmp_path):
    with pytest.raises(ClientError, match="Failed to open"):
        ConfigFile(str(tmp_path / "missing.yml"), parse_config_text)
    bad = tmp_path / "bad.yml"
    bad.write_text("dynamic:\n  read:\n    replica: NEAREST\n")
    with pytest.raises(ClientError, match="Failed to parse"):
        ConfigFile(str(bad), parse_config_text)


def test_config_provider_is_immutable_with_the_documented_default_interval():
    provider = ConfigProvider("path.yml")
    assert (provider.path, provider.interval) == ("path.yml", 60000)
    assert ConfigProvider(path="p", interval=30000).interval == 30000
    with pytest.raises(AttributeError):
        provider.path = "other"   # type: ignore[misc]
    with pytest.raises(AttributeError):
        provider.interval = 1   # type: ignore[misc]
    with pytest.raises(ValueError):
        ConfigProvider("p", interval=2**32)
    with pytest.raises(TypeError):
        ConfigProvider(1)   # type: ignore[arg-type]
