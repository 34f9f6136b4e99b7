"""The pipeline on a real installation: real PDFs, real signatures, real archive and index."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from archive.db import Database
from archive.models import Document, Message
from ingest.envelope import Envelope
from ingest.pipeline import (
    NO_PDF,
    PDF_FROM_SIGNATURE,
    UNSIGNED,
    TransientError,
    process,
)
from tests.conftest import VECTORS
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS, make_pipeline

WHEN = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)


def envelope(to: str = BRANCH_ADDRESS) -> Envelope:
    return Envelope(mm.SENDER, (to,), WHEN, "192.0.2.10", "smtp", "mail.example.net")


def documents(db: Database) -> list[Document]:
    with db.session() as s:
        return list(s.execute(select(Document).order_by(Document.id)).scalars())


def counts(db: Database) -> tuple[int, int]:
    with db.session() as s:
        return (
            s.execute(select(func.count(Message.id))).scalar_one(),
            s.execute(select(func.count(Document.id))).scalar_one(),
        )


def test_diia_message_becomes_a_verified_searchable_document(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s))

    outcome = process(raw, envelope(), deps)

    assert outcome.status == "archived" and len(outcome.documents) == 1
    (doc,) = documents(sqlite_runtime.db)
    assert (doc.indication, doc.sub_indication) == ("TOTAL_PASSED", None)
    assert doc.branch_id == branch_id
    assert doc.signer and doc.report and doc.report["indication"] == "TOTAL_PASSED"
    assert doc.report["signer"]["organization_identifier"] == "NTRUA-43395033"
    assert doc.filename == "Паспорт громадянина України.pdf"
    assert doc.document_type == "id-card"
    assert m.person in doc.text
    assert sqlite_runtime.blobs.get(doc.pdf_sha256) == m.pdf
    assert sqlite_runtime.blobs.get(doc.p7s_sha256) == m.p7s
    with sqlite_runtime.db.session() as s:
        msg = s.get(Message, outcome.message_row)
        assert msg is not None and msg.status == "done" and msg.source == "smtp"
        assert sqlite_runtime.blobs.get(msg.raw_sha256) == raw
        assert msg.subject == mm.SUBJECT and msg.envelope_to == [BRANCH_ADDRESS]

    assert outcome.indexed
    from search.index import open_backend

    backend = open_backend(
        sqlite_runtime.config.search, sqlite_runtime.config.index_dir, sqlite_runtime.db
    )
    try:
        hits = backend.search(m.person.split()[0]).hits
        assert [h.id for h in hits] == [doc.id]
    finally:
        backend.close()


def test_dstu_signed_message_end_to_end(
    sqlite_runtime: Any, dstu_material: Any, branch_id: int
) -> None:
    m = dstu_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    outcome = process(mm.outlook(mm.diia_pair(m.pdf, m.p7s)), envelope(), deps)
    (doc,) = documents(sqlite_runtime.db)
    assert outcome.status == "archived"
    assert (doc.indication, doc.branch_id) == ("TOTAL_PASSED", branch_id)
    assert doc.report is not None
    assert doc.report["signer"]["organization_identifier"] == "NTRUA-43395033"
    assert "SHA" not in doc.report["digest_algorithm"].upper()  # GOST 34.311, not SHA-2


def test_real_dstu_signature_from_the_public_vectors(sqlite_runtime: Any, branch_id: int) -> None:
    """A real DSTU 4145 / GOST 34.311 detached signature (content "123", signer certificate
    valid in 2018) through the whole pipeline: passed at its time; one changed content byte
    fails on the digest whatever the time (cryptography is decided before trust)."""
    p7s = (VECTORS / "cms" / "message_detached.p7").read_bytes()
    root = (VECTORS / "certs" / "SELF_SIGNED1.cer").read_bytes()
    raw = mm.thunderbird(
        [
            mm.Att("123.pdf", b"123", "application/pdf"),
            mm.Att("123.pdf.p7s", p7s, "application/pkcs7-signature"),
        ]
    )
    in_2018 = make_pipeline(
        sqlite_runtime, [root], clock=lambda: datetime(2018, 10, 23, tzinfo=UTC)
    )
    assert process(raw, envelope(), in_2018).status == "archived"
    (doc,) = documents(sqlite_runtime.db)
    assert (doc.indication, doc.sub_indication) == ("TOTAL_PASSED", None)
    assert doc.report and doc.report["digest_algorithm"] == "GOST 34.311-95"
    assert "NOT_PDF" in doc.flags and doc.p7s_sha256 and doc.pdf_sha256

    today = make_pipeline(sqlite_runtime, [root])
    tampered = raw.replace(mm.b64_body(b"123").encode(), mm.b64_body(b"124").encode())
    assert process(tampered, envelope(), today).status == "archived"
    second = documents(sqlite_runtime.db)[-1]
    assert (second.indication, second.sub_indication) == ("TOTAL_FAILED", "HASH_FAILURE")


def test_tampered_twin_fails_and_unknown_root_is_indeterminate(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m = ecdsa_material
    trusted = make_pipeline(sqlite_runtime, [m.root_der])
    wrong_pdf = mm.diia_pair(m.other_pdf, m.p7s, "Підмінений")
    assert process(mm.thunderbird(wrong_pdf), envelope(), trusted).status == "archived"
    (doc,) = documents(sqlite_runtime.db)
    assert doc.indication == "TOTAL_FAILED" and doc.sub_indication == "HASH_FAILURE"

    for path in sqlite_runtime.config.trust_dir.iterdir():
        path.unlink()  # the same signature without its trust anchor
    untrusted = make_pipeline(sqlite_runtime, [])
    process(mm.apple_mail(mm.diia_pair(m.pdf, m.p7s)), envelope(), untrusted)
    last = documents(sqlite_runtime.db)[-1]
    assert last.indication == "INDETERMINATE"
    assert last.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"


def test_same_bytes_twice_are_stored_once(runtime: Any, ecdsa_material: Any) -> None:
    """On both engines: the unique raw_sha256 makes a second run a successful no-op."""
    m = ecdsa_material
    deps = make_pipeline(runtime, [m.root_der])
    raw = mm.ios_share(mm.diia_pair(m.pdf, m.p7s))
    first = process(raw, envelope(), deps)
    second = process(raw, envelope(), deps)
    assert first.status == "archived" and second.status == "duplicate"
    assert second.message_row == first.message_row
    assert counts(runtime.db) == (1, 1)


def test_unsigned_pdf_is_archived_and_clearly_marked(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    raw = mm.gmail([mm.Att("scan.pdf", ecdsa_material.pdf, "application/pdf")])
    assert process(raw, envelope(), deps).status == "archived"
    (doc,) = documents(sqlite_runtime.db)
    assert doc.indication == "UNSIGNED" and UNSIGNED in doc.flags
    assert doc.p7s_sha256 is None and doc.report is None


def test_attached_signature_gives_the_pdf_out_of_the_verified_cms(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    raw = mm.android_share([mm.Att("Паспорт.p7s", m.attached_p7s, "application/octet-stream")])
    process(raw, envelope(), deps)
    (doc,) = documents(sqlite_runtime.db)
    assert doc.indication == "TOTAL_PASSED" and PDF_FROM_SIGNATURE in doc.flags
    assert sqlite_runtime.blobs.get(doc.pdf_sha256) == m.pdf
    assert doc.filename == "Паспорт.pdf" and m.person in doc.text


def test_detached_signature_without_pdf_is_kept_and_flagged(
    sqlite_runtime: Any, ecdsa_material: Any
) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    raw = mm.gmail([mm.Att("a.pdf.p7s", m.p7s, "application/pkcs7-signature")])
    process(raw, envelope("someone-else@example.org"), deps)
    (doc,) = documents(sqlite_runtime.db)
    assert NO_PDF in doc.flags and "BRANCH_UNKNOWN" in doc.warnings  # from the QR registry
    assert doc.pdf_sha256 is None and doc.indication != "TOTAL_PASSED"


def test_several_documents_in_one_message(
    sqlite_runtime: Any, ecdsa_material: Any, branch_id: int
) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    atts = mm.diia_pair(m.pdf, m.p7s, "Паспорт") + mm.diia_pair(m.other_pdf, m.p7s, "Інший")
    outcome = process(mm.gmail(atts), envelope(), deps)
    assert len(outcome.documents) == 2
    assert [d.indication for d in documents(sqlite_runtime.db)] == ["TOTAL_PASSED", "TOTAL_FAILED"]


def test_unreachable_database_is_a_transient_error(
    sqlite_runtime: Any, ecdsa_material: Any, tmp_path: Any
) -> None:
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    down = Database(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")
    with pytest.raises(TransientError) as info:
        process(
            mm.gmail(mm.diia_pair(ecdsa_material.pdf, b"x")),
            envelope(),
            dataclasses.replace(deps, db=down),
        )
    assert info.value.reason == "DATABASE_UNAVAILABLE"
    assert counts(sqlite_runtime.db) == (0, 0)


def test_unparseable_message_is_quarantined_with_a_visible_reason(
    sqlite_runtime: Any, ecdsa_material: Any
) -> None:
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    outcome = process(b"Subject: hello\r\n\r\nno documents here\r\n", envelope(), deps)
    assert outcome.status == "quarantined" and outcome.reason == "NO_DOCUMENTS"
    with sqlite_runtime.db.session() as s:
        msg = s.get(Message, outcome.message_row)
        assert msg is not None and msg.status == "quarantined"
        assert (msg.reason or "").startswith("NO_DOCUMENTS")
