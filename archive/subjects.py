"""Data-subject requests: what do you hold about me, give it to me, delete it.

A person is identified by any of name, RNOKPP or document number. Matching is deliberately
exact-but-normalised (case, apostrophes, spaces, word order of names), not fuzzy: an erasure
must not take a namesake's copies by accident, and the operator reviews the list first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import audit
from archive.blobs import BlobError, Blobs
from archive.models import AuditEvent, Document

_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'", "ʹ": "'"})


def name_tokens(value: str) -> frozenset[str]:
    value = value.translate(_APOSTROPHES).casefold()
    return frozenset(t for t in re.split(r"[^\w']+", value) if t)


def _digits_letters(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.casefold())


@dataclass(frozen=True)
class Subject:
    name: str | None = None
    rnokpp: str | None = None
    document_number: str | None = None

    def __post_init__(self) -> None:
        if not (self.name or self.rnokpp or self.document_number):
            raise ValueError("a subject needs a name, an RNOKPP or a document number")

    def key(self) -> str:
        """A canonical form of the identifiers, fed to the keyed hash in audit records."""
        parts = [
            " ".join(sorted(name_tokens(self.name))) if self.name else "",
            _digits_letters(self.rnokpp or ""),
            _digits_letters(self.document_number or ""),
        ]
        return "|".join(parts)

    def matches(self, doc: Document) -> bool:
        """Numbers match in the recognised fields or the text; names in the recognised names."""
        fields = doc.fields or {}
        if self.rnokpp and _digits_letters(self.rnokpp) == _digits_letters(
            str(fields.get("rnokpp", ""))
        ):
            return True
        if self.document_number and _digits_letters(self.document_number) == _digits_letters(
            str(fields.get("document_number", ""))
        ):
            return True
        if self.name:
            wanted = name_tokens(self.name)
            for key in ("person_name", "person_name_lat"):
                if wanted and wanted <= name_tokens(str(fields.get(key, ""))):
                    return True
        return self.matches_text(doc.text or "", names=False)

    def matches_text(self, text: str, *, names: bool = True) -> bool:
        """For text without recognised fields (a quarantined raw message, say)."""
        if self.rnokpp and _digits_letters(self.rnokpp) in set(re.findall(r"\d{10}", text)):
            return True
        if self.document_number:
            wanted = _digits_letters(self.document_number)
            if len(wanted) >= 6 and wanted in _digits_letters(text):
                return True
        if names and self.name:
            wanted_tokens = name_tokens(self.name)
            return bool(wanted_tokens) and wanted_tokens <= name_tokens(text)
        return False


def find(session: Session, subject: Subject) -> list[Document]:
    """Every copy that names the person (scans the archive; a request is rare and reviewed)."""
    return [
        d
        for d in session.execute(select(Document).order_by(Document.id)).scalars()
        if subject.matches(d)
    ]


def export(session: Session, blobs: Blobs, docs: Iterable[Document]) -> bytes:
    """One zip with each copy's PDF, P7S, validation report and its audit trail."""
    buf = io.BytesIO()
    docs = list(docs)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        index = []
        for d in docs:
            base = f"document-{d.id}"
            files = {}
            for kind, digest, ext in (("pdf", d.pdf_sha256, "pdf"), ("p7s", d.p7s_sha256, "p7s")):
                if not digest:
                    continue
                try:
                    zf.writestr(f"{base}/{base}.{ext}", blobs.get(digest))
                    files[kind] = f"{base}/{base}.{ext}"
                except BlobError as exc:
                    files[kind] = f"unavailable: {exc.reason}"
            if d.report is not None:
                zf.writestr(
                    f"{base}/validation-report.json",
                    json.dumps(d.report, ensure_ascii=False, indent=2),
                )
            trail = [
                {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "remote": e.remote}
                for e in session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.object_type == "document", AuditEvent.object_id == str(d.id))
                    .order_by(AuditEvent.id)
                ).scalars()
            ]
            zf.writestr(f"{base}/audit-trail.json", json.dumps(trail, ensure_ascii=False, indent=2))
            index.append(
                {
                    "id": d.id,
                    "document_type": d.document_type,
                    "received_at": d.received_at.isoformat(),
                    "indication": d.indication,
                    "fields": d.fields,
                    "files": files,
                }
            )
        zf.writestr(
            "index.json",
            json.dumps(
                {"exported_at": dt.datetime.now(dt.UTC).isoformat(), "documents": index},
                ensure_ascii=False,
                indent=2,
            ),
        )
    return buf.getvalue()


def keyed_hash(key: bytes, subject: Subject) -> str:
    return hmac.new(key, subject.key().encode(), hashlib.sha256).hexdigest()


def record_erasure(
    session: Session, actor: str, subject: Subject, hmac_key: bytes, count: int, remote: str = ""
) -> None:
    """The audit entry of an erasure: a keyed hash of the identifiers and a count, nothing else."""
    audit.record(
        session,
        actor,
        "subject.erase",
        "subject",
        keyed_hash(hmac_key, subject)[:32],
        remote=remote,
        detail={"documents": count},
    )
