"""The audit log: who viewed, downloaded, printed or deleted what, chained by hashes.

Each entry's hash covers its own fields and the previous entry's hash, so editing or deleting a
row breaks the chain at that row. Details carry identifiers and codes only, never personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive.models import AuditEvent, utcnow

#: Fixed key of the PostgreSQL advisory lock that serialises appends to the chain.
AUDIT_LOCK_KEY = 0x_D11A_0A0D


def _entry_hash(event: AuditEvent, prev_hash: str) -> str:
    body = json.dumps(
        [
            event.id,
            event.at.isoformat(),
            event.actor,
            event.action,
            event.object_type,
            event.object_id,
            event.remote,
            event.detail,
            prev_hash,
        ],
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    remote: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction (so it commits with the action itself).

    Appends are serialised for the whole installation, so every entry links to the one
    before it even with many writers on several nodes. `SELECT ... FOR UPDATE` on the last
    row does not do that under READ COMMITTED (a waiter re-reads the old last row once the
    lock is released, and an empty table has no row to lock), which forked the chain.

    PostgreSQL: a transaction-scoped advisory lock is taken first; it is held until the
    caller commits, so the next writer reads the predecessor only after this entry is
    visible. SQLite: the insert comes first; it takes the database's single write lock (the
    transaction begins at that write), so the predecessor read after it is the newest.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        remote=remote,
        detail=detail or {},
        prev_hash="",
    )
    session.add(event)
    session.flush()  # assigns the id (which the hash covers) and holds the write lock
    prev_hash = (
        session.execute(
            select(AuditEvent.entry_hash)
            .where(AuditEvent.id < event.id)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        or ""
    )
    event.prev_hash = prev_hash
    event.entry_hash = _entry_hash(event, prev_hash)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify_chain(session: Session) -> list[ChainProblem]:
    """Walk the log in order; report each row whose hash or link does not hold."""
    problems: list[ChainProblem] = []
    prev_hash = ""
    prev_id = 0
    for event in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        if event.prev_hash != prev_hash:
            problems.append(
                ChainProblem(event.id, f"link broken after entry {prev_id} (deleted or changed)")
            )
        if _entry_hash(event, event.prev_hash) != event.entry_hash:
            problems.append(ChainProblem(event.id, "entry changed"))
        prev_hash, prev_id = event.entry_hash, event.id
    return problems
