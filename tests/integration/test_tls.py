"""TLS end to end: the client's ``tls`` config against the embedded server's TLS listener.

A throwaway CA and a server certificate for ``aerospike.test`` are made at test time
with the ``openssl`` command line (skipped only when it is missing). These tests run
against the embedded server and cluster whatever AEROSPIKE_HOSTS says: they need a
server whose certificate they made.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from aerospike_async import Client
from aerospike_async.cluster.tls import build_tls, parse_protocols
from aerospike_async.exceptions import ClientError, InvalidCredential, ParamError, TLSError
from aerospike_async.testing import EmbeddedCluster, EmbeddedServer
from conftest import blocking_wait_for

TLS_NAME = "aerospike.test"
PKI_USER = "pki-user"
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command line")


def _run(*args: str, cwd: Path) -> str:
    out = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, text=True,
                         check=False, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _make_ca(d: Path, name: str) -> None:
    _run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
         "-subj", f"/CN={name} test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    d = tmp_path_factory.mktemp("tls")
    _make_ca(d, "ca")
    _make_ca(d, "rogue")  # a CA the client does not trust
    (d / "ext.cnf").write_text(
        f"subjectAltName=DNS:{TLS_NAME}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={TLS_NAME}", cwd=d)
    _run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
         cwd=d)
    serial = _run("x509", "-in", "server.pem", "-noout", "-serial", cwd=d)
    (d / "blacklist.txt").write_text(serial.strip().partition("=")[2] + " /CN=ca test CA\n")
    # a client certificate for PKI logins, naming the user
    (d / "client.cnf").write_text("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    _run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", "client.key", "-out", "client.csr", "-subj", f"/CN={PKI_USER}", cwd=d)
    _run("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.cnf",
         cwd=d)
    return {k: str(d / f) for k, f in [("ca", "ca.pem"), ("rogue", "rogue.pem"),
                                        ("cert", "server.pem"), ("key", "server.key"),
                                        ("blacklist", "blacklist.txt"),
                                        ("client_cert", "client.pem"),
                                        ("client_key", "client.key")]}


@pytest.fixture(scope="module")
def tls_server(certs: dict[str, str]):
    server = EmbeddedServer.run_in_thread(tls=(certs["cert"], certs["key"]),
                                          tls_name=TLS_NAME)
    try:
        yield server
    finally:
        server.stop()


def _config(hosts: list, certs: dict[str, str], **tls) -> dict:
    return {"hosts": hosts, "tls": {"enable": True, "cafile": certs["ca"], **tls},
            "connect_timeout": 2000}


# -- config ---------------------------------------------------------------------------

def test_tls_off_builds_nothing(certs):
    assert build_tls(None) is None
    assert build_tls({"enable": False, "cafile": "/nonexistent"}) is None
    assert Client({"hosts": [("127.0.0.1", 3000)], "tls": {"enable": False}})._tls is None


def test_bad_files_raise_tls_error(certs, tmp_path):
    with pytest.raises(TLSError) as info:
        build_tls({"enable": True, "cafile": str(tmp_path / "missing.pem")})
    assert info.value.code == -9 and "CAFile" in info.value.msg
    with pytest.raises(TLSError):
        Client({"hosts": [("127.0.0.1", 3000)], "tls": {"enable": True,
                                                       "cafile": certs["key"]}})
    with pytest.raises(TLSError):
        build_tls({"enable": True, "cafile": certs["ca"], "certfile": certs["ca"],
                   "keyfile": str(tmp_path / "missing.key")})
    with pytest.raises(TLSError):
        build_tls({"enable": True, "cafile": certs["ca"], "cipher_suite": "NO-SUCH-CIPHER"})
    with pytest.raises(TLSError):
        build_tls({"enable": True, "cafile": certs["ca"],
                   "cert_blacklist": str(tmp_path / "missing.txt")})


def test_bad_values_raise_param_error(certs):
    with pytest.raises(ParamError, match="cafile"):
        build_tls({"enable": True, "cafile": 3})
    with pytest.raises(ParamError, match="for_login_only"):
        Client({"hosts": [("h", 1)], "tls": {"enable": True, "for_login_only": True}})
    with pytest.raises(ParamError, match="protocols"):
        build_tls({"enable": True, "cafile": certs["ca"], "protocols": "SSLv3"})
    with pytest.raises(ParamError, match="tls_name"):
        Client({"hosts": [("127.0.0.1", 3000, 7)]})


def test_client_certificate_and_options_load(certs):
    tls = build_tls({"enable": True, "cafile": certs["ca"], "certfile": certs["cert"],
                     "keyfile": certs["key"], "crl_check": False, "log_session_info": True,
                     "protocols": "TLSv1.2", "cipher_suite": "HIGH"})
    assert tls is not None and tls.log_session_info


def test_protocols():
    import ssl
    v = ssl.TLSVersion
    assert parse_protocols("TLSv1.2") == (v.TLSv1_2, v.TLSv1_2)
    assert parse_protocols("TLSv1.2 TLSv1.3") == (v.TLSv1_2, v.TLSv1_3)
    assert parse_protocols("all -TLSv1 -TLSv1.1") == (v.TLSv1_2, v.TLSv1_3)
    with pytest.raises(ParamError):
        parse_protocols("TLSv1 TLSv1.3")
    with pytest.raises(ParamError):
        parse_protocols("TLSv9")


# -- embedded server ----------------------------------------------------------------------

async def test_embedded_server_reports_tls(certs):
    from aerospike_async.cluster.node import info_host
    async with EmbeddedServer(tls=(certs["cert"], certs["key"]), tls_name=TLS_NAME) as srv:
        assert srv.tls_port and srv.tls_port != srv.port
        tls = build_tls({"enable": True, "cafile": certs["ca"]})
        text = (await info_host(srv.host, srv.tls_port, "service-tls-std", 2.0, tls,
                                TLS_NAME)).decode()
        assert text == f"service-tls-std\t{srv.host}:{srv.tls_port}\n"
        text = (await info_host(srv.host, srv.port, "peers-tls-std", 2.0)).decode()
        assert text == f"peers-tls-std\t0,{srv.tls_port},[]\n"
    async with EmbeddedServer() as plain:
        text = (await info_host(plain.host, plain.port, "peers-tls-std", 2.0)).decode()
        assert text == "peers-tls-std\tERROR:25:enterprise only\n"


# -- client over TLS ------------------------------------------------------------------------

async def test_async_put_get_over_tls(tls_server, certs):
    config = _config([tls_server.tls_host], certs, log_session_info=True)
    async with Client(config) as client:
        key = ("test", "tls", "async-1")
        await client.put(key, {"a": 1, "s": "secret"})
        _k, meta, bins = await client.get(key)
        assert bins == {"a": 1, "s": "secret"} and meta["gen"] >= 1
        (node,) = client.cluster.nodes
        assert node.port == tls_server.tls_port
        conn = await node.pool.acquire(1.0)
        try:
            assert conn._transport.get_extra_info("ssl_object") is not None
            assert conn._transport.get_extra_info("peercert")["subject"]
        finally:
            node.pool.release(conn)
        assert node._tend_conn._transport.get_extra_info("ssl_object") is not None
        text = await client.info_node("service-tls-std", tls_server.tls_host)
        assert str(tls_server.tls_port) in text


def test_sync_put_get_over_tls(tls_server, certs):
    import aerospike
    # the minimum's connections are opened (and handshaken) on the event loop, then the
    # sync commands use them from this thread
    client = aerospike.client({**_config([tls_server.tls_host], certs),
                               "min_conns_per_node": 2})
    try:
        blocking_wait_for(lambda: client.get_stats().nodes[0].conns.in_pool >= 2, step=0.02)
        key = ("test", "tls", "sync-1")
        client.put(key, {"b": 2})
        assert client.get(key)[2] == {"b": 2}
        assert client.is_connected()
        assert client.get_stats().nodes[0].conns.opened == 2
    finally:
        client.close()


def test_sync_reply_past_the_socket_timeout_over_tls(certs):
    """A sync command whose reply comes late over TLS raises TimeoutError, drops that
    connection, and the next command on a fresh one succeeds."""
    import aerospike
    from aerospike import exception
    cluster = EmbeddedCluster.run_in_thread(size=1, tls=(certs["cert"], certs["key"]),
                                            tls_name=TLS_NAME)
    client = aerospike.client(_config([cluster.tls_seeds[0]], certs))
    try:
        key = ("test", "tls", "late")
        client.put(key, {"b": 1})
        cluster.nodes[0].slow(0.5)
        started = time.monotonic()
        with pytest.raises(exception.TimeoutError):
            client.get(key, {"socket_timeout": 100, "total_timeout": 200, "max_retries": 0})
        assert time.monotonic() - started < 0.45
        cluster.nodes[0].clear_faults()
        assert client.get(key)[2] == {"b": 1}
        conns = client.get_stats().nodes[0].conns
        assert conns.in_use == 0 and conns.closed >= 1
    finally:
        client.close()
        cluster.stop()


def test_sync_untrusted_ca_raises_tls_error(tls_server, certs):
    import aerospike
    from aerospike import exception
    config = _config([tls_server.tls_host], certs)
    config["tls"]["cafile"] = certs["rogue"]
    with pytest.raises(exception.TLSError):
        aerospike.client(config)


async def test_wrong_tls_name_fails(tls_server, certs):
    host, port, _name = tls_server.tls_host
    with pytest.raises(TLSError) as info:
        await Client(_config([(host, port, "other.test")], certs)).connect()
    assert info.value.code == -9 and isinstance(info.value, ClientError)
    # no tls_name: the certificate is checked against the address, which it does not name
    with pytest.raises(TLSError):
        await Client(_config([(host, port)], certs)).connect()


async def test_untrusted_ca_fails(tls_server, certs):
    config = _config([tls_server.tls_host], certs)
    config["tls"]["cafile"] = certs["rogue"]
    with pytest.raises(TLSError):
        await Client(config).connect()


async def test_blacklisted_certificate_fails(tls_server, certs):
    config = _config([tls_server.tls_host], certs, cert_blacklist=certs["blacklist"])
    with pytest.raises(TLSError, match="blacklisted"):
        await Client(config).connect()


async def test_plain_tcp_unchanged(tls_server):
    async with Client({"hosts": [tls_server.address]}) as client:
        (node,) = client.cluster.nodes
        assert client.cluster.settings.peers_command == "peers-clear-std"
        await client.put(("test", "tls", "plain"), {"p": 1})
        conn = await node.pool.acquire(1.0)
        try:
            assert conn._transport.get_extra_info("ssl_object") is None
        finally:
            node.pool.release(conn)


# -- a TLS cluster --------------------------------------------------------------------------

async def test_tender_discovers_tls_cluster(certs):
    async with EmbeddedCluster(size=3, tls=(certs["cert"], certs["key"]),
                               tls_name=TLS_NAME) as cluster:
        peers = cluster.nodes[0].node.info_value("peers-tls-std")
        others = cluster.nodes[1:]
        assert peers == (f"{cluster.nodes[0].node.peers_generation},"
                         f"{cluster.nodes[0].tls_port},["
                         + ",".join(f"[{n.name},{TLS_NAME},[{n.host}:{n.tls_port}]]"
                                    for n in others) + "]")
        config = _config([cluster.tls_seeds[0]], certs)  # one seed: the rest by peers
        async with Client(config) as client:
            names = {n["node_name"]: n["port"] for n in client.get_node_names()}
            assert names == {n.name: n.tls_port for n in cluster.nodes}
            for node in client.cluster.nodes:
                assert node.pool.tls is not None and node.pool.tls_name == TLS_NAME
            keys = [("test", "tls-cluster", i) for i in range(60)]
            for i, key in enumerate(keys):
                await client.put(key, {"i": i})
            for i, key in enumerate(keys):
                assert (await client.get(key))[2] == {"i": i}
            used = [n for n in client.cluster.nodes if n.pool.opened]
            assert len(used) == 3  # every node served records over TLS


def test_command_line_serves_tls(certs):
    """``python -m aerospike_async.testing --tls-cert --tls-key`` (on uvloop when present):
    a 3-node cluster whose TLS ports the sync client tends from one seed."""
    import os
    import re
    import sys

    import aerospike
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "aerospike_async.testing", "--port", "0", "--nodes", "3",
         "--tls-cert", certs["cert"], "--tls-key", certs["key"], "--tls-name", TLS_NAME],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(root)))
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        ports = [int(re.search(r"TLS on port (\d+)", line).group(1)) for line in lines]
        client = aerospike.client(_config([("127.0.0.1", ports[0], TLS_NAME)], certs))
        try:
            assert sorted(n["port"] for n in client.get_node_names()) == sorted(ports)
            client.put(("test", "tls-cli", 1), {"x": 1})
            assert client.get(("test", "tls-cli", 1))[2] == {"x": 1}
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(10)


async def test_restarted_tls_node_keeps_its_tls_port(certs):
    async with EmbeddedCluster(size=2, tls=(certs["cert"], certs["key"]), tls_name=TLS_NAME,
                               join_delay=0.0) as cluster:
        b2 = cluster.node("B2")
        before = b2.tls_port
        await b2.restart()
        await cluster.wait_stable()
        assert b2.tls_port == before and b2.node.tls_port == before
        assert f"[B2,{TLS_NAME},[127.0.0.1:{before}]]" in \
            cluster.node("B1").node.info_value("peers-tls-std")


async def test_external_authentication_logs_in_over_tls(certs):
    from aerospike_async import constants as C
    async with EmbeddedServer(tls=(certs["cert"], certs["key"]), tls_name=TLS_NAME,
                              users={"ldap-user": "ldap-pw"}) as srv:
        config = {**_config([srv.tls_host], certs), "user": "ldap-user",
                  "password": "ldap-pw", "policies": {"auth_mode": C.AUTH_EXTERNAL}}
        async with Client(config) as client:
            await client.put(("test", "tls", "ext"), {"v": 1})
            assert (await client.get(("test", "tls", "ext")))[2] == {"v": 1}
        assert srv.security is not None and srv.security.logins >= 1
        with pytest.raises(InvalidCredential):
            await Client({**config, "password": "wrong"}).connect()


async def test_pki_logs_in_with_the_client_certificate(certs):
    import ssl
    from aerospike_async import constants as C
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(certs["cert"], certs["key"])
    server_tls.load_verify_locations(certs["ca"])
    server_tls.verify_mode = ssl.CERT_OPTIONAL   # a certificate, when sent, must verify
    async with EmbeddedServer(tls=server_tls, tls_name=TLS_NAME,
                              users={PKI_USER: "not-used"}) as srv:
        pki = {"auth_mode": C.AUTH_PKI}
        config = {**_config([srv.tls_host], certs, certfile=certs["client_cert"],
                            keyfile=certs["client_key"]), "policies": pki}
        async with Client(config) as client:
            await client.put(("test", "tls", "pki"), {"v": 1})
            assert (await client.get(("test", "tls", "pki")))[2] == {"v": 1}
        assert srv.security is not None and srv.security.logins >= 1
        # without a client certificate there is no one to log in as
        with pytest.raises(InvalidCredential):
            await Client({**_config([srv.tls_host], certs), "policies": pki}).connect()
