"""The aiohttp application: pages (Ukrainian first), the JSON API and health/metrics endpoints.

`create_app` receives every dependency explicitly through `WebDeps`; the web layer never opens
configuration or databases itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
import jinja2
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from archive import localtime
from archive.blobs import Blobs
from archive.db import Database, check_write
from archive.keyring import Keyring
from archive.localtime import DEFAULT_ZONE
from ingest.settings import IngestSettings
from web import (
    api,
    errors,
    login,
    pages_arrivals,
    pages_audit,
    pages_check,
    pages_document,
    pages_mailboxes,
    pages_nodes,
    pages_quarantine,
    pages_registry,
    pages_search,
    pages_subjects,
    pages_trust,
    pages_users,
)
from web.auth import PUBLIC, LoginThrottle
from web.previews import PreviewCache
from web.readiness import Readiness, ReadinessCheck, folder_check, raising, summary
from web.request_ids import request_ids
from web.security import add_security_headers, gate, requires
from web.services import WebServices

HERE = Path(__file__).parent


@dataclass
class WebDeps:
    db: Database
    blobs: Blobs
    spool_dir: Path
    index_dir: Path
    keys_dir: Path
    secure_cookies: bool = False
    session_hours: int = 12
    login_attempts_per_minute: int = 5
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    #: Named checks run by /readyz (and exported as diia_inbox_ready). Components add theirs.
    readiness: Readiness = field(default_factory=Readiness)
    #: What /metrics exports; the composition root registers every part's collectors here.
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    #: Other parts of the service the pages use (search backend, verifier context, ...).
    services: WebServices = field(default_factory=WebServices)
    #: The keyring that encrypts mailbox secrets (serve hands in the installation's); None:
    #: the one in keys_dir, made if missing.
    mailbox_ring: Callable[[], Keyring] | None = None
    #: Ingest settings (OAuth clients for mailboxes signed in with OAuth2); None: defaults.
    ingest: IngestSettings | None = None
    #: The zone pages show times in (`[web] timezone`, checked by the configuration).
    timezone: str = DEFAULT_ZONE

    @property
    def zone(self) -> ZoneInfo:
        return localtime.zone(self.timezone)

    #: Page images of archived PDFs (web/previews.py); None: the document page shows the
    #: "no preview" box instead of pictures.
    previews: PreviewCache | None = None

    @classmethod
    def from_runtime_parts(
        cls,
        *,
        db: Database,
        blobs: Blobs,
        settings: Any,
        spool_dir: Path,
        index_dir: Path,
        keys_dir: Path,
        preview_dir: Path | None = None,
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
            timezone=str(getattr(settings, "timezone", DEFAULT_ZONE)),
            previews=PreviewCache(preview_dir, blobs) if preview_dir is not None else None,
        )
        for check in default_checks(db, blobs, spool_dir, index_dir):
            deps.readiness.add(check)
        return deps


def default_checks(
    db: Database, blobs: Blobs, spool_dir: Path, index_dir: Path
) -> list[ReadinessCheck]:
    """Every store a node writes to must take a write for the node to be ready."""
    return [
        ReadinessCheck("database", raising(lambda: check_write(db.engine))),
        folder_check("spool", spool_dir),
        folder_check("index", index_dir),
        ReadinessCheck("blobs", blobs.probe),
    ]


DEPS: web.AppKey[WebDeps] = web.AppKey("deps", WebDeps)


def time_filters(tz: ZoneInfo) -> dict[str, Callable[[Any], str]]:
    """Jinja filters over the one time helper: `when` (DD.MM.YYYY HH:MM), `day` (DD.MM.YYYY)."""
    return {
        "when": lambda value: localtime.display(value, tz),
        "day": lambda value: localtime.display_date(value, tz),
    }


@requires(*PUBLIC)
async def livez(request: web.Request) -> web.Response:
    """Liveness: the process and its event loop answer. Touches nothing else on purpose: a
    database outage must take the node out of rotation (/readyz), not get it restarted."""
    return web.json_response({"status": "ok"})


@requires(*PUBLIC)
async def readyz(request: web.Request) -> web.Response:
    """Readiness: every check passes, or 503 with each failing check's reason."""
    deps = request.app[DEPS]
    results = await asyncio.to_thread(deps.readiness.run)
    body = summary(results)
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


@requires(*PUBLIC)
async def metrics(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    payload = await asyncio.to_thread(generate_latest, deps.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


@requires(*PUBLIC)
async def favicon(request: web.Request) -> web.Response:
    """Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon."""
    raise web.HTTPMovedPermanently("/static/favicon.svg")


def create_app(deps: WebDeps) -> web.Application:
    app = web.Application(
        client_max_size=60 * 1024 * 1024,
        middlewares=[request_ids, api.json_errors, errors.error_pages, gate(DEPS)],
    )
    app[DEPS] = deps
    app.on_response_prepare.append(add_security_headers)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        filters=time_filters(deps.zone),
    )
    app.router.add_get("/livez", livez, name="livez")
    app.router.add_get("/readyz", readyz, name="readyz")
    # The single probe of earlier versions, kept for existing monitors: same as /readyz.
    app.router.add_get("/healthz", readyz, name="healthz")
    app.router.add_get("/metrics", metrics, name="metrics")
    app.router.add_get("/favicon.ico", favicon, name="favicon")
    app.router.add_get("/login", login.login_page, name="login")
    app.router.add_post("/login", login.login_submit, name="login.submit")
    app.router.add_post("/logout", login.logout, name="logout")
    for part in (
        pages_arrivals,
        pages_search,
        pages_document,
        pages_check,
        pages_quarantine,
        pages_registry,
        pages_users,
        pages_trust,
        pages_nodes,
        pages_mailboxes,
        pages_audit,
        pages_subjects,
        api,
    ):
        part.setup(app)
    app.router.add_static("/static", HERE / "static", name="static")
    return app
