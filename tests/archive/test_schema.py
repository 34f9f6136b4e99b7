"""The archive on both engines: migrations from empty, models, constraints, audit chain."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from archive import audit
from archive.branches import add_branch, branch_for_address, list_branches, receiving_addresses
from archive.db import Database, current_revision, downgrade, head_revision, upgrade
from archive.errors import Conflict, Invalid
from archive.models import AuditEvent, Document, Message, QrCode, Service
from archive.users import add_user, authenticate, issue_token, user_for_token

TABLES = {
    "branches",
    "services",
    "qr_codes",
    "messages",
    "documents",
    "users",
    "audit_events",
    "web_sessions",
}


def test_migrations_up_from_empty_down_and_up_again(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert current_revision(db.engine) is None
        upgrade(db.engine)
        assert current_revision(db.engine) == head_revision()
        assert TABLES <= set(inspect(db.engine).get_table_names())
        downgrade(db.engine, "base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade(db.engine)
        assert TABLES <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_migrations_match_the_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from archive.models import Base

    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_branch_email_unique_case_insensitive(database: Database) -> None:
    with database.session() as s:
        b = add_branch(
            s, "Готель «Дніпро», рецепція", "м. Київ, вул. Хрещатик, 1", " Reception@Hotel.Example "
        )
        assert b.email == "reception@hotel.example"
    with pytest.raises(Conflict), database.session() as s:
        add_branch(s, "Інша назва", "інша адреса", "RECEPTION@hotel.example")
    with database.session() as s:
        assert [b.name for b in list_branches(s)] == ["Готель «Дніпро», рецепція"]
        assert branch_for_address(s, "<reception@HOTEL.example>") is not None
        assert branch_for_address(s, "other@hotel.example") is None
        assert receiving_addresses(s) == {"reception@hotel.example"}


def test_branch_rejects_bad_input(database: Database) -> None:
    for name, address, email in [("", "a", "x@y.ua"), ("n", "", "x@y.ua"), ("n", "a", "nope")]:
        with pytest.raises(Invalid), database.session() as s:
            add_branch(s, name, address, email)


def test_message_document_roundtrip_with_aware_times(database: Database) -> None:
    received = dt.datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=dt.UTC)
    with database.session() as s:
        b = add_branch(s, "ЦНАП Подільський", "м. Київ", "cnap@example.org")
        s.add(Service(branch_id=b.id, name="для надання послуг", documents=["id-card"]))
        m = Message(
            message_id="<a@b>",
            envelope_from="c@d.ua",
            envelope_to=["cnap@example.org"],
            subject="Копії документів",
            received_at=received,
            size=10,
            raw_sha256="0" * 64,
        )
        m.documents.append(
            Document(
                branch_id=b.id,
                document_type="id-card",
                fields={"person_name": "Тарас Шевченко"},
                indication="TOTAL_PASSED",
                received_at=received,
            )
        )
        s.add(m)
        s.add(
            QrCode(
                branch_id=b.id,
                payload="https://diia.example/qr/1",
                issued_at=dt.date(2026, 1, 1),
                expires_at=dt.date(2027, 1, 1),
            )
        )
    with database.session() as s:
        doc = s.execute(select(Document)).scalar_one()
        assert doc.received_at == received
        assert doc.received_at.tzinfo is not None
        assert doc.fields["person_name"] == "Тарас Шевченко"
        assert doc.message is not None and doc.message.envelope_to == ["cnap@example.org"]


def test_same_raw_bytes_stored_once(database: Database) -> None:
    with database.session() as s:
        s.add(Message(raw_sha256="a" * 64))
    with pytest.raises(IntegrityError), database.session() as s:
        s.add(Message(raw_sha256="a" * 64))
    with database.session() as s:
        assert len(s.execute(select(Message)).scalars().all()) == 1


def test_users_passwords_and_tokens(database: Database) -> None:
    with database.session() as s:
        add_user(s, "olena.staff", "staff", "correct horse battery")
        token = issue_token(s, "olena.staff")
    with database.session() as s:
        assert authenticate(s, "olena.staff", "correct horse battery") is not None
        assert authenticate(s, "olena.staff", "correct horse batterY") is None
        assert authenticate(s, "nobody", "correct horse battery") is None
        user = user_for_token(s, token)
        assert user is not None and user.role == "staff"
        assert user_for_token(s, token + "x") is None
    with pytest.raises(Conflict), database.session() as s:
        add_user(s, "olena.staff", "admin", "another long password")
    with pytest.raises(Invalid), database.session() as s:
        add_user(s, "x y", "staff", "long enough password")
    with pytest.raises(Invalid), database.session() as s:
        add_user(s, "someone", "root", "long enough password")


def test_audit_chain_detects_edit_and_delete(database: Database) -> None:
    with database.session() as s:
        for i in range(5):
            audit.record(s, "olena.staff", "document.view", "document", i, remote="127.0.0.1")
    with database.session() as s:
        assert audit.verify_chain(s) == []
        ids = [e.id for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    with database.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor='someone.else' WHERE id=:i"), {"i": ids[1]}
        )
    with database.session() as s:
        problems = audit.verify_chain(s)
        assert [p.event_id for p in problems] == [ids[1]]
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor='olena.staff' WHERE id=:i"), {"i": ids[1]})
        conn.execute(text("DELETE FROM audit_events WHERE id=:i"), {"i": ids[3]})
    with database.session() as s:
        problems = audit.verify_chain(s)
        assert [p.event_id for p in problems] == [ids[4]]
