"""Expiry of codes: the check behind `qr check`, the badge count, and the weekly-notice e-mail.

Diia warns the receiving address a week before a code's 365 days run out; this does the same
from the registry, to the branch address and the admins, and records in
`QrCode.reminder_sent_for` the expiry date a reminder was sent for, so a code is reminded once
per expiry however often the job runs (and again only for a new expiry date).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from archive import audit
from archive.db import Database
from archive.errors import reason_of
from archive.models import Branch, QrCode
from qrtools.errors import ReminderError
from qrtools.outbound import OutboundParams, Sender, smtp_sender
from qrtools.registry import REMIND_DAYS, CodeView, query_views
from qrtools.texts import format_date, translator

log = logging.getLogger(__name__)

#: A reminder missed while the service was down is still sent this many days after expiry.
LATE_DAYS = 7


@dataclass(frozen=True)
class CheckResult:
    """Codes in use (not retired, branch active) that need attention on `today`."""

    today: dt.date
    expired: tuple[CodeView, ...]
    expiring: tuple[CodeView, ...]
    #: Codes made before their branch's address changed: citizens see the old address.
    needs_replacement: tuple[CodeView, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        """1 if any code has expired, 2 if some only expire soon or need replacing, else 0."""
        if self.expired:
            return 1
        if self.expiring or self.needs_replacement:
            return 2
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "expired": [v.to_dict() for v in self.expired],
            "expiring": [v.to_dict() for v in self.expiring],
            "needs_replacement": [v.to_dict() for v in self.needs_replacement],
            "exit_code": self.exit_code,
        }


def _in_use(session: Session, today: dt.date, remind_days: int) -> list[CodeView]:
    return query_views(
        session, today, remind_days, [QrCode.retired_at.is_(None), Branch.active.is_(True)]
    )


def check(session: Session, today: dt.date, remind_days: int = REMIND_DAYS) -> CheckResult:
    views = _in_use(session, today, remind_days)
    return CheckResult(
        today=today,
        expired=tuple(v for v in views if v.state == "expired"),
        expiring=tuple(v for v in views if v.state == "expiring"),
        needs_replacement=tuple(v for v in views if v.needs_replacement),
    )


def expiring_count(session: Session, today: dt.date, remind_days: int = REMIND_DAYS) -> int:
    """Codes in use that expire within `remind_days` (not yet expired): the UI badge, the metric."""
    return sum(1 for v in _in_use(session, today, remind_days) if v.state == "expiring")


def expired_count(session: Session, today: dt.date) -> int:
    return sum(1 for v in _in_use(session, today, REMIND_DAYS) if v.state == "expired")


def due_reminders(
    session: Session, today: dt.date, remind_days: int = REMIND_DAYS
) -> list[CodeView]:
    """Codes whose reminder window is open on `today` and that were not reminded for this
    expiry yet: from `remind_days` before expiry to LATE_DAYS after it."""
    return [
        v
        for v in _in_use(session, today, remind_days)
        if v.expires_at - dt.timedelta(days=remind_days)
        <= today
        < v.expires_at + dt.timedelta(days=LATE_DAYS)
        and v.reminder_sent_for != v.expires_at
    ]


def reminder_message(
    view: CodeView, today: dt.date, outbound: OutboundParams, now: dt.datetime | None = None
) -> EmailMessage:
    """The reminder for one code, Ukrainian first and English below it."""
    expired = today >= view.expires_at
    date = format_date(view.expires_at if expired else view.last_valid_day)
    subject_key, intro_key = (
        ("subject_expired", "intro_expired") if expired else ("subject_expiring", "intro_expiring")
    )
    parts = []
    for lang in ("uk", "en"):
        t = translator(lang)
        names = [(f"doctype.{d}.full", d) for d in view.documents]
        documents = ", ".join(t(key) if key in t else d for key, d in names) or "—"
        parts.append(
            [
                t(
                    f"reminder.{intro_key}",
                    date=date,
                    days_left=t.plural("reminder.days_left", view.days_left),
                ),
                "",
                t(
                    "reminder.details",
                    branch=view.branch_name,
                    address=view.branch_address,
                    service=view.service_name or "—",
                    documents=documents,
                    code_id=view.id,
                ),
                "",
                t("reminder.action"),
            ]
        )
    message = EmailMessage()
    subject = translator("uk")(f"reminder.{subject_key}", date=date, branch=view.branch_name)
    message["Subject"] = subject
    message["From"] = outbound.sender
    message["To"] = view.branch_email
    admins = [a for a in dict.fromkeys(outbound.admins) if a.lower() != view.branch_email]
    if admins:
        message["Cc"] = ", ".join(admins)
    domain = outbound.sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("qr-expiry", domain=domain)
    if now is not None:
        message["Date"] = format_datetime(now)
    # RFC 3834: an automatic message; receivers (ours included) must not answer or file it
    # as a citizen's copy.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Diia-Inbox-Notice"] = f"qr-expiry; code={view.id}"
    body = "\n\n-----\n\n".join("\n".join(lines) for lines in parts)
    message.set_content(body + "\n")
    return message


@dataclass(frozen=True)
class ReminderRun:
    sent: tuple[int, ...]
    failed: tuple[tuple[int, str], ...]


def remind(
    session: Session,
    today: dt.date,
    outbound: OutboundParams,
    send: Sender | None = None,
    *,
    remind_days: int = REMIND_DAYS,
    now: dt.datetime | None = None,
) -> ReminderRun:
    """Send every due reminder, each claimed before it is sent.

    A code is claimed by marking it reminded (and auditing it) in one committed transaction,
    with a conditional UPDATE that only one runner can win; only the winner sends. So two
    nodes, or a node and `qr remind`, never send the same reminder twice, and neither does a
    crash after the send: the mark is already committed (a crash between the commit and the
    send loses that one reminder instead, which `qr check` and the badge still show). A send
    that fails releases the claim, so the next run tries again.
    """
    due = due_reminders(session, today, remind_days)
    if not due:
        return ReminderRun((), ())
    send = send or smtp_sender(outbound)
    session.commit()  # claims below are transactions of their own
    sent: list[int] = []
    failed: list[tuple[int, str]] = []
    for view in due:
        if not _claim(session, view):
            continue  # another runner claimed it since we listed it
        try:
            send(reminder_message(view, today, outbound, now))
        except (smtplib.SMTPException, OSError, ReminderError) as exc:
            reason = reason_of(exc)
            log.warning("QR reminder for code %s not sent: %s", view.id, reason)
            _unclaim(session, view, str(reason))
            failed.append((view.id, str(reason)))
            continue
        sent.append(view.id)
    session.expire_all()  # the UPDATEs bypassed the objects loaded in this session
    return ReminderRun(tuple(sent), tuple(failed))


def _claim(session: Session, view: CodeView) -> bool:
    result = session.execute(
        update(QrCode)
        .where(
            QrCode.id == view.id,
            or_(QrCode.reminder_sent_for.is_(None), QrCode.reminder_sent_for != view.expires_at),
        )
        .values(reminder_sent_for=view.expires_at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    audit.record(
        session,
        "system",
        "qr.reminder",
        "qr_code",
        view.id,
        detail={"expires_at": view.expires_at.isoformat()},
    )
    session.commit()
    return True


def _unclaim(session: Session, view: CodeView, reason: str) -> None:
    session.execute(
        update(QrCode)
        .where(QrCode.id == view.id, QrCode.reminder_sent_for == view.expires_at)
        .values(reminder_sent_for=view.reminder_sent_for)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "system",
        "qr.reminder_failed",
        "qr_code",
        view.id,
        detail={"expires_at": view.expires_at.isoformat(), "reason": reason[:60]},
    )
    session.commit()


def send_reminders(
    session: Session,
    today: dt.date,
    outbound: OutboundParams,
    send: Sender | None = None,
    *,
    remind_days: int = REMIND_DAYS,
    now: dt.datetime | None = None,
) -> int:
    """Send due reminders and return how many went out (see `remind` for the failures)."""
    return len(remind(session, today, outbound, send, remind_days=remind_days, now=now).sent)


def run_daily(
    db: Database,
    today: dt.date,
    outbound: OutboundParams,
    send: Sender | None = None,
    *,
    remind_days: int = REMIND_DAYS,
    now: dt.datetime | None = None,
) -> ReminderRun:
    """The job `serve` runs once a day: due reminders in a transaction of their own."""
    with db.session() as session:
        return remind(session, today, outbound, send, remind_days=remind_days, now=now)
