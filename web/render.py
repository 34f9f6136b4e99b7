"""Helpers every page shares: rendering with the common context, database work off the event
loop, audit events in the same transaction as the action, and flash notes after a redirect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp_jinja2
from aiohttp import web
from sqlalchemy.orm import Session

from archive import audit
from ingest.filing import Actor
from web.auth import Principal
from web.context import deps_of, lang_of, remote_of
from web.i18n import translator
from web.security import PRINCIPAL

T = TypeVar("T")

#: Short status notes carried across a POST-redirect-GET by a query parameter (a fixed key,
#: never free text, so nothing attacker-controlled is echoed back).
NOTE_PARAM = "note"


def principal_of(request: web.Request) -> Principal:
    principal = request.get(PRINCIPAL)
    if principal is None:  # the gate lets no handler run without one (except PUBLIC ones)
        raise web.HTTPUnauthorized()
    return principal


def actor_of(request: web.Request) -> Actor:
    """The signed-in user and their address, as the ingest use cases audit them (the same
    actor and remote `record` writes)."""
    return Actor(principal_of(request).username, remote_of(request))


def page(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    lang = lang_of(request)
    t = translator(lang)
    note = request.query.get(NOTE_PARAM, "")
    other = "en" if lang == "uk" else "uk"
    base = {
        "lang": lang,
        "switch_url": request.rel_url.update_query(lang=other).path_qs,
        "t": t,
        "principal": request.get(PRINCIPAL),
        "path": request.path,
        "note": t("note." + note) if note.isidentifier() and ("note." + note) in t else "",
    }
    base.update(context)
    response = aiohttp_jinja2.render_template(template, request, base, status=status)
    if request.query.get("lang") in ("uk", "en"):
        response.set_cookie("lang", request.query["lang"], samesite="Lax", path="/")
    return response


def see_other(location: str, note: str | None = None) -> web.HTTPSeeOther:
    if note:
        sep = "&" if "?" in location else "?"
        location = f"{location}{sep}{NOTE_PARAM}={note}"
    return web.HTTPSeeOther(location)


async def in_db(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work` in one committed transaction on a worker thread."""
    deps = deps_of(request)

    def run() -> T:
        with deps.db.session() as s:
            return work(s)

    return await asyncio.to_thread(run)


def record(
    request: web.Request,
    s: Session,
    action: str,
    object_type: str,
    object_id: str | int,
    detail: dict[str, Any] | None = None,
) -> None:
    """An audit event by the signed-in user; `detail` holds identifiers and codes only."""
    who = principal_of(request)
    audit.record(s, who.username, action, object_type, object_id, remote_of(request), detail)


def json_ok(data: Any, status: int = 200) -> web.Response:
    """JSON with <, > and & escaped, so even a mis-sniffed response cannot become markup."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return web.Response(text=text, status=status, content_type="application/json")


def json_error(status: int, reason: str, detail: str = "") -> web.Response:
    return json_ok({"error": reason, "detail": detail}, status=status)


#: Row ids are 64-bit signed on PostgreSQL and SQLite; anything outside cannot name a row, and
#: passed on it would overflow the database driver (a 500 instead of a 404).
MAX_ID = 2**63 - 1


def int_param(request: web.Request, name: str) -> int:
    """A row id from the path: plain ASCII digits within 1..MAX_ID, else 404."""
    text = request.match_info.get(name, "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise web.HTTPNotFound()
    value = int(text)
    if not 1 <= value <= MAX_ID:
        raise web.HTTPNotFound()
    return value


def attachment_name(filename: str, fallback: str) -> str:
    """A Content-Disposition value safe for any file name (RFC 6266 with RFC 5987 filename*)."""
    from urllib.parse import quote

    ascii_name = "".join(
        c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename
    )[:150]
    ascii_name = ascii_name.strip("._") or fallback
    return f"filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename[:150], safe='')}"
