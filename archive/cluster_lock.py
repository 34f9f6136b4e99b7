"""Locks that hold for every node of an installation, not only for one process or one host.

On PostgreSQL (several nodes) a lock is a session-level advisory lock on a connection of its
own: shared or exclusive, waited for by the database, and released by the server when the
process dies, so a killed node never leaves a lock behind. On SQLite (one host by
definition) it is an flock on a file beside the database file, which has the same
properties for the processes of that host.

Used for: migrations and first-start set-up (exclusive), blob garbage collection (purge,
erasure, key rotation: exclusive) against backups (shared).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from archive.locks import file_lock

if TYPE_CHECKING:
    from archive.db import Database

#: Names of the installation-wide locks (each maps to one advisory key).
MIGRATE = "migrate"
FIRST_START = "first-start"
BLOB_GC = "blob-gc"


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL advisory keys are bigint)."""
    digest = hashlib.sha256(b"diia-inbox lock " + name.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sqlite_lock_path(db: Database, name: str) -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        return Path(tempfile.gettempdir()) / f"diia-inbox-{name}.lock"
    path = Path(database).resolve()
    return path.with_name(f".{path.name}.{name}.lock")


@contextmanager
def cluster_lock(db: Database, name: str, *, shared: bool = False) -> Iterator[None]:
    """Hold the installation-wide lock `name` for the block (waits until it is free)."""
    if db.is_sqlite:
        with file_lock(_sqlite_lock_path(db, name), shared=shared):
            yield
        return
    key = advisory_key(name)
    suffix = "_shared" if shared else ""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock{suffix}({key})")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock{suffix}({key})")
