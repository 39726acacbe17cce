"""Ways to run the embedded server: event loops, a thread, the command line."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from aerospike_async.protocol.info import encode_info_request, parse_info_response
from aerospike_async.testing import EmbeddedServer
from server_raw import RawClient

ROOT = Path(__file__).resolve().parents[2]


async def _node_name(host: str, port: int) -> str:
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(encode_info_request("node"))
    head = await reader.readexactly(8)
    payload = await reader.readexactly(int.from_bytes(head[2:], "big"))
    writer.close()
    await writer.wait_closed()
    return parse_info_response(payload)["node"]


def test_runs_on_uvloop():
    uvloop = pytest.importorskip("uvloop")

    async def main() -> str:
        async with EmbeddedServer(node_name="U1") as srv:
            return await _node_name(srv.host, srv.port)

    assert uvloop.run(main()) == "U1"


async def test_stop_closes_open_connections():
    srv = EmbeddedServer()
    await srv.start()
    reader, _writer = await asyncio.open_connection(srv.host, srv.port)
    await srv.stop()
    assert await asyncio.wait_for(reader.read(), 5) == b""


async def test_stop_closes_connections_accepted_as_it_stops():
    """Connections keep arriving while the server stops: each one it accepted is closed
    (none left served by a stopped node), and stop() returns (Python 3.12's wait_closed
    waits for them all)."""
    srv = EmbeddedServer()
    for _round in range(20):
        await srv.start()
        opened: list[socket.socket] = []
        done = threading.Event()

        def connect_until_refused(port: int = srv.port) -> None:
            while not done.is_set():
                try:
                    opened.append(socket.create_connection((srv.host, port), timeout=0.2))
                except OSError:
                    return

        thread = threading.Thread(target=connect_until_refused)
        thread.start()
        await asyncio.sleep(0.02)
        try:
            await asyncio.wait_for(srv.stop(), 10)
        finally:
            done.set()
            await asyncio.to_thread(thread.join)
        # read off the loop, which goes on running the server's last callbacks
        assert await asyncio.to_thread(_closed_by_peer, opened) == len(opened)


def _closed_by_peer(socks: list[socket.socket]) -> int:
    """How many of ``socks`` the other end closed (each read within 5 s); closes them."""
    closed = 0
    for sock in socks:
        sock.settimeout(5)
        try:
            closed += sock.recv(1) == b""
        except ConnectionResetError:
            closed += 1
        except OSError:
            pass
        finally:
            sock.close()
    return closed


def test_thread_runner_serves_and_stops():
    handle = EmbeddedServer.run_in_thread(node_name="T1", namespaces=("only",))
    client = RawClient(handle.port)
    assert client.info("node", "namespaces") == {"node": "T1", "namespaces": "only"}
    client.close()
    handle.stop()
    with pytest.raises(OSError):
        RawClient(handle.port).info("node")


def test_command_line_prints_its_address():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "aerospike_async.testing", "--port", "0"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        host_port = line.rsplit(" ", 1)[1].strip()
        host, port = host_port.rsplit(":", 1)
        client = RawClient(int(port), host)
        assert client.info("node") == {"node": "A1"}
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)


def test_server_does_not_import_the_client_floors():
    code = ("import sys, aerospike_async.testing; "
            "bad = [m for m in sys.modules if m.split('.')[:2] in ("
            "['aerospike_async', 'client'], ['aerospike_async', 'command'], "
            "['aerospike_async', 'cluster'], ['aerospike_async', 'scan'], "
            "['aerospike_async', 'query']) or m.split('.')[0] == 'aerospike']; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True)
    assert out.stdout.strip() == "[]"
