"""The embedded SQLite database keeps every commit through a power cut.

The worker releases a spool item right after the archive commit returned: with WAL and
`synchronous=NORMAL` the last commits may be lost on a power cut (they are only in the
unsynced WAL), so an accepted message could vanish from both the spool and the archive. Every
connection is therefore opened with `synchronous=FULL` (SQLite's value 2), which syncs the WAL
at each commit; WAL itself stays (readers do not block the writer)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from archive.db import make_engine, sqlite_url


def test_every_connection_syncs_each_commit(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "archive.db"))
    try:
        for _ in range(2):  # a new connection from the pool gets the same settings
            with engine.connect() as conn:
                assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            engine.dispose()
    finally:
        engine.dispose()
