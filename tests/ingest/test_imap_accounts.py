"""Mailboxes as installation state: the CLI against a real Dovecot, the secret encrypted at
rest and never printed, and `serve`'s supervisor picking added and removed accounts up."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive import mailboxes
from archive.models import Mailbox
from diia_inbox.imap_service import MailboxSupervisor, mailbox_ring
from ingest.accounts import DbImportLedger
from ingest.spool import Spool
from tests.ingest.test_imap import PASSWORD, USER, running_dovecot
from tests.test_cli import run


def _add(data: list[str], port: int, password: str, name: str = "front-desk") -> Any:
    return run(
        ["imap", "add", name, *data, "--host", "127.0.0.1", "--port", str(port), "--tls",
         "none", "--user", USER, "--password-stdin", "--poll-seconds", "5"],
        stdin=password + "\n",
    )  # fmt: skip


def test_cli_add_list_test_remove(tmp_path: Path) -> None:
    data = ["--data", str(tmp_path / "d")]
    with running_dovecot() as server:
        added = _add(data, server.port, PASSWORD)
        assert added.returncode == 0, added.stderr
        wrong = _add(data, server.port, "not the password", name="wrong")
        assert wrong.returncode == 0, wrong.stderr

        ok = run(["imap", "test", "front-desk", *data])
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "1 messages, 1 unread" in ok.stdout and "IDLE" in ok.stdout  # Dovecot's seed

        bad = run(["imap", "test", "wrong", *data])
        assert bad.returncode == 1
        # Dovecot's own words, not only our code.
        assert "IMAP_LOGIN_FAILED" in bad.stdout and "AUTHENTICATIONFAILED" in bad.stdout

        listing = run(["imap", "list", *data, "--json"])
        rows = json.loads(listing.stdout)
        assert [r["name"] for r in rows] == ["front-desk", "wrong"]
        assert rows[0]["status"] == "not started" and rows[0]["source"] == "database"
        for proc in (added, ok, bad, listing, run(["imap", "list", *data])):
            assert PASSWORD not in proc.stdout + proc.stderr

        # Duplicate name and invalid settings: one-line errors, nothing stored.
        again = _add(data, server.port, PASSWORD)
        assert again.returncode == 64 and "NAME_TAKEN" in again.stderr
        removed = run(["imap", "remove", "wrong", *data])
        assert removed.returncode == 0
        assert [r["name"] for r in json.loads(run(["imap", "list", *data, "--json"]).stdout)] == [
            "front-desk"
        ]
        assert run(["imap", "remove", "wrong", *data]).returncode == 1
    # The database holds no clear text of the password.
    db_files = list((tmp_path / "d").glob("diia-inbox.db*"))
    assert db_files
    assert all(PASSWORD.encode() not in f.read_bytes() for f in db_files)


def _settings(port: int, **kw: Any) -> mailboxes.MailboxSettings:
    return mailboxes.MailboxSettings(
        name="desk", host="127.0.0.1", port=port, tls="none", user=USER, poll_seconds=5, **kw
    )


async def _until(condition: Any, seconds: float = 30) -> None:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


async def test_supervisor_follows_added_changed_and_removed_accounts(
    sqlite_runtime: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rt = sqlite_runtime
    ring = mailbox_ring(rt)
    spool = Spool(tmp_path / "spool")
    with running_dovecot() as server:
        sup = MailboxSupervisor(rt, spool, reload_seconds=0.2)
        await sup.start()
        try:
            assert sup.pollers == {}
            with rt.db.session() as s:
                mailboxes.add(s, ring, _settings(server.port), PASSWORD)
                row = s.scalar(select(Mailbox))
                assert row is not None and row.secret and PASSWORD.encode() not in row.secret
            await _until(lambda: len(sup.pollers) == 1)
            poller = next(iter(sup.pollers.values()))
            await _until(lambda: poller._session is not None and poller._session.idling)
            # Mail already there (the seed) is left to the first import; new mail is taken.
            server.deliver("new", b"From: a@example.net\r\nSubject: new\r\n\r\nhi\r\n")
            await _until(lambda: spool.depth() == 1)
            await _until(lambda: _status(rt) == "idle")

            # The first import, asked for from the page (a flag in the database), runs beside
            # the live reader and takes the mail that was there before (Dovecot's seed).
            key = next(iter(sup.pollers))
            DbImportLedger(rt.db).request(key)
            await _until(lambda: DbImportLedger(rt.db).load(key).state == "finished")
            progress = DbImportLedger(rt.db).load(key)
            assert (progress.total, progress.done, progress.skipped) == (1, 1, 0)
            assert spool.depth() == 2

            # A changed password restarts the reader, which then reports the failure.
            with rt.db.session() as s:
                mailboxes.update(s, ring, "desk", _settings(server.port), "wrong password")
            await _until(lambda: _error(rt) == "IMAP_LOGIN_FAILED")
            assert next(iter(sup.pollers.values())) is not poller

            with rt.db.session() as s:
                assert mailboxes.remove(s, "desk")
            await _until(lambda: sup.pollers == {})
        finally:
            await sup.stop()
    assert PASSWORD not in caplog.text and "wrong password" not in caplog.text


def _status(rt: Any) -> str:
    with rt.db.session() as s:
        rows = list(mailboxes.statuses(s).values())
    return rows[0].status if rows else ""


def _error(rt: Any) -> str:
    with rt.db.session() as s:
        rows = list(mailboxes.statuses(s).values())
    return rows[0].last_error if rows else ""
