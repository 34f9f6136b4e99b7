"""The use cases of ingest/filing.py, ingest/manual.py and ingest/requeue.py on a real
installation: received mail and the manual check file a copy the same way, exactly once where
the raw bytes are known, audited where a person asked; quarantined mail is taken up again."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archive.models import AuditEvent, Document, Message
from ingest.envelope import Envelope
from ingest.filing import Actor, Arrival, CopyToFile, file_copies
from ingest.manual import CheckedCopy, file_checked
from ingest.pipeline import process, quarantine_raw
from ingest.requeue import NotQuarantined, release, reprocess
from ingest.spool import Spool
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS, make_pipeline
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

WHEN = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
ADMIN = Actor("admin", "192.0.2.7")


def envelope() -> Envelope:
    return Envelope(mm.SENDER, (BRANCH_ADDRESS,), WHEN, "192.0.2.10", "smtp", "mail.example.net")


def audit_of(rt: Any) -> list[tuple[str, str, str, str, str, dict[str, Any]]]:
    with rt.db.session() as s:
        rows = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        return [(e.actor, e.action, e.object_type, e.object_id, e.remote, e.detail) for e in rows]


def checked(m: Any, rt: Any) -> CheckedCopy:
    report = validate(m.p7s, m.pdf, ValidationContext(trust=TrustStore.load([rt.config.trust_dir])))
    assert report.passed, report.render_text()
    return CheckedCopy(m.p7s, "Паспорт.pdf.p7s", m.pdf, "Паспорт громадянина України.pdf", report)


def test_received_and_checked_copies_are_filed_alike(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m, rt = ecdsa_material, sqlite_runtime
    deps = make_pipeline(rt, [m.root_der])
    received = process(mm.gmail(mm.diia_pair(m.pdf, m.p7s)), envelope(), deps)
    saved = file_checked(deps, checked(m, rt), ADMIN)

    assert received.status == saved.status == "archived"
    assert received.indexed and saved.indexed
    with rt.db.session() as s:
        mail = s.get(Document, received.documents[0])
        hand = s.get(Document, saved.documents[0])
        assert mail is not None and hand is not None
        same = (
            "filename",
            "pdf_sha256",
            "p7s_sha256",
            "text",
            "document_type",
            "indication",
            "signer",
            "fields",
        )
        assert [getattr(hand, c) for c in same] == [getattr(mail, c) for c in same]
        assert hand.document_type == "id-card" and hand.signer
        assert hand.report is not None and mail.report is not None
        assert hand.report["signer"] == mail.report["signer"]
        # Where they came from is all that differs: mail reaches a branch, a check does not.
        assert (mail.branch_id, hand.branch_id) == (branch_id, None)
        assert hand.flags == [] and hand.warnings == []
        msg = s.get(Message, saved.message_row)
        assert msg is not None
        assert (msg.status, msg.source, msg.envelope_from, msg.raw_sha256) == (
            "done",
            "manual",
            "admin",
            None,
        )
        assert msg.size == len(m.p7s) + len(m.pdf)
    # The person's filing is audited with the rows; the pipeline's is not (no person asked).
    created = [e for e in audit_of(rt) if e[1] == "document.create"]
    assert created == [
        ("admin", "document.create", "document", str(hand.id), "192.0.2.7", {"source": "manual"})
    ]


def test_raw_bytes_are_filed_once_a_checked_copy_each_time(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m, rt = ecdsa_material, sqlite_runtime
    deps = make_pipeline(rt, [m.root_der])
    raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s))
    copy = CopyToFile("a.pdf", m.pdf, (m.p7s,), None, "text", {}, None)
    arrival = Arrival(envelope(), raw, len(raw), branch_addresses=(BRANCH_ADDRESS,))

    first = file_copies(arrival, [copy], deps)
    again = file_copies(arrival, [copy], deps)
    assert first.status == "archived" and again == dataclasses.replace(
        first, status="duplicate", documents=(), indexed=False
    )
    twice = [file_checked(deps, checked(m, rt), ADMIN) for _ in range(2)]
    assert len({o.documents[0] for o in twice}) == 2
    with rt.db.session() as s:
        assert len(s.execute(select(Document.id)).all()) == 3
    # An unsigned copy is stored as such, and routed: the branch is found by its address.
    with rt.db.session() as s:
        doc = s.get(Document, first.documents[0])
        assert doc is not None and (doc.indication, doc.branch_id) == ("UNSIGNED", branch_id)


def test_a_failed_index_step_loses_nothing(sqlite_runtime: Any, ecdsa_material: Any) -> None:
    m, rt = ecdsa_material, sqlite_runtime

    def broken(docs: Any) -> None:
        raise OSError("index folder gone")

    deps = dataclasses.replace(make_pipeline(rt, [m.root_der]), index=broken)
    outcome = file_checked(deps, checked(m, rt), ADMIN)
    assert outcome.status == "archived" and not outcome.indexed
    with rt.db.session() as s:
        assert s.get(Document, outcome.documents[0]) is not None
    assert [e[1] for e in audit_of(rt)] == ["document.create"]


def test_reprocess_takes_up_a_quarantined_message(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m, rt = ecdsa_material, sqlite_runtime
    deps = make_pipeline(rt, [m.root_der])
    raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s))
    # The worker gave up on it (say the database kept failing), keeping the raw bytes.
    held = quarantine_raw(raw, envelope(), deps, "TOO_MANY_ATTEMPTS", 5)
    assert held.status == "quarantined" and held.message_row is not None

    outcome = reprocess(deps, held.message_row, ADMIN)

    assert outcome.status == "archived" and outcome.message_row == held.message_row
    with rt.db.session() as s:
        msg = s.get(Message, held.message_row)
        assert msg is not None and msg.status == "done" and len(msg.documents) == 1
        assert msg.documents[0].branch_id == branch_id
    assert audit_of(rt) == [
        ("admin", "message.reprocess", "message", str(held.message_row), "192.0.2.7", {})
    ]
    # Done now: nothing quarantined by that id any more, and nothing audited for asking.
    with pytest.raises(NotQuarantined) as info:
        reprocess(deps, held.message_row, ADMIN)
    assert info.value.reason == "NOT_QUARANTINED"
    assert len(audit_of(rt)) == 1


def test_release_gives_a_spool_item_a_fresh_start(sqlite_runtime: Any, tmp_path: Path) -> None:
    rt = sqlite_runtime
    spool = Spool(tmp_path / "spool")
    spool.put(b"Subject: x\r\n\r\nbody\r\n", envelope())
    item = spool.claim()
    assert item is not None
    spool.quarantine(item, "INTERNAL_ERROR")

    with pytest.raises(NotQuarantined):
        release(spool, rt.db, "no-such-item", ADMIN)
    assert audit_of(rt) == []

    release(spool, rt.db, item.id, ADMIN)
    again = spool.claim()
    assert again is not None and again.id == item.id and again.attempts == 0
    assert spool.list_quarantine() == []
    assert audit_of(rt) == [("admin", "spool.release", "spool_item", item.id, "192.0.2.7", {})]


def test_the_quarantine_verb_calls_the_same_use_cases(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int, capsys: Any
) -> None:
    from diia_inbox.cli import main

    m, rt = ecdsa_material, sqlite_runtime
    deps = make_pipeline(rt, [m.root_der])  # also writes the trust root the command reads
    held = quarantine_raw(mm.gmail(mm.diia_pair(m.pdf, m.p7s)), envelope(), deps, "X", 5)
    data = ["--data", str(rt.config.data_dir)]
    capsys.readouterr()

    assert main(["quarantine", *data, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["reason"]) for r in listed["messages"]] == [(held.message_row, "X")]
    assert listed["spool"] == []

    assert main(["quarantine", "reprocess", str(held.message_row), *data, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["status"], out["message"], len(out["documents"])) == (
        "archived",
        held.message_row,
        1,
    )
    assert audit_of(rt) == [("cli", "message.reprocess", "message", str(held.message_row), "", {})]

    assert main(["quarantine", "reprocess", str(held.message_row), *data]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "NOT_QUARANTINED" in err[0]
    assert main(["quarantine", "release", "no-such-item", *data]) == 1
    assert "NOT_QUARANTINED" in capsys.readouterr().err


def test_what_filing_indexes_is_what_a_reindex_reads_back(
    runtime: Any, ecdsa_material: Any
) -> None:
    """Filing hands the index `index_doc` of the rows it just wrote instead of reading them
    back; a reindex reads them from the database. Both must give the index the same document
    (ids, dates with their zone, names, numbers, branch, sender), on both engines, for a routed
    message of two copies with a branch (the ids its one INSERT returned, each matched to its
    own row) and an unsigned copy."""
    from archive.branches import add_branch
    from search.index import ArchiveSource, IndexDoc

    m, rt = ecdsa_material, runtime
    with rt.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
    handed: list[IndexDoc] = []
    deps = dataclasses.replace(make_pipeline(rt, [m.root_der]), index=handed.extend)
    two = mm.diia_pair(m.pdf, m.p7s, "Паспорт") + mm.diia_pair(m.other_pdf, m.p7s, "Інший")
    signed = process(mm.gmail(two), envelope(), deps)
    unsigned = process(
        mm.gmail([mm.Att("Довідка.pdf", m.pdf, "application/pdf")]), envelope(), deps
    )
    assert signed.status == unsigned.status == "archived" and signed.indexed
    assert len(signed.documents) == 2
    ids = [*signed.documents, *unsigned.documents]
    assert [d.id for d in handed] == ids
    assert handed[0].branch == "Готель «Дніпро»" and handed[0].received_at == WHEN
    assert handed == list(ArchiveSource(rt.db).docs(only=ids))
