"""The front desk's list: copies as they arrive, newest first, and the "processed" mark.

The receptionist's question is "did the guest's copy just arrive?", so this is a plain time
ordered listing with a few filters, not a search: no query, no relevance, one indexed scan of
`documents.received_at`/`id`. Copies of one e-mail share a message and are grouped for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session, selectinload

from archive.errors import NotFound
from archive.models import Document, utcnow

MAX_LIMIT = 200


@dataclass(frozen=True)
class Arrival:
    """One copy as the arrivals list shows it (no text, no blobs)."""

    id: int
    message_id: int | None
    received_at: dt.datetime
    document_type: str | None
    person_name: str | None
    indication: str
    branch: str | None
    branch_id: int | None
    filename: str
    processed_at: dt.datetime | None
    processed_by: str | None


@dataclass(frozen=True)
class ArrivalFilter:
    """What to list. `since` is inclusive; `indications` empty means any verdict; `processed`
    None means both."""

    since: dt.datetime | None = None
    indications: tuple[str, ...] = ()
    processed: bool | None = None
    branch_id: int | None = None


@dataclass(frozen=True)
class ArrivalPage:
    total: int
    items: list[Arrival]
    #: The newest copy id in the whole archive: the live view compares it with what it shows.
    latest_id: int


def _conditions(f: ArrivalFilter) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if f.since is not None:
        out.append(Document.received_at >= f.since)
    if f.indications:
        out.append(Document.indication.in_(f.indications))
    if f.processed is True:
        out.append(Document.processed_at.is_not(None))
    elif f.processed is False:
        out.append(Document.processed_at.is_(None))
    if f.branch_id is not None:
        out.append(Document.branch_id == f.branch_id)
    return out


def _arrival(doc: Document) -> Arrival:
    name = (doc.fields or {}).get("person_name")
    return Arrival(
        id=doc.id,
        message_id=doc.message_id,
        received_at=doc.received_at,
        document_type=doc.document_type or (doc.fields or {}).get("document_type"),
        person_name=name if isinstance(name, str) and name else None,
        indication=doc.indication or "UNSIGNED",
        branch=doc.branch.name if doc.branch is not None else None,
        branch_id=doc.branch_id,
        filename=doc.filename or "",
        processed_at=doc.processed_at,
        processed_by=doc.processed_by,
    )


def latest_id(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Document.id), 0))).scalar_one())


def list_arrivals(
    session: Session, f: ArrivalFilter, *, limit: int = 50, offset: int = 0
) -> ArrivalPage:
    """Newest first (by arrival time, then id, so copies of one e-mail stay together)."""
    limit = max(1, min(MAX_LIMIT, limit))
    where = and_(true(), *_conditions(f))
    total = session.execute(select(func.count(Document.id)).where(where)).scalar_one()
    rows = session.execute(
        select(Document)
        .options(selectinload(Document.branch))
        .where(where)
        .order_by(Document.received_at.desc(), Document.id.desc())
        .limit(limit)
        .offset(max(0, offset))
    ).scalars()
    return ArrivalPage(int(total), [_arrival(d) for d in rows], latest_id(session))


def group_by_message(items: Iterable[Arrival]) -> list[list[Arrival]]:
    """Copies of one e-mail together, in the order their first copy appears."""
    groups: dict[object, list[Arrival]] = {}
    for item in items:
        key: object = item.message_id if item.message_id is not None else ("doc", item.id)
        groups.setdefault(key, []).append(item)
    return list(groups.values())


def mark_processed(session: Session, document_id: int, who: str, done: bool = True) -> bool:
    """Set or clear the "processed" mark; returns whether anything changed."""
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound(f"no document {document_id}")
    if done == (doc.processed_at is not None):
        return False
    doc.processed_at, doc.processed_by = (utcnow(), who) if done else (None, None)
    return True
