"""A running web app on a real socket, with users of each role, for page and API tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from archive.users import add_user, issue_token
from web.app import WebDeps, create_app

PASSWORD = "a long test password"
ROLES = ("admin", "staff", "auditor")


@dataclass
class WebFixture:
    server: TestServer
    deps: WebDeps
    tokens: dict[str, str]
    rt: Any = None
    data: Any = None

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def login(self, session: ClientSession, username: str, password: str = PASSWORD) -> int:
        async with session.get(self.url("/login")) as resp:
            page = await resp.text()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        async with session.post(
            self.url("/login"),
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            allow_redirects=False,
        ) as resp:
            return resp.status

    async def csrf(self, session: ClientSession) -> str:
        async with session.get(self.url("/")) as resp:
            page = await resp.text()
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page
        return found.group(1)


def make_deps(rt: object) -> WebDeps:
    return WebDeps.from_runtime_parts(
        db=rt.db,  # type: ignore[attr-defined]
        blobs=rt.blobs,  # type: ignore[attr-defined]
        settings=rt.config.web,  # type: ignore[attr-defined]
        spool_dir=rt.config.spool_dir,  # type: ignore[attr-defined]
        index_dir=rt.config.index_dir,  # type: ignore[attr-defined]
        keys_dir=rt.config.keys_dir,  # type: ignore[attr-defined]
        preview_dir=rt.config.preview_dir,  # type: ignore[attr-defined]
    )


@pytest.fixture
async def webapp(sqlite_runtime: object) -> AsyncIterator[WebFixture]:
    rt = sqlite_runtime
    tokens = {}
    with rt.db.session() as s:  # type: ignore[attr-defined]
        for role in ROLES:
            add_user(s, role, role, PASSWORD)
            tokens[role] = issue_token(s, role)
    deps = make_deps(rt)
    app: web.Application = create_app(deps)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield WebFixture(server, deps, tokens, rt)
    finally:
        await server.close()


@pytest.fixture
async def seeded(webapp: WebFixture) -> WebFixture:
    """The web app over a small real archive (see tests/web/seed.py), services wired."""
    import asyncio

    from tests.web.seed import seed

    webapp.data = await asyncio.to_thread(seed, webapp.rt, webapp.deps)
    return webapp


def jar() -> CookieJar:
    return CookieJar(unsafe=True)  # the test server is on an IP address


async def signed_in(app: WebFixture, role: str) -> ClientSession:
    """A client session signed in as the user of `role` (close it after use)."""
    session = ClientSession(cookie_jar=jar())
    assert await app.login(session, role) == 302
    return session
