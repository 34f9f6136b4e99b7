"""403, 404 and 500 as pages in the normal frame, in both languages, with a way back, the
security headers, and nothing of the failure itself (no message, no traceback); the API keeps
its JSON errors. Also the favicon and the product's name."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from tests.web.conftest import WebFixture, jar, make_deps, signed_in
from web.app import create_app
from web.auth import ANYONE
from web.security import SECURITY_HEADERS, requires

SECRET = "s3cr3t-detail-from-the-exception"
INDEPENDENT_UK = "незалежний проєкт з відкритим кодом"
INDEPENDENT_EN = "independent open-source project"


def assert_framed(html: str, headers: object) -> None:
    """The normal frame: header with the product name, footer line, security headers."""
    assert '<header class="top">' in html and 'class="brand" href="/"' in html
    assert "diia-inbox" in html and "Дія.Вхідні" not in html
    assert '<footer class="site">' in html
    assert 'rel="icon" href="/static/favicon.svg"' in html
    assert "Traceback" not in html
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert headers["Cache-Control"] == "no-store"  # type: ignore[index]


async def test_404_for_an_unknown_page_and_a_missing_document(seeded: WebFixture) -> None:
    async with await signed_in(seeded, "staff") as s:
        for path in ("/no/such/page", "/documents/987654", "/documents/987654/print"):
            async with s.get(seeded.url(path)) as r:
                html = await r.text()
                assert r.status == 404, path
                assert r.content_type == "text/html"
                assert_framed(html, r.headers)
            assert "Сторінку не знайдено" in html and INDEPENDENT_UK in html
            assert '<a class="button" href="/">На головну сторінку</a>' in html
            assert "no such document" not in html  # the handler's own text is not echoed
            assert 'href="/search"' in html  # a signed-in visitor keeps the menu
        async with s.get(seeded.url("/no/such/page?lang=en")) as r:
            html = await r.text()
        assert r.status == 404 and "Page not found" in html and INDEPENDENT_EN in html
        assert '<html lang="en">' in html and ">To the start page</a>" in html


async def test_403_in_the_frame_with_a_link_back(seeded: WebFixture) -> None:
    async with await signed_in(seeded, "staff") as s:
        came_from = seeded.url("/search?q=x")
        async with s.get(seeded.url("/users"), headers={"Referer": came_from}) as r:
            html = await r.text()
            assert r.status == 403
            assert_framed(html, r.headers)
        assert "Доступ заборонено" in html and "адміністратора" in html
        assert 'href="/search?q=x" data-back>' in html
        # A link back only to our own pages, never to where a foreign Referer points.
        for foreign in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)"):
            async with s.get(seeded.url("/users"), headers={"Referer": foreign}) as r:
                html = await r.text()
            assert r.status == 403 and "data-back" not in html and "evil" not in html
        async with s.get(seeded.url("/users?lang=en")) as r:
            assert "Access denied" in await r.text()


async def test_anonymous_404_has_no_menu(seeded: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s, s.get(seeded.url("/nope")) as r:
        html = await r.text()
    assert r.status == 404 and "Сторінку не знайдено" in html
    assert 'class="menu"' not in html and 'href="/search"' not in html


@requires(*ANYONE)
async def boom(request: web.Request) -> web.Response:
    raise RuntimeError(SECRET)


@pytest.fixture
async def failing(seeded: WebFixture) -> AsyncIterator[WebFixture]:
    """The app with one page and one API route whose handler has a bug."""
    app = create_app(make_deps(seeded.rt))
    app.router.add_get("/boom", boom)
    app.router.add_get("/api/v1/boom", boom)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield WebFixture(server, seeded.deps, seeded.tokens, seeded.rt, seeded.data)
    finally:
        await server.close()


async def test_500_is_a_page_without_the_failure(failing: WebFixture) -> None:
    async with await signed_in(failing, "staff") as s:
        async with s.get(failing.url("/boom")) as r:
            html = await r.text()
            assert r.status == 500
            assert_framed(html, r.headers)
            rid = r.headers["X-Request-Id"]
        assert "Щось пішло не так" in html
        assert f'<code class="rid">{rid}</code>' in html  # what matches the log line
        assert SECRET not in html and "RuntimeError" not in html
        async with s.get(failing.url("/boom?lang=en")) as r:
            assert "Something went wrong" in await r.text()
        async with s.get(failing.url("/api/v1/boom")) as r:
            body = await r.json()
        assert r.status == 500 and body == {"error": "INTERNAL_ERROR", "detail": ""}


async def test_api_errors_stay_json(seeded: WebFixture) -> None:
    headers = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=headers) as s:
        async with s.get(seeded.url("/api/v1/no-such")) as r:
            assert r.status == 404 and (await r.json())["error"] == "NOT_FOUND"
        async with s.get(seeded.url("/api/v1/documents/987654")) as r:
            assert r.status == 404 and r.content_type == "application/json"
        async with s.get(seeded.url("/api/v1/quarantine")) as r:
            assert r.status == 403 and r.content_type == "application/json"


async def test_favicon(seeded: WebFixture) -> None:
    async with ClientSession() as s:
        async with s.get(seeded.url("/favicon.ico"), allow_redirects=False) as r:
            assert r.status == 301 and r.headers["Location"] == "/static/favicon.svg"
        async with s.get(seeded.url("/favicon.ico")) as r:
            svg = await r.text()
            assert r.status == 200 and r.content_type == "image/svg+xml"
    assert svg.lstrip().startswith("<svg") and "<script" not in svg


async def test_product_name_and_independence_line(seeded: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(seeded.url("/login")) as r:
            html = await r.text()
        async with s.get(seeded.url("/login?lang=en")) as r:
            english = await r.text()
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    assert title and "diia-inbox · вхідні копії Дія.QR" in title.group(1)
    assert INDEPENDENT_UK in html and "Міністерства цифрової трансформації" in html
    assert INDEPENDENT_EN in english and "Ministry of Digital Transformation" in english


def test_every_error_page_has_its_sentences() -> None:
    from web.errors import PAGES
    from web.i18n import CATALOGUE

    keys = [f"error.{s}.{part}" for s in PAGES for part in ("title", "text")]
    assert [k for k in keys if k not in CATALOGUE] == []
