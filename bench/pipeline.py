"""End-to-end documents/s through the worker pipeline, for ECDSA and DSTU 4145 copies.

Each message is a Gmail-shaped e-mail with one Diia-like copy (a real PDF and its detached
CAdES-BES P7S from the test PKI) to a registered branch address; every message is different, so
nothing is deduplicated. `process()` runs exactly what the worker runs: parse, verify against
the trust anchor, extract text (child process under limits), recognise fields, QR matching,
archive (SQLite, blobs) and index (Whoosh). Prints figures only.

    .venv/bin/python bench/pipeline.py [--messages 40]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from archive.branches import add_branch
from archive.models import Document
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from diia_inbox.wiring import deps_from_config
from ingest.envelope import Envelope
from ingest.pipeline import process
from tests.ingest.mailmaker import diia_pair, gmail
from tests.support.pdf import DiiaCopy, make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades

BRANCH = "reception@hotel.example"


def run(flavour: str, messages: int) -> None:
    pki = make_pki(flavour)  # type: ignore[arg-type]
    mails = []
    for i in range(messages):
        pdf = make_diia_copy_pdf(
            replace(DiiaCopy(), document_number=f"{700000000 + i:09d}", created=date(2026, 11, 20))
        )
        p7s = sign_cades(pki, pdf, detached=True)
        mails.append(gmail(diia_pair(pdf, p7s), to=BRANCH))
    with tempfile.TemporaryDirectory() as d:
        data = Path(d)
        (data / "trust").mkdir(parents=True)
        (data / "trust" / "root.der").write_bytes(pki.anchor)
        rt = Runtime.open(load_config(data_dir=data, env={}))
        try:
            with rt.db.session() as s:
                add_branch(s, "Готель «Дніпро», рецепція", "м. Дніпро", BRANCH)
            deps = deps_from_config(rt.config, rt.db, rt.blobs)
            # Warm-up: the extraction fork server and the index open once per process.
            process(
                gmail(
                    diia_pair(make_diia_copy_pdf(), sign_cades(pki, make_diia_copy_pdf())),
                    to=BRANCH,
                    subject="warm-up",
                ),
                Envelope.now("a@b.example", [BRANCH]),
                deps,
            )
            times = []
            start = time.perf_counter()
            for raw in mails:
                t = time.perf_counter()
                outcome = process(raw, Envelope.now("citizen@mail.example", [BRANCH]), deps)
                times.append(time.perf_counter() - t)
                assert outcome.status == "archived", outcome.reason
            total = time.perf_counter() - start
            with rt.db.session() as s:
                passed = s.execute(
                    select(func.count(Document.id)).where(Document.indication == "TOTAL_PASSED")
                ).scalar_one()
        finally:
            rt.close()
    print(
        f"{flavour:5s}: {messages} documents in {total:6.1f} s = {messages / total:6.1f} "
        f"documents/s (median {statistics.median(times) * 1000:.0f} ms per message); "
        f"{passed} TOTAL_PASSED"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=40)
    args = ap.parse_args()
    for flavour in ("ecdsa", "dstu"):
        run(flavour, args.messages)


if __name__ == "__main__":
    main()
