"""`diia-inbox ingest` over a Maildir, a folder of .eml files and single files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from archive.branches import add_branch
from archive.models import Document, Message
from diia_inbox.cli import main
from diia_inbox.config import load_config
from diia_inbox.runtime import opened
from ingest.importer import envelope_for, message_files
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS


def maildir(root: Path, messages: list[bytes]) -> Path:
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for n, raw in enumerate(messages):
        folder = "new" if n % 2 else "cur"
        suffix = "" if folder == "new" else ":2,S"
        (root / folder / f"17000000{n:02d}.M1P1.host{suffix}").write_bytes(
            raw.replace(b"\r\n", b"\n")
        )
    return root


@pytest.fixture
def data_dir(tmp_path: Path, ecdsa_material: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("DIIA_INBOX_")]:
        monkeypatch.delenv(name)  # the CLI reads the environment; these tests own theirs
    data = tmp_path / "data"
    with opened(load_config(data_dir=data, env={})) as rt:
        (rt.config.trust_dir / "root.der").write_bytes(ecdsa_material.root_der)
        with rt.db.session() as s:
            add_branch(s, "Готель «Дніпро»", "Дніпро", BRANCH_ADDRESS)
    return data


def table_counts(data: Path) -> tuple[int, int, list[str]]:
    with opened(load_config(data_dir=data, env={})) as rt, rt.db.session() as s:
        return (
            s.execute(select(func.count(Message.id))).scalar_one(),
            s.execute(select(func.count(Document.id))).scalar_one(),
            list(s.execute(select(Document.indication).order_by(Document.id)).scalars()),
        )


def test_maildir_twice_second_run_adds_nothing(
    tmp_path: Path, data_dir: Path, ecdsa_material: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    m = ecdsa_material
    box = maildir(
        tmp_path / "Maildir",
        [
            mm.gmail(mm.diia_pair(m.pdf, m.p7s)),
            mm.thunderbird([mm.Att("scan.pdf", m.other_pdf, "application/pdf")]),
            b"Subject: hello\n\nno documents\n",
        ],
    )

    assert main(["ingest", str(box), "--data", str(data_dir), "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first == {
        "read": 3, "documents": 2, "archived": 2, "duplicate": 0,
        "quarantined": 1, "failed": 0, "skipped": 0,
    }  # fmt: skip
    after_first = table_counts(data_dir)
    assert after_first[:2] == (3, 2) and sorted(after_first[2]) == ["TOTAL_PASSED", "UNSIGNED"]

    assert main(["ingest", str(box), "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "nothing new, 3 already in the archive" in out
    assert table_counts(data_dir) == after_first


def test_folder_of_eml_files_and_a_single_file(
    tmp_path: Path, data_dir: Path, ecdsa_material: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    m = ecdsa_material
    folder = tmp_path / "saved"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.eml").write_bytes(mm.outlook(mm.diia_pair(m.pdf, m.p7s)))
    (folder / "sub" / "b.EML").write_bytes(mm.apple_mail(mm.diia_pair(m.other_pdf, m.p7s)))
    (folder / "notes.txt").write_text("not mail")
    single = tmp_path / "c.msg"
    single.write_bytes(
        mm.ios_share([mm.Att("x.p7s", m.attached_p7s, "application/pkcs7-signature")])
    )

    assert main(["ingest", str(folder), str(single), "--data", str(data_dir)]) == 0
    assert "3 message(s) read: 3 archived (3 document(s))" in capsys.readouterr().out
    assert sorted(table_counts(data_dir)[2]) == ["TOTAL_FAILED", "TOTAL_PASSED", "TOTAL_PASSED"]
    # The index is written in groups during an import: all of it is committed when it ends.
    assert main(["search", m.person, "--data", str(data_dir), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["total"] == 2, found


def test_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", str(tmp_path / "nope"), "--data", str(tmp_path / "d")]) == 64
    assert "no such file or folder" in capsys.readouterr().err


def test_maildir_listing_and_header_envelope(tmp_path: Path) -> None:
    raw = (
        b"Received: from mx.example.net by mail.example.org; Fri, 20 Nov 2026 10:15:03 +0200\n"
        b"Delivered-To: Hotel-Dnipro@inbox.example.org\nFrom: T <taras.test@example.net>\n"
        b"Date: Thu, 19 Nov 2026 01:00:00 +0000\nSubject: x\n\nbody\n"
    )
    box = maildir(tmp_path / "Maildir", [raw, raw + b"2"])
    sub = maildir(box / ".Archive", [raw + b"3"])
    files = list(message_files([box]))
    assert len(files) == 3 and files[-1].parent.parent == sub
    env = envelope_for(raw, fallback_time=None)  # type: ignore[arg-type]
    assert env.rcpt_tos == ("hotel-dnipro@inbox.example.org",)
    assert env.mail_from == "taras.test@example.net" and env.source == "import"
    assert env.received_at.isoformat() == "2026-11-20T10:15:03+02:00"
