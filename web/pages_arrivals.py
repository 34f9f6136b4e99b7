"""Arrivals: the home page of the front desk, live while it is open.

Staff and admins land on the newest copies (today's first, grouped by e-mail), each with the
person, document type, verdict, branch and local time, and can mark a copy "опрацьовано". The
page listens on `/arrivals/events` (Server-Sent Events) and re-reads its list fragment when a
newer copy exists; without EventSource it polls `/arrivals/latest`. Auditors, who may not see
copies, keep the menu of their tasks. The same listing is `GET /api/v1/documents`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archive.arrivals import (
    MAX_LIMIT,
    Arrival,
    ArrivalFilter,
    ArrivalPage,
    group_by_message,
    list_arrivals,
    mark_processed,
)
from archive.errors import NotFound
from archive.localtime import DATE, clock, day, display, iso
from archive.models import Message
from search.query import STATUSES
from web import services
from web.auth import ADMIN, ANYONE, STAFF
from web.context import deps_of, zone_of
from web.live import ArrivalWatch
from web.render import in_db, int_param, json_error, json_ok, page, principal_of, record
from web.report_view import badge_of
from web.security import PRINCIPAL, SECURITY_HEADERS, requires

PAGE_SIZE = 30
WATCH: web.AppKey[ArrivalWatch] = web.AppKey("arrivals_watch", ArrivalWatch)
#: How long an idle event stream waits before a keep-alive comment (proxies drop silent ones);
#: the stream also re-checks its sign-in then, so a disabled user's stream ends.
KEEPALIVE_SECONDS = 15.0
#: Open event streams per web process; beyond it a page polls instead (503 closes an
#: EventSource, and arrivals.js then falls back), so open tabs cannot hold the server.
MAX_STREAMS = 200
#: The query parameters of the arrivals page, kept across a "processed" mark and live reloads.
PAGE_PARAMS = ("unprocessed", "status", "page")


class BadParameter(ValueError):
    reason = "BAD_PARAMETER"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def page_filter(params: Mapping[str, str]) -> ArrivalFilter:
    """The page's filters: `unprocessed=1`, `status=passed|failed|indeterminate|unsigned`."""
    status = params.get("status", "")
    return ArrivalFilter(
        indications=(STATUSES[status],) if status in STATUSES else (),
        processed=False if params.get("unprocessed") == "1" else None,
    )


def _page_number(params: Mapping[str, str]) -> int:
    text = params.get("page", "1")
    return max(1, min(10_000, int(text))) if text.isdigit() and len(text) < 7 else 1


def _day_label(value: dt.date, today: dt.date) -> str:
    if value == today:
        return "arrivals.today"
    if value == today - dt.timedelta(days=1):
        return "arrivals.yesterday"
    return value.strftime(DATE)


def _item(a: Arrival, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": a.id,
        "person_name": a.person_name,
        "document_type": a.document_type,
        "indication": a.indication,
        "badge": badge_of(a.indication),
        "branch": a.branch,
        "received_iso": iso(a.received_at),
        "received_time": clock(a.received_at, tz),
        "received_display": display(a.received_at, tz),
        "processed": a.processed_at is not None,
        "processed_by": a.processed_by,
        "processed_display": display(a.processed_at, tz),
    }


def shape(result: ArrivalPage, today: dt.date, tz: ZoneInfo) -> list[dict[str, Any]]:
    """Days (today's first), each with its e-mails, each with its copies."""
    days: list[dict[str, Any]] = []
    for group in group_by_message(result.items):
        first = group[0]
        label = _day_label(day(first.received_at, tz), today)
        if not days or days[-1]["label"] != label:
            days.append({"label": label, "translate": label.startswith("arrivals."), "mails": []})
        days[-1]["mails"].append(
            {"message_id": first.message_id, "items": [_item(a, tz) for a in group]}
        )
    return days


def local_today(tz: ZoneInfo) -> dt.date:
    return dt.datetime.now(tz).date()


async def _context(request: web.Request, *, audit: bool) -> dict[str, Any]:
    params = request.query
    number = _page_number(params)
    f = page_filter(params)

    def work(s: Session) -> ArrivalPage:
        result = list_arrivals(s, f, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
        if audit and result.items:
            record(request, s, "document.list", "arrivals", "", {"count": len(result.items)})
        return result

    result = await in_db(request, work)
    kept = {k: params[k] for k in PAGE_PARAMS if k in params and k != "page"}
    pages = max(1, math.ceil(result.total / PAGE_SIZE))
    return {
        "days": shape(result, local_today(zone_of(request)), zone_of(request)),
        "total": result.total,
        "latest_id": result.latest_id,
        "page_number": number,
        "pages": pages,
        "kept": kept,
        "kept_qs": urlencode(kept),
        "fragment_url": "/arrivals/list?" + urlencode({**kept, "page": str(number)}),
        "back": "/?" + urlencode({**kept, "page": str(number)}),
        "statuses": tuple(STATUSES),
        "unprocessed": params.get("unprocessed") == "1",
        "status": params.get("status", ""),
        "live": number == 1,
    }


async def _admin_counts(request: web.Request) -> dict[str, int]:
    deps = deps_of(request)

    def count(s: Session) -> dict[str, int]:
        from qrtools.expiry import expired_count, expiring_count

        day_ = services.today(deps)
        days = services.remind_days(deps)
        quarantined = s.execute(
            select(func.count(Message.id)).where(Message.status == "quarantined")
        ).scalar_one()
        return {
            "qr_attention": expiring_count(s, day_, days) + expired_count(s, day_),
            "quarantined": int(quarantined),
        }

    counts = await in_db(request, count)
    spool = deps.services.spool
    if spool is not None:
        counts["quarantined"] += len(await asyncio.to_thread(spool.list_quarantine))
    return counts


@requires(*ANYONE)
async def home(request: web.Request) -> web.Response:
    """Arrivals for those who handle copies; the auditor's task menu for auditors."""
    principal = request[PRINCIPAL]
    if principal is None or principal.role not in (ADMIN, STAFF):
        return page(request, "home.html", {"qr_attention": 0})
    context = await _context(request, audit=True)
    context["counts"] = await _admin_counts(request) if principal.role == ADMIN else None
    context["qr_attention"] = (context["counts"] or {}).get("qr_attention", 0)
    response = page(request, "arrivals.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@requires(ADMIN, STAFF)
async def fragment(request: web.Request) -> web.Response:
    """The list alone, for the live page to swap in (same filters and page as the page)."""
    response = page(request, "_arrivals_list.html", await _context(request, audit=True))
    response.headers["Cache-Control"] = "no-store"
    return response


@requires(ADMIN, STAFF)
async def latest(request: web.Request) -> web.Response:
    """The newest copy id: the polling fallback's cheap question (no personal data)."""
    from archive.arrivals import latest_id

    response = json_ok({"latest_id": await in_db(request, latest_id)})
    response.headers["Cache-Control"] = "no-store"
    return response


@requires(ADMIN, STAFF)
async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: `event: arrival` with the newest copy id whenever it changes."""
    watch = request.app[WATCH]
    if watch.listeners >= MAX_STREAMS:
        return json_error(503, "TOO_MANY_STREAMS", "poll /arrivals/latest instead")
    text = request.query.get("after", "")
    seen = int(text) if text.isdigit() and len(text) < 19 else -1
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",
            **SECURITY_HEADERS,
        }
    )
    await response.prepare(request)
    watch.listeners += 1
    try:
        await watch.refresh()
        await response.write(b"retry: 3000\n\n")
        while not watch.closing.is_set():
            newest = await watch.wait_newer(seen, KEEPALIVE_SECONDS)
            if watch.closing.is_set():
                break
            if newest != seen:
                seen = newest
                await response.write(f"event: arrival\ndata: {newest}\n\n".encode())
            else:
                if not await _still_allowed(request):
                    break  # signed out, disabled or demoted since the stream opened
                await response.write(b": keep-alive\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        watch.listeners -= 1
    return response


async def _still_allowed(request: web.Request) -> bool:
    from web.security import resolve_principal

    principal = await resolve_principal(request, deps_of(request))
    return principal is not None and principal.role in (ADMIN, STAFF)


def _safe_back(value: str) -> str:
    """Back to the arrivals page with its own filters only (never an arbitrary URL)."""
    from urllib.parse import parse_qsl

    if not value.startswith("/?"):
        return "/"
    kept = {k: v for k, v in parse_qsl(value[2:]) if k in PAGE_PARAMS and v.isalnum()}
    return "/?" + urlencode(kept) if kept else "/"


@requires(ADMIN, STAFF)
async def processed(request: web.Request) -> web.Response:
    """Mark a copy "опрацьовано" (or undo it); audited as document.processed/unprocessed."""
    doc_id = int_param(request, "id")
    form = await request.post()
    done = form.get("done", "1") != "0"
    who = principal_of(request).username

    def work(s: Session) -> None:
        try:
            changed = mark_processed(s, doc_id, who, done)
        except NotFound:
            raise web.HTTPNotFound() from None
        if changed:
            action = "document.processed" if done else "document.unprocessed"
            record(request, s, action, "document", doc_id)

    await in_db(request, work)
    raise web.HTTPSeeOther(_safe_back(str(form.get("back", "/"))))


# --- the API -----------------------------------------------------------------------------


def _since(text: str, tz: ZoneInfo) -> dt.datetime | None:
    """An ISO 8601 date or date-time; without an offset it is local time (`[web] timezone`)."""
    if not text:
        return None
    try:
        if len(text) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=tz)
        else:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if value.tzinfo is None:
                value = value.replace(tzinfo=tz)
        return value.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise BadParameter("BAD_SINCE", "since: an ISO 8601 date or date-time") from None


def api_filter(params: Mapping[str, str], tz: ZoneInfo) -> ArrivalFilter:
    statuses = [s for s in params.get("status", "").split(",") if s]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise BadParameter("UNKNOWN_STATUS", "status: " + ", ".join(STATUSES))
    processed_text = params.get("processed", "")
    if processed_text not in ("", "true", "false"):
        raise BadParameter("BAD_PROCESSED", "processed: true or false")
    branch = params.get("branch", "")
    if branch and not (branch.isdigit() and len(branch) < 12):
        raise BadParameter("BAD_BRANCH", "branch: a branch id")
    return ArrivalFilter(
        since=_since(params.get("since", ""), tz),
        indications=tuple(dict.fromkeys(STATUSES[s] for s in statuses)),
        processed=None if not processed_text else processed_text == "true",
        branch_id=int(branch) if branch else None,
    )


def _number(params: Mapping[str, str], name: str, default: int, high: int) -> int:
    text = params.get(name, "")
    if not text:
        return default
    if not text.isdigit():
        raise BadParameter("BAD_" + name.upper(), f"{name}: a whole number")
    return min(high, int(text[:12]))


def arrival_json(a: Arrival) -> dict[str, Any]:
    status = {v: k for k, v in STATUSES.items()}.get(a.indication, "unsigned")
    return {
        "id": a.id,
        "message_id": a.message_id,
        "received_at": iso(a.received_at),
        "document_type": a.document_type,
        "person_name": a.person_name,
        "indication": a.indication,
        "status": status,
        "branch": a.branch,
        "branch_id": a.branch_id,
        "processed": a.processed_at is not None,
        "processed_at": iso(a.processed_at),
        "processed_by": a.processed_by,
    }


@requires(ADMIN, STAFF)
async def api_documents(request: web.Request) -> web.Response:
    params = request.query
    try:
        f = api_filter(params, zone_of(request))
        limit = max(1, _number(params, "limit", 50, MAX_LIMIT))
        offset = _number(params, "offset", 0, 10_000_000)
    except BadParameter as exc:
        return json_error(400, exc.reason, exc.detail)

    def work(s: Session) -> ArrivalPage:
        result = list_arrivals(s, f, limit=limit, offset=offset)
        if result.items:
            record(request, s, "document.list", "arrivals", "", {"count": len(result.items)})
        return result

    result = await in_db(request, work)
    following = None
    if offset + len(result.items) < result.total:
        query = {k: v for k, v in params.items() if k in ("since", "status", "processed", "branch")}
        query.update(limit=str(limit), offset=str(offset + limit))
        following = "/api/v1/documents?" + urlencode(query)
    response = json_ok(
        {
            "total": result.total,
            "limit": limit,
            "offset": offset,
            "next": following,
            "latest_id": result.latest_id,
            "documents": [arrival_json(a) for a in result.items],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


async def _start_watch(app: web.Application) -> None:
    await app[WATCH].start()


async def _stop_watch(app: web.Application) -> None:
    await app[WATCH].stop()


def setup(app: web.Application) -> None:
    from web.app import DEPS

    app[WATCH] = ArrivalWatch(app[DEPS].db)
    app.on_startup.append(_start_watch)
    app.on_shutdown.append(_stop_watch)
    app.router.add_get("/", home, name="home")
    app.router.add_get("/arrivals/list", fragment, name="arrivals.list")
    app.router.add_get("/arrivals/latest", latest, name="arrivals.latest")
    app.router.add_get("/arrivals/events", events, name="arrivals.events")
    app.router.add_post("/documents/{id}/processed", processed, name="document.processed")
    app.router.add_get("/api/v1/documents", api_documents, name="api.documents")
