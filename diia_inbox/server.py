"""Composition of the long-running service: every component started in one asyncio loop.

SIGTERM and SIGINT stop the components in reverse order, so the receiver stops accepting
before the worker and the web app go away.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Protocol

from aiohttp import web

from archive import audit
from archive.passwords import new_password
from archive.users import add_user, count_users
from diia_inbox.runtime import Runtime
from web.app import WebDeps, create_app

log = logging.getLogger("diia_inbox.server")


class Component(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def ensure_admin(rt: Runtime) -> str | None:
    """On first start create `admin` with a random password and return it (shown once)."""
    with rt.db.session() as s:
        if count_users(s) > 0:
            return None
        password = new_password()
        user = add_user(s, "admin", "admin", password)
        audit.record(s, "system", "user.create", "user", user.id, detail={"role": "admin"})
        return password


class WebComponent:
    def __init__(self, rt: Runtime, host: str, port: int) -> None:
        self.rt, self.host, self.port = rt, host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = create_app(
            WebDeps.from_runtime_parts(
                db=self.rt.db,
                blobs=self.rt.blobs,
                settings=self.rt.config.web,
                spool_dir=self.rt.config.spool_dir,
                index_dir=self.rt.config.index_dir,
                keys_dir=self.rt.config.keys_dir,
            )
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def build_components(
    rt: Runtime, web_addr: tuple[str, int] | None, smtp_addr: tuple[str, int] | None
) -> list[Component]:
    cfg = rt.config
    host, port = web_addr or (cfg.web.host, cfg.web.port)
    components: list[Component] = [WebComponent(rt, host, port)]
    # --- mail receiver (F1): SMTP, and LMTP when `ingest.lmtp_host` is set. It comes last so
    # that on SIGTERM it stops accepting first. Spool and metrics are shared with the worker
    # and `/metrics`; lift them out of this block when those are wired.
    from ingest.metrics import IngestMetrics
    from ingest.smtp import AddressCache, build_receivers
    from ingest.spool import Spool

    spool = Spool(cfg.spool_dir, max_attempts=cfg.ingest.max_attempts)
    ingest_metrics = IngestMetrics(queue_depth=spool.depth)
    components.extend(
        build_receivers(cfg.ingest, spool, AddressCache(rt.db), ingest_metrics, smtp_addr)
    )
    # --- end of mail receiver
    return components


async def serve(
    rt: Runtime,
    web: tuple[str, int] | None = None,
    smtp: tuple[str, int] | None = None,
) -> None:
    password = ensure_admin(rt)
    components = build_components(rt, web, smtp)
    started: list[Component] = []
    try:
        for c in components:
            await c.start()
            started.append(c)
        host, port = web or (rt.config.web.host, rt.config.web.port)
        print(f"diia-inbox: web at http://{host}:{port}/ (data: {rt.config.data_dir})", flush=True)
        if password:
            print(
                "diia-inbox: first start: created user 'admin' with password "
                f"{password}  (shown once; change it after signing in)",
                flush=True,
            )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("stopping")
    finally:
        for c in reversed(started):
            try:
                await c.stop()
            except Exception:
                log.exception("error while stopping %s", type(c).__name__)
