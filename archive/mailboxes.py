"""IMAP mailboxes as shared installation state: the accounts table and their status rows.

Pure database operations over `Mailbox` and `MailboxStatus`. The secret (password or OAuth
refresh token) is encrypted here with the installation keyring, bound to the account's name
as associated data; callers hand in and get back plain strings, and nothing else in the row
is secret. Validation returns stable reason codes the CLI and the web page translate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from archive.keyring import Keyring
from archive.models import Mailbox, MailboxStatus, utcnow

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
TLS_MODES = ("ssl", "starttls", "none")
AFTER_IMPORT = ("seen", "move")
AUTH_MODES = ("password", "oauth2")
PROVIDERS = ("", "google", "microsoft")


@dataclass(frozen=True)
class MailboxSettings:
    """Everything about an account except its secret."""

    name: str
    host: str
    user: str
    port: int = 993
    tls: str = "ssl"
    auth: str = "password"
    provider: str = ""
    folder: str = "INBOX"
    after_import: str = "seen"
    move_to: str = "Archive"
    address: str = ""
    idle: bool = True
    poll_seconds: int = 60
    enabled: bool = True


@dataclass(frozen=True)
class StoredMailbox:
    id: int
    settings: MailboxSettings
    has_secret: bool
    updated_at: dt.datetime


def problems(settings: MailboxSettings) -> list[str]:
    """Reason codes of what is wrong with `settings` (empty: acceptable)."""
    out = []
    if not NAME_RE.match(settings.name):
        out.append("NAME_INVALID")
    if not settings.host.strip() or any(c.isspace() for c in settings.host.strip()):
        out.append("HOST_INVALID")
    if not 1 <= settings.port <= 65535:
        out.append("PORT_INVALID")
    if settings.tls not in TLS_MODES:
        out.append("TLS_INVALID")
    if not settings.user.strip():
        out.append("USER_INVALID")
    if settings.auth not in AUTH_MODES:
        out.append("AUTH_INVALID")
    if settings.provider not in PROVIDERS or (settings.auth == "oauth2" and not settings.provider):
        out.append("PROVIDER_INVALID")
    if not settings.folder.strip():
        out.append("FOLDER_INVALID")
    if settings.after_import not in AFTER_IMPORT:
        out.append("AFTER_IMPORT_INVALID")
    if settings.after_import == "move" and not settings.move_to.strip():
        out.append("MOVE_TO_INVALID")
    if settings.address and not re.match(r"^[^@\s]+@[^@\s]+$", settings.address):
        out.append("ADDRESS_INVALID")
    if not 5 <= settings.poll_seconds <= 86400:
        out.append("POLL_INVALID")
    return out


class MailboxError(Exception):
    """A mailbox that cannot be saved or read; `reason` is a stable code."""

    reason = "MAILBOX_ERROR"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _aad(name: str) -> bytes:
    return b"mailbox-secret:" + name.encode()


def _view(row: Mailbox) -> StoredMailbox:
    fields = {f.name: getattr(row, f.name) for f in dataclasses.fields(MailboxSettings)}
    return StoredMailbox(
        id=row.id,
        settings=MailboxSettings(**fields),
        has_secret=row.secret is not None,
        updated_at=row.updated_at,
    )


def list_mailboxes(session: Session) -> list[StoredMailbox]:
    return [_view(r) for r in session.scalars(select(Mailbox).order_by(Mailbox.name))]


def get(session: Session, name: str) -> StoredMailbox | None:
    row = session.scalar(select(Mailbox).where(Mailbox.name == name))
    return None if row is None else _view(row)


def add(session: Session, ring: Keyring, settings: MailboxSettings, secret: str) -> int:
    bad = problems(settings)
    if bad:
        raise MailboxError(bad[0])
    if session.scalar(select(Mailbox.id).where(Mailbox.name == settings.name)) is not None:
        raise MailboxError("NAME_TAKEN")
    if settings.auth == "password" and not secret:
        raise MailboxError("PASSWORD_MISSING")
    row = Mailbox(**dataclasses.asdict(settings))
    row.secret = ring.encrypt(secret.encode(), _aad(settings.name)) if secret else None
    session.add(row)
    session.flush()
    return row.id


def update(
    session: Session, ring: Keyring, name: str, settings: MailboxSettings, secret: str | None
) -> None:
    """Change an account; `secret` None keeps the stored one (the form leaves it empty)."""
    row = session.scalar(select(Mailbox).where(Mailbox.name == name))
    if row is None:
        raise MailboxError("NOT_FOUND")
    bad = problems(settings)
    if bad:
        raise MailboxError(bad[0])
    if settings.name != name:
        if session.scalar(select(Mailbox.id).where(Mailbox.name == settings.name)) is not None:
            raise MailboxError("NAME_TAKEN")
        if secret is None and row.secret is not None:
            # The name is the associated data: re-encrypt under the new one.
            secret = ring.decrypt(row.secret, _aad(name)).decode()
    for key, value in dataclasses.asdict(settings).items():
        setattr(row, key, value)
    if secret is not None:
        row.secret = ring.encrypt(secret.encode(), _aad(settings.name)) if secret else None
    row.updated_at = utcnow()


def remove(session: Session, name: str) -> bool:
    result = session.execute(delete(Mailbox).where(Mailbox.name == name))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def secret_of(session: Session, ring: Keyring, name: str) -> str:
    """The account's secret in clear (for logging in only; never shown or logged)."""
    row = session.scalar(select(Mailbox).where(Mailbox.name == name))
    if row is None or row.secret is None:
        return ""
    return ring.decrypt(row.secret, _aad(name)).decode()


def set_secret(session: Session, ring: Keyring, name: str, secret: str) -> None:
    row = session.scalar(select(Mailbox).where(Mailbox.name == name))
    if row is None:
        raise MailboxError("NOT_FOUND")
    row.secret = ring.encrypt(secret.encode(), _aad(name))
    row.updated_at = utcnow()


# -- status ---------------------------------------------------------------------------------


def status_row(session: Session, key: str) -> MailboxStatus:
    row = session.get(MailboxStatus, key)
    if row is None:
        row = MailboxStatus(
            key=key,
            node="",
            status="stopped",
            last_error="",
            import_order="",
            import_uidvalidity=0,
            import_boundary=0,
            import_cursor=0,
            import_total=0,
            import_done=0,
            import_skipped=0,
            import_rate=0.0,
            import_state="",
            import_requested=False,
        )
        session.add(row)
        session.flush()
    return row


def statuses(session: Session) -> dict[str, MailboxStatus]:
    rows = session.scalars(select(MailboxStatus)).all()
    for r in rows:
        session.expunge(r)
    return {r.key: r for r in rows}


def report(
    session: Session,
    key: str,
    *,
    node: str,
    status: str,
    last_error: str,
    last_message_at: dt.datetime | None,
    backlog: int | None,
) -> None:
    row = status_row(session, key)
    row.node, row.status, row.last_error = node, status, last_error[:500]
    if last_message_at is not None:
        row.last_message_at = last_message_at
    if backlog is not None:
        row.backlog = backlog
    row.updated_at = utcnow()
