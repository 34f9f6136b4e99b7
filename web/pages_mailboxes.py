"""Mailboxes read over IMAP, for the administrator: add, change, remove, test the connection,
start the first import, and see how each is being read.

Accounts are installation state (archive.mailboxes): a running `serve` picks changes up within
seconds. The password field is write-only: the page never renders a stored secret, and an empty
field on edit keeps the stored one. "Test connection" shows the server's own answer, which
helps more than a code of ours when a login is refused.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.orm import Session

from archive import mailboxes
from archive.keyring import Keyring, load_keyring
from archive.models import MailboxStatus
from ingest.accounts import DbImportLedger, stored_account, to_account
from ingest.imap import account_key, probe
from ingest.settings import IngestSettings
from web.auth import ADMIN
from web.context import deps_of
from web.i18n_mailboxes import MAILBOX_STRINGS
from web.render import in_db, int_param, page, record, see_other
from web.security import requires

STATES = ("connecting", "idle", "polling", "backoff", "stopped")


def ring_of(request: web.Request) -> Keyring:
    deps = deps_of(request)
    if deps.mailbox_ring is not None:
        return deps.mailbox_ring()
    ring = load_keyring(deps.keys_dir, {}, create=True)
    assert ring is not None
    return ring


def _reason_key(code: str) -> str:
    """A translated reason for a stored code; codes without a sentence get a general one."""
    key = f"mailboxes.reason.{code}"
    return key if key in MAILBOX_STRINGS else "mailboxes.reason.other"


def _status_view(row: MailboxStatus | None) -> dict[str, Any]:
    progress = DbImportLedger.progress_of(row)
    eta = progress.eta_seconds()
    return {
        "state": row.status if row and row.status in STATES else "stopped",
        "node": row.node if row else "",
        "last_message": row.last_message_at if row else None,
        "last_error": _reason_key(row.last_error) if row and row.last_error else "",
        "import_state": progress.state,
        "import_order": progress.order,
        "import_done": progress.done,
        "import_skipped": progress.skipped,
        "import_total": progress.total,
        "import_rate": round(progress.rate),
        "import_eta_min": None if eta is None else max(1, round(eta / 60)),
        "import_requested": bool(row and row.import_requested),
        "backlog": progress.remaining if progress.state not in ("", "finished") else 0,
    }


def overview(s: Session) -> list[dict[str, Any]]:
    status = mailboxes.statuses(s)
    out = []
    for m in mailboxes.list_mailboxes(s):
        key = account_key(to_account(m.settings, ""))
        out.append(
            {"id": m.id, "settings": m.settings, "has_secret": m.has_secret}
            | _status_view(status.get(key))
        )
    return out


def _form_settings(form: MultiDictProxy[Any]) -> mailboxes.MailboxSettings:
    def text(name: str, default: str = "") -> str:
        return str(form.get(name, default)).strip()

    def number(name: str, default: int) -> int:
        try:
            return int(text(name, str(default)))
        except ValueError:
            return -1

    return mailboxes.MailboxSettings(
        name=text("name"),
        host=text("host"),
        user=text("user"),
        port=number("port", 993),
        tls=text("tls", "ssl"),
        folder=text("folder", "INBOX") or "INBOX",
        after_import=text("after_import", "seen"),
        move_to=text("move_to", "Archive") or "Archive",
        address=text("address"),
        poll_seconds=number("poll_seconds", 60),
        idle=form.get("idle") in ("1", "on"),
        # A hidden "0" precedes the checkbox, so an unticked box is told from a missing field.
        enabled=any(v in ("1", "on") for v in form.getall("enabled", ["1"])),
    )


async def _list_page(
    request: web.Request,
    error: str | None = None,
    status: int = 200,
    draft: mailboxes.MailboxSettings | None = None,
) -> web.Response:
    return page(
        request,
        "mailboxes.html",
        {
            "mailboxes": await in_db(request, overview),
            "error": error,
            "draft": draft or mailboxes.MailboxSettings(name="", host="", user=""),
            "tls_modes": mailboxes.TLS_MODES,
        },
        status=status,
    )


@requires(ADMIN)
async def mailboxes_page(request: web.Request) -> web.Response:
    return await _list_page(request)


@requires(ADMIN)
async def mailbox_add(request: web.Request) -> web.Response:
    form = await request.post()
    settings = _form_settings(form)
    secret = str(form.get("password", ""))
    ring = ring_of(request)

    def work(s: Session) -> None:
        mailbox_id = mailboxes.add(s, ring, settings, secret)
        record(request, s, "mailbox.create", "mailbox", mailbox_id, {"name": settings.name})

    try:
        await in_db(request, work)
    except mailboxes.MailboxError as exc:
        return await _list_page(request, f"mailboxes.error.{exc.reason}", 400, settings)
    raise see_other("/mailboxes", "saved")


def _one(s: Session, mailbox_id: int) -> dict[str, Any]:
    for m in overview(s):
        if m["id"] == mailbox_id:
            return m
    raise web.HTTPNotFound()


async def _detail_page(
    request: web.Request,
    mailbox_id: int,
    *,
    error: str | None = None,
    status: int = 200,
    test: dict[str, Any] | None = None,
) -> web.Response:
    data = await in_db(request, lambda s: _one(s, mailbox_id))
    return page(
        request,
        "mailbox.html",
        {"m": data, "error": error, "test": test, "tls_modes": mailboxes.TLS_MODES},
        status=status,
    )


@requires(ADMIN)
async def mailbox_page(request: web.Request) -> web.Response:
    return await _detail_page(request, int_param(request, "id"))


def _name_of(s: Session, mailbox_id: int) -> str:
    for m in mailboxes.list_mailboxes(s):
        if m.id == mailbox_id:
            return m.settings.name
    raise web.HTTPNotFound()


@requires(ADMIN)
async def mailbox_update(request: web.Request) -> web.Response:
    mailbox_id = int_param(request, "id")
    form = await request.post()
    settings = _form_settings(form)
    secret = str(form.get("password", "")) or None
    ring = ring_of(request)

    def work(s: Session) -> None:
        name = _name_of(s, mailbox_id)
        current = mailboxes.get(s, name)
        assert current is not None
        # The sign-in method is not on the form (OAuth is set by `diia-inbox imap login`).
        kept = dataclasses.replace(
            settings, auth=current.settings.auth, provider=current.settings.provider
        )
        mailboxes.update(s, ring, name, kept, secret)
        record(
            request,
            s,
            "mailbox.update",
            "mailbox",
            mailbox_id,
            {"name": settings.name, "secret_changed": secret is not None},
        )

    try:
        await in_db(request, work)
    except mailboxes.MailboxError as exc:
        return await _detail_page(
            request, mailbox_id, error=f"mailboxes.error.{exc.reason}", status=400
        )
    raise see_other(f"/mailboxes/{mailbox_id}", "saved")


@requires(ADMIN)
async def mailbox_delete(request: web.Request) -> web.Response:
    mailbox_id = int_param(request, "id")

    def work(s: Session) -> None:
        name = _name_of(s, mailbox_id)
        mailboxes.remove(s, name)
        record(request, s, "mailbox.delete", "mailbox", mailbox_id, {"name": name})

    await in_db(request, work)
    raise see_other("/mailboxes", "deleted")


@requires(ADMIN)
async def mailbox_test(request: web.Request) -> web.Response:
    mailbox_id = int_param(request, "id")
    ring = ring_of(request)

    deps = deps_of(request)

    def work(s: Session) -> tuple[mailboxes.StoredMailbox, str]:
        name = _name_of(s, mailbox_id)
        stored = mailboxes.get(s, name)
        assert stored is not None
        record(request, s, "mailbox.test", "mailbox", mailbox_id, {"name": name})
        return stored, mailboxes.secret_of(s, ring, name)

    stored, secret = await in_db(request, work)
    account = stored_account(deps.db, ring, deps.ingest or IngestSettings(), stored, secret)
    result = await asyncio.to_thread(probe, account, 15.0)
    test = {
        "ok": result.ok,
        "messages": result.messages,
        "unseen": result.unseen,
        "idle": result.idle,
        "reason": _reason_key(result.reason) if result.reason else "",
        "server_text": result.server_text,
    }
    return await _detail_page(request, mailbox_id, test=test)


@requires(ADMIN)
async def mailbox_import(request: web.Request) -> web.Response:
    mailbox_id = int_param(request, "id")
    form = await request.post()
    order = str(form.get("order", "newest"))
    if order not in ("newest", "oldest"):
        order = "newest"

    def work(s: Session) -> None:
        name = _name_of(s, mailbox_id)
        stored = mailboxes.get(s, name)
        assert stored is not None
        row = mailboxes.status_row(s, account_key(to_account(stored.settings, "")))
        if row.import_state in ("", "finished", "failed"):
            row.import_order = order
        row.import_requested = True
        record(request, s, "mailbox.import", "mailbox", mailbox_id, {"order": order})

    await in_db(request, work)
    raise see_other(f"/mailboxes/{mailbox_id}", "import_requested")


def setup(app: web.Application) -> None:
    app.router.add_get("/mailboxes", mailboxes_page, name="mailboxes")
    app.router.add_post("/mailboxes", mailbox_add, name="mailboxes.add")
    app.router.add_get("/mailboxes/{id}", mailbox_page, name="mailbox")
    app.router.add_post("/mailboxes/{id}", mailbox_update, name="mailbox.update")
    app.router.add_post("/mailboxes/{id}/delete", mailbox_delete, name="mailbox.delete")
    app.router.add_post("/mailboxes/{id}/test", mailbox_test, name="mailbox.test")
    app.router.add_post("/mailboxes/{id}/import", mailbox_import, name="mailbox.history")
