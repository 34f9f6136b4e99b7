"""Leases on scheduled jobs: one runner per job for the whole installation.

A lease is a row per job: whoever sets `holder` in a conditional UPDATE (the row is free, or
its lease expired because the holder died) runs the job; the others skip. The holder renews
the lease while it works and frees it at the end, recording when the job last succeeded, which
is what makes the schedule cluster-wide: a node does not run a job the cluster already ran
since its last scheduled hour. The same UPDATE works on SQLite and PostgreSQL, and needs no
lock held across the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archive.db import Database
from archive.errors import ArchiveError, reason_of
from archive.models import JobLease, utcnow

log = logging.getLogger("archive.leases")

#: How long a lease lasts unless renewed (the holder renews every third of it).
DEFAULT_TTL = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class LeaseState:
    job: str
    holder: str | None
    expires_at: dt.datetime | None
    last_ok_at: dt.datetime | None
    last_finished_at: dt.datetime | None
    last_holder: str | None
    last_result: str


def _ensure_row(db: Database, job: str) -> None:
    with db.session() as s:
        if s.get(JobLease, job) is not None:
            return
    try:
        with db.session() as s:
            s.add(JobLease(job=job, last_result=""))
    except IntegrityError:
        pass  # another node made it at the same moment


def acquire(db: Database, job: str, holder: str, ttl: dt.timedelta) -> bool:
    """Take the lease if it is free or expired; True when `holder` now runs `job`."""
    _ensure_row(db, job)
    now = utcnow()
    with db.session() as s:
        result = s.execute(
            update(JobLease)
            .where(
                JobLease.job == job,
                or_(JobLease.holder.is_(None), JobLease.expires_at < now),
            )
            .values(holder=holder, expires_at=now + ttl, last_started_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def renew(db: Database, job: str, holder: str, ttl: dt.timedelta) -> bool:
    with db.session() as s:
        result = s.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.holder == holder)
            .values(expires_at=utcnow() + ttl)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release(
    db: Database,
    job: str,
    holder: str,
    *,
    ok: bool,
    result: str,
    ran_at: dt.datetime,
    ran: bool = True,
) -> None:
    """Free the lease; a success also records `ran_at` as the job's last good run. With
    `ran=False` (the holder found nothing to do) the record of the last run is left as is."""
    values: dict[str, object] = {"holder": None, "expires_at": None}
    if ran:
        values |= {"last_finished_at": utcnow(), "last_holder": holder, "last_result": result[:200]}
        if ok:
            values["last_ok_at"] = ran_at
    with db.session() as s:
        s.execute(
            update(JobLease)
            .where(JobLease.job == job, JobLease.holder == holder)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def state(session: Session, job: str) -> LeaseState | None:
    row = session.get(JobLease, job)
    if row is None:
        return None
    return LeaseState(
        job=row.job,
        holder=row.holder,
        expires_at=row.expires_at,
        last_ok_at=row.last_ok_at,
        last_finished_at=row.last_finished_at,
        last_holder=row.last_holder,
        last_result=row.last_result,
    )


class JobBusy(ArchiveError):
    """Another node (or a CLI run) holds the job's lease."""

    reason = "JOB_BUSY"


class Lease:
    """`with Lease(db, job, holder) as mine:` runs the block holding the job's lease when
    `mine`; a thread renews it meanwhile, so a long purge keeps it, and a killed holder's lease
    runs out after `ttl`. Call `finish` to record the outcome; without it the run counts as
    failed."""

    def __init__(
        self, db: Database, job: str, holder: str, ttl: dt.timedelta = DEFAULT_TTL
    ) -> None:
        self.db, self.job, self.holder, self.ttl = db, job, holder, ttl
        self._mine = False
        self._outcome: tuple[bool, str, dt.datetime] | None = None
        self._ran = True
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def finish(self, *, ok: bool, result: str, ran_at: dt.datetime) -> None:
        self._outcome = (ok, result, ran_at)

    def skipped(self) -> None:
        """The holder found the job already done: free the lease, keep the last run's record."""
        self._ran = False

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl.total_seconds() / 3):
            try:
                renew(self.db, self.job, self.holder, self.ttl)
            except Exception:  # a missed renewal is retried; the lease has slack
                log.warning("lease %s: renewal failed", self.job)

    def __enter__(self) -> bool:
        self._mine = acquire(self.db, self.job, self.holder, self.ttl)
        if self._mine:
            self._renewer = threading.Thread(
                target=self._renew_loop, name=f"lease-{self.job}", daemon=True
            )
            self._renewer.start()
        return self._mine

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._mine:
            return
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        ok, result, ran_at = self._outcome or (False, "FAILED", utcnow())
        if exc_type is not None:
            ok, result = (
                False,
                reason_of(exc)
                if isinstance(exc, BaseException)
                else getattr(exc_type, "__name__", "FAILED"),
            )
        ran = self._ran or exc_type is not None
        release(self.db, self.job, self.holder, ok=ok, result=result, ran_at=ran_at, ran=ran)


def holder_busy(db: Database, job: str) -> str:
    """Who holds `job` now (for the message of a CLI run that found it busy)."""
    with db.session() as s:
        st = state(s, job)
    return (st.holder if st else None) or "another node"


@contextmanager
def cli_run(db: Database, job: str, node_name: str) -> Iterator[Lease]:
    """A command-line run of a scheduled job: the same lease as the daily runner, or JobBusy.

    The run is recorded as the job's last good run when the block finishes without error.
    """
    lease = Lease(db, job, f"{node_name} (cli {os.getpid()})")
    with lease as mine:
        if not mine:
            raise JobBusy(f"{job} is running on {holder_busy(db, job)}; try again later")
        yield lease
        lease.finish(ok=True, result="CLI", ran_at=utcnow())
