"""Issue 14 on the web side: open redirect, range checks, JSON errors, headers, login race.

Every test talks to the real app on a real socket; the redirect checks resolve the Location the
way a browser's URL parser does (WHATWG: outer C0/space stripped, tab and newline removed,
backslash read as slash), since that, not the raw string, decides where the user lands.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from urllib.parse import quote, urljoin, urlsplit

import pytest
from aiohttp import ClientSession

from tests.web.conftest import PASSWORD, WebFixture, jar
from web.redirects import safe_next

HOSTILE_NEXT = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\t\\evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    " //evil.example",
    "\x00//evil.example",
    "//evil.example\x00",
    "/\x00/evil.example",
    "/\x1f/evil.example",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "http:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "evil.example",
    "/ /evil.example",
    "/\u2028/evil.example",
    "/\u00a0/evil.example",
    "",
]
SAFE_NEXT = ["/", "/documents/5", "/search?q=%D1%82%D0%B5%D1%81%D1%82&sort=date", "/audit?page=2"]


def browser_resolve(base: str, location: str) -> str:
    """Where a browser goes for `Location: location` on a page at `base` (WHATWG clean-up)."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = "".join(ch for ch in cleaned if ch not in "\t\n\r").replace("\\", "/")
    return urljoin(base, cleaned)


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_hostile_next_values_go_home(value: str) -> None:
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", SAFE_NEXT)
def test_same_site_paths_are_kept(value: str) -> None:
    assert safe_next(value) == value


async def _login_with_next(app: WebFixture, s: ClientSession, next_value: str) -> str:
    """Sign in with a correct password from /login?next=...; return the Location given."""
    location = ""
    # The form carries what the page decided; an attacker may also post `next` directly.
    for direct in (False, True):
        async with s.get(app.url("/login") + "?next=" + quote(next_value, safe="")) as r:
            page = await r.text()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form_next = re.search(r'name="next" value="([^"]*)"', page)
        assert token and form_next
        posted = next_value if direct else form_next.group(1)
        async with s.post(
            app.url("/login"),
            data={
                "username": "staff",
                "password": PASSWORD,
                "csrf_token": token.group(1),
                "next": posted,
            },
            allow_redirects=False,
        ) as r:
            assert r.status == 302
            location = r.headers["Location"]
        landed = urlsplit(browser_resolve(app.url("/login"), location)).netloc
        assert landed == urlsplit(app.url("/")).netloc, (posted, location)
    return location


async def test_sign_in_never_redirects_off_site(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        for value in HOSTILE_NEXT:
            assert await _login_with_next(webapp, s, value) == "/", repr(value)
        for value in SAFE_NEXT:
            assert await _login_with_next(webapp, s, value) == value


async def test_sign_in_returns_to_the_page_asked_for_with_its_query(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(webapp.url("/search?q=a&sort=date"), allow_redirects=False) as r:
            assert r.status == 302
            login_url = r.headers["Location"]
        async with s.get(webapp.url(login_url)) as r:
            page = await r.text()
        assert 'name="next" value="/search?q=a&amp;sort=date"' in page


# --- numbers and dates from the outside -------------------------------------------------------

HUGE = ["99999999999999999999", "9223372036854775808", "0", "-1", "١٢", "1e3", "+5"]


async def test_out_of_range_ids_are_404_on_pages_and_api(seeded: WebFixture) -> None:
    auth = {"Authorization": f"Bearer {seeded.tokens['admin']}"}
    async with ClientSession(headers=auth) as s:
        for value in HUGE:
            for path in (
                f"/documents/{value}",
                f"/documents/{value}/pdf",
                f"/qr/{value}/poster.pdf",
                f"/qr/{value}/poster.svg",
            ):
                async with s.get(seeded.url(path), allow_redirects=False) as r:
                    assert r.status == 404, (path, r.status)
            for path in (f"/api/v1/documents/{value}", f"/api/v1/documents/{value}/p7s"):
                async with s.get(seeded.url(path)) as r:
                    assert r.status == 404, (path, r.status)
                    assert r.content_type == "application/json"
                    assert (await r.json())["error"] == "NOT_FOUND"
        # The largest id a row can have is a plain "not found", not an overflow.
        async with s.get(seeded.url("/api/v1/documents/9223372036854775807")) as r:
            assert r.status == 404 and (await r.json())["error"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "query",
    [
        "received:<=9999-12-31",
        "received:0001-01-01",
        "received:>9999-12-31",
        "received:31.12.9999",
        "received:0001-01-01..2026-01-01",
        "received:9999",
    ],
)
async def test_out_of_range_dates_are_400_with_a_reason(seeded: WebFixture, query: str) -> None:
    auth = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=auth) as s:
        async with s.get(seeded.url("/api/v1/search"), params={"q": query}) as r:
            assert r.status == 400 and r.content_type == "application/json"
            body = await r.json()
        assert body["error"] == "DATE_OUT_OF_RANGE" and "1900" in body["detail"]
        # The page shows the reason beside the form (as for any query it cannot read).
        async with s.get(seeded.url("/search"), params={"q": query}) as r:
            assert r.status == 200
            assert "DATE_OUT_OF_RANGE" in await r.text()


async def test_every_api_error_is_json(seeded: WebFixture) -> None:
    auth = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=auth) as s:
        cases = [
            ("GET", "/api/v1/no-such-thing", 404),
            ("PUT", "/api/v1/me", 405),
            ("GET", "/api/v1/audit", 403),  # staff may not read the audit log
        ]
        for method, path, status in cases:
            async with s.request(method, seeded.url(path)) as r:
                assert r.status == status, path
                assert r.content_type == "application/json", path
                assert (await r.json())["error"]
    async with ClientSession() as anonymous:
        async with anonymous.get(seeded.url("/api/v1/me")) as r:
            assert r.status == 401 and r.content_type == "application/json"


async def test_an_unexpected_failure_in_the_api_is_a_json_500(seeded: WebFixture) -> None:
    """A real fault, not a mock: the documents table vanishes under the running app."""
    db_path = seeded.rt.config.database_url.removeprefix("sqlite:///")
    con = sqlite3.connect(db_path)
    con.execute("ALTER TABLE documents RENAME TO documents_gone")
    con.commit()
    con.close()
    auth = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    try:
        async with ClientSession(headers=auth) as s:
            async with s.get(seeded.url(f"/api/v1/documents/{seeded.data.good_doc}")) as r:
                assert r.status == 500
                assert r.content_type == "application/json"
                body = await r.json()
            assert body["error"] == "INTERNAL_ERROR" and "documents" not in body["detail"]
            assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
            assert r.headers["Cache-Control"] == "no-store"
            async with s.get(seeded.url(f"/documents/{seeded.data.good_doc}")) as r:
                assert r.status == 500
                assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
                assert r.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        con = sqlite3.connect(db_path)
        con.execute("ALTER TABLE documents_gone RENAME TO documents")
        con.commit()
        con.close()


# --- headers on every response ----------------------------------------------------------------

SECURITY = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


async def test_security_headers_on_redirects_errors_and_files(seeded: WebFixture) -> None:
    staff = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    cases: list[tuple[dict[str, str], str, str, int, bool]] = [
        ({}, "GET", "/search", 302, True),  # anonymous: raised redirect to sign-in
        ({}, "GET", "/login", 200, True),
        (staff, "GET", "/users", 403, True),  # staff may not manage users
        (staff, "GET", "/no/such/page", 404, True),
        (staff, "GET", "/documents/99999999999999999999", 404, True),
        (staff, "POST", "/healthz", 405, True),
        (staff, "GET", "/", 200, True),
        (staff, "GET", f"/documents/{seeded.data.good_doc}", 200, True),
        (staff, "GET", f"/documents/{seeded.data.good_doc}/pdf", 200, True),
        (staff, "GET", "/api/v1/me", 200, True),
        (staff, "GET", "/api/v1/search?q=%D1%82%D0%B5%D1%81%D1%82", 200, True),
        ({}, "GET", "/static/app.css", 200, False),
    ]
    async with ClientSession() as s:
        for headers, method, path, status, personal in cases:
            async with s.request(
                method, seeded.url(path), headers=headers, allow_redirects=False
            ) as r:
                assert r.status == status, (path, r.status)
                for name in SECURITY:
                    assert name in r.headers, (path, name)
                if personal:
                    assert r.headers.get("Cache-Control") == "no-store", path
                else:
                    assert r.headers.get("Cache-Control") != "no-store", path


async def test_sign_in_redirect_carries_the_headers(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(webapp.url("/login")) as r:
            token = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
        assert token
        async with s.post(
            webapp.url("/login"),
            data={"username": "staff", "password": PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
        ) as r:
            assert r.status == 302
            for name in SECURITY:
                assert name in r.headers
            assert r.headers["Cache-Control"] == "no-store"


# --- the login throttle under a race ----------------------------------------------------------


async def _parallel_wrong_logins(apps: list[WebFixture], attempts: int) -> list[int]:
    """`attempts` wrong passwords for one account at once, spread over `apps` (nodes)."""

    async def one(app: WebFixture) -> int:
        async with ClientSession(cookie_jar=jar()) as s:
            return await app.login(s, "staff", "wrong password!")

    return await asyncio.gather(*(one(apps[n % len(apps)]) for n in range(attempts)))


def _failed_checks(app: WebFixture) -> int:
    from sqlalchemy import func, select

    from archive.models import AuditEvent

    with app.rt.db.session() as s:
        return s.execute(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "login.failed")
        ).scalar_one()


async def test_parallel_attempts_get_no_more_password_checks_than_the_limit(
    webapp: WebFixture,
) -> None:
    statuses = await _parallel_wrong_logins([webapp], 40)
    limit = webapp.deps.login_attempts_per_minute
    assert statuses.count(401) == limit and statuses.count(429) == 40 - limit
    assert await asyncio.to_thread(_failed_checks, webapp) == limit


async def test_throttle_holds_across_nodes_on_postgresql(tmp_path: object, pg_url: str) -> None:
    """Two app instances (two nodes) on one PostgreSQL database share the limit."""
    from pathlib import Path

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from archive.users import add_user
    from diia_inbox.config import load_config
    from diia_inbox.runtime import Runtime
    from tests.web.conftest import make_deps
    from web.app import create_app

    assert isinstance(tmp_path, Path)
    nodes: list[WebFixture] = []
    runtimes = []
    try:
        for n in range(2):
            cfg = load_config(
                data_dir=tmp_path / f"node{n}", env={"DIIA_INBOX_DATABASE_URL": pg_url}
            )
            rt = Runtime.open(cfg)
            runtimes.append(rt)
            if n == 0:
                with rt.db.session() as s:
                    add_user(s, "staff", "staff", PASSWORD)
            deps = make_deps(rt)
            app: web.Application = create_app(deps)
            server = TestServer(app, host="127.0.0.1")
            await server.start_server()
            nodes.append(WebFixture(server, deps, {}, rt))
        statuses = await _parallel_wrong_logins(nodes, 40)
        limit = nodes[0].deps.login_attempts_per_minute
        assert statuses.count(401) == limit, statuses
        assert await asyncio.to_thread(_failed_checks, nodes[0]) == limit
    finally:
        for node in nodes:
            await node.server.close()
        for rt in runtimes:
            rt.close()


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "-528"},
        {"limit": "101"},
        {"limit": "0"},
        {"limit": "1e2"},
        {"offset": "-1"},
        {"offset": "99999999999999999999"},
        {"offset": "🇺🇸"},
    ],
)
async def test_out_of_range_paging_is_400(seeded: WebFixture, params: dict[str, str]) -> None:
    auth = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
    async with ClientSession(headers=auth) as s:
        async with s.get(seeded.url("/api/v1/search"), params={"q": "тест", **params}) as r:
            assert r.status == 400 and (await r.json())["error"] == "BAD_PARAMETER"
        async with s.get(seeded.url("/api/v1/search?q=x&offset=1&offset=2")) as r:
            assert r.status == 400
        async with s.get(seeded.url("/api/v1/search"), params={"q": "x", "limit": "100"}) as r:
            assert r.status == 200
