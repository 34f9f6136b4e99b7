"""Fault: the PostgreSQL archive goes away during ingestion, then comes back.

The promise (ARCHITECTURE 2): nothing answered 250 is ever lost. While the database is down a
sending MTA gets either 250 (the receiver still knows the receiving addresses and the message is
durably spooled) or a temporary 451 (it does not, so the sender tries again later) - never a
5xx bounce. Spooled messages wait, are retried, and once the database is back each one is
archived exactly once, including those whose transaction the crash cut in the middle.

A real PostgreSQL cluster of our own is crashed (`pg_ctl stop -m immediate`) and restarted; real
smtplib clients talk to the real receiver; the real worker runs the real pipeline. The spool's
back-off is scaled down to tenths of a second so that the test takes seconds, not minutes:
`diia-inbox serve` uses 30 s (not configurable yet, see docs/hardening.md).
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.branches import add_branch
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from ingest.envelope import Envelope
from ingest.spool import Spool
from tests.hardening.harness import (
    OwnPostgres,
    archived_tokens,
    documents_per_token,
    pg_tools_available,
    retry_reasons,
    send,
    spool_tokens,
    start_node,
    wait_until,
)
from tests.hardening.material import BRANCH_ADDRESS, SENDER, diia_email, signed_copy
from tests.ingest.conftest import make_pipeline

#: Seconds without any SMTP answer that count as a frozen receiver (answers take milliseconds).
HUNG = 10.0

pytestmark = pytest.mark.skipif(pg_tools_available() is not None, reason=str(pg_tools_available()))


@pytest.fixture
def pg() -> Iterator[OwnPostgres]:
    cluster = OwnPostgres()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def installation(tmp_path: Path, pg: OwnPostgres) -> Iterator[Runtime]:
    config = load_config(data_dir=tmp_path / "data", env={"DIIA_INBOX_DATABASE_URL": pg.url})
    rt = Runtime.open(config)
    with rt.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
    try:
        yield rt
    finally:
        rt.close()


def quick_spool(rt: Runtime, max_attempts: int = 100) -> Spool:
    """The installation's spool with back-off in tenths of a second (see module docstring)."""
    return Spool(
        rt.config.spool_dir,
        max_attempts=max_attempts,
        backoff_seconds=0.1,
        max_backoff_seconds=0.4,
    )


def retried_for_database(spool: Spool) -> bool:
    return "DATABASE_UNAVAILABLE" in retry_reasons(spool)


def test_database_crash_loses_nothing_accepted_and_stores_nothing_twice(
    installation: Runtime, pg: OwnPostgres
) -> None:
    rt = installation
    signed = signed_copy()
    deps = make_pipeline(rt, [signed.root_der])
    spool = quick_spool(rt)
    node = start_node(rt.db, spool, deps, address_ttl=0.2)
    try:
        # Batch A: the worker is busy with these when the database crashes.
        batch_a = [send(node.port, diia_email(signed, f"a{n}")) for n in range(6)]
        assert all(s.code == 250 for s in batch_a), [s.reply for s in batch_a]
        wait_until(lambda: sum(archived_tokens(rt.db).values()) >= 1, "first archived")
        pg.stop("immediate")

        # Batch B: sent while the database is down.
        batch_b = [send(node.port, diia_email(signed, f"b{n}")) for n in range(4)]
        assert all(s.code in (250, 451) for s in batch_b), [(s.code, s.reply) for s in batch_b]
        accepted = [s for s in batch_a + batch_b if s.code == 250]
        assert any(s.token.startswith("b") for s in accepted)  # the cached addresses served

        # The worker keeps failing and retrying; everything not archived waits in the spool.
        wait_until(lambda: retried_for_database(spool), "a retry for DATABASE_UNAVAILABLE")
        # Seen waiting in the spool: listing new/ and work/ is not atomic while the worker moves
        # items between them on every retry, so one listing can miss an item in flight; the
        # end of the test checks that every accepted message was archived exactly once.
        waiting = {s.token for s in batch_b if s.code == 250}
        wait_until(lambda: set(spool_tokens(spool)) >= waiting, "batch B waiting in the spool")

        pg.start()
        wait_until(lambda: spool.depth() == 0, "spool drained after the database returned")
        # Batch C: business as usual afterwards.
        batch_c = [send(node.port, diia_email(signed, f"c{n}")) for n in range(2)]
        assert all(s.code == 250 for s in batch_c)
        accepted += batch_c
        wait_until(lambda: spool.depth() == 0, "spool drained")
    finally:
        node.stop()

    stored = archived_tokens(rt.db)
    assert {s.token for s in accepted} <= set(stored), "an accepted message was lost"
    assert all(n == 1 for n in stored.values()), f"stored twice: {stored}"
    assert set(stored) <= {s.token for s in accepted}
    docs = documents_per_token(rt.db)
    assert all(docs[s.token] == 1 for s in accepted), f"documents per message: {docs}"
    assert not list((spool.root / "quarantine").iterdir())
    assert not list((spool.root / "tmp").iterdir())


def test_receiver_started_without_database_answers_451_then_250(
    installation: Runtime, pg: OwnPostgres
) -> None:
    """With no receiving addresses known yet, RCPT is a temporary failure, never a bounce."""
    rt = installation
    signed = signed_copy()
    pg.stop("immediate")
    spool = quick_spool(rt)
    node = start_node(rt.db, spool, None)
    try:
        refused = send(node.port, diia_email(signed, "early"))
        assert refused.code == 451, refused.reply
        assert spool.depth() == 0
        pg.start()
        accepted = send(node.port, diia_email(signed, "late"))
        assert accepted.code == 250, accepted.reply
        assert set(spool_tokens(spool)) == {"late"}
    finally:
        node.stop()


def test_long_database_outage_still_archives_once_the_database_returns(
    installation: Runtime, pg: OwnPostgres
) -> None:
    rt = installation
    signed = signed_copy()
    deps = make_pipeline(rt, [signed.root_der])
    spool = quick_spool(rt, max_attempts=3)  # serve's default is 5; time is scaled down
    # Accepted while the receiver still knew the addresses (the first test shows that part).
    spool.put(diia_email(signed, "long"), Envelope.now(SENDER, [BRANCH_ADDRESS]))
    pg.stop("immediate")
    worker_node = start_node(rt.db, spool, deps)
    try:
        # Well past the attempt budget: the item is retried, never set aside.
        wait_until(lambda: _attempts(spool) >= 6, "retries while the database is down")
        assert spool.list_quarantine() == []
        pg.start()
        wait_until(lambda: spool.depth() == 0, "drained after the database returned")
    finally:
        worker_node.stop()
    assert archived_tokens(rt.db) == {"long": 1}


def _attempts(spool: Spool) -> int:
    """The attempt count recorded on the one queued item (0 before its first retry)."""
    for folder in ("new", "work"):
        for item in (spool.root / folder).iterdir():
            state = item / "state.json"
            with contextlib.suppress(OSError, ValueError):
                return int(json.loads(state.read_text())["attempts"])
    return 0


def test_hung_database_does_not_freeze_the_receiver(installation: Runtime, pg: OwnPostgres) -> None:
    rt = installation
    spool = quick_spool(rt)
    node = start_node(rt.db, spool, None, address_ttl=0.2)
    answered: list[int] = []
    try:
        assert send(node.port, diia_email(signed_copy(), "warm")).code == 250  # addresses known
        time.sleep(0.3)  # the cached set is now due for a refresh
        pg.freeze()

        def talk() -> None:
            try:
                answered.append(send(node.port, diia_email(signed_copy(), "hung")).code)
            except (OSError, smtplib.SMTPException) as exc:  # e.g. 421 after the freeze
                answered.append(getattr(exc, "smtp_code", -1))

        client = threading.Thread(target=talk, daemon=True)
        client.start()
        client.join(HUNG)  # a hang detector: an answer takes milliseconds
        hung = client.is_alive()
    finally:
        pg.thaw()
        node.stop()
    assert not hung, f"no SMTP answer within {HUNG} s while the database hung"
    assert answered and answered[0] in (250, 451)
