"""The nodes page: every server of the installation, the stopped one with its waiting mail."""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo

import pytest
from aiohttp import ClientSession

from archive import leases, nodes
from archive.models import Node, utcnow
from tests.web.conftest import PASSWORD, WebFixture, jar, signed_in
from tests.web.test_browser import ARTIFACTS
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available


def _register(app: WebFixture, name: str, config_hash: str, depth: int, ago: float) -> None:
    with app.rt.db.session() as s:
        nodes.register(s, name, version="0.1.0", config_hash=config_hash, settings={},
                       heartbeat_seconds=15, probe_sha256=None)  # fmt: skip
        node = s.get(Node, name)
        assert node is not None
        node.heartbeat_at = utcnow() - dt.timedelta(seconds=ago)
        node.spool_depth = depth


async def test_admin_sees_running_and_stopped_servers(webapp: WebFixture) -> None:
    _register(webapp, "srv-kyiv-1", "a" * 64, 0, 1)
    _register(webapp, "srv-kyiv-2", "b" * 64, 2, 2)
    _register(webapp, "srv-lviv-1", "a" * 64, 7, 3600)  # silent for an hour: stopped
    with leases.Lease(webapp.rt.db, "purge", "srv-kyiv-1") as mine:
        assert mine
    s = await signed_in(webapp, "admin")
    async with s:
        async with s.get(webapp.url("/nodes")) as r:
            assert r.status == 200
            page = await r.text()
        async with s.get(webapp.url("/nodes?lang=en")) as r:
            english = await r.text()
    rows = page.split("<tr>")
    lviv = next(r for r in rows if "srv-lviv-1" in r)
    assert "не працює" in lviv and "<td>7</td>" in lviv
    kyiv = next(r for r in rows if "srv-kyiv-2" in r)
    assert "працює" in kyiv and "не працює" not in kyiv and "відрізняються" in kyiv
    assert "<strong>9</strong>" in page  # 0 + 2 + 7 waiting in the whole installation
    assert "На сервері, що не працює, чекають листи" in page
    assert "stopped" in english and "Messages are waiting on a server that is stopped" in english
    # Kyiv time, DD.MM.YYYY HH:MM
    kyiv_now = utcnow().astimezone(zoneinfo.ZoneInfo("Europe/Kyiv"))
    assert kyiv_now.strftime("%d.%m.%Y") in lviv


async def test_only_admins_see_the_servers(webapp: WebFixture) -> None:
    for role in ("staff", "auditor"):
        s = await signed_in(webapp, role)
        async with s:
            async with s.get(webapp.url("/nodes"), allow_redirects=False) as r:
                assert r.status == 403, role
    async with ClientSession(cookie_jar=jar()) as anon:
        async with anon.get(webapp.url("/nodes"), allow_redirects=False) as r:
            assert r.status in (302, 303, 401)


def _look(base: str) -> list[str]:
    """Log in as admin in Chromium, take the nodes page at both widths; what does not fit."""
    problems = []
    b = Browser()
    try:
        b.size(1366, 768)
        b.go(f"{base}/login")
        b.keys(*"admin", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        for width, height, tag in ((1366, 768, "desktop"), (390, 844, "phone")):
            b.size(width, height)
            b.go(f"{base}/nodes")
            b.screenshot(ARTIFACTS / f"nodes-{tag}.png")
            if not b.js(NO_OVERFLOW):
                problems.append(f"{tag}: wider than the window")
    finally:
        b.close()
    return problems


@pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")
async def test_the_servers_page_fits_both_widths(webapp: WebFixture) -> None:
    _register(webapp, "srv-kyiv-1", "a" * 64, 0, 1)
    _register(webapp, "srv-lviv-1", "a" * 64, 7, 3600)
    base = webapp.url("").rstrip("/")
    assert await asyncio.to_thread(_look, base) == []
