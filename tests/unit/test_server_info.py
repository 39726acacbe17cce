"""Info protocol of the embedded server, over a real socket."""
from __future__ import annotations

import base64

from aerospike_async.protocol.info import encode_info_request
from server_raw import put, server_fixtures

server, client = server_fixtures()


def test_identity(client, server):
    got = client.info("node", "build", "edition", "version", "namespaces", "partitions",
                      "cluster-name", "status", "features")
    assert got["node"] == "A1"
    assert got["build"] == "8.1.2.0"
    assert got["edition"] == "Aerospike Community Edition"
    assert got["version"] == "Aerospike Community Edition build 8.1.2.0"
    assert got["namespaces"] == "test;bar"
    assert got["partitions"] == "4096"
    assert got["cluster-name"] == "asd-single"
    assert got["status"] == "ok"
    assert "peers" in got["features"].split(";")


def test_replies_keep_request_order(client):
    mtype, payload = client.send_raw(encode_info_request("build", "node", "edition"))
    assert payload == b"build\t8.1.2.0\nnode\tA1\nedition\tAerospike Community Edition\n"


def test_partition_maps_own_everything(client):
    got = client.info("replicas", "replicas-all", "replicas-master", "partition-generation")
    full = base64.b64encode(b"\xff" * 512).decode()
    assert got["replicas"] == f"test:0,1,{full};bar:0,1,{full}"
    assert got["replicas-all"] == f"test:1,{full};bar:1,{full}"
    assert got["replicas-master"] == f"test:{full};bar:{full}"
    assert got["partition-generation"] == "0"


def test_peers_and_services(client, server):
    got = client.info("peers-generation", "peers-clear-std", "peers-clear-alt",
                      "peers-tls-std", "alumni-clear-std", "service-clear-std",
                      "service-clear-alt", "services", "rebalance-generation", "racks:")
    assert got["peers-generation"] == "0"
    assert got["peers-clear-std"] == f"0,{server.port},[]"
    assert got["peers-clear-alt"] == f"0,{server.port},[]"
    assert got["peers-tls-std"] == "ERROR:25:enterprise only"
    assert got["alumni-clear-std"] == f"0,{server.port},[]"
    assert got["service-clear-std"] == f"127.0.0.1:{server.port}"
    assert got["service-clear-alt"] == ""
    assert got["services"] == ""
    assert got["rebalance-generation"] == "1"
    assert got["racks:"] == "ERROR:25:enterprise only"


def test_unknown_command(client):
    assert client.info("no-such-command", "bins/test") == {
        "no-such-command": "ERROR:4:unrecognized command",
        "bins/test": "ERROR:4:unrecognized command",
    }


def test_empty_request_answers_default_set(client):
    got = client.info()
    assert list(got) == ["features", "node", "compatibility-id", "edition", "build_ee_sha",
                         "build_sha", "build_arch", "build_time", "build_os", "build",
                         "version", "statistics", "services-alumni", "services",
                         "partition-generation"]
    assert "cluster_size=1" in got["statistics"].split(";")


def test_namespace_and_set_statistics(client):
    for i in range(3):
        assert client.command(put(("bar", "infoset", i), {"a": i})).result_code == 0
    ns = dict(kv.split("=", 1) for kv in client.info("namespace/bar")["namespace/bar"].split(";"))
    assert ns["objects"] == "3"
    assert ns["replication-factor"] == "1"
    assert ns["default-ttl"] == "0"
    one = client.info("sets/bar/infoset")["sets/bar/infoset"]
    assert one.startswith("objects=3:tombstones=0:") and one.endswith(";")
    assert "ns=bar:set=infoset:objects=3:" in client.info("sets")["sets"]
    assert "ns=bar:set=infoset:objects=3:" in client.info("sets/bar")["sets/bar"]
    assert client.info("sets/test")["sets/test"] == ""


def test_get_config_namespace(client):
    value = client.info("get-config:context=namespace;id=test")[
        "get-config:context=namespace;id=test"]
    assert "replication-factor=1" in value.split(";")


def test_user_agent_set_is_recognised(client):
    agent = base64.b64encode(b"3,python-19.3,app").decode()
    assert client.info(f"user-agent-set:value={agent}")[f"user-agent-set:value={agent}"] == "ok"
    assert client.info("user-agent-set")["user-agent-set"] == "ERROR:4:missing 'value'"
    assert client.info("user-agent-set:value=%%%")["user-agent-set:value=%%%"] == \
        "ERROR:4:'value' invalid base64"
