"""One archived copy: recognised fields, the report in plain words, the first pages as images
(web/previews.py) with the original PDF a click away, downloads, a printable report, and (for
admins) deletion. Every one of these is audited (page images: see
`web.documents.preview_source`)."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from archive.localtime import display_date
from qrtools.matching import describe_warning
from web.auth import ADMIN, STAFF
from web.context import deps_of, lang_of, zone_of
from web.documents import DocView, delete_document, preview_source, read_blob, view_document
from web.i18n import translator
from web.previews import Preview, unreadable
from web.render import int_param, page, see_other
from web.report_view import plain
from web.security import requires

ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
#: The thumbnail of a file that is not a readable PDF: a grey sheet with a cross (a fixed
#: picture of ours; nothing of the file is drawn).
NO_PREVIEW_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="90" viewBox="0 0 64 90">'
    b'<rect x="1" y="1" width="62" height="88" fill="#f1f3f5" stroke="#8a949e"/>'
    b'<path d="M20 33 L44 57 M44 33 L20 57" stroke="#8a949e" stroke-width="3"/></svg>'
)

FIELD_ORDER = (
    "person_name",
    "person_name_lat",
    "document_number",
    "rnokpp",
    "birth_date",
    "created_date",
    "made_for",
)


def describe_warnings(codes: list[str], lang: str) -> list[tuple[str, str]]:
    """Registry warnings (QR expired, wrong "made for", ...) in words, with their codes."""
    return [(code, describe_warning(code, lang)) for code in codes]


async def _context(request: web.Request, action: str) -> dict[str, object]:
    doc_id = int_param(request, "id")
    doc = await view_document(request, doc_id, action)
    lang = lang_of(request)
    # Recognised dates are stored as ISO days; people read DD.MM.YYYY (the one time helper).
    tz = zone_of(request)
    fields = [
        (k, display_date(v, tz) if ISO_DAY.fullmatch(str(v)) else v)
        for k in FIELD_ORDER
        if (v := doc.fields.get(k))
    ]
    return {
        "doc": doc,
        "fields": fields,
        "report": plain(doc.report, doc.indication, doc.sub_indication, translator(lang)),
        "warnings": describe_warnings(doc.warnings, lang),
    }


async def _preview(request: web.Request, doc_id: int, pdf_sha: str | None) -> Preview:
    """The page images (rendered now on the first view, on a worker thread)."""
    cache = deps_of(request).previews
    if cache is None:
        return unreadable("RENDER_FAILED")
    return await asyncio.to_thread(cache.pages, doc_id, pdf_sha)


@requires(ADMIN, STAFF)
async def document_page(request: web.Request) -> web.Response:
    context = await _context(request, "document.view")
    doc = context["doc"]
    assert isinstance(doc, DocView)
    preview = await _preview(request, doc.id, doc.pdf_sha256)
    context["preview"] = preview
    return page(request, "document.html", context)


def _png(data: bytes) -> web.Response:
    return web.Response(
        body=data,
        content_type="image/png",
        headers={"Cache-Control": "private, no-store"},
    )


@requires(ADMIN, STAFF)
async def page_image(request: web.Request) -> web.Response:
    """GET /documents/{id}/pages/{n}.png: one rendered page (404 beyond the rendered ones)."""
    doc_id, number = int_param(request, "id"), int_param(request, "n")
    cache = deps_of(request).previews
    pdf_sha = await preview_source(request, doc_id, audited=True)
    data = None
    if cache is not None:
        data = await asyncio.to_thread(cache.page, doc_id, pdf_sha, number)
    if data is None:
        raise web.HTTPNotFound(text="404: no such page image / такої сторінки немає")
    return _png(data)


@requires(ADMIN, STAFF)
async def thumb(request: web.Request) -> web.Response:
    """GET /documents/{id}/thumb.png: the first page, small; a "no preview" picture (ours, not
    the file's) when the file is not a readable PDF, so lists never show a broken image."""
    doc_id = int_param(request, "id")
    cache = deps_of(request).previews
    pdf_sha = await preview_source(request, doc_id, audited=False)
    data = None
    if cache is not None:
        data = await asyncio.to_thread(cache.thumb, doc_id, pdf_sha)
    if data is None:
        return web.Response(
            body=NO_PREVIEW_SVG,
            content_type="image/svg+xml",
            headers={"Cache-Control": "private, no-store"},
        )
    return _png(data)


@requires(ADMIN, STAFF)
async def print_page(request: web.Request) -> web.Response:
    return page(request, "print.html", await _context(request, "document.print"))


@requires(ADMIN, STAFF)
async def pdf(request: web.Request) -> web.Response:
    inline = request.query.get("inline") == "1"
    return await read_blob(request, int_param(request, "id"), "pdf", inline=inline)


@requires(ADMIN, STAFF)
async def p7s(request: web.Request) -> web.Response:
    return await read_blob(request, int_param(request, "id"), "p7s", inline=False)


@requires(ADMIN, STAFF)
async def message(request: web.Request) -> web.Response:
    return await read_blob(request, int_param(request, "id"), "message", inline=False)


@requires(ADMIN)
async def delete(request: web.Request) -> web.Response:
    doc_id = int_param(request, "id")
    if not await delete_document(request, doc_id):
        raise see_other(f"/documents/{doc_id}", "legal_hold")
    raise see_other("/search", "deleted")


def setup(app: web.Application) -> None:
    app.router.add_get("/documents/{id}", document_page, name="document")
    app.router.add_get("/documents/{id}/print", print_page, name="document.print")
    app.router.add_get("/documents/{id}/pdf", pdf, name="document.pdf")
    app.router.add_get("/documents/{id}/pages/{n}.png", page_image, name="document.page")
    app.router.add_get("/documents/{id}/thumb.png", thumb, name="document.thumb")
    app.router.add_get("/documents/{id}/p7s", p7s, name="document.p7s")
    app.router.add_get("/documents/{id}/message", message, name="document.message")
    app.router.add_post("/documents/{id}/delete", delete, name="document.delete")
