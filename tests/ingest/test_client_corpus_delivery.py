"""The client-shaped corpus delivered two ways gives the same archive: swaks talking SMTP to a
running `diia-inbox serve`, and `diia-inbox ingest` over a folder of the same .eml files.

Both run as the product runs (separate processes, each with its own data folder, the test PKI's
root as trust anchor and the branch the mails are addressed to). The archives are compared
document by document: names, PDF and signature blobs, verdicts, flags, signature files.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from archive.models import Message
from diia_inbox.config import load_config
from diia_inbox.runtime import opened
from ingest.datastream import stuff
from tests.ingest import mailmaker as mm
from tests.ingest.clientcorpus import material, shapes
from tests.test_serve import free_port, wait_http

EXE = [sys.executable, "-m", "diia_inbox.cli"]

pytestmark = pytest.mark.skipif(shutil.which("swaks") is None, reason="needs Debian's swaks")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}


def installation(data: Path, anchor: bytes) -> Path:
    (data / "trust").mkdir(parents=True)
    (data / "trust" / "test-root.der").write_bytes(anchor)
    added = subprocess.run(
        [*EXE, "branch", "add", "--data", str(data), "--name", "Готель «Дніпро»",
         "--address", "м. Дніпро, просп. Яворницького, 10", "--email", mm.BRANCH],
        capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return data


def archive_of(data: Path) -> Counter[tuple[Any, ...]]:
    """The archive as a multiset of messages, each with its documents (order-free)."""
    out: Counter[tuple[Any, ...]] = Counter()
    with opened(load_config(data_dir=data, env={})) as rt, rt.db.session() as s:
        for msg in s.execute(select(Message)).scalars():
            docs = sorted(
                (
                    d.filename,
                    d.pdf_sha256 or "",
                    d.p7s_sha256 or "",
                    d.indication,
                    d.sub_indication or "",
                    tuple(sorted(d.flags or [])),
                    d.document_type or "",
                    d.branch_id is not None,
                    tuple(
                        (f["name"], f["p7s_sha256"], f["indication"])
                        for f in (d.report or {}).get("signature_files", [])
                    ),
                )
                for d in msg.documents
            )
            out[(msg.message_id, msg.subject, msg.status, msg.reason or "", tuple(docs))] += 1
    return out


def message_count(data: Path) -> int:
    with opened(load_config(data_dir=data, env={})) as rt, rt.db.session() as s:
        return int(s.execute(select(func.count(Message.id))).scalar_one())


def test_swaks_to_serve_and_ingest_give_identical_archives(tmp_path: Path) -> None:
    m = material("ecdsa")
    folder = tmp_path / "eml"
    folder.mkdir()
    messages: list[bytes] = []
    # Every shape once by default (both orders are the pipeline test's business); set
    # CORPUS_BOTH_ORDERS=1 to deliver the reversed orders too (twice the run time).
    orders = (False, True) if os.environ.get("CORPUS_BOTH_ORDERS") == "1" else (False,)
    for shape in shapes("ecdsa"):
        for reverse in orders:
            raw = shape.build(m, reverse)
            if raw not in messages:
                messages.append(raw)
    # swaks sends each message byte for byte (--no-data-fixup): by default it rewrites the DATA
    # (tokens, and a literal backslash-n becomes a line break, which quoted-printable text of a
    # random signature contains now and then: one CI run stored a P7S changed that way). So it
    # is given the SMTP form itself: dot-stuffed, with the end-of-data line.
    wire = tmp_path / "wire"
    wire.mkdir()
    for n, raw in enumerate(messages):
        (folder / f"{n:03d}.eml").write_bytes(raw)
        (wire / f"{n:03d}.eml").write_bytes(stuff(raw))

    served = installation(tmp_path / "served", m.root_der)
    smtp, web = free_port(), free_port()
    proc = subprocess.Popen(
        [*EXE, "serve", "--data", str(served), "--smtp", f"127.0.0.1:{smtp}",
         "--web", f"127.0.0.1:{web}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(),
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{web}/healthz", proc)
        for eml in sorted(wire.iterdir()):
            sent = subprocess.run(
                [
                    "swaks",
                    "--server",
                    "127.0.0.1",
                    "--port",
                    str(smtp),
                    "--from",
                    mm.SENDER,
                    "--to",
                    mm.BRANCH,
                    "--data",
                    f"@{eml}",
                    "--no-data-fixup",
                ],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=60,
            )  # fmt: skip (swaks echoes the data, 8-bit bodies included)
            assert sent.returncode == 0, (eml.name, sent.stdout[-2000:])
            assert "250 2.0.0 OK queued" in sent.stdout, eml.name
        deadline = time.monotonic() + 300  # a safety net for a hung run, not a measurement
        while message_count(served) < len(messages) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()

    imported = installation(tmp_path / "imported", m.root_der)
    ran = subprocess.run(
        [*EXE, "ingest", str(folder), "--data", str(imported)],
        capture_output=True, text=True, env=_env(), timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"{len(messages)} message(s) read: {len(messages)} archived" in ran.stdout

    by_smtp, by_ingest = archive_of(served), archive_of(imported)
    assert sum(by_smtp.values()) == len(messages) == sum(by_ingest.values())
    assert by_smtp == by_ingest
    indications = Counter(doc[3] for key in by_smtp for doc in key[4])
    print(f"\n{len(messages)} messages, documents by verdict: {dict(indications)}")
    assert indications["TOTAL_PASSED"] > len(messages)  # many shapes carry two genuine copies
