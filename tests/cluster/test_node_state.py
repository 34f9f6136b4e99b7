"""Shared installation state of several nodes, part by part, in one process on real databases:
the node checks, the shared keyring and its move out of keys/, job leases and the backup's
wait for the other nodes' spools."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from archive import keystore, leases, nodes
from archive.keyring import KeyUnavailable, keyring_path
from archive.models import Node, utcnow
from diia_inbox.cluster import (
    NodeHeartbeat,
    NodesNotDrained,
    config_mismatch,
    probe_unreadable,
    wait_for_drain,
)
from diia_inbox.config import ConfigError, load_config
from diia_inbox.daily import DailyJobs
from diia_inbox.runtime import Runtime
from ingest.spool import Spool
from tests.privacy.conftest import DIIA_INBOX


@pytest.fixture
def node_factory(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Runtime]]:
    """Opens nodes of one installation on PostgreSQL: own data folder, given settings."""
    monkeypatch.delenv(keystore.ENV_MASTER_KEY, raising=False)
    opened: list[Runtime] = []

    def make(name: str, **env: str) -> Runtime:
        full = {"DIIA_INBOX_DATABASE_URL": pg_url, "DIIA_INBOX_CLUSTER_NODE_NAME": name}
        full |= {f"DIIA_INBOX_{k.upper()}": v for k, v in env.items()}
        rt = Runtime.open(load_config(data_dir=tmp_path / name, env=full))
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.close()


def _start(rt: Runtime) -> NodeHeartbeat:
    node = NodeHeartbeat(rt, Spool(rt.config.spool_dir))
    node.register()
    return node


def test_a_node_with_other_settings_is_named_with_the_setting(
    node_factory: Callable[..., Runtime],
) -> None:
    a = node_factory("node-a", retention_default_days="365")
    same = node_factory("node-b", retention_default_days="365")
    other = node_factory("node-c", retention_default_days="30")
    _start(a)
    assert config_mismatch(same.db, "node-b", same.config) is None
    reason = config_mismatch(other.db, "node-c", other.config)
    assert reason == "configuration differs from node node-a: retention.default_days"


def test_a_node_that_cannot_read_the_others_probe_is_not_ready(
    node_factory: Callable[..., Runtime], tmp_path: Path
) -> None:
    shared = str(tmp_path / "shared")
    a = node_factory("node-a", blobs_path=shared)
    _start(a)
    sharing = node_factory("node-b", blobs_path=shared)
    assert probe_unreadable(sharing.db, sharing.blobs, "node-b") is None
    alone = node_factory("node-c")  # its own <data>/blobs: the blob store is not shared
    reason = probe_unreadable(alone.db, alone.blobs, "node-c")
    assert reason is not None and reason.startswith(
        "cannot read the probe blob of node node-a: BLOB_NOT_FOUND"
    )
    checks = _start(alone).checks()
    with pytest.raises(Exception, match="probe blob of node node-a"):
        checks["blob_probe"]()


def test_the_keyring_moves_from_keys_into_the_database_and_is_shared(
    node_factory: Callable[..., Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = str(tmp_path / "shared")
    # Before: one node with its keyring in keys/blob-keys.json writes an encrypted blob.
    legacy = node_factory("node-a", blobs_path=shared, storage_encrypt="true")
    digest = legacy.blobs.put(b"%PDF-1.7 a copy written before the move")
    assert keyring_path(legacy.config.keys_dir).is_file()
    # The master key is given; node-a restarts and moves its keyring into the database.
    master = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv(keystore.ENV_MASTER_KEY, master)
    moved = node_factory("node-a", blobs_path=shared, storage_encrypt="true")
    with moved.db.session() as s:
        wrapped = keystore.stored(s)
    assert wrapped is not None and legacy.keyring is not None
    assert legacy.keyring.keys[legacy.keyring.current] not in base64.b64decode(wrapped)
    # A new node without a keys/ file reads the old blob through the shared keyring.
    new = node_factory("node-b", blobs_path=shared, storage_encrypt="true")
    assert not keyring_path(new.config.keys_dir).exists()
    assert new.blobs.get(digest) == b"%PDF-1.7 a copy written before the move"
    # Without the master key, or with another one, a node refuses to start.
    monkeypatch.delenv(keystore.ENV_MASTER_KEY)
    with pytest.raises(KeyUnavailable, match="give this node the master key"):
        node_factory("node-c", blobs_path=shared, storage_encrypt="true")
    monkeypatch.setenv(keystore.ENV_MASTER_KEY, base64.b64encode(secrets.token_bytes(32)).decode())
    with pytest.raises(KeyUnavailable, match="does not open"):
        node_factory("node-d", blobs_path=shared, storage_encrypt="true")


def test_a_key_rotated_on_one_node_reaches_the_others(
    node_factory: Callable[..., Runtime], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diia_inbox import privacy

    monkeypatch.setenv(keystore.ENV_MASTER_KEY, base64.b64encode(secrets.token_bytes(32)).decode())
    shared = str(tmp_path / "shared")
    a = node_factory("node-a", blobs_path=shared, storage_encrypt="true")
    b = node_factory("node-b", blobs_path=shared, storage_encrypt="true")
    digest = a.blobs.put(b"%PDF-1.7 rotated")
    new_id, count = privacy.rotate_keys(a, _env())
    assert count == 1
    assert b.reload_shared_keyring() is True  # what b's heartbeat does
    assert b.keyring is not None and b.keyring.current == new_id
    assert b.blobs.get(digest) == b"%PDF-1.7 rotated"


def _env() -> dict[str, str]:
    import os

    return {keystore.ENV_MASTER_KEY: os.environ[keystore.ENV_MASTER_KEY]}


def test_a_job_runs_once_for_the_cluster_and_cli_runs_wait_their_turn(
    node_factory: Callable[..., Runtime],
) -> None:
    a, b = node_factory("node-a"), node_factory("node-b")
    now = utcnow()
    first = DailyJobs(a)._run_job("purge", now)
    second = DailyJobs(b)._run_job("purge", now + dt.timedelta(minutes=1))
    assert (first.ok, first.detail) == (True, "")
    assert (second.ok, second.detail) == (True, "ALREADY_RUN")
    with leases.Lease(a.db, "reminders", "node-a") as mine:
        assert mine
        busy = subprocess.run(
            [DIIA_INBOX, "qr", "remind", "--data", str(b.config.data_dir)],
            env={"DIIA_INBOX_DATABASE_URL": a.config.database_url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert busy.returncode == 1
        assert "reminders is running on node-a" in busy.stderr
        assert DailyJobs(b)._run_job("reminders", now).detail == "ANOTHER_NODE"
    with a.db.session() as s:
        state = leases.state(s, "purge")
    assert state is not None and state.last_holder == "node-a" and state.holder is None


def test_a_backup_waits_for_running_nodes_and_names_stopped_ones(
    node_factory: Callable[..., Runtime],
) -> None:
    a, b = node_factory("node-a"), node_factory("node-b")
    node_a, node_b = _start(a), _start(b)
    since = utcnow()
    with a.db.session() as s:  # node-b was last heard of before the backup started
        row = s.get(Node, "node-b")
        assert row is not None
        row.drained_before = since - dt.timedelta(seconds=5)
    node_a.beat()
    with pytest.raises(NodesNotDrained, match="node-b"):
        wait_for_drain(a.db, since, timeout=0.5, poll=0.1)
    node_b.beat()  # its spool is empty: everything it accepted is archived
    result = wait_for_drain(a.db, since, timeout=30, poll=0.1)
    assert sorted(result.waited_for) == ["node-a", "node-b"]
    with a.db.session() as s:  # node-b stops beating with mail in its spool
        nodes.mark_stopped(s, "node-b", spool_depth=3)
    result = wait_for_drain(a.db, since, timeout=30, poll=0.1)
    assert result.waited_for == ("node-a",) and result.down == (("node-b", 3),)


def test_the_blob_store_location_is_a_setting(tmp_path: Path) -> None:
    config = load_config(data_dir=tmp_path / "d", env={"DIIA_INBOX_BLOBS_PATH": str(tmp_path)})
    assert config.blob_dir == tmp_path
    assert load_config(data_dir=tmp_path / "d", env={}).blob_dir == tmp_path / "d" / "blobs"
    odd = load_config(data_dir=tmp_path / "d", env={"DIIA_INBOX_BLOBS_BACKEND": "tape"})
    with pytest.raises(ConfigError, match="unknown backend"):
        Runtime.open(odd)
