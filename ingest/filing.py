"""Filing copies in the archive: the one writer of a filed message and its document rows.

Every way a copy enters the archive (the pipeline for received mail, the manual check's "save
to archive") ends here, so a filed copy is stored the same way whichever way it came:

1. blobs first (content-addressed and idempotent: a failed commit only leaves an orphan that
   a retry of the same bytes reuses), the raw message when there is one, then each copy's PDF
   and every signature file;
2. the message row and one document row per copy in one transaction, with the branch, the
   QR registry's warnings and the audit entry, so nothing is filed without its trace;
3. the index step, after the commit: the index is derived data, a failure there is logged and
   repaired by `reindex`, never a lost copy. What is indexed is `search.index.index_doc` of the
   rows just written, taken inside the transaction (the one mapping from a row to the index,
   which a reindex uses too), so the new copies are not read back from the database.

Exactly once: a message that came with its raw bytes is unique by their SHA-256
(`messages.raw_sha256`), so filing the same bytes again (a retry after a crash between commit
and spool `done`, an import run twice, two workers racing) is a "duplicate" outcome, not a
second copy. A quarantined row of the same bytes is taken up again and marked done.

An unreachable database or a full disk raises `TransientError`: nothing was committed, and
trying again later may succeed.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol, TypeVar

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from archive import audit
from archive.blobs import BlobError, Blobs
from archive.branches import branch_for_address
from archive.db import Database, DatabaseError
from archive.models import Branch, Document, Message
from ingest.envelope import Envelope
from search.index import IndexDoc, index_doc

log = logging.getLogger("diia_inbox.ingest.filing")

T = TypeVar("T")

# Flags filing adds to documents.
UNSIGNED = "UNSIGNED"
NO_BRANCH = "NO_BRANCH"
QR_MATCH_FAILED = "QR_MATCH_FAILED"


class PipelineError(Exception):
    reason = "PIPELINE_ERROR"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class TransientError(PipelineError):
    """Nothing was committed and trying again later may succeed (database, disk)."""

    reason = "TRANSIENT"


@dataclass(frozen=True)
class Verification:
    """A signature's verdict as the archive stores it (`ingest.pipeline.run_validation`)."""

    indication: str
    sub_indication: str | None
    signer: str | None
    report: dict[str, Any] | None
    content: bytes | None  # the PDF, when the P7S carried it
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    status: Literal["archived", "duplicate", "quarantined"]
    message_row: int | None
    documents: tuple[int, ...] = ()
    reason: str | None = None
    indexed: bool = False


Matcher = Callable[[Session, int | None, str | None, str | None, datetime], list[str]]


class Indexer(Protocol):
    """Adds archived copies to the search index (made by `search.index.index_doc`)."""

    def __call__(self, docs: Sequence[IndexDoc]) -> None: ...


class FilingDeps(Protocol):
    """What filing needs (`ingest.pipeline.PipelineDeps` has it all)."""

    @property
    def db(self) -> Database: ...

    @property
    def blobs(self) -> Blobs: ...

    @property
    def match_warnings(self) -> Matcher | None: ...

    @property
    def index(self) -> Indexer | None: ...


@dataclass(frozen=True)
class Arrival:
    """Where the copies came from: the message row's columns and how to find the branch."""

    envelope: Envelope
    #: The message as received: kept as a blob, and its SHA-256 makes filing exactly-once.
    #: None for copies that came without one (the manual check): filed every time.
    raw: bytes | None
    size: int
    message_id: str | None = None
    subject: str = ""
    attempts: int = 0
    #: Problems noticed in the message that did not stop it (the row's `reason`).
    problems: tuple[str, ...] = ()
    #: Where the branch is looked up, most telling first (envelope recipients, then headers);
    #: a copy without a branch is flagged NO_BRANCH and checked against the QR registry.
    #: None: the copy was not addressed to a branch at all (the manual check), so none of that.
    branch_addresses: tuple[str, ...] | None = None
    #: The SHA-256 (hex) of `raw` when the caller has already computed it (the pipeline, for
    #: its duplicate check): a raw message is hundreds of KB, hashed once per message.
    raw_sha256: str | None = None

    @functools.cached_property
    def digest(self) -> str | None:
        """The SHA-256 (hex) of `raw`, the row's `raw_sha256`: `raw_sha256` if given, else
        hashed here, once per arrival (filing reads it for the duplicate check, the blobs and
        the row)."""
        if self.raw is None:
            return None
        return self.raw_sha256 or hashlib.sha256(self.raw).hexdigest()


@dataclass(frozen=True)
class CopyToFile:
    """One copy as it is stored: its files, what was read from it and its verdict."""

    filename: str
    pdf: bytes | None
    #: Every signature file of the copy, best verdict first: the row names the first, the
    #: report's `signature_files` lists them all, every one is kept as a blob.
    signatures: tuple[bytes, ...]
    #: The verdict (of the best signature); None: the copy came unsigned.
    verification: Verification | None
    text: str
    fields: Mapping[str, Any]
    document_type: str | None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actor:
    """Who asked for a filing (or a re-processing) and from where: the audit entry's."""

    username: str
    remote: str = ""


def file_copies(
    arrival: Arrival,
    copies: Sequence[CopyToFile],
    deps: FilingDeps,
    *,
    actor: Actor | None = None,
) -> Outcome:
    """File `copies` of one message: blobs, rows (one transaction, audited as `actor`'s
    "document.create" when an actor asked), then the index; see the module docstring."""
    outcome, indexed = guard_db(lambda: _write(arrival, copies, deps, actor))
    if outcome.status == "archived" and deps.index is not None and indexed:
        outcome = _index(outcome, deps.index, indexed)
    return outcome


def _write(
    arrival: Arrival, copies: Sequence[CopyToFile], deps: FilingDeps, actor: Actor | None
) -> tuple[Outcome, tuple[IndexDoc, ...]]:
    """Blobs, then the rows in one transaction; the outcome and the index's view of the new
    rows (empty unless archived).

    The rows are written with Core statements (one INSERT ... RETURNING for the message, one
    for its documents), not through the ORM's unit of work, whose change tracking and flush
    planning cost the worker more CPU than the statements themselves (issue 15); the index's
    view is `index_doc` of the same values as unsaved `Document` objects."""
    digest = arrival.digest
    hashes = _put_blobs(arrival, copies, deps.blobs)
    try:
        with deps.db.session() as s:
            known = known_message(s, digest) if digest is not None else None
            if known is not None and known.status == "done":
                return Outcome("duplicate", known.id), ()
            reason = " ".join(arrival.problems) or None
            msg_id = save_message(s, known, arrival, "done", reason)
            routed = arrival.branch_addresses is not None
            branch = _branch(s, arrival.branch_addresses or ())
            rows = [
                _document_row(s, msg_id, copy, pdf_sha, p7s_sha, branch, routed, arrival, deps)
                for copy, (pdf_sha, p7s_sha) in zip(copies, hashes, strict=True)
            ]
            ids = tuple(s.connection().execute(_INSERT_DOCUMENTS, rows).scalars())
            if actor is not None:
                source = {"source": arrival.envelope.source}
                for doc_id in ids:
                    who, remote = actor.username, actor.remote
                    audit.record(s, who, "document.create", "document", doc_id, remote, source)
            indexed: tuple[IndexDoc, ...] = ()
            if deps.index is not None:
                msg = Message(envelope_from=_envelope_from(arrival), subject=arrival.subject)
                indexed = tuple(
                    index_doc(Document(id=i, message=msg, branch=branch, **row))
                    for i, row in zip(ids, rows, strict=True)
                )
    except IntegrityError:
        if digest is None:
            raise
        # Another worker committed the same bytes between our check and our commit.
        row = existing(deps.db, digest)
        return Outcome("duplicate", row.id if row else None), ()
    log.info(
        "message #%s archived: %d document(s) [%s]",
        msg_id,
        len(ids),
        ",".join(c.verification.indication if c.verification else UNSIGNED for c in copies),
    )
    return Outcome("archived", msg_id, ids), indexed


def _put_blobs(
    arrival: Arrival, copies: Sequence[CopyToFile], blobs: Blobs
) -> list[tuple[str | None, str | None]]:
    """The raw message and every file of every copy kept, in one batch (`Blobs.put_many`: the
    fsyncs of a message grouped); per copy, the hashes its row names: the PDF and the best
    signature (the others are listed with their hashes in the report's `signature_files`)."""
    raw = arrival.raw
    files: list[bytes] = [] if raw is None else [raw]
    for copy in copies:
        files += [copy.pdf] if copy.pdf is not None else []
        files += copy.signatures
    known = [] if raw is None else [arrival.digest]  # the raw message's, hashed once
    stored = iter(blobs.put_many(files, known)[0 if raw is None else 1 :])
    hashes: list[tuple[str | None, str | None]] = []
    for copy in copies:
        pdf_sha = next(stored) if copy.pdf is not None else None
        sig_shas = [next(stored) for _sig in copy.signatures]
        hashes.append((pdf_sha, sig_shas[0] if sig_shas else None))
    return hashes


def _document_row(
    s: Session,
    msg_id: int,
    copy: CopyToFile,
    pdf_sha: str | None,
    p7s_sha: str | None,
    branch: Branch | None,
    routed: bool,
    arrival: Arrival,
    deps: FilingDeps,
) -> dict[str, Any]:
    """The `documents` row of one copy (its columns by name), QR warnings included."""
    v = copy.verification
    branch_id = branch.id if branch is not None else None
    flags = list(copy.flags)
    warnings: list[str] = []
    if routed:
        if branch_id is None and NO_BRANCH not in flags:
            flags.append(NO_BRANCH)
        if deps.match_warnings is not None:
            try:
                with s.begin_nested():
                    warnings = list(
                        deps.match_warnings(
                            s,
                            branch_id,
                            copy.document_type,
                            copy.fields.get("made_for"),
                            arrival.envelope.received_at,
                        )
                    )
            except (OperationalError, DatabaseError):
                raise
            except Exception as exc:
                log.warning("QR matching failed: %s", type(exc).__name__)
                flags.append(QR_MATCH_FAILED)
        if "BRANCH_UNKNOWN" in warnings and NO_BRANCH in flags:
            flags.remove(NO_BRANCH)  # said once, by the QR registry's warning
    return {
        "message_id": msg_id,
        "branch_id": branch_id,
        "received_at": arrival.envelope.received_at,
        "filename": copy.filename[:500],
        "document_type": copy.document_type,
        "pdf_sha256": pdf_sha,
        "p7s_sha256": p7s_sha,
        "text": storable(copy.text),
        "fields": storable(dict(copy.fields)),
        "report": v.report if v else None,
        "indication": v.indication if v else UNSIGNED,
        "sub_indication": v.sub_indication if v else None,
        "signer": v.signer[:500] if v and v.signer else None,
        "flags": flags,
        "warnings": warnings,
    }


def _index(outcome: Outcome, index: Indexer, docs: Sequence[IndexDoc]) -> Outcome:
    """The index is derived data: a failure here is logged and repaired by `reindex`."""
    try:
        index(docs)
    except Exception as exc:
        log.warning("indexing message #%s failed: %s", outcome.message_row, type(exc).__name__)
        return outcome
    return Outcome(outcome.status, outcome.message_row, outcome.documents, outcome.reason, True)


def storable(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; a PDF's text layer (or a hostile one) can."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


# --- message rows (shared with the pipeline's quarantine) ---------------------------------


class KnownMessage(NamedTuple):
    """What filing needs of the row a message's raw bytes already have."""

    id: int
    status: str
    reason: str | None
    attempts: int


# Statements built once: constructing one per message (coercing every value) cost more CPU
# than running it.
_KNOWN = select(Message.id, Message.status, Message.reason, Message.attempts).where(
    Message.raw_sha256 == bindparam("digest")
)
_INSERT_MESSAGE = insert(Message).returning(Message.id)
_UPDATE_MESSAGE = update(Message).where(Message.id == bindparam("known_id"))
_DELETE_DOCUMENTS = delete(Document).where(Document.message_id == bindparam("known_id"))
_INSERT_DOCUMENTS = insert(Document).returning(Document.id, sort_by_parameter_order=True)


def existing(db: Database, digest: str) -> KnownMessage | None:
    """The row of the message with these raw bytes, if any (a transaction of its own)."""
    with db.session() as s:
        return known_message(s, digest)


def known_message(s: Session, digest: str) -> KnownMessage | None:
    row = s.connection().execute(_KNOWN, {"digest": digest}).first()
    return KnownMessage(*row) if row else None


def save_message(
    s: Session,
    known: KnownMessage | None,
    arrival: Arrival,
    status: str,
    reason: str | None,
) -> int:
    """Write the message row in `status`: a new row, or the quarantined one of the same bytes
    taken up again (its old documents, if any, deleted); returns its id."""
    envelope = arrival.envelope
    values = {
        "message_id": arrival.message_id,
        "envelope_from": _envelope_from(arrival),
        "envelope_to": list(envelope.rcpt_tos),
        "subject": arrival.subject,
        "received_at": envelope.received_at,
        "size": arrival.size,
        "attempts": max(arrival.attempts, known.attempts if known else 0),
        "source": envelope.source[:40],
        "status": status,
        "reason": reason,
    }
    conn = s.connection()
    if known is None:
        new = {"raw_sha256": arrival.digest, **values}
        return int(conn.execute(_INSERT_MESSAGE, new).scalar_one())
    conn.execute(_DELETE_DOCUMENTS, {"known_id": known.id})
    conn.execute(_UPDATE_MESSAGE, {"known_id": known.id, **values})
    return known.id


def _envelope_from(arrival: Arrival) -> str:
    return arrival.envelope.mail_from[:320]


def _branch(s: Session, addresses: Sequence[str]) -> Branch | None:
    """The branch whose receiving address got the message: envelope first, then headers."""
    for address in addresses:
        branch = branch_for_address(s, address)
        if branch is not None:
            return branch
    return None


def guard_db(fn: Callable[[], T]) -> T:
    """Turn an unreachable database or a full disk into TransientError (retry later)."""
    try:
        return fn()
    except DatabaseError as exc:
        raise TransientError(str(exc), reason=DatabaseError.reason) from exc
    except (OperationalError, DBAPIError) as exc:
        if isinstance(exc, IntegrityError):
            raise
        raise TransientError(type(exc).__name__, reason="DATABASE_UNAVAILABLE") from exc
    except BlobError as exc:
        raise TransientError(str(exc), reason=exc.reason) from exc
    except OSError as exc:
        raise TransientError(os.strerror(exc.errno or 0), reason="STORAGE_UNAVAILABLE") from exc
