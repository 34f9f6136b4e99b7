"""The one time helper: Kyiv wall-clock time for people, ISO 8601 with an offset for programs.

Expected values are written out by hand (not computed with the helper's own arithmetic): Kyiv is
UTC+2 in winter and UTC+3 in summer, switching at 01:00 UTC on the last Sundays of March and
October (29.03.2026 and 25.10.2026).
"""

from __future__ import annotations

import datetime as dt

import pytest

from archive.localtime import (
    UnknownZone,
    clock,
    day,
    display,
    display_date,
    iso,
    parse,
    zone,
)

KYIV = zone()


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (utc(2026, 3, 29, 0, 59), "29.03.2026 02:59"),  # the last minute of winter time
        (utc(2026, 3, 29, 1, 0), "29.03.2026 04:00"),  # 03:00 local never happens
        (utc(2026, 10, 25, 0, 30), "25.10.2026 03:30"),  # summer time, the first 03:30
        (utc(2026, 10, 25, 1, 30), "25.10.2026 03:30"),  # winter time, 03:30 again
        (utc(2026, 10, 25, 2, 0), "25.10.2026 04:00"),
        (utc(2026, 12, 31, 22, 30), "01.01.2027 00:30"),  # the local date is the next year
        (utc(2026, 7, 1, 21, 0), "02.07.2026 00:00"),
    ],
)
def test_kyiv_wall_clock_across_dst(moment: dt.datetime, shown: str) -> None:
    assert display(moment, KYIV) == shown


def test_naive_values_and_offsetless_text_are_utc() -> None:
    naive = dt.datetime(2026, 11, 20, 10, 15)  # as SQLite hands back a plain DateTime column
    assert display(naive, KYIV) == "20.11.2026 12:15"
    assert display("2026-11-20T10:15:00", KYIV) == "20.11.2026 12:15"
    assert display("2026-11-20T10:15:00Z", KYIV) == "20.11.2026 12:15"
    assert display("2026-11-20T13:15:00+03:00", KYIV) == "20.11.2026 12:15"
    assert iso(naive) == "2026-11-20T10:15:00+00:00"
    assert parse(naive) == utc(2026, 11, 20, 10, 15)


def test_iso_always_carries_an_offset() -> None:
    summer = dt.datetime(2026, 7, 1, 15, 0, 7, 123456, tzinfo=zone("Europe/Kyiv"))
    assert iso(summer) == "2026-07-01T12:00:07+00:00"
    assert iso("2026-07-01T15:00:07+03:00") == "2026-07-01T12:00:07+00:00"
    assert iso(None) is None
    text = iso(dt.datetime(2026, 1, 1))
    assert text is not None and dt.datetime.fromisoformat(text).utcoffset() == dt.timedelta(0)


def test_dates_clock_and_local_day() -> None:
    late = utc(2026, 11, 20, 22, 45)  # already the 21st in Kyiv
    assert display_date(late, KYIV) == "21.11.2026"
    assert day(late, KYIV) == dt.date(2026, 11, 21)
    assert clock(late, KYIV) == "00:45"
    assert display_date(dt.date(2027, 1, 9), KYIV) == "09.01.2027"
    assert display_date("2027-01-09", KYIV) == "09.01.2027"
    assert display_date("2027-01-09T21:30:00+00:00", KYIV) == "09.01.2027"
    assert display_date("2027-01-09T22:30:00+00:00", KYIV) == "10.01.2027"


def test_other_zones() -> None:
    moment = utc(2026, 11, 20, 10, 15)
    assert display(moment, zone("Asia/Tokyo")) == "20.11.2026 19:15"
    assert display(moment, zone("America/New_York")) == "20.11.2026 05:15"
    assert display(moment, zone("UTC")) == "20.11.2026 10:15"


def test_nothing_and_non_times() -> None:
    assert display(None, KYIV) == ""
    assert display("", KYIV) == ""
    assert display("not a time", KYIV) == "not a time"
    assert display_date(None, KYIV) == ""
    # A bare day is a calendar day, not midnight UTC (which would be 02:00 in Kyiv).
    assert display("2026-11-20", KYIV) == "20.11.2026"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", " Europe/Kyiv", "../etc/passwd", "/etc/x"])
def test_unknown_zone_is_a_clear_error(name: str) -> None:
    with pytest.raises(UnknownZone) as caught:
        zone(name)
    assert repr(name) in str(caught.value)
    assert "Europe/Kyiv" in str(caught.value)
    assert caught.value.reason == "TIMEZONE_UNKNOWN"
