"""The daily jobs of `diia-inbox serve`: the retention purge and the QR expiry reminders.

Why inside `serve` and not cron: the product promises one command on a laptop, and a purge
that depends on an operator remembering to install a cron entry is a purge that never runs.
Each job runs once a day at its hour (in the branches' time zone, `[qr] timezone`, because
operators think "3 at night" locally) and once shortly after start, so a service that was down
at the scheduled hour catches up. Both jobs are safe to repeat: the purge deletes only what is
past retention, and a reminder is marked per expiry date and never sent twice.

Several nodes on one database each run this component, yet each job has one runner for the
whole installation: a node runs a job only holding its lease (archive.leases; `purge` and
`qr remind` on the command line take the same lease), and only when the cluster has not run
it successfully since the job's last scheduled hour, so three nodes starting within minutes
run the start-up purge once, not three times. A failed run is logged (counts and reason codes
only, never personal data) and retried after `retry_seconds`; the loop itself never dies.

Time is injected (`clock`), and `run_due()` does one scheduling step, so tests move the clock
instead of waiting for a day.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from archive import leases
from archive.errors import reason_of
from archive.leases import Lease
from diia_inbox.runtime import Runtime
from qrtools.outbound import OutboundParams, Sender

log = logging.getLogger("diia_inbox.daily")

Job = Literal["purge", "reminders"]
JOBS: tuple[Job, ...] = ("purge", "reminders")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class JobRun:
    """What one run of a job did (for tests and the log): counts only."""

    job: Job
    at: dt.datetime
    ok: bool
    count: int = 0
    detail: str = ""


class DailyJobs:
    """A component (`start`/`stop`) running the purge and the reminders once a day.

    `clock` returns aware UTC datetimes; `send` replaces the SMTP sender of the reminders
    (default: `[outbound]` of the configuration); `remind_hour` is the local hour reminders go
    out (office hours, so the branch reads them the same day); `startup_delay` is how long after
    start both jobs first run; `poll_seconds` is how often the clock is looked at.
    """

    def __init__(
        self,
        rt: Runtime,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        send: Sender | None = None,
        remind_hour: int = 9,
        startup_delay: float = 60.0,
        poll_seconds: float = 30.0,
        retry_seconds: float = 3600.0,
        on_run: Callable[[JobRun], None] | None = None,
    ) -> None:
        self.rt = rt
        self.clock = clock
        self.send = send
        self.hours: dict[Job, int] = {
            "purge": rt.config.retention.purge_hour,
            "reminders": remind_hour,
        }
        for job, hour in self.hours.items():
            if not 0 <= hour <= 23:
                raise ValueError(f"the hour of the {job} job must be 0..23, not {hour}")
        self.zone = zoneinfo.ZoneInfo(rt.config.qr.timezone)
        self.startup_delay = startup_delay
        self.poll_seconds = poll_seconds
        self.retry_seconds = retry_seconds
        self.on_run = on_run
        self.next_run: dict[Job, dt.datetime] = {}
        self.history: list[JobRun] = []
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    # -- schedule --------------------------------------------------------------------------

    def next_at_hour(self, job: Job, after: dt.datetime) -> dt.datetime:
        """The first time strictly after `after` when the local clock shows the job's hour."""
        local = after.astimezone(self.zone)
        candidate = local.replace(hour=self.hours[job], minute=0, second=0, microsecond=0)
        if candidate <= local:
            candidate = candidate + dt.timedelta(days=1)
        # Through zoneinfo, a wall-clock time on a DST change day maps to one real instant.
        return candidate.astimezone(dt.UTC)

    def previous_slot(self, job: Job, now: dt.datetime) -> dt.datetime:
        """The latest time at or before `now` when the local clock showed the job's hour."""
        local = now.astimezone(self.zone)
        candidate = local.replace(hour=self.hours[job], minute=0, second=0, microsecond=0)
        if candidate > local:
            candidate = candidate - dt.timedelta(days=1)
        return candidate.astimezone(dt.UTC)

    def schedule_start(self) -> None:
        first = self.clock() + dt.timedelta(seconds=self.startup_delay)
        self.next_run = {job: first for job in JOBS}

    # -- component -------------------------------------------------------------------------

    async def start(self) -> None:
        self.schedule_start()
        self._stop.clear()
        self._task = asyncio.create_task(self._loop(), name="daily-jobs")

    async def stop(self) -> None:
        """Return once the job in hand (if any) has finished: a purge is not cut in half."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.run_due()
            except Exception:  # the schedule must survive anything
                log.exception("daily jobs: scheduling error")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.poll_seconds)

    async def run_due(self) -> list[JobRun]:
        """Run every job whose time has come (in a thread: both are blocking), reschedule."""
        if not self.next_run:
            self.schedule_start()
        runs = []
        for job in JOBS:
            now = self.clock()
            if now < self.next_run[job]:
                continue
            run = await asyncio.to_thread(self._run_job, job, now)
            if run.ok:
                self.next_run[job] = self.next_at_hour(job, now)
            else:
                self.next_run[job] = now + dt.timedelta(seconds=self.retry_seconds)
            runs.append(run)
            self.history.append(run)
            if self.on_run is not None:
                self.on_run(run)
        return runs

    # -- the jobs ---------------------------------------------------------------------------

    def _run_job(self, job: Job, now: dt.datetime) -> JobRun:
        try:
            lease = Lease(self.rt.db, job, self.rt.config.node_name)
            with lease as mine:
                if not mine:
                    log.info("daily %s: another node is running it", job)
                    return JobRun(job, now, True, 0, "ANOTHER_NODE")
                if self._ran_since_slot(job, now):
                    lease.skipped()
                    return JobRun(job, now, True, 0, "ALREADY_RUN")
                run = self._purge(now) if job == "purge" else self._reminders(now)
                lease.finish(ok=run.ok, result=run.detail or "OK", ran_at=now)
                return run
        except Exception as exc:
            reason = reason_of(exc)
            log.warning("daily %s failed: %s", job, reason)
            return JobRun(job, now, False, 0, str(reason))

    def _last_ok(self, job: Job) -> dt.datetime | None:
        with self.rt.db.session() as s:
            st = leases.state(s, job)
        return st.last_ok_at if st else None

    def _ran_since_slot(self, job: Job, now: dt.datetime) -> bool:
        """Whether some node already ran `job` successfully since its last scheduled hour."""
        last = self._last_ok(job)
        return last is not None and last >= self.previous_slot(job, now)

    def _purge(self, now: dt.datetime) -> JobRun:
        from diia_inbox import privacy

        report = privacy.purge(self.rt, now, dry_run=False)
        result = report.result
        documents = result.documents if result else 0
        log.info(
            "daily purge: %d documents, %d messages, %d blobs, %d quarantined items removed;"
            " %d on legal hold",
            documents,
            result.messages if result else 0,
            result.blobs if result else 0,
            report.quarantine_removed,
            report.plan.held,
        )
        return JobRun("purge", now, True, documents)

    def _reminders(self, now: dt.datetime) -> JobRun:
        from qrtools import expiry
        from qrtools.errors import ReminderError

        today = now.astimezone(self.zone).date()
        params = OutboundParams.from_settings(self.rt.config.outbound)
        try:
            run = expiry.run_daily(
                self.rt.db,
                today,
                params,
                self.send,
                remind_days=self.rt.config.qr.remind_days,
                now=now,
            )
        except ReminderError as exc:
            # Outbound mail not configured: nothing can be sent; the badge in the UI still
            # shows the expiring codes, and the next day tries again.
            log.warning("daily reminders not sent: %s", exc.reason)
            return JobRun("reminders", now, True, 0, str(exc.reason))
        if run.failed:
            log.warning("daily reminders: %d sent, %d failed", len(run.sent), len(run.failed))
            return JobRun("reminders", now, False, len(run.sent), "SOME_FAILED")
        log.info("daily reminders: %d sent", len(run.sent))
        return JobRun("reminders", now, True, len(run.sent))

    @contextlib.contextmanager
    def _exclusive(self, job: Job) -> Iterator[bool]:
        """Hold the job's lease for the block (False: another node or a CLI run has it)."""
        with Lease(self.rt.db, job, self.rt.config.node_name) as mine:
            yield mine
