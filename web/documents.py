"""Reading and deleting archived copies for the pages and the API (one place, one audit rule).

Every read of a copy's contents and every deletion writes an audit event in the same
transaction that reads or deletes, so nothing is shown or removed without its trace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import retention
from archive.blobs import BlobError
from archive.localtime import display, iso
from archive.models import AuditEvent, Document, Message, utcnow
from web.context import deps_of, zone_of
from web.render import in_db, principal_of, record

#: What can be downloaded of a copy, and the audit action each writes.
KINDS = {
    "pdf": ("document.download_pdf", "application/pdf", ".pdf"),
    "p7s": ("document.download_p7s", "application/pkcs7-signature", ".p7s"),
    "message": ("document.download_message", "message/rfc822", ".eml"),
}

log = logging.getLogger("web.documents")


@dataclass(frozen=True)
class DocView:
    id: int
    filename: str
    document_type: str | None
    received_at: str
    received_display: str
    branch: str | None
    branch_id: int | None
    branch_organization: str | None
    fields: dict[str, Any]
    report: dict[str, Any] | None
    indication: str
    sub_indication: str | None
    signer: str | None
    flags: list[str]
    warnings: list[str]
    legal_hold: bool
    has_pdf: bool
    has_p7s: bool
    has_message: bool
    message_id: int | None
    subject: str
    sender: str
    #: The PDF's blob (for page images); not part of the API's metadata.
    pdf_sha256: str | None = None

    def metadata(self) -> dict[str, Any]:
        """The API's view: everything except blob contents."""
        return {
            "id": self.id,
            "filename": self.filename,
            "document_type": self.document_type,
            "received_at": self.received_at,
            "branch": self.branch,
            "branch_id": self.branch_id,
            "fields": self.fields,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "signer": self.signer,
            "flags": self.flags,
            "warnings": self.warnings,
            "legal_hold": self.legal_hold,
            "message_id": self.message_id,
            "subject": self.subject,
            "downloads": {
                "pdf": self.has_pdf,
                "p7s": self.has_p7s,
                "message": self.has_message,
            },
            "report": self.report,
        }


def _view(doc: Document, tz: ZoneInfo) -> DocView:
    msg = doc.message
    return DocView(
        id=doc.id,
        filename=doc.filename or "",
        document_type=doc.document_type,
        received_at=iso(doc.received_at) or "",
        received_display=display(doc.received_at, tz),
        branch=doc.branch.name if doc.branch is not None else None,
        branch_id=doc.branch_id,
        branch_organization=doc.branch.organization if doc.branch is not None else None,
        fields=dict(doc.fields or {}),
        report=doc.report,
        indication=doc.indication or "UNSIGNED",
        sub_indication=doc.sub_indication,
        signer=doc.signer,
        flags=list(doc.flags or []),
        warnings=list(doc.warnings or []),
        legal_hold=bool(doc.legal_hold),
        has_pdf=bool(doc.pdf_sha256),
        has_p7s=bool(doc.p7s_sha256),
        has_message=bool(msg is not None and msg.raw_sha256),
        message_id=doc.message_id,
        subject=msg.subject if msg is not None else "",
        sender=msg.envelope_from if msg is not None else "",
        pdf_sha256=doc.pdf_sha256,
    )


def _get(s: Session, doc_id: int) -> Document:
    doc = s.get(Document, doc_id)
    if doc is None:
        raise web.HTTPNotFound(text="404: no such document / документа немає")
    return doc


async def view_document(request: web.Request, doc_id: int, action: str | None) -> DocView:
    """The copy's facts; `action` ("document.view", "document.print") is audited with it."""

    def work(s: Session) -> DocView:
        doc = _get(s, doc_id)
        view = _view(doc, zone_of(request))
        if action:
            record(request, s, action, "document", doc.id)
        return view

    return await in_db(request, work)


#: Audit actions that show a copy's contents; one of them by the same user within
#: VIEW_COVERS covers the page images fetched after it.
VIEWS = ("document.view", "document.view_pages", "document.view_pdf", "document.print")
VIEW_COVERS = dt.timedelta(minutes=15)


def _viewed_recently(s: Session, actor: str, doc_id: int) -> bool:
    since = utcnow() - VIEW_COVERS
    found = s.execute(
        select(AuditEvent.id)
        .where(
            AuditEvent.at >= since,
            AuditEvent.actor == actor,
            AuditEvent.object_type == "document",
            AuditEvent.object_id == str(doc_id),
            AuditEvent.action.in_(VIEWS),
        )
        .limit(1)
    ).first()
    return found is not None


async def preview_source(request: web.Request, doc_id: int, *, audited: bool) -> str | None:
    """The PDF blob behind a copy's page images (404 for no such copy).

    Audit rule for images: the document page that shows them is audited ("document.view"),
    so an entry per image would only repeat it ten times. A page image is still a view of the
    contents, so one fetched without such a view by the same user in the last VIEW_COVERS
    (a script reading images directly) writes "document.view_pages" itself: every sight of a
    page traces to an audit entry, and a normal visit adds none. Thumbnails (`audited=False`,
    128 px wide: a line of text is about 2 px high) show nothing legible, so a list of twenty
    results does not write twenty entries.
    """
    who = principal_of(request)

    def work(s: Session) -> str | None:
        doc = _get(s, doc_id)
        if audited and not _viewed_recently(s, who.username, doc.id):
            record(request, s, "document.view_pages", "document", doc.id)
        return doc.pdf_sha256

    return await in_db(request, work)


async def read_blob(request: web.Request, doc_id: int, kind: str, *, inline: bool) -> web.Response:
    """The bytes of a copy's PDF, P7S or original message, audited as a view or a download."""
    action, content_type, suffix = KINDS[kind]
    if inline:
        action = "document.view_pdf"
    deps = deps_of(request)

    def work(s: Session) -> tuple[str, str]:
        doc = _get(s, doc_id)
        digest: str | None
        if kind == "pdf":
            digest = doc.pdf_sha256
        elif kind == "p7s":
            digest = doc.p7s_sha256
        else:
            digest = doc.message.raw_sha256 if doc.message is not None else None
        if not digest:
            raise web.HTTPNotFound(text="404: not stored / не збережено")
        record(request, s, action, "document", doc.id)
        stem = (doc.filename or f"document-{doc.id}").rsplit(".", 1)[0]
        if kind == "p7s" and stem.lower().endswith(".pdf"):
            stem = stem[:-4]
        return digest, stem + suffix

    digest, name = await in_db(request, work)
    try:
        data = await asyncio.to_thread(deps.blobs.get, digest)
    except BlobError as exc:
        # Not the user's fault and not silent: a node that cannot read a stored copy (blob
        # folder not shared, another keyring) says so in its log and to the user.
        log.warning("document %s: %s blob not readable on this node: %s", doc_id, kind, exc.reason)
        raise web.HTTPServiceUnavailable(
            text=(
                f"503: {exc.reason}: цей вузол не може прочитати збережену копію; повідомте "
                "адміністратора / this node cannot read the stored copy; tell the administrator"
            )
        ) from None
    from web.render import attachment_name

    disposition = "inline" if inline else "attachment"
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "Content-Disposition": f"{disposition}; {attachment_name(name, 'document' + suffix)}",
            "Cache-Control": "no-store",
        },
    )


async def delete_document(request: web.Request, doc_id: int) -> bool:
    """Delete a copy (and its message and blobs when nothing else uses them); False if on hold."""
    deps = deps_of(request)

    def plan() -> retention.PurgePlan | None:
        with deps.db.session() as s:
            doc = _get(s, doc_id)
            if doc.legal_hold:
                return None
            return retention.plan_deletion(s, [doc])

    found = await asyncio.to_thread(plan)
    if found is None:
        return False

    def audit_in(s: Session) -> None:
        record(request, s, "document.delete", "document", doc_id)

    # The index entry is only marked deleted here (a merge is too slow for a request); the
    # daily purge compacts the index so its bytes leave the files too.
    derived: list[retention.Forget] = []
    if deps.previews is not None:
        derived.append(deps.previews.forget)
    search = deps.services.search
    if search is not None:
        derived.append(search.delete)
    await asyncio.to_thread(
        retention.delete_everywhere,
        deps.db,
        deps.blobs,
        found,
        derived=derived,
        before_commit=audit_in,
    )
    return True


def message_of(s: Session, message_id: int) -> Message:
    msg = s.get(Message, message_id)
    if msg is None:
        raise web.HTTPNotFound()
    return msg


def documents_of_message(s: Session, message_id: int) -> list[int]:
    return list(s.execute(select(Document.id).where(Document.message_id == message_id)).scalars())
