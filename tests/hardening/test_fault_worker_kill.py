"""Fault: the worker process is killed (SIGKILL) in the middle of a document.

Promise (ingest/worker.py, ingest/spool.py): a spool item is done only after the archive
commit; an item whose worker died is taken up again at the next start; the archive stores the
same bytes once. So after any number of kills each accepted message is archived exactly once,
with its documents once, and nothing is left in the spool.

The first test kills the real worker process (`tests/hardening/worker_process.py`: the worker
of `diia-inbox serve`, wired the same way, without web and SMTP so it restarts quickly) while it
works on messages of many signed documents each, so that each kill lands inside one, several
times at different moments. The second reproduces the narrowest window exactly: the archive
commit went through but the process died before the spool item was removed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from archive.branches import add_branch
from diia_inbox.config import load_config
from diia_inbox.runtime import Runtime
from ingest.envelope import Envelope
from ingest.pipeline import process
from ingest.spool import Spool
from ingest.worker import Worker
from tests.hardening.harness import (
    PATIENCE,
    archived_tokens,
    documents_per_token,
    wait_until,
)
from tests.hardening.material import (
    BRANCH_ADDRESS,
    SENDER,
    diia_email,
    other_copies,
    signed_copy,
)
from tests.ingest.conftest import make_pipeline

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = 6  # per message: each costs a signature check and an extraction
#: Enough that the worker always has a next message to claim when a kill lands, however fast
#: the native verifier and the prepare processes make one message (with 4, all were done
#: before the second kill on a quick run).
MESSAGES = 10
#: Seconds after a message is claimed at which successive kills land (spread over a message).
KILL_AT = (0.0, 0.6)


def held_by(spool: Spool, pid: int) -> list[str]:
    """Items in work/ claimed by the worker process `pid`."""
    return [
        p.name
        for p in (spool.root / "work").iterdir()
        if p.name.split("@")[-1].startswith(f"{pid}.")
    ]


def start_worker(data: Path, log: Any) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIIA_INBOX_")}
    cmd = [sys.executable, "-m", "tests.hardening.worker_process", str(data)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_sigkill_in_the_middle_of_a_document_archives_each_message_once(tmp_path: Path) -> None:
    signed = signed_copy()
    data = tmp_path / "data"
    rt = Runtime.open(load_config(data_dir=data, env={}))
    try:
        with rt.db.session() as s:
            add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
        (rt.config.trust_dir / "root.der").write_bytes(signed.root_der)
        spool = Spool(rt.config.spool_dir)
        tokens = [f"k{n}" for n in range(MESSAGES)]
        copies = other_copies(DOCUMENTS)
        for token in tokens:  # accepted earlier (answered 250)
            spool.put(diia_email(copies, token), Envelope.now(SENDER, [BRANCH_ADDRESS]))

        kills = 0
        with open(tmp_path / "worker.log", "ab") as log:
            for delay in KILL_AT:
                proc = start_worker(data, log)
                try:
                    # Claimed by this process (work/ID@PID.TOKEN), not its predecessor's leftover.
                    wait_until(partial(held_by, spool, proc.pid), "a claimed item")
                    time.sleep(delay)
                    in_hand = held_by(spool, proc.pid)
                finally:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(PATIENCE)
                if in_hand:
                    kills += 1
        # The last start: it recovers what the killed ones held and drains the spool. A kill
        # can land just after a message was done, so the spool may already be empty: wait for
        # this worker's own "started" line too, or SIGTERM could come before its handler is
        # installed (exit -15 instead of a clean stop).
        final_log = tmp_path / "worker-final.log"
        with open(final_log, "ab") as log:
            proc = start_worker(data, log)
            try:
                wait_until(lambda: b"worker started" in final_log.read_bytes(), "worker started")
                wait_until(lambda: spool.depth() == 0, "spool drained after the kills")
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(PATIENCE) == 0
        assert kills == len(KILL_AT)  # every kill landed while an item was in hand

        assert archived_tokens(rt.db) == dict.fromkeys(tokens, 1)
        assert documents_per_token(rt.db) == dict.fromkeys(tokens, DOCUMENTS)
        assert not list((spool.root / "quarantine").iterdir())
        assert not list((spool.root / "tmp").iterdir())
    finally:
        rt.close()


async def test_crash_between_archive_commit_and_spool_done_stores_once(sqlite_runtime: Any) -> None:
    rt = sqlite_runtime
    with rt.db.session() as s:
        add_branch(s, "Готель «Дніпро»", "Дніпро, вул. Тестова, 1", BRANCH_ADDRESS)
    signed = signed_copy()
    deps = make_pipeline(rt, [signed.root_der])
    spool = Spool(rt.config.spool_dir)
    raw = diia_email(signed, "window")
    item_id = spool.put(raw, Envelope.now(SENDER, [BRANCH_ADDRESS]))

    # A worker of a process that no longer exists claimed it, committed, and died.
    item = spool.claim()
    assert item is not None and item.id == item_id
    assert process(raw, item.envelope, deps).status == "archived"
    dead_owner = "2147483646.deadbeef"  # a PID above pid_max: certainly not alive
    item.dir.rename(spool.root / "work" / f"{item_id}@{dead_owner}")

    # The next start: `Worker.start` recovers the dead process's items, then drains.
    assert spool.recover() == 1
    handled = await Worker(spool, deps).drain()

    assert [h.item_id for h in handled] == [item_id]
    assert handled[0].outcome is not None and handled[0].outcome.status == "duplicate"
    assert spool.depth() == 0 and not list((spool.root / "quarantine").iterdir())
    assert archived_tokens(rt.db) == {"window": 1}
    assert documents_per_token(rt.db) == {"window": 1}
