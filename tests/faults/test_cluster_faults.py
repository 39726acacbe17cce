"""Faults against the embedded 3-node cluster (replication factor 2), through the async
API and the sync drop-in.

The cluster runs on its own loop in a thread, as a real cluster would be another
process; the client tends it every TEND_MS.
"""
from __future__ import annotations

import asyncio
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_async.protocol.digest import compute_digest, partition_id
from aerospike_async.testing import EmbeddedCluster
from conftest import blocking_wait_for, wait_for

TEND_MS = 100
NS = "test"


@pytest.fixture
def cluster():
    c = EmbeddedCluster.run_in_thread(size=3, replication_factor=2,
                                      cluster_name="faults", join_delay=0.2)
    yield c
    c.stop()


def config(cluster, **extra):
    return {"hosts": list(cluster.seeds), "tend_interval": TEND_MS, **extra}


def names(client) -> list[str]:
    return sorted(n["node_name"] for n in client.get_node_names())


def master_of(cluster, key) -> str:
    return cluster.master(partition_id(compute_digest(key[1], key[2])))


def key_mastered_by(cluster, name: str, prefix: str):
    for i in range(10000):
        key = (NS, "faults", f"{prefix}-{i}")
        if master_of(cluster, key) == name:
            return key
    raise AssertionError("no key")


def pools_at_rest(client) -> None:
    for node in client.cluster.nodes:
        pool = node.pool
        assert pool.in_use == 0 and pool.waiting == 0 and pool.total == pool.idle, pool


WRITE = {"max_retries": 4, "sleep_between_retries": 20, "total_timeout": 3000}


# -- a node stops during a write workload ----------------------------------------
async def test_stop_a_node_during_writes_loses_no_acknowledged_write(cluster, capsys):
    loop = asyncio.get_running_loop()
    acked: dict[tuple, int] = {}
    failed = 0
    async with Client(config(cluster)) as client:
        assert names(client) == ["B1", "B2", "B3"]
        total, workers = 4000, 40
        counter = iter(range(total))
        stopped_at = asyncio.Event()

        async def worker() -> None:
            nonlocal failed
            for i in counter:
                key = (NS, "stopwrite", i)
                try:
                    await client.put(key, {"i": i, "w": i * 7}, policy=WRITE)
                except E.AerospikeError:
                    failed += 1
                else:
                    acked[key] = i
                if i == total // 3:
                    stopped_at.set()

        async def stopper() -> tuple[float, float]:
            await stopped_at.wait()
            t0 = time.monotonic()
            await loop.run_in_executor(None, cluster.node("B3").stop)
            await wait_for(lambda: "B3" not in names(client))
            return time.monotonic() - t0  # from the stop call

        results = await asyncio.gather(stopper(), *(worker() for _ in range(workers)))
        removal = results[0]
        assert names(client) == ["B1", "B2"]
        t1 = time.monotonic()
        await loop.run_in_executor(None, cluster.node("B3").restart)
        await wait_for(lambda: "B3" in names(client), timeout=10)
        back = time.monotonic() - t1
        await loop.run_in_executor(None, cluster.wait_stable)
        with capsys.disabled():
            print(f"\n[cluster] tend_interval={TEND_MS}ms: node removal seen after "
                  f"{removal * 1000:.0f} ms, return after {back * 1000:.0f} ms "
                  f"(join delay 200 ms); {len(acked)} acked, {failed} failed writes")
        assert removal < 2 * TEND_MS / 1000 + 0.1
        assert len(acked) > total * 0.9
        # every acknowledged write is readable, with its value
        sem = asyncio.Semaphore(50)

        async def check(key, i):
            async with sem:
                _, _, bins = await client.get(key)
                assert bins == {"i": i, "w": i * 7}
        await asyncio.gather(*(check(k, i) for k, i in acked.items()))
        assert names(client) == ["B1", "B2", "B3"]
        pools_at_rest(client)


def test_stop_a_node_during_writes_sync(cluster, capsys):
    import aerospike
    client = aerospike.client(config(cluster))
    try:
        assert names(client) == ["B1", "B2", "B3"]
        acked: dict[tuple, int] = {}
        total = 2000

        def write(i: int) -> None:
            key = (NS, "stopwrite-sync", i)
            try:
                client.put(key, {"i": i}, policy=WRITE)
            except E.AerospikeError:
                return
            acked[key] = i

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(write, i) for i in range(total // 2)]
            t0 = time.monotonic()
            cluster.node("B2").stop()
            futures += [pool.submit(write, i) for i in range(total // 2, total)]
            blocking_wait_for(lambda: "B2" not in names(client))
            removal = time.monotonic() - t0
            for f in futures:
                f.result()
        assert removal < 2 * TEND_MS / 1000 + 0.1
        t1 = time.monotonic()
        cluster.node("B2").restart()
        blocking_wait_for(lambda: "B2" in names(client), timeout=10)
        back = time.monotonic() - t1
        cluster.wait_stable()
        with capsys.disabled():
            print(f"\n[cluster sync] removal {removal * 1000:.0f} ms, return "
                  f"{back * 1000:.0f} ms; {len(acked)}/{total} acked")
        assert len(acked) > total * 0.9
        for key, i in acked.items():
            assert client.get(key)[2] == {"i": i}
        assert client.is_connected()
        # every connection the threads took, broken or not, went back or was closed
        assert [n.conns.in_use for n in client.get_stats().nodes] == [0, 0, 0]
    finally:
        client.close()


# -- a reply cut, a stall, garbage ----------------------------------------------
@pytest.mark.parametrize("fault", ["kill_mid_reply", "slow", "garble"])
async def test_a_faulty_node_raises_documented_errors_and_the_cluster_stays_usable(
        cluster, fault):
    loop = asyncio.get_running_loop()
    async with Client(config(cluster)) as client:
        key = key_mastered_by(cluster, "B1", f"fault-{fault}")
        await client.put(key, {"v": 1})
        b1 = client.cluster.nodes_by_name["B1"]
        opened = b1.pool.opened
        arm = {"kill_mid_reply": lambda n: n.kill_mid_reply(1),
               "slow": lambda n: n.slow(0.5),
               "garble": lambda n: n.garble(1)}[fault]
        # as the official client raises them: garbage is an unreadable reply, ClientError
        expected = {"kill_mid_reply": E.ConnectionError, "slow": E.TimeoutError,
                    "garble": E.ClientError}[fault]
        pol = {"max_retries": 0, "socket_timeout": 100, "total_timeout": 1000}
        await loop.run_in_executor(None, arm, cluster.node("B1"))
        with pytest.raises(expected) as info:
            await client.get(key, policy=pol)
        assert type(info.value) is expected and info.value.in_doubt is False
        if fault != "slow":
            await loop.run_in_executor(None, arm, cluster.node("B1"))
        if fault == "garble":
            # an unreadable reply is final, retries or not, as in the C client
            with pytest.raises(E.ClientError) as info:
                await client.get(key, policy={**pol, "max_retries": 2})
            assert info.value.code == -1 and info.value.msg.startswith("Invalid proto version")
        else:
            # a read with retries moves on to the prole and succeeds
            _, _, bins = await client.get(key, policy={**pol, "max_retries": 2})
            assert bins == {"v": 1}
        # a write that reached the node and failed is in doubt
        if fault != "slow":
            await loop.run_in_executor(None, arm, cluster.node("B1"))
        with pytest.raises(expected) as info:
            await client.put(key, {"v": 2}, policy=pol)
        assert info.value.in_doubt is True
        await loop.run_in_executor(None, cluster.node("B1").clear_faults)
        pools_at_rest(client)
        assert b1.pool.total <= 1  # the bad connections were closed, not pooled
        await client.put(key, {"v": 3})
        assert (await client.get(key))[2] == {"v": 3}
        assert b1.pool.opened > opened
        assert names(client) == ["B1", "B2", "B3"] and client.is_connected()


async def test_a_large_batch_cut_mid_reply_is_retried_or_reported_per_key(cluster):
    """A node's share of a large batch goes out as several requests: a cut reply fails
    (or retries) only the keys that were waiting on it."""
    loop = asyncio.get_running_loop()
    async with Client(config(cluster)) as client:
        keys = [(NS, "bigbatch", i) for i in range(3000)]
        for s in range(0, len(keys), 500):
            await asyncio.gather(*(client.put(k, {"i": k[2]}) for k in keys[s:s + 500]))
        on_b1 = {k[2] for k in keys if master_of(cluster, k) == "B1"}
        await loop.run_in_executor(None, cluster.node("B1").kill_mid_reply, 1)
        res = await client.batch_read(keys, policy={"max_retries": 0})
        failed = [r for r in res.batch_records if r.result != 0]
        # as the official client reports it: the call carries the request's error, its
        # keys stay unanswered (-15)
        assert failed and res.result == E.ConnectionError.code
        assert {r.key[2] for r in failed} < on_b1   # only keys of the cut request
        assert all(r.result == -15 and r.record is None and not r.in_doubt for r in failed)
        assert all(r.record[2] == {"i": r.key[2]} for r in res.batch_records if r.result == 0)

        await loop.run_in_executor(None, cluster.node("B1").kill_mid_reply, 1)
        res = await client.batch_read(keys, policy={"max_retries": 2})
        assert res.result == 0
        assert [r.record[2]["i"] for r in res.batch_records] == list(range(3000))
        pools_at_rest(client)


def fail_routing_after_five_chunks(monkeypatch) -> None:
    """Make a batch fail with RuntimeError while it still routes its keys, after five
    chunks: by then every node has a piece out."""
    from aerospike_async import _batch
    real = _batch._digest_chunks

    def failing(*args):  # type: ignore[no-untyped-def]
        chunks = real(*args)
        for _ in range(5):
            yield next(chunks)
        raise RuntimeError("routing failed")
    monkeypatch.setattr(_batch, "_digest_chunks", failing)


async def test_a_large_batch_stopped_while_its_pieces_are_out_leaves_no_connection_behind(
        cluster, monkeypatch):
    """Pieces of a large batch go out while later keys are still being routed: a batch
    cancelled at any point, or failing while it still makes its pieces, closes or returns
    every connection it used, and the next batch reads everything."""
    async with Client(config(cluster)) as client:
        keys = [(NS, "cutbatch", i) for i in range(2000)]
        for s in range(0, len(keys), 500):
            await asyncio.gather(*(client.put(k, {"i": k[2]}) for k in keys[s:s + 500]))
        await client.batch_read(keys)           # the pools now hold idle connections
        for turns in range(6):
            task = asyncio.ensure_future(client.batch_read(keys))
            for _ in range(turns):
                await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        fail_routing_after_five_chunks(monkeypatch)
        with pytest.raises(RuntimeError):
            await client.batch_read(keys)
        monkeypatch.undo()
        await wait_for(lambda: all(n.pool.in_use == 0 for n in client.cluster.nodes))
        pools_at_rest(client)
        res = await client.batch_read(keys)
        assert [r.record[2]["i"] for r in res.batch_records] == list(range(2000))
        pools_at_rest(client)


def sync_pools_at_rest(client) -> None:
    for node in client._async.cluster.nodes:
        pool = node.sync_pool
        assert pool.in_use == 0 and pool.total == pool.idle, pool


def test_a_large_sync_batch_cut_mid_reply_is_retried_or_reported_per_key(cluster):
    """The sync client sends every node's requests (a large share in pieces) before it
    reads them in turn: a cut reply fails or retries only its own keys."""
    import aerospike
    client = aerospike.client(config(cluster))
    try:
        keys = [(NS, "syncbig", i) for i in range(3000)]
        for k in keys:
            client.put(k, {"i": k[2]})
        client.batch_read(keys)   # the pools now hold idle connections: pieces go out first
        on_b1 = {k[2] for k in keys if master_of(cluster, k) == "B1"}
        cluster.node("B1").kill_mid_reply(1)
        res = client.batch_read(keys, policy={"max_retries": 0})
        failed = [r for r in res.batch_records if r.result != 0]
        assert failed and res.result == E.ConnectionError.code
        assert {r.key[2] for r in failed} < on_b1
        assert all(r.result == -15 and r.record is None and not r.in_doubt for r in failed)
        assert all(r.record[2] == {"i": r.key[2]} for r in res.batch_records if r.result == 0)

        cluster.node("B1").kill_mid_reply(1)
        # the retry sleeps in this thread (a sleep on the loop would fail the call)
        res = client.batch_read(keys, policy={"max_retries": 2, "sleep_between_retries": 50})
        assert res.result == 0
        assert [r.record[2]["i"] for r in res.batch_records] == list(range(3000))
        sync_pools_at_rest(client)
    finally:
        client.close()


def test_a_sync_batch_failing_while_its_pieces_are_out_leaves_no_connection_behind(
        cluster, monkeypatch):
    import aerospike
    client = aerospike.client(config(cluster))
    try:
        keys = [(NS, "synccut", i) for i in range(2000)]
        for k in keys:
            client.put(k, {"i": k[2]})
        client.batch_read(keys)
        fail_routing_after_five_chunks(monkeypatch)
        with pytest.raises(RuntimeError):
            client.batch_read(keys)
        monkeypatch.undo()
        sync_pools_at_rest(client)
        closed = sum(n.sync_pool.closed_count for n in client._async.cluster.nodes)
        assert closed >= 3   # the unread pieces' connections, at least one per node
        res = client.batch_read(keys)
        assert [r.record[2]["i"] for r in res.batch_records] == list(range(2000))
        sync_pools_at_rest(client)
    finally:
        client.close()


@pytest.mark.parametrize("fault", ["kill_mid_reply", "slow", "garble"])
def test_faults_through_the_sync_client(cluster, fault):
    import aerospike
    client = aerospike.client(config(cluster))
    try:
        key = key_mastered_by(cluster, "B2", f"sfault-{fault}")
        client.put(key, {"v": 1})
        node = cluster.node("B2")
        {"kill_mid_reply": lambda: node.kill_mid_reply(1), "slow": lambda: node.slow(0.5),
         "garble": lambda: node.garble(1)}[fault]()
        expected = {"kill_mid_reply": E.ConnectionError, "slow": E.TimeoutError,
                    "garble": E.ClientError}[fault]
        with pytest.raises(expected) as info:
            client.get(key, policy={"max_retries": 0, "socket_timeout": 100})
        assert type(info.value) is expected
        node.clear_faults()
        assert client.get(key)[2] == {"v": 1}
        assert len(client.get_nodes()) == 3
    finally:
        client.close()


# -- cancellation ------------------------------------------------------------------
async def test_thousands_of_cancelled_commands_leave_the_pools_at_rest(cluster):
    rng = random.Random(11)
    async with Client(config(cluster)) as client:
        keys = [(NS, "cancel", i) for i in range(200)]
        await asyncio.gather(*(client.put(k, {"v": k[2]}) for k in keys))
        cancelled = 0
        loop = asyncio.get_running_loop()
        for _round in range(10):
            tasks = []
            for _ in range(500):
                k = rng.choice(keys)
                coro = client.get(k) if rng.random() < 0.7 else client.put(k, {"v": k[2]})
                task = asyncio.ensure_future(coro)
                tasks.append(task)
                if rng.random() < 0.7:  # cancel at a random point of its life
                    loop.call_later(rng.random() * 0.004, task.cancel)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            cancelled += sum(isinstance(r, asyncio.CancelledError) for r in results)
            errors = [r for r in results if isinstance(r, Exception)
                      and not isinstance(r, asyncio.CancelledError)]
            assert not errors, errors[:3]
            pools_at_rest(client)
        assert cancelled > 1000
        results = await asyncio.gather(*(client.get(k) for k in keys))
        assert [r[2]["v"] for r in results] == [k[2] for k in keys]
        pools_at_rest(client)


# -- seeds ---------------------------------------------------------------------------
async def test_one_dead_seed_of_three(cluster):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, cluster.node("B1").stop)
    async with Client(config(cluster)) as client:
        assert names(client) == ["B2", "B3"]
        await client.put((NS, "seeds", 1), {"v": 1})
        assert (await client.get((NS, "seeds", 1)))[2] == {"v": 1}
    await loop.run_in_executor(None, cluster.node("B1").restart)


async def test_a_hostname_seed(cluster):
    port = cluster.nodes[1].port
    async with Client({"hosts": [("localhost", port)], "tend_interval": TEND_MS}) as client:
        assert names(client) == ["B1", "B2", "B3"]


async def test_a_wrong_cluster_name(cluster):
    with pytest.raises(E.ConnectionError):
        await Client(config(cluster, cluster_name="not-this-one")).connect()
    async with Client(config(cluster, cluster_name="faults")) as client:
        assert names(client) == ["B1", "B2", "B3"]


def test_seeds_through_the_sync_client(cluster):
    import aerospike
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]
    dead.close()
    client = aerospike.client({"hosts": [("127.0.0.1", dead_port),
                                         ("localhost", cluster.nodes[2].port)],
                               "cluster_name": "faults"})
    try:
        assert sorted(n["node_name"] for n in client.get_node_names()) == ["B1", "B2", "B3"]
        assert len(client.info_all("node")) == 3
    finally:
        client.close()
    with pytest.raises(E.ConnectionError):
        aerospike.client({"hosts": cluster.seeds, "cluster_name": "wrong"})
    with pytest.raises(E.ConnectionError):
        aerospike.client({"hosts": [("127.0.0.1", dead_port)]})


async def test_a_node_whose_info_replies_stall_or_garble_stays_while_its_peers_list_it(cluster):
    loop = asyncio.get_running_loop()
    async with Client(config(cluster, connect_timeout=150)) as client:
        b2 = client.cluster.nodes_by_name["B2"]
        # garbage to two tends (each tend's refresh takes one reply, then fails)
        await loop.run_in_executor(None, lambda: cluster.node("B2").garble(2, info=True))
        await wait_for(lambda: b2.tend_failures_total >= 2)
        await loop.run_in_executor(None, lambda: cluster.node("B2").slow(0.4, info=True))
        await wait_for(lambda: b2.tend_failures_total >= 4 and b2.failures >= 2, timeout=5)
        assert names(client) == ["B1", "B2", "B3"]  # still a peer of the others
        key = key_mastered_by(cluster, "B2", "stall")
        await client.put(key, {"v": 1}, policy={"total_timeout": 2000})
        _, _, bins = await client.get(key, policy={"socket_timeout": 100, "max_retries": 2})
        assert bins == {"v": 1}  # the stalled master timed out, the prole answered
        await loop.run_in_executor(None, cluster.node("B2").clear_faults)
        await wait_for(lambda: b2.failures == 0)
        assert client.cluster.nodes_by_name["B2"] is b2
        assert (await client.get(key, policy={"replica": 0}))[2] == {"v": 1}
