"""Settings of the QR registry and expiry reminders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QrSettings:
    validity_days: int = 365
    remind_days: int = 7
    organization: str = ""
