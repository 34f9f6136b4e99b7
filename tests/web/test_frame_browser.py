"""The frame in real Chromium: error pages at office-PC and phone width, and the phone menu
folded into one "Меню" button that opens and closes from the keyboard. Screenshots go to
tests/artifacts/frame/."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import PASSWORD, WebFixture
from tests.web.webdriver import ENTER, NO_OVERFLOW, TAB, Browser, available

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "frame"

pytestmark = pytest.mark.skipif(not available(), reason="chromium/chromedriver not installed")

ESCAPE = "\ue00c"
#: What a person sees of the menu: its summary, and how many section links are on screen.
MENU_STATE = """
const menu = document.querySelector('details.menu');
const summary = menu.querySelector('summary');
const shown = [...menu.querySelectorAll('nav a')].filter(a => a.checkVisibility());
return {open: menu.open, summary: getComputedStyle(summary).display !== 'none',
        links: shown.length, header: document.querySelector('header.top').offsetHeight};
"""


def sign_in(b: Browser, base: str, user: str) -> None:
    b.go(f"{base}/login")
    b.keys(*user, TAB, *PASSWORD, ENTER)
    b.wait_for("return location.pathname === '/';")


def walk(base: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    b = Browser()
    try:
        b.size(1366, 768)
        sign_in(b, base, "admin")
        # Office PC: the whole menu in the header, no "Меню" button; a 404 in the frame.
        b.go(f"{base}/documents/987654")
        assert "Сторінку не знайдено" in b.text(b.find("main"))
        seen["desktop"] = b.js(MENU_STATE)
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "404-1366.png")
        # The way back: from a page of ours, "Назад" returns to it.
        b.go(f"{base}/search")
        b.js("location.href = '/no/such/page';")
        b.wait_for("return document.querySelector('a[data-back]') !== null;")
        b.click(b.find("a[data-back]"))
        b.wait_for("return location.pathname === '/search';")
        # The icon: the page links the SVG, and /favicon.ico leads to it.
        seen["favicon"] = b.js_async(
            "const done = arguments[arguments.length - 1];"
            "fetch('/favicon.ico').then(r => done([r.status, r.headers.get('content-type')]));"
        )
        # Phone: the menu folds into one button under the product name.
        b.size(390, 844)
        b.go(f"{base}/no/such/page")
        seen["phone"] = b.js(MENU_STATE)
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "404-390.png")
        # Keyboard: skip link, product name, then the menu button; Enter opens it.
        b.js("document.activeElement.blur(); window.scrollTo(0, 0);")
        b.keys(TAB, TAB, TAB)
        seen["focused"] = b.active()["tag"]
        b.keys(ENTER)
        seen["opened"] = b.js(MENU_STATE)
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "menu-open-390.png")
        b.keys(TAB)
        seen["first_link"] = b.active()["href"]
        b.keys(ESCAPE)
        seen["escaped"] = b.js(MENU_STATE)
        seen["focus_after_escape"] = b.active()["tag"]
        # A staff member meets a refusal on the phone, in the frame, menu still folded.
        b.go(f"{base}/account")
        b.js("document.querySelector('form.logout').submit();")
        b.wait_for("return location.pathname === '/login';")
        sign_in(b, base, "staff")
        b.go(f"{base}/users")
        assert "Доступ заборонено" in b.text(b.find("main"))
        seen["phone403"] = b.js(MENU_STATE)
        assert b.js(NO_OVERFLOW)
        b.screenshot(ARTIFACTS / "403-390.png")
        b.size(1366, 768)
        b.go(f"{base}/users?lang=en")
        assert "Access denied" in b.text(b.find("main"))
        b.screenshot(ARTIFACTS / "403-1366-en.png")
    finally:
        b.close()
    return seen


async def test_error_pages_and_phone_menu_in_chromium(seeded: WebFixture) -> None:
    base = seeded.url("").rstrip("/")
    seen = await asyncio.to_thread(walk, base)
    desktop, phone, opened = seen["desktop"], seen["phone"], seen["opened"]
    assert desktop["open"] and not desktop["summary"] and desktop["links"] >= 10
    assert not phone["open"] and phone["summary"] and phone["links"] == 0
    # Folded, the admin's header is one row of the product name and the button (it was five).
    assert phone["header"] < 80, phone
    assert seen["focused"] == "SUMMARY"
    assert opened["open"] and opened["links"] == desktop["links"]
    assert seen["first_link"] == "/search"
    assert not seen["escaped"]["open"] and seen["focus_after_escape"] == "SUMMARY"
    assert seen["favicon"] == [200, "image/svg+xml"]
    assert not seen["phone403"]["open"] and seen["phone403"]["summary"]
    for name in ("404-1366", "404-390", "menu-open-390", "403-390", "403-1366-en"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000, name
