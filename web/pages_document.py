"""One archived copy: recognised fields, the report in plain words, the PDF inline, downloads,
a printable report, and (for admins) deletion. Every one of these is audited."""

from __future__ import annotations

import re

from aiohttp import web

from archive.localtime import display_date
from qrtools.matching import describe_warning
from web.auth import ADMIN, STAFF
from web.context import lang_of, zone_of
from web.documents import delete_document, read_blob, view_document
from web.i18n import translator
from web.render import int_param, page, see_other
from web.report_view import plain
from web.security import requires

ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")
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


@requires(ADMIN, STAFF)
async def document_page(request: web.Request) -> web.Response:
    return page(request, "document.html", await _context(request, "document.view"))


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
    app.router.add_get("/documents/{id}/p7s", p7s, name="document.p7s")
    app.router.add_get("/documents/{id}/message", message, name="document.message")
    app.router.add_post("/documents/{id}/delete", delete, name="document.delete")
