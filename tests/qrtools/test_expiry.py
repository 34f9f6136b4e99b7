"""`qr check` and the reminder across the 365-day boundary, with the day passed in, and the
reminder delivered to a real local SMTP server once per code and expiry."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from archive.models import QrCode
from qrtools import expiry, registry
from qrtools.errors import ReminderError
from qrtools.outbound import OutboundParams
from qrtools.texts import translator

from .conftest import EMAIL, Registry, Sink, free_port
from .payloads import CYRILLIC, SHORT

ISSUED = dt.date(2026, 1, 10)  # expires 2027-01-10, last valid day 2027-01-09
ADMINS = ("admin@org.example", "dpo@org.example")


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def code_id(reg: Registry) -> int:
    with reg.db.session() as s:
        return registry.import_code(s, reg.branch_id, reg.service_id, SHORT, ISSUED).id


@pytest.fixture
def lite_code(reg_lite: Registry) -> int:
    with reg_lite.db.session() as s:
        return registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, SHORT, ISSUED).id


def test_check_across_the_boundary(reg: Registry, code_id: int) -> None:
    expected = {  # day: (expired, expiring, exit status)
        "2026-06-01": (0, 0, 0),
        "2027-01-02": (0, 0, 0),
        "2027-01-03": (0, 1, 2),
        "2027-01-09": (0, 1, 2),
        "2027-01-10": (1, 0, 1),
        "2027-03-01": (1, 0, 1),
    }
    with reg.db.session() as s:
        for today, (expired, expiring, exit_code) in expected.items():
            result = expiry.check(s, day(today))
            got = (len(result.expired), len(result.expiring), result.exit_code)
            assert got == (expired, expiring, exit_code), today
            assert expiry.expiring_count(s, day(today)) == expiring
            assert result.to_dict()["exit_code"] == exit_code


def test_expired_wins_over_expiring_and_retired_codes_are_quiet(
    reg_lite: Registry, lite_code: int
) -> None:
    with reg_lite.db.session() as s:
        other = registry.add_service(s, reg_lite.branch_id, "для працевлаштування", ["id-card"])
        registry.import_code(s, reg_lite.branch_id, other.id, CYRILLIC, day("2026-01-15"))
    with reg_lite.db.session() as s:
        result = expiry.check(s, day("2027-01-12"))
        assert (len(result.expired), len(result.expiring), result.exit_code) == (1, 1, 1)
        registry.retire_code(s, lite_code, dt.datetime(2027, 1, 12, tzinfo=dt.UTC))
    with reg_lite.db.session() as s:
        assert expiry.check(s, day("2027-01-12")).exit_code == 2


def outbound(sink: Sink) -> OutboundParams:
    return OutboundParams(
        host=sink.host, port=sink.port, sender="diia-inbox@org.example", admins=ADMINS
    )


def test_reminder_reaches_the_sink_once_per_code(
    reg: Registry, code_id: int, smtp_sink: Sink
) -> None:
    sent_per_day = {}
    # The daily job runs every day from well before to after the expiry.
    for offset in range(-10, 12):
        today = ISSUED + dt.timedelta(days=365 + offset)
        with reg.db.session() as s:
            sent_per_day[today] = expiry.send_reminders(s, today, outbound(smtp_sink))
    assert sent_per_day[day("2027-01-03")] == 1  # exactly one week before
    assert sum(sent_per_day.values()) == 1
    assert len(smtp_sink.envelopes) == 1
    mail_from, rcpts, raw = smtp_sink.envelopes[0]
    assert mail_from == "diia-inbox@org.example"
    assert sorted(rcpts) == sorted([EMAIL, *ADMINS])
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == (
        "Дія.QR-код діє лише до 09.01.2027 включно: Готель «Палаццо», відділення №1"
    )
    assert message["Auto-Submitted"] == "auto-generated"
    assert isinstance(message, EmailMessage)
    body = message.get_content()
    assert body.index("QR-код відділення діє лише до 09.01.2027") < body.index(
        "The branch's QR code is valid only through 09.01.2027"
    )
    assert "паспорт громадянина України (ID-картка)" in body
    assert "QR-код не зареєстрований в Дії" in body
    assert "(залишилося 7 днів)" in body and "(7 days left)" in body
    with reg.db.session() as s:
        assert s.get(QrCode, code_id).reminder_sent_for == day("2027-01-10")


def test_next_expiry_gets_its_own_reminder(reg: Registry, code_id: int, smtp_sink: Sink) -> None:
    with reg.db.session() as s:
        assert expiry.send_reminders(s, day("2027-01-04"), outbound(smtp_sink)) == 1
        registry.import_code(
            s, reg.branch_id, reg.service_id, CYRILLIC, day("2027-01-05"), replace=True
        )
    with reg.db.session() as s:
        assert expiry.send_reminders(s, day("2027-01-06"), outbound(smtp_sink)) == 0
        assert expiry.send_reminders(s, day("2027-12-29"), outbound(smtp_sink)) == 1
        assert expiry.send_reminders(s, day("2027-12-30"), outbound(smtp_sink)) == 0
    assert len(smtp_sink.envelopes) == 2


def test_missed_window_still_reminds_shortly_after_expiry(
    reg_lite: Registry, lite_code: int, smtp_sink: Sink
) -> None:
    with reg_lite.db.session() as s:
        assert expiry.send_reminders(s, day("2027-01-12"), outbound(smtp_sink)) == 1
        assert expiry.send_reminders(s, day("2027-01-13"), outbound(smtp_sink)) == 0
    message = message_from_bytes(smtp_sink.envelopes[0][2], policy=policy.default)
    assert message["Subject"].startswith("Дія.QR-код не діє з 10.01.2027")
    with reg_lite.db.session() as s:  # long after expiry it is `qr check`'s business, not mail's
        other = registry.add_service(s, reg_lite.branch_id, "для працевлаштування", ["id-card"])
        registry.import_code(s, reg_lite.branch_id, other.id, CYRILLIC, day("2025-01-01"))
        assert expiry.send_reminders(s, day("2027-01-13"), outbound(smtp_sink)) == 0


def test_failed_delivery_is_retried_next_run(
    reg_lite: Registry, lite_code: int, smtp_sink: Sink
) -> None:
    closed = OutboundParams(host="127.0.0.1", port=free_port(), timeout_seconds=5)
    with reg_lite.db.session() as s:
        run = expiry.remind(s, day("2027-01-04"), closed)
    assert run.sent == () and [c for c, _r in run.failed] == [lite_code]
    with reg_lite.db.session() as s:
        assert s.get(QrCode, lite_code).reminder_sent_for is None
        assert expiry.send_reminders(s, day("2027-01-05"), outbound(smtp_sink)) == 1


def test_a_custom_sender_and_nothing_due(reg_lite: Registry, lite_code: int) -> None:
    got: list[EmailMessage] = []
    params = OutboundParams(sender="x@org.example")
    with reg_lite.db.session() as s:
        assert expiry.send_reminders(s, day("2026-06-01"), params, got.append) == 0
        assert expiry.send_reminders(s, day("2027-01-05"), params, got.append) == 1
    assert got[0]["To"] == EMAIL and got[0]["Cc"] is None


def test_unconfigured_outbound_is_a_typed_error(reg_lite: Registry, lite_code: int) -> None:
    with pytest.raises(ReminderError) as err, reg_lite.db.session() as s:
        expiry.send_reminders(s, day("2027-01-05"), OutboundParams())
    assert err.value.reason == "QR_OUTBOUND_NOT_CONFIGURED"


def test_params_from_settings_object() -> None:
    from diia_inbox.config import OutboundSettings

    settings = OutboundSettings(
        host="smtp.org.example", port=587, starttls=True, admins=("a@org.example",)
    )
    params = OutboundParams.from_settings(settings)
    assert params.port == 587 and params.admins == ("a@org.example",) and params.starttls


def test_daily_job_commits_its_own_transaction(reg_lite: Registry, lite_code: int) -> None:
    got: list[EmailMessage] = []
    params = OutboundParams(sender="x@org.example", admins=ADMINS)
    now = dt.datetime(2027, 1, 4, 6, 0, tzinfo=dt.UTC)
    run = expiry.run_daily(reg_lite.db, day("2027-01-04"), params, got.append, now=now)
    assert run.sent == (lite_code,) and run.failed == ()
    assert got[0]["Date"] == "Mon, 04 Jan 2027 06:00:00 +0000"
    again = expiry.run_daily(reg_lite.db, day("2027-01-05"), params, got.append)
    assert again.sent == () and len(got) == 1


def test_days_left_agree_with_their_number() -> None:
    uk, en = translator("uk"), translator("en")
    assert [uk.plural("reminder.days_left", n) for n in (1, 3, 7, 21)] == [
        "залишився 1 день", "залишилося 3 дні", "залишилося 7 днів", "залишився 21 день",
    ]  # fmt: skip
    assert [en.plural("reminder.days_left", n) for n in (1, 7)] == ["1 day left", "7 days left"]
