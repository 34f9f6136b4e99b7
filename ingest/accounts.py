"""The IMAP accounts a node reads: those of the configuration file plus those stored as
installation state (archive.mailboxes), and the database-backed import ledger.

Accounts from the file keep working exactly as before; stored accounts carry their decrypted
secret only in the `ImapAccount` handed to the reader (its repr hides the password).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from archive import mailboxes
from archive.db import Database
from archive.keyring import Keyring
from archive.models import MailboxStatus
from ingest.imap import account_key
from ingest.imap_import import ImportProgress
from ingest.settings import ImapAccount


def to_account(settings: mailboxes.MailboxSettings, secret: str) -> ImapAccount:
    return ImapAccount(
        host=settings.host,
        user=settings.user,
        port=settings.port,
        tls=settings.tls,
        password=secret,
        folder=settings.folder,
        poll_seconds=settings.poll_seconds,
        after_import=settings.after_import,
        move_to=settings.move_to,
        idle=settings.idle,
        address=settings.address,
        name=settings.name,
        skip_history=True,
    )


def stored_accounts(db: Database, ring: Keyring) -> list[ImapAccount]:
    """The enabled accounts of the installation, ready to read."""
    with db.session() as s:
        return [
            to_account(m.settings, mailboxes.secret_of(s, ring, m.settings.name))
            for m in mailboxes.list_mailboxes(s)
            if m.settings.enabled
        ]


def all_accounts(
    configured: Sequence[ImapAccount], db: Database, ring: Keyring | None
) -> list[ImapAccount]:
    """File accounts first; a stored account reading the same folder as one of them is left
    out (the file wins), so one folder never has two readers on one node."""
    out = list(configured)
    keys = {account_key(a) for a in out}
    if ring is not None:
        for account in stored_accounts(db, ring):
            if account_key(account) not in keys:
                out.append(account)
                keys.add(account_key(account))
    return out


def display_name(account: ImapAccount) -> str:
    return account.name or f"{account.user}@{account.host}"


class DbImportLedger:
    """Import progress in `mailbox_status`: shared, so the web page shows a CLI run's progress
    and a run on another node resumes it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def progress_of(row: MailboxStatus | None) -> ImportProgress:
        if row is None:
            return ImportProgress()
        return ImportProgress(
            order=row.import_order,
            uidvalidity=row.import_uidvalidity,
            boundary=row.import_boundary,
            cursor=row.import_cursor,
            total=row.import_total,
            done=row.import_done,
            skipped=row.import_skipped,
            rate=row.import_rate,
            state=row.import_state,
        )

    def load(self, key: str) -> ImportProgress:
        with self.db.session() as s:
            return self.progress_of(mailboxes.status_row(s, key))

    def save(self, key: str, progress: ImportProgress) -> None:
        with self.db.session() as s:
            row = mailboxes.status_row(s, key)
            for f in dataclasses.fields(ImportProgress):
                setattr(row, f"import_{f.name}", getattr(progress, f.name))
            if progress.state in ("finished", "running"):
                row.import_requested = False

    def request(self, key: str) -> None:
        with self.db.session() as s:
            mailboxes.status_row(s, key).import_requested = True
