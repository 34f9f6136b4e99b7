"""Extra archived copies for the document-page tests: a multi-page copy with a very long file
name and subject, and copies whose "PDF" is no readable PDF (encrypted, not a PDF at all).

Rows go in through the ORM with blobs in the real store, beside the seeded archive
(tests/web/seed.py), reusing its verified report so the signature card has a real signer.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from pypdf import PdfReader, PdfWriter

from archive.models import Document, Message
from tests.support.pdf import diia_copy_lines, make_diia_copy_pdf, make_pdf

#: One "word" with no break opportunity: it must wrap anyway (overflow-wrap:anywhere).
LONG_WORD = "Паспорт_громадянина_України_" * 6
LONG_SUBJECT = "Копії документів з Дії для поселення " + "ДужеДовгаТемаЛистаБезПробілів" * 5


def encrypted_pdf() -> bytes:
    """A copy encrypted with a user password: nobody can read it without the password."""
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_diia_copy_pdf())).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def three_page_pdf() -> bytes:
    """The fixture citizen's copy followed by two more pages of text."""
    lines = diia_copy_lines()
    filler = [f"Додаток, рядок {n}" for n in range(45 * 2 + 45 - len(lines))]
    return make_pdf([*lines, *filler])


def add_copy(
    rt: Any,
    like: int,
    pdf: bytes,
    *,
    filename: str,
    subject: str = "Копії документів з Дії",
    fields: dict[str, Any] | None = None,
) -> int:
    """A copy like document `like` (its report, branch) but with these PDF bytes; its id."""
    sha = rt.blobs.put(pdf)
    with rt.db.session() as s:
        model = s.get(Document, like)
        assert model is not None
        msg = Message(
            envelope_from="guest@example.net",
            envelope_to=["hotel-dnipro@inbox.example.org"],
            subject=subject,
            received_at=dt.datetime(2026, 11, 20, 11, 0, tzinfo=dt.UTC),
            size=len(pdf),
            raw_sha256=None,
            status="done",
        )
        s.add(msg)
        s.flush()
        doc = Document(
            message_id=msg.id,
            branch_id=model.branch_id,
            received_at=msg.received_at,
            filename=filename,
            document_type=model.document_type,
            pdf_sha256=sha,
            p7s_sha256=model.p7s_sha256,
            text=model.text,
            fields=dict(fields if fields is not None else model.fields or {}),
            report=model.report,
            indication=model.indication,
            sub_indication=model.sub_indication,
            signer=model.signer,
            flags=[],
        )
        s.add(doc)
        s.flush()
        return int(doc.id)
