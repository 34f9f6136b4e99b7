"""No internal code on a staff page in Ukrainian: every page staff and admins use is rendered
over an archive with a passed, a failed and an indeterminate copy, and its visible text is
scanned for what a receptionist cannot read: ETSI indications and sub-indications
(TOTAL_PASSED, NO_SIGNING_CERTIFICATE_FOUND, ...), UPPER_SNAKE and snake_case tokens, "None",
"null", "undefined", raw ISO dates and times, "UTC".

Visible text: what is between tags, without <script>, <style>, <template>, attribute values, and
without the content of an element marked `data-technical` (the folded "Технічні подробиці",
`<details class="technical" data-technical>`, where codes belong for whoever asks for them) or
`data-quoted` (words quoted from the copy's own PDF text, such as a search snippet).
"""

from __future__ import annotations

import asyncio
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp import FormData

from archive.models import Document, Message
from tests.verify.test_path import NOW
from tests.web.conftest import WebFixture, signed_in
from verify.report import Indication, SubIndication
from verify.trust import TrustStore
from verify.validate import ValidationContext, validate

#: Content that may hold codes: the folded technical details, and text quoted from the copy
#: itself (a search snippet of the PDF's own words, which may well say "2026-11-20").
MARKED = {"data-technical", "data-quoted"}
#: Elements whose content is never shown as text.
SILENT = {"script", "style", "template", "title"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip

ETSI = sorted({*Indication, *SubIndication, "UNSIGNED"}, key=len, reverse=True)
CODES = re.compile(
    "|".join(
        [
            *(rf"\b{re.escape(code)}\b" for code in ETSI),
            r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b",  # UPPER_SNAKE
            r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b",  # snake_case
            # the audit log's stored action codes (document.view, user.password_reset, ...)
            r"\b(?:document|user|token|branch|service|qr|signature|message|spool|trust|subject"
            r"|mailbox|login)\.[a-z_]+\b",
            r"\bNone\b",
            r"\bnull\b",
            r"\bundefined\b",
            r"\b\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d)?",  # raw ISO dates and times
            r"\bUTC\b",
            r"\b\d+ B\b",  # sizes in bytes, English unit ("19053 B")
        ]
    )
)


class Visible(HTMLParser):
    """Collects the text a reader sees, skipping silent and `data-technical` subtrees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.parts: list[str] = []

    def _hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        hidden = tag in SILENT or any(name in MARKED for name, _ in attrs)
        self.stack.append((tag, hidden))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def codes_in(text: str) -> list[str]:
    return sorted({m.group(0) for m in CODES.finditer(text)})


def test_the_scanner_finds_codes_and_skips_technical_details() -> None:
    html = (
        "<p>Статус: TOTAL_PASSED, made_for, None, 2026-11-20T10:15 UTC</p>"
        "<script>var x_y = null;</script><a title='SIG_CRYPTO_FAILURE' href='/a_b'>ok</a>"
        "<details class='technical' data-technical><summary>Технічні подробиці</summary>"
        "<p>HASH_FAILURE <b>signing_certificate</b></p></details><p>INDETERMINATE</p>"
        "<p data-quoted>Копію створено 2026-11-20</p>"
    )
    assert codes_in(visible_text(html)) == [
        "2026-11-20T10:15",
        "INDETERMINATE",
        "None",
        "TOTAL_PASSED",
        "UTC",
        "made_for",
    ]


def _indeterminate(rt: Any, good_doc: int, pdf: bytes, p7s: bytes) -> int:
    """A copy whose chain leads to no trusted root: INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND."""
    report = validate(p7s, pdf, ValidationContext(trust=TrustStore.load([]), clock=lambda: NOW))
    assert report.indication == Indication.INDETERMINATE, report.render_text()
    with rt.db.session() as s:
        good = s.get(Document, good_doc)
        assert good is not None
        msg = s.get(Message, good.message_id)
        assert msg is not None
        doc = Document(
            message_id=msg.id,
            branch_id=good.branch_id,
            received_at=msg.received_at,
            filename="Посвідка без ланцюга.pdf",
            document_type="id-card",
            pdf_sha256=good.pdf_sha256,
            p7s_sha256=good.p7s_sha256,
            text=good.text,
            fields=dict(good.fields or {}),
            report=report.to_dict(),
            indication=str(report.indication),
            sub_indication=str(report.sub_indication) if report.sub_indication else None,
            signer=good.signer,
        )
        s.add(doc)
        s.flush()
        return doc.id


STAFF_PAGES = ("/", "/search?q=Шевченко", "/search?q=Тестенко", "/search", "/account", "/check")
ADMIN_PAGES = (
    "/",
    "/quarantine",
    "/branches",
    "/qr",
    "/users",
    "/trust",
    "/nodes",
    "/audit",
    "/retention",
    "/subjects",
    "/mailboxes",
    "/account",
)
DOC_PAGES = (
    "/documents/{good}",
    "/documents/{bad}",
    "/documents/{unknown}",
    "/documents/{good}/print",
)


@pytest.fixture
async def archive(seeded: WebFixture) -> dict[str, int]:
    d = seeded.data
    d.texts = {}
    unknown = await asyncio.to_thread(_indeterminate, seeded.rt, d.good_doc, d.pdf, d.p7s)
    return {"good": d.good_doc, "bad": d.xss_doc, "unknown": unknown}


async def _scan(app: WebFixture, role: str, paths: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    async with await signed_in(app, role) as s:
        for path in paths:
            async with s.get(app.url(path)) as r:
                assert r.status == 200, path
                text = visible_text(await r.text())
            assert len(text) > 200, path  # the page itself was scanned, not an empty shell
            if codes := codes_in(text):
                found[path] = codes
            app.data.texts[f"{role} {path}"] = text
    return found


async def test_staff_and_admin_pages_show_no_codes(
    seeded: WebFixture, archive: dict[str, int]
) -> None:
    # Some history for the audit log: views, downloads, a print.
    doc = archive["good"]
    async with await signed_in(seeded, "staff") as s:
        for kind in ("", "/pdf?inline=1", "/pdf", "/p7s", "/message", "/print"):
            async with s.get(seeded.url(f"/documents/{doc}{kind}")) as r:
                assert r.status == 200, kind
    found = {f"staff {p}": c for p, c in (await _scan(seeded, "staff", list(STAFF_PAGES))).items()}
    found |= {f"admin {p}": c for p, c in (await _scan(seeded, "admin", list(ADMIN_PAGES))).items()}
    # The subject request's result, and the arrivals narrowed to one verdict.
    async with await signed_in(seeded, "admin") as s:
        csrf = await seeded.csrf(s)
        async with s.post(
            seeded.url("/subjects"), data={"csrf_token": csrf, "name": "Шевченко"}
        ) as r:
            assert r.status == 200
            if codes := codes_in(visible_text(await r.text())):
                found["admin POST /subjects"] = codes
    # A file that is no signature at all: the check page says so in words.
    async with await signed_in(seeded, "staff") as s:
        form = FormData()
        form.add_field("csrf_token", await seeded.csrf(s))
        form.add_field("p7s", b"not a signature", filename="copy.p7s")
        async with s.post(seeded.url("/check"), data=form) as r:
            assert r.status == 400
            text = visible_text(await r.text())
        assert "не вдалося прочитати" in text
        if codes := codes_in(text):
            found["staff POST /check (not a signature)"] = codes
    for status in ("passed", "failed", "indeterminate"):
        path = f"/?status={status}"
        found |= {f"staff {p}": c for p, c in (await _scan(seeded, "staff", [path])).items()}
    assert found == {}
    # The history is there, in words: the scan was not of an empty log.
    audit = seeded.data.texts["admin /audit"]
    assert "Завантаження PDF" in audit and "Друк звіту" in audit and "Перегляд копії" in audit
    assert re.search(r"\d+(,\d)? (байт|КБ)", seeded.data.texts["admin /trust"])
    # "Any" agrees with its noun: тип (m), відділення (n), дія (f), хто.
    search = seeded.data.texts["staff /search"]
    assert "Тип документа Будь-який" in search and "Відділення Будь-яке" in search
    assert "Підпис Будь-який" in search
    assert "Хто Будь-хто" in audit and "Дія Будь-яка" in audit


async def test_document_pages_and_check_results_show_no_codes(
    seeded: WebFixture, archive: dict[str, int]
) -> None:
    paths = [p.format(**archive) for p in DOC_PAGES]
    found = await _scan(seeded, "staff", paths)
    async with await signed_in(seeded, "staff") as s:
        csrf = await seeded.csrf(s)
        for label, pdf in (("passed", seeded.data.pdf), ("failed", b"%PDF-1.4 other bytes")):
            form = FormData()
            form.add_field("csrf_token", csrf)
            form.add_field("p7s", seeded.data.p7s, filename="copy.p7s")
            form.add_field("pdf", pdf, filename="copy.pdf")
            async with s.post(seeded.url("/check"), data=form) as r:
                codes = codes_in(visible_text(await r.text()))
            if codes:
                found[f"check {label}"] = codes
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_every_audited_action_has_words() -> None:
    """Each action code the code records (`record(..., "qr.retire", ...)`) has a sentence."""
    import ast
    from pathlib import Path

    from web.i18n import CATALOGUE

    root = Path(__file__).resolve().parents[2]
    actions: set[str] = set()
    for package in ("web", "diia_inbox", "archive", "ingest", "qrtools", "search"):
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or len(node.args) < 3:
                    continue
                name = getattr(node.func, "attr", getattr(node.func, "id", ""))
                action = node.args[2]
                if name == "record" and isinstance(action, ast.Constant):
                    actions.add(str(action.value))
    assert len(actions) > 30, actions  # the scan found the calls
    assert sorted(a for a in actions if f"act.{a}" not in CATALOGUE) == []
