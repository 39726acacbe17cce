"""A blocking raw-bytes client for the embedded server tests: builds requests with the
codec, sends them over a socket and decodes the replies."""
from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from aerospike_async.protocol.digest import compute_digest, key_bytes
from aerospike_async.protocol.framing import MSG_AS, MSG_INFO, FrameReader
from aerospike_async.protocol.info import encode_info_request, parse_info_response
from aerospike_async.protocol.message import (
    FIELD_DIGEST, FIELD_KEY, FIELD_NAMESPACE, FIELD_SET, INFO1_GET_ALL, INFO1_NOBINDATA,
    INFO1_READ, INFO2_DELETE, INFO2_WRITE, OP_READ, OP_WRITE, Message, Op, encode_message,
    parse_message,
)
from aerospike_async.protocol.particles import decode_particle, encode_particle
from aerospike_async.testing import EmbeddedServer


class RawClient:
    """One socket to the server; each call sends one message and waits for one reply."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=5)
        self.reader = FrameReader()

    def close(self) -> None:
        self.sock.close()

    def send_raw(self, data: bytes) -> tuple[int, bytes]:
        """Send whole message bytes; returns (type, payload) of the next reply."""
        self.sock.sendall(data)
        return self.read_frame()

    def read_frame(self) -> tuple[int, bytes]:
        while (frame := self.reader.next_frame()) is None:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.reader.feed(chunk)
        return frame

    def info(self, *commands: str) -> dict[str, str]:
        mtype, payload = self.send_raw(encode_info_request(*commands))
        assert mtype == MSG_INFO
        return parse_info_response(payload)

    def command(self, msg: Message) -> Message:
        mtype, payload = self.send_raw(encode_message(msg))
        assert mtype == MSG_AS
        reply, end = parse_message(payload)
        assert end == len(payload)
        return reply


def server_fixtures() -> tuple[Any, Any]:
    """The ``server`` (an embedded server in a thread, one per module) and ``client`` (a
    RawClient to it, one per test) fixtures; a test module takes them with
    ``server, client = server_fixtures()``. (Not a tests/unit/conftest.py: a second
    module named ``conftest`` would shadow tests/conftest.py for the integration tests
    that import it.)"""

    @pytest.fixture(scope="module")
    def server() -> Iterator[EmbeddedServer]:
        with EmbeddedServer.run_in_thread() as srv:
            yield srv

    @pytest.fixture
    def client(server: EmbeddedServer) -> Iterator[RawClient]:
        c = RawClient(server.port)
        yield c
        c.close()

    return server, client


def key_fields(ns: str, set_name: str, key: Any, send_key: bool = False) -> list[tuple[int, bytes]]:
    """Namespace, set and digest fields (plus the user key when ``send_key``)."""
    fields = [(FIELD_NAMESPACE, ns.encode()), (FIELD_SET, set_name.encode()),
              (FIELD_DIGEST, compute_digest(set_name, key))]
    if send_key:
        ktype, kbytes = key_bytes(key)
        fields.append((FIELD_KEY, bytes((ktype,)) + kbytes))
    return fields


def write_op(name: str, value: Any, op: int = OP_WRITE) -> Op:
    ptype, data = encode_particle(value)
    return Op(op, ptype, name, data)


def put(key: tuple, bins: dict[str, Any], *, ttl: int = 0, info2: int = 0, info3: int = 0,
        generation: int = 0, send_key: bool = False) -> Message:
    return Message(info2=INFO2_WRITE | info2, info3=info3, generation=generation,
                   expiration=ttl, timeout=1000, fields=key_fields(*key, send_key=send_key),
                   ops=[write_op(n, v) for n, v in bins.items()])


def operate(key: tuple, ops: list[Op], *, info1: int = 0, info2: int = 0, ttl: int = 0) -> Message:
    writes = any(o.op != OP_READ for o in ops)
    reads = any(o.op == OP_READ for o in ops)
    return Message(info1=info1 | (INFO1_READ if reads else 0),
                   info2=info2 | (INFO2_WRITE if writes else 0), expiration=ttl,
                   fields=key_fields(*key), ops=ops)


def get(key: tuple, bins: list[str] | None = None, *, info1: int = 0, ttl: int = 0) -> Message:
    flags = INFO1_READ | info1 | (0 if bins else INFO1_GET_ALL)
    return Message(info1=flags, expiration=ttl, fields=key_fields(*key),
                   ops=[Op(OP_READ, 0, b, b"") for b in bins or []])


def exists(key: tuple) -> Message:
    return Message(info1=INFO1_READ | INFO1_NOBINDATA, fields=key_fields(*key))


def remove(key: tuple, *, info2: int = 0, generation: int = 0) -> Message:
    return Message(info2=INFO2_WRITE | INFO2_DELETE | info2, generation=generation,
                   fields=key_fields(*key))


def bins_of(reply: Message) -> list[tuple[str, Any]]:
    """(name, decoded value) of each op of a reply, in order."""
    return [(o.name, decode_particle(o.particle_type, o.value)) for o in reply.ops]
