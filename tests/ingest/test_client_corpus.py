"""The client-shaped corpus through the real pipeline: exactly the expected documents, each PDF
with its own signatures, the expected verdict, in both attachment orders and both signature
flavours. A table of shapes and results is printed (`pytest -s`) for the record."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from archive.models import Document, Message
from ingest.parcels import parse_parcels
from ingest.pipeline import process
from tests.ingest.clientcorpus import SHAPES, Material, Shape, _tampered, material, shapes
from tests.ingest.conftest import make_pipeline
from tests.ingest.test_pipeline import envelope

GENUINE = {"passport", "taxcard"}


def _role(m: Material, sha: str | None) -> str:
    roles = {
        hashlib.sha256(m.passport.pdf).hexdigest(): "passport",
        hashlib.sha256(m.taxcard.pdf).hexdigest(): "taxcard",
        hashlib.sha256(_tampered(m.passport.pdf)).hexdigest(): "tampered",
    }
    return roles.get(sha or "", "other" if sha else "-")


def _signature_files(doc: Document) -> list[dict[str, Any]]:
    if doc.report and "signature_files" in doc.report:
        return list(doc.report["signature_files"])
    return [{"p7s_sha256": doc.p7s_sha256}] if doc.p7s_sha256 else []


def run_shape(rt: Any, deps: Any, shape: Shape, m: Material) -> tuple[list[str], list[str]]:
    """Process the shape in both orders; (problems, table rows)."""
    problems: list[str] = []
    rows: list[str] = []
    seen: set[bytes] = set()
    for reverse in (False, True):
        raw = shape.build(m, reverse)
        if raw in seen:
            continue  # a one-attachment shape is the same message both ways
        seen.add(raw)
        order = "reversed" if reverse else "as sent"
        outcome = process(raw, envelope(), deps)
        label = f"{shape.name} ({order})"
        if outcome.status != "archived":
            problems.append(f"{label}: {outcome.status} {outcome.reason}")
            continue
        parcels = parse_parcels(raw).parcels
        with rt.db.session() as s:
            msg = s.get(Message, outcome.message_row)
            docs = [s.get(Document, i) for i in outcome.documents]
            reason = set((msg.reason or "").split()) if msg else set()
            got = sorted(
                (
                    _role(m, d.pdf_sha256),
                    d.filename,
                    d.indication,
                    len(_signature_files(d)),
                )
                for d in docs
                if d is not None
            )
            want = sorted(
                (e.pdf or "-", e.filename, e.indication, e.signatures) for e in shape.expected
            )
            if got != want:
                problems.append(f"{label}: got {got}, want {want}")
            for e in shape.expected:
                doc = next(
                    (d for d in docs if d and d.filename == e.filename and
                     _role(m, d.pdf_sha256) == (e.pdf or "-")),
                    None,
                )  # fmt: skip
                if doc is not None and not e.flags <= set(doc.flags):
                    problems.append(f"{label}: {e.filename} flags {doc.flags} lack {e.flags}")
                if doc is not None:
                    for f in _signature_files(doc):
                        if rt.blobs.get(f["p7s_sha256"]) is None:
                            problems.append(f"{label}: signature blob missing")
                if (
                    doc is not None
                    and e.pdf in GENUINE
                    and e.signatures
                    and doc.indication in ("TOTAL_FAILED", "UNSIGNED")
                ):
                    problems.append(f"{label}: genuine copy {e.filename} is {doc.indication}")
            if not shape.message_flags <= reason:
                problems.append(f"{label}: message reason {reason} lacks {shape.message_flags}")
            for d, p in zip(sorted(docs, key=lambda d: d.id if d else 0), parcels, strict=False):
                if d is None:
                    continue
                names = [sig.name for sig in p.signatures] or ["—"]
                pairing = f"{p.pdf_name or '(from signature)'} ← {', '.join(names)}"
                verdict = d.indication + (f"/{d.sub_indication}" if d.sub_indication else "")
                rows.append(
                    f"| {shape.name} | {shape.client} | {shape.flavour} | {order} | "
                    f"{d.filename} | {pairing} | {verdict} |"
                )
    return problems, rows


@pytest.mark.parametrize("flavour", ["ecdsa", "dstu"])
def test_client_corpus_gives_the_expected_documents(
    sqlite_runtime: Any, branch_id: int, flavour: str, capsys: pytest.CaptureFixture[str]
) -> None:
    m = material(flavour)
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    problems: list[str] = []
    rows: list[str] = []
    for shape in shapes(flavour):
        p, r = run_shape(sqlite_runtime, deps, shape, m)
        problems += p
        rows += r
    with capsys.disabled():
        print("\n| shape | client | flavour | order | document | pairing | verdict |")
        print("|---|---|---|---|---|---|---|")
        print("\n".join(rows))
        print("\n".join(problems))
    assert problems == []
    assert rows  # the corpus produced documents


def test_corpus_covers_the_shapes_the_issue_names() -> None:
    names = {s.name for s in SHAPES}
    for needed in (
        "webmail-numbered",
        "renamed-pdf",
        "forward-reattached",
        "detached-and-attached",
        "mislabelled-8bit-base64",
        "outlook-tnef-unicode",
        "outlook-tnef-cp1251",
        "p7m-pkcs7-mime",
        "pem-signature",
        "forward-inline",
        "forward-rfc822",
        "gmail-reply",
        "pgp-mime",
        "apple-mail-nfd",
        "webmail-numbered-dstu",
        "tampered-twin",
    ):
        assert needed in names
    assert len({s.name for s in SHAPES}) == len(SHAPES)


def test_tampered_twin_really_differs() -> None:
    m = material("ecdsa")
    assert _tampered(m.passport.pdf) != m.passport.pdf
    assert b"000123457" in _tampered(m.passport.pdf)
