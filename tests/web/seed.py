"""A small archive for the web tests, made of real parts.

Real PDFs (`tests.support.pdf`), real CMS signatures from an ECDSA test PKI (the helpers of
`tests/verify/test_path.py`), reports from the real verifier, a real raw e-mail, a real Whoosh
index, a real QR registry, and one hostile document whose file name, subject and recognised name
are XSS payloads. Only invented people appear (the project's fixture citizen is a historical
figure with invented numbers).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from archive.branches import add_branch
from archive.models import Document, Message
from diia_inbox.trust_jobs import TrustJobs
from diia_inbox.wiring import build_deps, pipeline_use_cases
from ingest.spool import Spool
from qrtools import registry
from search.fields import recognise
from search.index import ArchiveSource, open_backend
from tests.support.pdf import DiiaCopy, diia_copy_lines, make_diia_copy_pdf
from tests.verify.test_path import NOW, Pki, make_pki, sign_cms, signer_info
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate
from web.app import WebDeps
from web.services import WebServices

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
SURNAME = "Шевченко"
BRANCH_EMAIL = "hotel-dnipro@inbox.example.org"
TODAY = dt.date(2026, 11, 20)


@dataclass
class Seeded:
    pki: Pki
    good_doc: int
    xss_doc: int
    quarantined: int
    branch: int
    service: int
    qr_code: int
    pdf: bytes
    p7s: bytes
    trust_root: Path


def _eml(subject: str, sender: str, attachments: list[tuple[str, bytes, str]]) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = BRANCH_EMAIL
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash(subject)) % 10**9}@example.net>"
    msg.set_content("Копії документів з Дії")
    for name, data, ctype in attachments:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return msg.as_bytes()


def verify_context(trust_dir: Path) -> ValidationContext:
    """What the server builds from its trust folder; the clock is the test PKI's "now"."""
    return ValidationContext(trust=TrustStore.load([trust_dir]), clock=lambda: NOW)


def _document(
    s: Any,
    msg: Message,
    branch_id: int,
    filename: str,
    pdf_sha: str,
    p7s_sha: str,
    text: str,
    report: Any,
    fields: dict[str, Any],
) -> Document:
    doc = Document(
        message_id=msg.id,
        branch_id=branch_id,
        received_at=msg.received_at,
        filename=filename,
        document_type=fields.pop("document_type", "id-card"),
        pdf_sha256=pdf_sha,
        p7s_sha256=p7s_sha,
        text=text,
        fields=fields,
        report=report.to_dict(),
        indication=str(report.indication),
        sub_indication=str(report.sub_indication) if report.sub_indication else None,
        signer=report.signer.common_name if report.signer else None,
    )
    s.add(doc)
    s.flush()
    return doc


def seed(rt: Any, deps: WebDeps) -> Seeded:
    """Fill the archive and wire the services the pages use (`WebDeps.services`)."""
    config = rt.config
    pki = make_pki()
    root = config.trust_dir / "test-root.cer"
    root.write_bytes(pki.root.der)
    # The provider CA is an intermediate the signature itself carries.
    ctx = verify_context(config.trust_dir)

    pdf = make_diia_copy_pdf()
    p7s = sign_cms(pdf, [signer_info(pdf, pki.signer)], [pki.signer, pki.ca], detached=True)
    good_report = validate(p7s, pdf, ctx)
    assert good_report.passed, good_report.render_text()

    hostile_copy = DiiaCopy(full_name="Тестенко Петро Іванович")
    hostile_pdf = make_diia_copy_pdf(hostile_copy)
    hostile_p7s = sign_cms(
        hostile_pdf, [signer_info(hostile_pdf, pki.signer)], [pki.signer, pki.ca], detached=True
    )
    # Verified against other bytes: a HASH_FAILURE report, as for a copy altered after signing.
    bad_report = validate(hostile_p7s, pdf, ctx)

    title = "Паспорт громадянина України"
    raw = _eml(
        "Копії документів з Дії",
        "taras.test@example.net",
        [
            (f"{title}.pdf", pdf, "application/pdf"),
            (f"{title}.pdf.p7s", p7s, "application/pkcs7-signature"),
        ],
    )
    hostile_raw = _eml(
        XSS,
        "mallory@example.net",
        [
            (f"{XSS}.pdf", hostile_pdf, "application/pdf"),
            (f"{XSS}.p7s", hostile_p7s, "application/pkcs7-signature"),
        ],
    )
    junk_raw = _eml(XSS, "nobody@example.net", [])
    blobs = rt.blobs
    shas = {
        k: blobs.put(v)
        for k, v in {
            "raw": raw,
            "hostile_raw": hostile_raw,
            "junk": junk_raw,
            "pdf": pdf,
            "p7s": p7s,
            "hpdf": hostile_pdf,
            "hp7s": hostile_p7s,
        }.items()
    }

    received = dt.datetime(2026, 11, 20, 10, 15, tzinfo=dt.UTC)
    with rt.db.session() as s:
        branch = add_branch(
            s,
            "Готель Дніпро, рецепція",
            "Київ, вул. Хрещатик, 1",
            BRANCH_EMAIL,
            "ТОВ «Готель Дніпро»",
        )
        service = registry.add_service(s, branch.id, "для поселення у готель", ["id-card"], 30)
        code = registry.import_code(
            s, branch.id, service.id, "https://diia.example/qr/TEST-1", dt.date(2025, 11, 24)
        )
        msg = Message(
            envelope_from="taras.test@example.net",
            envelope_to=[BRANCH_EMAIL],
            subject="Копії документів з Дії",
            received_at=received,
            size=len(raw),
            raw_sha256=shas["raw"],
            status="done",
        )
        hostile_msg = Message(
            envelope_from="mallory@example.net",
            envelope_to=[BRANCH_EMAIL],
            subject=XSS,
            received_at=received + dt.timedelta(minutes=5),
            size=len(hostile_raw),
            raw_sha256=shas["hostile_raw"],
            status="done",
        )
        junk = Message(
            envelope_from=f"{XSS}@example.net",
            envelope_to=[BRANCH_EMAIL],
            subject=XSS,
            received_at=received + dt.timedelta(minutes=9),
            size=len(junk_raw),
            raw_sha256=shas["junk"],
            status="quarantined",
            reason="NO_DOCUMENTS",
        )
        s.add_all([msg, hostile_msg, junk])
        s.flush()
        text = "\n".join(diia_copy_lines())
        fields = recognise(text, f"{title}.pdf")
        good = _document(
            s,
            msg,
            branch.id,
            f"{title}.pdf",
            shas["pdf"],
            shas["p7s"],
            text,
            good_report,
            dict(fields),
        )
        hostile_text = "\n".join(diia_copy_lines(hostile_copy)) + "\n" + XSS
        hostile_fields = {
            **recognise(hostile_text),
            "person_name": f"Тестенко {XSS}",
            "made_for": XSS,
        }
        hostile = _document(
            s,
            hostile_msg,
            branch.id,
            f"{XSS}.pdf",
            shas["hpdf"],
            shas["hp7s"],
            hostile_text,
            bad_report,
            hostile_fields,
        )
        hostile.warnings = ["MADE_FOR_MISMATCH"]
        ids = (good.id, hostile.id, junk.id, branch.id, service.id, code.id)

    backend = open_backend(config.search, config.index_dir, rt.db)
    backend.add(list(ArchiveSource(rt.db).docs()))
    pipeline = build_deps(
        rt.db,
        rt.blobs,
        verify_settings=config.verify,
        search_settings=config.search,
        ingest_settings=config.ingest,
        trust_dir=config.trust_dir,
        index_dir=config.index_dir,
    )
    pipeline = dataclasses.replace(pipeline, index=lambda docs: backend.add(list(docs)))
    file_checked, reprocess = pipeline_use_cases(pipeline)
    deps.services = WebServices(
        search=backend,
        verify_context=lambda: verify_context(config.trust_dir),
        file_checked=file_checked,
        reprocess=reprocess,
        spool=Spool(config.spool_dir),
        today=lambda: TODAY,
        trust_dir=config.trust_dir,
        retention_days=config.retention.default_days,
        # The real component; its loop is not started, the button's request is recorded.
        reverify=TrustJobs(rt, lambda: verify_context(config.trust_dir), index=pipeline.index),
    )
    good_id, xss_id, junk_id, branch_id, service_id, code_id = ids
    return Seeded(pki, good_id, xss_id, junk_id, branch_id, service_id, code_id, pdf, p7s, root)
