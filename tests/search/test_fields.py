"""Recognised fields: type, person, numbers, dates and recipient from text and file names."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.models import DOCUMENT_TYPES
from search.fields import FIELD_KEYS, document_type, parse_date, recognise, rnokpp_valid
from tests.support.pdf import DiiaCopy, diia_copy_lines

WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


def with_check_digit(head: str) -> str:
    return head + str((sum(w * int(d) for w, d in zip(WEIGHTS, head, strict=True)) % 11) % 10)


def test_the_fixture_copy_is_recognised_completely() -> None:
    assert recognise("\n".join(diia_copy_lines()), "Паспорт.pdf") == {
        "document_type": "id-card",
        "person_name": "Шевченко Тарас Григорович",
        "surname": "Шевченко",
        "given_names": "Тарас",
        "patronymic": "Григорович",
        "document_number": "000123456",
        "rnokpp": "1234567899",
        "birth_date": "1814-03-09",
        "created_date": "2026-11-20",
        "made_for": "ТОВ «Готель Дніпро»",
    }


def test_rnokpp_checksum() -> None:
    assert rnokpp_valid("1234567899")
    assert not rnokpp_valid("1234567890")
    assert not rnokpp_valid("123456789")
    assert not rnokpp_valid("12345678990")
    assert not rnokpp_valid("１２３４５６７８９９")  # full-width digits are not a tax number


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(1, 9))
@settings(max_examples=200, deadline=None)
def test_rnokpp_check_digit_catches_any_change_of_the_last_digit(head: str, delta: int) -> None:
    good = with_check_digit(head)
    assert rnokpp_valid(good)
    bad = good[:9] + str((int(good[9]) + delta) % 10)
    assert not rnokpp_valid(bad)


def test_an_invalid_tax_number_is_not_reported() -> None:
    text = "\n".join(diia_copy_lines(DiiaCopy(rnokpp="1234567890")))
    assert "rnokpp" not in recognise(text)


TITLES = {
    "id-card": "Паспорт громадянина України",
    "foreign-passport": "Паспорт громадянина України для виїзду за кордон",
    "taxpayer-card": "Картка платника податків",
    "birth-certificate": "Свідоцтво про народження",
    "idp-certificate": "Довідка про взяття на облік внутрішньо переміщеної особи",
    "driver-license": "Посвідчення водія",
    "vehicle-registration": "Свідоцтво про реєстрацію транспортного засобу",
    "student-card": "Студентський квиток",
}


@pytest.mark.parametrize("code", DOCUMENT_TYPES)
def test_each_of_the_eight_types_from_its_title(code: str) -> None:
    text = "\n".join(diia_copy_lines(DiiaCopy(document_title=TITLES[code])))
    assert recognise(text)["document_type"] == code


def test_foreign_passport_title_over_two_lines() -> None:
    text = "Паспорт громадянина України\nдля виїзду за кордон\nSHEVCHENKO TARAS"
    fields = recognise(text)
    assert fields["document_type"] == "foreign-passport"
    assert fields["person_name_lat"] == "SHEVCHENKO TARAS"


@pytest.mark.parametrize(
    ("filename", "code"),
    [
        ("zakordonnyi-pasport.pdf", "foreign-passport"),
        ("RNOKPP.pdf", "taxpayer-card"),
        ("driver_license.pdf", "driver-license"),
        ("ID-card.pdf", "id-card"),
        ("Свідоцтво про народження.pdf", "birth-certificate"),
        ("scan.pdf", None),
    ],
)
def test_type_from_the_file_name_when_the_text_says_nothing(
    filename: str, code: str | None
) -> None:
    assert document_type("", filename) == code


def test_labelled_name_and_number_in_other_layouts() -> None:
    text = (
        "Прізвище, ім'я та по батькові: Коваленко Олена Петрівна\n"
        "Серія та номер: ВХЕ 123456\nІПН 1234567899\nДата народження 1 лютого 1990 року"
    )
    fields = recognise(text)
    assert fields["person_name"] == "Коваленко Олена Петрівна"
    assert fields["document_number"] == "ВХЕ 123456"
    assert fields["rnokpp"] == "1234567899"
    assert fields["birth_date"] == "1990-02-01"


def test_unlabelled_valid_tax_number_is_found() -> None:
    assert recognise("Картка платника податків\n1234567899")["rnokpp"] == "1234567899"


def test_nothing_recognised_in_unrelated_text() -> None:
    assert recognise("Lorem ipsum dolor sit amet 12.") == {}


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("09.03.1814", dt.date(1814, 3, 9)),
        ("1814-03-09", dt.date(1814, 3, 9)),
        ("9 березня 1814", dt.date(1814, 3, 9)),
        ("31.02.2020", None),
        ("9 Berezen 1814", None),
    ],
)
def test_dates(text: str, day: dt.date | None) -> None:
    assert parse_date(text) == day


@given(st.text(max_size=400), st.text(max_size=40))
@settings(max_examples=150, deadline=None)
def test_recognise_never_raises_and_only_reports_valid_values(text: str, name: str) -> None:
    fields = recognise(text, name)
    assert set(fields) <= set(FIELD_KEYS)
    if "rnokpp" in fields:
        assert rnokpp_valid(fields["rnokpp"])
    if "document_type" in fields:
        assert fields["document_type"] in DOCUMENT_TYPES
    for key in ("birth_date", "created_date", "issue_date", "expiry_date"):
        if key in fields:
            dt.date.fromisoformat(fields[key])
