"""Archive rows as the pipeline writes them, for the front desk's page tests."""

from __future__ import annotations

import datetime as dt

from archive.models import Document, Message
from tests.web.conftest import WebFixture


def add_mail(
    app: WebFixture,
    at: dt.datetime,
    copies: list[tuple[str, str, str]],
    *,
    subject: str = "Копії документів",
    text: str = "",
) -> list[int]:
    """One e-mail with its copies: (person name, document type, indication) each."""
    with app.rt.db.session() as s:
        msg = Message(
            envelope_from="diia@example.net",
            envelope_to=["desk@hotel.example"],
            subject=subject,
            received_at=at,
            status="done",
        )
        s.add(msg)
        s.flush()
        ids = []
        for name, doc_type, indication in copies:
            doc = Document(
                message_id=msg.id,
                received_at=at,
                filename=f"{doc_type}.pdf",
                document_type=doc_type,
                fields={"person_name": name} if name else {},
                indication=indication,
                text=text,
            )
            s.add(doc)
            s.flush()
            ids.append(doc.id)
        return ids
