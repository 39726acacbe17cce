"""The codec decodes every recorded message, and re-encodes each AS_MSG byte for byte."""
from __future__ import annotations

import pytest

import vectors
from aerospike_async.protocol import framing, info, message, particles

AREAS = vectors.areas()


def _decode(raw: bytes) -> tuple[int, bytes]:
    mtype, size = framing.parse_proto_header(raw)
    assert size == len(raw) - 8
    return mtype, raw[8:]


@pytest.mark.parametrize("area", AREAS)
def test_every_message_decodes_and_round_trips(area):
    count = 0
    for sid, direction, raw in vectors.messages(area):
        mtype, payload = _decode(raw)
        if mtype == framing.MSG_COMPRESSED:
            inner = framing.decompress(payload)
            assert framing.compress(inner) is not None
            mtype, payload = _decode(inner)
        if mtype == framing.MSG_AS:
            msgs = message.parse_messages(payload)
            rebuilt = b"".join(message.encode_message(m)[8:] for m in msgs)
            assert rebuilt == payload, sid
            for m in msgs:
                for op in m.ops:
                    if op.op in (message.OP_READ, message.OP_WRITE, message.OP_INCR,
                                 message.OP_APPEND, message.OP_PREPEND):
                        particles.decode_particle(op.particle_type, op.value)
        elif mtype == framing.MSG_INFO:
            if direction == "request":
                assert info.encode_info_request(*info.parse_info_request(payload)) == raw, sid
            else:
                assert isinstance(info.parse_info_response(payload), dict)
        count += 1
    if area not in ("b64", "digest", "badinput"):
        assert count > 0


def test_frame_reader_splits_a_stream_at_any_boundary():
    msgs = [raw for _, _, raw in vectors.messages("kv")][:50]
    stream = b"".join(msgs)
    for chunk in (1, 7, 64, len(stream)):
        reader = framing.FrameReader()
        got = []
        for i in range(0, len(stream), chunk):
            reader.feed(stream[i:i + chunk])
            got.extend(reader)
        assert [framing.encode_proto(t, p) for t, p in got] == msgs
