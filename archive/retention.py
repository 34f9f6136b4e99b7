"""Retention: which copies have outlived their legal basis, and deleting them for good.

Deletion is two-phase: rows go in one transaction, then blobs that no row references any more
are removed. Blobs are shared by content (the same PDF sent twice is one blob), so a blob is only
deleted after re-checking, outside the row transaction, that nothing points at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from archive.blobs import Blobs
from archive.cluster_lock import BLOB_GC, cluster_lock
from archive.db import Database
from archive.models import Document, Message, Service


@dataclass(frozen=True)
class PurgePlan:
    documents: tuple[int, ...]
    messages: tuple[int, ...]
    blobs: tuple[str, ...]
    held: int = 0


@dataclass
class PurgeResult:
    documents: int = 0
    messages: int = 0
    blobs: int = 0
    document_ids: list[int] = field(default_factory=list)


def retention_days_by_branch(session: Session) -> dict[tuple[int, str], int]:
    """(branch, document type) -> the longest retention any service of the branch sets."""
    out: dict[tuple[int, str], int] = {}
    for svc in session.execute(select(Service)).scalars():
        if svc.retention_days is None:
            continue
        for doc_type in svc.documents or []:
            key = (svc.branch_id, doc_type)
            out[key] = max(out.get(key, 0), svc.retention_days)
    return out


def expires_at(
    doc: Document, per_service: dict[tuple[int, str], int], default_days: int
) -> dt.datetime:
    if doc.retain_until is not None:
        return doc.retain_until
    days = default_days
    if doc.branch_id is not None and doc.document_type:
        days = per_service.get((doc.branch_id, doc.document_type), default_days)
    return doc.received_at + dt.timedelta(days=days)


def plan_purge(session: Session, now: dt.datetime, default_days: int) -> PurgePlan:
    """What a purge at `now` would delete (documents past retention and not on legal hold)."""
    per_service = retention_days_by_branch(session)
    doomed: list[Document] = []
    held = 0
    for doc in session.execute(select(Document)).scalars():
        if expires_at(doc, per_service, default_days) > now:
            continue
        if doc.legal_hold:
            held += 1
            continue
        doomed.append(doc)
    plan = plan_deletion(session, doomed, held=held)
    # Messages that never yielded a document (quarantined: unreadable, no attachments) hold a
    # raw e-mail that may well name a person; they expire after the default period too.
    cutoff = now - dt.timedelta(days=default_days)
    orphans = session.execute(
        select(Message.id, Message.raw_sha256).where(
            Message.received_at <= cutoff, ~Message.documents.any()
        )
    ).all()
    return with_messages(plan, orphans)


def with_messages(plan: PurgePlan, messages: Iterable[tuple[int, str | None]]) -> PurgePlan:
    """The plan extended by document-less messages (id, raw blob digest)."""
    messages = list(messages)
    if not messages:
        return plan
    return PurgePlan(
        documents=plan.documents,
        messages=tuple(sorted(set(plan.messages) | {m for m, _ in messages})),
        blobs=tuple(sorted(set(plan.blobs) | {d for _, d in messages if d})),
        held=plan.held,
    )


def plan_deletion(session: Session, docs: Iterable[Document], held: int = 0) -> PurgePlan:
    """Documents, the messages left empty by their removal, and blobs nothing else uses."""
    docs = list(docs)
    doc_ids = {d.id for d in docs}
    message_ids: set[int] = set()
    for msg_id in {d.message_id for d in docs if d.message_id is not None}:
        others = session.execute(
            select(Document.id).where(Document.message_id == msg_id, Document.id.not_in(doc_ids))
        ).first()
        if others is None:
            message_ids.add(msg_id)
    candidate_blobs: set[str] = set()
    for d in docs:
        candidate_blobs.update(x for x in (d.pdf_sha256, d.p7s_sha256) if x)
    for m in session.execute(select(Message).where(Message.id.in_(message_ids))).scalars():
        if m.raw_sha256:
            candidate_blobs.add(m.raw_sha256)
    return PurgePlan(
        documents=tuple(sorted(doc_ids)),
        messages=tuple(sorted(message_ids)),
        blobs=tuple(sorted(candidate_blobs)),
        held=held,
    )


def unreferenced(session: Session, digests: Iterable[str]) -> list[str]:
    out = []
    for digest in digests:
        used = (
            session.execute(
                select(Document.id).where(
                    or_(Document.pdf_sha256 == digest, Document.p7s_sha256 == digest)
                )
            ).first()
            or session.execute(select(Message.id).where(Message.raw_sha256 == digest)).first()
        )
        if used is None:
            out.append(digest)
    return out


def execute(
    db: Database,
    blobs: Blobs,
    plan: PurgePlan,
    *,
    before_commit: Callable[[Session], None] | None = None,
) -> PurgeResult:
    """Delete the plan's rows (one transaction), then the blobs left unreferenced."""
    result = PurgeResult()
    with db.session() as s:
        for doc in s.execute(select(Document).where(Document.id.in_(plan.documents))).scalars():
            s.delete(doc)
            result.documents += 1
            result.document_ids.append(doc.id)
        s.flush()
        for msg in s.execute(select(Message).where(Message.id.in_(plan.messages))).scalars():
            s.delete(msg)
            result.messages += 1
        if before_commit is not None:
            before_commit(s)
    with db.session() as s:
        for digest in unreferenced(s, plan.blobs):
            if blobs.delete(digest):
                result.blobs += 1
    scrub(db)
    return result


#: Data derived from archived copies that must go when they go: the search index entries, the
#: cached page images. Called with the ids of the documents deleted.
Forget = Callable[[list[int]], object]


def delete_everywhere(
    db: Database,
    blobs: Blobs,
    plan: PurgePlan,
    *,
    derived: Sequence[Forget] = (),
    before_commit: Callable[[Session], None] | None = None,
) -> PurgeResult:
    """The one way copies are deleted (a staff member's delete, a quarantined message, the
    retention purge, a data subject's erasure): rows and unreferenced blobs while holding the
    installation-wide blob lock, so that no backup on any node is copying blobs meanwhile,
    then whatever was derived from them. `before_commit` writes the audit entry in the same
    transaction as the rows, so nothing is removed without its trace."""
    with cluster_lock(db, BLOB_GC):
        result = execute(db, blobs, plan, before_commit=before_commit)
    for forget in derived:
        forget(result.document_ids)
    return result


def scrub(db: Database) -> None:
    """Make deleted rows unrecoverable from the database files where the engine allows it.

    SQLite runs with secure_delete (freed pages are zeroed); the WAL still holds old page images
    until a checkpoint, so truncate it. PostgreSQL keeps dead tuples until VACUUM reclaims them.
    """
    if db.is_sqlite:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # The search_* tables are the PostgreSQL search backend's, when that is in use: the
            # rows, the lexicon of name words and the ranks of the weight-A words hold names.
            present = set(inspect(conn).get_table_names())
            tables = ("search_documents", "search_name_words", "search_ranks")
            for table in ("documents", "messages", *tables):
                if table in present:
                    conn.exec_driver_sql(f"VACUUM {table}")
