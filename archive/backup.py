"""Backup and restore of one installation, while it runs, on either database engine.

With several nodes, `diia-inbox backup` first waits until every running node has handed the
mail it accepted before the backup started to the archive (diia_inbox.cluster.wait_for_drain),
so the database snapshot holds it; this node's own spool is copied as well. The snapshot is
taken in an order that loses nothing accepted: first the spool (messages not
yet processed), then the database in one read-only snapshot transaction, then the blobs (a blob
is written before the row that names it is committed, so every blob the snapshot references
already exists). A message processed between the spool copy and the database snapshot is in
both; restoring it again is a no-op, because the same raw bytes are stored once.

The database goes into the archive as JSON lines per table (engine-neutral), so a backup of a
PostgreSQL installation restores onto SQLite and the other way round.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Table,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy.sql.type_api import TypeEngine

from archive.cluster_lock import BLOB_GC, cluster_lock
from archive.db import Database
from archive.errors import ArchiveError
from archive.models import RUNTIME_TABLES, Base, StoredKeyring, UTCDateTime

FORMAT = "diia-inbox-backup/1"


class BackupError(ArchiveError):
    reason = "BACKUP_FAILED"


@dataclass(frozen=True)
class BackupSummary:
    rows: dict[str, int]
    blobs: int
    spool: int
    path: Path


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _decode(value: Any, col_type: TypeEngine[Any]) -> Any:
    if value is None:
        return None
    if isinstance(col_type, UTCDateTime | DateTime):
        parsed = dt.datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(col_type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(col_type, LargeBinary):
        return base64.b64decode(value)
    return value


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _read_item(path: Path) -> dict[str, bytes] | None:
    """An item's files (a spool item is a file or a folder); None if it moved meanwhile."""
    try:
        if path.is_dir():
            return {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
        return {"": path.read_bytes()}
    except (FileNotFoundError, NotADirectoryError):
        return None


def _add_spool(tar: tarfile.TarFile, spool_dir: Path) -> int:
    """Copy every accepted, not yet archived message: new/, work/ and quarantine/.

    Workers move items between folders while we read, so new/ and work/ are scanned twice in
    alternation: an item can only slip through by moving back and forth between our reads.
    Claimed items (work/) are restored as new ones, since nothing is working on them then.
    """
    seen: set[tuple[str, str]] = set()
    for sub in ("new", "work", "new", "work", "quarantine"):
        folder = spool_dir / sub
        if not folder.is_dir():
            continue
        target = "quarantine" if sub == "quarantine" else "new"
        for item in sorted(folder.iterdir()):
            item_id = item.name.split("@", 1)[0]
            if (target, item_id) in seen:
                continue
            files = _read_item(item)
            if files is None:
                continue
            seen.add((target, item_id))
            for fname, data in files.items():
                arc = f"spool/{target}/{item_id}" + (f"/{fname}" if fname else "")
                _add_bytes(tar, arc, data)
    return len(seen)


def _tables() -> list[Table]:
    """The archive's tables; the nodes registry and job leases describe running processes
    (of the old installation, on restore) and stay out."""
    return [t for t in Base.metadata.sorted_tables if t.name not in RUNTIME_TABLES]


def _integer_sequences() -> list[tuple[str, str]]:
    """(table, column) of every integer primary key the database numbers itself.

    Only these have a sequence on PostgreSQL to move past the restored rows; a text key
    (`web_sessions.id`, a hash) has none, and asking for its sequence failed the restore.
    """
    out = []
    for table in _tables():
        for column in table.primary_key.columns:
            if (
                isinstance(column.type, Integer)
                and column.autoincrement in (True, "auto")
                and len(table.primary_key.columns) == 1
            ):
                out.append((table.name, column.name))
    return out


def backup(
    db: Database,
    blob_dir: Path,
    spool_dir: Path,
    out: Path,
    *,
    trust_dir: Path | None = None,
) -> BackupSummary:
    """Write a consistent snapshot to `out` (a tar file, written atomically).

    `trust_dir` (the installation's trust anchors) goes in too: without them a restored
    installation reports every copy that arrives after the restore as INDETERMINATE. The
    encryption keyring never does: a backup and its key should not travel together
    (docs/privacy.md says how to restore one with the other).
    """
    out = out.resolve()
    tmp = out.with_name(out.name + ".partial")
    rows: dict[str, int] = {}
    blob_count = 0
    # Shared against blob garbage collection on every node (a purge elsewhere must not delete
    # a blob the snapshot names while we copy).
    with cluster_lock(db, BLOB_GC, shared=True), tarfile.open(tmp, "w") as tar:
        spool_count = _add_spool(tar, spool_dir)
        with db.engine.connect() as conn:
            if db.is_sqlite:
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for table in _tables():
                buf = io.BytesIO()
                n = 0
                for row in conn.execute(select(table)).mappings():
                    line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
                    buf.write(line.encode() + b"\n")
                    n += 1
                _add_bytes(tar, f"db/{table.name}.jsonl", buf.getvalue())
                rows[table.name] = n
            conn.exec_driver_sql("ROLLBACK")
        for path in sorted(blob_dir.rglob("*")):
            if path.is_file() and path.parent.name != "tmp":
                tar.add(path, arcname=f"blobs/{path.relative_to(blob_dir)}")
                blob_count += 1
        if trust_dir is not None and trust_dir.is_dir():
            for path in sorted(trust_dir.rglob("*")):
                if path.is_file():
                    tar.add(path, arcname=f"trust/{path.relative_to(trust_dir)}")
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "rows": rows,
            "blobs": blob_count,
            "spool": spool_count,
        }
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, out)
    return BackupSummary(rows=rows, blobs=blob_count, spool=spool_count, path=out)


def _safe_member(member: tarfile.TarInfo) -> bool:
    name = member.name
    return member.isfile() and not name.startswith("/") and ".." not in Path(name).parts


def restore(
    archive_path: Path,
    db: Database,
    blob_dir: Path,
    spool_dir: Path,
    *,
    trust_dir: Path | None = None,
) -> BackupSummary:
    """Load a backup into an installation whose database is empty (freshly migrated)."""
    with db.engine.connect() as conn:
        for table in _tables():
            if table.name == StoredKeyring.__tablename__:
                continue  # made by the restoring node's start-up; the backup's one wins
            if conn.execute(select(table).limit(1)).first() is not None:
                raise BackupError(f"restore needs an empty database; table {table.name} has rows")
    try:
        tar = tarfile.open(archive_path, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"cannot read {archive_path}: {exc}") from None
    rows: dict[str, int] = {}
    blob_count = spool_count = 0
    with tar:
        members = {m.name: m for m in tar.getmembers() if _safe_member(m)}
        if "manifest.json" not in members:
            raise BackupError("not a diia-inbox backup (no manifest.json)")
        manifest = json.loads(tar.extractfile(members["manifest.json"]).read())  # type: ignore[union-attr]
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {manifest.get('format')!r}")
        with db.engine.begin() as conn:
            for table in _tables():
                member = members.get(f"db/{table.name}.jsonl")
                if member is None:
                    raise BackupError(f"backup lacks table {table.name}")
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                batch = []
                for line in data.splitlines():
                    raw = json.loads(line)
                    batch.append({c.name: _decode(raw.get(c.name), c.type) for c in table.columns})
                if batch and table.name == StoredKeyring.__tablename__:
                    # The installation's keyring (wrapped by the master key, which is not in
                    # the backup) replaces one the restoring node may have just made.
                    conn.execute(delete(table))
                if batch:
                    conn.execute(insert(table), batch)
                rows[table.name] = len(batch)
            if not db.is_sqlite:
                for table_name, column in _integer_sequences():
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table_name}', '{column}'), "
                            f"COALESCE((SELECT MAX({column}) FROM {table_name}), 0) + 1, false)"
                        )
                    )
        for name, member in members.items():
            if name.startswith("blobs/"):
                rel = Path(name).relative_to("blobs")
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                target = blob_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                blob_count += 1
            elif name.startswith("trust/") and trust_dir is not None:
                target = trust_dir / Path(name).relative_to("trust")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
            elif name.startswith(("spool/new/", "spool/quarantine/")):
                # Items may be files or folders (message + envelope); keep their shape.
                rel = Path(name).relative_to("spool")
                target = spool_dir / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())  # type: ignore[union-attr]
                if len(rel.parts) == 2 or rel.name == "envelope.json":
                    spool_count += 1
    return BackupSummary(rows=rows, blobs=blob_count, spool=spool_count, path=archive_path)
