"""Sign-in, sessions, CSRF, rate limiting and tokens against a real server socket."""

from __future__ import annotations

from aiohttp import ClientSession, CookieJar

from tests.web.conftest import WebFixture


def jar() -> CookieJar:
    return CookieJar(unsafe=True)  # the test server is on an IP address


async def test_anonymous_pages_redirect_and_api_401(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(webapp.url("/"), allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"].startswith("/login?next=/")
        async with s.get(webapp.url("/api/v1/anything")) as r:
            assert r.status in (401, 404)
        async with s.get(webapp.url("/healthz")) as r:
            assert r.status == 200


async def test_login_session_cookie_flags_and_logout(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(webapp.url("/login")) as r:
            assert r.status == 200
        assert await webapp.login(s, "staff") == 302
        async with s.get(webapp.url("/")) as r:
            assert r.status == 200
            assert "staff" in await r.text()
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert "default-src 'self'" in r.headers["Content-Security-Policy"]
        cookie = next(c for c in s.cookie_jar if c.key == "diia_session")
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        csrf = await webapp.csrf(s)
        async with s.post(webapp.url("/logout"), data={}, allow_redirects=False) as r:
            assert r.status == 403  # no CSRF token
        async with s.post(
            webapp.url("/logout"), data={"csrf_token": csrf}, allow_redirects=False
        ) as r:
            assert r.status == 302
        async with s.get(webapp.url("/"), allow_redirects=False) as r:
            assert r.status == 302


async def test_wrong_password_and_throttle(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        statuses = [await webapp.login(s, "staff", "wrong password!") for _ in range(5)]
        assert statuses == [401] * 5
        # The limit (5 a minute) is reached: even the right password waits now.
        assert await webapp.login(s, "staff") == 429


async def test_login_form_needs_its_token(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.post(
            webapp.url("/login"),
            data={"username": "staff", "password": "a long test password"},
            allow_redirects=False,
        ) as r:
            assert r.status == 403


async def test_open_redirect_after_login_is_refused(webapp: WebFixture) -> None:
    async with ClientSession(cookie_jar=jar()) as s:
        async with s.get(webapp.url("/login?next=//evil.example/")) as r:
            page = await r.text()
        assert "evil.example" not in page


async def test_bearer_token_and_bad_token(webapp: WebFixture) -> None:
    async with ClientSession() as s:
        headers = {"Authorization": f"Bearer {webapp.tokens['staff']}"}
        async with s.get(webapp.url("/"), headers=headers, allow_redirects=False) as r:
            assert r.status == 200
        bad = {"Authorization": "Bearer dii_not-a-token"}
        async with s.get(webapp.url("/"), headers=bad, allow_redirects=False) as r:
            assert r.status == 302
