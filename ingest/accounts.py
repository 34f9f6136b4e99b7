"""The IMAP accounts a node reads: those of the configuration file plus those stored as
installation state (archive.mailboxes), and the database-backed import ledger.

Accounts from the file keep working exactly as before; stored accounts carry their decrypted
secret only in the `ImapAccount` handed to the reader (its repr hides the password).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from archive import mailboxes
from archive.db import Database
from archive.keyring import Keyring
from archive.models import MailboxStatus
from ingest.imap import account_key
from ingest.imap_import import ImportProgress
from ingest.oauth import TokenSource, client_for
from ingest.settings import ImapAccount, IngestSettings


def to_account(
    settings: mailboxes.MailboxSettings,
    secret: str,
    token_source: Callable[[bool], str] | None = None,
) -> ImapAccount:
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
        auth=settings.auth,
        token_source=token_source,
    )


def stored_account(
    db: Database,
    ring: Keyring,
    ingest: IngestSettings,
    stored: mailboxes.StoredMailbox,
    secret: str,
) -> ImapAccount:
    """A stored account ready to read; an OAuth one gets a token source whose rotated refresh
    tokens are written back (encrypted) to the database."""
    settings = stored.settings
    source = None
    if settings.auth == "oauth2" and secret:
        name = settings.name

        def keep(new_refresh_token: str) -> None:
            with db.session() as s:
                mailboxes.set_secret(s, ring, name, new_refresh_token)

        source = TokenSource(
            client_for(ingest, settings.provider), secret, on_rotated=keep
        ).access_token
    return to_account(settings, secret, source)


def stored_accounts(db: Database, ring: Keyring, ingest: IngestSettings) -> list[ImapAccount]:
    """The enabled accounts of the installation, ready to read."""
    with db.session() as s:
        rows = [
            (m, mailboxes.secret_of(s, ring, m.settings.name))
            for m in mailboxes.list_mailboxes(s)
            if m.settings.enabled
        ]
    return [stored_account(db, ring, ingest, m, secret) for m, secret in rows]


def all_accounts(ingest: IngestSettings, db: Database, ring: Keyring | None) -> list[ImapAccount]:
    """File accounts first; a stored account reading the same folder as one of them is left
    out (the file wins), so one folder never has two readers on one node."""
    out = list(ingest.imap)
    keys = {account_key(a) for a in out}
    if ring is not None:
        for account in stored_accounts(db, ring, ingest):
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
