"""A dynamic configuration file (aerospike.ConfigProvider) steers a running client."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import aerospike
import aerospike_async.constants as C
from aerospike_async import Client
from aerospike_async import exceptions as E
from aerospike_async.dynamic_config import ConfigProvider
from conftest import RUN_ID


def _write(path: Path, send_key: bool, stamp: float) -> None:
    path.write_text("version: 1.0.0\nstatic:\n  client:\n    config_interval: 100\n"
                    f"dynamic:\n  write:\n    send_key: {str(send_key).lower()}\n")
    os.utime(path, (stamp, stamp))   # a new stamp even within the clock's resolution


async def _stored_user_keys(client: Client, namespace: str, set_name: str) -> dict:
    records = await client.scan(namespace, set_name).results()
    return {bins["n"]: key[2] for key, _meta, bins in records}


@pytest.mark.parametrize("by", ["provider", "environment"])
async def test_the_files_policy_wins_over_the_calls_and_follows_the_file(
        config, namespace, tmp_path, monkeypatch, by):
    path = tmp_path / "dyn.yml"
    _write(path, send_key=False, stamp=1_000_000)
    set_name = f"dyn{RUN_ID}{by}"
    send = {"key": C.POLICY_KEY_SEND}
    config = {**config, "tend_interval": 100}
    if by == "provider":
        config["config_provider"] = ConfigProvider(str(path))
    else:
        monkeypatch.setenv("AEROSPIKE_CLIENT_CONFIG_URL", str(path))
    async with Client(config) as client:
        try:
            await client.put((namespace, set_name, "first"), {"n": 1}, policy=send)
            _write(path, send_key=True, stamp=2_000_000)
            for _ in range(50):   # the file is checked every 100 ms
                await asyncio.sleep(0.05)
                await client.put((namespace, set_name, "second"), {"n": 2})
                if (await _stored_user_keys(client, namespace, set_name)).get(2):
                    break
            assert await _stored_user_keys(client, namespace, set_name) == {
                1: None, 2: "second"}
        finally:
            for user_key in ("first", "second"):
                await client.remove((namespace, set_name, user_key))


@pytest.mark.parametrize("provider, exc", [(0, E.ParamError), ("dyn.yml", E.ParamError)])
def test_config_provider_must_be_one(config, provider, exc):
    with pytest.raises(exc) as info:
        Client({**config, "config_provider": provider})
    assert "config_provider must be an aerospike.ConfigProvider" in info.value.msg


def test_a_missing_file_or_a_short_interval_fails_the_client(config, tmp_path):
    with pytest.raises(aerospike.exception.ClientError, match="Failed to open"):
        aerospike.client({**config, "config_provider":
                          aerospike.ConfigProvider(str(tmp_path / "missing.yml"))})
    path = tmp_path / "dyn.yml"
    path.write_text("dynamic:\n  read:\n    total_timeout: 100\n")
    with pytest.raises(aerospike.exception.ClientError, match="tend interval"):
        aerospike.client({**config, "config_provider":
                          aerospike.ConfigProvider(str(path), interval=10)})


async def test_metrics_set_by_the_file_ignore_enable_and_disable(config, tmp_path,
                                                                  monkeypatch):
    from aerospike_helpers.metrics import MetricsPolicy
    path = tmp_path / "dyn.yml"
    path.write_text("dynamic:\n  metrics:\n    enable: true\n    latency_columns: 5\n")
    monkeypatch.chdir(tmp_path)   # the default metrics writer writes its file here
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    async with Client({**config, "config_provider": ConfigProvider(str(path))}) as client:
        await client.disable_metrics()
        await client.enable_metrics(MetricsPolicy(report_dir=str(elsewhere)))
    files = list(tmp_path.glob("metrics-*.log"))
    assert len(files) == 1 and "latency(5,1)" in files[0].read_text()
    assert not list(elsewhere.iterdir())
