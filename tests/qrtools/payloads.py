"""Payloads the acceptance tests encode and read back: Cyrillic text and a long URL."""

from __future__ import annotations

import hashlib

CYRILLIC = (
    "https://diia.gov.ua/qr?org=Готель «Палаццо»&addr=м. Тернопіль, вул. Руська, 12"
    "&docs=паспорт, РНОКПП — їжак ґанок №1"
)
LONG_URL = (
    "https://diia.gov.ua/partner/qr/v1/"
    + "".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(12))
    + "?branch=1&service=2"
)
SHORT = "https://diia.app/qr/abc123"

ALL = {"cyrillic": CYRILLIC, "long-url": LONG_URL, "short": SHORT}
