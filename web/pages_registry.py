"""Branches, their services (document packages) and Diia.QR codes: list, add, retire, import a
code file, download posters, see expiry at a glance. Rules live in `qrtools.registry`; this
module only turns forms into calls and errors into messages."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from archive.branches import add_branch, list_branches, update_branch
from archive.errors import ArchiveError
from archive.models import DOCUMENT_TYPES, Branch, utcnow
from qrtools import registry
from qrtools.errors import QrError
from web.auth import ADMIN, STAFF
from web.context import deps_of, lang_of
from web.render import (
    attachment_name,
    in_db,
    int_param,
    json_ok,
    page,
    record,
    see_other,
)
from web.security import requires
from web.services import remind_days, today

MAX_CODE_FILE = 10 * 1024 * 1024


def error_text(exc: ArchiveError, lang: str) -> str:
    if isinstance(exc, QrError):
        return exc.message(lang)
    return exc.detail


def branches_data(s: Session) -> list[dict[str, Any]]:
    services = registry.list_services(s)
    out = []
    for b in list_branches(s):
        out.append(
            {
                "id": b.id,
                "name": b.name,
                "address": b.address,
                "email": b.email,
                "organization": b.organization or "",
                "active": b.active,
                "services": [
                    {
                        "id": svc.id,
                        "name": svc.name,
                        "documents": list(svc.documents or []),
                        "retention_days": svc.retention_days,
                    }
                    for svc in services
                    if svc.branch_id == b.id
                ],
            }
        )
    return out


BRANCH_FIELDS = ("name", "address", "email", "organization")


async def _branches_page(
    request: web.Request,
    error: str | None = None,
    status: int = 200,
    typed: dict[str, str] | None = None,
    typed_for: int | None = None,
) -> web.Response:
    """The branches page. After a refused form, `typed` holds what was typed into it and
    `typed_for` names its branch (None: the "add" form), so nothing has to be typed again."""
    return page(
        request,
        "branches.html",
        {
            "branches": await in_db(request, branches_data),
            "document_types": DOCUMENT_TYPES,
            "error": error,
            "typed": typed or {},
            "typed_for": typed_for,
        },
        status=status,
    )


def _branch_form(form: Any) -> dict[str, str]:
    return {k: str(form.get(k, ""))[:1000] for k in BRANCH_FIELDS}


@requires(ADMIN)
async def branches_page(request: web.Request) -> web.Response:
    return await _branches_page(request)


@requires(ADMIN, STAFF)
async def api_branches(request: web.Request) -> web.Response:
    return json_ok({"branches": await in_db(request, branches_data)})


@requires(ADMIN)
async def branch_add(request: web.Request) -> web.Response:
    typed = _branch_form(await request.post())
    name, address, email = typed["name"], typed["address"], typed["email"]
    org = typed["organization"].strip()

    def work(s: Session) -> None:
        registry.validate_name(name)
        branch = add_branch(s, name, address, email, org or None)
        record(request, s, "branch.create", "branch", branch.id)

    try:
        await in_db(request, work)
    except ArchiveError as exc:
        text = error_text(exc, lang_of(request))
        return await _branches_page(request, text, status=400, typed=typed)
    raise see_other("/branches", "saved")


@requires(ADMIN)
async def branch_update(request: web.Request) -> web.Response:
    """Edit a branch's name, address, receiving e-mail and organisation (same rules as adding).
    A changed address makes its QR posters outdated, which the QR page then flags."""
    branch_id = int_param(request, "id")
    typed = _branch_form(await request.post())

    def work(s: Session) -> list[str]:
        if s.get(Branch, branch_id) is None:
            raise web.HTTPNotFound()
        registry.validate_name(typed["name"])
        changed = update_branch(
            s,
            branch_id,
            name=typed["name"],
            address=typed["address"],
            email=typed["email"],
            organization=typed["organization"],
        )
        if changed:
            record(request, s, "branch.update", "branch", branch_id, {"fields": changed})
        return changed

    try:
        changed = await in_db(request, work)
    except ArchiveError as exc:
        text = error_text(exc, lang_of(request))
        return await _branches_page(request, text, status=400, typed=typed, typed_for=branch_id)
    raise see_other("/branches", "address_changed" if "address" in changed else "saved")


@requires(ADMIN)
async def service_add(request: web.Request) -> web.Response:
    branch_id = int_param(request, "id")
    form = await request.post()
    name = str(form.get("name", ""))
    documents = [str(v) for v in form.getall("documents", [])]
    days_text = str(form.get("retention_days", "")).strip()

    def work(s: Session) -> None:
        days = int(days_text) if days_text.isdigit() else None
        svc = registry.add_service(s, branch_id, name, documents, days)
        record(request, s, "service.create", "service", svc.id, {"branch": branch_id})

    try:
        await in_db(request, work)
    except ArchiveError as exc:
        return await _branches_page(request, error_text(exc, lang_of(request)), status=400)
    raise see_other("/branches", "saved")


def codes_data(request: web.Request, s: Session) -> list[dict[str, Any]]:
    deps = deps_of(request)
    views = registry.list_codes(s, today(deps), remind_days=remind_days(deps))
    return [v.to_dict() for v in views]


def services_data(s: Session) -> list[dict[str, Any]]:
    names = {b.id: b.name for b in list_branches(s)}
    return [
        {"id": svc.id, "label": f"{names.get(svc.branch_id, '?')} — {svc.name}"}
        for svc in registry.list_services(s)
    ]


async def _qr_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    codes = await in_db(request, lambda s: codes_data(request, s))
    return page(
        request,
        "qr.html",
        {
            "codes": codes,
            "services": await in_db(request, services_data),
            "error": error,
            "today": today(deps_of(request)).isoformat(),
        },
        status=status,
    )


@requires(ADMIN)
async def qr_page(request: web.Request) -> web.Response:
    return await _qr_page(request)


@requires(ADMIN)
async def api_qr(request: web.Request) -> web.Response:
    return json_ok({"codes": await in_db(request, lambda s: codes_data(request, s))})


@requires(ADMIN)
async def qr_import(request: web.Request) -> web.Response:
    """A code from a pasted payload or from the file the portal gave (PNG, SVG or PDF)."""
    from qrtools.decode import decode_file

    lang = lang_of(request)
    form = await request.post()
    payload = str(form.get("payload", "")).strip()
    upload = form.get("file")
    try:
        if not payload and isinstance(upload, web.FileField):
            data = upload.file.read(MAX_CODE_FILE + 1)
            payload = await asyncio.to_thread(decode_file, data, upload.filename or "")
        service_text = str(form.get("service", ""))
        issued_text = str(form.get("issued_at", ""))
        try:
            service_id = int(service_text)
            issued = dt.date.fromisoformat(issued_text)
        except ValueError:
            raise ArchiveError("service / issued_at", reason="INVALID") from None
        replace = form.get("replace") in ("1", "on")

        def work(s: Session) -> None:
            from archive.models import Service

            svc = s.get(Service, service_id)
            if svc is None:
                raise ArchiveError(f"no service {service_id}", reason="NOT_FOUND")
            code = registry.import_code(s, svc.branch_id, svc.id, payload, issued, replace=replace)
            record(request, s, "qr.import", "qr_code", code.id, {"service": svc.id})

        await in_db(request, work)
    except ArchiveError as exc:
        return await _qr_page(request, error_text(exc, lang), status=400)
    raise see_other("/qr", "saved")


@requires(ADMIN)
async def qr_retire(request: web.Request) -> web.Response:
    code_id = int_param(request, "id")

    def work(s: Session) -> None:
        registry.retire_code(s, code_id, utcnow())
        record(request, s, "qr.retire", "qr_code", code_id)

    try:
        await in_db(request, work)
    except ArchiveError as exc:
        return await _qr_page(request, error_text(exc, lang_of(request)), status=404)
    raise see_other("/qr", "retired")


@requires(ADMIN)
async def qr_poster(request: web.Request) -> web.Response:
    from qrtools.poster import PosterInfo, poster_pdf, poster_svg

    deps = deps_of(request)
    code_id = int_param(request, "id")
    fmt = request.match_info["fmt"]
    lang = lang_of(request)

    def load(s: Session) -> Any:
        view = registry.get_code_view(s, code_id, today(deps), remind_days=remind_days(deps))
        record(request, s, "qr.poster", "qr_code", code_id, {"format": fmt})
        return view

    try:
        view = await in_db(request, load)
    except ArchiveError:
        raise web.HTTPNotFound() from None
    info = PosterInfo.from_view(view, lang=lang)
    name = attachment_name(f"qr-{code_id}.{fmt}", f"qr.{fmt}")
    if fmt == "pdf":
        body = await asyncio.to_thread(poster_pdf, info)
        return web.Response(
            body=body,
            content_type="application/pdf",
            headers={"Content-Disposition": f"attachment; {name}"},
        )
    svg = await asyncio.to_thread(poster_svg, info)
    return web.Response(
        text=svg,
        content_type="image/svg+xml",
        headers={"Content-Disposition": f"attachment; {name}"},
    )


def setup(app: web.Application) -> None:
    app.router.add_get("/branches", branches_page, name="branches")
    app.router.add_post("/branches", branch_add, name="branches.add")
    app.router.add_post("/branches/{id}", branch_update, name="branches.update")
    app.router.add_post("/branches/{id}/services", service_add, name="services.add")
    app.router.add_get("/qr", qr_page, name="qr")
    app.router.add_post("/qr", qr_import, name="qr.add")
    app.router.add_post("/qr/{id}/retire", qr_retire, name="qr.retire")
    app.router.add_get(r"/qr/{id}/poster.{fmt:pdf|svg}", qr_poster, name="qr.poster")
