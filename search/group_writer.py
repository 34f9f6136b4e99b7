"""Group commit for the search index: many small adds become one commit.

Each Whoosh commit writes a segment and its table of contents and fsyncs them; at an archive
of tens of thousands of copies a commit costs more than analysing the document it carries
(issue 15). The worker finishes messages one at a time, so during a bulk import (an old mailbox,
a re-verification) one commit per message caps the whole pipeline. `GroupWriter` sits in front
of a backend in `serve`: `add` only queues, and one thread commits what has gathered, at most
`max_docs` at a time, `max_delay` seconds after the first of a group arrived.

What this costs, and why it is safe:
- A copy is searchable up to `max_delay` later than it is archived. The arrivals page reads the
  archive, not the index, so the front desk sees it at once.
- The index is derived data. Documents queued when the process dies are in the archive, and
  the backend's `reconcile` at the next start adds what the index lacks.
- A delete waits for a group being committed and drops queued documents it names, so a copy
  deleted right after it arrived is never written back. Before a group is committed, ids the
  archive no longer holds (erased by another process meanwhile) are left out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from search.index import IndexDoc, SearchBackend

log = logging.getLogger(__name__)


class GroupWriter:
    """A SearchBackend whose `add` is committed in groups by a thread of its own."""

    def __init__(
        self,
        backend: SearchBackend,
        *,
        still_archived: Callable[[Iterable[int]], set[int]] | None = None,
        max_docs: int = 200,
        max_delay: float = 0.25,
    ) -> None:
        self.backend = backend
        self.still_archived = still_archived
        self.max_docs = max(1, max_docs)
        self.max_delay = max(0.0, max_delay)
        #: Groups committed so far (for tests and the benchmark).
        self.commits = 0
        self._queue: list[IndexDoc] = []
        self._first_at = 0.0
        self._busy = False
        #: Ids deleted while a group was out of the queue and not yet committed.
        self._dropped: set[int] = set()
        self._closed = False
        self._cond = threading.Condition()
        #: Held while a group is written and while a delete runs: the two never interleave.
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- the SearchBackend side -----------------------------------------------------------

    def add(self, docs: Iterable[IndexDoc]) -> None:
        new = list(docs)
        if not new:
            return
        with self._cond:
            if self._closed:
                raise RuntimeError("group writer closed")
            if not self._queue:
                self._first_at = time.monotonic()
            self._queue.extend(new)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="index-group-commit", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def delete(self, ids: Iterable[int]) -> None:
        gone = set(ids)
        with self._writing:
            with self._cond:
                self._queue = [d for d in self._queue if d.id not in gone]
                if self._busy:
                    self._dropped |= gone
            self.backend.delete(gone)

    def flush(self) -> None:
        """Return once everything added before the call is committed (or failed and logged)."""
        with self._cond:
            self._first_at = 0.0  # due now
            self._cond.notify_all()
            while self._queue or self._busy:
                self._cond.wait(0.1)

    def rebuild(self, docs: Iterable[IndexDoc], progress: Any = None) -> int:
        self.flush()
        with self._writing:
            return self.backend.rebuild(docs, progress)

    def optimize(self) -> None:
        self.flush()
        with self._writing:
            optimize = getattr(self.backend, "optimize", None)
            if optimize is not None:
                optimize()

    def close(self) -> None:
        """Commit what is queued, stop the thread, close the backend."""
        self.flush()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(30)
        self.backend.close()

    def __getattr__(self, name: str) -> Any:
        # search, check, reconcile, ...: straight to the backend.
        return getattr(self.backend, name)

    # -- the committing thread --------------------------------------------------------------

    def _take(self) -> list[IndexDoc] | None:
        """The next group, when it is full or due; None when closed and empty."""
        with self._cond:
            while True:
                if self._queue:
                    waited = time.monotonic() - self._first_at
                    if len(self._queue) >= self.max_docs or waited >= self.max_delay:
                        group = self._queue[: self.max_docs]
                        self._queue = self._queue[self.max_docs :]
                        self._first_at = time.monotonic() if self._queue else 0.0
                        self._busy = True
                        return group
                    self._cond.wait(self.max_delay - waited)
                elif self._closed:
                    return None
                else:
                    self._cond.wait()

    def _run(self) -> None:
        while (group := self._take()) is not None:
            try:
                if self.still_archived is not None:  # a query: not while holding the writer
                    keep = self.still_archived(d.id for d in group)
                    group = [d for d in group if d.id in keep]
                with self._writing:
                    with self._cond:  # a delete may have come since the group was taken
                        group = [d for d in group if d.id not in self._dropped]
                    if group:
                        self.backend.add(group)
                        self.commits += 1
            except Exception as exc:  # derived data: `reconcile` at the next start repairs it
                log.warning("indexing %d documents failed: %s", len(group), type(exc).__name__)
            finally:
                with self._cond:
                    self._busy = False
                    self._dropped.clear()
                    self._cond.notify_all()
