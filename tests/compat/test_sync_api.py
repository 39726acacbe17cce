"""The synchronous drop-in: the documented blocking API, threads, fork and shutdown."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import aerospike
from aerospike import exception
from aerospike_helpers.operations import operations as op
from conftest import blocking_wait_for

NEVER = 0xFFFFFFFF


def _loop_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "portal" in t.name.lower()
            or t.name.startswith("AnyIO")]


def test_client_connects_in_the_constructor_and_connect_returns_it(config):
    client = aerospike.client(config)
    try:
        assert client.is_connected()
        assert client.connect() is client
        assert client.get_node_names()
    finally:
        client.close()
    assert not client.is_connected()


def test_key_value_round_trip(sync_client, make_key):
    key = make_key()
    assert sync_client.put(key, {"a": 1, "s": "x", "l": [1, {"k": b"v"}]}) == 0
    (ns, set_name, user_key, digest), meta, bins = sync_client.get(key)
    assert (ns, set_name, user_key) == (key[0], key[1], None)
    assert digest == aerospike.calc_digest(*key)
    assert meta == {"ttl": NEVER, "gen": 1}
    assert bins == {"a": 1, "s": "x", "l": [1, {"k": b"v"}]}
    assert sync_client.select(key, ["a"])[2] == {"a": 1}
    assert sync_client.exists(key)[1] == {"ttl": NEVER, "gen": 1}
    assert sync_client.increment(key, "a", 2) == 0
    assert sync_client.append(key, "s", "y") == 0
    assert sync_client.prepend(key, "s", "w") == 0
    assert sync_client.touch(key, 60) == 0
    assert sync_client.remove_bin(key, ["l"]) == 0
    _, meta, bins = sync_client.operate(key, [op.read("a"), op.read("s")])
    assert bins == {"a": 3, "s": "wxy"} and meta["gen"] == 6
    assert sync_client.operate_ordered(key, [op.read("a"), op.increment("a", 1),
                                             op.read("a")])[2] == [("a", 3), ("a", 4)]
    assert sync_client.remove(key) == 0
    with pytest.raises(exception.RecordNotFound):
        sync_client.get(key)


def test_documented_exceptions_and_constants(sync_client, make_key):
    with pytest.raises(exception.ParamError):
        sync_client.get("not-a-key")
    with pytest.raises(exception.RecordExistsError):
        key = make_key()
        sync_client.put(key, {"a": 1})
        sync_client.put(key, {"a": 1}, policy={"exists": aerospike.POLICY_EXISTS_CREATE})
    assert issubclass(exception.RecordNotFound, exception.RecordError)
    assert issubclass(exception.RecordError, exception.ServerError)
    assert issubclass(exception.ServerError, exception.AerospikeError)
    assert aerospike.TTL_NEVER_EXPIRE == NEVER


def test_calc_digest_and_partition_id_match_the_official_values():
    digest = aerospike.calc_digest("test", "vec", "key1")
    assert digest == bytearray(b"\x03\n\x97\x11$\x8awo\xe3!g\xc7\x8b9\xd5\xc88\xdc\t ")
    assert aerospike.get_partition_id(digest) == 2563
    for args in ((1, "vec", "key1"), ("test", 1, "key1"), ("test", "vec", 1.5)):
        with pytest.raises(TypeError):   # as the official client's argument checks raise
            aerospike.calc_digest(*args)
    with pytest.raises(exception.ParamError):
        aerospike.calc_digest("test", "vec", bytearray())


def test_many_threads_share_one_client(sync_client, make_key):
    keys = [make_key(i) for i in range(64)]

    def work(i: int) -> int:
        for round_ in range(10):
            sync_client.put(keys[i], {"i": i, "round": round_})
        return sync_client.get(keys[i])[2]["round"]

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(work, range(64))) == [9] * 64


def test_record_and_batch_commands_do_not_wait_for_the_loop_thread(sync_client, make_key):
    # they run in the caller's thread on blocking sockets: a loop thread held busy does
    # not hold them up (were they run on the loop, each would wait for the hold to end)
    from aerospike._loop import LOOP
    key = make_key()
    sync_client.put(key, {"a": 1})
    many = [make_key(f"many-{i}") for i in range(600)]   # in pieces on one node
    for i, k in enumerate(many):
        sync_client.put(k, {"i": i})
    release = threading.Event()
    hold_ended: list[bool] = []

    def hold() -> None:
        release.wait(30)
        hold_ended.append(True)

    assert LOOP.loop is not None
    LOOP.loop.call_soon_threadsafe(hold)
    try:
        sync_client.put(key, {"a": 2})
        assert sync_client.get(key)[2] == {"a": 2}
        assert sync_client.operate(key, [op.increment("a", 3), op.read("a")])[2] == {"a": 5}
        assert sync_client.exists(key)[1]["gen"] == 3
        sync_client.remove(key)
        assert sync_client.exists(key)[1] is None
        res = sync_client.batch_read([key, *many])
        assert res.batch_records[0].result == 2
        assert [r.record[2]["i"] for r in res.batch_records[1:]] == list(range(600))
        res = sync_client.batch_operate(many[:3], [op.increment("i", 1000)])
        assert [r.result for r in res.batch_records] == [0, 0, 0]
        assert sync_client.batch_remove(many[:2]).result == 0
        assert [r.result for r in sync_client.batch_read(many[:3]).batch_records] == [2, 2, 0]
        assert hold_ended == []
    finally:
        release.set()


def test_threads_beyond_the_connection_cap_wait_for_a_connection(config, make_key):
    keys = [make_key(i) for i in range(8)]
    client = aerospike.client({**config, "max_conns_per_node": 2})
    try:
        def work(i: int) -> int:
            for round_ in range(20):
                client.put(keys[i], {"round": round_})
            return client.get(keys[i])[2]["round"]

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(work, range(8))) == [19] * 8
        # in a cluster a node may own none of the 8 keys, so no node has to open any
        nodes = client.get_stats().nodes
        assert max(n.conns.opened for n in nodes) <= 2
        assert sum(n.conns.opened for n in nodes) >= 1
        assert [n.conns.in_use for n in nodes] == [0] * len(nodes)
    finally:
        client.close()


def test_min_conns_per_node_are_open_for_the_first_commands(config, make_key):
    # as the official client's minimum, it counts the connections the sync commands use
    client = aerospike.client({**config, "min_conns_per_node": 3})
    try:
        blocking_wait_for(lambda: all(n.conns.in_pool >= 3 for n in client.get_stats().nodes),
                          step=0.02)
        assert {n.conns.in_pool for n in client.get_stats().nodes} == {3}
        key = make_key()
        for i in range(5):
            client.put(key, {"i": i})
            assert client.get(key)[2] == {"i": i}
        assert {n.conns.opened for n in client.get_stats().nodes} == {3}
    finally:
        client.close()


def test_a_record_larger_than_one_socket_read(sync_client, make_key):
    key = make_key()
    blob = os.urandom(600 * 1024)
    sync_client.put(key, {"blob": blob, "n": 7})
    assert sync_client.get(key)[2] == {"blob": blob, "n": 7}


def test_close_of_the_last_client_stops_the_loop_thread(config):
    before = {t.ident for t in threading.enumerate()}
    clients = [aerospike.client(config) for _ in range(3)]
    for c in clients:
        c.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not extra:
            break
        time.sleep(0.02)
    assert extra == []


def test_a_closed_client_refuses_commands(config, make_key):
    client = aerospike.client(config)
    client.close()
    with pytest.raises(exception.ClusterError) as info:  # as the official client raises
        client.get(make_key())
    assert (info.value.code, info.value.msg) == (11, "No connection to aerospike cluster")


SCRIPT_EXIT_WITHOUT_CLOSE = """
import sys, aerospike
client = aerospike.client({"hosts": [(sys.argv[1], int(sys.argv[2]))]})
client.put((sys.argv[3], "it", "exit-test"), {"a": 1})
print(client.get((sys.argv[3], "it", "exit-test"))[2])
"""


def test_interpreter_exit_without_close_is_clean(hosts, namespace):
    host, port = hosts[0]
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", SCRIPT_EXIT_WITHOUT_CLOSE, host, str(port),
                          namespace], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "{'a': 1}"
    assert time.monotonic() - started < 30


@pytest.mark.skipif(not hasattr(os, "fork"), reason="platform has no fork")
def test_a_forked_child_uses_a_new_client(config, make_key):
    key = make_key()
    parent = aerospike.client(config)
    parent.put(key, {"from": "parent"})
    pid = os.fork()
    if pid == 0:  # child: the parent's client is unusable, a new one works
        code = 1
        try:
            try:
                parent.get(key)
            except exception.ClientError:
                child = aerospike.client(config)
                child.put(key, {"from": "child"})
                code = 0 if child.get(key)[2] == {"from": "child"} else 3
                child.close()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.get(key)[2] == {"from": "child"}
    parent.close()


def _failed_connect() -> None:
    with pytest.raises(exception.ClientError):
        aerospike.client({"hosts": [("127.0.0.1", 1)], "policies": {"timeout": 200}})


def test_log_handler_gets_the_documented_arguments_from_the_set_level_on():
    got: list[tuple] = []
    try:
        assert aerospike.set_log_level(loglevel=aerospike.LOG_LEVEL_DEBUG) == 0
        assert aerospike.set_log_handler(log_handler=lambda *args: got.append(args)) == 0
        _failed_connect()
        assert got, "a refused seed is logged at debug level"
        level, function, path, line, message = got[0]
        assert level == aerospike.LOG_LEVEL_DEBUG
        assert (type(function), type(path), type(line), type(message)) == (str, str, int, str)
        assert "127.0.0.1:1" in message
        got.clear()
        aerospike.set_log_level(aerospike.LOG_LEVEL_ERROR)
        _failed_connect()
        assert got == []
        aerospike.set_log_level(aerospike.LOG_LEVEL_OFF)   # silences, keeps the handler
        aerospike.set_log_level(aerospike.LOG_LEVEL_DEBUG)
        _failed_connect()
        assert got
    finally:
        aerospike.set_log_level(aerospike.LOG_LEVEL_ERROR)
        aerospike.set_log_handler()


def test_the_default_log_handler_prints_process_id_and_counter(capsys):
    try:
        aerospike.set_log_level(aerospike.LOG_LEVEL_DEBUG)
        aerospike.set_log_handler()
        _failed_connect()
        lines = capsys.readouterr().out.splitlines()
        assert lines and lines[0].startswith(f"{os.getpid()}:0 ")
        aerospike.set_log_handler(None)
        _failed_connect()
        assert capsys.readouterr().out == ""
    finally:
        aerospike.set_log_level(aerospike.LOG_LEVEL_ERROR)
        aerospike.set_log_handler()


@pytest.mark.parametrize("level", [None, [], 1.5, "serious", 2**70])
def test_a_bad_log_level_is_a_param_error(level):
    with pytest.raises(exception.ParamError):
        aerospike.set_log_level(level)


@pytest.mark.parametrize("call, message", [
    (lambda c, k, ns: c.get(), "get() missing required argument 'key' (pos 1)"),
    (lambda c, k, ns: c.put(k), "put() missing required argument 'bins' (pos 2)"),
    (lambda c, k, ns: c.append(k, "b", "v", {}, {}, 1),
     "append() takes at most 5 arguments (6 given)"),
    (lambda c, k, ns: c.get(key=k, policy=None, extra=1),
     "get() takes at most 2 keyword arguments (3 given)"),
    (lambda c, k, ns: c.put(k, {}, bad=1), "'bad' is an invalid keyword argument for put()"),
    (lambda c, k, ns: c.get(k, key=k),
     "argument for get() given by name ('key') and position (1)"),
    (lambda c, k, ns: c.info_all(), "info_all() missing required argument 'command' (pos 1)"),
    (lambda c, k, ns: c.query(ns, "s").foreach(),
     "foreach() missing required argument 'callback' (pos 1)"),
    (lambda c, k, ns: aerospike.calc_digest(ns),
     "calc_digest() missing required argument 'set' (pos 2)"),
    (lambda c, k, ns: c.commit("txn"),
     "commit() argument 1 must be aerospike.Transaction, not str"),
])
def test_arguments_that_do_not_fit_are_worded_as_the_official_client_words_them(
        sync_client, make_key, namespace, call, message):
    # as its C argument parser words them (checked against the official client itself in
    # test_official_parity.py); a TypeError of the call itself passes through as it is
    with pytest.raises(TypeError) as caught:
        call(sync_client, make_key(), namespace)
    assert str(caught.value) == message
