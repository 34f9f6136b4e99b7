"""Fault: the disk is 100 % full under the running worker (issue 14, break 4).

Found: the spool's state file could not be written, so a failed item went back to the queue
with no due time and was tried again at once, about 7 times a second, each try logging a
warning onto the full disk. Promise now: the item waits out the same back-off as any other
failure (base, 2 base, 4 base, ...), and a warning about it is written once per back-off step.

A real tmpfs filled with a real file, the real receiver and worker on their loop. The spool is
a `Spool` that counts its claims (the number of tries), nothing else changed.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.branches import add_branch
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from ingest.backoff import Backoff, StepLog
from ingest.envelope import Envelope
from ingest.spool import Spool, SpoolItem
from tests.hardening.harness import (
    archived_tokens,
    fill,
    small_disk,
    start_node,
    tmpfs_available,
    wait_until,
)
from tests.hardening.material import BRANCH_ADDRESS, SENDER, diia_email, signed_copy
from tests.ingest.conftest import make_pipeline

BASE = 0.4  # seconds: the back-off's first step, scaled down from serve's 30 s
TRIES = 4  # tries watched on the full disk (the last waits 4 x BASE)
SLACK = 0.05  # seconds: file-time granularity between the due time and the claim


class CountingSpool(Spool):
    """The real spool, noting when it hands an item out (the tries)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claimed_at: list[float] = []

    def claim(self) -> SpoolItem | None:
        item = super().claim()
        if item is not None:
            self.claimed_at.append(time.time())
        return item


def test_backoff_doubles_to_its_cap() -> None:
    b = Backoff(30.0, 3600.0)
    assert [b.delay(n) for n in range(0, 9)] == [0, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert b.delay(10_000) == 3600.0


def test_step_log_writes_once_per_step(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.steplog")
    steps = StepLog(logger)
    with caplog.at_level(logging.WARNING, "test.steplog"):
        for step in (1, 1, 1, 2, 2, 3, 2):
            steps.warning("item-a", step, "item-a failed at %d", step)
        steps.warning("item-b", 1, "item-b failed")
        steps.forget("item-a")
        steps.warning("item-a", 1, "item-a failed again")
    assert [r.getMessage() for r in caplog.records] == [
        "item-a failed at 1",
        "item-a failed at 2",
        "item-a failed at 3",
        "item-b failed",
        "item-a failed again",
    ]


@pytest.fixture
def installation() -> Iterator[tuple[Path, Runtime]]:
    reason = tmpfs_available()
    if reason is not None:
        pytest.skip(reason)
    with small_disk("8m") as disk:
        rt = Runtime.open(load_config(data_dir=disk / "data", env={}))
        with rt.db.session() as s:
            add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
        try:
            yield disk, rt
        finally:
            rt.close()


def test_full_disk_retries_back_off_and_warn_once_per_step(
    installation: tuple[Path, Runtime], caplog: pytest.LogCaptureFixture
) -> None:
    disk, rt = installation
    signed = signed_copy()
    spool = CountingSpool(rt.config.spool_dir, max_attempts=100, backoff_seconds=BASE,
                          max_backoff_seconds=3600)  # fmt: skip
    spool.put(diia_email(signed, "full"), Envelope.now(SENDER, [BRANCH_ADDRESS]))
    [item_id] = [p.name for p in (spool.root / "new").iterdir()]
    deps = make_pipeline(rt, [signed.root_der])
    filler = fill(disk, leave=0)  # not even the state file fits
    caplog.set_level(logging.WARNING, "diia_inbox")
    node = start_node(rt.db, spool, deps)
    try:
        wait_until(lambda: len(spool.claimed_at) >= TRIES, f"{TRIES} tries on the full disk")
        tries = list(spool.claimed_at[:TRIES])
        about_item = [r for r in caplog.records if item_id in r.getMessage()]
        assert archived_tokens(rt.db) == {}
        filler.unlink()
        wait_until(lambda: spool.depth() == 0, "the item archived once space came back")
    finally:
        node.stop()
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    print(f"\nfull disk: gaps between tries {[round(g, 2) for g in gaps]} s, "
          f"{len(about_item)} warnings about the item")  # fmt: skip
    # Each retry waited its back-off step (was: ~0.14 s apart whatever the step). A busy
    # machine only makes the gaps longer.
    for step, gap in enumerate(gaps, start=1):
        assert gap >= Backoff(BASE, 3600).delay(step) - SLACK, (step, gaps)
    # A warning per step at most: never two for the same attempt.
    assert 1 <= len(about_item) <= len(spool.claimed_at)
    attempts = [r.args[2] for r in about_item if isinstance(r.args, tuple) and len(r.args) > 2]
    assert len(attempts) == len(set(attempts))
    assert archived_tokens(rt.db) == {"full": 1}
