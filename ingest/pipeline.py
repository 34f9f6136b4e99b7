"""The processing of one message: parse, verify, extract, then file (match, archive, index).

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

Filing the documents (blobs, rows, branch, QR warnings, index) is `ingest.filing.file_copies`,
which the manual check's "save to archive" calls too (`ingest/manual.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from archive.blobs import Blobs
from archive.db import Database
from ingest.envelope import Envelope
from ingest.filing import (
    UNSIGNED,
    Arrival,
    CopyToFile,
    Indexer,
    Matcher,
    Outcome,
    Verification,
    existing,
    file_copies,
    guard_db,
    known_message,
    save_message,
    storable,
)

# Raised by filing; callers of the pipeline (the worker, the importer, wiring) catch them here.
from ingest.filing import PipelineError as PipelineError
from ingest.filing import TransientError as TransientError
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
from verify.cms import DecodedSignature
from verify.digests import ContentDigests
from verify.errors import FormatError
from verify.report import Report
from verify.validate import ValidationContext, validate

log = logging.getLogger("diia_inbox.ingest.pipeline")

# Flags the pipeline adds to documents (parcel problems from ingest.parcels are kept too;
# UNSIGNED, NO_BRANCH and QR_MATCH_FAILED are filing's, ingest/filing.py).
PDF_FROM_SIGNATURE = "PDF_FROM_SIGNATURE"
SIGNATURE_UNREADABLE = "SIGNATURE_UNREADABLE"
VERIFIER_ERROR = "VERIFIER_ERROR"
NO_PDF = "NO_PDF"
TEXT_NOT_EXTRACTED = "TEXT_NOT_EXTRACTED"

#: Message-level problems that explain why nothing usable was found, most telling first.
_QUARANTINE_ORDER = (MIME_TOO_DEEP, MIME_TOO_MANY_PARTS, PART_TOO_LARGE, NO_DOCUMENTS)


# --- the steps as plain callables, so tests and the runtime wire the same pipeline ---------


@dataclass(frozen=True)
class TextResult:
    text: str
    flags: tuple[str, ...] = ()


class Verifier(Protocol):
    """The verifier step: a P7S and its content (None: attached or missing) to a verdict.

    `decoded` and `digests` are what pairing already worked out (the SignedData read from
    `p7s`, the content's digests), passed so the message is not decoded and hashed twice."""

    def __call__(
        self,
        p7s: bytes,
        content: bytes | None,
        *,
        decoded: DecodedSignature | None = None,
        digests: ContentDigests | None = None,
    ) -> Verification: ...


Extractor = Callable[[bytes], TextResult]
Recogniser = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Steps:
    """The CPU-bound steps of a message (`prepare`): no database, no files, so they can run in
    another process (`ingest.prepare_pool`) as well as in the worker's thread."""

    verify: Verifier
    extract: Extractor
    recognise: Recogniser
    limits: ParseLimits = field(default_factory=ParseLimits)


@dataclass
class Draft:
    parcel: Parcel
    pdf: bytes | None
    verification: Verification | None  # the best of `checked`
    text: str
    fields: dict[str, Any]
    flags: list[str]
    #: Every signature file of the document with its own verdict; the best one first.
    checked: list[tuple[SignatureFile, Verification]] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """What `prepare` made of a message: its parse and one draft per document, or the reason
    the message is quarantined (`parsed` is None when the MIME could not be read at all)."""

    parsed: ParsedMessage | None
    drafts: tuple[Draft, ...] = ()
    quarantine: str | None = None

    def lean(self) -> Prepared:
        """The same without what pairing kept for the verifier (each signature's decoded
        SignedData, the PDF's digests): filing never reads them, so they need not be pickled
        from a prepare child to the worker."""
        if self.parsed is None:
            return self
        slim = {id(p): _lean_parcel(p) for p in self.parsed.parcels}
        parcels = tuple(slim[id(p)] for p in self.parsed.parcels)
        drafts = tuple(
            dataclasses.replace(
                d,
                parcel=slim.get(id(d.parcel)) or _lean_parcel(d.parcel),
                checked=[(dataclasses.replace(sig, decoded=None), v) for sig, v in d.checked],
            )
            for d in self.drafts
        )
        return Prepared(dataclasses.replace(self.parsed, parcels=parcels), drafts, self.quarantine)


def _lean_parcel(parcel: Parcel) -> Parcel:
    signatures = tuple(dataclasses.replace(s, decoded=None) for s in parcel.signatures)
    return dataclasses.replace(parcel, signatures=signatures, digests=None)


#: Where `prepare` runs: `None` in the caller's thread, else e.g. a `PreparePool`.
Preparer = Callable[[bytes], Prepared]


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
    #: Runs `prepare(raw, self.steps)` elsewhere (other processes); None: in this thread.
    preparer: Preparer | None = None

    @property
    def steps(self) -> Steps:
        return Steps(self.verify, self.extract, self.recognise, self.limits)


#: Best first: one genuine signature is enough for the copy; the others are listed beside it.
_RANK = {"TOTAL_PASSED": 0, "INDETERMINATE": 1, "TOTAL_FAILED": 2}


# --- the pipeline -------------------------------------------------------------------------


def process(raw: bytes, envelope: Envelope, deps: PipelineDeps, *, attempts: int = 1) -> Outcome:
    """Take one message all the way into the archive; see the module docstring for failures."""
    digest = hashlib.sha256(raw).hexdigest()
    known = guard_db(lambda: existing(deps.db, digest))
    if known is not None and known.status == "done":
        log.info("message %s already archived as #%s", digest[:12], known.id)
        return Outcome("duplicate", known.id)
    if deps.preparer is not None:
        prepared = deps.preparer(raw)
    else:
        prepared = prepare(raw, deps.steps)
    if prepared.quarantine is not None or prepared.parsed is None:
        reason = prepared.quarantine or NO_DOCUMENTS
        return _quarantine(raw, digest, envelope, deps, reason, prepared.parsed, attempts)
    return _archive(raw, digest, envelope, prepared.parsed, list(prepared.drafts), deps, attempts)


def prepare(raw: bytes, steps: Steps) -> Prepared:
    """The CPU-bound part of `process`: parse the message, then verify, extract and recognise
    each document. A pure function of the bytes and the steps, so it gives the same result in
    the worker's thread and in a pool process."""
    try:
        parsed = parse_parcels(raw, steps.limits)
    except ParseError as exc:
        return Prepared(None, (), exc.reason)
    if not parsed.parcels:
        reason = next((p for p in _QUARANTINE_ORDER if p in parsed.problems), NO_DOCUMENTS)
        return Prepared(parsed, (), reason)
    return Prepared(parsed, tuple(_prepare(parcel, steps) for parcel in parsed.parcels))


def _prepare(parcel: Parcel, steps: Steps) -> Draft:
    """Verify, extract and recognise one parcel; every failure here is a flag, never a raise."""
    flags = list(parcel.problems)
    pdf = parcel.pdf
    signatures = list(parcel.signatures)
    if not signatures and parcel.p7s is not None:
        signatures = [SignatureFile(parcel.p7s, parcel.p7s_name or "")]
    checked: list[tuple[SignatureFile, Verification]] = []
    for sig in signatures:
        result = steps.verify(sig.data, pdf, decoded=sig.decoded, digests=parcel.digests)
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
            extracted = steps.extract(pdf)
        except Exception as exc:  # a hostile PDF must cost a flag, not the message
            log.warning("text extraction failed: %s", type(exc).__name__)
            extracted = TextResult("", (TEXT_NOT_EXTRACTED,))
        text = storable(extracted.text)
        flags += [f for f in extracted.flags if f not in flags]
    try:
        fields = steps.recognise(text, parcel.filename) if text or parcel.filename else {}
    except Exception as exc:
        log.warning("field recognition failed: %s", type(exc).__name__)
        fields = {}
    return Draft(parcel, pdf, verification, text, storable(fields), flags, checked)


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


def _archive(
    raw: bytes,
    digest: str,
    envelope: Envelope,
    parsed: ParsedMessage,
    drafts: list[Draft],
    deps: PipelineDeps,
    attempts: int,
) -> Outcome:
    """File the message's documents through the one filing use case (ingest/filing.py)."""
    arrival = dataclasses.replace(
        _arrival(raw, digest, envelope, parsed, attempts),
        problems=tuple(parsed.problems),
        branch_addresses=(*envelope.rcpt_tos, *parsed.to_addrs),
    )
    return file_copies(arrival, [_copy(d) for d in drafts], deps)


def _arrival(
    raw: bytes, digest: str, envelope: Envelope, parsed: ParsedMessage | None, attempts: int
) -> Arrival:
    """The message row's columns of a received message (`digest`: the SHA-256 of `raw`,
    hashed once by `process`)."""
    return Arrival(
        envelope,
        raw,
        len(raw),
        message_id=parsed.message_id if parsed else None,
        subject=parsed.subject if parsed else "",
        attempts=attempts,
        raw_sha256=digest,
    )


def _copy(draft: Draft) -> CopyToFile:
    return CopyToFile(
        filename=draft.parcel.filename,
        pdf=draft.pdf,
        signatures=tuple(sig.data for sig, _v in draft.checked),
        verification=draft.verification,
        text=draft.text,
        fields=draft.fields,
        document_type=draft.fields.get("document_type") or None,
        flags=tuple(draft.flags),
    )


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
        deps.blobs.put_many([raw], [digest])  # hashed once, by the caller
        try:
            with deps.db.session() as s:
                known = known_message(s, digest)
                if known is not None and known.status == "done":
                    return Outcome("duplicate", known.id)
                if known is not None and (known.reason or "").split(" ")[0] == reason:
                    return Outcome("duplicate", known.id, reason=reason)  # same verdict again
                extra = [p for p in (parsed.problems if parsed else ()) if p != reason]
                arrival = _arrival(raw, digest, envelope, parsed, attempts)
                row_id = save_message(s, known, arrival, "quarantined", " ".join([reason, *extra]))
        except IntegrityError:
            row = existing(deps.db, digest)
            return Outcome("duplicate", row.id if row else None)
        return Outcome("quarantined", row_id, reason=reason)

    outcome = guard_db(write)
    log.info("message #%s %s: %s", outcome.message_row, outcome.status, reason)
    return outcome


def quarantine_raw(
    raw: bytes, envelope: Envelope, deps: PipelineDeps, reason: str, attempts: int
) -> Outcome:
    """Record a message the caller gave up on (too many attempts, an internal error)."""
    return _quarantine(raw, hashlib.sha256(raw).hexdigest(), envelope, deps, reason, None, attempts)


# --- the real steps -----------------------------------------------------------------------


def run_validation(
    p7s: bytes,
    content: bytes | None,
    ctx: ValidationContext,
    *,
    decoded: DecodedSignature | None = None,
    digests: ContentDigests | None = None,
) -> Verification:
    """`verify.validate` with `ctx`, as the archive stores it; never raises for bad input.

    The pipeline and re-verification both go through here, so a copy is judged the same way
    on receipt and later."""
    try:
        report = validate(p7s, content, ctx, decoded=decoded, digests=digests)
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
    return verification_of(report)


def verification_of(report: Report) -> Verification:
    """A report as the archive stores it, one way for every path that files a copy (received
    mail, re-verification, the manual check): the signer is named by full name, else common
    name, else subject."""
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
