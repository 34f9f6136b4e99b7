"""Exact matching of data-subject requests and grouping into identities (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from search.analysis import Analyzer
from search.persons import Matcher, Request, group, mentions


@pytest.fixture(scope="module")
def match() -> Matcher:
    return Matcher(Analyzer())


def holder(doc: int, name: str, lat: str = "", **extra: str) -> list:
    s, g, *p = name.split()
    fields = {"surname": s, "given_names": g, "patronymic": " ".join(p), **extra}
    if lat:
        fields["person_name_lat"] = lat
    return mentions(doc, doc, fields)


@pytest.mark.parametrize(
    ("request_name", "expected"),
    [
        ("Шевченко Тарас Григорович", True),
        ("тарас шевченко", True),
        ("ШЕВЧЕНКА ТАРАСА", True),  # a word form
        ("Shevchenko Taras Hryhorovych", True),  # the passport spelling
        ("Шевченко Т", False),
        ("Шевч Тарас", False),  # no prefixes
        ("Шевчинко Тарас", False),  # no typo tolerance
        ("Шевченко Тарас Іванович", False),
        ("Шевченко Шевченко", False),  # each word takes a different part
    ],
)
def test_name_matching_is_exact_up_to_form_and_script(
    match: Matcher, request_name: str, expected: bool
) -> None:
    (m,) = holder(1, "Шевченко Тарас Григорович", "SHEVCHENKO TARAS")
    assert match.name_matches(request_name, m) is expected


def test_a_given_name_never_matches_a_patronymic_formed_from_it(match: Matcher) -> None:
    (olena,) = holder(1, "Шевченко Олена Тарасівна")
    assert not match.name_matches("Шевченко Тарас", olena)
    assert match.name_matches("Шевченко Тарасівна", olena)
    # A patronymic-shaped word may be a surname.
    (karpovych,) = holder(2, "Карпович Іван Петрович")
    assert match.name_matches("Карпович Іван", karpovych)


def test_text_matches_need_every_word_close_together(match: Matcher) -> None:
    text = "Номер 12 заброньовано для Шевченка Тараса Григоровича на три доби."
    assert match.text_matches(Request(name="Шевченко Тарас Григорович"), text)
    assert not match.text_matches(Request(name="Шевченко Тарас Іванович"), text)
    far = "Шевченко " + "слово " * 20 + "Тарас"
    assert not match.text_matches(Request(name="Шевченко Тарас"), far)
    assert not match.text_matches(Request(name="Шевченко Тарас"), "Шевченко Олена Тарасівна")


def test_namesakes_with_other_identifiers_are_two_people() -> None:
    a = holder(1, "Шевченко Тарас Григорович", rnokpp="3456789014", birth_date="1994-03-09")
    a2 = holder(2, "Шевченко Тарас Григорович", birth_date="1994-03-09", document_number="ВХЕ 1")
    b = holder(3, "Шевченко Тарас Григорович", rnokpp="3011223347", birth_date="1990-06-15")
    groups = sorted(sorted(m.document_id for m in g.mentions) for g in group([*a, *a2, *b]))
    assert groups == [[1, 2], [3]]


def test_a_bare_name_joins_only_an_unambiguous_identity() -> None:
    a = holder(1, "Шевченко Тарас Григорович", rnokpp="3456789014")
    father = mentions(2, 2, {"father_name": "ШЕВЧЕНКО ТАРАС ГРИГОРОВИЧ"})
    assert len(group([*a, *father])) == 1
    b = holder(3, "Шевченко Тарас Григорович", rnokpp="3011223347")
    assert len(group([*a, *b, *father])) == 3


def test_a_latin_only_name_joins_by_identifier_and_keeps_patronymics_apart() -> None:
    a = holder(1, "Шевченко Тарас Григорович", rnokpp="3456789014")
    passport = mentions(2, 2, {"person_name_lat": "SHEVCHENKO TARAS", "rnokpp": "3456789014"})
    ivanovych = holder(3, "Шевченко Тарас Іванович", rnokpp="3011223347")
    plain = holder(4, "Шевченко Тарас Григорович", document_number="САА 123400")
    groups = sorted(
        sorted(m.document_id for m in g.mentions)
        for g in group([*a, *passport, *ivanovych, *plain])
    )
    assert groups == [[1, 2, 4], [3]]


def test_a_request_needs_a_criterion() -> None:
    with pytest.raises(ValueError):
        Request(name="  ")
    assert Request(birth_date=dt.date(1994, 3, 9)).criteria() == ["birth_date"]
