"""The audit chain stays one chain with many writers in several processes at once.

Two real processes, each with its threads released together, append to the same database;
afterwards `diia-inbox audit verify`'s check finds every link intact and no two entries share
a predecessor. Before the fix, 80 parallel views left 76 broken links on PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from archive import audit
from archive.db import Database
from archive.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def _race(url: str, processes: int, threads: int, tmp_path: Path) -> Database:
    db = Database(url)
    db.migrate()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.audit_writers", url, str(threads), str(go)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(1.0)  # let both processes connect; the race starts when `go` appears
    go.touch()
    for p in procs:
        _out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    return db


def _assert_one_chain(db: Database, expected: int) -> None:
    with db.session() as s:
        problems = audit.verify_chain(s)
        rows = list(s.execute(select(AuditEvent.prev_hash)).scalars())
    assert problems == []
    assert len(rows) == expected
    shared = [h for h, n in Counter(rows).items() if n > 1]
    assert shared == []  # no fork: every predecessor has exactly one successor
    print(f"audit links verified: {len(rows)}")


def test_100_writers_in_two_processes_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    db = _race(pg_url, processes=2, threads=50, tmp_path=tmp_path)
    try:
        _assert_one_chain(db, 100)
    finally:
        db.dispose()


def test_writers_in_two_processes_on_sqlite(tmp_path: Path) -> None:
    db = _race(f"sqlite:///{tmp_path / 'a.db'}", processes=2, threads=10, tmp_path=tmp_path)
    try:
        _assert_one_chain(db, 20)
    finally:
        db.dispose()


def test_a_forked_chain_is_reported(pg_url: str) -> None:
    """The tampered twin: the check above can fail. A chain with two entries naming the same
    predecessor (what the old `FOR UPDATE` append produced) is reported as broken."""
    db = Database(pg_url)
    db.migrate()
    try:
        with db.session() as s:
            first = audit.record(s, "a", "document.view", "document", 1)
        with db.session() as s:
            audit.record(s, "b", "document.view", "document", 2)
        with db.session() as s:
            forked = AuditEvent(actor="c", action="document.view", object_type="document",
                                object_id="3", detail={}, prev_hash=first.entry_hash)  # fmt: skip
            s.add(forked)
            s.flush()
            forked.entry_hash = audit._entry_hash(forked, forked.prev_hash)
        with db.session() as s:
            problems = audit.verify_chain(s)
        assert [p.event_id for p in problems] == [forked.id]
    finally:
        db.dispose()
