"""IMAP push: IDLE on a real Dovecot, the poll when the server offers no IDLE, reconnection."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import Any

from ingest.imap import ImapPoller
from ingest.spool import Spool
from ingest.worker import Worker
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import make_pipeline
from tests.ingest.test_imap import Dovecot, running_dovecot
from tests.ingest.test_pipeline import documents

# Dovecot's own list without IDLE: what a server without push advertises.
NO_IDLE = (
    "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT "
    "THREAD=REFERENCES MULTIAPPEND UIDPLUS LIST-EXTENDED I18NLEVEL=1 MOVE\\n"
)


async def _wait(condition: Any, seconds: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


async def _archive_via(
    dovecot: Dovecot, poller: ImapPoller, spool: Spool, runtime: Any, m: Any
) -> float:
    """Deliver one copy while the poller runs; seconds until it is archived."""
    worker = Worker(spool, make_pipeline(runtime, [m.root_der]), idle_seconds=0.05)
    poller.on_spooled = worker.wake
    await worker.start()
    try:
        dovecot.deliver("later", mm.gmail(mm.diia_pair(m.pdf, m.p7s)))
        return await _wait(lambda: len(documents(runtime.db)) == 1, 60)
    finally:
        await worker.stop()


async def test_idle_takes_new_mail_at_once(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, tmp_path: Path
) -> None:
    with running_dovecot() as dovecot:
        spool = Spool(tmp_path / "spool")
        # An hour between polls: only IDLE can bring the copy in within the minute waited.
        poller = ImapPoller(dovecot.account(poll_seconds=3600), spool, tmp_path / "state")
        await poller.start()
        try:
            await _wait(lambda: poller._session is not None and poller._session.idling, 30)
            seconds = await _archive_via(dovecot, poller, spool, sqlite_runtime, ecdsa_material)
        finally:
            await poller.stop()
    print(f"\nIDLE: delivered to archived in {seconds:.2f} s (poll interval 3600 s)")
    assert poller.idle_supported is True
    assert poller.last_error is None


async def test_without_idle_on_the_server_it_polls(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, tmp_path: Path
) -> None:
    with running_dovecot(extra=NO_IDLE) as dovecot:
        spool = Spool(tmp_path / "spool")
        poller = ImapPoller(dovecot.account(poll_seconds=1), spool, tmp_path / "state")
        await poller.start()
        try:
            await _wait(lambda: poller.idle_supported is False, 30)
            seconds = await _archive_via(dovecot, poller, spool, sqlite_runtime, ecdsa_material)
        finally:
            await poller.stop()
    print(f"\npolling: delivered to archived in {seconds:.2f} s (poll interval 1 s)")
    assert poller.status == "stopped" and poller.last_error is None


async def test_a_dropped_connection_is_retried_with_back_off(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    with running_dovecot() as first:
        port = first.port
        password = tmp_path / "pw"  # outlives the first server's folder
        password.write_text("correct horse battery\n")
        account = dataclasses.replace(first.account(poll_seconds=3600), password_file=str(password))
        poller = ImapPoller(account, spool, tmp_path / "state")
        await poller.start()
        await _wait(lambda: poller._session is not None and poller._session.idling, 30)
    # The server is gone (stopped while we were in IDLE): a reason and a back-off, no busy loop.
    try:
        await _wait(lambda: poller.failures >= 1, 30)
        # Dovecot says BYE when it shuts down; a vanished server is a protocol error or none.
        assert poller.last_error in {"IMAP_SERVER_BYE", "IMAP_PROTOCOL_ERROR", "IMAP_UNREACHABLE"}
        await asyncio.sleep(3)
        assert poller.failures <= 3  # 2 s, then 4 s: no tight reconnect loop
        with running_dovecot(port=port) as again:
            await _wait(lambda: poller._session is not None and poller._session.idling, 60)
            assert poller.failures == 0
            seconds = await _archive_via(again, poller, spool, sqlite_runtime, ecdsa_material)
    finally:
        await poller.stop()
    print(f"\nreconnected after the server came back; archived in {seconds:.2f} s")
