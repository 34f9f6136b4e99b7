"""The spool: durable commit, claim/done/retry/quarantine, recovery after a dead process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from ingest.envelope import Envelope
from ingest.spool import Spool, SpoolItem

ENV = Envelope.now("sender@example.net", ["branch@inbox.example.org"], peer="192.0.2.1")


def dead_owner() -> str:
    """The OWNER label of a process that has exited."""
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{int(proc.stdout)}.deadbeef"


def test_put_claim_read_done(spool: Spool) -> None:
    item_id = spool.put(b"Subject: hi\r\n\r\nbody\r\n", ENV)
    assert [p.name for p in (spool.root / "new").iterdir()] == [item_id]
    assert spool.depth() == 1
    item = spool.claim()
    assert item is not None and item.id == item_id and item.attempts == 0
    assert item.envelope == ENV
    assert spool.read(item) == b"Subject: hi\r\n\r\nbody\r\n"
    assert spool.claim() is None
    assert spool.depth() == 1  # in work/
    spool.done(item)
    assert spool.depth() == 0
    assert not any(any((spool.root / f).iterdir()) for f in Spool.FOLDERS)


def test_claim_is_oldest_first(spool: Spool) -> None:
    ids = [spool.put(f"m{i}".encode(), ENV) for i in range(5)]
    claimed = [spool.claim() for _ in range(5)]
    assert [c.id for c in claimed if c] == ids


def test_writer_abort_leaves_nothing(spool: Spool) -> None:
    writer = spool.open_writer()
    writer.write(b"partial")
    writer.abort()
    writer.abort()
    assert not any(any((spool.root / f).iterdir()) for f in Spool.FOLDERS)


def test_retry_backs_off_then_quarantines(spool: Spool) -> None:
    spool = Spool(spool.root, max_attempts=3)
    spool.put(b"x", ENV)
    item = spool.claim()
    assert item is not None
    assert spool.retry(item, "VERIFY_UNAVAILABLE") is True  # default back-off: not due yet
    assert spool.claim() is None and spool.depth() == 1
    # An explicit zero delay makes it due at once.
    again = _claim_due_now(spool)
    assert again.attempts == 1
    assert spool.retry(again, "VERIFY_UNAVAILABLE", delay=0) is True
    third = spool.claim()
    assert third is not None and third.attempts == 2
    assert spool.retry(third, "VERIFY_UNAVAILABLE", delay=0) is False
    assert spool.depth() == 0
    [q] = spool.list_quarantine()
    assert q.id == item.id and q.reason == "VERIFY_UNAVAILABLE" and q.attempts == 3
    assert q.path.read_bytes() == b"x" and q.envelope == ENV
    spool.release(q.id)
    released = spool.claim()
    assert released is not None and released.attempts == 0


def _claim_due_now(spool: Spool) -> SpoolItem:
    """Make every deferred item due (as if the back-off had passed) and claim one."""
    for state in (spool.root / "new").glob("*/state.json"):
        state.write_text(state.read_text().replace('"not_before": ', '"not_before": 0, "x": '))
    item = spool.claim()
    assert item is not None
    return item


def test_quarantine_directly(spool: Spool) -> None:
    spool.put(b"not mime", ENV)
    item = spool.claim()
    assert item is not None
    spool.quarantine(item, "NO_PARCELS")
    [q] = spool.list_quarantine()
    assert (q.reason, q.attempts) == ("NO_PARCELS", 1)


def test_quarantined_mail_is_read_removed_and_purged_through_the_spool(spool: Spool) -> None:
    """Erasure and retention reach quarantined mail through the Spool, not its folder layout."""
    for raw in (b"Subject: old\r\n\r\nold", b"Subject: new\r\n\r\nnew", b"Subject: x\r\n\r\nx"):
        spool.put(raw, ENV)
        item = spool.claim()
        assert item is not None
        spool.quarantine(item, "NO_PARCELS")
    items = dict(spool.quarantined_messages())
    assert sorted(items.values()) == sorted(
        [b"Subject: old\r\n\r\nold", b"Subject: new\r\n\r\nnew", b"Subject: x\r\n\r\nx"]
    )
    by_raw = {raw: item_id for item_id, raw in items.items()}
    assert spool.remove_quarantined(by_raw[b"Subject: x\r\n\r\nx"])
    assert not spool.remove_quarantined(by_raw[b"Subject: x\r\n\r\nx"])  # already gone
    old = spool.root / "quarantine" / by_raw[b"Subject: old\r\n\r\nold"]
    os.utime(old, (time.time() - 86400 * 40, time.time() - 86400 * 40))
    assert spool.purge_quarantine(time.time() - 86400 * 30) == 1
    assert [raw for _, raw in spool.quarantined_messages()] == [b"Subject: new\r\n\r\nnew"]
    for bad in ("", "../new", ".hidden"):
        try:
            spool.remove_quarantined(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was taken as an item id")


def test_recover_returns_dead_workers_items_and_cleans_tmp(spool: Spool) -> None:
    spool = Spool(spool.root, max_attempts=2)
    owner = dead_owner()
    a, b, c = (spool.put(x, ENV) for x in (b"a", b"b", b"c"))
    for item_id in (a, b):
        os.rename(spool.root / "new" / item_id, spool.root / "work" / f"{item_id}@{owner}")
    # b was already interrupted once: this time it reaches max_attempts.
    (spool.root / "work" / f"{b}@{owner}" / "state.json").write_text('{"attempts": 1}')
    mine = spool.claim()  # c, held by this live process
    assert mine is not None and mine.id == c
    (spool.root / "tmp" / f"x@{owner}").mkdir()
    live = spool.open_writer()  # ours: must survive recovery
    assert spool.recover() == 2
    assert {p.name for p in (spool.root / "new").iterdir()} == {a}
    assert [q.reason for q in spool.list_quarantine()] == ["INTERRUPTED"]
    assert [p.name for p in (spool.root / "tmp").iterdir()] == [live._dir.name]
    recovered = spool.claim()
    assert recovered is not None and recovered.id == a and recovered.attempts == 1
    # The item claimed by this (live) process is not touched.
    assert mine.path.exists()
    live.abort()


def test_claims_from_several_processes_are_disjoint(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    ids = {spool.put(f"m{i}".encode(), ENV) for i in range(60)}
    script = (
        "import sys; from ingest.spool import Spool\n"
        "s = Spool(sys.argv[1])\n"
        "for item in iter(s.claim, None): print(item.id, flush=True)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(spool.root)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(3)
    ]
    seen: list[str] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        seen += out.split()
    assert sorted(seen) == sorted(ids)


def test_day_old_partial_messages_go_even_if_their_pid_is_alive(spool: Spool) -> None:
    stale = spool.root / "tmp" / f"x@{os.getppid()}.cafe"  # our parent: alive
    stale.mkdir()
    day_ago = time.time() - 25 * 3600
    os.utime(stale, (day_ago, day_ago))
    fresh = spool.root / "tmp" / f"y@{os.getppid()}.cafe"
    fresh.mkdir()
    assert spool.clean_tmp() == 1
    assert [p.name for p in (spool.root / "tmp").iterdir()] == [fresh.name]
