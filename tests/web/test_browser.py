"""End to end in real headless Chromium: sign in, search the fixture surname from the keyboard,
open the document, see the PDF and the report, check a P7S by hand; at office-PC width
(1366x768) and at phone width. Screenshots of each step go to tests/artifacts/browser/."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.web.conftest import PASSWORD, WebFixture
from tests.web.seed import SURNAME
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"

pytestmark = pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")


def drive(base: str, doc_id: int, p7s: Path, pdf: Path) -> None:
    b = Browser()
    try:
        b.size(1366, 768)
        # 1. Sign in with the keyboard only: the name field has the focus, Enter submits.
        b.go(f"{base}/login")
        assert b.active()["id"] == "username"
        b.screenshot(ARTIFACTS / "01-login.png")
        b.keys(*"staff", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        # 2. The menu's search link, by Tab and Enter, opens the search with the box focused
        # (no single-key shortcut: WCAG 2.1.4); Enter searches.
        for _ in range(30):
            b.keys(TAB)
            if b.active()["href"] == "/search":
                break
        b.keys(ENTER)
        b.wait_for("return location.pathname === '/search';")
        assert b.active()["id"] == "q"
        b.keys(*SURNAME, ENTER)
        b.wait_for("return document.querySelectorAll('.hit').length > 0;")
        assert b.active()["id"] == "q"  # the box keeps the focus for the next search
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "02-search-results.png")
        results = b.text(b.find(".results"))
        assert "Шевченко Тарас Григорович" in results and "Підпис дійсний" in results
        # 3. Results are reachable by Tab; Enter opens the document.
        for _ in range(30):
            b.keys(TAB)
            if "hit-link" in str(b.active()["cls"]):
                break
        assert b.active()["href"] == f"/documents/{doc_id}"
        b.keys(ENTER)
        b.wait_for(f"return location.pathname === '/documents/{doc_id}';")
        page = b.text(b.find("main"))
        assert "Підпис дійсний" in page and "ТОВ «Готель Дніпро»" in page
        # The first page as a picture; the original PDF one click away (issue 13.5).
        b.wait_for(
            "const i = document.querySelector('.doc-pages img');"
            "return i !== null && i.complete && i.naturalWidth > 0;"
        )
        pdf_url = b.js(
            "return [...document.querySelectorAll('.doc-pages a')]"
            ".find(a => a.textContent.includes('Відкрити оригінальний PDF')).href;"
        )
        assert pdf_url.endswith(f"/documents/{doc_id}/pdf?inline=1")
        status = b.js_async(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0]).then(r => done([r.status, r.headers.get('content-type')]));",
            pdf_url,
        )
        assert status == [200, "application/pdf"]
        b.screenshot(ARTIFACTS / "03-document.png")
        # 4. The technical details unfold from the keyboard too.
        summary = b.find("section.report details[data-technical] summary")
        b.js("arguments[0].focus();", {"element-6066-11e4-a52e-4f735466cecf": summary})
        b.keys(ENTER)
        assert b.js("return document.querySelector('section.report details[data-technical]').open;")
        b.js("document.querySelector('section.report details[data-technical]').scrollIntoView();")
        b.screenshot(ARTIFACTS / "04-report-details.png")
        # 5. The manual check: upload the P7S and its PDF, read the verdict.
        b.go(f"{base}/check")
        b.type(b.find("#p7s"), str(p7s))
        b.type(b.find("#pdf"), str(pdf))
        b.screenshot(ARTIFACTS / "05-check-form.png")
        b.click(b.find("#check-submit"))
        b.wait_for("return document.getElementById('check-result') !== null;")
        result = b.text(b.find("#check-result"))
        assert "Підпис дійсний" in result and "Нічого не збережено" in result
        b.screenshot(ARTIFACTS / "06-check-result.png")
        # 6. Phone width: the same pages fit without sideways scrolling.
        b.size(390, 844)
        b.go(f"{base}/search?q={SURNAME}")
        b.wait_for("return document.querySelectorAll('.hit').length > 0;")
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "07-phone-search.png")
        b.go(f"{base}/documents/{doc_id}")
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "08-phone-document.png")
        b.go(f"{base}/check")
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "09-phone-check.png")
        # Every form field on these pages has a label.
        unlabelled = b.js(
            "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(e => !(e.labels && e.labels.length)).map(e => e.name);"
        )
        assert unlabelled == []
    finally:
        b.close()


async def test_staff_journey_in_chromium(seeded: WebFixture, tmp_path: Path) -> None:
    p7s, pdf = tmp_path / "copy.pdf.p7s", tmp_path / "copy.pdf"
    p7s.write_bytes(seeded.data.p7s)
    pdf.write_bytes(seeded.data.pdf)
    base = seeded.url("").rstrip("/")
    # The browser is driven from a thread so this event loop keeps serving the app.
    await asyncio.to_thread(drive, base, seeded.data.good_doc, p7s, pdf)
    shots = sorted(p.name for p in ARTIFACTS.glob("*.png"))
    assert len(shots) >= 9


ADMIN_PAGES = (
    "/",
    "/quarantine",
    "/branches",
    "/qr",
    "/users",
    "/trust",
    "/nodes",
    "/audit",
    "/retention",
    "/subjects",
    "/account",
    "/search?q=Тестенко",
)


def tour(base: str) -> list[str]:
    """Every admin page at both widths: no sideways scrolling, every field labelled."""
    problems: list[str] = []
    b = Browser()
    try:
        b.size(1366, 768)
        b.go(f"{base}/login")
        b.keys(*"admin", TAB, *PASSWORD, ENTER)
        b.wait_for("return location.pathname === '/';")
        for width, height, tag in ((1366, 768, "desktop"), (390, 844, "phone")):
            b.size(width, height)
            for path in ADMIN_PAGES:
                b.go(base + path)
                name = path.strip("/").split("?")[0] or "home"
                b.screenshot(ARTIFACTS / f"admin-{tag}-{name}.png")
                if not b.js(NO_OVERFLOW):
                    problems.append(f"{tag} {path}: wider than the window")
                unlabelled = b.js(
                    "return [...document.querySelectorAll("
                    "'input:not([type=hidden]), select, textarea')]"
                    ".filter(e => !(e.labels && e.labels.length)).map(e => e.name || e.id);"
                )
                if unlabelled:
                    problems.append(f"{tag} {path}: unlabelled {unlabelled}")
                if b.js("return document.querySelector('h1') === null;"):
                    problems.append(f"{tag} {path}: no heading")
    finally:
        b.close()
    return problems


async def test_admin_pages_fit_both_widths(seeded: WebFixture) -> None:
    base = seeded.url("").rstrip("/")
    assert await asyncio.to_thread(tour, base) == []
