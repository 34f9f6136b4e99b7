"""The authorisation matrix: every route of the app, for anonymous, staff, auditor and admin.

The routes come from the app's own router, and the test fails when one has no row below, so a
new route cannot be added without deciding (here, independently of its decorator) who may use
it. Each role then gets exactly the status it should: pages send anonymous users to sign in
(302), the API answers 401, a role that may not gets 403, and one that may gets its success
status (200, or 303 after a form that changes something).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, FormData

from archive.models import Document
from archive.users import get_user
from ingest.envelope import Envelope
from tests.web.conftest import WebFixture, jar
from web.app import create_app

A, S, U = "admin", "staff", "auditor"
EVERYONE = (A, S, U)
PUBLIC = "public"
ORDER = ("anonymous", U, S, A)  # the admin last: their forms change things the others use


@dataclass(frozen=True)
class Spec:
    roles: tuple[str, ...] | str
    path: Callable[[dict[str, Any]], str]
    ok: int = 200
    form: Callable[[dict[str, Any]], Any] | None = None
    #: For PUBLIC routes: the status everyone gets.
    everyone: int | None = None
    last: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def fixed(path: str) -> Callable[[dict[str, Any]], str]:
    return lambda ids: path


def mailbox_form(name: str) -> dict[str, str]:
    return {
        "name": name, "host": "127.0.0.1", "port": "1", "tls": "none", "user": "reception",
        "password": "matrix mailbox secret", "folder": "INBOX", "after_import": "seen",
        "poll_seconds": "60", "idle": "1", "enabled": "1",
    }  # fmt: skip


def _mailbox(app: WebFixture, name: str) -> int:
    from archive import mailboxes
    from archive.keyring import load_keyring

    ring = load_keyring(app.deps.keys_dir, {}, create=True)
    assert ring is not None
    settings = mailboxes.MailboxSettings(
        name=name, host="127.0.0.1", port=1, tls="none", user="reception"
    )
    with app.rt.db.session() as s:
        return mailboxes.add(s, ring, settings, "matrix mailbox secret")


def check_form(ids: dict[str, Any]) -> FormData:
    form = FormData()
    form.add_field("p7s", ids["p7s"], filename="copy.p7s")
    form.add_field("pdf", ids["pdf"], filename="copy.pdf")
    return form


def trust_form(ids: dict[str, Any]) -> FormData:
    form = FormData()
    form.add_field("file", ids["ca"], filename="provider.cer")
    return form


#: (method, route name) -> who may call it and what a successful call looks like.
MATRIX: dict[tuple[str, str], Spec] = {
    ("GET", "healthz"): Spec(PUBLIC, fixed("/healthz"), everyone=200),
    ("GET", "livez"): Spec(PUBLIC, fixed("/livez"), everyone=200),
    ("GET", "readyz"): Spec(PUBLIC, fixed("/readyz"), everyone=200),
    ("GET", "metrics"): Spec(PUBLIC, fixed("/metrics"), everyone=200),
    ("GET", "login"): Spec(PUBLIC, fixed("/login"), everyone=200),
    # Without the sign-in page's own cookie the form is refused, for everyone alike.
    ("POST", "login.submit"): Spec(PUBLIC, fixed("/login"), everyone=403, form=lambda i: {}),
    ("POST", "logout"): Spec(EVERYONE, fixed("/logout"), ok=302, form=lambda i: {}, last=True),
    ("GET", "home"): Spec(EVERYONE, fixed("/")),
    ("GET", "static"): Spec(PUBLIC, fixed("/static/app.css"), everyone=200),
    ("GET", "favicon"): Spec(PUBLIC, fixed("/favicon.ico"), everyone=301),
    ("GET", "arrivals.list"): Spec((A, S), fixed("/arrivals/list?unprocessed=1")),
    ("GET", "arrivals.latest"): Spec((A, S), fixed("/arrivals/latest")),
    ("GET", "arrivals.events"): Spec((A, S), fixed("/arrivals/events?after=0")),
    ("POST", "document.processed"): Spec(
        (A, S), lambda i: f"/documents/{i['doc']}/processed", ok=303, form=lambda i: {"done": "1"}
    ),
    ("GET", "search"): Spec((A, S), fixed("/search?q=Шевченко")),
    ("GET", "document"): Spec((A, S), lambda i: f"/documents/{i['doc']}"),
    ("GET", "document.print"): Spec((A, S), lambda i: f"/documents/{i['doc']}/print"),
    ("GET", "document.pdf"): Spec((A, S), lambda i: f"/documents/{i['doc']}/pdf"),
    ("GET", "document.page"): Spec((A, S), lambda i: f"/documents/{i['doc']}/pages/1.png"),
    ("GET", "document.thumb"): Spec((A, S), lambda i: f"/documents/{i['doc']}/thumb.png"),
    ("GET", "document.p7s"): Spec((A, S), lambda i: f"/documents/{i['doc']}/p7s"),
    ("GET", "document.message"): Spec((A, S), lambda i: f"/documents/{i['doc']}/message"),
    ("POST", "document.delete"): Spec(
        (A,), lambda i: f"/documents/{i['doomed']}/delete", ok=303, form=lambda i: {}
    ),
    ("GET", "check"): Spec((A, S), fixed("/check")),
    ("POST", "check.submit"): Spec((A, S), fixed("/check"), form=check_form),
    ("GET", "quarantine"): Spec((A,), fixed("/quarantine")),
    ("POST", "quarantine.reprocess"): Spec(
        (A,), lambda i: f"/quarantine/{i['junk']}/reprocess", ok=303, form=lambda i: {}
    ),
    ("POST", "quarantine.delete"): Spec(
        (A,), lambda i: f"/quarantine/{i['junk']}/delete", ok=303, form=lambda i: {}, last=True
    ),
    ("POST", "spool.release"): Spec(
        (A,), lambda i: f"/quarantine/spool/{i['spool_item']}/release", ok=303, form=lambda i: {}
    ),
    ("GET", "branches"): Spec((A,), fixed("/branches")),
    ("POST", "branches.add"): Spec(
        (A,),
        fixed("/branches"),
        ok=303,
        form=lambda i: {
            "name": "Клініка «Здоров'я», реєстратура",
            "address": "Львів, вул. Зелена, 3",
            "email": "clinic@inbox.example.org",
        },
    ),
    ("POST", "branches.update"): Spec(
        (A,),
        lambda i: f"/branches/{i['branch']}",
        ok=303,
        form=lambda i: {
            "name": "Готель «Дніпро», рецепція",
            "address": "Дніпро, просп. Яворницького, 10",
            "email": "hotel-dnipro@inbox.example.org",
            "organization": "ТОВ «Готель Дніпро»",
        },
    ),
    ("POST", "services.add"): Spec(
        (A,),
        lambda i: f"/branches/{i['branch']}/services",
        ok=303,
        form=lambda i: {"name": "для оформлення договору оренди", "documents": "taxpayer-card"},
    ),
    ("GET", "qr"): Spec((A,), fixed("/qr")),
    ("POST", "qr.add"): Spec(
        (A,),
        fixed("/qr"),
        ok=303,
        form=lambda i: {
            "service": str(i["service"]),
            "payload": "https://diia.example/qr/MATRIX",
            "issued_at": "2026-11-20",
            "replace": "1",
        },
    ),
    ("POST", "qr.retire"): Spec((A,), lambda i: f"/qr/{i['qr']}/retire", ok=303, form=lambda i: {}),
    ("GET", "qr.poster"): Spec((A,), lambda i: f"/qr/{i['qr']}/poster.svg"),
    ("GET", "users"): Spec((A,), fixed("/users")),
    ("POST", "users.add"): Spec(
        (A,),
        fixed("/users"),
        ok=303,
        form=lambda i: {"username": "matrix", "role": "staff", "password": "a long password 2"},
    ),
    ("POST", "users.update"): Spec(
        (A,),
        lambda i: f"/users/{i['auditor_id']}",
        ok=303,
        form=lambda i: {"role": "auditor", "active": "1"},
    ),
    ("POST", "users.password"): Spec(
        (A,),
        lambda i: f"/users/{i['auditor_id']}/password",
        ok=303,
        form=lambda i: {"password": "a reset password 3"},
        last=True,
    ),
    ("POST", "users.token.revoke"): Spec(
        (A,), lambda i: f"/users/{i['auditor_id']}/token/revoke", ok=303, form=lambda i: {}
    ),
    ("GET", "account"): Spec(EVERYONE, fixed("/account")),
    # A wrong current password: refused with a reason (400) once the gate has let the role in.
    ("POST", "account.password"): Spec(
        EVERYONE,
        fixed("/account/password"),
        ok=400,
        form=lambda i: {"current": "wrong", "password": "x" * 12, "repeat": "x" * 12},
    ),
    ("POST", "token.create"): Spec(EVERYONE, fixed("/account/token"), form=lambda i: {}),
    ("POST", "token.revoke"): Spec(
        EVERYONE, fixed("/account/token/revoke"), ok=303, form=lambda i: {}
    ),
    ("GET", "trust"): Spec((A,), fixed("/trust")),
    ("GET", "nodes"): Spec((A,), fixed("/nodes")),
    ("GET", "mailboxes"): Spec((A,), fixed("/mailboxes")),
    ("POST", "mailboxes.add"): Spec(
        (A,), fixed("/mailboxes"), ok=303, form=lambda i: mailbox_form("matrix")
    ),
    ("GET", "mailbox"): Spec((A,), lambda i: f"/mailboxes/{i['mailbox']}"),
    ("POST", "mailbox.update"): Spec(
        (A,), lambda i: f"/mailboxes/{i['mailbox']}", ok=303, form=lambda i: mailbox_form("desk")
    ),
    # Port 1 on loopback refuses at once: the page reports the failure (200).
    ("POST", "mailbox.test"): Spec(
        (A,), lambda i: f"/mailboxes/{i['mailbox']}/test", form=lambda i: {}
    ),
    ("POST", "mailbox.history"): Spec(
        (A,),
        lambda i: f"/mailboxes/{i['mailbox']}/import",
        ok=303,
        form=lambda i: {"order": "oldest"},
    ),
    ("POST", "mailbox.delete"): Spec(
        (A,),
        lambda i: f"/mailboxes/{i['doomed_mailbox']}/delete",
        ok=303,
        form=lambda i: {},
        last=True,
    ),
    ("POST", "trust.add"): Spec((A,), fixed("/trust"), ok=303, form=trust_form),
    ("POST", "trust.remove"): Spec(
        (A,), fixed("/trust/files/1/delete"), ok=303, form=lambda i: {}, last=True
    ),
    ("POST", "trust.reverify"): Spec((A,), fixed("/trust/reverify"), ok=303, form=lambda i: {}),
    ("POST", "trust.delete"): Spec(
        (A,), fixed("/trust/test-root.cer/delete"), ok=303, form=lambda i: {}, last=True
    ),
    ("GET", "audit"): Spec((A, U), fixed("/audit?actor=staff")),
    ("GET", "retention"): Spec((A, U), fixed("/retention")),
    ("GET", "subjects"): Spec((A, U), fixed("/subjects")),
    ("POST", "subjects.find"): Spec(
        (A, U), fixed("/subjects"), form=lambda i: {"rnokpp": "1234567899"}
    ),
    ("POST", "subjects.export"): Spec(
        (A, U), fixed("/subjects/export"), form=lambda i: {"name": "Шевченко Тарас"}
    ),
    # A dry run (no confirmation): lists what would go, erases nothing.
    ("POST", "subjects.erase"): Spec(
        (A,), fixed("/subjects/erase"), form=lambda i: {"rnokpp": "1234567899"}
    ),
    ("GET", "api.openapi"): Spec(EVERYONE, fixed("/api/v1/openapi.json")),
    ("GET", "api.me"): Spec(EVERYONE, fixed("/api/v1/me")),
    ("GET", "api.search"): Spec((A, S), fixed("/api/v1/search?q=Шевченко")),
    ("GET", "api.document"): Spec((A, S), lambda i: f"/api/v1/documents/{i['doc']}"),
    ("DELETE", "api.document.delete"): Spec((A,), lambda i: f"/api/v1/documents/{i['doomed2']}"),
    ("GET", "api.document.download"): Spec((A, S), lambda i: f"/api/v1/documents/{i['doc']}/p7s"),
    ("POST", "api.verify"): Spec((A, S), fixed("/api/v1/verify"), form=check_form),
    ("GET", "api.branches"): Spec((A, S), fixed("/api/v1/branches")),
    ("GET", "api.documents"): Spec((A, S), fixed("/api/v1/documents?status=passed&limit=5")),
    ("GET", "api.qr"): Spec((A,), fixed("/api/v1/qr")),
    ("GET", "api.quarantine"): Spec((A,), fixed("/api/v1/quarantine")),
    ("GET", "api.audit"): Spec((A, U), fixed("/api/v1/audit")),
}


def app_routes(app_fixture: WebFixture) -> set[tuple[str, str]]:
    app = create_app(app_fixture.deps)
    out = set()
    for route in app.router.routes():
        if route.method == "HEAD":
            continue  # aiohttp's automatic twin of a GET, same handler
        assert route.name, f"unnamed route {route.method} {route.resource.canonical}"
        out.add((route.method, route.name))
    return out


def test_every_route_has_a_row(webapp: WebFixture) -> None:
    routes = app_routes(webapp)
    assert routes - MATRIX.keys() == set(), "routes without an expected access rule"
    assert MATRIX.keys() - routes == set(), "rows for routes that no longer exist"


def _copy_document(app: WebFixture, doc_id: int) -> int:
    with app.rt.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None
        twin = Document(
            **{
                c.name: getattr(doc, c.name)
                for c in Document.__table__.columns
                if c.name not in ("id", "message_id")
            }
        )
        s.add(twin)
        s.flush()
        return twin.id


def _spool_item(app: WebFixture) -> str:
    spool = app.deps.services.spool
    assert spool is not None
    spool.put(b"Subject: x\r\n\r\nbody\r\n", Envelope.now("a@example.net", ["b@example.org"]))
    item = spool.claim()
    assert item is not None
    spool.quarantine(item, "TEST_REASON")
    return item.id


async def _call(
    app: WebFixture, session: ClientSession, method: str, spec: Spec, ids: dict[str, Any]
) -> int:
    headers = {}
    data = spec.form(ids) if spec.form else None
    csrf = ids.get("csrf")
    if csrf and method != "GET":
        headers["X-CSRF-Token"] = csrf
    async with session.request(
        method, app.url(spec.path(ids)), data=data, headers=headers, allow_redirects=False
    ) as r:
        if r.content_type != "text/event-stream":  # a live stream never ends: status only
            await r.read()
        return r.status


def expected(spec: Spec, role: str, path: str) -> int:
    if spec.roles == PUBLIC:
        assert spec.everyone is not None
        return spec.everyone
    if role == "anonymous":
        return 401 if path.startswith("/api/") else 302
    return spec.ok if role in spec.roles else 403


async def test_authorisation_matrix(seeded: WebFixture) -> None:
    data = seeded.data
    with seeded.rt.db.session() as s:
        auditor_id = get_user(s, "auditor").id
    ids: dict[str, Any] = {
        "doc": data.good_doc,
        "doomed": _copy_document(seeded, data.good_doc),
        "doomed2": _copy_document(seeded, data.good_doc),
        "junk": data.quarantined,
        "branch": data.branch,
        "service": data.service,
        "qr": data.qr_code,
        "auditor_id": auditor_id,
        "spool_item": _spool_item(seeded),
        "mailbox": _mailbox(seeded, "desk"),
        "doomed_mailbox": _mailbox(seeded, "doomed"),
        "p7s": data.p7s,
        "pdf": data.pdf,
        "ca": data.pki.ca.der,
    }
    rows = sorted(MATRIX.items(), key=lambda kv: (kv[1].last, kv[0][1] == "logout"))
    outcomes: list[str] = []
    for role in ORDER:
        async with ClientSession(cookie_jar=jar()) as session:
            call_ids = dict(ids)
            if role != "anonymous":
                assert await seeded.login(session, role) == 302
                call_ids["csrf"] = await seeded.csrf(session)
            for (method, name), spec in rows:
                want = expected(spec, role, spec.path(ids))
                got = await _call(seeded, session, method, spec, call_ids)
                if got != want:
                    outcomes.append(f"{role:9} {method} {name} {spec.path(ids)}: {got} != {want}")
    assert outcomes == []


async def test_api_matrix_with_bearer_tokens(seeded: WebFixture) -> None:
    """Scripts: the same rules with `Authorization: Bearer`, and no CSRF token needed."""
    ids = {"doc": seeded.data.good_doc, "p7s": seeded.data.p7s, "pdf": seeded.data.pdf}
    failures = []
    for (method, name), spec in MATRIX.items():
        if not name.startswith("api.") or name == "api.document.delete":
            continue
        for role in (None, *EVERYONE):
            headers = {"Authorization": f"Bearer {seeded.tokens[role]}"} if role else {}
            data = spec.form(ids) if spec.form else None
            async with (
                ClientSession() as s,
                s.request(method, seeded.url(spec.path(ids)), headers=headers, data=data) as r,
            ):
                want = expected(spec, role or "anonymous", spec.path(ids))
                if r.status != want:
                    failures.append(f"{role} {name}: {r.status} != {want}")
                assert r.content_type == "application/json" or r.status == 200
    assert failures == []


def test_matrix_dates_are_fixed() -> None:
    """The rows that depend on the registry's day use the seed's `today`, not the clock."""
    from tests.web.seed import TODAY

    assert TODAY == dt.date(2026, 11, 20)
