"""The worker: takes messages from the spool and runs the pipeline on them, `concurrency` at once.

The pipeline is CPU-bound (signature verification, PDF extraction), so each message is handled in
a thread (`asyncio.to_thread`) and the event loop stays free for the SMTP receiver and the web
app. With several loops, messages are handled in parallel: extraction runs in child processes
and the C kernels of the Ukrainian algorithms release the GIL, so two cores are used; a claim is
an atomic rename in the spool, so no item is handed to two loops. A spool item is `done` only
after the archive commit returned; a crash in between hands it out again and the pipeline's
unique `raw_sha256` makes the second run a no-op.

What happens to an item, by outcome:
    archived / duplicate        -> spool.done
    quarantined (permanent)     -> spool.quarantine with the pipeline's reason
    TransientError              -> spool.retry (back-off); after max attempts the spool sets it
                                   aside and we record a quarantined row if the database is back
    anything unexpected (a bug) -> the same as transient, so a defect triggered by one hostile
                                   message costs a few attempts and then quarantine, never a loop
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from ingest.metrics import IngestMetrics
from ingest.pipeline import Outcome, PipelineDeps, TransientError, process, quarantine_raw
from ingest.spool import Spool, SpoolItem

log = logging.getLogger("diia_inbox.ingest.worker")

INTERNAL_ERROR = "INTERNAL_ERROR"
TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"


@dataclass(frozen=True)
class Handled:
    """What became of one spool item (for tests, the CLI and metrics)."""

    item_id: str
    action: str  # done | quarantined | retry
    outcome: Outcome | None
    reason: str | None = None


#: The smallest well-formed one-page PDF (no text), for `Worker._warm_up`.
WARM_UP_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class Worker:
    """A component (`start`/`stop`) draining the spool through the pipeline."""

    def __init__(
        self,
        spool: Spool,
        deps: PipelineDeps,
        *,
        metrics: IngestMetrics | None = None,
        idle_seconds: float = 1.0,
        concurrency: int = 1,
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.spool = spool
        self.deps = deps
        self.metrics = metrics
        self.idle_seconds = idle_seconds
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_failures = 0
        self._tasks: list[asyncio.Task[None]] = []

    # -- component -----------------------------------------------------------------------

    async def start(self) -> None:
        recovered = await asyncio.to_thread(self.spool.recover)
        if recovered:
            log.info("recovered %d interrupted message(s)", recovered)
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"ingest-worker-{i}")
            for i in range(self.concurrency)
        ]

    async def stop(self) -> None:
        """Finish the message in hand (a thread cannot be interrupted), then return."""
        self._stopping = True
        self._wake.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def wake(self) -> None:
        """Called by the receiver after a commit so new mail does not wait for the idle tick."""
        self._wake.set()

    # -- work ----------------------------------------------------------------------------

    async def drain(self) -> list[Handled]:
        """Handle every item that is due now; returns what became of each (tests, CLI)."""
        handled: list[Handled] = []
        while not self._stopping:
            result = await asyncio.to_thread(self.step)
            if result is None:
                break
            handled.append(result)
        return handled

    def _warm_up(self) -> None:
        """Run the text extractor once on a one-page PDF before any mail: its first use starts
        the sandbox's reader (seconds, with multiprocessing's fork server), which should not
        delay the first real copy on the front desk's live arrivals page. The result is thrown
        away."""
        try:
            self.deps.extract(WARM_UP_PDF)
        except Exception as exc:  # a failed warm-up only means the first copy pays for it
            log.info("extractor warm-up failed: %s", type(exc).__name__)

    async def _loop(self) -> None:
        await asyncio.to_thread(self._warm_up)
        while not self._stopping:
            wait = self.idle_seconds
            try:
                await self.drain()
            except Exception as exc:  # the loop must survive anything (disk errors on claim ...)
                # The spool's back-off, as for a failed item: a disk that refuses the claim
                # will refuse the next one too.
                self._loop_failures += 1
                wait = max(wait, self.spool.backoff.delay(self._loop_failures))
                self.spool.warnings.warning(
                    "worker-loop",
                    self._loop_failures,
                    "worker loop error: %s (%d in a row, next try in %.1f s)",
                    type(exc).__name__,
                    self._loop_failures,
                    wait,
                    logger=log,
                )
            else:
                if self._loop_failures:
                    log.info("worker loop recovered after %d failures", self._loop_failures)
                    self.spool.warnings.forget("worker-loop")
                self._loop_failures = 0
            if self._stopping:
                break
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def step(self) -> Handled | None:
        """Claim one due item and handle it (blocking; runs in a worker thread)."""
        item = self.spool.claim()
        if item is None:
            return None
        return self.handle(item)

    def handle(self, item: SpoolItem) -> Handled:
        started = time.monotonic()
        attempt = item.attempts + 1
        try:
            raw = self.spool.read(item)
        except OSError as exc:
            return self._retry(item, None, f"SPOOL_READ:{type(exc).__name__}", transient=True)
        try:
            outcome = process(raw, item.envelope, self.deps, attempts=attempt)
        except TransientError as exc:
            self.spool.warnings.warning(
                item.id,
                attempt,
                "item %s: transient failure %s (attempt %d, next in %.1f s)",
                item.id,
                exc.reason,
                attempt,
                self.spool.backoff.delay(attempt),
                logger=log,
            )
            return self._retry(item, raw, exc.reason, transient=True)
        except Exception as exc:
            # The type only: an exception's text may quote message content (personal data).
            log.error("item %s: internal error %s", item.id, type(exc).__name__)
            log.debug("item %s: traceback", item.id, exc_info=True)
            return self._retry(item, raw, f"{INTERNAL_ERROR}:{type(exc).__name__}")
        if self.metrics is not None:
            self.metrics.count_processed(time.monotonic() - started)
        if outcome.status == "quarantined":
            try:
                self.spool.quarantine(item, outcome.reason or "QUARANTINED")
            except OSError as exc:  # no room for the state file: back to the queue, back-off
                return self._retry(item, raw, f"SPOOL_WRITE:{type(exc).__name__}", transient=True)
            if self.metrics is not None:
                self.metrics.count_quarantined()
            return Handled(item.id, "quarantined", outcome, outcome.reason)
        self.spool.done(item)
        self.spool.warnings.forget(item.id)
        return Handled(item.id, "done", outcome)

    def _retry(
        self, item: SpoolItem, raw: bytes | None, reason: str, *, transient: bool = False
    ) -> Handled:
        if self.spool.retry(item, reason, transient=transient):
            return Handled(item.id, "retry", None, reason)
        # The spool set it aside after too many attempts: make that visible in the archive too.
        final = f"{TOO_MANY_ATTEMPTS}:{reason}"
        if self.metrics is not None:
            self.metrics.count_quarantined()
        outcome: Outcome | None = None
        if raw is not None:
            try:
                outcome = quarantine_raw(raw, item.envelope, self.deps, final, item.attempts + 1)
            except Exception as exc:  # the database may still be down; the spool keeps it
                log.warning("item %s: cannot record quarantine: %s", item.id, type(exc).__name__)
        log.warning("item %s quarantined after %d attempts", item.id, item.attempts + 1)
        return Handled(item.id, "quarantined", outcome, final)
