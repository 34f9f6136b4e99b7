"""Data-subject requests, the archive's part: the export zip and the keyed audit entry.

Which copies belong to the person is decided in search.subjects (exact matching through the
Ukrainian analysis, identities, refusal of ambiguity); this module only packs the chosen copies
and records what was done without naming the person.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select as sql_select
from sqlalchemy.orm import Session

from archive import audit
from archive.blobs import BlobError, Blobs
from archive.models import AuditEvent, Document


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
                    sql_select(AuditEvent)
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


def keyed_hash(key: bytes, canonical: str) -> str:
    """HMAC of a request's canonical criteria: proves later which request was carried out."""
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def record_erasure(
    session: Session,
    actor: str,
    canonical: str,
    hmac_key: bytes,
    detail: dict[str, Any],
    remote: str = "",
) -> None:
    """The audit entry of an erasure: the keyed hash of the criteria and `detail` (criteria
    kinds, copy ids and counts), never a name or a number in clear."""
    audit.record(
        session,
        actor,
        "subject.erase",
        "subject",
        keyed_hash(hmac_key, canonical)[:32],
        remote=remote,
        detail=detail,
    )
