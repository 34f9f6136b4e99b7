"""What the index holds and the interface both backends offer.

The index is derived data: everything in it comes from archive rows through `index_doc`, and
`ArchiveSource` streams those rows again whenever an index has to be rebuilt (missing, corrupt,
built by an older analysis, or out of step with the archive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from archive.db import Database
from archive.models import Document
from search.analysis import find_numbers
from search.errors import SearchError
from search.settings import SearchSettings

SORTS = ("relevance", "date")


@dataclass
class IndexDoc:
    """One archived copy as the index sees it."""

    id: int
    document_type: str | None
    person_name: str | None
    person_name_lat: str | None
    branch: str | None
    branch_id: int | None
    received_at: dt.datetime
    indication: str
    sender: str
    text: str
    numbers: list[str] = field(default_factory=list)
    filename: str = ""
    subject: str = ""
    #: What makes two copies the same copy (the PDF's, else the P7S's sha256): identical
    #: resends are shown once. Empty: this copy is unique.
    copy_key: str = ""

    @property
    def collapse_key(self) -> str:
        return self.copy_key or f"id:{self.id}"


@dataclass(frozen=True)
class Hit:
    id: int
    document_type: str | None
    person_name: str | None
    branch: str | None
    received_at: dt.datetime
    indication: str
    score: float
    #: HTML: escaped text with matches in <mark>…</mark>.
    snippet: str
    #: How many identical copies (same bytes) this hit stands for: resends are shown once.
    #: Not in `to_dict` (the `search --json` contract); the web adds it where it shows it.
    sent: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document_type": self.document_type,
            "person_name": self.person_name,
            "branch": self.branch,
            "received_at": self.received_at.astimezone(dt.UTC).isoformat(),
            "indication": self.indication,
            "score": round(self.score, 4),
            "snippet": self.snippet,
        }


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]

    def to_dict(self) -> dict[str, Any]:
        """Exactly the `search --json` contract (ARCHITECTURE section 3)."""
        return {"total": self.total, "hits": [h.to_dict() for h in self.hits]}


class SearchBackend(Protocol):
    def add(self, docs: Iterable[IndexDoc]) -> None: ...

    def delete(self, ids: Iterable[int]) -> None: ...

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance"
    ) -> SearchResult: ...

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int: ...

    def check(self) -> None: ...

    def close(self) -> None: ...


def index_doc(document: Document) -> IndexDoc:
    """The index's view of an archived copy (reads its message and branch)."""
    fields = document.fields or {}
    message = document.message
    numbers: list[str] = []
    for key in ("document_number", "rnokpp"):
        value = fields.get(key)
        if isinstance(value, str) and value:
            numbers.append(value)
    numbers += find_numbers(document.text or "")
    return IndexDoc(
        id=document.id,
        document_type=document.document_type or fields.get("document_type"),
        person_name=fields.get("person_name"),
        person_name_lat=fields.get("person_name_lat"),
        branch=document.branch.name if document.branch is not None else None,
        branch_id=document.branch_id,
        received_at=document.received_at,
        indication=document.indication or "UNSIGNED",
        sender=message.envelope_from if message is not None else "",
        text=document.text or "",
        numbers=list(dict.fromkeys(numbers)),
        filename=document.filename or "",
        subject=message.subject if message is not None else "",
        copy_key=document.pdf_sha256 or document.p7s_sha256 or "",
    )


class ArchiveSource:
    """Streams the archive's documents for (re)indexing with flat memory.

    Keyset pages (id > last) each in a short session of their own: no long transaction, no
    server-side cursor, and memory bounded by one page whatever the archive's size.
    """

    def __init__(self, db: Database, page: int = 500) -> None:
        self.db = db
        self.page = page

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.execute(select(func.count(Document.id))).scalar_one())

    def ids(self) -> set[int]:
        with self.db.session() as s:
            return set(s.execute(select(Document.id)).scalars())

    def existing(self, ids: Iterable[int]) -> set[int]:
        """Those of `ids` the archive still holds (a copy may be erased while it waits to be
        indexed)."""
        wanted = sorted(set(ids))
        found: set[int] = set()
        with self.db.session() as s:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                found |= set(s.execute(select(Document.id).where(Document.id.in_(chunk))).scalars())
        return found

    def docs(self, only: Iterable[int] | None = None) -> Iterator[IndexDoc]:
        wanted = sorted(set(only)) if only is not None else None
        last = 0
        while True:
            stmt = (
                select(Document)
                .options(selectinload(Document.message), selectinload(Document.branch))
                .order_by(Document.id)
            )
            if wanted is not None:
                chunk = [i for i in wanted if i > last][: self.page]
                if not chunk:
                    return
                stmt = stmt.where(Document.id.in_(chunk))
            else:
                stmt = stmt.where(Document.id > last).limit(self.page)
            with self.db.session() as s:
                page = [index_doc(d) for d in s.execute(stmt).scalars()]
            if not page:
                return
            yield from page
            last = page[-1].id


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise SearchError(f"unknown sort {sort!r}", reason="BAD_SORT")


def open_backend(
    settings: SearchSettings,
    index_dir: Path,
    db: Database,
    *,
    repair: bool = True,
) -> SearchBackend:
    """The configured backend, repaired from the archive when `repair` (the default) is set.

    `repair=False` is for `reindex`, which rebuilds anyway.
    """
    source = ArchiveSource(db, page=max(1, settings.commit_batch))
    if settings.backend == "whoosh":
        from search.whoosh_backend import WhooshBackend

        return WhooshBackend(index_dir / "whoosh", settings, source=source, repair=repair)
    if settings.backend == "postgres":
        from search.pg_backend import PostgresBackend

        return PostgresBackend.open(settings, db, source=source, repair=repair)
    raise SearchError(
        f"unknown search backend {settings.backend!r} (whoosh or postgres)",
        reason="BAD_BACKEND",
    )
