"""Encryption at rest end to end: mail in through the pipeline, nothing readable in blobs/.

With `DIIA_INBOX_STORAGE_ENCRYPT=1` every blob (raw e-mail, PDF, P7S) is AES-256-GCM sealed, so
the blob folder must hold neither PDF magic bytes nor any of the person's text, while the copies
still open and their signatures still verify with the real `diia-inbox verify`. `keys rotate`
must re-encrypt every blob under a new key without losing any.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from archive.keyring import MAGIC
from archive.models import Document
from diia_inbox import privacy
from diia_inbox.runtime import Runtime
from tests.privacy.conftest import Mailroom, Person, run_cli, traces

ENCRYPT = {"DIIA_INBOX_STORAGE_ENCRYPT": "1"}


def _blob_files(rt: Runtime) -> dict[Path, bytes]:
    return {
        p: p.read_bytes()
        for p in rt.config.blob_dir.rglob("*")
        if p.is_file() and p.parent.name != "tmp"
    }


def _assert_sealed(rt: Runtime, person: Person) -> None:
    files = _blob_files(rt)
    assert len(files) >= 3  # raw e-mail, PDF, P7S
    for path, data in files.items():
        assert data.startswith(MAGIC), f"{path.name} is not sealed"
        assert b"%PDF" not in data, f"PDF magic bytes in {path.name}"
    in_blobs = [t for t in traces(rt.config.data_dir, person.needles()) if t[0].startswith("blob")]
    assert in_blobs == []


def _assert_opens_and_verifies(rt: Runtime, person: Person, doc_id: int, tmp: Path) -> None:
    """Read the copy back through the blob store and verify it with the real command."""
    with rt.db.session() as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.pdf_sha256 and doc.p7s_sha256
        pdf, p7s = rt.blobs.get(doc.pdf_sha256), rt.blobs.get(doc.p7s_sha256)
    assert pdf == person.pdf
    assert rt.blobs.verify(doc.pdf_sha256) and rt.blobs.verify(doc.p7s_sha256)
    (tmp / "copy.pdf").write_bytes(pdf)
    (tmp / "copy.p7s").write_bytes(p7s)
    trust = next(rt.config.trust_dir.iterdir())
    result = run_cli(
        "verify",
        str(tmp / "copy.p7s"),
        "--content",
        str(tmp / "copy.pdf"),
        "--trust",
        str(trust),
        "--json",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["indication"] == "TOTAL_PASSED"


def test_encrypted_blobs_hold_no_plaintext_and_survive_rotation(
    installation: Callable[..., Runtime], people: tuple[Person, Person], tmp_path: Path
) -> None:
    person, _ = people
    rt = installation(storage_encrypt="1")
    handled = Mailroom(rt).deliver(person.mail())
    assert handled.outcome is not None and handled.outcome.documents
    doc_id = handled.outcome.documents[0]

    _assert_sealed(rt, person)
    _assert_opens_and_verifies(rt, person, doc_id, tmp_path)
    before = _blob_files(rt)

    rotated = run_cli("keys", "rotate", "--data", str(rt.config.data_dir), env=ENCRYPT)

    assert rotated.returncode == 0, rotated.stderr
    assert f"re-encrypted {len(before)} blobs" in rotated.stdout
    ring = json.loads((rt.config.keys_dir / "blob-keys.json").read_text())
    assert len(ring["keys"]) == 2 and ring["current"] in rotated.stdout
    after = _blob_files(rt)
    assert after.keys() == before.keys()
    assert all(after[p] != before[p] for p in before), "a blob kept its old ciphertext"
    # A fresh process (new keyring load) opens and verifies everything under the new key.
    fresh = Runtime.open(rt.config)
    try:
        _assert_sealed(fresh, person)
        _assert_opens_and_verifies(fresh, person, doc_id, tmp_path)
        with privacy.search_backend(fresh) as backend:
            assert [h.id for h in backend.search(person.document_number).hits] == [doc_id]
    finally:
        fresh.close()
