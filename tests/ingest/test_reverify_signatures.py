"""Re-verification of a copy covered by several signatures judges them all again, as on receipt:
the best verdict is shown, every signature file stays listed, the row names the best one."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from archive.models import Document
from diia_inbox.wiring import context_factory
from ingest.pipeline import process
from ingest.reverify import reverify
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import make_pipeline
from tests.ingest.test_pipeline import envelope
from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades


def test_every_signature_of_a_copy_is_reverified(sqlite_runtime: Any, branch_id: int) -> None:
    # Signed just before the envelope's receipt time (20.11.2026 08:15 UTC).
    pki = make_pki("ecdsa", now=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC))
    pdf = make_diia_copy_pdf()
    detached = sign_cades(pki, pdf, detached=True)
    attached = sign_cades(pki, pdf, detached=False)
    raw = mm.gmail(
        [
            mm.Att("Паспорт.pdf", pdf, "application/pdf"),
            mm.Att("Паспорт.pdf.p7s", detached, "application/pkcs7-signature"),
            mm.Att("Паспорт.p7s", attached, "application/pkcs7-signature"),
        ]
    )
    rt = sqlite_runtime
    outcome = process(raw, envelope(), make_pipeline(rt, []))  # root not trusted yet
    (doc_id,) = outcome.documents
    with rt.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.indication == "INDETERMINATE"
        assert doc.report is not None and len(doc.report["signature_files"]) == 2

    (rt.config.trust_dir / "root.der").write_bytes(pki.anchor)
    make_context = context_factory(rt.config.verify, rt.config.trust_dir, db=rt.db)
    result = reverify(rt.db, rt.blobs, make_context, [doc_id])

    assert (result.checked, result.changed, result.errors) == (1, 1, 0)
    with rt.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.indication == "TOTAL_PASSED"
        files = doc.report["signature_files"] if doc.report else []
        assert sorted(f["name"] for f in files) == ["Паспорт.p7s", "Паспорт.pdf.p7s"]
        assert {f["indication"] for f in files} == {"TOTAL_PASSED"}
        shas = {hashlib.sha256(d).hexdigest() for d in (detached, attached)}
        assert {f["p7s_sha256"] for f in files} == shas and doc.p7s_sha256 in shas
