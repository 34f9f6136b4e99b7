"""The JSON API: its OpenAPI document, errors as JSON, CSRF for browser sessions."""

from __future__ import annotations

import json

from aiohttp import ClientSession, FormData

from tests.web.conftest import WebFixture, signed_in
from web.app import create_app


async def test_openapi_lists_every_api_route(seeded: WebFixture) -> None:
    async with ClientSession(headers={"Authorization": f"Bearer {seeded.tokens['auditor']}"}) as s:
        async with s.get(seeded.url("/api/v1/openapi.json")) as r:
            assert r.status == 200 and r.content_type == "application/json"
            doc = json.loads(await r.text())
    assert doc["openapi"].startswith("3.")
    app = create_app(seeded.deps)
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    served = {
        (route.method, route.resource.canonical.replace("{kind}", "{kind}"))
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method != "HEAD"
    }
    assert served == documented
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["description"].startswith("Roles:")
            assert {"200", "401", "403"} <= op["responses"].keys()


async def test_document_metadata_report_and_download(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    async with ClientSession(headers={"Authorization": f"Bearer {seeded.tokens['staff']}"}) as s:
        async with s.get(seeded.url(f"/api/v1/documents/{doc}")) as r:
            data = await r.json()
        assert data["indication"] == "TOTAL_PASSED"
        assert data["report"]["signer"]["organization_identifier"] == "NTRUA-43395033"
        assert data["fields"]["person_name"] == "Шевченко Тарас Григорович"
        async with s.get(seeded.url(f"/api/v1/documents/{doc}/pdf")) as r:
            assert await r.read() == seeded.data.pdf
        async with s.get(seeded.url("/api/v1/documents/424242")) as r:
            assert r.status == 404 and (await r.json())["error"] == "NOT_FOUND"
        async with s.get(seeded.url("/api/v1/search"), params={"q": "status:bogus"}) as r:
            assert r.status == 400 and (await r.json())["error"] == "UNKNOWN_STATUS"
        async with s.get(seeded.url("/api/v1/search"), params={"q": "1234567899"}) as r:
            found = await r.json()
        assert doc in [h["id"] for h in found["hits"]]  # by tax number
        form = FormData()
        form.add_field("p7s", seeded.data.p7s, filename="x.p7s")
        form.add_field("pdf", b"%PDF-1.4 other bytes", filename="x.pdf")
        async with s.post(seeded.url("/api/v1/verify"), data=form) as r:
            out = await r.json()
        assert out["report"]["sub_indication"] == "HASH_FAILURE"
        assert out["saved_document"] is None


async def test_csrf_refuses_state_changes_without_the_token(seeded: WebFixture) -> None:
    doc = seeded.data.good_doc
    s = await signed_in(seeded, "admin")
    async with s:
        csrf = await seeded.csrf(s)
        refused = [
            ("POST", f"/documents/{doc}/delete", {}),
            ("POST", "/branches", {"name": "x", "address": "y", "email": "z@example.org"}),
            ("POST", "/users", {"username": "eve", "role": "admin", "password": "x" * 12}),
            ("POST", "/account/token", {}),
            ("POST", "/check", {}),
            ("DELETE", f"/api/v1/documents/{doc}", None),
            ("POST", f"/documents/{doc}/delete", {"csrf_token": "wrong" + csrf}),
        ]
        for method, path, data in refused:
            async with s.request(method, seeded.url(path), data=data, allow_redirects=False) as r:
                assert r.status == 403, (method, path)
        # A browser cannot add a header cross-site: the API accepts it from the UI's own JS.
        async with s.get(
            seeded.url(f"/api/v1/documents/{doc}"), headers={"X-CSRF-Token": csrf}
        ) as r:
            assert r.status == 200
        async with s.get(seeded.url(f"/documents/{doc}")) as r:
            assert r.status == 200  # nothing was deleted


async def test_a_copy_on_legal_hold_is_not_deleted(seeded: WebFixture) -> None:
    from archive.models import Document

    doc = seeded.data.good_doc
    with seeded.rt.db.session() as db:
        row = db.get(Document, doc)
        assert row is not None
        row.legal_hold = True
    async with ClientSession(headers={"Authorization": f"Bearer {seeded.tokens['admin']}"}) as s:
        async with s.delete(seeded.url(f"/api/v1/documents/{doc}")) as r:
            assert r.status == 409 and (await r.json())["error"] == "LEGAL_HOLD"
        async with s.get(seeded.url(f"/api/v1/documents/{doc}")) as r:
            assert (await r.json())["legal_hold"] is True
