"""Data-subject requests for the data protection officer: find, export, erase.

A request is matched exactly (search.subjects): the page shows the *identities* found (so the
officer sees "2 people called Шевченко Тарас" before acting), the copies whose text only
mentions the person (to check by hand) and the copies that could not be read (manual review).
Export and erasure take one identity's copies; an ambiguous request is refused until it is
narrowed. Erasure (admins only) is a dry run first: the page lists exactly the copies that will
go, and the confirmation only proceeds if the same request still selects the same copies.

The person's identifiers travel only in POST bodies (never in URLs, where access logs and
browser history would keep them), and the audit entries hold criteria kinds and counts.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from archive.localtime import iso
from archive.models import Document
from search import subjects
from web.auth import ADMIN, AUDITOR
from web.context import deps_of
from web.render import attachment_name, in_db, page, principal_of, record, remote_of
from web.security import requires

_MATCHER: web.AppKey[list[subjects.Matcher]] = web.AppKey("subject_matcher", list)


async def _matcher(request: web.Request) -> subjects.Matcher:
    """One matcher per app (the morphology dictionary takes about half a second to load)."""
    held = request.app[_MATCHER]
    if not held:
        from search.analysis import Analyzer

        held.append(subjects.Matcher(await asyncio.to_thread(Analyzer)))
    return held[0]


async def _form(request: web.Request) -> tuple[dict[str, str], subjects.Subject | None, str]:
    form = await request.post()

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()[:300]

    values = {k: text(k) for k in ("name", "rnokpp", "birth_date", "document_number")}
    values["copies"] = text("copies")
    try:
        subject = subjects.Subject(
            name=values["name"] or None,
            rnokpp=values["rnokpp"] or None,
            birth_date=subjects.parse_birth_date(values["birth_date"] or None),
            number=values["document_number"] or None,
        )
    except ValueError:
        return values, None, "subjects.need"
    return values, subject, ""


def _row(d: Document) -> dict[str, Any]:
    return {
        "id": d.id,
        "document_type": d.document_type,
        "received_at": iso(d.received_at),
        "person_name": (d.fields or {}).get("person_name", ""),
        "legal_hold": d.legal_hold,
    }


def _view(findings: subjects.Findings) -> dict[str, Any]:
    return {
        "identities": [
            {
                "names": f.identity.names,
                "birth_dates": sorted(f.identity.birth_dates),
                "rnokpp": sorted(f.identity.rnokpps),
                "copies": [_row(d) for d in f.documents],
            }
            for f in findings.identities
        ],
        "to_check": [_row(d) for d in findings.to_check],
        "unreadable": [_row(d) for d in findings.unreadable],
    }


def _copies(values: dict[str, str]) -> list[int] | None:
    ids = [int(x) for x in values.get("copies", "").replace(",", " ").split() if x.isdigit()]
    return ids or None


@requires(ADMIN, AUDITOR)
async def subjects_page(request: web.Request) -> web.Response:
    return page(request, "subjects.html", {"result": None, "error": None, "form": {}})


@requires(ADMIN, AUDITOR)
async def subjects_find(request: web.Request) -> web.Response:
    values, subject, error = await _form(request)
    if subject is None:
        ctx = {"result": None, "error": error, "form": values}
        return page(request, "subjects.html", ctx, 400)
    match = await _matcher(request)

    def work(s: Session) -> dict[str, Any]:
        findings = subjects.find(s, subject, match)
        record(
            request,
            s,
            "subject.find",
            "subject",
            "",
            {
                "criteria": subject.criteria(),
                "found": len(findings.documents),
                "identities": len(findings.identities),
                "to_check": len(findings.to_check),
                "unreadable": len(findings.unreadable),
            },
        )
        return _view(findings)

    result = await in_db(request, work)
    return page(request, "subjects.html", {"result": result, "error": None, "form": values})


async def _selection(
    request: web.Request, values: dict[str, str], subject: subjects.Subject, *, erasure: bool
) -> tuple[subjects.Selection | None, web.Response | None]:
    """The copies the request takes, or the page that says why it was refused (409)."""
    match = await _matcher(request)

    def work(s: Session) -> subjects.Selection | subjects.Findings | str:
        findings = subjects.find(s, subject, match)
        try:
            return subjects.select(findings, _copies(values), same_message=erasure)
        except subjects.Ambiguous:
            return findings
        except subjects.NotAmongFound:
            return "subjects.not_found_copy"

    got = await in_db(request, work)
    if isinstance(got, subjects.Selection):
        return got, None
    if isinstance(got, str):
        ctx = {"result": None, "error": got, "form": values}
        return None, page(request, "subjects.html", ctx, 409)
    ctx = {"result": _view(got), "error": "subjects.ambiguous", "form": values}
    return None, page(request, "subjects.html", ctx, 409)


@requires(ADMIN, AUDITOR)
async def subjects_export(request: web.Request) -> web.Response:
    values, subject, error = await _form(request)
    if subject is None:
        return page(request, "subjects.html", {"result": None, "error": error, "form": values}, 400)
    selection, refused = await _selection(request, values, subject, erasure=False)
    if selection is None:
        assert refused is not None
        return refused
    deps = deps_of(request)
    ids = [d.id for d in selection.documents]

    def work(s: Session) -> bytes:
        docs = [d for d in (s.get(Document, i) for i in ids) if d is not None]
        detail = {"criteria": subject.criteria(), "documents": len(docs)}
        record(request, s, "subject.export", "subject", "", detail)
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


@requires(ADMIN)
async def subjects_erase(request: web.Request) -> web.Response:
    """Dry run unless confirmed with the exact list of copies the dry run showed."""
    values, subject, error = await _form(request)
    if subject is None:
        return page(request, "subjects.html", {"result": None, "error": error, "form": values}, 400)
    selection, refused = await _selection(request, values, subject, erasure=True)
    if selection is None:
        assert refused is not None
        return refused
    shown = sorted(d.id for d in selection.documents)
    form = await request.post()
    plan = {
        "copies": [_row(d) for d in selection.documents],
        "ids": " ".join(map(str, shown)),
        "same_message": selection.same_message,
        "unchecked": selection.unchecked,
        "to_check": [d.id for d in selection.findings.to_check],
    }
    confirmed = str(form.get("confirm", "")) == "1"
    if not confirmed or str(form.get("shown", "")).split() != [str(i) for i in shown]:
        error_key = "subjects.changed" if confirmed else None
        ctx = {"result": None, "plan": plan, "error": error_key, "form": values}
        return page(request, "subjects.html", ctx)
    erase = deps_of(request).services.subject_erase
    if erase is None:
        raise web.HTTPServiceUnavailable(text="503: erasure is not configured")
    match = await _matcher(request)
    report = await asyncio.to_thread(
        erase,
        subject,
        principal_of(request).username,
        remote_of(request),
        _copies(values),
        match,
    )
    done = {
        "erased": list(report.erased),
        "held": list(report.held),
        "same_message": list(report.selection.same_message),
        "unchecked": report.unchecked,
        "to_check": report.to_check,
    }
    return page(request, "subjects.html", {"result": None, "done": done, "form": values})


def setup(app: web.Application) -> None:
    app[_MATCHER] = []
    app.router.add_get("/subjects", subjects_page, name="subjects")
    app.router.add_post("/subjects", subjects_find, name="subjects.find")
    app.router.add_post("/subjects/export", subjects_export, name="subjects.export")
    app.router.add_post("/subjects/erase", subjects_erase, name="subjects.erase")
