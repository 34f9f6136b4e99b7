"""Times as a Kyiv front desk reads them: DD.MM.YYYY HH:MM in local time.

The archive keeps aware UTC; people see local time. A small stand-in for the project's one
formatting helper (issue 13 item 4); the arrivals list uses it, and it moves there on merge.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Kyiv"


def zone(name: str = DEFAULT_ZONE) -> ZoneInfo:
    return ZoneInfo(name)


def local(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(tz)


def display(value: dt.datetime | None, tz: ZoneInfo) -> str:
    """Like 07.12.2026 06:12: the date a Ukrainian reader expects, on a 24-hour clock."""
    if value is None:
        return ""
    return local(value, tz).strftime("%d.%m.%Y %H:%M")


def clock(value: dt.datetime, tz: ZoneInfo) -> str:
    return local(value, tz).strftime("%H:%M")


def day(value: dt.datetime, tz: ZoneInfo) -> dt.date:
    return local(value, tz).date()
