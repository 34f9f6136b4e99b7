"""The hostile corpus through one worker run: each message archived or quarantined with a
reason, and the worker still serves a good message after all of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive.branches import add_branch
from archive.models import Document, Message
from ingest.spool import Spool
from ingest.worker import Worker
from tests.ingest import mailmaker as mm
from tests.ingest.conftest import BRANCH_ADDRESS, make_pipeline
from tests.ingest.corpus import CASES, Material
from tests.ingest.test_pipeline import envelope


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


async def test_every_hostile_message_ends_archived_or_quarantined(
    runtime: Any, ecdsa_material: Any, spool: Spool
) -> None:
    """On both engines: PostgreSQL refuses some bytes SQLite takes (NUL in text)."""
    with runtime.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро", BRANCH_ADDRESS)
    m = ecdsa_material
    material = Material(m.pdf, m.p7s, m.other_pdf, m.attached_p7s)
    deps = make_pipeline(
        runtime,
        [m.root_der],
        max_attachment_bytes=2 << 20,
        max_decompressed_bytes=16 << 20,
    )
    ids = {spool.put(case.build(material), envelope()): case for case in CASES}
    good_raw = mm.gmail(mm.diia_pair(m.pdf, m.p7s, "Після корпусу"))
    good_id = spool.put(good_raw, envelope())

    handled = {h.item_id: h for h in await Worker(spool, deps).drain()}

    assert set(handled) == {*ids, good_id}
    assert spool.depth() == 0
    problems = []
    with runtime.db.session() as s:
        for item_id, case in ids.items():
            h = handled[item_id]
            got = "archived" if h.action == "done" else h.action
            if got != case.expected:
                problems.append(f"{case.name}: {got} {h.reason}")
                continue
            assert h.outcome is not None and h.outcome.message_row is not None, case.name
            msg = s.get(Message, h.outcome.message_row)
            assert msg is not None, case.name
            if case.expected == "quarantined":
                assert msg.status == "quarantined" and msg.reason, case.name
                if case.reason:
                    assert msg.reason.split()[0] == case.reason, (case.name, msg.reason)
            else:
                assert msg.status == "done" and msg.documents, case.name
                if case.reason:
                    marks = {d.indication for d in msg.documents}
                    marks |= {f for d in msg.documents for f in d.flags}
                    assert case.reason in marks, (case.name, marks)
        assert problems == []
        assert handled[good_id].action == "done"
        good = s.execute(
            select(Document).where(Document.filename == "Після корпусу.pdf")
        ).scalar_one()
        assert good.indication == "TOTAL_PASSED"
    quarantined = {q.id: q.reason for q in spool.list_quarantine()}
    assert quarantined == {
        i: handled[i].reason for i, c in ids.items() if c.expected == "quarantined"
    }
