"""The aiohttp application: pages (Ukrainian first), the JSON API and health/metrics endpoints.

`create_app` receives every dependency explicitly through `WebDeps`; the web layer never opens
configuration or databases itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
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
from web import (
    api,
    login,
    pages_audit,
    pages_check,
    pages_document,
    pages_nodes,
    pages_quarantine,
    pages_registry,
    pages_search,
    pages_subjects,
    pages_trust,
    pages_users,
    services,
)
from web.auth import ANYONE, PUBLIC
from web.render import page
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


def when(value: object) -> str:
    """An ISO-8601 time as people read it: "2026-11-20 10:15:03 UTC"."""
    text = str(value or "")
    if "T" not in text:
        return text
    return text.replace("T", " ").replace("+00:00", " UTC").replace("Z", " UTC")


def day(value: object) -> str:
    """An ISO-8601 time as a Kyiv calendar date, DD.MM.YYYY (certificate validity)."""
    from zoneinfo import ZoneInfo

    text = str(value or "").replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return str(value or "")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%d.%m.%Y")


@requires(*PUBLIC)
async def healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    failed: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for name, check in deps.health_checks.items():
        try:
            await asyncio.to_thread(check)
        except Exception as exc:  # a health check must answer, whatever broke
            failed[name] = type(exc).__name__
            # Checks that explain themselves (the node checks) say why, for the operator.
            reason = getattr(exc, "health_reason", None)
            if isinstance(reason, str):
                reasons[name] = reason
    if failed:
        body: dict[str, object] = {"status": "unavailable", "failed": failed}
        if reasons:
            body["reasons"] = reasons
        return web.json_response(body, status=503)
    return web.json_response({"status": "ok"})


@requires(*PUBLIC)
async def metrics(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    parts = [await asyncio.to_thread(source) for source in deps.metrics]
    return web.Response(text="".join(parts), content_type="text/plain", charset="utf-8")


@requires(*ANYONE)
async def home(request: web.Request) -> web.Response:
    """A start page listing the tasks of the user's role, so nobody needs to know the URLs."""
    principal = request[PRINCIPAL]
    qr_attention = 0
    if principal is not None and principal.role == "admin":
        deps = request.app[DEPS]

        def count() -> int:
            from qrtools.expiry import expired_count, expiring_count

            with deps.db.session() as s:
                day = services.today(deps)
                days = services.remind_days(deps)
                return expiring_count(s, day, days) + expired_count(s, day)

        qr_attention = await asyncio.to_thread(count)
    return page(request, "home.html", {"qr_attention": qr_attention})


def create_app(deps: WebDeps) -> web.Application:
    app = web.Application(
        client_max_size=60 * 1024 * 1024, middlewares=[gate(DEPS), api.json_errors]
    )
    app[DEPS] = deps
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        filters={"when": when, "day": day},
    )
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/metrics", metrics, name="metrics")
    app.router.add_get("/login", login.login_page, name="login")
    app.router.add_post("/login", login.login_submit, name="login.submit")
    app.router.add_post("/logout", login.logout, name="logout")
    app.router.add_get("/", home, name="home")
    for part in (
        pages_search,
        pages_document,
        pages_check,
        pages_quarantine,
        pages_registry,
        pages_users,
        pages_trust,
        pages_nodes,
        pages_audit,
        pages_subjects,
        api,
    ):
        part.setup(app)
    app.router.add_static("/static", HERE / "static", name="static")
    return app
