"""Request ids: one per request in X-Request-Id (a sane one from the proxy is kept), on the
access line, which names the route template and never the path or query."""

from __future__ import annotations

import logging
import re

import pytest
from aiohttp import ClientSession, CookieJar

from tests.web.conftest import WebFixture


async def test_request_ids_and_the_access_line(
    webapp: WebFixture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="diia_inbox.web.access")
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as s:
        async with s.get(webapp.url("/livez")) as r:
            own = r.headers["X-Request-Id"]
        async with s.get(webapp.url("/livez"), headers={"X-Request-Id": "nginx-4f1c2a9b"}) as r:
            kept = r.headers["X-Request-Id"]
        async with s.get(webapp.url("/livez"), headers={"X-Request-Id": "x y"}) as r:
            replaced = r.headers["X-Request-Id"]
        # A redirect (raised as an HTTP exception inside) carries one too.
        async with s.get(webapp.url("/documents/7?q=Шевченко"), allow_redirects=False) as r:
            assert r.status == 302 and re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    assert re.fullmatch(r"[0-9a-f]{16}", own) and re.fullmatch(r"[0-9a-f]{16}", replaced)
    assert kept == "nginx-4f1c2a9b" and own != replaced
    lines = [r.getMessage() for r in caplog.records if r.name == "diia_inbox.web.access"]
    assert any(line.startswith("GET /livez 200 ") for line in lines), lines
    assert any(line.startswith("GET /documents/{id} 302 ") for line in lines), lines
    assert not any("Шевченко" in line or "/documents/7" in line for line in lines)
