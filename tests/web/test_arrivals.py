"""Arrivals, the front desk's home page and `GET /api/v1/documents` (issue 13 item 3).

Real app on a real socket over a real SQLite archive; copies are archive rows as the pipeline
writes them (a message with one or more documents). The live stream is read as a browser's
EventSource reads it: the raw `text/event-stream` over HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import ClientSession
from sqlalchemy import select

from archive.models import AuditEvent
from archive.users import end_sessions, get_user, set_active
from tests.web.arrivals_data import add_mail
from tests.web.conftest import WebFixture, signed_in


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


KYIV = ZoneInfo("Europe/Kyiv")


def earlier_today(t: dt.datetime, minutes: int) -> dt.datetime:
    """`minutes` before `t`, but never before 00:10 - `minutes` of t's day in Kyiv: in the first
    minutes after Kyiv's midnight "five minutes ago" is yesterday, and the page rightly says so
    (the test failed in a CI run at 00:04 Kyiv time). Order between calls is kept."""
    midnight = t.astimezone(KYIV).replace(hour=0, minute=0, second=0).astimezone(dt.UTC)
    return max(t - dt.timedelta(minutes=minutes), midnight + dt.timedelta(minutes=10 - minutes))


async def text_of(session: ClientSession, url: str) -> str:
    async with session.get(url) as r:
        assert r.status == 200, await r.text()
        return await r.text()


def order_of(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-doc="(\d+)"', page)]


async def test_home_lists_newest_first_grouped_by_mail_in_kyiv_time(webapp: WebFixture) -> None:
    t = now()
    old = add_mail(
        webapp, t - dt.timedelta(days=1), [("Коваль Олена Петрівна", "id-card", "TOTAL_PASSED")]
    )
    pair = add_mail(
        webapp,
        earlier_today(t, 5),
        [
            ("Шевченко Тарас Григорович", "id-card", "TOTAL_PASSED"),
            ("Шевченко Тарас Григорович", "taxpayer-card", "TOTAL_FAILED"),
        ],
    )
    newest = add_mail(webapp, earlier_today(t, 1), [("", "driver-license", "UNSIGNED")])
    s = await signed_in(webapp, "staff")
    async with s:
        page = await text_of(s, webapp.url("/?lang=uk"))
        en = await text_of(s, webapp.url("/?lang=en"))
    # Newest first; the two copies of one e-mail together, in one group.
    assert order_of(page) == [newest[0], *sorted(pair, reverse=True), old[0]]
    assert page.count('class="mail grouped"') == 1
    assert "Копії з одного листа: 2" in page
    # Today's copies under "Сьогодні" at the top, yesterday's under "Учора".
    assert page.index("Сьогодні") < page.index("Шевченко") < page.index("Учора")
    assert page.index("Учора") < page.index("Коваль")
    # Person, type, verdict badge, local (Kyiv) time.
    kyiv = earlier_today(t, 5).astimezone(KYIV)
    assert kyiv.strftime("%H:%M") in page
    assert "Підпис дійсний" in page and "Підпис недійсний" in page and "Без підпису" in page
    assert "Ім'я не розпізнано" in page or "не розпізнано" in page.lower()
    assert "Arrivals" in en and "Today" in en and "Mark processed" in en
    # Staff do not see the admin's counts; nothing sends the page to a cache.
    assert "у карантині" not in page.lower()


async def test_mark_processed_is_audited_and_filterable(webapp: WebFixture) -> None:
    t = now()
    first = add_mail(
        webapp, t - dt.timedelta(minutes=3), [("Петренко Іван", "id-card", "TOTAL_PASSED")]
    )[0]
    second = add_mail(
        webapp, t - dt.timedelta(minutes=2), [("Бондар Марія", "id-card", "TOTAL_PASSED")]
    )[0]
    s = await signed_in(webapp, "staff")
    async with s:
        csrf = await webapp.csrf(s)
        async with s.post(
            webapp.url(f"/documents/{first}/processed"),
            data={"csrf_token": csrf, "done": "1", "back": "/?unprocessed=1&page=1"},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/?unprocessed=1&page=1"
        # A foreign "back" is never followed.
        async with s.post(
            webapp.url(f"/documents/{first}/processed"),
            data={"csrf_token": csrf, "done": "1", "back": "//evil.example/"},
            allow_redirects=False,
        ) as r:
            assert r.headers["Location"] == "/"
        # Without the CSRF token: refused.
        async with s.post(
            webapp.url(f"/documents/{second}/processed"),
            data={"done": "1"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403
        everything = await text_of(s, webapp.url("/"))
        unprocessed = await text_of(s, webapp.url("/?unprocessed=1"))
        assert order_of(everything) == [second, first]
        assert "опрацьовано (staff," in everything
        assert order_of(unprocessed) == [second]
        async with s.post(
            webapp.url(f"/documents/{first}/processed"),
            data={"csrf_token": csrf, "done": "0"},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        assert order_of(await text_of(s, webapp.url("/?unprocessed=1"))) == [second, first]
        async with s.post(
            webapp.url("/documents/99999999/processed"),
            data={"csrf_token": csrf, "done": "1"},
            allow_redirects=False,
        ) as r:
            assert r.status == 404
    with webapp.rt.db.session() as db:
        events = [
            (e.actor, e.action, e.object_id)
            for e in db.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
            if e.action.startswith("document.")
        ]
    # Marked once (the second mark changed nothing), then undone; each page view is listed.
    assert events.count(("staff", "document.processed", str(first))) == 1
    assert ("staff", "document.unprocessed", str(first)) in events
    assert ("staff", "document.list", "") in events


async def test_admin_home_counts_and_auditor_keeps_the_menu(seeded: WebFixture) -> None:
    admin = await signed_in(seeded, "admin")
    auditor = await signed_in(seeded, "auditor")
    async with admin, auditor:
        page = await text_of(admin, seeded.url("/"))
        menu = await text_of(auditor, seeded.url("/"))
    assert 'id="arrivals"' in page and "Листів у карантині" in page
    assert 'id="arrivals"' not in menu and 'href="/audit"' in menu


async def get_json(token: str, url: str) -> tuple[int, Any]:
    async with (
        ClientSession() as s,
        s.get(url, headers={"Authorization": f"Bearer {token}"}) as r,
    ):
        assert r.content_type == "application/json"
        assert r.headers.get("Cache-Control") == "no-store" or r.status != 200
        return r.status, json.loads(await r.text())


async def test_api_documents_filters_and_pages(webapp: WebFixture) -> None:
    t = now()
    old = add_mail(webapp, t - dt.timedelta(days=3), [("Коваль Олена", "id-card", "TOTAL_PASSED")])
    ids = [
        add_mail(webapp, t - dt.timedelta(minutes=10 - i), [(f"Особа {i}", "id-card", ind)])[0]
        for i, ind in enumerate(["TOTAL_PASSED", "TOTAL_FAILED", "TOTAL_PASSED", "UNSIGNED"])
    ]
    token = webapp.tokens["staff"]
    base = webapp.url("/api/v1/documents")
    status, body = await get_json(token, base)
    assert status == 200
    assert [d["id"] for d in body["documents"]] == [*reversed(ids), *old]
    assert body["total"] == 5 and body["next"] is None and body["latest_id"] == max(ids)
    first = body["documents"][0]
    assert first["received_at"].endswith("+00:00") and first["status"] == "unsigned"
    # since (Kyiv local when no offset, or any offset), status, and pages that chain.
    since = (t - dt.timedelta(days=1)).isoformat()
    status, body = await get_json(token, f"{base}?since={since.replace('+', '%2B')}")
    assert [d["id"] for d in body["documents"]] == list(reversed(ids))
    status, body = await get_json(token, f"{base}?status=passed,failed&limit=2")
    assert [d["id"] for d in body["documents"]] == [ids[2], ids[1]]
    assert body["total"] == 4 and body["next"]
    status, body = await get_json(token, webapp.url(body["next"]))
    assert [d["id"] for d in body["documents"]] == [ids[0], old[0]]
    assert body["next"] is None
    status, body = await get_json(token, f"{base}?processed=true")
    assert body["total"] == 0
    # Bad input: 400 with a reason, never a 500.
    for query, reason in (
        ("since=yesterday", "BAD_SINCE"),
        ("since=0001-01-01T00:00:00%2B05:00", "BAD_SINCE"),
        ("status=green", "UNKNOWN_STATUS"),
        ("processed=maybe", "BAD_PROCESSED"),
        ("limit=-1", "BAD_LIMIT"),
        ("offset=1e3", "BAD_OFFSET"),
        ("branch=x", "BAD_BRANCH"),
    ):
        status, body = await get_json(token, f"{base}?{query}")
        assert (status, body["error"]) == (400, reason), query
    status, body = await get_json(token, f"{base}?since=9999-12-31&offset=99999999999999999999")
    assert status == 200 and body["documents"] == []
    status, _ = await get_json(webapp.tokens["auditor"], base)
    assert status == 403


async def read_event(stream: Any) -> tuple[str, str]:
    """The next `event:`/`data:` pair of a text/event-stream (comments skipped)."""
    event = data = ""
    while True:
        line = (await stream.readline()).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and event:
            return event, data


async def test_event_stream_announces_a_new_copy(webapp: WebFixture) -> None:
    t = now()
    first = add_mail(
        webapp, t - dt.timedelta(minutes=1), [("Коваль Олена", "id-card", "TOTAL_PASSED")]
    )[0]
    s = await signed_in(webapp, "staff")
    async with s, s.get(webapp.url(f"/arrivals/events?after={first}")) as r:
        assert r.status == 200
        assert r.content_type == "text/event-stream"
        assert r.headers["Cache-Control"] == "no-store"
        assert "Content-Security-Policy" in r.headers
        newer = (
            await asyncio.to_thread(
                add_mail, webapp, t, [("Шевченко Тарас", "id-card", "TOTAL_PASSED")]
            )
        )[0]
        # Bounded wait for the event; not a timing assertion.
        event, data = await asyncio.wait_for(read_event(r.content), 30)
        assert (event, data) == ("arrival", str(newer))
        latest = json.loads(await text_of(s, webapp.url("/arrivals/latest")))
        assert latest == {"latest_id": newer}
        fragment = await text_of(s, webapp.url("/arrivals/list"))
        assert fragment.startswith('<section id="arrivals"') and order_of(fragment)[0] == newer


async def test_event_stream_ends_when_the_user_is_disabled(
    webapp: WebFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web import pages_arrivals

    monkeypatch.setattr(pages_arrivals, "KEEPALIVE_SECONDS", 0.2)
    s = await signed_in(webapp, "staff")
    async with s, s.get(webapp.url("/arrivals/events?after=0")) as r:
        assert r.status == 200
        assert await r.content.readline() == b"retry: 3000\n"
        with webapp.rt.db.session() as db:
            user = get_user(db, "staff")
            set_active(user, False)
            end_sessions(db, user.id)
        # The stream re-checks its sign-in at the next keep-alive and closes: EOF.
        body = await asyncio.wait_for(r.content.read(), 30)
        assert b"event:" not in body


async def test_too_many_streams_fall_back_to_polling(
    webapp: WebFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web import pages_arrivals

    monkeypatch.setattr(pages_arrivals, "MAX_STREAMS", 1)
    s = await signed_in(webapp, "staff")
    async with s, s.get(webapp.url("/arrivals/events")) as first:
        assert first.status == 200
        await first.content.readline()
        async with s.get(webapp.url("/arrivals/events")) as second:
            assert second.status == 503
            assert (await second.json())["error"] == "TOO_MANY_STREAMS"
        async with s.get(webapp.url("/arrivals/latest")) as poll:
            assert poll.status == 200
