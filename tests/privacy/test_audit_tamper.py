"""Editing or deleting one audit row makes `diia-inbox audit verify` fail and name the row.

The rows are written the way every part writes them (`archive.audit.record`), then changed
behind the application's back with plain SQL, as someone with database access would, and the
real command is run against the installation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete, select, update

from archive import audit
from archive.models import AuditEvent
from diia_inbox.runtime import Runtime
from tests.privacy.conftest import Mailroom, Person, make_config_env, run_cli


@pytest.fixture(params=["sqlite", "postgresql"])
def audited(
    request: pytest.FixtureRequest,
    installation: Callable[..., Runtime],
    people: tuple[Person, Person],
) -> Iterator[tuple[Runtime, dict[str, str], list[int]]]:
    """An installation with a few audit rows made by real commands; (rt, env, row ids)."""
    db_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    rt = installation(db_url)
    env = make_config_env(db_url)
    doc = Mailroom(rt).deliver(people[0].mail()).outcome
    assert doc is not None
    doc_id = doc.documents[0]
    # What the hold command, a document view and a subject search record (audit.record is the
    # one way every part writes the log).
    with rt.db.session() as s:
        for actor, action, obj_type, obj_id in (
            ("cli", "document.hold", "document", doc_id),
            ("olena", "document.view", "document", doc_id),
            ("cli", "subject.find", "subject", ""),
            ("cli", "document.unhold", "document", doc_id),
        ):
            audit.record(s, actor, action, obj_type, obj_id, remote="127.0.0.1")
    with rt.db.session() as s:
        ids = list(s.execute(select(AuditEvent.id).order_by(AuditEvent.id)).scalars())
        assert audit.verify_chain(s) == []
    assert len(ids) >= 4
    yield rt, env, ids


def test_an_edited_row_fails_verification_and_is_named(
    audited: tuple[Runtime, dict[str, str], list[int]],
) -> None:
    rt, env, ids = audited
    victim = ids[len(ids) // 2]
    with rt.db.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.id == victim).values(actor="nobody"))

    result = run_cli("audit", "verify", "--data", str(rt.config.data_dir), env=env)

    assert result.returncode != 0
    assert f"audit entry {victim}: entry changed" in result.stderr


def test_a_deleted_row_fails_verification_and_the_gap_is_named(
    audited: tuple[Runtime, dict[str, str], list[int]],
) -> None:
    rt, env, ids = audited
    victim = ids[len(ids) // 2]
    before, after = ids[ids.index(victim) - 1], ids[ids.index(victim) + 1]
    with rt.db.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.id == victim))

    result = run_cli("audit", "verify", "--data", str(rt.config.data_dir), env=env)

    assert result.returncode != 0
    assert f"audit entry {after}: link broken after entry {before}" in result.stderr
