"""Re-verification of stored copies after the trust material changed.

A copy that arrived before its root was trusted is INDETERMINATE (no chain); once the root is
imported the same bytes verify. Re-verification validates each stored P7S again *as of the time
the archive received it*: the archive's own receipt time is a proof of existence of the
signature, so a certificate that expired since still counts as valid then (the report says so).

The earlier report is kept as history (`verification_history`) whenever the outcome changes,
the document's status is replaced, and the search index is told, so a search by status finds
the copy under its new verdict. Documents are done one at a time in short transactions, with
a progress callback for terminals and a summary audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from archive import audit
from archive.blobs import BlobError, Blobs
from archive.db import Database
from archive.models import Document, VerificationHistory, utcnow
from ingest.parcels import SignatureFile
from ingest.pipeline import Indexer, best_first, run_validation, with_siblings
from search.index import ArchiveSource

log = logging.getLogger("ingest.reverify")

Selection = Literal["all", "indeterminate"]
INDEX_BATCH = 200


@dataclass(frozen=True)
class ReverifyResult:
    checked: int
    changed: int
    errors: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.checked / self.seconds if self.seconds > 0 else 0.0


def select_documents(
    db: Database, selection: Selection, since: dt.datetime | None = None
) -> list[int]:
    """Ids of signed documents to re-verify, oldest first."""
    stmt = select(Document.id).where(Document.p7s_sha256.is_not(None)).order_by(Document.id)
    if selection == "indeterminate":
        stmt = stmt.where(Document.indication == "INDETERMINATE")
    if since is not None:
        stmt = stmt.where(Document.received_at >= since)
    with db.session() as s:
        return list(s.execute(stmt).scalars())


def reverify(
    db: Database,
    blobs: Blobs,
    make_context: Callable[[], Any],
    document_ids: Sequence[int],
    *,
    index: Indexer | None = None,
    progress: Callable[[int, int], None] | None = None,
    actor: str = "system",
    reason: str = "manual",
) -> ReverifyResult:
    """Re-verify `document_ids` against the current trust material, each at its receipt time."""
    started = time.monotonic()
    base = make_context()  # one trust store for the whole run
    changed: list[int] = []
    errors = 0
    total = len(document_ids)
    for done, doc_id in enumerate(document_ids, start=1):
        try:
            if _one(db, blobs, base, doc_id, reason):
                changed.append(doc_id)
        except BlobError as exc:
            errors += 1
            log.warning("re-verification of document %s: %s", doc_id, exc.reason)
        if progress is not None:
            progress(done, total)
    if index is not None:
        for start in range(0, len(changed), INDEX_BATCH):
            index(list(ArchiveSource(db).docs(only=changed[start : start + INDEX_BATCH])))
    result = ReverifyResult(total, len(changed), errors, time.monotonic() - started)
    with db.session() as s:
        audit.record(
            s,
            actor,
            "document.reverify",
            "documents",
            "",
            detail={
                "reason": reason,
                "checked": result.checked,
                "changed": result.changed,
                "errors": result.errors,
            },
        )
    return result


def _one(db: Database, blobs: Blobs, base: Any, doc_id: int, reason: str) -> bool:
    with db.session() as s:
        doc = s.get(Document, doc_id)
        if doc is None or doc.p7s_sha256 is None:
            return False
        p7s_sha, pdf_sha, received = doc.p7s_sha256, doc.pdf_sha256, doc.received_at
        files = [
            (str(f.get("name") or ""), str(f["p7s_sha256"]))
            for f in (doc.report or {}).get("signature_files") or []
            if isinstance(f, dict) and f.get("p7s_sha256")
        ] or [("", p7s_sha)]
    pdf = blobs.get(pdf_sha) if pdf_sha is not None else None
    ctx = dataclasses.replace(base, at=received, at_is_receipt=True)
    # A copy covered by several signatures is judged as on receipt: each again, the best shown.
    sigs = [SignatureFile(blobs.get(sha), name) for name, sha in files]
    ranked = best_first([(sig, run_validation(sig.data, pdf, ctx)) for sig in sigs])
    v = with_siblings(ranked)
    best_sha = hashlib.sha256(ranked[0][0].data).hexdigest()
    with db.session() as s:
        doc = s.get(Document, doc_id)
        if doc is None:
            return False
        if (doc.indication, doc.sub_indication) == (v.indication, v.sub_indication):
            return False
        s.add(
            VerificationHistory(
                document_id=doc.id,
                replaced_at=utcnow(),
                indication=doc.indication,
                sub_indication=doc.sub_indication,
                report=doc.report,
                reason=reason[:60],
            )
        )
        doc.indication = v.indication
        doc.sub_indication = v.sub_indication
        doc.report = v.report
        doc.p7s_sha256 = best_sha  # the best signature file now (all stay in the report)
        if v.signer:
            doc.signer = v.signer[:500]
    return True
