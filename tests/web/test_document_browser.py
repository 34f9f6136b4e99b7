"""The document page a person can read, in real headless Chromium at 1366x768 and 390x844.

A three-page copy with a file name and a subject that have no break opportunity, the seeded
copy altered after signing (its codes and "made for" warning), a copy that is no PDF at all,
the search results with thumbnails, and the print view. On each: no sideways scrolling
(`scrollWidth <= innerWidth`), page images really loaded (`naturalWidth > 0`), no code visible
outside the folded technical details, which stay closed. Screenshots go to
tests/artifacts/browser/doc-*.png.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, WebFixture
from tests.web.doc_copies import LONG_SUBJECT, LONG_WORD, add_copy, three_page_pdf
from tests.web.webdriver import ELEMENT, ENTER, NO_OVERFLOW, TAB, Browser, available

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
WIDTHS = "return [document.documentElement.scrollWidth, window.innerWidth];"
#: Text a person sees: main without the technical blocks (they are folded anyway).
VISIBLE_TEXT = (
    "const m = document.querySelector('main').cloneNode(true);"
    "m.querySelectorAll('[data-technical]').forEach(e => e.remove());"
    "return m.innerText || m.textContent;"
)
CODES = re.compile(
    r"TOTAL_PASSED|TOTAL_FAILED|INDETERMINATE|UNSIGNED|HASH_FAILURE|MADE_FOR_MISMATCH"
    r"|SIG_CRYPTO_FAILURE|FORMAT_FAILURE|message_digest|signing_certificate|certificate_chain"
    r"|\b\d+ B\b"
)

pytestmark = pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")


def index(app: WebFixture, doc_id: int) -> None:
    from archive.models import Document
    from search.index import index_doc

    with app.rt.db.session() as s:
        row = s.get(Document, doc_id)
        assert row is not None
        app.deps.services.search.add([index_doc(row)])


def scroll_all_images(b: Browser, css: str) -> None:
    """Lazy images load when near the viewport: bring each one in."""
    b.js(
        "document.querySelectorAll(arguments[0]).forEach(i => { i.loading = 'eager'; "
        "i.scrollIntoView(); });",
        css,
    )


def check_page(b: Browser, tag: str, findings: dict[str, Any]) -> None:
    widths = b.js(WIDTHS)
    findings.setdefault("widths", {})[tag] = widths
    assert b.js(NO_OVERFLOW), (tag, widths)
    text = str(b.js(VISIBLE_TEXT))
    found = CODES.search(text)
    assert found is None, (tag, found)
    assert b.js(
        "return [...document.querySelectorAll('details[data-technical]')].every(d => !d.open);"
    )


def drive(base: str, ids: dict[str, int]) -> dict[str, Any]:
    findings: dict[str, Any] = {}
    b = Browser()
    try:
        b.size(1366, 768)
        b.go(f"{base}/login")
        b.keys(*"staff", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        for width, height, tag in ((1366, 768, "1366"), (390, 844, "390")):
            b.size(width, height)
            findings.setdefault("inner", {})[tag] = b.js("return window.innerWidth;")
            # The three-page copy with the unbreakable name and subject.
            doc = ids["long"]
            b.go(f"{base}/documents/{doc}")
            b.wait_for(
                "const i = document.querySelector('.doc-pages img');"
                "return i !== null && i.complete && i.naturalWidth > 0;"
            )
            check_page(b, f"document-{tag}", findings)
            alts = b.js("return [...document.querySelectorAll('.doc-pages img')].map(i => i.alt);")
            assert alts == ["Сторінка 1 з 3", "Сторінка 2 з 3", "Сторінка 3 з 3"]
            assert b.js("return document.querySelectorAll('object, embed, iframe').length;") == 0
            findings.setdefault("tab_stops_in_pages", {})[tag] = b.js(
                "return document.querySelectorAll('.doc-pages a, .doc-pages [tabindex]').length;"
            )
            # The signature card's values get room (the issue saw a 40 px column).
            findings.setdefault("value_column", {})[tag] = b.js(
                "return Math.round(Math.min(...[...document.querySelectorAll("
                "'.report dl.signer dd')].map(d => d.getBoundingClientRect().width)));"
            )
            b.screenshot(ARTIFACTS / f"doc-{tag}-document-top.png")
            b.js("document.querySelector('.report').scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-signature-card.png")
            scroll_all_images(b, ".doc-pages img")
            b.wait_for(
                "return [...document.querySelectorAll('.doc-pages img')]"
                ".every(i => i.complete && i.naturalWidth > 0);"
            )
            findings.setdefault("page_image", {})[tag] = b.js(
                "const i = document.querySelector('.doc-pages img');"
                "return [i.naturalWidth, Math.round(i.getBoundingClientRect().width)];"
            )
            b.js("document.querySelectorAll('.doc-pages img')[1].scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-page-images.png")
            assert b.js(NO_OVERFLOW)
            # What was checked, in words.
            b.js(
                "const d = document.querySelector('details.checks-plain'); d.open = true;"
                "d.scrollIntoView();"
            )
            assert b.js(NO_OVERFLOW)
            checks = str(b.text(b.find("ul.checks-plain")))
            assert "Незмінність документа: Документ не змінювався після підписання." in checks
            assert CODES.search(checks) is None
            b.screenshot(ARTIFACTS / f"doc-{tag}-checks.png")
            b.js("document.querySelector('details.checks-plain').open = false;")
            # The technical details open from the keyboard and still fit.
            summary = b.find("section.report details[data-technical] summary")
            b.js("arguments[0].focus();", {ELEMENT: summary})
            b.keys(ENTER)
            assert b.js(
                "return document.querySelector('section.report details[data-technical]').open;"
            )
            assert b.js(NO_OVERFLOW), ("technical open", tag, b.js(WIDTHS))
            b.js(
                "document.querySelector('section.report details[data-technical]').scrollIntoView();"
            )
            b.screenshot(ARTIFACTS / f"doc-{tag}-technical.png")
            # The altered copy: invalid, reason in words, codes folded.
            b.go(f"{base}/documents/{ids['bad']}")
            b.wait_for("return document.querySelector('.report') !== null;")
            check_page(b, f"bad-{tag}", findings)
            assert "Підпис недійсний" in str(b.js(VISIBLE_TEXT))
            b.js("document.querySelector('.report').scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-altered-copy.png")
            # Not a PDF: the box, no image.
            b.go(f"{base}/documents/{ids['fake']}")
            b.wait_for("return document.querySelector('.no-preview') !== null;")
            check_page(b, f"fake-{tag}", findings)
            assert b.js("return document.querySelectorAll('.doc-pages img').length;") == 0
            b.js("document.querySelector('.no-preview').scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-no-preview.png")
            # Search results with thumbnails, one with an unbreakable name.
            b.go(f"{base}/search?q=Шевченко")
            b.wait_for("return document.querySelectorAll('.hit').length > 0;")
            scroll_all_images(b, "img.thumb")
            b.js("window.scrollTo(0, 0);")
            b.wait_for(
                "return [...document.querySelectorAll('img.thumb')]"
                ".every(i => i.complete && i.naturalWidth > 0);"
            )
            check_page(b, f"search-{tag}", findings)
            assert b.js("return document.querySelectorAll('.hit').length;") >= 2
            b.screenshot(ARTIFACTS / f"doc-{tag}-search-thumbnails.png")
            b.js("[...document.querySelectorAll('.hit')].pop().scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-search-long-name.png")
            # The print view.
            b.go(f"{base}/documents/{ids['long']}/print")
            b.wait_for("return document.querySelector('.report') !== null;")
            assert b.js(NO_OVERFLOW), ("print", tag, b.js(WIDTHS))
            printed = b.text(b.find("main"))
            assert "Шевченко Тарас Григорович" in printed and "Підпис дійсний" in printed
            b.screenshot(ARTIFACTS / f"doc-{tag}-print.png")
            # Switched to English: the same page in English words, codes still folded.
            b.go(f"{base}/documents/{ids['long']}?lang=en")
            b.wait_for("return document.querySelector('.doc-pages img') !== null;")
            check_page(b, f"english-{tag}", findings)
            english = str(b.js(VISIBLE_TEXT))
            assert "The signature is valid" in english and "What was checked" in english
            assert b.js("return document.querySelector('.doc-pages img').alt;") == "Page 1 of 3"
            b.js("document.querySelector('.report').scrollIntoView();")
            b.screenshot(ARTIFACTS / f"doc-{tag}-english.png")
            b.go(f"{base}/search?lang=uk")
    finally:
        b.close()
    return findings


async def test_document_page_reads_well_at_both_widths(seeded: WebFixture) -> None:
    rt, good = seeded.rt, seeded.data.good_doc
    long_doc = await asyncio.to_thread(
        add_copy, rt, good, three_page_pdf(), filename=f"{LONG_WORD}.pdf", subject=LONG_SUBJECT
    )
    fake = await asyncio.to_thread(add_copy, rt, good, b"GIF89a" + b"\x00" * 300, filename="x.pdf")
    # A result whose recognised name and subject have no break opportunity, in the index.
    long_name = await asyncio.to_thread(
        add_copy,
        rt,
        good,
        three_page_pdf(),
        filename=f"{LONG_WORD}.pdf",
        subject=LONG_SUBJECT,
        fields={"person_name": "Довгопрізвищенко " + "Ааааааааааа" * 12},
    )
    await asyncio.to_thread(index, seeded, long_name)
    ids = {"long": long_doc, "bad": seeded.data.xss_doc, "fake": fake}
    findings = await asyncio.to_thread(drive, seeded.url("").rstrip("/"), ids)
    print("\nfindings:", findings)
    assert findings["inner"] == {"1366": 1366, "390": 390}
    assert findings["tab_stops_in_pages"] == {"1366": 1, "390": 1}  # "open the original"
    assert all(w >= 150 for w in findings["value_column"].values()), findings
    assert findings["page_image"]["1366"][0] == 1000
    for tag in ("1366", "390"):
        for shot in ("document-top", "signature-card", "page-images", "technical", "print"):
            assert (ARTIFACTS / f"doc-{tag}-{shot}.png").stat().st_size > 10_000
