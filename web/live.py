"""Live arrivals: one watcher per web process tells open pages that a new copy arrived.

The watcher polls the archive for the newest copy id (one indexed `max(id)` query twice a
second, and only while a page is listening), so it sees copies archived by any worker on any
node, not only this process's own. Pages listen over Server-Sent Events (`/arrivals/events`);
when the stream is unavailable the page falls back to polling `/arrivals/latest`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from archive.arrivals import latest_id
from archive.db import Database

log = logging.getLogger("diia_inbox.web.live")


class ArrivalWatch:
    def __init__(self, db: Database, interval: float = 0.5) -> None:
        self.db = db
        self.interval = interval
        self.latest = 0
        self.listeners = 0
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self.closing = asyncio.Event()

    def _read(self) -> int:
        with self.db.session() as s:
            return latest_id(s)

    async def _run(self) -> None:
        while not self.closing.is_set():
            if self.listeners > 0:
                try:
                    newest = await asyncio.to_thread(self._read)
                except Exception as exc:  # a database hiccup must not end the live view
                    log.warning("arrivals watch: %s", type(exc).__name__)
                    newest = self.latest
                if newest != self.latest:
                    self.latest = newest
                    async with self._changed:
                        self._changed.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.interval)

    async def refresh(self) -> int:
        """Read the newest id now (a first listener must not be told a stale one)."""
        newest = await asyncio.to_thread(self._read)
        if newest != self.latest:
            self.latest = newest
            async with self._changed:
                self._changed.notify_all()
        return newest

    async def start(self) -> None:
        self.latest = await asyncio.to_thread(self._read)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Let every open stream end (so shutdown does not wait for browsers), then stop."""
        self.closing.set()
        async with self._changed:
            self._changed.notify_all()
        if self._task is not None:
            await self._task

    async def wait_newer(self, than: int, timeout: float) -> int:
        """The newest id once it differs from `than`, or the current one after `timeout`."""
        if self.latest != than or self.closing.is_set():
            return self.latest
        with contextlib.suppress(TimeoutError):
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.latest != than or self.closing.is_set()),
                    timeout,
                )
        return self.latest
