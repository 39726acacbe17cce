"""Ways to run the embedded server: event loops, a thread, the command line."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
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
