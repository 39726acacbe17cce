"""A scripted one-node Aerospike server for client tests (pure test helper).

It answers info requests (proto type 1) as a single node holding every
partition of ``test`` and ``bar`` would, and answers each AS_MSG request
(type 3 or 4), and each admin request (type 2), with the next scripted list
of reply messages, recording the
request bytes it got. It runs on its own event loop in a daemon thread, so
blocking clients can talk to it from the test thread.

    node = FakeNode().start()
    node.script([[reply1], [reply2a, reply2b]])   # one list of messages per request
    node.script([[0.5, reply], [half, None]])     # a number stalls, None hangs up
    ...                                           # drive a client at node.port
    node.requests                                 # the AS_MSG requests received
    node.stop()
"""
from __future__ import annotations

import asyncio
import base64
import collections
import threading

from aerospike_async.protocol.framing import (MSG_ADMIN, MSG_AS, MSG_COMPRESSED, MSG_INFO,
                                              parse_proto_header)
from aerospike_async.protocol.info import encode_info_response, parse_info_request

FEATURES = ("batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;"
            "geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;"
            "replicas-all;replicas-master;replicas-max;truncate-namespace;udf")
"""``features`` of the recorded server (wire-vectors info/all_features)."""


def _all_partitions(namespaces: tuple[str, ...]) -> str:
    bitmap = base64.b64encode(b"\xff" * 512).decode()
    return ";".join(f"{ns}:0,1,{bitmap}" for ns in namespaces)


class FakeNode:
    """One scripted node on 127.0.0.1 (port chosen by the OS)."""

    def __init__(self, name: str = "A1", namespaces: tuple[str, ...] = ("test", "bar")) -> None:
        self.name = name
        self.namespaces = namespaces
        self.port = 0
        self._lock = threading.Lock()
        self._script: collections.deque[list[bytes]] = collections.deque()
        self._requests: list[bytes] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    # -- control (any thread) --------------------------------------------------
    def start(self) -> "FakeNode":
        ready = threading.Event()

        def run() -> None:
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-aerospike-node", daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for w in list(self._writers):
                w.close()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:  # connection handlers: end them before the loop stops
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    def script(self, replies: list[list[bytes | float | None]]) -> None:
        """Replace the script: per expected AS_MSG request, the steps of its answer:
        bytes to send, a number of seconds to stall, or None to hang up."""
        with self._lock:
            self._script = collections.deque(replies)
            self._requests = []

    @property
    def requests(self) -> list[bytes]:
        with self._lock:
            return list(self._requests)

    @property
    def unused(self) -> int:
        """Scripted replies not consumed yet."""
        with self._lock:
            return len(self._script)

    # -- the server (its own loop) ---------------------------------------------
    def info_value(self, command: str) -> str | None:
        values = {
            "node": self.name,
            "build": "8.1.2.0",
            "version": "Aerospike Community Edition build 8.1.2.0",
            "edition": "Aerospike Community Edition",
            "features": FEATURES,
            "cluster-name": "asd-single",
            "partition-generation": "1",
            "rebalance-generation": "1",
            "peers-generation": "1",
            "peers-clear-std": "1,3000,[]",
            "peers-clear-alt": "1,3000,[]",
            "alumni-clear-std": "1,3000,[]",
            "service-clear-std": f"127.0.0.1:{self.port}",
            "service-clear-alt": "",
            "partitions": "4096",
            "replicas": _all_partitions(self.namespaces),
            "replicas-master": _all_partitions(self.namespaces),
            "namespaces": ";".join(self.namespaces),
            "cluster-stable": "1",
            "status": "ok",
        }
        return values.get(command)

    def _info_reply(self, payload: bytes) -> bytes:
        commands = parse_info_request(payload) or ["node", "build", "features"]
        pairs = []
        for c in commands:
            v = self.info_value(c)
            pairs.append((c, v if v is not None else "ERROR::unrecognized command"))
        return encode_info_response(pairs)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                header = await reader.readexactly(8)
                mtype, size = parse_proto_header(header)
                payload = await reader.readexactly(size)
                if mtype == MSG_INFO:
                    writer.write(self._info_reply(payload))
                elif mtype in (MSG_AS, MSG_COMPRESSED, MSG_ADMIN):
                    with self._lock:
                        self._requests.append(header + payload)
                        replies = self._script.popleft() if self._script else None
                    if replies is None:  # nothing scripted: hang up, as on a broken node
                        break
                    for step in replies:
                        if step is None:  # hang up mid-reply
                            return
                        if isinstance(step, (int, float)):  # stall
                            await writer.drain()
                            await asyncio.sleep(step)
                        else:
                            writer.write(step)
                else:
                    break
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
