"""The pipeline's CPU-bound part in child processes (ingest/prepare_pool.py): the same verdicts,
text and fields as in the worker's thread, a trust change reaching the children, a child that
dies costing only its message."""

from __future__ import annotations

import dataclasses
import os
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from diia_inbox.wiring import context_factory, make_prepare_pool, steps_from_spec
from ingest.envelope import Envelope
from ingest.pipeline import Prepared, Steps, prepare, process
from ingest.prepare_pool import PoolSpec, PrepareFailed, PreparePool
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS, make_pipeline
from tests.support.pki import tamper

WHEN = datetime(2026, 11, 20, 8, 15, tzinfo=UTC)
DYING_TITLE = "die-here"


def verdicts(prepared: Prepared) -> list[tuple[Any, ...]]:
    """What the archive would store of each draft (the report minus its clock-dependent parts)."""
    out = []
    for d in prepared.drafts:
        v = d.verification
        out.append(
            (
                d.parcel.filename,
                v.indication if v else None,
                v.sub_indication if v else None,
                v.signer if v else None,
                d.text,
                d.fields,
                tuple(d.flags),
                d.pdf,
            )
        )
    return out


@pytest.fixture
def pool_for(sqlite_runtime: Any) -> Any:
    pools: list[PreparePool] = []

    def make() -> PreparePool:
        cfg = sqlite_runtime.config
        pool = make_prepare_pool(
            cfg, context_factory(cfg.verify, cfg.trust_dir, db=sqlite_runtime.db), trust_max_age=0
        )
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_children_prepare_exactly_as_the_thread_does(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any
) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    pool = pool_for()
    good = mm.gmail(mm.diia_pair(m.pdf, m.p7s))
    # The tampered twin: one byte of the PDF changed after signing.
    bad = mm.gmail(mm.diia_pair(tamper(m.pdf, len(m.pdf) // 2), m.p7s))

    for raw, indication in ((good, "TOTAL_PASSED"), (bad, "TOTAL_FAILED")):
        here = prepare(raw, deps.steps)
        there = pool(raw)
        assert verdicts(there) == verdicts(here)
        assert there.parsed == here.parsed
        assert [v[1] for v in verdicts(there)] == [indication]
    assert m.person in verdicts(pool(good))[0][4]
    assert pool.started == 1  # one caller at a time: one child, reused


def test_unreadable_mail_is_quarantined_with_the_same_reason(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any
) -> None:
    deps = make_pipeline(sqlite_runtime, [ecdsa_material.root_der])
    pool = pool_for()
    for raw in (
        b"\x00\xff not mail at all",
        mm.gmail([mm.Att("note.txt", b"hello", "text/plain")]),
    ):
        here, there = prepare(raw, deps.steps), pool(raw)
        assert there.quarantine is not None and there.quarantine == here.quarantine
        assert there.drafts == ()


def test_process_files_what_a_child_prepared(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any, branch_id: int
) -> None:
    m = ecdsa_material
    deps = dataclasses.replace(make_pipeline(sqlite_runtime, [m.root_der]), preparer=pool_for())
    raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s))
    envelope = Envelope(
        mm.SENDER, (BRANCH_ADDRESS,), WHEN, "192.0.2.10", "smtp", "mail.example.net"
    )

    first = process(raw, envelope, deps)
    again = process(raw, envelope, deps)

    assert first.status == "archived" and len(first.documents) == 1
    assert again.status == "duplicate" and again.message_row == first.message_row
    from archive.models import Document

    with sqlite_runtime.db.session() as s:
        doc = s.get(Document, first.documents[0])
        assert doc is not None and doc.indication == "TOTAL_PASSED"
        assert doc.branch_id == branch_id and m.person in (doc.text or "")
        assert sqlite_runtime.blobs.get(doc.pdf_sha256) == m.pdf


def test_a_trust_change_reaches_the_children(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any
) -> None:
    m = ecdsa_material
    make_pipeline(sqlite_runtime, [])  # nothing trusted yet
    pool = pool_for()
    raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s))

    before = verdicts(pool(raw))[0][1]
    (sqlite_runtime.config.trust_dir / "root.der").write_bytes(m.root_der)
    after = verdicts(pool(raw))[0][1]

    assert (before, after) == ("INDETERMINATE", "TOTAL_PASSED")
    assert pool.started == 2  # the old child was retired with the old trust store


def _die_on_marked(text: str, filename: str) -> dict[str, Any]:
    if DYING_TITLE in filename:
        os._exit(3)  # a crash in the middle of a message, as a C library could cause
    return {}


def dying_steps(spec: PoolSpec) -> Steps:
    """The real steps, except that recognition kills the process for a marked document."""
    return dataclasses.replace(steps_from_spec(spec), recognise=_die_on_marked)


def test_a_child_that_dies_costs_only_its_message(sqlite_runtime: Any, ecdsa_material: Any) -> None:
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    cfg = sqlite_runtime.config
    store = context_factory(cfg.verify, cfg.trust_dir)().trust
    spec = PoolSpec.of("soft", (), cfg.search, cfg.ingest, store)
    pool = PreparePool(lambda: spec, dying_steps)
    try:
        with pytest.raises(PrepareFailed):
            pool(mm.gmail(mm.diia_pair(m.pdf, m.p7s, DYING_TITLE)))
        ok = pool(mm.gmail(mm.diia_pair(m.pdf, m.p7s)))
        assert [v[1] for v in verdicts(ok)] == ["TOTAL_PASSED"]
        assert pool.started == 2
        assert (
            verdicts(ok)[0][1:3]
            == verdicts(prepare(mm.gmail(mm.diia_pair(m.pdf, m.p7s)), deps.steps))[0][1:3]
        )
    finally:
        pool.close()


def test_concurrent_callers_get_their_own_children(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any
) -> None:
    m = ecdsa_material
    make_pipeline(sqlite_runtime, [m.root_der])
    pool = pool_for()
    messages = [
        mm.gmail(mm.diia_pair(m.pdf, m.p7s)),
        mm.gmail(mm.diia_pair(m.other_pdf, m.p7s, "Інший документ")),
    ] * 2
    results: dict[int, list[tuple[Any, ...]]] = {}

    def run(i: int) -> None:
        results[i] = verdicts(pool(messages[i]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(messages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(results) == list(range(len(messages)))
    for i, found in results.items():
        # The first copy matches its signature; the other PDF does not match that signature.
        assert [v[1] for v in found] == (["TOTAL_PASSED"] if i % 2 == 0 else ["TOTAL_FAILED"])
    assert 1 <= pool.started <= len(messages)


def test_what_a_child_sends_back_holds_no_pairing_work(
    sqlite_runtime: Any, ecdsa_material: Any
) -> None:
    """Pairing's decoded SignedData and PDF digests serve the verifier in the process that made
    them; `Prepared.lean` (what a child pickles back) drops them and keeps everything filing
    reads."""
    m = ecdsa_material
    deps = make_pipeline(sqlite_runtime, [m.root_der])
    prepared = prepare(mm.gmail(mm.diia_pair(m.pdf, m.p7s)), deps.steps)
    assert prepared.parsed is not None
    # The twin: before `lean`, pairing's work is there.
    assert [s.decoded is not None for p in prepared.parsed.parcels for s in p.signatures] == [True]
    assert [p.digests is not None for p in prepared.parsed.parcels] == [True]

    lean = prepared.lean()

    assert lean.parsed is not None
    assert [s.decoded for p in lean.parsed.parcels for s in p.signatures] == [None]
    assert [p.digests for p in lean.parsed.parcels] == [None]
    assert [d.parcel.digests for d in lean.drafts] == [None]
    assert [sig.decoded for d in lean.drafts for sig, _v in d.checked] == [None]
    assert [sig.decoded is not None for d in prepared.drafts for sig, _v in d.checked] == [True]
    assert lean.parsed == prepared.parsed and verdicts(lean) == verdicts(prepared)
    assert [d.checked for d in lean.drafts] == [d.checked for d in prepared.drafts]


def test_an_import_on_two_loops_with_children_files_what_one_loop_does(
    sqlite_runtime: Any, ecdsa_material: Any, pool_for: Any, branch_id: int, tmp_path: Any
) -> None:
    """`diia-inbox ingest` runs as the worker: two messages at once, prepared in children.
    Every file gets the result a one-at-a-time import gives it (in the files' order), the same
    bytes twice in the folder are archived once, and both children were used."""
    from ingest.importer import import_paths

    m = ecdsa_material
    folder = tmp_path / "saved"
    folder.mkdir()
    good = mm.gmail(mm.diia_pair(m.pdf, m.p7s))
    messages = [
        good,
        mm.outlook(mm.diia_pair(m.other_pdf, m.p7s)),  # signature of another PDF
        mm.gmail(mm.diia_pair(tamper(m.pdf, len(m.pdf) // 2), m.p7s)),
        b"Subject: hello\n\nno documents\n",
        mm.apple_mail(mm.diia_pair(m.pdf, m.p7s)),
        good,  # the same bytes again
    ]
    for n, raw in enumerate(messages):
        (folder / f"{n:02d}.eml").write_bytes(raw)
    pool = pool_for()
    deps = dataclasses.replace(make_pipeline(sqlite_runtime, [m.root_der]), preparer=pool)

    report = import_paths([folder], deps, concurrency=2)

    assert [r.path.name for r in report.results] == [f"{n:02d}.eml" for n in range(6)]
    statuses = [r.status for r in report.results]
    assert statuses == ["archived", "archived", "archived", "quarantined", "archived", "duplicate"]
    assert pool.started == 2
    from sqlalchemy import select

    from archive.models import Document

    with sqlite_runtime.db.session() as s:
        rows = s.execute(select(Document.indication).order_by(Document.id)).scalars().all()
    assert sorted(rows) == sorted(["TOTAL_PASSED", "TOTAL_FAILED", "TOTAL_FAILED", "TOTAL_PASSED"])
