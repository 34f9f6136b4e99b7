"""Retention, erasure, encryption at rest and backup at the archive level, on both engines."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive import audit, retention
from archive.backup import BackupError, backup, restore
from archive.blobs import BlobCorrupt, BlobStore
from archive.branches import add_branch
from archive.db import Database
from archive.keyring import Keyring
from archive.models import AuditEvent, Document, Message, Service, WebSession
from archive.users import add_user
from search import subjects

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
PDF_A = "%PDF-1.7\n Unique-Fixture-Alpha Тарас Шевченко 1234567899\n%%EOF".encode()
PDF_B = "%PDF-1.7\n Unique-Fixture-Bravo Олена Пчілка 2345678901\n%%EOF".encode()


def _store(
    db: Database,
    blobs: BlobStore,
    pdf: bytes,
    name: str,
    rnokpp: str,
    received: dt.datetime,
    doc_type: str = "id-card",
) -> int:
    raw = b"From: a@b\r\nSubject: copy\r\n\r\n" + pdf
    with db.session() as s:
        branch = s.execute(select(Service)).scalars().first()
        msg = Message(
            raw_sha256=blobs.put(raw),
            size=len(raw),
            received_at=received,
            envelope_to=["reception@hotel.example"],
        )
        msg.documents.append(
            Document(
                pdf_sha256=blobs.put(pdf),
                document_type=doc_type,
                received_at=received,
                branch_id=branch.branch_id if branch else None,
                text=pdf.decode(),
                fields={"person_name": name, "rnokpp": rnokpp},
                indication="TOTAL_PASSED",
                report={"indication": "TOTAL_PASSED"},
            )
        )
        s.add(msg)
        s.flush()
        return msg.documents[0].id


@pytest.fixture
def installation(database: Database, tmp_path: Path) -> tuple[Database, BlobStore]:
    blobs = BlobStore(tmp_path / "blobs")
    with database.session() as s:
        b = add_branch(s, "Готель «Дніпро», рецепція", "м. Дніпро", "reception@hotel.example")
        s.add(
            Service(
                branch_id=b.id,
                name="для поселення у готель",
                documents=["id-card"],
                retention_days=30,
            )
        )
    return database, blobs


def test_purge_respects_service_retention_and_legal_hold(installation) -> None:
    db, blobs = installation
    old = _store(db, blobs, PDF_A, "Тарас Шевченко", "1234567899", NOW - dt.timedelta(days=31))
    held = _store(db, blobs, PDF_B, "Олена Пчілка", "2345678901", NOW - dt.timedelta(days=40))
    fresh = _store(
        db, blobs, PDF_A + b" ", "Тарас Шевченко", "1234567899", NOW - dt.timedelta(days=29)
    )
    with db.session() as s:
        s.get(Document, held).legal_hold = True
    with db.session() as s:
        plan = retention.plan_purge(s, NOW, default_days=365)
    assert plan.documents == (old,)
    assert plan.held == 1
    result = retention.execute(db, blobs, plan)
    assert (result.documents, result.messages) == (1, 1)
    assert result.blobs == 2  # the PDF and the raw message
    with db.session() as s:
        assert sorted(s.execute(select(Document.id)).scalars()) == sorted([held, fresh])
    assert PDF_A not in [blobs.get(d) for d in blobs]


def test_shared_blob_survives_until_last_reference_goes(installation) -> None:
    db, blobs = installation
    a = _store(db, blobs, PDF_A, "Тарас Шевченко", "1234567899", NOW - dt.timedelta(days=400))
    with db.session() as s:  # a second message carrying the same PDF bytes
        msg = Message(raw_sha256=blobs.put(b"other raw"), received_at=NOW)
        msg.documents.append(
            Document(pdf_sha256=s.get(Document, a).pdf_sha256, received_at=NOW, fields={})
        )
        s.add(msg)
    with db.session() as s:
        plan = retention.plan_purge(s, NOW, default_days=365)
    retention.execute(db, blobs, plan)
    assert PDF_A in [blobs.get(d) for d in blobs]


def test_subject_find_export_and_keyed_audit(installation) -> None:
    from search.analysis import Analyzer

    match = subjects.Matcher(Analyzer())
    db, blobs = installation
    a = _store(db, blobs, PDF_A, "Тарас Шевченко", "1234567899", NOW)
    _store(db, blobs, PDF_B, "Олена Пчілка", "2345678901", NOW)
    for probe in (
        subjects.Subject(name="шевченко тарас"),
        subjects.Subject(rnokpp="1234567899"),
        subjects.Subject(name="ШЕВЧЕНКО"),
    ):
        with db.session() as s:
            assert [d.id for d in subjects.find(s, probe, match).documents] == [a]
    with db.session() as s:
        assert subjects.find(s, subjects.Subject(name="Тарас Пчілка"), match).documents == []
        found = subjects.find(s, subjects.Subject(rnokpp="1234567899"), match)
        data = subjects.export(s, blobs, subjects.select(found).documents)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert f"document-{a}/document-{a}.pdf" in names
        assert zf.read(f"document-{a}/document-{a}.pdf") == PDF_A
        assert json.loads(zf.read("index.json"))["documents"][0]["id"] == a
    key = b"k" * 32
    subject = subjects.Subject(name="Тарас Шевченко", rnokpp="1234567899")
    with db.session() as s:
        selection = subjects.select(subjects.find(s, subject, match))
        subjects.record_erasure(s, "dpo", selection, key, [a])
    with db.session() as s:
        ev = s.execute(select(AuditEvent)).scalars().one()
        dumped = json.dumps([ev.object_id, ev.detail], ensure_ascii=False)
    assert "Шевченко" not in dumped and "1234567899" not in dumped
    assert ev.detail["criteria"] == ["name", "rnokpp"] and ev.detail["copies"] == [a]
    assert ev.object_id == subjects.keyed_hash(key, subject)[:32]


def test_encrypted_blobs_hold_no_plaintext(tmp_path: Path) -> None:
    ring = Keyring.generate()
    store = BlobStore(tmp_path, ring)
    digest = store.put(PDF_A)
    stored = store.path(digest).read_bytes()
    assert b"%PDF" not in stored and b"Unique-Fixture-Alpha" not in stored
    assert store.get(digest) == PDF_A
    # rotation: the old key still reads until resealed; then the new one is used
    old = ring.current
    ring.rotate()
    assert store.get(digest) == PDF_A
    assert store.reseal(digest) is True
    assert Keyring.key_id_of(store.path(digest).read_bytes()) == ring.current != old
    assert store.reseal(digest) is False
    # tampered ciphertext, swapped files and a missing key are all reported
    path = store.path(digest)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    other = store.put(PDF_B)
    path.write_bytes(store.path(other).read_bytes())
    with pytest.raises(BlobCorrupt):
        store.get(digest)
    with pytest.raises(BlobCorrupt):
        BlobStore(tmp_path).get(other)  # encrypted, but no keyring given


@pytest.fixture(params=["sqlite", "postgresql"])
def restore_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The database a backup is restored onto, freshly migrated, on either engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        url = request.getfixturevalue("pg_databases")()
    target = Database(url)
    target.migrate()
    try:
        yield target
    finally:
        target.dispose()


def test_backup_restore_roundtrip_across_engines(
    installation, restore_target: Database, tmp_path: Path
) -> None:
    """All four combinations: a backup of SQLite or PostgreSQL onto SQLite or PostgreSQL."""
    db, blobs = installation
    ids = [
        _store(db, blobs, PDF_A, "Тарас Шевченко", "1234567899", NOW),
        _store(db, blobs, PDF_B, "Олена Пчілка", "2345678901", NOW),
    ]
    with db.session() as s:
        # A table keyed by text (a session's hash): it has no sequence to reset.
        user = add_user(s, "reception", "staff", "a long enough password 1")
        s.add(WebSession(id="ab" * 32, user_id=user.id, csrf_token="c" * 64,
                         expires_at=NOW + dt.timedelta(hours=1)))  # fmt: skip
    spool = tmp_path / "spool"
    (spool / "new" / "item1").mkdir(parents=True)
    (spool / "new" / "item1" / "message").write_bytes(b"raw accepted mail")
    (spool / "new" / "item1" / "envelope.json").write_text("{}")
    out = tmp_path / "b.tar"
    summary = backup(db, blobs.root, spool, out)
    assert summary.rows["documents"] == 2 and summary.spool == 1
    target = restore_target
    tblobs = BlobStore(tmp_path / "rblobs")
    restored = restore(out, target, tblobs.root, tmp_path / "rspool")
    assert restored.rows == summary.rows
    with target.session() as s:
        docs = s.execute(select(Document).order_by(Document.id)).scalars().all()
        assert [d.id for d in docs] == ids
        assert all(tblobs.get(d.pdf_sha256) in (PDF_A, PDF_B) for d in docs)
        assert docs[0].received_at == NOW
        assert s.execute(select(func.count(Message.id))).scalar_one() == 2
        assert s.get(WebSession, "ab" * 32) is not None
    # The numbering continues after the restored rows (the sequences were moved past them).
    with target.session() as s:
        new_event = audit.record(s, "cli", "restore.check")
        new_user = add_user(s, "auditor", "auditor", "a long enough password 2")
        last_event = s.execute(select(func.max(AuditEvent.id))).scalar_one()
    assert new_event.id == last_event and new_event.id > summary.rows["audit_events"] - 1
    assert new_user.id > user.id
    with target.session() as s:
        assert audit.verify_chain(s) == []
    assert (tmp_path / "rspool" / "new" / "item1" / "message").read_bytes() == (
        b"raw accepted mail"
    )
    with pytest.raises(BackupError):
        restore(out, target, tblobs.root, tmp_path / "rspool")  # not empty any more


def test_deletion_waits_for_a_backup_and_then_forgets_derived_data(installation) -> None:
    """The one deletion path holds the installation-wide blob lock: while a backup (shared
    lock, on any node) copies blobs, a delete from the web waits instead of removing a blob
    the backup's database snapshot still names; then it tells the derived stores."""
    import threading

    from archive.cluster_lock import BLOB_GC, cluster_lock

    db, blobs = installation
    old = _store(db, blobs, PDF_A, "Тарас Шевченко", "1234567899", NOW - dt.timedelta(days=400))
    with db.session() as s:
        plan = retention.plan_deletion(s, [s.get(Document, old)])
    forgotten: list[list[int]] = []
    done = threading.Event()

    def delete() -> None:
        retention.delete_everywhere(db, blobs, plan, derived=[forgotten.append])
        done.set()

    with cluster_lock(db, BLOB_GC, shared=True):  # a backup is copying
        worker = threading.Thread(target=delete)
        worker.start()
        assert not done.wait(1.5), "deleted while a backup held the blob lock"
        assert PDF_A in [blobs.get(d) for d in blobs]
    worker.join(60)
    assert done.is_set()
    assert forgotten == [[old]]
    assert PDF_A not in [blobs.get(d) for d in blobs]
