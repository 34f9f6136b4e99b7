"""Trust figures: loading the national bundle, and re-verification in documents per second.

- the national bundle (`tests/vectors/trust/CACertificates-2023-05.p7b`, 484 certificates):
  load time, and its 484 certificate signatures verified under their issuers;
- re-verification (`ingest.reverify`) of N archived copies (ECDSA and DSTU 4145 test PKIs),
  after their roots were imported, against `openssl cms -verify` of the ECDSA copies measured in
  the same run (a new process per copy, as a shell loop over the archive would run it).

Prints figures only (machines are shared and noisy).

    .venv/bin/python bench/reverify.py [--copies N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.models import Document
from diia_inbox import trust_admin
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from diia_inbox.wiring import context_factory
from ingest.reverify import reverify, select_documents
from tests.support.pdf import make_diia_copy_pdf
from tests.support.pki import make_pki, sign_cades
from verify.path import verify_certificate_signature
from verify.trust import load_file

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "tests" / "vectors" / "trust" / "CACertificates-2023-05.p7b"


def bundle_figures() -> None:
    started = time.perf_counter()
    material = load_file(BUNDLE)
    load = time.perf_counter() - started
    certs = material.certificates
    by_subject: dict[object, list[object]] = {}
    for c in certs:
        by_subject.setdefault(c.subject_key, []).append(c)
    started = time.perf_counter()
    verified = 0
    for c in certs:
        issuers = [
            i
            for i in by_subject.get(c.issuer_key, [])
            if c.aki is None or i.ski is None or c.aki == i.ski  # type: ignore[attr-defined]
        ]
        verified += any(verify_certificate_signature(c, i) for i in issuers)  # type: ignore[arg-type]
    sigs = time.perf_counter() - started
    print(f"national bundle: {len(certs)} certificates loaded in {load:.2f} s")
    print(f"  signatures verified under their issuers: {verified} of {len(certs)} in {sigs:.1f} s")


def reverify_figures(copies: int) -> None:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    pkis = {flavour: make_pki(flavour, now=now) for flavour in ("ecdsa", "dstu")}  # type: ignore[arg-type]
    pdf = make_diia_copy_pdf()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        rt = Runtime.open(load_config(data_dir=str(data)))
        try:
            ecdsa_files: list[tuple[Path, Path]] = []
            with rt.db.session() as s:
                for i in range(copies):
                    flavour = "ecdsa" if i % 2 == 0 else "dstu"
                    content = pdf + f"\n% copy {i}\n".encode()
                    p7s = sign_cades(pkis[flavour], content, detached=True)
                    s.add(
                        Document(
                            received_at=now + dt.timedelta(minutes=5),
                            filename=f"copy{i}.pdf",
                            pdf_sha256=rt.blobs.put(content),
                            p7s_sha256=rt.blobs.put(p7s),
                            indication="INDETERMINATE",
                            sub_indication="NO_CERTIFICATE_CHAIN_FOUND",
                        )
                    )
                    if flavour == "ecdsa":
                        c, p = Path(tmp) / f"c{i}.bin", Path(tmp) / f"s{i}.p7s"
                        c.write_bytes(content)
                        p.write_bytes(p7s)
                        ecdsa_files.append((c, p))
            roots = []
            for flavour, pki in pkis.items():
                root = Path(tmp) / f"{flavour}-root.cer"
                root.write_bytes(pki.anchor)
                roots.append(root)
            trust_admin.import_paths(rt.db, [BUNDLE, *roots], actor="bench")
            make_context = context_factory(rt.config.verify, rt.config.trust_dir, db=rt.db)
            ids = select_documents(rt.db, "all")
            result = reverify(rt.db, rt.blobs, make_context, ids)
            print(
                f"re-verification: {result.checked} copies ({copies // 2 + copies % 2} ECDSA, "
                f"{copies // 2} DSTU 4145 m=257) in {result.seconds:.1f} s: "
                f"{result.per_second:.1f} documents/s, {result.changed} changed "
                "(trust store: the national bundle plus the two roots)"
            )
            pem = Path(tmp) / "root.pem"
            subprocess.run(
                ["openssl", "x509", "-inform", "DER", "-in", str(roots[0]), "-out", str(pem)],
                check=True,
            )
            started = time.perf_counter()
            for c, p in ecdsa_files:
                subprocess.run(
                    [
                        "openssl",
                        "cms",
                        "-verify",
                        "-binary",
                        "-inform",
                        "DER",
                        "-in",
                        str(p),
                        "-content",
                        str(c),
                        "-CAfile",
                        str(pem),
                        "-purpose",
                        "any",
                        "-out",
                        "/dev/null",
                    ],
                    capture_output=True,
                    check=True,
                )
            ossl = len(ecdsa_files) / (time.perf_counter() - started)
            print(f"  openssl cms -verify, ECDSA copies one process each: {ossl:.1f} documents/s")
            ratio = result.per_second / ossl
            print(f"  ratio ours (mixed ECDSA + DSTU) / openssl (ECDSA): {ratio:.2f}")
        finally:
            rt.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--copies", type=int, default=40)
    args = ap.parse_args()
    bundle_figures()
    reverify_figures(args.copies)


if __name__ == "__main__":
    main()
