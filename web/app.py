"""The aiohttp application: pages (Ukrainian first), the JSON API and health/metrics endpoints.

`create_app` receives every dependency explicitly through `WebDeps`; the web layer never opens
configuration or databases itself.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from archive.blobs import BlobStore
from archive.db import Database, check_connection
from web import login
from web.auth import ANYONE, PUBLIC
from web.context import lang_of
from web.i18n import translator
from web.security import PRINCIPAL, gate, requires

HERE = Path(__file__).parent


def _writable(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path, prefix=".health-")
    os.close(fd)
    os.unlink(name)


@dataclass
class WebDeps:
    db: Database
    blobs: BlobStore
    spool_dir: Path
    index_dir: Path
    keys_dir: Path
    secure_cookies: bool = False
    session_hours: int = 12
    login_attempts_per_minute: int = 5
    #: Named checks run by /healthz; each raises on failure. Components add their own.
    health_checks: dict[str, Callable[[], None]] = field(default_factory=dict)
    #: Callables returning Prometheus text, concatenated by /metrics.
    metrics: list[Callable[[], str]] = field(default_factory=list)
    #: Other parts of the service the pages use (search backend, verifier context, ...).
    services: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_runtime_parts(
        cls,
        *,
        db: Database,
        blobs: BlobStore,
        settings: Any,
        spool_dir: Path,
        index_dir: Path,
        keys_dir: Path,
    ) -> WebDeps:
        deps = cls(
            db=db,
            blobs=blobs,
            spool_dir=spool_dir,
            index_dir=index_dir,
            keys_dir=keys_dir,
            secure_cookies=bool(getattr(settings, "secure_cookies", False)),
            session_hours=int(getattr(settings, "session_hours", 12)),
            login_attempts_per_minute=int(getattr(settings, "login_attempts_per_minute", 5)),
        )
        deps.health_checks.setdefault("database", lambda: check_connection(db.engine))
        deps.health_checks.setdefault("spool", lambda: _writable(spool_dir))
        deps.health_checks.setdefault("index", lambda: _writable(index_dir))
        return deps


DEPS: web.AppKey[WebDeps] = web.AppKey("deps", WebDeps)


@requires(*PUBLIC)
async def healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    failed: dict[str, str] = {}
    for name, check in deps.health_checks.items():
        try:
            await asyncio.to_thread(check)
        except Exception as exc:  # a health check must answer, whatever broke
            failed[name] = type(exc).__name__
    if failed:
        return web.json_response({"status": "unavailable", "failed": failed}, status=503)
    return web.json_response({"status": "ok"})


@requires(*PUBLIC)
async def metrics(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    parts = [await asyncio.to_thread(source) for source in deps.metrics]
    return web.Response(text="".join(parts), content_type="text/plain", charset="utf-8")


@requires(*ANYONE)
@aiohttp_jinja2.template("home.html")
async def home(request: web.Request) -> dict[str, object]:
    lang = lang_of(request)
    return {"lang": lang, "t": translator(lang), "principal": request[PRINCIPAL]}


def create_app(deps: WebDeps) -> web.Application:
    app = web.Application(client_max_size=60 * 1024 * 1024, middlewares=[gate(DEPS)])
    app[DEPS] = deps
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/login", login.login_page)
    app.router.add_post("/login", login.login_submit)
    app.router.add_post("/logout", login.logout)
    app.router.add_get("/", home)
    app.router.add_static("/static", HERE / "static")
    return app
