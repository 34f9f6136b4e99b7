"""The registry on SQLite and PostgreSQL: services, codes, 365-day validity, the one-active-code
rule, retirement and the address-change flag."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.branches import add_branch, change_address
from archive.errors import Conflict, Invalid, NotFound
from archive.models import QrCode
from qrtools import registry
from qrtools.errors import (
    DuplicateCode,
    DuplicateService,
    InvalidDocuments,
    InvalidName,
    InvalidPayload,
    PayloadExists,
    UnknownObject,
)

from .conftest import Registry
from .payloads import CYRILLIC, LONG_URL, SHORT

ISSUED = dt.date(2026, 1, 10)
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_add_service_normalises_the_package(reg: Registry) -> None:
    with reg.db.session() as s:
        svc = registry.add_service(
            s, reg.branch_id, "  для   працевлаштування ", ["student-card", "id-card", "id-card"]
        )
        assert svc.name == "для працевлаштування"
        assert svc.documents == ["id-card", "student-card"]
        assert [x.id for x in registry.list_services(s, reg.branch_id)] == [reg.service_id, svc.id]


@pytest.mark.parametrize(
    ("name", "documents", "error"),
    [
        ("Дія готель", ["id-card"], InvalidName),
        ("для працевлаштування", [], InvalidDocuments),
        ("для працевлаштування", ["passport"], InvalidDocuments),
        ("для поселення у готель", ["id-card"], DuplicateService),
    ],
)
def test_add_service_refusals(
    reg_lite: Registry, name: str, documents: list[str], error: type
) -> None:
    with pytest.raises(error), reg_lite.db.session() as s:
        registry.add_service(s, reg_lite.branch_id, name, documents)


def test_add_service_to_unknown_branch(reg_lite: Registry) -> None:
    with pytest.raises(NotFound), reg_lite.db.session() as s:
        registry.add_service(s, 999, "для працевлаштування", ["id-card"])


def test_import_sets_365_days(reg: Registry) -> None:
    with reg.db.session() as s:
        other = registry.add_service(s, reg.branch_id, "для працевлаштування", ["id-card"])
    for service_id, payload in ((reg.service_id, CYRILLIC), (other.id, LONG_URL)):
        with reg.db.session() as s:
            code = registry.import_code(s, reg.branch_id, service_id, payload + "\n", ISSUED)
            assert code.payload == payload
            assert code.expires_at == dt.date(2027, 1, 10)
        with reg.db.session() as s:
            view = registry.get_code_view(s, code.id, dt.date(2026, 12, 1))
            assert view.payload == payload
            assert view.last_valid_day == dt.date(2027, 1, 9)
            assert view.to_dict()["state"] == "active"
    with reg.db.session() as s:
        first = registry.list_codes(s, dt.date(2026, 12, 1))[0]
        assert first.documents == ("id-card", "taxpayer-card")


def test_leap_year_is_still_365_days(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        code = registry.import_code(
            s, reg_lite.branch_id, reg_lite.service_id, SHORT, dt.date(2027, 6, 1)
        )
        assert code.expires_at == dt.date(2028, 5, 31)  # 2028 is a leap year


def test_one_active_code_per_branch_and_package(reg: Registry) -> None:
    with reg.db.session() as s:
        first = registry.import_code(s, reg.branch_id, reg.service_id, SHORT, ISSUED)
        # Another service with the same package shares the one code the portal allows.
        twin = registry.add_service(
            s, reg.branch_id, "для оренди номера", ["taxpayer-card", "id-card"]
        )
        other = registry.add_service(s, reg.branch_id, "для працевлаштування", ["id-card"])
    for service_id in (reg.service_id, twin.id):
        with pytest.raises(DuplicateCode) as err, reg.db.session() as s:
            registry.import_code(s, reg.branch_id, service_id, CYRILLIC, dt.date(2026, 12, 20))
        assert isinstance(err.value, Conflict)
        assert f"№{first.id}" in err.value.message("uk")
    with reg.db.session() as s:  # a different package is a different code
        registry.import_code(s, reg.branch_id, other.id, CYRILLIC, dt.date(2026, 12, 20))


def test_replace_retires_the_old_code(reg: Registry) -> None:
    with reg.db.session() as s:
        old = registry.import_code(s, reg.branch_id, reg.service_id, SHORT, ISSUED)
    with reg.db.session() as s:
        new = registry.import_code(
            s, reg.branch_id, reg.service_id, CYRILLIC, dt.date(2027, 1, 5), replace=True
        )
    with reg.db.session() as s:
        assert s.get(QrCode, old.id).retired_at == dt.datetime(2027, 1, 5, tzinfo=dt.UTC)
        assert s.get(QrCode, new.id).retired_at is None


def test_a_new_code_supersedes_an_expired_one_without_asking(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        old = registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, SHORT, ISSUED)
    with reg_lite.db.session() as s:
        registry.import_code(
            s, reg_lite.branch_id, reg_lite.service_id, CYRILLIC, dt.date(2027, 1, 10)
        )
    with reg_lite.db.session() as s:
        states = {v.id: v.state for v in registry.list_codes(s, dt.date(2027, 1, 10))}
        assert states[old.id] == "retired"
        assert len(registry.list_codes(s, dt.date(2027, 1, 10), include_retired=False)) == 1


def test_same_payload_twice_is_refused(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        other = registry.add_service(s, reg_lite.branch_id, "для працевлаштування", ["id-card"])
        registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, SHORT, ISSUED)
    with pytest.raises(PayloadExists), reg_lite.db.session() as s:
        registry.import_code(s, reg_lite.branch_id, other.id, SHORT, ISSUED)


@pytest.mark.parametrize("payload", ["", "  \n", "a\x00b", "x" * 3000])
def test_bad_payloads(reg_lite: Registry, payload: str) -> None:
    with pytest.raises(InvalidPayload) as err, reg_lite.db.session() as s:
        registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, payload, ISSUED)
    assert isinstance(err.value, Invalid)


def test_service_must_belong_to_the_branch(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        other = add_branch(s, "Готель «Палаццо», відділення №2", "м. Львів", "two@hotel.example")
    with pytest.raises(UnknownObject), reg_lite.db.session() as s:
        registry.import_code(s, other.id, reg_lite.service_id, SHORT, ISSUED)


def test_code_state_across_the_boundary() -> None:
    code = QrCode(issued_at=ISSUED, expires_at=dt.date(2027, 1, 10))
    expected = {
        dt.date(2026, 1, 10): "active",
        dt.date(2027, 1, 2): "active",  # 8 days left
        dt.date(2027, 1, 3): "expiring",  # 7 days left: the week before
        dt.date(2027, 1, 9): "expiring",  # the last valid day
        dt.date(2027, 1, 10): "expired",  # 365 days after issue
        dt.date(2028, 1, 1): "expired",
    }
    for day, state in expected.items():
        assert registry.code_state(code, day) == state, day
    assert registry.code_state(code, dt.date(2027, 1, 1), remind_days=10) == "expiring"
    code.retired_at = NOW
    assert registry.code_state(code, dt.date(2026, 1, 10)) == "retired"


def test_retire_is_idempotent(reg_lite: Registry) -> None:
    with reg_lite.db.session() as s:
        code = registry.import_code(s, reg_lite.branch_id, reg_lite.service_id, SHORT, ISSUED)
    with reg_lite.db.session() as s:
        registry.retire_code(s, code.id, NOW)
    with reg_lite.db.session() as s:
        again = registry.retire_code(s, code.id, NOW + dt.timedelta(days=3))
        assert again.retired_at == NOW
        assert registry.code_state(again, ISSUED) == "retired"
    with pytest.raises(NotFound), reg_lite.db.session() as s:
        registry.retire_code(s, 999, NOW)


def test_address_change_flags_older_codes(reg: Registry) -> None:
    with reg.db.session() as s:
        code = registry.import_code(s, reg.branch_id, reg.service_id, SHORT, ISSUED)
    with reg.db.session() as s:
        assert not registry.get_code_view(s, code.id, ISSUED).needs_replacement
        change_address(s, reg.branch_id, "м. Тернопіль, вул. Князя Острозького, 5")
    with reg.db.session() as s:
        view = registry.get_code_view(s, code.id, ISSUED)
        assert view.needs_replacement
        new = registry.import_code(
            s, reg.branch_id, reg.service_id, CYRILLIC, dt.date(2099, 1, 1), replace=True
        )
    with reg.db.session() as s:
        assert not registry.get_code_view(s, new.id, dt.date(2099, 1, 1)).needs_replacement


def test_list_codes_is_soonest_first(reg: Registry) -> None:
    with reg.db.session() as s:
        other = registry.add_service(s, reg.branch_id, "для працевлаштування", ["id-card"])
        late = registry.import_code(s, reg.branch_id, reg.service_id, SHORT, dt.date(2026, 3, 1))
        early = registry.import_code(s, reg.branch_id, other.id, CYRILLIC, dt.date(2026, 2, 1))
    with reg.db.session() as s:
        views = registry.list_codes(s, dt.date(2026, 6, 1))
    assert [v.id for v in views] == [early.id, late.id]
    assert views[0].branch_email == "qr-palazzo@hotel.example"
    assert views[0].days_left == (dt.date(2027, 2, 1) - dt.date(2026, 6, 1)).days


@settings(max_examples=200, deadline=None)
@given(
    issued=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 1, 1)),
    offset=st.integers(min_value=-30, max_value=800),
    remind=st.integers(min_value=1, max_value=30),
)
def test_state_follows_days_left(issued: dt.date, offset: int, remind: int) -> None:
    code = QrCode(issued_at=issued, expires_at=issued + dt.timedelta(days=365))
    today = issued + dt.timedelta(days=offset)
    left = (code.expires_at - today).days
    state = registry.code_state(code, today, remind)
    assert state == ("expired" if left <= 0 else "expiring" if left <= remind else "active")
    assert (state == "expired") == (offset >= 365)
