"""Settings of the QR registry, posters and expiry reminders."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QrSettings:
    #: Days a Diia.QR code works after its issue date (the portal's rule).
    validity_days: int = 365
    #: Days before expiry a code counts as "expiring" and the reminder goes out (Diia: a week).
    remind_days: int = 7
    #: The organisation's legal name, also accepted as the "made for" name of incoming copies.
    organization: str = ""
    #: Calendar of the branches: a code's issue and expiry dates are days in this zone.
    timezone: str = "Europe/Kyiv"
    #: TrueType fonts with Cyrillic for posters (Debian package fonts-dejavu-core).
    font_regular: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    font_bold: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    #: Upper bound of an uploaded code file (PNG, JPEG, SVG or PDF).
    max_upload_bytes: int = 10 * 1024 * 1024
