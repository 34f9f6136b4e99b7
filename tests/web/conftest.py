"""A running web app on a real socket, with users of each role, for page and API tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import ClientSession, web
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
        yield WebFixture(server, deps, tokens)
    finally:
        await server.close()
