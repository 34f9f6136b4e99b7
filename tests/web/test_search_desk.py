"""The search page of the front desk: totals and page numbers, identical resends shown once
with "надіслано 3 рази", a typo still finding the person (issue 13 item 7)."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re

from archive.models import Document
from search.index import ArchiveSource
from tests.web.arrivals_data import add_mail
from tests.web.conftest import WebFixture, signed_in
from web.i18n import translator
from web.pages_search import page_links


def _index(app: WebFixture, ids: list[int]) -> None:
    app.deps.services.search.add(list(ArchiveSource(app.rt.db).docs(only=ids)))


async def test_resends_once_with_a_count_and_page_numbers(seeded: WebFixture) -> None:
    t = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)
    same = hashlib.sha256(b"one PDF sent three times").hexdigest()
    resent = [
        add_mail(
            seeded,
            t + dt.timedelta(hours=i),
            [("Руденко Ігор Миколайович", "idp-certificate", "TOTAL_PASSED")],
            text="Довідка ВПО\nРуденко Ігор Миколайович",
        )[0]
        for i in range(3)
    ]
    with seeded.rt.db.session() as s:
        for doc_id in resent:
            doc = s.get(Document, doc_id)
            assert doc is not None
            doc.pdf_sha256 = same
    many = [
        add_mail(
            seeded,
            t - dt.timedelta(minutes=i),
            [(f"Коваль Петро {i}", "id-card", "TOTAL_PASSED")],
            text=f"Паспорт\nКоваль Петро\nНомер документа: 0099{i:05d}",
        )[0]
        for i in range(45)
    ]
    await asyncio.to_thread(_index, seeded, resent + many)
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url("/search?q=Руденко")) as r:
            page = await r.text()
        async with s.get(seeded.url("/search?q=Рутенко")) as r:  # a typo
            typo = await r.text()
        async with s.get(seeded.url("/search?q=Коваль&page=2")) as r:
            second = await r.text()
        async with s.get(seeded.url("/search?q=Коваль&page=2&lang=en")) as r:
            english = await r.text()
        async with s.get(
            seeded.url("/api/v1/search?q=Руденко"),
            headers={"Authorization": f"Bearer {seeded.tokens['staff']}"},
        ) as r:
            api = await r.json()
    assert page.count('class="hit"') == 1
    assert "надіслано 3 рази" in page
    assert "Знайдено: <strong>1</strong>" in page
    assert typo.count('class="hit"') == 1 and "надіслано 3 рази" in typo
    assert [(h["sent"], h["id"] in resent) for h in api["hits"]] == [(3, True)]
    # 45 copies, 20 a page: "page 2 / 3", links to pages 1 and 3, the current one marked.
    assert "Знайдено: <strong>45</strong> · Сторінка 2 / 3" in second
    assert re.search(r'href="/search\?q=[^"]*page=1"', second)
    assert re.search(r'href="/search\?q=[^"]*page=3"', second)
    assert '<span aria-current="page"><strong>2</strong></span>' in second
    assert second.count('class="hit"') == 20
    assert "Found: <strong>45</strong> · Page 2 / 3" in english


def test_page_links_and_plurals() -> None:
    assert page_links(1, 1) == [1]
    assert page_links(5, 20) == [1, None, 3, 4, 5, 6, 7, None, 20]
    assert page_links(2, 3) == [1, 2, 3]
    uk, en = translator("uk"), translator("en")
    assert [uk.plural("search.sent_times", n) for n in (1, 2, 4, 5, 11, 12, 21, 22, 25)] == [
        "надіслано 1 раз", "надіслано 2 рази", "надіслано 4 рази", "надіслано 5 разів",
        "надіслано 11 разів", "надіслано 12 разів", "надіслано 21 раз", "надіслано 22 рази",
        "надіслано 25 разів",
    ]  # fmt: skip
    assert [en.plural("search.sent_times", n) for n in (1, 2)] == ["sent 1 time", "sent 2 times"]
