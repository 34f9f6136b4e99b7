"""Composition of the long-running service: every component started in one asyncio loop.

SIGTERM and SIGINT stop the components in reverse order, so the receivers stop accepting (and
drain their sessions into the spool) before the worker and the web app go away.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import signal
from collections.abc import Callable
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web
from prometheus_client import CollectorRegistry

from archive import audit
from archive.cluster_lock import FIRST_START, cluster_lock
from archive.passwords import new_password
from archive.users import add_user, count_users
from diia_inbox.imap_service import mailbox_ring
from diia_inbox.runtime import Runtime
from diia_inbox.sdnotify import SystemdNotifier
from web.app import WebDeps, create_app
from web.readiness import ReadinessCheck, first_failure, folder_takes_write, raising
from web.services import SubjectEraser, WebServices

log = logging.getLogger("diia_inbox.server")


class Component(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def ensure_admin(rt: Runtime) -> str | None:
    """On first start create `admin` with a random password and return it (shown once)."""
    # Nodes starting together on an empty database: only the first makes `admin`.
    with cluster_lock(rt.db, FIRST_START), rt.db.session() as s:
        if count_users(s) > 0:
            return None
        password = new_password()
        user = add_user(s, "admin", "admin", password)
        audit.record(s, "system", "user.create", "user", user.id, detail={"role": "admin"})
        return password


class WebComponent:
    def __init__(
        self,
        rt: Runtime,
        host: str,
        port: int,
        *,
        services: WebServices,
        registry: CollectorRegistry,
        checks: list[ReadinessCheck],
    ) -> None:
        self.rt, self.host, self.port = rt, host, port
        self.services, self.registry, self.checks = services, registry, checks
        self.deps: WebDeps | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        cfg = self.rt.config
        deps = WebDeps.from_runtime_parts(
            db=self.rt.db,
            blobs=self.rt.blobs,
            settings=cfg.web,
            spool_dir=cfg.spool_dir,
            index_dir=cfg.index_dir,
            keys_dir=cfg.keys_dir,
            preview_dir=cfg.preview_dir,
        )
        deps.services = self.services
        deps.mailbox_ring = lambda: mailbox_ring(self.rt)
        deps.ingest = cfg.ingest
        deps.registry = self.registry
        for check in self.checks:
            deps.readiness.add(check)
        self.registry.register(deps.readiness)
        self.deps = deps
        self._runner = web.AppRunner(create_app(deps), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self.deps is not None:
            self.registry.unregister(self.deps.readiness)


class Closing:
    """Closes a resource (the search backend) when the service stops, after its users."""

    def __init__(self, resource: Any) -> None:
        self.resource = resource

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await asyncio.to_thread(self.resource.close)


def _today(tz_name: str) -> Callable[[], dt.date]:
    zone = ZoneInfo(tz_name)
    return lambda: dt.datetime.now(zone).date()


def _subject_eraser(rt: Runtime, search: Any) -> SubjectEraser:
    """The web's data-subject erasure: the same `privacy.erase` as the command, on this
    process's shared index (delete, then merge so the bytes leave the files)."""
    from diia_inbox import privacy

    def forget(ids: list[int]) -> None:
        if ids:
            search.delete(ids)
        optimize = getattr(search, "optimize", None)
        if optimize is not None:
            optimize()

    parts = dataclasses.replace(privacy.erasure_parts(rt), forget=forget)
    return lambda subject, actor, remote, copies, match: privacy.erase(
        parts, subject, actor, remote, copies=None if copies is None else list(copies), match=match
    )


def build_components(
    rt: Runtime, web_addr: tuple[str, int] | None, smtp_addr: tuple[str, int] | None
) -> list[Component]:
    """Everything `serve` runs, in start order; they stop in reverse, so the receivers stop
    accepting first, then IMAP pollers, the worker, the daily jobs, the web app, and the
    search backend is closed last."""
    from diia_inbox.cluster import ClusterCollector, NodeHeartbeat
    from diia_inbox.daily import DailyJobs
    from diia_inbox.imap_service import MailboxSupervisor
    from diia_inbox.metrics import ArchiveCollector, TimedSearch, service_registry
    from diia_inbox.trust_jobs import TrustJobs
    from diia_inbox.wiring import (
        context_factory,
        index_into,
        web_services,
        worker_loops,
        worker_pipeline,
        worker_search,
    )
    from ingest.metrics import IngestMetrics
    from ingest.smtp import AddressCache, build_receivers
    from ingest.spool import Spool
    from ingest.worker import Worker

    cfg = rt.config
    spool = Spool(cfg.spool_dir, max_attempts=cfg.ingest.max_attempts)
    node = NodeHeartbeat(rt, spool)
    registry = service_registry()
    ingest_metrics = IngestMetrics(queue_depth=spool.depth, registry=registry)
    # One search backend for the worker (writes, in groups) and the web pages (reads).
    search = TimedSearch(worker_search(cfg, rt.db), registry)
    index = index_into(search)

    # One verifier context for the pipeline, the trust jobs and the manual check: the national
    # bundle is loaded (and reloaded on a trust change) once, not once per user.
    make_context = context_factory(cfg.verify, cfg.trust_dir, db=rt.db)
    concurrency = worker_loops(cfg.ingest)
    pipeline, prepare_pool = worker_pipeline(
        cfg, rt.db, rt.blobs, search, make_context, loops=concurrency
    )
    worker = Worker(
        spool,
        pipeline,
        metrics=ingest_metrics,
        idle_seconds=cfg.ingest.worker_idle_seconds,
        concurrency=concurrency,
    )
    receivers = build_receivers(cfg.ingest, spool, AddressCache(rt.db), ingest_metrics, smtp_addr)
    for receiver in receivers:
        receiver.on_spooled = worker.wake
    # File accounts and accounts stored in the database, kept in step while running.
    mailboxes = MailboxSupervisor(rt, spool, on_spooled=worker.wake)
    today = _today(cfg.qr.timezone)
    registry.register(ArchiveCollector(rt.db, today, cfg.qr.remind_days))
    registry.register(ClusterCollector(rt.db))
    trust_jobs = TrustJobs(rt, make_context, index=index)
    services = web_services(
        cfg,
        rt.db,
        search=search,
        pipeline=pipeline,
        spool=spool,
        today=today,
        reverify=trust_jobs,
        subject_erase=_subject_eraser(rt, search),
        verify_context=make_context,
    )
    host, port = web_addr or (cfg.web.host, cfg.web.port)
    index_probes = [raising(search.check)]
    if cfg.search.backend == "whoosh":
        index_probes.append(lambda: folder_takes_write(cfg.index_dir))
    web_component = WebComponent(
        rt,
        host,
        port,
        services=services,
        registry=registry,
        checks=[ReadinessCheck("index", first_failure(*index_probes)), *node.checks()],
    )
    # The heartbeat stops after the receivers and the worker, so the spool depth a stopped
    # node leaves behind in the nodes list is its final one.
    return [
        Closing(search),
        node,
        web_component,
        DailyJobs(rt),
        trust_jobs,
        *([prepare_pool] if prepare_pool is not None else []),
        worker,
        mailboxes,
        *receivers,
    ]


async def serve(
    rt: Runtime,
    web: tuple[str, int] | None = None,
    smtp: tuple[str, int] | None = None,
) -> None:
    password = ensure_admin(rt)
    components = build_components(rt, web, smtp)
    notifier = SystemdNotifier()
    started: list[Component] = []
    try:
        for c in components:
            await c.start()
            started.append(c)
        host, port = web or (rt.config.web.host, rt.config.web.port)
        smtp_host, smtp_port = smtp or (rt.config.ingest.smtp_host, rt.config.ingest.smtp_port)
        print(
            f"diia-inbox: web at http://{host}:{port}/, SMTP at {smtp_host}:{smtp_port} "
            f"(data: {rt.config.data_dir})",
            flush=True,
        )
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
        notifier.ready(f"web {host}:{port}, SMTP {smtp_host}:{smtp_port}")
        await stop.wait()
        log.info("stopping")
    finally:
        await notifier.stopping()
        for c in reversed(started):
            try:
                await c.stop()
            except Exception:
                log.exception("error while stopping %s", type(c).__name__)
