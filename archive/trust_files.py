"""Imported trust files in the database: the installation's shared trust material.

Bytes only: what a file means (its certificates) is `verify.trust`'s business, decided before a
file gets here. Every node reads the same rows, so a trust list imported on one node is used by
all of them; `revision()` is the cheap stamp nodes compare to notice a change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.models import TrustFile, utcnow


@dataclass(frozen=True)
class TrustFileInfo:
    """A trust file's row without its bytes (for listings)."""

    id: int
    sha256: str
    name: str
    source: str
    origin: str
    size: int
    certificates: int
    crls: int
    imported_at_iso: str
    imported_by: str


def _info(row: TrustFile) -> TrustFileInfo:
    return TrustFileInfo(
        id=row.id,
        sha256=row.sha256,
        name=row.name,
        source=row.source,
        origin=row.origin,
        size=row.size,
        certificates=row.certificates,
        crls=row.crls,
        imported_at_iso=row.imported_at.isoformat(),
        imported_by=row.imported_by,
    )


def add(
    s: Session,
    data: bytes,
    *,
    name: str,
    source: str,
    origin: str,
    certificates: int,
    crls: int,
    actor: str,
) -> tuple[TrustFileInfo, bool]:
    """Store a checked trust file; (row, created). The same bytes are stored once."""
    digest = hashlib.sha256(data).hexdigest()
    existing = s.execute(select(TrustFile).where(TrustFile.sha256 == digest)).scalar_one_or_none()
    if existing is not None:
        return _info(existing), False
    row = TrustFile(
        sha256=digest,
        name=name[:500],
        source=source[:40],
        origin=origin[:1000],
        data=data,
        size=len(data),
        certificates=certificates,
        crls=crls,
        imported_at=utcnow(),
        imported_by=actor[:150],
    )
    s.add(row)
    s.flush()
    return _info(row), True


def replace_origin(
    s: Session,
    data: bytes,
    *,
    name: str,
    origin: str,
    certificates: int,
    crls: int,
    actor: str,
) -> tuple[TrustFileInfo, list[TrustFileInfo]]:
    """Install `data` as the one copy from `origin` (an update URL), removing the copies it
    replaces, in the caller's transaction: other nodes see the old set or the new, never none."""
    digest = hashlib.sha256(data).hexdigest()
    old = s.execute(
        select(TrustFile).where(TrustFile.origin == origin, TrustFile.source == "update")
    ).scalars()
    removed = []
    for row in old:
        if row.sha256 != digest:
            removed.append(_info(row))
            s.delete(row)
    s.flush()
    info, _created = add(
        s,
        data,
        name=name,
        source="update",
        origin=origin,
        certificates=certificates,
        crls=crls,
        actor=actor,
    )
    return info, removed


def previous_from(s: Session, origin: str) -> TrustFileInfo | None:
    """The installed copy from an update URL, if any."""
    row = s.execute(
        select(TrustFile)
        .where(TrustFile.origin == origin, TrustFile.source == "update")
        .order_by(TrustFile.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return _info(row) if row is not None else None


def remove(s: Session, key: str) -> list[TrustFileInfo]:
    """Remove the files whose id is `key` or whose sha256 starts with it (at least 8 hex)."""
    rows: list[TrustFile] = []
    if key.isdigit():
        row = s.get(TrustFile, int(key))
        rows = [row] if row is not None else []
    if not rows and len(key) >= 8:
        rows = list(
            s.execute(select(TrustFile).where(TrustFile.sha256.startswith(key.lower()))).scalars()
        )
    out = [_info(r) for r in rows]
    for row in rows:
        s.delete(row)
    s.flush()
    return out


def listing(s: Session) -> list[TrustFileInfo]:
    rows = s.execute(select(TrustFile).order_by(TrustFile.id)).scalars()
    return [_info(r) for r in rows]


def contents(s: Session) -> list[tuple[TrustFileInfo, bytes]]:
    rows = s.execute(select(TrustFile).order_by(TrustFile.id)).scalars()
    return [(_info(r), bytes(r.data)) for r in rows]


def revision(s: Session) -> tuple[int, int]:
    """(number of files, highest id): changes on every import, update and removal."""
    count, top = s.execute(select(func.count(TrustFile.id), func.max(TrustFile.id))).one()
    return int(count or 0), int(top or 0)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
