"""Quarantine: messages nothing could be taken from, with the reason, re-process and delete.

Two places hold them: archive rows with status "quarantined" (the raw message kept as a blob)
and, when the worker gave up before archiving, items in the spool's quarantine folder. Both are
listed; re-processing runs the real pipeline again and releasing gives a spool item a fresh
start (both `ingest/requeue.py`), deleting removes the row and its blob
(`archive.retention.delete_everywhere`). This page only reads the request and shows the result.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive import retention
from archive.localtime import iso
from archive.models import Message
from ingest import requeue
from ingest.requeue import NotQuarantined
from web.auth import ADMIN
from web.context import deps_of
from web.render import actor_of, in_db, int_param, json_ok, page, record, see_other
from web.security import requires
from web.services import need

MAX_ROWS = 500


def quarantined_rows(s: Session) -> list[dict[str, Any]]:
    rows = s.execute(
        select(Message)
        .where(Message.status == "quarantined")
        .order_by(Message.received_at.desc())
        .limit(MAX_ROWS)
    ).scalars()
    return [
        {
            "id": m.id,
            "received_at": iso(m.received_at),
            "sender": m.envelope_from,
            "recipients": list(m.envelope_to or []),
            "subject": m.subject or "",
            "reason": (m.reason or "").split(" ")[0],
            "problems": (m.reason or "").split(" ")[1:],
            "size": m.size,
            "attempts": m.attempts,
            "source": m.source,
        }
        for m in rows
    ]


def spool_items(request: web.Request) -> list[dict[str, Any]]:
    spool = deps_of(request).services.spool
    if spool is None:
        return []
    return [
        {
            "id": item.id,
            "sender": item.envelope.mail_from,
            "recipients": list(item.envelope.rcpt_tos),
            "reason": item.reason,
            "attempts": item.attempts,
            "quarantined_at": dt.datetime.fromtimestamp(item.quarantined_at, dt.UTC).isoformat(
                timespec="seconds"
            ),
        }
        for item in spool.list_quarantine()
    ]


async def listing(request: web.Request) -> dict[str, Any]:
    return {
        "messages": await in_db(request, quarantined_rows),
        "spool": await asyncio.to_thread(spool_items, request),
    }


@requires(ADMIN)
async def quarantine_page(request: web.Request) -> web.Response:
    return page(request, "quarantine.html", await listing(request))


@requires(ADMIN)
async def api_quarantine(request: web.Request) -> web.Response:
    return json_ok(await listing(request))


@requires(ADMIN)
async def reprocess(request: web.Request) -> web.Response:
    """Run the pipeline again over the kept raw message (after a fix of the cause)."""
    run = need(deps_of(request).services.reprocess, "reprocess")
    try:
        outcome = await asyncio.to_thread(run, int_param(request, "id"), actor_of(request))
    except NotQuarantined:
        raise web.HTTPNotFound() from None
    note = "reprocessed" if outcome.status == "archived" else "still_quarantined"
    raise see_other("/quarantine", note)


@requires(ADMIN)
async def delete_message(request: web.Request) -> web.Response:
    deps = deps_of(request)
    msg_id = int_param(request, "id")

    def plan(s: Session) -> retention.PurgePlan:
        msg = s.get(Message, msg_id)
        if msg is None or msg.status != "quarantined":
            raise web.HTTPNotFound()
        blobs = (msg.raw_sha256,) if msg.raw_sha256 else ()
        return retention.PurgePlan(documents=(), messages=(msg.id,), blobs=blobs)

    found = await in_db(request, plan)

    def audit_in(s: Session) -> None:
        record(request, s, "message.delete", "message", msg_id)

    await asyncio.to_thread(
        retention.delete_everywhere, deps.db, deps.blobs, found, before_commit=audit_in
    )
    raise see_other("/quarantine", "deleted")


@requires(ADMIN)
async def release_spool(request: web.Request) -> web.Response:
    spool = need(deps_of(request).services.spool, "spool")
    item_id, db = request.match_info["item"], deps_of(request).db
    try:
        await asyncio.to_thread(requeue.release, spool, db, item_id, actor_of(request))
    except NotQuarantined:
        raise web.HTTPNotFound() from None
    raise see_other("/quarantine", "released")


def setup(app: web.Application) -> None:
    app.router.add_get("/quarantine", quarantine_page, name="quarantine")
    app.router.add_post("/quarantine/{id}/reprocess", reprocess, name="quarantine.reprocess")
    app.router.add_post("/quarantine/{id}/delete", delete_message, name="quarantine.delete")
    app.router.add_post("/quarantine/spool/{item}/release", release_spool, name="spool.release")
