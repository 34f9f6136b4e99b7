"""Outbound e-mail for reminders: the SMTP parameters as a value and a sender built from them.

qrtools does not import the composition root: callers hand in `OutboundParams` (built from the
configuration's outbound section with `from_settings`) or their own `send` callable.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, fields
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from qrtools.errors import ReminderError

Sender = Callable[[EmailMessage], None]


@dataclass(frozen=True)
class OutboundParams:
    host: str = ""
    port: int = 25
    starttls: bool = False
    username: str = ""
    password_file: str = ""
    sender: str = "diia-inbox@localhost"
    admins: tuple[str, ...] = ()
    timeout_seconds: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> OutboundParams:
        """Copy the same-named fields of any settings object (diia_inbox's OutboundSettings)."""
        values = {
            f.name: getattr(settings, f.name) for f in fields(cls) if hasattr(settings, f.name)
        }
        values["admins"] = tuple(values.get("admins", ()))
        return cls(**values)


def smtp_sender(params: OutboundParams) -> Sender:
    """A sender that opens one SMTP connection per message (reminders are few a day)."""
    if not params.host:
        raise ReminderError(
            "Не налаштовано вихідну пошту (розділ [outbound], параметр host).",
            "Outbound mail is not configured ([outbound] host).",
            reason="QR_OUTBOUND_NOT_CONFIGURED",
        )

    def send(message: EmailMessage) -> None:
        password = ""
        if params.username and params.password_file:
            try:
                password = Path(params.password_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ReminderError(
                    "Не вдалося прочитати файл пароля вихідної пошти.",
                    f"Cannot read the outbound password file ({exc.strerror}).",
                    reason="QR_OUTBOUND_PASSWORD",
                ) from None
        with smtplib.SMTP(params.host, params.port, timeout=params.timeout_seconds) as smtp:
            if params.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if params.username:
                smtp.login(params.username, password)
            smtp.send_message(message)

    return send
