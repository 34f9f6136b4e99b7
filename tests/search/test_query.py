"""The query language: words, phrases, prefixes and filters, and its typed errors."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.errors import QueryError
from search.query import Phrase, Query, Word, parse_query

KYIV = zoneinfo.ZoneInfo("Europe/Kyiv")


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_free_text_phrases_and_prefixes() -> None:
    q = parse_query('шевченка "Шевченко Тарас" шевч* SHEVCHENKO')
    assert q.terms == (
        Word("шевченка"),
        Phrase(("Шевченко", "Тарас")),
        Word("шевч", prefix=True),
        Word("SHEVCHENKO"),
    )


def test_empty_query_is_everything() -> None:
    assert parse_query("   ") == Query()


def test_filters() -> None:
    q = parse_query(
        'type:id-card,впо status:passed|failed branch:3 branch:"Готель Дніпро" '
        "from:<Taras@Example.com>"
    )
    assert q.types == ("id-card", "idp-certificate")
    assert q.statuses == ("TOTAL_PASSED", "TOTAL_FAILED")
    assert q.branches == ("3", "Готель Дніпро")
    assert q.senders == ("taras@example.com",)
    assert q.terms == ()


def test_ukrainian_field_names() -> None:
    q = parse_query("тип:id-card статус:unsigned від:a@b.c")
    assert (q.types, q.statuses, q.senders) == (("id-card",), ("UNSIGNED",), ("a@b.c",))


@pytest.mark.parametrize(
    ("value", "lo", "hi"),
    [
        (">=2026-01-01", utc(2026, 1, 1), None),
        (">2026-01-01", utc(2026, 1, 2), None),
        ("<=2026-01-31", None, utc(2026, 2, 1)),
        ("<2026-01-31", None, utc(2026, 1, 31)),
        ("=2026-01-31", utc(2026, 1, 31), utc(2026, 2, 1)),
        ("2026-01", utc(2026, 1, 1), utc(2026, 2, 1)),
        ("2026-12", utc(2026, 12, 1), utc(2027, 1, 1)),
        ("2026", utc(2026, 1, 1), utc(2027, 1, 1)),
        ("31.01.2026", utc(2026, 1, 31), utc(2026, 2, 1)),
        ("2026-01-01..2026-01-31", utc(2026, 1, 1), utc(2026, 2, 1)),
        ("2026-01-10..", utc(2026, 1, 10), None),
        ("..2026-01-10", None, utc(2026, 1, 11)),
    ],
)
def test_received_dates(value: str, lo: dt.datetime | None, hi: dt.datetime | None) -> None:
    q = parse_query(f"received:{value}")
    assert (q.received_from, q.received_until) == (lo, hi)


def test_dates_are_days_of_the_given_zone() -> None:
    q = parse_query("received:2026-07-01", KYIV)
    assert q.received_from == utc(2026, 6, 30, 21)  # midnight in Kyiv, summer time
    assert q.received_until == utc(2026, 7, 1, 21)


def test_several_date_filters_intersect() -> None:
    q = parse_query("received:>=2026-01-01 received:<2026-02-01 received:2025..2026")
    assert (q.received_from, q.received_until) == (utc(2026, 1, 1), utc(2026, 2, 1))


def test_text_with_a_colon_that_is_no_field() -> None:
    q = parse_query("РНОКПП:1234567899")
    assert q.terms == (Word("РНОКПП"), Word("1234567899"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("colour:red", "UNKNOWN_FIELD"),
        ("type:passport-of-mars", "UNKNOWN_TYPE"),
        ("status:ok", "UNKNOWN_STATUS"),
        ("received:2026-13-01", "BAD_DATE"),
        ("received:yesterday", "BAD_DATE"),
        ("received:..", "BAD_DATE"),
        ("type:", "EMPTY_VALUE"),
        ('"Шевченко Тарас', "UNTERMINATED_QUOTE"),
        ("x" * 1001, "QUERY_TOO_LONG"),
        (" ".join(["слово"] * 40), "QUERY_TOO_LONG"),
    ],
)
def test_errors_carry_a_reason(text: str, reason: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert err.value.reason == reason


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    try:
        q = parse_query(text)
    except QueryError as exc:
        assert exc.reason
        return
    assert isinstance(q, Query)
