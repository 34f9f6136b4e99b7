"""The data protection officer's pages: the audit log (filter by person, action, date; with the
hash chain checked) and the retention report (what the next purge would delete, what is held)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive import retention
from archive.audit import verify_chain
from archive.localtime import iso
from archive.models import AuditEvent, Branch, Document, utcnow
from web.auth import ADMIN, AUDITOR
from web.context import zone_of
from web.render import in_db, json_ok, page
from web.security import requires
from web.services import retention_days

PAGE_SIZE = 100


def _day(value: str, tz: ZoneInfo) -> dt.datetime | None:
    """The start of a calendar day in the display zone: the dates a person picks are local."""
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value.strip()), dt.time(), tzinfo=tz)
    except ValueError:
        return None


def audit_query(params: Any, tz: ZoneInfo) -> dict[str, Any]:
    try:
        number = max(1, min(10_000, int(params.get("page", "1"))))
    except ValueError:
        number = 1
    return {
        "actor": str(params.get("actor", "")).strip()[:150],
        "action": str(params.get("action", "")).strip()[:60],
        "from": _day(str(params.get("from", "")), tz),
        "to": _day(str(params.get("to", "")), tz),
        "page": number,
    }


def audit_events(s: Session, q: dict[str, Any]) -> dict[str, Any]:
    stmt = select(AuditEvent)
    if q["actor"]:
        stmt = stmt.where(AuditEvent.actor == q["actor"])
    if q["action"]:
        stmt = stmt.where(AuditEvent.action.startswith(q["action"]))
    if q["from"] is not None:
        stmt = stmt.where(AuditEvent.at >= q["from"])
    if q["to"] is not None:
        stmt = stmt.where(AuditEvent.at < q["to"] + dt.timedelta(days=1))
    total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = s.execute(
        stmt.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE).offset((q["page"] - 1) * PAGE_SIZE)
    ).scalars()
    events = [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "remote": e.remote,
            "detail": e.detail or {},
        }
        for e in rows
    ]
    actions = sorted(s.execute(select(AuditEvent.action).distinct()).scalars())
    actors = sorted(s.execute(select(AuditEvent.actor).distinct()).scalars())
    return {"total": total, "events": events, "actions": actions, "actors": actors}


@requires(ADMIN, AUDITOR)
async def audit_page(request: web.Request) -> web.Response:
    q = audit_query(request.query, zone_of(request))
    data = await in_db(request, lambda s: audit_events(s, q))
    problems = await in_db(request, lambda s: len(verify_chain(s)))
    base = {k: v for k, v in request.query.items() if k != "page"}
    return page(
        request,
        "audit.html",
        {
            **data,
            "params": request.query,
            "chain_problems": problems,
            "page_number": q["page"],
            "has_next": data["total"] > q["page"] * PAGE_SIZE,
            "base_params": base,
        },
    )


@requires(ADMIN, AUDITOR)
async def api_audit(request: web.Request) -> web.Response:
    q = audit_query(request.query, zone_of(request))
    data = await in_db(request, lambda s: audit_events(s, q))
    return json_ok({"total": data["total"], "events": data["events"]})


def retention_report(s: Session, default_days: int) -> dict[str, Any]:
    now = utcnow()
    plan = retention.plan_purge(s, now, default_days)
    per_service = retention.retention_days_by_branch(s)
    names = {b.id: b.name for b in s.execute(select(Branch)).scalars()}
    rules = [
        {"branch": names.get(branch_id, str(branch_id)), "document_type": doc_type, "days": days}
        for (branch_id, doc_type), days in sorted(per_service.items())
    ]
    total = s.execute(select(func.count(Document.id))).scalar_one()
    held = s.execute(select(func.count(Document.id)).where(Document.legal_hold)).scalar_one()
    return {
        "default_days": default_days,
        "documents_total": total,
        "due_documents": len(plan.documents),
        "due_messages": len(plan.messages),
        "held_total": held,
        "held_due": plan.held,
        "rules": rules,
    }


@requires(ADMIN, AUDITOR)
async def retention_page(request: web.Request) -> web.Response:
    from web.context import deps_of

    days = retention_days(deps_of(request))
    report = await in_db(request, lambda s: retention_report(s, days))
    return page(request, "retention.html", {"report": report})


def setup(app: web.Application) -> None:
    app.router.add_get("/audit", audit_page, name="audit")
    app.router.add_get("/retention", retention_page, name="retention")
