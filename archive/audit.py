"""The audit log: who viewed, downloaded, printed or deleted what, chained by hashes.

Each entry's hash covers its own fields and the previous entry's hash, so editing or deleting a
row breaks the chain at that row. Details carry identifiers and codes only, never personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.models import AuditEvent, utcnow


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
    """Append an event in the caller's transaction (so it commits with the action itself)."""
    last = session.execute(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    prev_hash = last.entry_hash if last else ""
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        remote=remote,
        detail=detail or {},
        prev_hash=prev_hash,
    )
    session.add(event)
    session.flush()  # assigns the id, which the hash covers
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
