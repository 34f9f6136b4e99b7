"""The command's text output shows local time (DD.MM.YYYY HH:MM, `[web] timezone`); --json
keeps ISO 8601 with an offset.

The archive of `tests/search/conftest.py` holds Шевченко's ID card, received 2026-11-20 10:30
UTC: 12:30 in Kyiv (UTC+2 in November), 05:30 in New York (UTC-5).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from diia_inbox.cli import main
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from tests.search.conftest import filled_data_dir

RAW_TIME = re.compile(r"\d{4}-\d\d-\d\d")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return filled_data_dir(tmp_path / "data")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_search_and_subject_find_print_kyiv_time(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(capsys, "search", "шевченка", "--data", str(data_dir))
    assert "\t20.11.2026 12:30\t" in out and not RAW_TIME.search(out), out
    out = run(capsys, "subject", "find", "--name", "Шевченко Тарас", "--data", str(data_dir))
    assert "\t20.11.2026 12:30\t" in out and not RAW_TIME.search(out), out


def test_json_output_keeps_iso_with_offset(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hit = json.loads(run(capsys, "search", "шевченка", "--data", str(data_dir), "--json"))
    assert hit["hits"][0]["received_at"] == "2026-11-20T10:30:00+00:00"
    argv = ["subject", "find", "--name", "Шевченко Тарас", "--data", str(data_dir), "--json"]
    found = json.loads(run(capsys, *argv))
    copies = [c for i in found["identities"] for c in i["copies"]]
    assert copies and all(
        dt.datetime.fromisoformat(c["received_at"]).utcoffset() == dt.timedelta(0) for c in copies
    )


def test_configured_time_zone(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "ny.toml"
    cfg.write_text('[web]\ntimezone = "America/New_York"\n', encoding="utf-8")
    out = run(capsys, "search", "шевченка", "--data", str(data_dir), "--config", str(cfg))
    assert "\t20.11.2026 05:30\t" in out, out


def test_nodes_text_in_local_time_and_json_with_offset(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from archive import nodes
    from archive.models import Node

    rt = Runtime.open(load_config(data_dir=data_dir, env={}))
    try:
        with rt.db.session() as s:
            nodes.register(s, "srv-kyiv-1", version="0.1.0", config_hash="a" * 64, settings={},
                           heartbeat_seconds=15, probe_sha256=None)  # fmt: skip
            node = s.get(Node, "srv-kyiv-1")
            assert node is not None
            node.started_at = dt.datetime(2026, 7, 1, 21, 5, tzinfo=dt.UTC)  # summer: UTC+3
            node.heartbeat_at = dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)  # winter: UTC+2
    finally:
        rt.close()
    out = run(capsys, "nodes", "--data", str(data_dir))
    assert "heartbeat 01.01.2027 00:30\tstarted 02.07.2026 00:05" in out, out
    listed = json.loads(run(capsys, "nodes", "--data", str(data_dir), "--json"))
    assert listed["nodes"][0]["started_at"] == "2026-07-01T21:05:00+00:00"
    assert listed["nodes"][0]["heartbeat_at"] == "2026-12-31T22:30:00+00:00"
