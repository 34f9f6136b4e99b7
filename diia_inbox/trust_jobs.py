"""Trust upkeep inside `serve`: the daily `trust update` and re-verification after changes.

The trust material is shared installation state (the database), so a change can come from the
command line, the web page or another node. This component watches the database's trust
revision and re-verifies stored copies when it moves; it also runs the admin's "re-verify now"
button, and, when `[verify] trust_urls` are configured, downloads them once a day (and once
shortly after start). Work runs in a thread; the loop never dies on a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from archive import trust_files
from archive.db import Database
from diia_inbox.runtime import Runtime
from ingest.pipeline import Indexer
from ingest.reverify import ReverifyResult, Selection, reverify, select_documents

log = logging.getLogger("diia_inbox.trust_jobs")

UPDATE_EVERY = dt.timedelta(days=1)
#: PostgreSQL advisory lock keys: one node updates / re-verifies at a time (daily.py has 1, 2).
_LOCK_UPDATE = 0x_D11A_0012
_LOCK_REVERIFY = 0x_D11A_0013


@contextlib.contextmanager
def _exclusive(db: Database, key: int) -> Iterator[bool]:
    """On PostgreSQL, an advisory lock for the block (False: another node holds it)."""
    if db.is_sqlite:
        yield True
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        got = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({key})").scalar())
        try:
            yield got
        finally:
            if got:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({key})")


@dataclass
class ReverifyStatus:
    """What the trust page shows: a run in progress (done/total) or the last result."""

    running: bool = False
    done: int = 0
    total: int = 0
    last: ReverifyResult | None = None
    last_at: dt.datetime | None = None


class TrustJobs:
    """A `serve` component (start/stop) and the web's "reverify" service."""

    def __init__(
        self,
        rt: Runtime,
        make_context: Callable[[], Any],
        *,
        index: Indexer | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        startup_delay: float = 60.0,
    ) -> None:
        self.rt = rt
        self.make_context = make_context
        self.index = index
        self.clock = clock
        self.startup_delay = startup_delay
        self.poll = max(1.0, float(rt.config.verify.reverify_poll_seconds))
        self.status = ReverifyStatus()
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._next_update: dt.datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._requested: Selection | None = None

    # --- the web's button -----------------------------------------------------------------

    def request(self, selection: Selection = "all") -> None:
        """Ask for a re-verification run (the admin's button); it starts within a moment."""
        self._requested = selection
        self._wake.set()

    # --- one step, for tests and the loop -----------------------------------------------

    def run_reverify(self, selection: Selection, reason: str) -> ReverifyResult | None:
        if not self._lock.acquire(blocking=False):
            return None  # one run at a time
        try:
            with _exclusive(self.rt.db, _LOCK_REVERIFY) as mine:
                if not mine:
                    return None  # another node is re-verifying the same archive
                return self._run(selection, reason)
        finally:
            self.status.running = False
            self._lock.release()

    def _run(self, selection: Selection, reason: str) -> ReverifyResult:
        ids = select_documents(self.rt.db, selection)
        self.status = ReverifyStatus(True, 0, len(ids), self.status.last, self.status.last_at)

        def progress(done: int, total: int) -> None:
            self.status.done, self.status.total = done, total

        result = reverify(
            self.rt.db,
            self.rt.blobs,
            self.make_context,
            ids,
            index=self.index,
            progress=progress,
            reason=reason,
        )
        self.status = ReverifyStatus(False, result.checked, result.checked, result, self.clock())
        log.info(
            "re-verified %d documents (%s): %d changed, %.1f/s",
            result.checked,
            reason,
            result.changed,
            result.per_second,
        )
        return result

    def step(self) -> None:
        """Update when due, then re-verify if the trust revision moved or a run was asked."""
        urls = self.rt.config.verify.trust_urls
        now = self.clock()
        if urls and (self._next_update is None or now >= self._next_update):
            from diia_inbox.trust_admin import update

            with _exclusive(self.rt.db, _LOCK_UPDATE) as mine:
                if mine:
                    update(
                        self.rt.db,
                        urls,
                        actor="system",
                        timeout=self.rt.config.verify.trust_timeout,
                        min_certificates=self.rt.config.verify.trust_min_certificates,
                    )
            self._next_update = now + UPDATE_EVERY
        with self.rt.db.session() as s:
            revision = trust_files.revision(s)
        requested, self._requested = self._requested, None
        if self._seen is not None and revision != self._seen:
            # A removal can take trust away from any copy; an addition only adds.
            selection: Selection = "indeterminate" if revision[0] > self._seen[0] else "all"
            self.run_reverify(selection, "trust.change")
        elif requested is not None:
            self.run_reverify(requested, "admin.request")
        self._seen = revision

    # --- component --------------------------------------------------------------------

    async def start(self) -> None:
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _loop(self) -> None:
        with self.rt.db.session() as s:
            self._seen = trust_files.revision(s)
        first = True
        while True:
            try:
                await asyncio.wait_for(
                    self._wake.wait(), timeout=self.startup_delay if first else self.poll
                )
            except TimeoutError:
                pass
            first = False
            self._wake.clear()
            try:
                await asyncio.to_thread(self.step)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep watching whatever one step hit
                log.warning("trust upkeep failed: %s", type(exc).__name__)
