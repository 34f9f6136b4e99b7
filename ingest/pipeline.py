"""The processing of one message: parse, verify, extract, match, archive, index.

`process` is synchronous and CPU-bound on purpose (DSTU 4145 in pure Python, PDF text
extraction): the worker runs it in a thread so the event loop keeps answering SMTP. It is
idempotent over the message bytes: `raw_sha256` is unique in the archive, so a second run over
the same bytes (a retry after a crash between commit and spool `done`, an import run twice) is
a successful no-op.

Failures are sorted into two kinds the caller acts on differently:
- `TransientError` (database unreachable, disk full): nothing was committed; retry later.
- permanent problems (unreadable MIME, no documents, hostile shapes) are *results*: the message
  is archived as quarantined with a stable reason, so staff can see it, and the caller moves the
  spool item to quarantine/.
Everything signature- or PDF-related is per document and never quarantines a message: a bad
signature is a verification result, an unreadable PDF is a flag.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from archive.blobs import BlobError, Blobs
from archive.branches import branch_for_address
from archive.db import Database, DatabaseError
from archive.models import Document, Message
from ingest.envelope import Envelope
from ingest.parcels import (
    MIME_TOO_DEEP,
    MIME_TOO_MANY_PARTS,
    NO_DOCUMENTS,
    PART_TOO_LARGE,
    Parcel,
    ParsedMessage,
    ParseError,
    ParseLimits,
    SignatureFile,
    parse_parcels,
)
from verify.errors import FormatError
from verify.validate import ValidationContext, validate

log = logging.getLogger("diia_inbox.ingest.pipeline")

# Flags the pipeline adds to documents (parcel problems from ingest.parcels are kept too).
UNSIGNED = "UNSIGNED"
PDF_FROM_SIGNATURE = "PDF_FROM_SIGNATURE"
SIGNATURE_UNREADABLE = "SIGNATURE_UNREADABLE"
VERIFIER_ERROR = "VERIFIER_ERROR"
NO_PDF = "NO_PDF"
TEXT_NOT_EXTRACTED = "TEXT_NOT_EXTRACTED"
NO_BRANCH = "NO_BRANCH"
QR_MATCH_FAILED = "QR_MATCH_FAILED"

#: Message-level problems that explain why nothing usable was found, most telling first.
_QUARANTINE_ORDER = (MIME_TOO_DEEP, MIME_TOO_MANY_PARTS, PART_TOO_LARGE, NO_DOCUMENTS)


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


# --- the steps as plain callables, so tests and the runtime wire the same pipeline ---------


@dataclass(frozen=True)
class Verification:
    indication: str
    sub_indication: str | None
    signer: str | None
    report: dict[str, Any] | None
    content: bytes | None  # the PDF, when the P7S carried it
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TextResult:
    text: str
    flags: tuple[str, ...] = ()


Verifier = Callable[[bytes, bytes | None], Verification]
Extractor = Callable[[bytes], TextResult]
Recogniser = Callable[[str, str], dict[str, Any]]
Matcher = Callable[[Session, int | None, str | None, str | None, datetime], list[str]]


class Indexer(Protocol):
    def __call__(self, db: Database, document_ids: Sequence[int]) -> None: ...


@dataclass(frozen=True)
class PipelineDeps:
    """What `process` needs, passed explicitly (`diia_inbox/wiring.py` builds the service's)."""

    db: Database
    blobs: Blobs
    verify: Verifier
    extract: Extractor
    recognise: Recogniser
    match_warnings: Matcher | None = None
    index: Indexer | None = None
    limits: ParseLimits = field(default_factory=ParseLimits)


@dataclass(frozen=True)
class Outcome:
    status: Literal["archived", "duplicate", "quarantined"]
    message_row: int | None
    documents: tuple[int, ...] = ()
    reason: str | None = None
    indexed: bool = False


@dataclass
class _Draft:
    parcel: Parcel
    pdf: bytes | None
    verification: Verification | None  # the best of `checked`
    text: str
    fields: dict[str, Any]
    flags: list[str]
    #: Every signature file of the document with its own verdict; the best one first.
    checked: list[tuple[SignatureFile, Verification]] = field(default_factory=list)


#: Best first: one genuine signature is enough for the copy; the others are listed beside it.
_RANK = {"TOTAL_PASSED": 0, "INDETERMINATE": 1, "TOTAL_FAILED": 2}


# --- the pipeline -------------------------------------------------------------------------


def process(raw: bytes, envelope: Envelope, deps: PipelineDeps, *, attempts: int = 1) -> Outcome:
    """Take one message all the way into the archive; see the module docstring for failures."""
    digest = hashlib.sha256(raw).hexdigest()
    existing = _guard_db(lambda: _existing(deps.db, digest))
    if existing is not None and existing[1] == "done":
        log.info("message %s already archived as #%s", digest[:12], existing[0])
        return Outcome("duplicate", existing[0])
    try:
        parsed = parse_parcels(raw, deps.limits)
    except ParseError as exc:
        return _quarantine(raw, digest, envelope, deps, exc.reason, None, attempts)
    if not parsed.parcels:
        reason = next((p for p in _QUARANTINE_ORDER if p in parsed.problems), NO_DOCUMENTS)
        return _quarantine(raw, digest, envelope, deps, reason, parsed, attempts)
    drafts = [_prepare(parcel, deps) for parcel in parsed.parcels]
    outcome = _guard_db(lambda: _archive(raw, digest, envelope, parsed, drafts, deps, attempts))
    if outcome.status == "archived" and deps.index is not None and outcome.documents:
        outcome = _index(outcome, deps)
    return outcome


def _prepare(parcel: Parcel, deps: PipelineDeps) -> _Draft:
    """Verify, extract and recognise one parcel; every failure here is a flag, never a raise."""
    flags = list(parcel.problems)
    pdf = parcel.pdf
    signatures = list(parcel.signatures)
    if not signatures and parcel.p7s is not None:
        signatures = [SignatureFile(parcel.p7s, parcel.p7s_name or "")]
    checked: list[tuple[SignatureFile, Verification]] = []
    for sig in signatures:
        result = deps.verify(sig.data, pdf)
        if pdf is None and result.content is not None:
            pdf = result.content  # an attached signature carried the PDF: check the rest on it
            flags.append(PDF_FROM_SIGNATURE)
        checked.append((sig, result))
    checked = best_first(checked)
    verification = with_siblings(checked) if checked else None
    if verification is not None:
        flags += [f for f in verification.flags if f not in flags]
    else:
        flags.append(UNSIGNED)
    if pdf is None:
        flags.append(NO_PDF)
    text = ""
    if pdf is not None:
        try:
            extracted = deps.extract(pdf)
        except Exception as exc:  # a hostile PDF must cost a flag, not the message
            log.warning("text extraction failed: %s", type(exc).__name__)
            extracted = TextResult("", (TEXT_NOT_EXTRACTED,))
        text = _storable(extracted.text)
        flags += [f for f in extracted.flags if f not in flags]
    try:
        fields = deps.recognise(text, parcel.filename) if text or parcel.filename else {}
    except Exception as exc:
        log.warning("field recognition failed: %s", type(exc).__name__)
        fields = {}
    return _Draft(parcel, pdf, verification, text, _storable(fields), flags, checked)


def best_first(
    checked: list[tuple[SignatureFile, Verification]],
) -> list[tuple[SignatureFile, Verification]]:
    """Verified signature files, best verdict first (stable: arrival order otherwise)."""
    return sorted(checked, key=lambda item: _RANK.get(item[1].indication, 3))


def with_siblings(checked: list[tuple[SignatureFile, Verification]]) -> Verification:
    """The best verification, its report listing every signature file of the document."""
    best = checked[0][1]
    if len(checked) == 1 or best.report is None:
        return best
    files = [
        {
            "name": sig.name,
            "p7s_sha256": hashlib.sha256(sig.data).hexdigest(),
            "indication": v.indication,
            "sub_indication": v.sub_indication,
            "signer": v.signer,
        }
        for sig, v in checked
    ]
    return Verification(
        best.indication,
        best.sub_indication,
        best.signer,
        {**best.report, "signature_files": files},
        best.content,
        best.flags,
    )


def _storable(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL; a PDF's text layer (or a hostile one) can."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def _archive(
    raw: bytes,
    digest: str,
    envelope: Envelope,
    parsed: ParsedMessage,
    drafts: list[_Draft],
    deps: PipelineDeps,
    attempts: int,
) -> Outcome:
    # Blobs first: content-addressed and idempotent, so a failed commit only leaves an orphan
    # that the same message's retry reuses.
    deps.blobs.put(raw)
    hashes = [_put_blobs(d, deps.blobs) for d in drafts]
    try:
        with deps.db.session() as s:
            msg = _message_row(s, digest)
            if msg is not None and msg.status == "done":
                return Outcome("duplicate", msg.id)
            msg = _fill_message(s, msg, raw, digest, envelope, parsed, attempts)
            msg.status = "done"
            msg.reason = " ".join(parsed.problems) or None
            branch_id = _branch_id(s, envelope, parsed)
            docs: list[Document] = []
            for draft, (pdf_sha, p7s_sha) in zip(drafts, hashes, strict=True):
                docs.append(_document(s, msg, draft, pdf_sha, p7s_sha, branch_id, envelope, deps))
            s.flush()
            ids = tuple(d.id for d in docs)
            msg_id = msg.id
    except IntegrityError:
        # Another worker committed the same bytes between our check and our commit.
        row = _existing(deps.db, digest)
        return Outcome("duplicate", row[0] if row else None)
    log.info(
        "message #%s archived: %d document(s) [%s]",
        msg_id,
        len(ids),
        ",".join(d.verification.indication if d.verification else UNSIGNED for d in drafts),
    )
    return Outcome("archived", msg_id, ids)


def _put_blobs(draft: _Draft, blobs: Blobs) -> tuple[str | None, str | None]:
    """Every file of the document is kept; the row names the PDF and the best signature (the
    others are listed with their hashes in the report's `signature_files`)."""
    pdf_sha = blobs.put(draft.pdf) if draft.pdf is not None else None
    sig_shas = [blobs.put(sig.data) for sig, _v in draft.checked]
    return pdf_sha, (sig_shas[0] if sig_shas else None)


def _document(
    s: Session,
    msg: Message,
    draft: _Draft,
    pdf_sha: str | None,
    p7s_sha: str | None,
    branch_id: int | None,
    envelope: Envelope,
    deps: PipelineDeps,
) -> Document:
    v = draft.verification
    flags = list(draft.flags)
    if branch_id is None and NO_BRANCH not in flags:
        flags.append(NO_BRANCH)
    document_type = draft.fields.get("document_type") or None
    warnings: list[str] = []
    if deps.match_warnings is not None:
        try:
            with s.begin_nested():
                warnings = list(
                    deps.match_warnings(
                        s,
                        branch_id,
                        document_type,
                        draft.fields.get("made_for"),
                        envelope.received_at,
                    )
                )
        except (OperationalError, DatabaseError):
            raise
        except Exception as exc:
            log.warning("QR matching failed: %s", type(exc).__name__)
            flags.append(QR_MATCH_FAILED)
    if "BRANCH_UNKNOWN" in warnings and NO_BRANCH in flags:
        flags.remove(NO_BRANCH)  # said once, by the QR registry's warning
    doc = Document(
        message=msg,
        branch_id=branch_id,
        received_at=envelope.received_at,
        filename=draft.parcel.filename[:500],
        document_type=document_type,
        pdf_sha256=pdf_sha,
        p7s_sha256=p7s_sha,
        text=draft.text,
        fields=draft.fields,
        report=v.report if v else None,
        indication=v.indication if v else UNSIGNED,
        sub_indication=v.sub_indication if v else None,
        signer=v.signer[:500] if v and v.signer else None,
        flags=flags,
        warnings=warnings,
    )
    s.add(doc)
    return doc


def _quarantine(
    raw: bytes,
    digest: str,
    envelope: Envelope,
    deps: PipelineDeps,
    reason: str,
    parsed: ParsedMessage | None,
    attempts: int,
) -> Outcome:
    """Keep the raw message and a visible row saying why nothing could be taken from it."""

    def write() -> Outcome:
        deps.blobs.put(raw)
        try:
            with deps.db.session() as s:
                msg = _message_row(s, digest)
                if msg is not None and msg.status == "done":
                    return Outcome("duplicate", msg.id)
                if msg is not None and (msg.reason or "").split(" ")[0] == reason:
                    return Outcome("duplicate", msg.id, reason=reason)  # same verdict again
                msg = _fill_message(s, msg, raw, digest, envelope, parsed, attempts)
                msg.status = "quarantined"
                extra = [p for p in (parsed.problems if parsed else ()) if p != reason]
                msg.reason = " ".join([reason, *extra])
                s.flush()
                row_id = msg.id
        except IntegrityError:
            row = _existing(deps.db, digest)
            return Outcome("duplicate", row[0] if row else None)
        return Outcome("quarantined", row_id, reason=reason)

    outcome = _guard_db(write)
    log.info("message #%s %s: %s", outcome.message_row, outcome.status, reason)
    return outcome


def quarantine_raw(
    raw: bytes, envelope: Envelope, deps: PipelineDeps, reason: str, attempts: int
) -> Outcome:
    """Record a message the caller gave up on (too many attempts, an internal error)."""
    return _quarantine(raw, hashlib.sha256(raw).hexdigest(), envelope, deps, reason, None, attempts)


def _index(outcome: Outcome, deps: PipelineDeps) -> Outcome:
    """The index is derived data: a failure here is logged and repaired by `reindex`."""
    assert deps.index is not None
    try:
        deps.index(deps.db, outcome.documents)
    except Exception as exc:
        log.warning("indexing message #%s failed: %s", outcome.message_row, type(exc).__name__)
        return outcome
    return Outcome(outcome.status, outcome.message_row, outcome.documents, outcome.reason, True)


# --- rows ---------------------------------------------------------------------------------


def _existing(db: Database, digest: str) -> tuple[int, str] | None:
    with db.session() as s:
        row = s.execute(
            select(Message.id, Message.status).where(Message.raw_sha256 == digest)
        ).first()
    return (row[0], row[1]) if row else None


def _message_row(s: Session, digest: str) -> Message | None:
    return s.execute(select(Message).where(Message.raw_sha256 == digest)).scalar_one_or_none()


def _fill_message(
    s: Session,
    msg: Message | None,
    raw: bytes,
    digest: str,
    envelope: Envelope,
    parsed: ParsedMessage | None,
    attempts: int,
) -> Message:
    """A new row, or the quarantined one of the same bytes taken up again (released)."""
    if msg is None:
        msg = Message(raw_sha256=digest)
        s.add(msg)
    else:
        for doc in list(msg.documents):
            s.delete(doc)
    msg.message_id = parsed.message_id if parsed else None
    msg.envelope_from = envelope.mail_from[:320]
    msg.envelope_to = list(envelope.rcpt_tos)
    msg.subject = parsed.subject if parsed else ""
    msg.received_at = envelope.received_at
    msg.size = len(raw)
    msg.attempts = max(attempts, msg.attempts or 0)
    msg.source = envelope.source[:40]
    return msg


def _branch_id(s: Session, envelope: Envelope, parsed: ParsedMessage) -> int | None:
    """The branch whose receiving address got the message: envelope first, then headers."""
    for address in (*envelope.rcpt_tos, *parsed.to_addrs):
        branch = branch_for_address(s, address)
        if branch is not None:
            return branch.id
    return None


def _guard_db(fn: Callable[[], Outcome | Any]) -> Any:
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


# --- the real steps -----------------------------------------------------------------------


def run_validation(p7s: bytes, content: bytes | None, ctx: ValidationContext) -> Verification:
    """`verify.validate` with `ctx`, as the archive stores it; never raises for bad input.

    The pipeline and re-verification both go through here, so a copy is judged the same way
    on receipt and later."""
    try:
        report = validate(p7s, content, ctx)
    except FormatError as exc:
        return Verification(
            "TOTAL_FAILED",
            "FORMAT_FAILURE",
            None,
            {"errors": [{"code": exc.reason, "message": "not a readable CMS signature"}]},
            None,
            (SIGNATURE_UNREADABLE,),
        )
    except Exception as exc:  # a verifier defect must not lose the document
        log.warning("verifier error: %s", type(exc).__name__)
        return Verification(
            "INDETERMINATE",
            "GENERIC",
            None,
            {"errors": [{"code": "VERIFIER_ERROR", "message": type(exc).__name__}]},
            None,
            (VERIFIER_ERROR,),
        )
    signer = None
    if report.signer is not None:
        signer = report.signer.full_name or report.signer.common_name or report.signer.subject
    return Verification(
        str(report.indication),
        str(report.sub_indication) if report.sub_indication else None,
        signer,
        report.to_dict(),
        report.signed_content,
    )
