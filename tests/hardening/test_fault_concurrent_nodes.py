"""Fault: the same message reaches two nodes at once (a sending MTA retried on another MX
after a lost 250, or an import run beside the receiver), both workers archive it concurrently.

Promise: the archive keys messages by the sha256 of their bytes, so whichever commit loses
the race becomes a "duplicate" and the message and its documents are stored once. Shown on
PostgreSQL (the multi-node setup) with two real threads released together by a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.branches import add_branch
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from ingest.envelope import Envelope
from ingest.pipeline import Outcome, process
from tests.hardening.harness import archived_tokens, documents_per_token
from tests.hardening.material import BRANCH_ADDRESS, SENDER, diia_email, other_copies
from tests.ingest.conftest import make_pipeline

ROUNDS = 6


@pytest.fixture
def pg_runtime(tmp_path: Path, pg_url: str) -> Iterator[Runtime]:
    env = {"DIIA_INBOX_DATABASE_URL": pg_url}
    rt = Runtime.open(load_config(data_dir=tmp_path / "data", env=env))
    with rt.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
    try:
        yield rt
    finally:
        rt.close()


def test_same_message_on_two_workers_at_once_is_stored_once(pg_runtime: Runtime) -> None:
    rt = pg_runtime
    copies = other_copies(2)
    deps = make_pipeline(rt, [copies[0].root_der])
    outcomes: list[list[Outcome | BaseException]] = []
    for n in range(ROUNDS):
        raw = diia_email(copies, f"race{n}")
        barrier = threading.Barrier(2)
        results: list[Outcome | BaseException] = []

        def node(raw: bytes = raw, barrier: threading.Barrier = barrier,
                 results: list[Any] = results) -> None:  # fmt: skip
            barrier.wait()
            try:
                results.append(process(raw, Envelope.now(SENDER, [BRANCH_ADDRESS]), deps))
            except BaseException as exc:  # reported by the assertion below
                results.append(exc)

        threads = [threading.Thread(target=node) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        outcomes.append(results)

    for results in outcomes:
        assert all(isinstance(r, Outcome) for r in results), results
        statuses = sorted(r.status for r in results if isinstance(r, Outcome))
        assert statuses == ["archived", "duplicate"], statuses
    assert archived_tokens(rt.db) == {f"race{n}": 1 for n in range(ROUNDS)}
    assert documents_per_token(rt.db) == {f"race{n}": 2 for n in range(ROUNDS)}
