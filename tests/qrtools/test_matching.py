"""Warnings on incoming copies: each of the three appears on a fixture made to trigger it, and
none on a copy that matches its branch."""

from __future__ import annotations

import datetime as dt

import pytest

from archive.branches import add_branch
from qrtools import registry
from qrtools.matching import (
    BRANCH_UNKNOWN,
    DOC_TYPE_NOT_REQUESTED,
    MADE_FOR_MISMATCH,
    QR_ALL_EXPIRED,
    describe_warning,
    match_warnings,
    same_organization,
)

from .conftest import Registry
from .payloads import CYRILLIC, SHORT

ISSUED = dt.date(2026, 1, 10)  # valid through 2027-01-09 (Kyiv calendar)
MADE_FOR = "ТОВ «Палаццо Груп»"  # as the Diia PDF names the organisation


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def branch_id(reg: Registry) -> int:
    with reg.db.session() as s:
        registry.import_code(s, reg.branch_id, reg.service_id, SHORT, ISSUED)
    return reg.branch_id


@pytest.fixture
def lite_branch(reg_lite: Registry) -> int:
    with reg_lite.db.session() as s:
        registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, SHORT, ISSUED)
    return reg_lite.branch_id


def test_a_matching_copy_has_no_warning(reg: Registry, branch_id: int) -> None:
    with reg.db.session() as s:
        for doc in ("id-card", "taxpayer-card"):
            assert match_warnings(s, branch_id, doc, MADE_FOR, at("2026-05-05T10:00")) == []
        # Unknown type or name (extraction found none): nothing to compare, nothing to warn.
        assert match_warnings(s, branch_id, None, None, at("2026-05-05T10:00")) == []


def test_all_codes_expired(reg: Registry, branch_id: int) -> None:
    with reg.db.session() as s:
        # 2027-01-09 22:30 UTC is already 2027-01-10 in Kyiv: the first invalid day.
        assert match_warnings(s, branch_id, "id-card", MADE_FOR, at("2027-01-09T21:30")) == []
        got = match_warnings(s, branch_id, "id-card", MADE_FOR, at("2027-01-09T22:30"))
        assert got == [QR_ALL_EXPIRED]


def test_one_valid_code_is_enough(reg_lite: Registry, lite_branch: int) -> None:
    with reg_lite.db.session() as s:
        other = registry.add_service(s, reg_lite.branch_id, "для працевлаштування", ["id-card"])
        registry.import_code(s, reg_lite.branch_id, other.id, CYRILLIC, dt.date(2026, 6, 1))
        assert match_warnings(s, lite_branch, "id-card", MADE_FOR, at("2027-02-01T09:00")) == []


def test_document_type_not_requested(reg: Registry, branch_id: int) -> None:
    with reg.db.session() as s:
        got = match_warnings(s, branch_id, "driver-license", MADE_FOR, at("2026-05-05T10:00"))
        assert got == [DOC_TYPE_NOT_REQUESTED]
        # A package of a code that had expired by then does not count as requested.
        old = registry.add_service(s, reg.branch_id, "для оренди авто", ["driver-license"])
        registry.import_code(s, reg.branch_id, old.id, CYRILLIC, dt.date(2025, 1, 1))
        got = match_warnings(s, branch_id, "driver-license", MADE_FOR, at("2026-05-05T10:00"))
        assert got == [DOC_TYPE_NOT_REQUESTED]


def test_made_for_another_organisation(reg_lite: Registry, lite_branch: int) -> None:
    with reg_lite.db.session() as s:
        got = match_warnings(s, lite_branch, "id-card", "ТОВ «Світанок»", at("2026-05-05T10:00"))
        assert got == [MADE_FOR_MISMATCH]
        # The installation-wide organisation name is accepted too.
        assert (
            match_warnings(
                s,
                lite_branch,
                "id-card",
                "ПП «Світанок»",
                at("2026-05-05T10:00"),
                organization="Приватне підприємство «Світанок»",
            )
            == []
        )


def test_all_three_at_once_and_retired_codes(reg: Registry, branch_id: int) -> None:
    with reg.db.session() as s:
        got = match_warnings(s, branch_id, "student-card", "ФОП Іваненко", at("2027-06-01T10:00"))
        assert got == [QR_ALL_EXPIRED, DOC_TYPE_NOT_REQUESTED, MADE_FOR_MISMATCH]
        code = registry.list_codes(s, dt.date(2026, 5, 5))[0]
        registry.retire_code(s, code.id, at("2026-05-01T00:00"))
        # After retirement the branch has no code in use: the registry has nothing to say.
        assert match_warnings(s, branch_id, "student-card", None, at("2026-05-05T10:00")) == []
        # Before it, the code was in use.
        assert match_warnings(s, branch_id, "id-card", None, at("2026-04-05T10:00")) == []


def test_branch_without_codes_and_unknown_branch(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        bare = add_branch(s, "ЦНАП Житомирської міської ради", "м. Житомир", "cnap@zt.example")
        assert match_warnings(s, bare.id, "id-card", None, at("2026-05-05T10:00")) == []
        assert match_warnings(s, None, "id-card", None, at("2026-05-05T10:00")) == [BRANCH_UNKNOWN]
        assert match_warnings(s, 999, "id-card", None, at("2026-05-05T10:00")) == [BRANCH_UNKNOWN]


@pytest.mark.parametrize(
    ("made_for", "name"),
    [
        ("ТОВ «Палаццо Груп»", "Товариство з обмеженою відповідальністю «Палаццо Груп»"),
        ('ТОВ "ПАЛАЦЦО ГРУП"', "тов палаццо груп"),
        ("ТзОВ 'Палаццо Груп'", "ТОВ «Палаццо Груп»"),
        ("TOB «Палаццо Груп»", "ТОВ «Палаццо Груп»"),  # Latin lookalikes
        ("ПП «Світанок»", "Приватне підприємство “Світанок”"),
        ("ФОП Іваненко Іван Іванович", "Фізична особа-підприємець Іваненко Іван Іванович"),
        ("КП «Житомирводоканал»", "Комунальне підприємство „Житомирводоканал“"),
        ("ДП «ДІЯ»", "Державне підприємство «Дія»"),
        ("ТОВ «Палаццо»", "Готель «Палаццо», відділення №1"),
        ("Об’єднання співвласників багатоквартирного будинку «Затишок»", "ОСББ Затишок"),
    ],
)
def test_tolerant_name_comparison(made_for: str, name: str) -> None:
    assert same_organization(made_for, name)
    assert same_organization(name, made_for)


@pytest.mark.parametrize(
    ("made_for", "name"),
    [
        ("ТОВ «Світанок»", "ТОВ «Палаццо Груп»"),
        ("ПП «Палаццо Груп»", "ТОВ «Палаццо Груп»"),  # another legal entity
        ("ТОВ «Альфа»", "ТОВ «Альфа-Бета»"),
        ("ТОВ «1»", "Готель «Палаццо», відділення №1"),
        ("ТОВ", "ТОВ «Палаццо»"),
    ],
)
def test_different_organisations(made_for: str, name: str) -> None:
    assert not same_organization(made_for, name)


def test_descriptions_in_both_languages() -> None:
    for code in (QR_ALL_EXPIRED, DOC_TYPE_NOT_REQUESTED, MADE_FOR_MISMATCH, BRANCH_UNKNOWN):
        uk, en = describe_warning(code, "uk"), describe_warning(code, "en")
        assert uk != en and uk and en and uk != code
    assert describe_warning("SOMETHING_ELSE", "uk") == "SOMETHING_ELSE"
