"""The document page's pictures over HTTP: page images and thumbnails (who may fetch them,
their headers, 404 past the last page), the "no preview" box for files that are no readable
PDF, the audit rule for images, the signature card in words, and page images leaving with
their copy (deletion, subject erasure, retention purge)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re

from sqlalchemy import select

from archive.models import AuditEvent, Document
from diia_inbox import privacy
from search.subjects import Subject
from tests.web.conftest import WebFixture, signed_in
from tests.web.doc_copies import LONG_WORD, add_copy, encrypted_pdf, three_page_pdf
from web.previews import PNG_MAGIC, png_size

ENGLISH_CODES = re.compile(
    r"TOTAL_PASSED|TOTAL_FAILED|INDETERMINATE|HASH_FAILURE|MADE_FOR_MISMATCH|message_digest"
    r"|signing_certificate|certificate_chain|\b\d+ B\b"
)


def outside_technical(page: str) -> str:
    """The page without its technical blocks (<details ... data-technical>...</details>)."""
    return re.sub(r"<details[^>]*data-technical[^>]*>.*?</details>", "", page, flags=re.S)


def audit_of(app: WebFixture, actor: str, doc_id: int) -> list[str]:
    with app.rt.db.session() as s:
        rows = s.execute(
            select(AuditEvent.action)
            .where(
                AuditEvent.actor == actor,
                AuditEvent.object_type == "document",
                AuditEvent.object_id == str(doc_id),
            )
            .order_by(AuditEvent.id)
        ).scalars()
        return list(rows)


async def test_page_images_thumbnail_and_their_headers(seeded: WebFixture) -> None:
    doc = await asyncio.to_thread(
        add_copy, seeded.rt, seeded.data.good_doc, three_page_pdf(), filename=f"{LONG_WORD}.pdf"
    )
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url(f"/documents/{doc}")) as r:
            page = await r.text()
        for n in (1, 2, 3):
            assert f'alt="Сторінка {n} з 3"' in page
        assert re.search(
            r'<img src="/documents/\d+/pages/1\.png" alt="[^"]+" width="1000" height="14\d\d">',
            page,
        )
        assert 'pages/2.png" alt="Сторінка 2 з 3" width="1000" height="14' in page
        assert "ще " not in outside_technical(page).split("doc-pages", 1)[1]  # all 3 shown
        for n in (1, 3):
            async with s.get(seeded.url(f"/documents/{doc}/pages/{n}.png")) as r:
                body = await r.read()
                assert r.status == 200 and r.content_type == "image/png"
                assert body.startswith(PNG_MAGIC) and png_size(body)[0] == 1000
                assert "no-store" in r.headers["Cache-Control"]
                assert r.headers["X-Content-Type-Options"] == "nosniff"
        for bad in ("4", "0", "x", "99999999999999999999"):
            async with s.get(seeded.url(f"/documents/{doc}/pages/{bad}.png")) as r:
                assert r.status == 404, bad
        async with s.get(seeded.url("/documents/999999/pages/1.png")) as r:
            assert r.status == 404
        async with s.get(seeded.url(f"/documents/{doc}/thumb.png")) as r:
            body = await r.read()
            assert r.content_type == "image/png" and png_size(body)[0] == 128
        async with s.get(seeded.url("/search"), params={"q": "Шевченко"}) as r:
            results = await r.text()
        assert re.search(
            rf'<img class="thumb" src="/documents/{seeded.data.good_doc}/thumb\.png" '
            # Decorative beside the named link: a screen reader need not say it on every hit.
            r'alt="" width="64" height="90" loading="lazy">',
            results,
        )
    auditor = await signed_in(seeded, "auditor")
    async with auditor:
        for path in (f"/documents/{doc}/pages/1.png", f"/documents/{doc}/thumb.png"):
            async with auditor.get(seeded.url(path), allow_redirects=False) as r:
                assert r.status == 403


async def test_more_pages_than_shown_are_a_link_away(seeded: WebFixture) -> None:
    many = "\n".join(f"Рядок {n}" for n in range(45 * 12)).splitlines()
    from tests.support.pdf import make_pdf

    doc = await asyncio.to_thread(
        add_copy, seeded.rt, seeded.data.good_doc, make_pdf(many), filename="long.pdf"
    )
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url(f"/documents/{doc}")) as r:
            page = await r.text()
        async with s.get(seeded.url(f"/documents/{doc}/pages/11.png")) as r:
            assert r.status == 404
        async with s.get(seeded.url(f"/documents/{doc}?lang=en")) as r:
            english = await r.text()
    assert page.count('<figure class="page">') == 10
    assert 'alt="Сторінка 10 з 12"' in page
    assert (
        f'<a href="/documents/{doc}/pdf?inline=1" target="_blank" rel="noopener">'
        "ще 2 сторінки у PDF</a>" in page
    )
    assert "2 more pages in the PDF" in english and 'alt="Page 1 of 12"' in english


async def test_no_readable_pdf_gets_the_placeholder_box(seeded: WebFixture) -> None:
    enc = await asyncio.to_thread(
        add_copy, seeded.rt, seeded.data.good_doc, encrypted_pdf(), filename="locked.pdf"
    )
    fake = await asyncio.to_thread(
        add_copy, seeded.rt, seeded.data.good_doc, b"MZ\x90\x00" * 100, filename="virus.pdf"
    )
    s = await signed_in(seeded, "staff")
    async with s:
        for doc, why in (
            (enc, "Файл пошкоджений або захищений паролем."),
            (fake, "Файл названо PDF, але це не PDF."),
        ):
            async with s.get(seeded.url(f"/documents/{doc}")) as r:
                page = await r.text()
            assert r.status == 200
            assert "Попередній перегляд недоступний: файл не є читабельним PDF" in page
            assert why in page
            assert "/pages/1.png" not in page and "<object" not in page
            assert f'href="/documents/{doc}/pdf">Завантажити файл</a>' in page  # attachment
            async with s.get(seeded.url(f"/documents/{doc}/pages/1.png")) as r:
                assert r.status == 404
            async with s.get(seeded.url(f"/documents/{doc}/thumb.png")) as r:
                assert r.content_type == "image/svg+xml"
                assert b"<svg" in await r.read()
        async with s.get(seeded.url(f"/documents/{fake}?lang=en")) as r:
            assert "Preview unavailable: the file is not a readable PDF" in await r.text()


async def test_images_are_audited_once_per_view_not_per_image(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    staff = await signed_in(seeded, "staff")
    async with staff:
        async with staff.get(seeded.url(f"/documents/{doc}")) as r:
            assert r.status == 200
        for _ in range(3):
            async with staff.get(seeded.url(f"/documents/{doc}/pages/1.png")) as r:
                assert r.status == 200
        async with staff.get(seeded.url(f"/documents/{doc}/thumb.png")) as r:
            assert r.status == 200
    assert audit_of(seeded, "staff", doc) == ["document.view"]
    # Fetched directly, without a view of the page: the first image writes its own entry.
    admin = await signed_in(seeded, "admin")
    async with admin:
        for _ in range(2):
            async with admin.get(seeded.url(f"/documents/{doc}/pages/1.png")) as r:
                assert r.status == 200
    assert audit_of(seeded, "admin", doc) == ["document.view_pages"]


async def test_signature_card_in_words_codes_only_in_technical_details(
    seeded: WebFixture,
) -> None:
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url(f"/documents/{seeded.data.good_doc}")) as r:
            good = await r.text()
        async with s.get(seeded.url(f"/documents/{seeded.data.xss_doc}")) as r:
            bad = await r.text()
        async with s.get(seeded.url(f"/documents/{seeded.data.good_doc}?lang=en")) as r:
            english = await r.text()
        async with s.get(seeded.url(f"/documents/{seeded.data.good_doc}/print?lang=uk")) as r:
            printed = await r.text()
    # Verdict in plain words, the signer's identity, each check in words.
    assert '<span class="badge ok">Підпис дійсний</span>' in good
    assert "<dt>Організація</dt><dd>Invented Enterprise</dd>" in good
    assert "<dt>Сертифікат видав</dt><dd>Test Provider CA</dd>" in good
    assert re.search(
        r"<dt>Сертифікат чинний</dt><dd>\d\d\.\d\d\.\d{4} – \d\d\.\d\d\.\d{4}</dd>", good
    )
    assert (
        "<strong>Незмінність документа</strong>: Документ не змінювався після підписання." in good
    )
    assert "<strong>Довірений надавач послуг</strong>: Сертифікат видав довірений надавач." in good
    assert '<details class="technical tech" data-technical>' in good
    assert "<summary>Технічні подробиці</summary>" in good
    assert re.search(r"окремим файлом, \d+,\d КБ", good)  # size in КБ, decimal comma
    # The altered copy: "invalid", the reason in words, the codes folded away.
    assert '<span class="badge bad">Підпис недійсний</span>' in bad
    assert "Документ змінено після підписання" in bad
    for page in (good, bad):
        visible = outside_technical(page)
        assert ENGLISH_CODES.search(visible) is None, ENGLISH_CODES.search(visible)
        assert "<code>" not in visible
    assert "<code>HASH_FAILURE</code>" in bad and "<code>message_digest</code>" in good
    assert "MADE_FOR_MISMATCH" in bad  # still there, for an administrator, under the details
    # English when switched, with a decimal point.
    assert "<summary>Technical details</summary>" in english
    assert "<strong>The document is unchanged</strong>" in english
    assert re.search(r"a separate file, \d+\.\d KB", english)
    # The print view: the recognised name and the verdict in words.
    assert "<strong>Шевченко Тарас Григорович</strong>" in printed
    assert '<span class="badge ok">Підпис дійсний</span>' in printed


async def test_page_images_go_with_their_copy(seeded: WebFixture) -> None:
    """Deleting a copy on the web, erasing a person and the retention purge each remove the
    copy's cached page images and thumbnail."""
    rt, cache = seeded.rt, seeded.deps.previews
    assert cache is not None
    copies = [
        await asyncio.to_thread(
            add_copy, rt, seeded.data.good_doc, three_page_pdf(), filename=f"{n}.pdf"
        )
        for n in range(3)
    ]
    doomed, erased, purged = copies
    admin = await signed_in(seeded, "admin")
    async with admin:
        for doc in copies:
            async with admin.get(seeded.url(f"/documents/{doc}")) as r:
                assert r.status == 200
            async with admin.get(seeded.url(f"/documents/{doc}/thumb.png")) as r:
                assert r.content_type == "image/png"
        assert all((cache.root / str(doc)).is_dir() for doc in copies)
        assert len(list((cache.root / str(doomed)).rglob("*.png"))) == 4  # 3 pages + thumb

        token = await seeded.csrf(admin)
        async with admin.post(
            seeded.url(f"/documents/{doomed}/delete"),
            data={"csrf_token": token},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
    assert not (cache.root / str(doomed)).exists()

    with rt.db.session() as s:
        rnokpp = s.get(Document, seeded.data.good_doc).fields["rnokpp"]  # type: ignore[union-attr]
        s.get(Document, erased).fields = {"rnokpp": rnokpp}  # type: ignore[union-attr]
        for doc in (seeded.data.good_doc, purged):
            s.get(Document, doc).fields = {"rnokpp": "0000000000"}  # type: ignore[union-attr]
    parts = dataclasses.replace(privacy.erasure_parts(rt), forget=lambda ids: None)
    report = await asyncio.to_thread(
        privacy.erase, parts, Subject(rnokpp=rnokpp), "admin", copies=[erased]
    )
    assert erased in report.erased
    assert not (cache.root / str(erased)).exists()
    assert (cache.root / str(purged)).is_dir()  # a bystander keeps its images

    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=365 * 50)
    result = await asyncio.to_thread(privacy.purge, rt, far, dry_run=False)
    assert result.result is not None and purged in result.result.document_ids
    assert not (cache.root / str(purged)).exists()


async def test_a_node_drops_images_of_copies_deleted_elsewhere(seeded: WebFixture) -> None:
    """With several nodes each keeps its own cache: a copy deleted through another node (here:
    its row removed directly, as that node's deletion would) loses this node's images at the
    next heartbeat, and copies that still exist keep theirs."""
    from diia_inbox.cluster import NodeHeartbeat
    from ingest.spool import Spool

    rt, cache = seeded.rt, seeded.deps.previews
    assert cache is not None
    elsewhere = await asyncio.to_thread(
        add_copy, rt, seeded.data.good_doc, three_page_pdf(), filename="elsewhere.pdf"
    )
    staff = await signed_in(seeded, "staff")
    async with staff:
        for doc in (elsewhere, seeded.data.good_doc):
            async with staff.get(seeded.url(f"/documents/{doc}")) as r:
                assert r.status == 200
    assert (cache.root / str(elsewhere)).is_dir()
    with rt.db.session() as s:
        s.delete(s.get(Document, elsewhere))

    heartbeat = NodeHeartbeat(rt, Spool(rt.config.spool_dir))
    await asyncio.to_thread(heartbeat.register)

    assert not (cache.root / str(elsewhere)).exists()
    assert (cache.root / str(seeded.data.good_doc)).is_dir()


async def test_a_signature_without_pdf_says_so(seeded: WebFixture) -> None:
    with seeded.rt.db.session() as s:
        doc = s.get(Document, seeded.data.xss_doc)
        assert doc is not None
        doc.pdf_sha256 = None
    staff = await signed_in(seeded, "staff")
    async with staff:
        async with staff.get(seeded.url(f"/documents/{seeded.data.xss_doc}")) as r:
            page = await r.text()
        async with staff.get(seeded.url(f"/documents/{seeded.data.xss_doc}/thumb.png")) as r:
            assert r.content_type == "image/svg+xml"
    assert "Попередній перегляд недоступний: до копії не додано PDF." in page
    assert "не є читабельним PDF" not in page and "Завантажити файл" not in page
