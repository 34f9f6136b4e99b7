"""The daily jobs of `serve`: purge and QR expiry reminders, with a clock the test moves.

Everything real except time: copies come in through the pipeline, the purge is the real one,
reminders go out over real SMTP to an aiosmtpd sink. `run_due()` is one scheduling step; the
last tests run the component itself (`start`/`stop`) the way `serve` does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator
from email import message_from_bytes
from email.message import Message as EmailMsg
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from archive.models import AuditEvent, Branch, Document
from diia_inbox.daily import DailyJobs, JobRun
from diia_inbox.runtime import Runtime
from qrtools import registry
from tests.privacy.conftest import Mailroom, Person
from tests.support.serve import free_port as _free_port

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")
#: The service starts at 10:00 in Kyiv; no daylight-saving change in the days that follow.
START = dt.datetime(2026, 11, 21, 10, 0, tzinfo=KYIV).astimezone(dt.UTC)


class Clock:
    """A settable clock (aware UTC)."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Sink:
    """aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMsg] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def _expiring_code(rt: Runtime, today: dt.date) -> int:
    """A QR code of the branch whose 365 days end in five days (so its reminder is due)."""
    with rt.db.session() as s:
        branch = s.execute(select(Branch)).scalars().one()
        service = registry.add_service(s, branch.id, "для поселення у готель", ["id-card"], None)
        code = registry.import_code(
            s,
            branch.id,
            service.id,
            "https://diia.example/qr/DAILY-1",
            today - dt.timedelta(days=360),
        )
        return code.id


def _documents(rt: Runtime) -> set[int]:
    with rt.db.session() as s:
        return set(s.execute(select(Document.id)).scalars())


def test_jobs_run_after_start_then_daily_at_their_hours(
    installation: Callable[..., Runtime],
    people: tuple[Person, Person],
    smtp_sink: tuple[Sink, int],
) -> None:
    sink, port = smtp_sink
    rt = installation(
        outbound_host="127.0.0.1",
        outbound_port=str(port),
        outbound_sender="diia-inbox@hotel.example",
        retention_purge_hour="3",
    )
    room = Mailroom(rt)
    old = room.deliver(people[0].mail(), when=START - dt.timedelta(days=400)).outcome
    fresh = room.deliver(people[1].mail(), when=START).outcome
    assert old is not None and fresh is not None
    code_id = _expiring_code(rt, START.astimezone(KYIV).date())
    clock = Clock(START)
    jobs = DailyJobs(rt, clock=clock, startup_delay=60, remind_hour=9)

    assert asyncio.run(jobs.run_due()) == []  # not yet: a minute after start
    clock.now += dt.timedelta(seconds=60)
    first = asyncio.run(jobs.run_due())

    assert [(r.job, r.ok, r.count) for r in first] == [("purge", True, 1), ("reminders", True, 1)]
    assert _documents(rt) == set(fresh.documents)
    assert len(sink.messages) == 1
    assert sink.messages[0]["To"] == "hotel-dnipro@inbox.example.org"
    assert f"code={code_id}" in sink.messages[0]["X-Diia-Inbox-Notice"]
    purge_at = dt.datetime(2026, 11, 22, 3, 0, tzinfo=KYIV)
    remind_at = dt.datetime(2026, 11, 22, 9, 0, tzinfo=KYIV)
    assert jobs.next_run == {"purge": purge_at, "reminders": remind_at}

    # Just before the hour nothing runs; at the hour the job runs; the other waits for its own.
    clock.now = purge_at - dt.timedelta(seconds=1)
    assert asyncio.run(jobs.run_due()) == []
    clock.now = purge_at
    assert [(r.job, r.count) for r in asyncio.run(jobs.run_due())] == [("purge", 0)]
    assert jobs.next_run["purge"] == purge_at + dt.timedelta(days=1)
    clock.now = remind_at
    assert [(r.job, r.count) for r in asyncio.run(jobs.run_due())] == [("reminders", 0)]
    assert len(sink.messages) == 1  # a code is reminded once per expiry date
    with rt.db.session() as s:
        actions = list(s.execute(select(AuditEvent.action)).scalars())
    assert actions.count("retention.purge") == 2 and actions.count("qr.reminder") == 1


def test_a_failed_reminder_is_retried_sooner_than_tomorrow(
    installation: Callable[..., Runtime],
) -> None:
    rt = installation(outbound_host="127.0.0.1")
    now = dt.datetime.now(dt.UTC)
    _expiring_code(rt, now.astimezone(KYIV).date())

    def refuse(message: Any) -> None:
        raise ConnectionRefusedError("no mail server")

    jobs = DailyJobs(rt, clock=Clock(now), send=refuse, startup_delay=0, retry_seconds=600)
    runs = asyncio.run(jobs.run_due())

    reminders = next(r for r in runs if r.job == "reminders")
    assert not reminders.ok and reminders.detail == "SOME_FAILED"
    assert jobs.next_run["reminders"] == now + dt.timedelta(seconds=600)
    assert next(r for r in runs if r.job == "purge").ok


def test_the_component_runs_both_jobs_shortly_after_start(
    installation: Callable[..., Runtime],
) -> None:
    """As `serve` runs it: start, the start-up run happens, stop returns."""
    rt = installation()  # no outbound mail configured
    _expiring_code(rt, dt.datetime.now(KYIV).date())

    async def scenario() -> list[JobRun]:
        done = asyncio.Event()
        runs: list[JobRun] = []

        def seen(run: JobRun) -> None:
            runs.append(run)
            if len(runs) == 2:
                done.set()

        jobs = DailyJobs(rt, startup_delay=0, poll_seconds=0.05, on_run=seen)
        await jobs.start()
        try:
            await asyncio.wait_for(done.wait(), 120)  # a hang guard, not a timing claim
        finally:
            await jobs.stop()
        return runs

    runs = asyncio.run(scenario())

    assert [r.job for r in runs] == ["purge", "reminders"]
    assert runs[1].ok and runs[1].detail == "QR_OUTBOUND_NOT_CONFIGURED"


def test_only_one_node_runs_a_job_at_a_time_on_postgresql(
    installation: Callable[..., Runtime], pg_url: str
) -> None:
    node_a = installation(pg_url, name="node-a")
    node_b = installation(pg_url, name="node-b")
    now = dt.datetime.now(dt.UTC)
    a = DailyJobs(node_a, clock=Clock(now), startup_delay=0)
    b = DailyJobs(node_b, clock=Clock(now), startup_delay=0)

    with a._exclusive("purge") as mine:
        assert mine
        skipped = asyncio.run(b.run_due())
    assert (skipped[0].job, skipped[0].detail) == ("purge", "ANOTHER_NODE")
    assert asyncio.run(b.run_due()) == []  # rescheduled for tomorrow, like a normal run
    with b._exclusive("purge") as mine_now:
        assert mine_now  # the lock was released
