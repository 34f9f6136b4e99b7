"""`diia-inbox trust import|list|remove|update` and `reverify` on a real data folder.

The real national bundle is imported through the command; `trust update` talks to a real HTTP
server on 127.0.0.1 that serves the good bundle, then a truncated copy, an HTML error page and
nothing at all (a timeout): only the good one is ever installed. A copy archived before its
root was trusted turns from INDETERMINATE into TOTAL_PASSED by the import alone, with its earlier
report kept as history and the search index updated.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.db import Database
from archive.models import AuditEvent, Document, VerificationHistory
from diia_inbox.cli import main
from diia_inbox.config import load_config
from search.index import open_backend
from tests.ingest.mailmaker import diia_pair, gmail
from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades, tamper

VECTORS = Path(__file__).parent / "vectors"
BUNDLE = VECTORS / "trust" / "CACertificates-2023-05.p7b"


def _db(data: Path) -> Database:
    return Database(load_config(data_dir=str(data)).database_url)


def _audit(data: Path) -> list[tuple[str, str]]:
    db = _db(data)
    try:
        with db.session() as s:
            rows = s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
            return [(r.action, str(r.detail.get("reason", ""))) for r in rows]
    finally:
        db.dispose()


def test_import_list_verify_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    started = time.monotonic()
    assert main(["trust", "import", str(BUNDLE), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    with capsys.disabled():
        print(f"\ntrust import of the national bundle: {time.monotonic() - started:.2f} s")
    assert "CACertificates-2023-05.p7b: 484 certificates" in out
    assert "\n484 certificates\n" in out
    # Importing the same bytes again installs nothing new.
    assert main(["trust", "import", str(BUNDLE), "--data", str(data), "--no-reverify"]) == 0
    assert "already installed" in capsys.readouterr().out

    assert main(["trust", "list", "--json", "--data", str(data)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 484
    assert {r["source"] for r in rows} == {"db:1 CACertificates-2023-05.p7b"}
    assert all({"subject", "serial", "not_before", "not_after"} <= r.keys() for r in rows)

    # verify --data uses them: a chain through the bundle is found for a real certificate's
    # signature... the public CMS sample is self-signed, so it stays INDETERMINATE (exit 2),
    # but the trust material loads (not exit 64).
    assert main(["verify", str(VECTORS / "cms" / "message.p7"), "--data", str(data)]) == 2

    assert main(["trust", "remove", "1", "--data", str(data), "--no-reverify"]) == 0
    assert "removed 1" in capsys.readouterr().out
    assert main(["trust", "remove", "1", "--data", str(data)]) == 1
    actions = [a for a, _ in _audit(data)]
    assert actions.count("trust.import") == 1 and actions.count("trust.remove") == 1


def test_import_refuses_garbage_and_installs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    junk = tmp_path / "junk.p7b"
    junk.write_bytes(BUNDLE.read_bytes()[:5000])
    assert main(["trust", "import", str(BUNDLE), str(junk), "--data", str(data)]) == 1
    assert "TRUST_FILE_UNREADABLE" in capsys.readouterr().err
    assert main(["trust", "list", "--files", "--data", str(data)]) == 0
    assert capsys.readouterr().out == ""


# --- trust update against a local HTTP server ---------------------------------------------


class _Server:
    """Serves `body` at /CACertificates.p7b; `mode` picks good, truncated, html or hang."""

    def __init__(self) -> None:
        self.mode = "good"
        self.release = threading.Event()
        bundle = BUNDLE.read_bytes()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if server.mode == "hang":
                    server.release.wait(10)
                    return
                if server.mode == "html":
                    body = (
                        b"<!DOCTYPE html><html><head><title>503</title></head><body>"
                        + b"Service temporarily unavailable " * 40
                        + b"</body></html>"
                    )
                    ctype = "text/html"
                else:
                    body = bundle if server.mode == "good" else bundle[: len(bundle) // 2]
                    ctype = "application/octet-stream"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return None

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/CACertificates.p7b"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.close()


def _installed(data: Path) -> list[tuple[str, int]]:
    from archive import trust_files

    db = _db(data)
    try:
        with db.session() as s:
            return [(f.sha256, f.certificates) for f in trust_files.listing(s)]
    finally:
        db.dispose()


def test_update_installs_only_a_good_download(
    tmp_path: Path, server: _Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    config = tmp_path / "diia-inbox.toml"
    config.write_text(
        f'[verify]\ntrust_urls = ["{server.url}"]\ntrust_timeout = 1.0\n', encoding="utf-8"
    )
    args = ["trust", "update", "--data", str(data), "--config", str(config), "--no-reverify"]

    # Bad answers before anything was installed: nothing is installed.
    for mode in ("truncated", "html"):
        server.mode = mode
        assert main(args) == 1
        assert "FAILED" in capsys.readouterr().out
        assert _installed(data) == []

    server.mode = "good"
    assert main(args) == 0
    assert "installed, 484 certificates" in capsys.readouterr().out
    good = _installed(data)
    assert [n for _, n in good] == [484]

    # Every bad answer afterwards keeps the installed copy, byte for byte.
    for mode, reason in (
        ("truncated", "TRUST_FILE_UNREADABLE"),
        ("html", "TRUST_FILE_UNREADABLE"),
        ("hang", "TRUST_DOWNLOAD_TIMEOUT"),
    ):
        server.mode = mode
        assert main(args) == 1
        out = capsys.readouterr().out
        assert f"FAILED {reason}" in out, out
        assert _installed(data) == good

    server.mode = "good"
    assert main(args) == 0
    assert "unchanged" in capsys.readouterr().out
    audit = _audit(data)
    assert ("trust.update", "") in audit
    failures = [reason for action, reason in audit if action == "trust.update_failed"]
    assert failures == [
        "TRUST_FILE_UNREADABLE",
        "TRUST_FILE_UNREADABLE",
        "TRUST_FILE_UNREADABLE",
        "TRUST_FILE_UNREADABLE",
        "TRUST_DOWNLOAD_TIMEOUT",
    ]


# --- re-verification after a trust change -----------------------------------------------


def test_copy_received_before_its_root_was_trusted_passes_after_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    # Signed just before the mails' Date (20.11.2026 10:15 Kyiv), which is their receipt time.
    pki = make_pki("ecdsa", now=dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC))
    pdf = make_diia_copy_pdf()
    p7s = sign_cades(pki, pdf, detached=True)
    mails = tmp_path / "mail"
    mails.mkdir()
    (mails / "good.eml").write_bytes(gmail(diia_pair(pdf, p7s)))
    # Its tampered twin (one content byte changed) must stay failed whatever is trusted.
    (mails / "tampered.eml").write_bytes(gmail(diia_pair(tamper(pdf, len(pdf) // 2), p7s)))
    assert main(["ingest", str(mails), "--data", str(data)]) == 0
    capsys.readouterr()

    db = _db(data)
    try:
        with db.session() as s:
            before = {
                d.id: (d.indication, d.sub_indication)
                for d in s.execute(select(Document).order_by(Document.id)).scalars()
            }
        assert sorted(before.values()) == [
            ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"),
            ("TOTAL_FAILED", "HASH_FAILURE"),
        ]
        root = tmp_path / "root.cer"
        root.write_bytes(pki.anchor)
        assert main(["trust", "import", str(root), "--data", str(data)]) == 0
        out = capsys.readouterr().out
        assert "re-verified 1 documents" in out and "1 changed" in out

        with db.session() as s:
            after = {
                d.id: (d.indication, d.report)
                for d in s.execute(select(Document).order_by(Document.id)).scalars()
            }
            history = s.execute(select(VerificationHistory)).scalars().all()
            assert [(h.indication, h.reason) for h in history] == [
                ("INDETERMINATE", "trust.import")
            ]
            assert history[0].report is not None
        passed = [doc_id for doc_id, (ind, _) in after.items() if ind == "TOTAL_PASSED"]
        assert len(passed) == 1
        report = after[passed[0]][1]
        assert report is not None
        assert any(w["code"] == "REVERIFIED_AT_RECEIPT" for w in report["warnings"])
        assert sorted(ind for ind, _ in after.values()) == ["TOTAL_FAILED", "TOTAL_PASSED"]

        # The search index knows the new status.
        cfg = load_config(data_dir=str(data))
        backend = open_backend(cfg.search, cfg.index_dir, db)
        try:
            hits = backend.search("status:passed").hits
        finally:
            backend.close()
        assert [h.id for h in hits] == passed

        # On demand: --all re-checks every signed copy; nothing changes now.
        assert main(["reverify", "--all", "--data", str(data)]) == 0
        assert "re-verified 2 documents" in capsys.readouterr().out
        assert main(["reverify", "--since", "nonsense", "--data", str(data)]) == 64
    finally:
        db.dispose()
