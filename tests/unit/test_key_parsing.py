"""parse_key's quick path for the usual keys gives what its full checks and compute_digest
give, and refuses exactly what they refuse."""
from __future__ import annotations

import random

import pytest

from aerospike_async._validate import parse_key
from aerospike_async.exceptions import ParamError
from aerospike_async.protocol.digest import compute_digest, ripemd160

_KEYS = [0, 1, -1, 2**63 - 1, -(2**63), 255, 256, "", "a", "héllo ✓ 日本", "x" * 1000]


@pytest.mark.parametrize("set_name", [None, "", "s", "set-with-15-char", "a" * 63, "é" * 15])
@pytest.mark.parametrize("user_key", _KEYS)
def test_the_digest_of_a_usual_key_is_the_servers(set_name, user_key):
    for _ in range(2):   # a set seen before takes the quick path
        ns, got_set, got_key, digest = parse_key(("test", set_name, user_key))
        assert (ns, got_set, got_key) == ("test", set_name, user_key)
        assert digest == compute_digest(set_name, user_key)
    kind, data = (1, user_key.to_bytes(8, "big", signed=True)) if type(user_key) is int \
        else (3, user_key.encode())
    assert digest == ripemd160((set_name or "").encode() + bytes((kind,)) + data)


def test_random_keys_match_compute_digest():
    rnd = random.Random(7)
    for _ in range(500):
        set_name = rnd.choice([None, "s1", "s2", f"set{rnd.randrange(50)}"])
        user_key = rnd.choice([rnd.randrange(-2**63, 2**63), f"k{rnd.random()}"])
        assert parse_key(("test", set_name, user_key))[3] == compute_digest(set_name, user_key)


@pytest.mark.parametrize("key", [("test", "s", 2**63), ("test", "s", -(2**63) - 1),
                                 ("test", "s", 1.5), ("test", 1, 1), ("n" * 32, "s", 1),
                                 (1, "s", 1), ("test", "a" * 64, 1), ("test", "s", None),
                                 ("test", "s", None, b"x" * 20),
                                 ("test", "s", None, bytearray(19)), ["test", "s", 1]])
def test_bad_keys_are_refused_whatever_the_path(key):
    parse_key(("test", "s", 1))   # set "s" now has hash states
    with pytest.raises(ParamError):
        parse_key(key)


def test_a_bool_user_key_is_the_integer_it_is():
    """As in the official client: True is the integer key 1."""
    assert parse_key(("test", "s", True))[2:] == parse_key(("test", "s", 1))[2:]


def test_a_dict_key_is_the_tuple_it_names():
    """The older dict form of a key, which the official client still takes."""
    digest = bytearray(parse_key(("test", "s", "k"))[3])
    assert parse_key({"ns": "test", "set": "s", "key": "k"}) == parse_key(("test", "s", "k"))
    assert parse_key({"ns": "test", "set": "s", "digest": digest}) == \
        parse_key(("test", "s", None, digest))
    # the user key wins over a digest given with it, as in the tuple form
    assert parse_key({"ns": "test", "set": "s", "key": "k", "digest": bytearray(20)})[3] == \
        bytes(digest)


@pytest.mark.parametrize("key, message", [
    ({"set": "s", "key": 1}, "namespace is required"),
    ({"ns": "test", "set": "s"}, "either key or digest is required"),
    ({"ns": 1, "set": "s", "key": 1}, "namespace must be a string"),
    ({"ns": "test", "set": "s", "key": 1.5}, "key is invalid")])
def test_a_bad_dict_key_is_refused_with_the_official_reason(key, message):
    with pytest.raises(ParamError) as info:
        parse_key(key)
    assert info.value.msg == message
