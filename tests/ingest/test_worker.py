"""The worker: spool in, archive out; retries, quarantine and a free event loop."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from typing import Any

from sqlalchemy import select

from archive.db import Database
from archive.models import Message
from ingest.pipeline import TextResult
from ingest.spool import Spool
from ingest.worker import Worker
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import make_pipeline
from tests.ingest.test_pipeline import documents, envelope


async def test_worker_archives_and_forgets_the_spool_item(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, spool: Spool
) -> None:
    m = ecdsa_material
    worker = Worker(spool, make_pipeline(sqlite_runtime, [m.root_der]))
    spool.put(mm.gmail(mm.diia_pair(m.pdf, m.p7s)), envelope())

    (handled,) = await worker.drain()

    assert handled.action == "done" and handled.outcome and handled.outcome.status == "archived"
    assert spool.depth() == 0
    assert [d.indication for d in documents(sqlite_runtime.db)] == ["TOTAL_PASSED"]


async def test_database_down_is_retried_past_max_attempts_never_quarantined(
    sqlite_runtime: Any, ecdsa_material: Any, tmp_path: Any
) -> None:
    """Accepted mail is not set aside because the database is away, however long."""
    spool = Spool(tmp_path / "spool", max_attempts=2, backoff_seconds=0)
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    down = dataclasses.replace(deps, db=Database(f"sqlite:///{tmp_path / 'gone' / 'x.db'}"))
    worker = Worker(spool, down)
    spool.put(mm.gmail(mm.diia_pair(ecdsa_material.pdf, ecdsa_material.p7s)), envelope())

    steps = [worker.step() for _ in range(5)]
    assert [(h.action, h.reason) for h in steps if h is not None] == [
        ("retry", "DATABASE_UNAVAILABLE")
    ] * 5
    assert spool.list_quarantine() == [] and spool.depth() == 1

    handled = Worker(spool, deps).step()
    assert handled is not None and handled.action == "done"
    assert len(documents(sqlite_runtime.db)) == 1


async def test_database_back_after_a_retry_archives_once(
    sqlite_runtime: Any, ecdsa_material: Any, tmp_path: Any
) -> None:
    spool = Spool(tmp_path / "spool", max_attempts=5, backoff_seconds=0)
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    down = dataclasses.replace(deps, db=Database(f"sqlite:///{tmp_path / 'gone' / 'x.db'}"))
    spool.put(mm.gmail(mm.diia_pair(ecdsa_material.pdf, ecdsa_material.p7s)), envelope())

    retry = Worker(spool, down).step()
    assert retry is not None and retry.action == "retry"
    state = json.loads(next((spool.root / "new").iterdir()).joinpath("state.json").read_text())
    assert state["attempts"] == 1

    handled = Worker(spool, deps).step()
    assert handled is not None and handled.action == "done"
    with sqlite_runtime.db.session() as s:
        (msg,) = s.execute(select(Message)).scalars()
        assert msg.attempts == 2 and msg.status == "done"


async def test_hostile_message_goes_to_quarantine_with_its_reason(
    sqlite_runtime: Any, ecdsa_material: Any, spool: Spool
) -> None:
    worker = Worker(spool, make_pipeline(sqlite_runtime, [ecdsa_material.root_der]))
    spool.put(b"Subject: hi\r\n\r\njust text\r\n", envelope())
    (handled,) = await worker.drain()
    assert (handled.action, handled.reason) == ("quarantined", "NO_DOCUMENTS")
    assert [q.reason for q in spool.list_quarantine()] == ["NO_DOCUMENTS"]


async def test_pipeline_runs_off_the_event_loop(
    sqlite_runtime: Any, ecdsa_material: Any, spool: Spool
) -> None:
    """The extraction step waits for a signal only the event loop can send: if the pipeline
    ran on the loop, the signal could never be sent and the step would report it."""
    loop_ran = threading.Event()
    seen: list[bool] = []
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])

    def extract(pdf: bytes) -> TextResult:
        seen.append(loop_ran.wait(30))
        return TextResult("")

    worker = Worker(spool, dataclasses.replace(deps, extract=extract))
    spool.put(mm.gmail([mm.Att("a.pdf", ecdsa_material.pdf, "application/pdf")]), envelope())

    async def signal_from_loop() -> None:
        await asyncio.sleep(0)
        loop_ran.set()

    handled, _ = await asyncio.gather(worker.drain(), signal_from_loop())
    assert seen == [True] and handled[0].action == "done"


async def test_component_start_processes_spooled_mail_and_stops(
    sqlite_runtime: Any, ecdsa_material: Any, spool: Spool
) -> None:
    m = ecdsa_material
    worker = Worker(spool, make_pipeline(sqlite_runtime, [m.root_der]), idle_seconds=0.05)
    await worker.start()
    try:
        spool.put(mm.outlook(mm.diia_pair(m.pdf, m.p7s)), envelope())
        worker.wake()
        for _ in range(600):
            if spool.depth() == 0 and documents(sqlite_runtime.db):
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert spool.depth() == 0
    assert len(documents(sqlite_runtime.db)) == 1


def test_serve_composes_the_worker_and_one_poller_per_imap_account(tmp_path: Any) -> None:
    from diia_inbox.config import load_config
    from diia_inbox.runtime import opened
    from diia_inbox.server import build_components
    from ingest.imap import ImapPoller

    conf = tmp_path / "diia.toml"
    conf.write_text(
        "[[ingest.imap]]\nhost = 'imap.example.org'\nuser = 'a'\npassword_file = '/dev/null'\n"
        "[[ingest.imap]]\nhost = 'imap.example.org'\nuser = 'b'\nafter_import = 'move'\n"
    )
    config = load_config(data_dir=tmp_path / "data", config_file=conf, env={})
    with opened(config) as rt:
        components = build_components(rt, ("127.0.0.1", 0), ("127.0.0.1", 0))
    workers = [c for c in components if isinstance(c, Worker)]
    pollers = [c for c in components if isinstance(c, ImapPoller)]
    assert len(workers) == 1
    assert [p.account.user for p in pollers] == ["a", "b"]
    assert pollers[0].state_dir == config.data_dir / "imap"


async def test_a_defect_costs_a_few_attempts_then_a_visible_quarantine(
    sqlite_runtime: Any, ecdsa_material: Any, tmp_path: Any
) -> None:
    """A step returning what the archive cannot store (not JSON) is a defect, not a loop."""
    spool = Spool(tmp_path / "spool", max_attempts=2, backoff_seconds=0)
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    broken = dataclasses.replace(deps, recognise=lambda text, name: {"bad": object()})
    spool.put(mm.gmail(mm.diia_pair(ecdsa_material.pdf, ecdsa_material.p7s)), envelope())

    handled = await Worker(spool, broken).drain()

    assert [h.action for h in handled] == ["retry", "quarantined"]
    assert handled[0].reason and handled[0].reason.startswith("INTERNAL_ERROR:")
    with sqlite_runtime.db.session() as s:
        (msg,) = s.execute(select(Message)).scalars()
        assert msg.status == "quarantined"
        assert (msg.reason or "").startswith("TOO_MANY_ATTEMPTS:INTERNAL_ERROR:")
    assert documents(sqlite_runtime.db) == []


def test_smtp_to_archive_end_to_end(
    receiver: Any, sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    """What a citizen's mail server does: SMTP to the receiver, then the worker archives it."""
    import smtplib

    from tests.ingest.conftest import BRANCH_ADDRESS

    m = ecdsa_material
    r = receiver()
    raw = mm.apple_mail(mm.diia_pair(m.pdf, m.p7s))
    with smtplib.SMTP("127.0.0.1", r.port) as client:
        refused = client.sendmail(mm.SENDER, [BRANCH_ADDRESS], raw)
    assert refused == {}

    worker = Worker(r.spool, make_pipeline(sqlite_runtime, [m.root_der]))
    (handled,) = asyncio.run(worker.drain())

    assert handled.action == "done" and r.spool.depth() == 0
    (doc,) = documents(sqlite_runtime.db)
    assert (doc.indication, doc.branch_id) == ("TOTAL_PASSED", branch_id)
    with sqlite_runtime.db.session() as s:
        msg = s.get(Message, doc.message_id)
        assert msg is not None and msg.envelope_from == mm.SENDER and msg.source == "smtp"
        assert sqlite_runtime.blobs.get(msg.raw_sha256) == raw


async def test_parallel_loops_archive_each_message_exactly_once(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, spool: Spool
) -> None:
    """Several loops at once: every message archived once, and messages really overlap."""
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    in_flight = [0, 0]  # now, most at once
    lock = threading.Lock()
    real_extract = deps.extract

    def extract(pdf: bytes) -> TextResult:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight[1], in_flight[0])
        try:
            threading.Event().wait(0.2)  # long enough that three loops overlap
            return real_extract(pdf)
        finally:
            with lock:
                in_flight[0] -= 1

    worker = Worker(
        spool, dataclasses.replace(deps, extract=extract), idle_seconds=0.05, concurrency=3
    )
    count = 9
    for i in range(count):
        spool.put(
            f"X-Copy-Number: {i}\r\n".encode() + mm.gmail(mm.diia_pair(m.pdf, m.p7s)), envelope()
        )
    await worker.start()
    try:
        for _ in range(1200):
            if spool.depth() == 0 and len(documents(sqlite_runtime.db)) >= count:
                break
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
    assert spool.depth() == 0
    with sqlite_runtime.db.session() as s:
        assert len(s.scalars(select(Message)).all()) == count
    assert len(documents(sqlite_runtime.db)) == count
    assert in_flight[1] > 1
