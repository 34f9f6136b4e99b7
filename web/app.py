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

import aiohttp_jinja2
import jinja2
from aiohttp import web

from archive.blobs import BlobStore
from archive.db import Database, DatabaseError, check_connection
from web.i18n import translator

HERE = Path(__file__).parent

DEPS: web.AppKey[WebDeps] = web.AppKey("deps")


def _writable(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path, prefix=".health-")
    os.close(fd)
    os.unlink(name)


@dataclass
class WebDeps:
    db: Database
    blobs: BlobStore
    settings: object
    spool_dir: Path
    index_dir: Path
    keys_dir: Path
    #: Named checks run by /healthz; each raises on failure. Components add their own.
    health_checks: dict[str, Callable[[], None]] = field(default_factory=dict)

    @classmethod
    def from_runtime_parts(
        cls,
        *,
        db: Database,
        blobs: BlobStore,
        settings: object,
        spool_dir: Path,
        index_dir: Path,
        keys_dir: Path,
    ) -> WebDeps:
        deps = cls(db, blobs, settings, spool_dir, index_dir, keys_dir)
        deps.health_checks.setdefault("database", lambda: check_connection(db.engine))
        deps.health_checks.setdefault("spool", lambda: _writable(spool_dir))
        deps.health_checks.setdefault("index", lambda: _writable(index_dir))
        return deps


async def healthz(request: web.Request) -> web.Response:
    deps = request.app[DEPS]
    failed: dict[str, str] = {}
    for name, check in deps.health_checks.items():
        try:
            await asyncio.to_thread(check)
        except (OSError, DatabaseError) as exc:
            failed[name] = type(exc).__name__
        except Exception as exc:  # a health check must answer, whatever broke
            failed[name] = type(exc).__name__
    if failed:
        return web.json_response({"status": "unavailable", "failed": failed}, status=503)
    return web.json_response({"status": "ok"})


def _lang(request: web.Request) -> str:
    lang = request.query.get("lang") or request.cookies.get("lang") or "uk"
    return lang if lang in ("uk", "en") else "uk"


@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, object]:
    lang = _lang(request)
    return {"lang": lang, "t": translator(lang), "error": None, "next": request.query.get("next")}


async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/login")


def create_app(deps: WebDeps) -> web.Application:
    app = web.Application(client_max_size=60 * 1024 * 1024)
    app[DEPS] = deps
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/login", login_page)
    app.router.add_get("/", index)
    app.router.add_static("/static", HERE / "static")
    return app
