"""Hostile text is shown as text: file names, subjects, recognised names and document text carry
`<script>` and `"><img onerror>` payloads, and every place that shows them escapes them."""

from __future__ import annotations

import json
import re

from aiohttp import ClientSession

from archive import audit
from tests.web.conftest import WebFixture, signed_in
from tests.web.seed import XSS
from web.snippet import safe_snippet

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_inert(page: str) -> None:
    assert "<script>alert" not in page
    # The only images are ours: page previews and thumbnails of archived copies.
    for tag in re.findall(r"<img\b[^>]*>", page):
        assert re.fullmatch(r'<img class="thumb" src="/documents/\d+/thumb\.png"[^<>]*>', tag) or (
            re.fullmatch(r'<img src="/documents/\d+/pages/\d+\.png"[^<>]*>', tag)
        ), tag
        assert "onerror" not in tag
    assert "x onerror=alert(2)>" not in page.replace("&gt;", "")


async def fetch(s: ClientSession, url: str) -> str:
    async with s.get(url) as r:
        assert r.status == 200, url
        return await r.text()


async def test_pages_escape_hostile_text(seeded: WebFixture) -> None:
    doc = seeded.data.xss_doc
    with seeded.rt.db.session() as db:
        # Other parts record events whose ids come from outside (spool item names, say).
        audit.record(db, "system", "spool.release", "spool_item", XSS[:100], "127.0.0.1")
    admin = await signed_in(seeded, "admin")
    async with admin:
        search = await fetch(admin, seeded.url("/search?q=Тестенко"))
        assert f'href="/documents/{doc}"' in search  # the hostile document was found
        assert ESCAPED in search
        assert_inert(search)
        document = await fetch(admin, seeded.url(f"/documents/{doc}"))
        assert document.count(ESCAPED) >= 3  # name, file name, subject, made-for
        assert_inert(document)
        printed = await fetch(admin, seeded.url(f"/documents/{doc}/print"))
        assert ESCAPED in printed
        assert_inert(printed)
        quarantine = await fetch(admin, seeded.url("/quarantine"))
        assert ESCAPED in quarantine  # subject and sender of the junk message
        assert_inert(quarantine)
        log = await fetch(admin, seeded.url("/audit"))
        assert "&lt;script&gt;" in log
        assert_inert(log)
        async with admin.get(seeded.url(f"/documents/{doc}/pdf")) as r:
            disposition = r.headers["Content-Disposition"]
        assert '"><' not in disposition and "\n" not in disposition
        assert disposition.count('"') == 2


async def test_api_json_is_json_and_inert(seeded: WebFixture) -> None:
    doc = seeded.data.xss_doc
    headers = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=headers) as s:
        async with s.get(seeded.url(f"/api/v1/documents/{doc}")) as r:
            assert r.content_type == "application/json"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            raw = await r.text()
        assert "<" not in raw and ">" not in raw  # escaped as \u003c / \u003e
        data = json.loads(raw)
        assert data["filename"] == f"{XSS}.pdf"
        assert data["subject"] == XSS
        assert XSS in data["fields"]["person_name"]
        async with s.get(seeded.url("/api/v1/search"), params={"q": "Тестенко"}) as r:
            raw = await r.text()
        assert r.content_type == "application/json"
        hits = json.loads(raw)["hits"]
        assert [h["id"] for h in hits] == [doc]
        assert "<script" not in hits[0]["snippet"] and "<img" not in hits[0]["snippet"]


def test_snippet_keeps_only_the_highlight() -> None:
    hostile = "a <mark>Шевченко</mark> &lt;script&gt;x&lt;/script&gt; <script>y</script> <mark>b"
    out = str(safe_snippet(hostile))
    assert out.startswith("a <mark>Шевченко</mark> &lt;script&gt;x")
    assert "<script>" not in out
    assert out.endswith("<mark>b</mark>")  # an unclosed highlight is closed
    assert str(safe_snippet("</mark><mark><mark>x")) == "<mark>x</mark>"  # no nesting
