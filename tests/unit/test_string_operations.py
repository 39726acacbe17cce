"""String operations: every builder encodes to the bytes the official 19.3 client sends.

The table was captured from the official client (``aerospike==19.3.0``) through a
recording proxy in front of the embedded server: one ``operate`` per builder call, the
operation's wire bytes (op header, name, msgpack value) kept. The embedded server, like
the recorded 8.1 server, refuses string operations with InvalidRequest (code 4).
"""
from __future__ import annotations

import pytest

from aerospike_async.protocol.operations import encode_operation
from aerospike_helpers import cdt_ctx
from aerospike_helpers.operations import string_operations as so
from aerospike_helpers.string_helpers import NumericType, RegexFlags, StringPolicy, WriteFlags

P = StringPolicy(WriteFlags.NO_FAIL)
CTX = [cdt_ctx.cdt_ctx_list_index(1)]
NAMES = {"so": so, "P": P, "CTX": CTX, "NumericType": NumericType, "RegexFlags": RegexFlags}

OFFICIAL = [
    ("so.strlen('s')",
     "0000000711030001739100"),
    ("so.strlen('s', ctx=CTX)",
     "0000000d110300017393ccff9210019100"),
    ("so.substr('s', -3)",
     "0000000811030001739201fd"),
    ("so.substr_range('s', 1, 4)",
     "00000009110300017393010104"),
    ("so.char_at('s', -1)",
     "0000000811030001739202ff"),
    ("so.find('s', 'lo')",
     "0000000c11030001739303a3036c6f01"),
    ("so.find('s', 'lo', 2, ctx=CTX)",
     "00000012110300017393ccff9210019303a3036c6f02"),
    ("so.contains('s', 'é')",
     "0000000b11030001739204a303c3a9"),
    ("so.starts_with('s', 'He')",
     "0000000b11030001739205a3034865"),
    ("so.ends_with('s', 'ld')",
     "0000000b11030001739206a3036c64"),
    ("so.to_integer('s')",
     "0000000711030001739107"),
    ("so.to_double('s')",
     "0000000711030001739108"),
    ("so.byte_length('s')",
     "0000000711030001739109"),
    ("so.is_numeric('s')",
     "000000081103000173920a00"),
    ("so.is_numeric('s', NumericType.FLOAT)",
     "000000081103000173920a02"),
    ("so.is_upper('s')",
     "000000071103000173910b"),
    ("so.is_lower('s')",
     "000000071103000173910c"),
    ("so.to_blob('s')",
     "000000071103000173910d"),
    ("so.split('s')",
     "000000071103000173910e"),
    ("so.split_separator('s', ',')",
     "0000000a1103000173920ea2032c"),
    ("so.base64_decode('s')",
     "000000071103000173910f"),
    ("so.regex_compare('s', 'a.*')",
     "0000000d11030001739310a403612e2a00"),
    ("so.regex_compare('s', 'a', RegexFlags.CASE_INSENSITIVE)",
     "0000000b11030001739310a2036101"),
    ("so.to_string('s')",
     "000000051300000173"),
    ("so.insert('s', 2, 'xy')",
     "0000000d1203000173943202a303787900"),
    ("so.insert('s', 2, 'xy', P, CTX)",
     "00000013120300017393ccff921001943202a303787904"),
    ("so.overwrite('s', 0, 'Z')",
     "0000000c1203000173943300a2035a00"),
    ("so.append('s', '!')",
     "0000000b12030001739343a2032100"),
    ("so.prepend('s', '>', P)",
     "0000000b12030001739344a2033e04"),
    ("so.concat('s', ['a', 'b'])",
     "0000000f1203000173933492a20361a2036200"),
    ("so.snip('s', 1)",
     "000000081203000173923501"),
    ("so.snip('s', 1, 3)",
     "0000000a12030001739435010300"),
    ("so.snip('s', 1, 3, P)",
     "0000000a12030001739435010304"),
    ("so.replace('s', 'l', 'L')",
     "0000000f1203000173933692a2036ca2034c00"),
    ("so.replace_all('s', 'l', 'L', P)",
     "0000000f1203000173933792a2036ca2034c04"),
    ("so.upper('s')",
     "000000081203000173923800"),
    ("so.upper('s', P)",
     "000000081203000173923804"),
    ("so.lower('s')",
     "000000081203000173923900"),
    ("so.casefold('s')",
     "000000081203000173923a00"),
    ("so.normalize_nfc('s')",
     "000000081203000173923b00"),
    ("so.trim_start('s')",
     "000000081203000173923c00"),
    ("so.trim_end('s')",
     "000000081203000173923d00"),
    ("so.trim('s')",
     "000000081203000173923e00"),
    ("so.pad_start('s', 20, '*')",
     "0000000c1203000173943f14a2032a00"),
    ("so.pad_end('s', 20, '-', P)",
     "0000000c1203000173944014a2032d04"),
    ("so.repeat('s', 3)",
     "00000009120300017393410300"),
    ("so.regex_replace('s', 'l+', 'L')",
     "000000111203000173944292a3036c2ba2034c0000"),
    ("so.regex_replace('s', 'l', 'L', RegexFlags.GLOBAL, P)",
     "000000101203000173944292a2036ca2034c1004"),
]


@pytest.mark.parametrize("call,wire", OFFICIAL, ids=[c for c, _ in OFFICIAL])
def test_encoding_matches_the_official_client(call, wire):
    op = eval(call, NAMES)  # noqa: S307 - our own table
    encoded = encode_operation(op)
    assert encoded.data.hex() == wire
    assert encoded.respond_all
    assert encoded.reads == (encoded.data[4] in (17, 19))
    assert encoded.writes == (encoded.data[4] == 18)


def test_every_builder_is_in_the_table():
    used = {c.split("(")[0].removeprefix("so.") for c, _ in OFFICIAL}
    assert set(so.__all__) == used


def test_bad_arguments_are_param_errors():
    from aerospike_async.exceptions import ParamError
    for op in (so.substr("s", "1"), so.find("s", 5), so.concat("s", ["a", 1]),
               so.strlen("a_bin_name_longer_than_15"), so.append("s", "a\x00b")):
        with pytest.raises(ParamError):
            encode_operation(op)


def test_embedded_server_refuses_string_operations():
    from aerospike_async import Client
    from aerospike_async.exceptions import InvalidRequest
    from aerospike_async.testing import EmbeddedServer
    import asyncio

    async def run(address):
        async with Client({"hosts": [address]}) as c:
            key = ("test", "strops", 1)
            await c.put(key, {"s": "Hello"})
            for op in (so.strlen("s"), so.upper("s"), so.to_string("s")):
                with pytest.raises(InvalidRequest):
                    await c.operate(key, [op])
            assert (await c.get(key))[2] == {"s": "Hello"}

    with EmbeddedServer.run_in_thread() as srv:
        asyncio.run(run(srv.address))
