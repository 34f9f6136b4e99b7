"""Times on the pages are local wall-clock time (DD.MM.YYYY HH:MM), in JSON ISO 8601 with an offset.

The seeded copy arrived at 10:15 UTC on 20.11.2026, when Kyiv is UTC+2: a Kyiv desk must read
12:15, never "10:15 UTC" or "2026-11-20". Expected strings are written out by hand, or computed
with zoneinfo and strftime directly, not with the helper under test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from archive.models import AuditEvent
from diia_inbox.config import load_config
from tests.web.conftest import WebFixture, signed_in
from web.app import WebDeps, create_app

KYIV_SHOWN = "20.11.2026 12:15"  # the good copy: 2026-11-20 10:15 UTC
RAW_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\bUTC\b")


def visible(html: str) -> str:
    """The page's text as read, without tags, scripts, styles or attribute values."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


async def text_of(s: ClientSession, url: str) -> str:
    async with s.get(url) as r:
        assert r.status == 200, url
        return visible(await r.text())


async def test_document_search_print_show_kyiv_time(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    async with await signed_in(seeded, "staff") as s:
        pages = {
            "document": await text_of(s, seeded.url(f"/documents/{doc}")),
            "search": await text_of(s, seeded.url("/search?q=Шевченко")),
            "print": await text_of(s, seeded.url(f"/documents/{doc}/print")),
        }
    for name, text in pages.items():
        assert KYIV_SHOWN in text, name
        assert not RAW_TIME.search(text), (name, RAW_TIME.search(text))


async def test_audit_page_shows_each_event_in_kyiv_time(seeded: WebFixture) -> None:
    async with await signed_in(seeded, "staff") as s:
        await text_of(s, seeded.url(f"/documents/{seeded.data.good_doc}"))
    with seeded.rt.db.session() as db:
        at = db.execute(
            select(AuditEvent.at).where(AuditEvent.action == "document.view")
        ).scalar_one()
    expected = at.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y %H:%M")
    async with await signed_in(seeded, "admin") as s:
        text = await text_of(s, seeded.url("/audit"))
    assert expected in text
    assert not RAW_TIME.search(text), RAW_TIME.search(text)


def _offset_of(value: str) -> dt.timedelta | None:
    return dt.datetime.fromisoformat(value).utcoffset()


async def test_json_times_carry_an_offset(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    staff = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=staff) as s:
        async with s.get(seeded.url(f"/api/v1/documents/{doc}")) as r:
            one = await r.json()
        async with s.get(seeded.url("/api/v1/search?q=Шевченко")) as r:
            found = await r.json()
        async with s.get(seeded.url("/api/v1/documents")) as r:
            listed = await r.json()
    assert one["received_at"] == "2026-11-20T10:15:00+00:00"
    assert found["hits"][0]["received_at"].startswith("2026-11-20T10:15:00")
    assert _offset_of(found["hits"][0]["received_at"]) == dt.timedelta(0)
    assert listed["documents"], listed
    for item in listed["documents"]:
        assert _offset_of(item["received_at"]) is not None
    admin = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    async with ClientSession(headers=admin) as s:
        async with s.get(seeded.url("/api/v1/audit")) as r:
            events = (await r.json())["events"]
        async with s.get(seeded.url("/api/v1/quarantine")) as r:
            quarantine = await r.json()
    assert events and all(_offset_of(e["at"]) is not None for e in events)
    received = [m["received_at"] for m in quarantine["messages"]]
    assert received and all(_offset_of(t) is not None for t in received)


@pytest.fixture
async def tokyo(seeded: WebFixture, tmp_path: object) -> AsyncIterator[WebFixture]:
    """The same archive served by an installation configured with `[web] timezone`."""
    config = load_config(
        data_dir=seeded.rt.config.data_dir, env={"DIIA_INBOX_WEB_TIMEZONE": "Asia/Tokyo"}
    )
    deps = WebDeps.from_runtime_parts(
        db=seeded.rt.db,
        blobs=seeded.rt.blobs,
        settings=config.web,
        spool_dir=config.spool_dir,
        index_dir=config.index_dir,
        keys_dir=config.keys_dir,
    )
    deps.services = seeded.deps.services
    server = TestServer(create_app(deps), host="127.0.0.1")
    await server.start_server()
    try:
        yield dataclasses.replace(seeded, server=server, deps=deps)
    finally:
        await server.close()


async def test_configured_time_zone_is_used_by_every_page(tokyo: WebFixture) -> None:
    doc = tokyo.data.good_doc
    async with await signed_in(tokyo, "staff") as s:
        for path in (f"/documents/{doc}", "/search?q=Шевченко", f"/documents/{doc}/print"):
            text = await text_of(s, tokyo.url(path))
            assert "20.11.2026 19:15" in text, path  # Tokyo is UTC+9, no summer time
            assert KYIV_SHOWN not in text, path
