"""Manual signature check: upload a P7S (and its PDF when detached), read the report.

Nothing is stored by default: the files live only for the request. An admin may tick "save to
archive", which files the copy like a received one (source "manual"), audited, through the
filing use case (`ingest.manual.file_checked`); this page only reads the form and shows the
outcome.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from ingest.manual import CheckedCopy
from verify.errors import VerifyError
from verify.report import Report
from verify.validate import validate
from web.auth import ADMIN, STAFF
from web.context import deps_of, lang_of
from web.i18n import translator
from web.render import actor_of, in_db, json_error, json_ok, principal_of, record
from web.render import page as render_page
from web.report_view import plain
from web.security import requires
from web.services import need

MAX_P7S = 32 * 1024 * 1024
MAX_PDF = 50 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    p7s: bytes
    p7s_name: str
    pdf: bytes | None
    pdf_name: str
    save: bool


class BadUpload(Exception):
    reason = "BAD_UPLOAD"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_upload(request: web.Request) -> Upload:
    """The multipart form: `p7s` (required), `pdf` (optional), `save` (checkbox)."""
    if not request.content_type.startswith("multipart/"):
        raise BadUpload("NOT_MULTIPART")
    form = await request.post()
    p7s_field, pdf_field = form.get("p7s"), form.get("pdf")
    if not isinstance(p7s_field, web.FileField):
        raise BadUpload("P7S_MISSING")
    p7s = p7s_field.file.read(MAX_P7S + 1)
    if not p7s:
        raise BadUpload("P7S_MISSING")
    if len(p7s) > MAX_P7S:
        raise BadUpload("P7S_TOO_LARGE")
    pdf: bytes | None = None
    pdf_name = ""
    if isinstance(pdf_field, web.FileField):
        pdf = pdf_field.file.read(MAX_PDF + 1) or None
        pdf_name = pdf_field.filename or ""
        if pdf is not None and len(pdf) > MAX_PDF:
            raise BadUpload("PDF_TOO_LARGE")
    return Upload(
        p7s=p7s,
        p7s_name=(p7s_field.filename or "signature.p7s")[:300],
        pdf=pdf,
        pdf_name=pdf_name[:300],
        save=form.get("save") in ("1", "on", "yes"),
    )


async def check(request: web.Request, upload: Upload) -> Report:
    """Run the verifier; returns a verify Report, or raises BadUpload for non-CMS input."""
    context_factory = need(deps_of(request).services.verify_context, "verify_context")

    def run() -> Report:
        return validate(upload.p7s, upload.pdf, context_factory())

    try:
        return await asyncio.to_thread(run)
    except VerifyError as exc:
        raise BadUpload(exc.reason) from None


async def save(request: web.Request, upload: Upload, report: Report) -> int:
    """File the checked copy in the archive as a manual entry (ingest/manual.py); returns the
    document id."""
    file_checked = need(deps_of(request).services.file_checked, "file_checked")
    checked = CheckedCopy(upload.p7s, upload.p7s_name, upload.pdf, upload.pdf_name, report)
    outcome = await asyncio.to_thread(file_checked, checked, actor_of(request))
    return outcome.documents[0]


async def _audit_check(request: web.Request, report: Report) -> None:
    def work(s: Session) -> None:
        record(request, s, "signature.check", "upload", "", {"indication": str(report.indication)})

    await in_db(request, work)


@requires(ADMIN, STAFF)
async def check_form(request: web.Request) -> web.Response:
    return render_page(request, "check.html", {"report": None, "error": None})


@requires(ADMIN, STAFF)
async def check_submit(request: web.Request) -> web.Response:
    t = translator(lang_of(request))
    try:
        upload = await read_upload(request)
        report = await check(request, upload)
    except BadUpload as exc:
        return render_page(request, "check.html", {"report": None, "error": exc.reason}, status=400)
    await _audit_check(request, report)
    saved: int | None = None
    if upload.save and principal_of(request).role == ADMIN:
        saved = await save(request, upload, report)
    view = plain(report.to_dict(), None, None, t)
    return render_page(
        request,
        "check.html",
        {"report": view, "error": None, "saved": saved, "checked_name": upload.p7s_name},
    )


@requires(ADMIN, STAFF)
async def api_verify(request: web.Request) -> web.Response:
    """POST /api/v1/verify: the same check for scripts; multipart `p7s`, optional `pdf`."""
    try:
        upload = await read_upload(request)
        report = await check(request, upload)
    except BadUpload as exc:
        return json_error(400, exc.reason)
    await _audit_check(request, report)
    out: dict[str, Any] = {"report": report.to_dict(), "saved_document": None}
    if upload.save and principal_of(request).role == ADMIN:
        out["saved_document"] = await save(request, upload, report)
    return json_ok(out)


def setup(app: web.Application) -> None:
    app.router.add_get("/check", check_form, name="check")
    app.router.add_post("/check", check_submit, name="check.submit")
