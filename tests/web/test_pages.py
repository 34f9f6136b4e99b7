"""The pages staff, admins and the auditor use, against a real archive: search, document view
with report and downloads (each audited), manual check, quarantine, registry, users, tokens,
trust store, audit log, retention report and data-subject requests."""

from __future__ import annotations

import dataclasses
import io
import re
import zipfile
from pathlib import Path

from aiohttp import ClientSession, FormData
from sqlalchemy import select

from archive.models import AuditEvent, Document, Message
from archive.users import get_user
from qrtools.matching import describe_warning
from tests.web.conftest import WebFixture, signed_in
from tests.web.seed import SURNAME


def audit_actions(app: WebFixture, actor: str) -> list[tuple[str, str, str]]:
    with app.rt.db.session() as s:
        rows = s.execute(
            select(AuditEvent).where(AuditEvent.actor == actor).order_by(AuditEvent.id)
        ).scalars()
        return [(e.action, e.object_type, e.object_id) for e in rows]


async def test_search_finds_the_fixture_surname(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url("/search"), params={"q": SURNAME}) as r:
            assert r.status == 200
            page = await r.text()
        assert f'href="/documents/{seeded.data.good_doc}"' in page
        assert "Шевченко Тарас Григорович" in page
        assert 'class="badge ok"' in page and "Підпис дійсний" in page
        assert "<mark>" in page
        # Filters narrow: a different document type finds nothing.
        async with s.get(
            seeded.url("/search"), params={"q": SURNAME, "type": "driver-license"}
        ) as r:
            assert f"/documents/{seeded.data.good_doc}" not in await r.text()
        # Filters alone are a query: the failed signature, and nothing else.
        async with s.get(seeded.url("/search"), params={"status": "failed"}) as r:
            page = await r.text()
        assert f"/documents/{seeded.data.xss_doc}" in page
        assert f"/documents/{seeded.data.good_doc}" not in page
        # A broken query says so instead of failing.
        async with s.get(seeded.url("/search"), params={"q": "nosuchfield:x"}) as r:
            assert r.status == 200
            assert "UNKNOWN_FIELD" in await r.text()


async def test_document_page_report_and_audited_downloads(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url(f"/documents/{doc}")) as r:
            page = await r.text()
        assert r.status == 200
        assert "Підпис дійсний" in page and "<details" in page
        # The first page as an image (no embedded PDF viewer), the original one click away.
        assert f'<img src="/documents/{doc}/pages/1.png" alt="Сторінка 1 з 1"' in page
        assert "<object" not in page and "<iframe" not in page and "<embed" not in page
        assert (
            f'href="/documents/{doc}/pdf?inline=1"' in page and "Відкрити оригінальний PDF" in page
        )
        assert "ТОВ «Готель Дніпро»" in page  # the recognised "made for" organisation
        # Signer identity in the report's own fields, with Ukrainian labels (issue 12).
        assert "<dt>Код ЄДРПОУ</dt><dd>43395033</dd>" in page
        assert "<dt>Організація</dt><dd>Invented Enterprise</dd>" in page
        assert "<dt>Сертифікат видав</dt><dd>Test Provider CA</dd>" in page
        async with s.get(seeded.url(f"/documents/{doc}/pdf?inline=1")) as r:
            assert r.status == 200 and r.content_type == "application/pdf"
            assert (await r.read()) == seeded.data.pdf
            assert r.headers["Content-Disposition"].startswith("inline")
        async with s.get(seeded.url(f"/documents/{doc}/pdf")) as r:
            assert r.headers["Content-Disposition"].startswith("attachment")
        async with s.get(seeded.url(f"/documents/{doc}/p7s")) as r:
            assert (await r.read()) == seeded.data.p7s
        async with s.get(seeded.url(f"/documents/{doc}/message")) as r:
            assert r.content_type == "message/rfc822"
            assert b"Subject:" in await r.read()
        async with s.get(seeded.url(f"/documents/{doc}/print")) as r:
            assert '<details class="technical tech" data-technical open>' in await r.text()
        async with s.get(seeded.url("/documents/999999")) as r:
            assert r.status == 404
    actions = [a for a in audit_actions(seeded, "staff") if a[1] == "document"]
    assert actions == [
        ("document.view", "document", str(doc)),
        ("document.view_pdf", "document", str(doc)),
        ("document.download_pdf", "document", str(doc)),
        ("document.download_p7s", "document", str(doc)),
        ("document.download_message", "document", str(doc)),
        ("document.print", "document", str(doc)),
    ]


async def test_english_switch(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "staff")
    async with s:
        async with s.get(seeded.url(f"/documents/{seeded.data.good_doc}?lang=en")) as r:
            assert "The signature is valid" in await r.text()
        async with s.get(seeded.url("/search?q=x")) as r:  # the choice sticks (cookie)
            page = await r.text()
        assert 'lang="en"' in page
        assert 'href="/search?q=x&amp;lang=uk"' in page  # switching back keeps the query


async def _check(app: WebFixture, role: str, *, save: bool, pdf: bool = True) -> str:
    s = await signed_in(app, role)
    async with s:
        form = FormData()
        form.add_field("csrf_token", await app.csrf(s))
        form.add_field("p7s", app.data.p7s, filename="copy.pdf.p7s")
        if pdf:
            form.add_field("pdf", app.data.pdf, filename="copy.pdf")
        if save:
            form.add_field("save", "1")
        async with s.post(app.url("/check"), data=form) as r:
            return f"{r.status}\n" + await r.text()


async def test_manual_check_stores_nothing_unless_admin_asks(seeded: WebFixture) -> None:
    def counts() -> tuple[int, int]:
        with seeded.rt.db.session() as s:
            return (
                len(s.execute(select(Document.id)).all()),
                len(s.execute(select(Message.id)).all()),
            )

    before = counts()
    page = await _check(seeded, "staff", save=True)  # staff may check, not save
    assert page.startswith("200") and "Підпис дійсний" in page and "Нічого не збережено" in page
    page = await _check(seeded, "admin", save=False)
    assert "Нічого не збережено" in page
    assert counts() == before
    page = await _check(seeded, "admin", save=True)
    saved = re.search(r'href="/documents/(\d+)"', page)
    assert saved, page
    assert counts() == (before[0] + 1, before[1] + 1)
    # Without its PDF a detached signature cannot be judged as passed.
    page = await _check(seeded, "staff", save=False, pdf=False)
    assert "Підпис дійсний" not in page
    assert ("signature.check", "upload", "") in audit_actions(seeded, "staff")
    assert ("document.create", "document", saved.group(1)) in audit_actions(seeded, "admin")


async def test_manual_check_refuses_garbage(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "staff")
    async with s:
        form = FormData()
        form.add_field("csrf_token", await seeded.csrf(s))
        form.add_field("p7s", b"not a signature", filename="x.p7s")
        async with s.post(seeded.url("/check"), data=form) as r:
            assert r.status == 400
            assert 'role="alert"' in await r.text()


async def test_quarantine_list_reprocess_and_delete(seeded: WebFixture) -> None:
    junk = seeded.data.quarantined
    s = await signed_in(seeded, "admin")
    async with s:
        async with s.get(seeded.url("/quarantine")) as r:
            page = await r.text()
        assert "NO_DOCUMENTS" in page and f"/quarantine/{junk}/reprocess" in page
        csrf = await seeded.csrf(s)
        async with s.post(
            seeded.url(f"/quarantine/{junk}/reprocess"),
            data={"csrf_token": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 303  # the message still has no documents
            assert "still_quarantined" in r.headers["Location"]
        async with s.post(
            seeded.url(f"/quarantine/{junk}/delete"),
            data={"csrf_token": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
    with seeded.rt.db.session() as db:
        assert db.get(Message, junk) is None
    assert ("message.reprocess", "message", str(junk)) in audit_actions(seeded, "admin")
    assert ("message.delete", "message", str(junk)) in audit_actions(seeded, "admin")


async def test_admin_deletes_a_document(seeded: WebFixture) -> None:
    doc = seeded.data.xss_doc
    s = await signed_in(seeded, "admin")
    async with s:
        csrf = await seeded.csrf(s)
        async with s.post(
            seeded.url(f"/documents/{doc}/delete"),
            data={"csrf_token": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        async with s.get(seeded.url(f"/documents/{doc}")) as r:
            assert r.status == 404
        async with s.get(seeded.url("/search"), params={"q": "Тестенко"}) as r:
            assert f"/documents/{doc}" not in await r.text()
    assert ("document.delete", "document", str(doc)) in audit_actions(seeded, "admin")


async def test_branch_service_and_qr_code_lifecycle(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "admin")
    async with s:
        csrf = await seeded.csrf(s)
        async with s.post(
            seeded.url("/branches"),
            data={"csrf_token": csrf, "name": "Дія", "address": "Київ", "email": "x@example.org"},
        ) as r:
            assert r.status == 400  # a generic name the portal would delete
            assert 'role="alert"' in await r.text()
        async with s.post(
            seeded.url("/branches"),
            data={
                "csrf_token": csrf,
                "name": "Коледж зв'язку, приймальна комісія",
                "address": "Київ, вул. Солом'янська, 7",
                "email": "vstup@college.example.org",
            },
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        async with s.get(seeded.url("/qr")) as r:
            page = await r.text()
        assert "Готель Дніпро, рецепція" in page
        assert 'class="badge warn">скоро спливає' in page  # 4 days left on 2026-11-20
        assert ">4 дні</span>" in page  # the count agrees with its noun (was "4 дн.")
        code = seeded.data.qr_code
        async with s.get(seeded.url(f"/qr/{code}/poster.pdf")) as r:
            assert r.status == 200 and (await r.read()).startswith(b"%PDF")
        async with s.get(seeded.url(f"/qr/{code}/poster.svg")) as r:
            assert r.status == 200 and "<svg" in await r.text()
        form = {
            "csrf_token": csrf,
            "service": str(seeded.data.service),
            "payload": "https://diia.example/qr/TEST-2",
            "issued_at": "2026-11-20",
        }
        async with s.post(seeded.url("/qr"), data=form) as r:
            assert r.status == 400  # the old code of this package is still valid
        async with s.post(
            seeded.url("/qr"), data={**form, "replace": "1"}, allow_redirects=False
        ) as r:
            assert r.status == 303
        async with s.post(
            seeded.url(f"/qr/{code}/retire"), data={"csrf_token": csrf}, allow_redirects=False
        ) as r:
            assert r.status == 303
        async with s.get(seeded.url("/qr")) as r:
            assert "виведений" in await r.text()
    actions = {a[0] for a in audit_actions(seeded, "admin")}
    assert {"branch.create", "qr.import", "qr.retire", "qr.poster"} <= actions


async def test_users_roles_disable_and_self_protection(seeded: WebFixture) -> None:
    admin = await signed_in(seeded, "admin")
    async with admin:
        csrf = await seeded.csrf(admin)
        async with admin.post(
            seeded.url("/users"),
            data={"csrf_token": csrf, "username": "olena", "role": "staff", "password": "short"},
        ) as r:
            assert r.status == 400
        async with admin.post(
            seeded.url("/users"),
            data={
                "csrf_token": csrf,
                "username": "olena",
                "role": "staff",
                "password": "another long password",
            },
            allow_redirects=False,
        ) as r:
            assert r.status == 303
        staff = await signed_in(seeded, "staff")
        async with staff:
            async with staff.get(seeded.url("/search"), allow_redirects=False) as r:
                assert r.status == 200
            with seeded.rt.db.session() as db:
                staff_id, admin_id = get_user(db, "staff").id, get_user(db, "admin").id
            async with admin.post(
                seeded.url(f"/users/{staff_id}"),
                data={"csrf_token": csrf, "role": "staff"},  # "active" unticked
                allow_redirects=False,
            ) as r:
                assert r.status == 303
            # The disabled user's session ended at once.
            async with staff.get(seeded.url("/search"), allow_redirects=False) as r:
                assert r.status == 302
        async with admin.post(
            seeded.url(f"/users/{admin_id}"),
            data={"csrf_token": csrf, "role": "staff", "active": "1"},
        ) as r:
            assert r.status == 400


async def test_own_api_token_create_use_revoke(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "auditor")
    async with s:
        csrf = await seeded.csrf(s)
        async with s.post(seeded.url("/account/token"), data={"csrf_token": csrf}) as r:
            page = await r.text()
        token = re.search(r'id="new-token" class="mono" readonly value="([^"]+)"', page)
        assert token
        async with s.get(
            seeded.url("/api/v1/audit"), headers={"Authorization": f"Bearer {token.group(1)}"}
        ) as r:
            assert r.status == 200
        async with s.post(
            seeded.url("/account/token/revoke"), data={"csrf_token": csrf}, allow_redirects=False
        ) as r:
            assert r.status == 303
    async with ClientSession() as anon:
        async with anon.get(
            seeded.url("/api/v1/audit"), headers={"Authorization": f"Bearer {token.group(1)}"}
        ) as r:
            assert r.status == 401


async def test_trust_store_import_list_and_refuse_garbage(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "admin")
    async with s:
        csrf = await seeded.csrf(s)
        async with s.get(seeded.url("/trust")) as r:
            page = await r.text()
        assert "Test Root CA" in page and "2027-06-01" in page
        form = FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("file", b"<html>not a list</html>", filename="../../evil.xml")
        async with s.post(seeded.url("/trust"), data=form) as r:
            assert r.status == 400
        form = FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("file", seeded.data.pki.ca.der, filename="../provider.cer")
        async with s.post(seeded.url("/trust"), data=form, allow_redirects=False) as r:
            assert r.status == 303
        async with s.post(
            seeded.url("/trust/..%2Fdiia-inbox.db/delete"),
            data={"csrf_token": csrf},
            allow_redirects=False,
        ) as r:
            assert r.status == 404
        async with s.get(seeded.url("/trust")) as r:
            page = await r.text()
        assert "Test Provider CA" in page  # the import is listed from the database
        # The real national bundle loads whole through the page too.
        bundle = Path(__file__).parents[1] / "vectors" / "trust" / "CACertificates-2023-05.p7b"
        form = FormData()
        form.add_field("csrf_token", csrf)
        form.add_field("file", bundle.read_bytes(), filename="CACertificates.p7b")
        async with s.post(seeded.url("/trust"), data=form, allow_redirects=False) as r:
            assert r.status == 303
        async with s.get(seeded.url("/trust")) as r:
            page = await r.text()
        assert "Сертифікатів: 484" in page
    # Uploads go into the database (shared by every node), never into a path from the name.
    trust_dir = seeded.rt.config.trust_dir
    names = sorted(p.name for p in trust_dir.iterdir())
    assert names == ["test-root.cer"]
    assert not (trust_dir.parent / "provider.cer").exists()
    assert (trust_dir.parent / "diia-inbox.db").exists()
    from archive import trust_files

    with seeded.rt.db.session() as db_session:
        files = trust_files.listing(db_session)
    assert [(f.source, f.certificates) for f in files] == [("web", 1), ("web", 484)]
    assert not files[0].name.startswith("..")


async def test_audit_log_filters_and_retention_report(seeded: WebFixture) -> None:
    staff = await signed_in(seeded, "staff")
    async with staff:
        async with staff.get(seeded.url(f"/documents/{seeded.data.good_doc}")) as r:
            assert r.status == 200
    s = await signed_in(seeded, "auditor")
    async with s:
        async with s.get(
            seeded.url("/audit"), params={"actor": "staff", "action": "document.view"}
        ) as r:
            page = await r.text()
        assert "document.view" in page and "Ланцюжок записів цілий" in page
        assert "login" not in re.findall(r"<code>([a-z._]+)</code>", page)
        async with s.get(
            seeded.url("/audit"), params={"from": "2000-01-01", "to": "2000-01-02"}
        ) as r:
            assert "<strong>0</strong>" in await r.text()
        async with s.get(seeded.url("/retention")) as r:
            page = await r.text()
        assert r.status == 200
        assert "Готель Дніпро, рецепція" in page
        assert "<td>30</td>" in page  # the service's own retention period


async def test_registry_warnings_and_qr_attention_are_visible(seeded: WebFixture) -> None:
    s = await signed_in(seeded, "admin")
    async with s:
        async with s.get(seeded.url(f"/documents/{seeded.data.xss_doc}")) as r:
            page = await r.text()
        assert describe_warning("MADE_FOR_MISMATCH", "uk") in page
        async with s.get(seeded.url("/")) as r:
            page = await r.text()
        # The seeded code has 4 days left on the seed's "today": one code needs attention; the
        # admin's home (the arrivals) counts it, and the seeded quarantined message.
        assert 'QR-коди, строк яких спливає чи сплив: <strong class="warn">1</strong>' in page
        assert 'Листів у карантині: <strong class="warn">1</strong>' in page


async def test_subject_request_find_and_export_are_audited_without_identifiers(
    seeded: WebFixture,
) -> None:
    s = await signed_in(seeded, "auditor")
    async with s:
        csrf = await seeded.csrf(s)
        async with s.post(
            seeded.url("/subjects"), data={"csrf_token": csrf, "rnokpp": "1234567899"}
        ) as r:
            page = await r.text()
        assert r.status == 200 and "Шевченко Тарас Григорович" in page
        async with s.post(seeded.url("/subjects"), data={"csrf_token": csrf}) as r:
            assert r.status == 400
        async with s.post(
            seeded.url("/subjects/export"),
            data={"csrf_token": csrf, "name": "Тарас Шевченко"},
        ) as r:
            assert r.content_type == "application/zip"
            archive = zipfile.ZipFile(io.BytesIO(await r.read()))
        doc = seeded.data.good_doc
        assert f"document-{doc}/document-{doc}.pdf" in archive.namelist()
    with seeded.rt.db.session() as db:
        events = db.execute(
            select(AuditEvent).where(AuditEvent.action.startswith("subject."))
        ).scalars()
        for e in events:
            dumped = f"{e.object_id} {e.detail}"
            assert "1234567899" not in dumped and "Шевченко" not in dumped
    assert ("document.export", "document", str(doc)) in audit_actions(seeded, "auditor")


async def test_standard_services_from_the_config(seeded: WebFixture) -> None:
    """`diia_inbox.wiring.web_services` builds the verifier context from the installation's
    trust/, as `serve` does."""
    from diia_inbox.wiring import web_services

    wired = web_services(seeded.rt.config, seeded.rt.db)
    assert wired.trust_dir == seeded.rt.config.trust_dir
    assert wired.qr_remind_days == 7
    seeded.deps.services = dataclasses.replace(
        seeded.deps.services, verify_context=wired.verify_context
    )
    page = await _check(seeded, "staff", save=False)
    assert page.startswith("200")
    assert "Invented Seal" in page
    assert "Test Root CA" in page and "довірений" in page  # the anchor came from trust/
