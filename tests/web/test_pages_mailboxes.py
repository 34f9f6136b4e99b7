"""The mailboxes page against a real Dovecot: add, test (counts, and Dovecot's own refusal),
edit with the password kept, import request, remove; secrets never in a page; audit entries;
Chromium at 1366 and 390 px."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import select

from archive import mailboxes
from archive.models import AuditEvent
from tests.ingest.test_imap import PASSWORD as IMAP_PASSWORD
from tests.ingest.test_imap import USER, running_dovecot
from tests.web.conftest import PASSWORD, WebFixture, signed_in
from tests.web.test_browser import ARTIFACTS
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available


def _form(csrf: str, imap_port: int, **kw: str) -> dict[str, str]:
    return {
        "csrf_token": csrf, "name": "front-desk", "host": "127.0.0.1", "port": str(imap_port),
        "tls": "none", "user": USER, "password": IMAP_PASSWORD, "folder": "INBOX",
        "after_import": "seen", "move_to": "Archive", "address": "", "poll_seconds": "60",
        "idle": "1", "enabled": "1", **kw,
    }  # fmt: skip


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_add_test_edit_import_remove(webapp: WebFixture) -> None:
    with running_dovecot() as server:
        s = await signed_in(webapp, "admin")
        async with s:
            async with s.get(webapp.url("/mailboxes")) as r:
                assert r.status == 200
                csrf = _csrf(await r.text())
            # Invalid settings: a reason in words, nothing stored, the draft kept.
            async with s.post(
                webapp.url("/mailboxes"), data=_form(csrf, server.port, port="0")
            ) as r:
                assert r.status == 400
                page = await r.text()
                assert "Порт — число від 1 до 65535." in page and "front-desk" in page
            async with s.post(webapp.url("/mailboxes"), data=_form(csrf, server.port)) as r:
                assert r.status == 200 and "?note=saved" in str(r.url)
                listing = await r.text()
            with webapp.rt.db.session() as db:
                stored = mailboxes.get(db, "front-desk")
                assert stored is not None and stored.has_secret
                mailbox_id = stored.id
            assert "не читається" in listing  # no serve in this test: nobody reads it yet

            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/test"), data={"csrf_token": csrf}
            ) as r:
                page = await r.text()
                assert r.status == 200
            assert "З&#39;єднання працює" in page or "З'єднання працює" in page
            assert "<strong>1</strong>" in page  # Dovecot's seed message
            assert "підтримує миттєве надходження" in page

            # Edit with an empty password field: settings change, the secret is kept.
            form = _form(csrf, server.port, password="", folder="INBOX", poll_seconds="30")
            async with s.post(webapp.url(f"/mailboxes/{mailbox_id}"), data=form) as r:
                assert r.status == 200 and "?note=saved" in str(r.url)
            with webapp.rt.db.session() as db:
                stored = mailboxes.get(db, "front-desk")
                assert stored is not None and stored.settings.poll_seconds == 30
            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/test"), data={"csrf_token": csrf}
            ) as r:
                assert "<strong>1</strong>" in await r.text()

            # A wrong password: the refusal in Dovecot's own words.
            form = _form(csrf, server.port, password="not the password")
            async with s.post(webapp.url(f"/mailboxes/{mailbox_id}"), data=form) as r:
                assert r.status == 200
            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/test?lang=en"), data={"csrf_token": csrf}
            ) as r:
                page = await r.text()
            assert "the server refused the login or password" in page
            assert "AUTHENTICATIONFAILED" in page

            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/import"),
                data={"csrf_token": csrf, "order": "oldest"},
            ) as r:
                assert "?note=import_requested" in str(r.url)
                page = await r.text()
            assert "The import starts within seconds." in page  # the language chosen above stays

            # Without the CSRF token nothing changes.
            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/delete"), data={}, allow_redirects=False
            ) as r:
                assert r.status == 403
            everything = page + listing
            async with s.post(
                webapp.url(f"/mailboxes/{mailbox_id}/delete"), data={"csrf_token": csrf}
            ) as r:
                assert r.status == 200 and "?note=deleted" in str(r.url)
                everything += await r.text()
    assert IMAP_PASSWORD not in everything and "not the password" not in everything
    with webapp.rt.db.session() as db:
        assert mailboxes.list_mailboxes(db) == []
        actions = [e.action for e in db.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        details = " ".join(str(e.detail) for e in db.scalars(select(AuditEvent)))
    for action in (
        "mailbox.create",
        "mailbox.test",
        "mailbox.update",
        "mailbox.import",
        "mailbox.delete",
    ):
        assert action in actions
    assert IMAP_PASSWORD not in details


async def test_fields_are_escaped(webapp: WebFixture) -> None:
    from archive.keyring import load_keyring

    ring = load_keyring(webapp.deps.keys_dir, {}, create=True)
    with webapp.rt.db.session() as db:
        mailboxes.add(db, ring, mailboxes.MailboxSettings(
            name="x", host="127.0.0.1", user='"><script>alert(1)</script>', tls="none"
        ), "secret value 1")  # fmt: skip
    s = await signed_in(webapp, "admin")
    async with s, s.get(webapp.url("/mailboxes")) as r:
        page = await r.text()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "secret value 1" not in page


def _look(base: str, mailbox_id: int) -> list[str]:
    problems = []
    b = Browser()
    try:
        b.size(1366, 768)
        b.go(f"{base}/login")
        b.keys(*"admin", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        for width, height, tag in ((1366, 768, "desktop"), (390, 844, "phone")):
            b.size(width, height)
            for path, name in (
                ("/mailboxes", "mailboxes"),
                (f"/mailboxes/{mailbox_id}", "mailbox"),
            ):
                b.go(f"{base}{path}")
                b.screenshot(ARTIFACTS / f"{name}-{tag}.png")
                if not b.js(NO_OVERFLOW):
                    problems.append(f"{name} {tag}: wider than the window")
    finally:
        b.close()
    return problems


@pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")
async def test_the_mailboxes_pages_fit_both_widths(webapp: WebFixture) -> None:
    from archive.keyring import load_keyring

    ring = load_keyring(webapp.deps.keys_dir, {}, create=True)
    assert ring is not None
    with webapp.rt.db.session() as db:
        mailbox_id = mailboxes.add(db, ring, mailboxes.MailboxSettings(
            name="reception-gmail", host="imap.gmail.com", user="reception.kyiv@example.org"
        ), "app password here")  # fmt: skip
    base = webapp.url("").rstrip("/")
    assert await asyncio.to_thread(_look, base, mailbox_id) == []
