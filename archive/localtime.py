"""Times as people read them, and as programs read them: the one formatting helper.

The archive stores aware UTC (`archive.models.UTCDateTime`); a Kyiv front desk reads
DD.MM.YYYY HH:MM on a 24-hour clock in its own zone, and a script reads ISO 8601 with an
offset. Pages, the print view and the command line's text output all go through `display`, and
JSON through `iso`, so no second spelling of a time can creep in. It lives in `archive` (a leaf)
because both `web` and `diia_inbox` may import it. A naive value (SQLite hands those back when
a column is read without `UTCDateTime`, or an ISO string without an offset) is taken as UTC,
which is how everything is stored.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Kyiv"
#: What a Ukrainian reader expects: 07.12.2026 06:12.
DISPLAY = "%d.%m.%Y %H:%M"
DATE = "%d.%m.%Y"

#: A moment as code hands it over: a datetime, ISO 8601 text (reports keep strings), or nothing.
Moment = dt.datetime | str | None


class UnknownZone(ValueError):
    """A time zone name the system's tz database does not know (e.g. "Europe/Kiev " or "EET+")."""

    reason = "TIMEZONE_UNKNOWN"


def zone(name: str = DEFAULT_ZONE) -> ZoneInfo:
    """The IANA zone `name`, or `UnknownZone` with a message naming it and an example."""
    try:
        if not name or name != name.strip() or name.startswith("/") or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownZone(
            f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Kyiv'"
        ) from None


def parse(value: Moment) -> dt.datetime | None:
    """`value` as an aware datetime (naive and offset-less text are UTC); None if it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def local(value: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """`value` on the wall clock of `tz` (naive means UTC)."""
    moment = parse(value)
    assert moment is not None
    return moment.astimezone(tz)


def display(value: Moment, tz: ZoneInfo) -> str:
    """DD.MM.YYYY HH:MM in `tz`; "" for nothing; text that is not a time is returned as is.

    A bare ISO day ("2026-11-20") is a calendar day, not midnight UTC: shown as DD.MM.YYYY.
    """
    if isinstance(value, str) and _is_day(value):
        return display_date(value, tz)
    moment = parse(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(tz).strftime(DISPLAY)


def _is_day(text: str) -> bool:
    try:
        dt.date.fromisoformat(text.strip())
    except ValueError:
        return False
    return len(text.strip()) == 10


def display_date(value: Moment | dt.date, tz: ZoneInfo) -> str:
    """DD.MM.YYYY: the calendar day in `tz` (a plain date, or an ISO day, is shown as it is)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime(DATE)
    if isinstance(value, str) and _is_day(value):
        return dt.date.fromisoformat(value.strip()).strftime(DATE)
    moment = parse(value)
    if moment is None:
        return "" if value is None else str(value)
    return moment.astimezone(tz).strftime(DATE)


def clock(value: dt.datetime, tz: ZoneInfo) -> str:
    """HH:MM in `tz`, for lists already headed by the day."""
    return local(value, tz).strftime("%H:%M")


def day(value: dt.datetime, tz: ZoneInfo) -> dt.date:
    """The calendar day in `tz` on which `value` happened."""
    return local(value, tz).date()


def iso(value: Moment) -> str | None:
    """ISO 8601 in UTC with its offset ("2026-12-07T04:12:00+00:00") for JSON; None stays None."""
    moment = parse(value)
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


__all__ = [
    "DEFAULT_ZONE",
    "Moment",
    "UnknownZone",
    "clock",
    "day",
    "display",
    "display_date",
    "iso",
    "local",
    "parse",
    "zone",
]
