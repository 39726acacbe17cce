"""Latency histogram bucketing and the metrics file format (C ``as_node_add_latency``,
``as_metrics_writer``), on fake nodes and clusters."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from aerospike_async import _metrics as W
from aerospike_async.cluster.metrics import (LATENCY_READ, MetricsState, NsMetrics,
                                             latency_index, ns_metrics)
from aerospike_async.exceptions import ClientError, ParamError
from aerospike_helpers.metrics import MetricsPolicy


def _c_index(elapsed_ns: int, columns: int, shift: int) -> int:
    """The C client's loop, transcribed literally."""
    elapsed = elapsed_ns // 1_000_000
    if elapsed_ns - elapsed * 1_000_000 > 0:
        elapsed += 1
    limit = 1
    last = columns - 1
    for i in range(last):
        if elapsed <= limit:
            return i
        limit <<= shift
    return last


@pytest.mark.parametrize("columns,shift", [(7, 1), (5, 3), (1, 1), (2, 4), (10, 2)])
def test_bucket_index_matches_the_c_loop(columns: int, shift: int) -> None:
    for ms in [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 511, 512, 513,
               4096, 10**6]:
        for ns in (ms * 1_000_000, ms * 1_000_000 + 1, max(ms * 1_000_000 - 1, 0)):
            assert latency_index(ns, columns, shift) == _c_index(ns, columns, shift), ns
            m = NsMetrics("test", columns)
            MetricsState(columns, shift, 1, print, print).record(m, LATENCY_READ, ns)
            assert m.latency[LATENCY_READ].index(1) == _c_index(ns, columns, shift)


def test_documented_layouts() -> None:
    # latency_columns=7 latency_shift=1: <=1ms >1ms >2ms >4ms >8ms >16ms >32ms
    ms = 1_000_000
    assert [latency_index(t * ms, 7, 1) for t in (1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 999)] \
        == [0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    # latency_columns=5 latency_shift=3: <=1ms >1ms >8ms >64ms >512ms
    assert [latency_index(t * ms, 5, 3) for t in (1, 2, 8, 9, 64, 65, 512, 513)] \
        == [0, 1, 1, 2, 2, 3, 3, 4]
    assert latency_index(1, 7, 1) == 0  # rounded up to 1 ms


def _node(name: str, port: int) -> SimpleNamespace:
    pool = SimpleNamespace(idle=2, total=5, opened=9, closed_count=4)
    # the blocking connections of sync commands count with the loop's
    sync_pool = SimpleNamespace(idle=1, total=2, opened=3, closed_count=1)
    node = SimpleNamespace(name=name, host="10.0.0.1", port=port, pool=pool,
                           sync_pool=sync_pool, active=True, metrics={}, metrics_columns=3)
    m = ns_metrics(node, "test")
    assert m is not None
    m.error_count, m.timeout_count, m.key_busy_count = 1, 2, 3
    m.bytes_in, m.bytes_out = 100, 50
    m.latency[LATENCY_READ] = [5, 1, 0]
    return node


def _cluster() -> SimpleNamespace:
    return SimpleNamespace(settings=SimpleNamespace(cluster_name="c1"),
                           nodes=(_node("BB9", 3000), _node("BB8", 3001)),
                           invalid_node_count=1, command_count=42, retry_count=3)


def test_node_format() -> None:
    node = _node("BB9", 3000)
    ns_metrics(node, None)  # the namespace-less (batch) entry
    assert W.format_node(node) == (
        "[BB9,10.0.0.1,3000,4,3,12,5,0,0,0,0,0,0,0,0,"
        "[test,1,2,3,100,50,[conn[0,0,0],write[0,0,0],read[5,1,0],batch[0,0,0],query[0,0,0]]"
        ",,0,0,0,0,0,[conn[0,0,0],write[0,0,0],read[0,0,0],batch[0,0,0],query[0,0,0]]]]")


def test_cluster_format() -> None:
    line = W.format_cluster(_cluster(), "app", {"a": "1", "b": "2"}, 7, 1234,
                            "2024-01-02 03:04:05")
    assert line.startswith(f"2024-01-02 03:04:05 cluster[c1,python,{W.client_version()},app,"
                           "[[a,1],[b,2]],7,1234,1,42,3,0,[],[[BB9,")
    assert line.endswith("query[0,0,0]]]]]]\n")
    assert ",[BB8,10.0.0.1,3001," in line


def test_writer_files(tmp_path: Path) -> None:
    writer = W.MetricsWriter(MetricsPolicy(report_dir=str(tmp_path), latency_columns=3,
                                           latency_shift=2), "not-set")
    writer.enable()
    cluster = _cluster()
    writer.snapshot(cluster)
    writer.node_close(cluster.nodes[0])
    writer.disable(cluster)
    (path,) = tmp_path.iterdir()
    assert re.fullmatch(r"metrics-\d{14}\.log", path.name)
    lines = path.read_text().splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d header\(2\) cluster\[name,clientType,"
                        r"clientVersion,appId,label\[\],cpu,mem,invalidNodeCount,commandCount,"
                        r"retryCount,delayQueueTimeoutCount,eventloop\[\],node\[\]\] "
                        r"label\[name,value\] eventloop\[processSize,queueSize\] "
                        r"node\[name,address,port,syncConn,asyncConn,namespace\[\]\] "
                        r"conn\[inUse,inPool,opened,closed,recovered,aborted\] "
                        r"namespace\[name,errors,timeouts,keyBusy,bytesIn,bytesOut,latency\[\]\] "
                        r"latency\(3,2\)\[type\[l1,l2,l3\.\.\.\]\]", lines[0])
    assert len(lines) == 4
    assert " cluster[c1,python," in lines[1] and " cluster[c1,python," in lines[3]
    assert re.fullmatch(r"\S+ \S+ \[BB9,10\.0\.0\.1,3000,.*\]\]", lines[2])
    assert writer.file is None


def test_writer_rolls_over_at_the_size_limit(tmp_path: Path, monkeypatch) -> None:
    writer = W.MetricsWriter(MetricsPolicy(report_dir=str(tmp_path),
                                           report_size_limit=1_000_000), "x")
    writer.enable()
    names = iter(["20240101000001", "20240101000002"])
    real = W.time.strftime
    monkeypatch.setattr(W.time, "strftime",
                        lambda f, t=None: next(names) if f == "%Y%m%d%H%M%S" else real(f, t))
    writer.max_size = writer.size + 10  # the next line crosses the limit
    writer.snapshot(_cluster())
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2  # closed after the line that crossed the limit, a new one opened
    assert sorted(len(f.read_text().splitlines()) for f in files) == [1, 2]
    assert all(" header(2) " in f.read_text().splitlines()[0] for f in files)
    writer.max_size = 0
    writer.disable(_cluster())


def test_policy_validation() -> None:
    assert isinstance(W.validate_policy(None), MetricsPolicy)
    with pytest.raises(ParamError):
        W.validate_policy({"interval": 1})
    with pytest.raises(ParamError, match="report_dir"):
        W.validate_policy(MetricsPolicy(report_dir=1))  # type: ignore[arg-type]
    with pytest.raises(ParamError, match="labels"):
        W.validate_policy(MetricsPolicy(labels={"a": 1}))  # type: ignore[dict-item]
    with pytest.raises(ClientError, match="at least 1000000"):
        W.MetricsWriter(MetricsPolicy(report_size_limit=5), "x")


def test_app_id() -> None:
    assert W.app_id({}) == "not-set"
    assert W.app_id({"user": "bob"}) == "bob"
    assert W.app_id({"user": "bob", "app_id": "svc"}) == "svc"
