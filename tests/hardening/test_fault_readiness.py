"""Fault: `/readyz` tells an orchestrator the node cannot take work, and why, and takes it back.

A real `diia-inbox serve` runs; its PostgreSQL (a private cluster) is stopped and started, and
the disk its spool lives on (a real tmpfs) is filled and emptied. While a store cannot take a
write, `/readyz` answers 503 naming that check with a reason and `diia_inbox_ready{check=...}`
is 0; `/livez` keeps answering 200 (the process is fine: restarting it would not help). After,
everything is ready again, with no restart of `serve`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.hardening.harness import (
    OwnPostgres,
    fill,
    free_port,
    pg_tools_available,
    small_disk,
    tmpfs_available,
    wait_until,
)

#: Checks that need the archive's database: the database itself and the node checks.
DATABASE_CHECKS = {"database", "configuration", "blob_probe"}
#: Checks of this node's own folders (blobs on the filesystem backend here).
LOCAL_CHECKS = ("spool", "index", "blobs")


class Node:
    """`serve` in a subprocess on free ports."""

    def __init__(self, data: Path, env: dict[str, str]) -> None:
        self.web = free_port()
        base = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
        self.log = data.parent / "serve.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "diia_inbox.cli", "serve", "--data", str(data),
                 "--web", f"127.0.0.1:{self.web}", "--smtp", f"127.0.0.1:{free_port()}"],
                stdout=out, stderr=subprocess.STDOUT, env={**base, **env},
            )  # fmt: skip
        wait_until(self._answers, "serve to answer /livez")

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"serve exited: {self.log.read_text()[-3000:]}")
        try:
            return self.get("/livez")[0] == 200
        except OSError:
            return False

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.web}{path}", timeout=60) as r:
                return int(r.status), r.read()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read()

    def ready(self) -> tuple[int, dict[str, object]]:
        status, body = self.get("/readyz")
        return status, json.loads(body)

    def gauge(self) -> dict[str, float]:
        _, body = self.get("/metrics")
        for family in text_string_to_metric_families(body.decode()):
            if family.name == "diia_inbox_ready":
                return {s.labels["check"]: s.value for s in family.samples}
        raise AssertionError("no diia_inbox_ready in /metrics")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(120) == 0, self.log.read_text()[-3000:]


@pytest.fixture
def pg() -> Iterator[OwnPostgres]:
    reason = pg_tools_available()
    if reason:
        pytest.skip(reason)
    cluster = OwnPostgres()
    try:
        yield cluster
    finally:
        cluster.close()


def test_readyz_reports_a_stopped_database_and_recovers(tmp_path: Path, pg: OwnPostgres) -> None:
    node = Node(tmp_path / "data", {"DIIA_INBOX_DATABASE_URL": pg.url})
    try:
        status, body = node.ready()
        assert status == 200 and body["status"] == "ok", body

        pg.stop("immediate")  # a crash: connections cut, nothing answers on the port
        status, body = node.ready()
        assert status == 503 and body["status"] == "unavailable"
        failed, checks = body["failed"], body["checks"]
        assert isinstance(failed, dict) and isinstance(checks, dict)
        # The node checks read the shared database too; the local stores are fine.
        assert "database" in failed and set(failed) <= DATABASE_CHECKS, failed
        assert [checks[n] for n in LOCAL_CHECKS] == [None, None, None], checks
        assert "connect" in str(failed["database"]).lower(), failed  # the driver's own words
        assert node.gauge()["database"] == 0 and node.gauge()["spool"] == 1
        assert node.get("/livez")[0] == 200
        assert node.get("/healthz")[0] == 503  # the old probe is the readiness one

        pg.start()
        wait_until(lambda: node.ready()[0] == 200, "readiness after the database is back")
        assert node.ready()[1]["failed"] == {}
        assert node.gauge()["database"] == 1
    finally:
        node.stop()


def test_readyz_answers_while_the_database_hangs(tmp_path: Path, pg: OwnPostgres) -> None:
    """A frozen server (SIGSTOP: connections open, nothing answers) must not hang the probe:
    the database check gets no answer within its time and the node is not ready."""
    node = Node(tmp_path / "data", {"DIIA_INBOX_DATABASE_URL": pg.url})
    try:
        assert node.ready()[0] == 200
        pg.freeze()
        try:
            status, body = node.ready()
            assert status == 503, body
            failed, checks = body["failed"], body["checks"]
            assert isinstance(failed, dict) and isinstance(checks, dict)
            assert failed["database"] == "no answer within 10 s", failed
            assert set(failed) <= DATABASE_CHECKS, failed
            assert [checks[n] for n in LOCAL_CHECKS] == [None, None, None], checks
            assert node.get("/livez")[0] == 200
        finally:
            pg.thaw()
        wait_until(lambda: node.ready()[0] == 200, "readiness after the database thawed")
    finally:
        node.stop()


@pytest.mark.skipif(tmpfs_available() is not None, reason=str(tmpfs_available()))
def test_readyz_reports_a_full_spool_disk_and_recovers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with small_disk("4m") as disk:
        (disk / "spool").mkdir()
        (data / "spool").symlink_to(disk / "spool")  # the spool on its own (small) disk
        node = Node(data, {})
        try:
            assert node.ready()[0] == 200
            filler = fill(disk)
            status, body = node.ready()
            assert status == 503
            failed = body["failed"]
            assert isinstance(failed, dict) and set(failed) == {"spool"}, failed
            assert "No space left on device" in str(failed["spool"]), failed
            assert node.gauge()["spool"] == 0 and node.gauge()["database"] == 1
            assert node.get("/livez")[0] == 200

            filler.unlink()
            status, body = node.ready()
            assert status == 200 and body["failed"] == {}, body
            assert node.gauge()["spool"] == 1
        finally:
            node.stop()
