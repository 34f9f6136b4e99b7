"""The subjects page: identities before actions, ambiguous erasure refused, dry run first.

The archive holds copies made from the real-layout corpus (text as pypdf reads it, fields as
the recogniser finds them): Шевченко Тарас Григорович, a namesake Шевченко Тарас Іванович, and
an encrypted copy that came in the same e-mail as the first one's ID card. Erasure goes through
the production wiring (`diia_inbox.server._subject_eraser` on a real Whoosh index).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from archive.models import AuditEvent, Document, Message
from diia_inbox.server import _subject_eraser
from search.fields import recognise
from search.index import ArchiveSource, open_backend
from search.pdftext import read_pdf
from tests.corpus.documents import SHEVCHENKO, copies_of, person, render
from tests.web.conftest import WebFixture, signed_in

NAMESAKE = person("ШЕВЧЕНКО", "ТАРАС", "ІВАНОВИЧ", dt.date(1990, 6, 15), "301122334")


def _archive(app: WebFixture) -> dict[str, int]:
    now = dt.datetime.now(dt.UTC)
    ids: dict[str, int] = {}
    with app.rt.db.session() as s:
        for key, who, serial in (("taras", SHEVCHENKO, 0), ("namesake", NAMESAKE, 1)):
            copy = copies_of(who, serial)[0]
            text = read_pdf(
                render(copy, "inline"), max_pages=2, max_decompressed_bytes=10**7, max_chars=10**5
            ).text
            msg = Message(envelope_from="x@example.net", subject="Документи", received_at=now)
            doc = Document(
                message=msg,
                received_at=now,
                filename="id.pdf",
                document_type="id-card",
                text=text,
                fields=recognise(text),
            )
            s.add(doc)
            if key == "taras":
                locked = Document(
                    message=msg,
                    received_at=now,
                    filename="locked.pdf",
                    text="",
                    fields={},
                    flags=["encrypted", "no_text"],
                )
                s.add(locked)
            s.flush()
            ids[key] = doc.id
            if key == "taras":
                ids["locked"] = locked.id
    # Indexed as the worker does after the archive commit.
    app.deps.services.search.add(list(ArchiveSource(app.rt.db).docs()))
    return ids


@pytest.fixture
def wired(webapp: WebFixture) -> Iterator[WebFixture]:
    """The web app with the production erasure wiring on a real index."""
    rt = webapp.rt
    backend = open_backend(rt.config.search, rt.config.index_dir, rt.db)
    webapp.deps.services = dataclasses.replace(
        webapp.deps.services, search=backend, subject_erase=_subject_eraser(rt, backend)
    )
    try:
        yield webapp
    finally:
        backend.close()


async def test_ambiguous_refused_then_dry_run_then_erasure(wired: WebFixture) -> None:
    webapp = wired
    ids = _archive(webapp)
    s = await signed_in(webapp, "admin")
    async with s:
        csrf = await webapp.csrf(s)
        name = {"csrf_token": csrf, "name": "Тарас Шевченко"}
        async with s.post(webapp.url("/subjects"), data=name) as r:
            page = await r.text()
        assert r.status == 200
        assert "Шевченко Тарас Григорович" in page and "Шевченко Тарас Іванович" in page
        assert "Особа 2" in page and "Потребують ручного перегляду" in page
        assert f'href="/documents/{ids["locked"]}"' in page

        async with s.post(webapp.url("/subjects/erase"), data=name) as r:
            refused = await r.text()
        assert r.status == 409 and "Відмовлено" in refused
        async with s.post(webapp.url("/subjects/export"), data=name) as r:
            assert r.status == 409

        narrowed = {**name, "rnokpp": SHEVCHENKO.rnokpp}
        async with s.post(webapp.url("/subjects/erase"), data=narrowed) as r:
            preview = await r.text()
        assert r.status == 200
        shown = re.search(r'name="shown" value="([^"]*)"', preview)
        assert shown is not None
        assert shown.group(1).split() == [str(ids["taras"]), str(ids["locked"])]
        with webapp.rt.db.session() as db:
            assert db.get(Document, ids["taras"]) is not None  # a dry run erased nothing

        stale = {**narrowed, "confirm": "1", "shown": str(ids["taras"])}
        async with s.post(webapp.url("/subjects/erase"), data=stale) as r:
            assert "Архів змінився" in await r.text()
        with webapp.rt.db.session() as db:
            assert db.get(Document, ids["taras"]) is not None

        confirm = {**narrowed, "confirm": "1", "shown": shown.group(1)}
        async with s.post(webapp.url("/subjects/erase"), data=confirm) as r:
            done = await r.text()
        assert r.status == 200 and "Стерто копій: <strong>2</strong>" in done
    with webapp.rt.db.session() as db:
        assert db.get(Document, ids["taras"]) is None
        assert db.get(Document, ids["locked"]) is None
        assert db.get(Document, ids["namesake"]) is not None
        event = db.execute(
            select(AuditEvent).where(AuditEvent.action == "subject.erase")
        ).scalar_one()
        assert event.actor == "admin"
        assert event.detail["criteria"] == ["name", "rnokpp"]
        assert event.detail["documents"] == 2
        assert SHEVCHENKO.rnokpp not in str(event.detail) and "Шевченко" not in str(event.detail)
    hits = {h.id for h in webapp.deps.services.search.search("Шевченко Тарас").hits}
    assert hits == {ids["namesake"]}


async def test_only_an_admin_may_erase(wired: WebFixture) -> None:
    webapp = wired
    ids = _archive(webapp)
    s = await signed_in(webapp, "auditor")
    async with s:
        csrf = await webapp.csrf(s)
        data = {"csrf_token": csrf, "rnokpp": SHEVCHENKO.rnokpp, "confirm": "1"}
        async with s.post(webapp.url("/subjects/erase"), data=data) as r:
            assert r.status == 403
    with webapp.rt.db.session() as db:
        assert db.get(Document, ids["taras"]) is not None
