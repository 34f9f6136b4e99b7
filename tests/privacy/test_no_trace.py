"""After a purge or an erasure, no byte of the removed copies is left anywhere we keep data.

On SQLite every file of the data folder is read: the database and its -wal, each blob, the spool
folders and the Whoosh index. On PostgreSQL the database files belong to the server, so the
check there is SQL over every table (including the PostgreSQL search backend's table) plus the
files we do own (blobs, spool). Each test first shows that the same grep *does* find the person
before the removal, so a clean result cannot come from a grep that looks in the wrong place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import inspect, text

from archive import retention
from archive.models import Document
from diia_inbox import privacy
from diia_inbox.runtime import Runtime
from tests.privacy.conftest import Mailroom, Person, invent_person, run_cli, traces

FAR_FUTURE = dt.timedelta(days=400)


def _fill(rt: Runtime, gone: Person, stays: Person) -> dict[str, int]:
    """Two copies of `gone` (one sent twice in one message), a quarantined message naming
    `gone`, and one copy of `stays`; returns the document ids by role."""
    room = Mailroom(rt)
    first = room.deliver(gone.mail())
    assert first.action == "done" and first.outcome is not None
    quarantined = room.deliver(gone.plain_mail())
    assert quarantined.action == "quarantined", quarantined
    kept = room.deliver(stays.mail())
    assert kept.action == "done" and kept.outcome is not None
    assert list(rt.config.spool_dir.joinpath("quarantine").iterdir()), "nothing quarantined"
    return {"gone": first.outcome.documents[0], "stays": kept.outcome.documents[0]}


def _search_ids(rt: Runtime, query: str) -> set[int]:
    with privacy.search_backend(rt) as backend:
        return {h.id for h in backend.search(query).hits}


def _assert_found_before(rt: Runtime, gone: Person, ids: dict[str, int]) -> None:
    found = {label for _, label in traces(rt.config.data_dir, gone.needles())}
    # Sanity of the probe: every kind of needle is somewhere before the removal.
    for label in ("document number", "RNOKPP", "unique word", "PDF bytes", "PDF in base64"):
        assert label in found, f"the grep does not see the {label} even before removal"
    assert ids["gone"] in _search_ids(rt, gone.document_number)


def _assert_bystander_intact(rt: Runtime, stays: Person, ids: dict[str, int]) -> None:
    assert _search_ids(rt, stays.document_number) == {ids["stays"]}
    with rt.db.session() as s:
        doc = s.get(Document, ids["stays"])
        assert doc is not None and doc.pdf_sha256 is not None
        assert rt.blobs.get(doc.pdf_sha256) == stays.pdf


def test_purge_leaves_no_trace_on_sqlite(
    installation: Callable[..., Runtime], people: tuple[Person, Person]
) -> None:
    gone, stays = people
    rt = installation()
    ids = _fill(rt, gone, stays)
    _assert_found_before(rt, gone, ids)
    # The bystander's copy is on legal hold, so the purge takes only the other person's.
    assert run_cli("hold", str(ids["stays"]), "--data", str(rt.config.data_dir)).returncode == 0

    report = privacy.purge(rt, dt.datetime.now(dt.UTC) + FAR_FUTURE, dry_run=False)

    assert report.result is not None and report.result.document_ids == [ids["gone"]]
    assert report.plan.held == 1
    left = traces(rt.config.data_dir, gone.needles())
    assert left == [], left
    assert _search_ids(rt, gone.document_number) == set()
    _assert_bystander_intact(rt, stays, ids)


def test_erasure_leaves_no_trace_on_sqlite(
    installation: Callable[..., Runtime], people: tuple[Person, Person]
) -> None:
    gone, stays = people
    rt = installation()
    ids = _fill(rt, gone, stays)
    _assert_found_before(rt, gone, ids)
    data = str(rt.config.data_dir)

    # The operator's path: look first, then erase, by the name in a different word order.
    listed = run_cli("subject", "find", "--name", "Тарас Шевченко", "--data", data, "--json")
    assert listed.returncode == 0, listed.stderr
    assert f'"id": {ids["gone"]}' in listed.stdout
    erased = run_cli("subject", "erase", "--name", "Тарас Шевченко", "--yes", "--data", data)
    assert erased.returncode == 0, erased.stderr
    assert "erased 1 documents" in erased.stdout

    left = traces(rt.config.data_dir, gone.needles())
    assert left == [], left
    assert _search_ids(rt, gone.document_number) == set()
    _assert_bystander_intact(rt, stays, ids)
    verified = run_cli("audit", "verify", "--data", data)
    assert verified.returncode == 0, verified.stderr


def _sql_mentions(rt: Runtime, needles: dict[str, bytes]) -> list[tuple[str, str]]:
    """(table, needle label) for every table whose rows, as text, contain a needle."""
    found = []
    with rt.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for label, needle in needles.items():
                if label.startswith("PDF"):
                    continue  # binary; the PDF lives in blobs, checked on disk below
                hits = conn.execute(
                    text(f'SELECT count(*) FROM "{table}" AS t WHERE t::text ILIKE :pattern'),
                    {"pattern": f"%{needle.decode()}%"},
                ).scalar_one()
                if hits:
                    found.append((table, label))
    return found


def test_purge_and_erasure_leave_no_row_on_postgresql(
    installation: Callable[..., Runtime],
    people: tuple[Person, Person],
    pg_url: str,
) -> None:
    gone, stays = people
    rt = installation(pg_url, search_backend="postgres")
    ids = _fill(rt, gone, stays)
    needles = gone.needles()
    before = {label for _, label in _sql_mentions(rt, needles)}
    assert {"document number", "RNOKPP", "unique word", "surname"} <= before
    assert ids["gone"] in _search_ids(rt, gone.document_number)

    erased = privacy.erase_subject(rt, privacy.subjects.Subject(rnokpp=gone.rnokpp), "test")

    assert erased.erased == (ids["gone"],)
    assert _sql_mentions(rt, needles) == []
    assert traces(rt.config.data_dir, needles) == []
    assert _search_ids(rt, gone.document_number) == set()
    _assert_bystander_intact(rt, stays, ids)

    # The purge path on the same engine: the bystander goes too once past retention.
    report = privacy.purge(rt, dt.datetime.now(dt.UTC) + FAR_FUTURE, dry_run=False)
    assert report.result is not None and report.result.document_ids == [ids["stays"]]
    assert _sql_mentions(rt, stays.needles()) == []
    assert traces(rt.config.data_dir, stays.needles()) == []


def test_erasure_keeps_a_copy_on_legal_hold_and_says_so(
    installation: Callable[..., Runtime],
    people: tuple[Person, Person],
    signer: Any,
) -> None:
    """A hold is the organisation's recorded reason to keep a copy; the operator is told."""
    gone, _ = people
    rt = installation()
    room = Mailroom(rt)
    first = room.deliver(gone.mail()).outcome
    second_copy = invent_person(signer[1], rnokpp=gone.rnokpp)  # the same person's other copy
    second = room.deliver(second_copy.mail()).outcome
    assert first is not None and second is not None
    held = second.documents[0]
    data = str(rt.config.data_dir)
    assert run_cli("hold", str(held), "--data", data).returncode == 0

    erased = run_cli("subject", "erase", "--name", gone.full_name, "--yes", "--data", data)

    assert erased.returncode == 0, erased.stderr
    assert "erased 1 documents" in erased.stdout
    assert f"kept 1 on legal hold (documents {held})" in erased.stdout
    with rt.db.session() as s:
        assert s.get(Document, first.documents[0]) is None
        assert s.get(Document, held) is not None
    assert _search_ids(rt, second_copy.document_number) == {held}


def test_a_web_delete_leaves_the_index_files_by_the_next_purge(
    installation: Callable[..., Runtime], people: tuple[Person, Person]
) -> None:
    gone, stays = people
    rt = installation()
    ids = _fill(rt, gone, stays)
    numbers = {"document number": gone.document_number.encode(), "RNOKPP": gone.rnokpp.encode()}
    assert any(path.startswith("index/") for path, _ in traces(rt.config.data_dir, numbers))

    # What the web's delete does (web/documents.py): the one deletion, the index entry marked.
    with rt.db.session() as s:
        doc = s.get(Document, ids["gone"])
        plan = retention.plan_deletion(s, [doc])
    with privacy.search_backend(rt) as backend:
        retention.delete_everywhere(rt.db, rt.blobs, plan, derived=[backend.delete])

    assert _search_ids(rt, gone.document_number) == set()
    # A plain delete only marks the entry deleted (a merge is too slow for a web request);
    # the daily purge merges the index, after which no byte of the copy is left in it.
    privacy.purge(rt, dt.datetime.now(dt.UTC), dry_run=False)
    left = [path for path, _ in traces(rt.config.data_dir, numbers) if path.startswith("index/")]
    assert left == []
    assert _search_ids(rt, stays.document_number) == {ids["stays"]}
