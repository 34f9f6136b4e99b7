"""Data-subject requests for the data protection officer: "what do you hold about me?" and
"give it to me" (find and export). Erasure stays a deliberate command-line act
(`diia-inbox subject erase`), reviewed after a find here.

The person's identifiers travel only in POST bodies (never in URLs, where access logs and
browser history would keep them), and the audit entries hold counts, not the identifiers.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from archive import subjects
from web.auth import ADMIN, AUDITOR
from web.context import deps_of
from web.render import attachment_name, in_db, page, record
from web.security import requires


async def _subject(request: web.Request) -> subjects.Subject | None:
    form = await request.post()

    def text(name: str) -> str | None:
        value = str(form.get(name, "")).strip()[:300]
        return value or None

    try:
        return subjects.Subject(text("name"), text("rnokpp"), text("document_number"))
    except ValueError:
        return None


def _rows(docs: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "document_type": d.document_type,
            "received_at": d.received_at.isoformat(timespec="seconds"),
            "person_name": (d.fields or {}).get("person_name", ""),
            "legal_hold": d.legal_hold,
        }
        for d in docs
    ]


@requires(ADMIN, AUDITOR)
async def subjects_page(request: web.Request) -> web.Response:
    return page(request, "subjects.html", {"found": None, "error": None, "form": {}})


@requires(ADMIN, AUDITOR)
async def subjects_find(request: web.Request) -> web.Response:
    subject = await _subject(request)
    if subject is None:
        return page(
            request, "subjects.html", {"found": None, "error": "subjects.need", "form": {}}, 400
        )

    def work(s: Session) -> list[dict[str, Any]]:
        docs = subjects.find(s, subject)
        record(request, s, "subject.find", "subject", "", {"found": len(docs)})
        return _rows(docs)

    found = await in_db(request, work)
    form = {"name": subject.name, "rnokpp": subject.rnokpp, "number": subject.document_number}
    return page(request, "subjects.html", {"found": found, "error": None, "form": form})


@requires(ADMIN, AUDITOR)
async def subjects_export(request: web.Request) -> web.Response:
    subject = await _subject(request)
    if subject is None:
        raise web.HTTPBadRequest(text="400: a name, an RNOKPP or a document number is needed")
    deps = deps_of(request)

    def work(s: Session) -> bytes:
        docs = subjects.find(s, subject)
        record(request, s, "subject.export", "subject", "", {"documents": len(docs)})
        for d in docs:
            record(request, s, "document.export", "document", d.id)
        return subjects.export(s, deps.blobs, docs)

    data = await in_db(request, work)
    return web.Response(
        body=data,
        content_type="application/zip",
        headers={
            "Content-Disposition": f"attachment; {attachment_name('subject-export.zip', 'x.zip')}",
            "Cache-Control": "no-store",
        },
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/subjects", subjects_page, name="subjects")
    app.router.add_post("/subjects", subjects_find, name="subjects.find")
    app.router.add_post("/subjects/export", subjects_export, name="subjects.export")
