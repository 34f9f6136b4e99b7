"""Data-subject requests: what do you hold about me, give it to me, delete it.

A person is asked for by name, RNOKPP, date of birth and/or document number. Matching is exact
(search.persons: word forms and the Latin spelling, never prefixes or typos) and the result is
grouped by identity, because an erasure that takes a namesake's copy is a data-protection
incident of its own: `select` refuses a request that matches more than one person until it is
narrowed by an identifier or by an explicit list of copies. Copies whose text only mentions the
person are listed to check by hand, copies that could not be read for manual review; neither
is erased on a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from archive import subjects as archived
from archive.models import Document
from search.persons import Identity, Matcher, group, mentions
from search.persons import Request as Subject

__all__ = ["Matcher", "Subject", "export"]

#: The export zip is the archive's (archive.subjects); re-exported for the callers here.
export = archived.export

UNREADABLE_FLAGS = frozenset({"garbled", "bomb", "timeout", "broken", "TEXT_NOT_EXTRACTED"})
_MIN_LETTERS = 20


def unreadable(doc: Document) -> bool:
    """Whether a copy's content could not be checked for a person (encrypted, scanned,
    garbled, cut short): such a copy is listed for a person to look at, never silently
    skipped and never erased on a guess."""
    letters = sum(1 for ch in doc.text or "" if ch.isalnum())
    return letters < _MIN_LETTERS or bool(UNREADABLE_FLAGS & set(doc.flags or ()))


def parse_birth_date(value: str | None) -> dt.date | None:
    """DD.MM.YYYY or YYYY-MM-DD; ValueError with a reason otherwise."""
    if not value:
        return None
    from search.fields import parse_date

    day = parse_date(value.strip())
    if day is None:
        raise ValueError(f"not a date (DD.MM.YYYY): {value!r}")
    return day


@dataclass
class Found:
    """An identity and its copies."""

    identity: Identity
    documents: list[Document]

    def to_dict(self) -> dict[str, object]:
        return self.identity.to_dict()


@dataclass
class Findings:
    """What a request finds: identities (with their copies), copies whose text names the person
    but whose recognised fields do not (to check by hand), and copies that could not be read."""

    request: Subject
    identities: list[Found] = field(default_factory=list)
    to_check: list[Document] = field(default_factory=list)
    unreadable: list[Document] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        """Every copy of every identity found (each once, by id)."""
        seen: dict[int, Document] = {}
        for f in self.identities:
            for d in f.documents:
                seen.setdefault(d.id, d)
        return [seen[i] for i in sorted(seen)]

    @property
    def ambiguous(self) -> bool:
        return len(self.identities) > 1


class Ambiguous(Exception):
    """The request names more than one person: narrow it before erasing or exporting."""

    reason = "AMBIGUOUS_SUBJECT"

    def __init__(self, findings: Findings) -> None:
        super().__init__(
            f"{len(findings.identities)} people match; narrow with --rnokpp, --birth-date, "
            "--number or list the copies with --copy"
        )
        self.findings = findings


class NotAmongFound(Exception):
    """An explicitly listed copy is not among what the request found."""

    reason = "COPY_NOT_FOUND_FOR_SUBJECT"


@dataclass
class Selection:
    """Exactly the copies an erasure or export will take, and why."""

    findings: Findings
    documents: list[Document]
    #: Copies taken because they came in the same e-mail as a matched copy and could not be
    #: checked or name nobody (an erasure by an identifier).
    same_message: list[int] = field(default_factory=list)

    @property
    def unchecked(self) -> list[int]:
        """Unreadable copies this selection did not take (nobody could check them)."""
        taken = {d.id for d in self.documents}
        return [d.id for d in self.findings.unreadable if d.id not in taken]


def find(session: Session, subject: Subject, matcher: Matcher) -> Findings:
    """Every copy that names the person, grouped by identity (scans the archive: a request is
    rare and reviewed by a person)."""
    docs = list(session.execute(sql_select(Document).order_by(Document.id)).scalars())
    by_id = {d.id: d for d in docs}
    every = [m for d in docs for m in mentions(d.id, d.message_id, d.fields or {})]
    identities = group(every)
    out = Findings(subject)
    matched: set[int] = set()
    for ident in identities:
        # The name must be one mention's; identifiers may come from different copies of the
        # same identity (the RNOKPP from the ID card, the date of birth from the licence).
        if subject.name and not any(matcher.name_matches(subject.name, m) for m in ident.mentions):
            continue
        if not ident.has(subject):
            continue
        found = [by_id[i] for i in ident.document_ids]
        out.identities.append(Found(ident, found))
        matched |= set(ident.document_ids)
    for d in docs:
        if d.id in matched:
            continue
        if unreadable(d):
            out.unreadable.append(d)
        elif matcher.text_matches(subject, d.text or ""):
            out.to_check.append(d)
    return out


def select(
    findings: Findings, copies: Iterable[int] | None = None, *, same_message: bool = False
) -> Selection:
    """The copies an erasure or export takes: those of the one identity found (refused when
    the request matches several), or exactly the listed copies (which must be among the
    found, to-check or unreadable ones). With `same_message` (an erasure) a request narrowed
    by an identifier also takes the other copies of the same e-mails that could not be read
    or name nobody; an export keeps to the identity's own copies."""
    if copies is not None:
        pool = {d.id: d for d in (*findings.documents, *findings.to_check, *findings.unreadable)}
        wanted = sorted(set(copies))
        missing = [i for i in wanted if i not in pool]
        if missing:
            raise NotAmongFound(
                f"copies {', '.join(map(str, missing))} are not among those found for this request"
            )
        return Selection(findings, [pool[i] for i in wanted])
    if findings.ambiguous:
        raise Ambiguous(findings)
    docs = findings.documents
    extra: list[Document] = []
    if same_message and findings.request.identifier and docs:
        messages = {d.message_id for d in docs if d.message_id is not None}
        taken = {d.id for d in docs}
        for d in [*findings.unreadable, *findings.to_check]:
            if d.message_id in messages and d.id not in taken:
                extra.append(d)
    return Selection(findings, sorted([*docs, *extra], key=lambda d: d.id), [d.id for d in extra])


def keyed_hash(key: bytes, subject: Subject) -> str:
    return archived.keyed_hash(key, subject.key())


def record_erasure(
    session: Session,
    actor: str,
    selection: Selection,
    hmac_key: bytes,
    erased: Iterable[int],
    remote: str = "",
) -> None:
    """The audit entry of an erasure: which kinds of criteria, a keyed hash of their values
    (so that "was X erased?" can be answered later by whoever holds the key), the copies and
    the counts; never a name or a number in clear."""
    subject = selection.findings.request
    ids = sorted(erased)
    archived.record_erasure(
        session,
        actor,
        subject.key(),
        hmac_key,
        {
            "criteria": subject.criteria(),
            "documents": len(ids),
            "copies": ids,
            "identities": len(selection.findings.identities),
            "same_message": len(selection.same_message),
            "unchecked": len(selection.unchecked),
            "to_check": len(selection.findings.to_check),
        },
        remote,
    )
