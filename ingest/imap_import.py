"""The first import of a mailbox that already holds years of mail: resumable, in the order the
operator chose (newest or oldest first), with progress, and never in the way of new mail.

The live reader and the import split the folder at a UID: the live reader takes what arrives
after it (see `ImapAccount.skip_history`), the import walks everything up to it, on its own
connection. Progress (order, boundary, the last UID done, counts) is saved in an
`ImportLedger` after every batch, before the batch is marked seen or moved, so a restart
continues after the last saved batch; at most one batch is fetched again and the archive,
which knows each message by its bytes, stores it once. A changed UIDVALIDITY starts over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import imaplib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ingest.imap import (
    DEFAULT_TIMEOUT,
    ImapError,
    UidState,
    _check_account,
    _quote,
    _select,
    _uidvalidity,
    account_key,
    connect,
)
from ingest.importer import envelope_for
from ingest.settings import ImapAccount
from ingest.spool import Spool

log = logging.getLogger("diia_inbox.ingest.imap_import")

BATCH = 100
ORDERS = ("newest", "oldest")


@dataclass
class ImportProgress:
    order: str = ""
    uidvalidity: int = 0
    boundary: int = 0
    #: Last UID done in `order`; 0 before the first batch.
    cursor: int = 0
    total: int = 0
    done: int = 0
    skipped: int = 0
    rate: float = 0.0
    state: str = ""  # "" | running | stopped | finished | failed

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done - self.skipped)

    def eta_seconds(self) -> float | None:
        return self.remaining / self.rate if self.rate > 0 else None


class ImportLedger(Protocol):
    """Where an import's progress is kept between runs (the database in production)."""

    def load(self, key: str) -> ImportProgress: ...
    def save(self, key: str, progress: ImportProgress) -> None: ...


@dataclass
class ImportReport:
    progress: ImportProgress
    spooled: int = 0
    seconds: float = 0.0
    #: (UID, reason) of every message left in the mailbox in this run.
    skipped: list[tuple[int, str]] = field(default_factory=list)
    resumed: bool = False


def _boundary(conn: imaplib.IMAP4, account: ImapAccount, state_dir: Path, uidvalidity: int) -> int:
    """The split between the import and the live reader (pinned here if nobody has yet)."""
    live = UidState(state_dir / f"{account_key(account)}.json")
    known, _last_uid = live.load()
    if known == uidvalidity:
        upto = live.history_upto()
        # A reader that took everything from UID 1 leaves nothing to import.
        return upto if upto is not None else 0
    typ, data = conn.uid("SEARCH", "ALL")
    if typ != "OK":
        raise ImapError("IMAP_SEARCH_FAILED")
    top = max((int(x) for x in (data[0] or b"").split()), default=0)
    live.save(uidvalidity, top, history_upto=top)
    return top


def _uids_upto(conn: imaplib.IMAP4, boundary: int) -> list[int]:
    if boundary <= 0:
        return []
    typ, data = conn.uid("SEARCH", "UID", f"1:{boundary}")
    if typ != "OK":
        raise ImapError("IMAP_SEARCH_FAILED")
    return sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u <= boundary)


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(u) for u in uids)


def _sizes(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    typ, data = conn.uid("FETCH", _uid_set(uids), "(UID RFC822.SIZE)")
    if typ != "OK":
        raise ImapError("IMAP_FETCH_FAILED")
    out: dict[int, int] = {}
    for item in data:
        blob = item[0] if isinstance(item, tuple) else item
        if not isinstance(blob, bytes):
            continue
        uid = re.search(rb"UID (\d+)", blob)
        size = re.search(rb"RFC822\.SIZE (\d+)", blob)
        if uid and size:
            out[int(uid.group(1))] = int(size.group(1))
    return out


def _bodies(conn: imaplib.IMAP4, uids: list[int]) -> dict[int, bytes]:
    if not uids:
        return {}
    typ, data = conn.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])")
    if typ != "OK":
        raise ImapError("IMAP_FETCH_FAILED")
    out: dict[int, bytes] = {}
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            uid = re.search(rb"UID (\d+)", item[0])
            if uid:
                out[int(uid.group(1))] = item[1]
    return out


def _mark(conn: imaplib.IMAP4, account: ImapAccount, uids: list[int]) -> None:
    if not uids:
        return
    if account.after_import == "seen":
        conn.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", r"(\Seen)")
        return
    target = _quote(account.move_to)
    if "MOVE" in conn.capabilities and conn.uid("MOVE", _uid_set(uids), target)[0] == "OK":
        return
    if conn.uid("COPY", _uid_set(uids), target)[0] != "OK":
        conn.create(target)
        if conn.uid("COPY", _uid_set(uids), target)[0] != "OK":
            raise ImapError("IMAP_MOVE_FAILED")
    conn.uid("STORE", _uid_set(uids), "+FLAGS.SILENT", r"(\Seen \Deleted)")
    conn.expunge()


def import_history(
    account: ImapAccount,
    spool: Spool,
    state_dir: Path,
    ledger: ImportLedger,
    *,
    order: str = "newest",
    max_message_bytes: int = 50 * 1024 * 1024,
    on_progress: Callable[[ImportProgress], None] = lambda p: None,
    should_stop: Callable[[], bool] = lambda: False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timeout: float = DEFAULT_TIMEOUT,
) -> ImportReport:
    """Import the mail that was in the folder before live reading began; resumable."""
    if order not in ORDERS:
        raise ImapError("CONFIG_INVALID", "order must be newest or oldest")
    _check_account(account)
    key = account_key(account)
    conn = connect(account, timeout)
    started = time.monotonic()
    try:
        _select(conn, account)
        uidvalidity = _uidvalidity(conn)
        progress = ledger.load(key)
        resumed = progress.uidvalidity == uidvalidity and progress.state not in ("", "finished")
        if progress.uidvalidity != uidvalidity or progress.state == "":
            if progress.uidvalidity and progress.uidvalidity != uidvalidity:
                log.warning("imap %s: UIDVALIDITY changed; the import starts over", key)
            boundary = _boundary(conn, account, state_dir, uidvalidity)
            progress = ImportProgress(order=order, uidvalidity=uidvalidity, boundary=boundary)
        uids = _uids_upto(conn, progress.boundary)
        if progress.cursor == 0:
            progress.total = len(uids)
        if progress.order == "newest":
            todo = [u for u in reversed(uids) if progress.cursor == 0 or u < progress.cursor]
        else:
            todo = [u for u in uids if u > progress.cursor]
        progress.state = "running"
        ledger.save(key, progress)
        report = ImportReport(progress=progress, resumed=resumed)
        for start in range(0, len(todo), BATCH):
            if should_stop():
                progress.state = "stopped"
                break
            batch = todo[start : start + BATCH]
            sizes = _sizes(conn, batch)
            wanted = [u for u in batch if u in sizes and sizes[u] <= max_message_bytes]
            for u in batch:
                if u not in sizes:
                    report.skipped.append((u, "GONE"))
                elif sizes[u] > max_message_bytes:
                    report.skipped.append((u, "TOO_LARGE"))
            bodies = _bodies(conn, wanted)
            for u in wanted:
                raw = bodies.get(u)
                if raw is None:
                    report.skipped.append((u, "GONE"))
                    continue
                envelope = envelope_for(raw, clock(), source="imap")
                if account.address:
                    rcpts = (account.address.lower(), *envelope.rcpt_tos)
                    envelope = dataclasses.replace(envelope, rcpt_tos=tuple(dict.fromkeys(rcpts)))
                spool.put(raw, envelope)
                report.spooled += 1
            taken = [u for u in wanted if u in bodies]
            progress.cursor = batch[-1]
            progress.done += len(taken)
            progress.skipped += len(batch) - len(taken)
            elapsed = time.monotonic() - started
            progress.rate = report.spooled / elapsed if elapsed > 0 else 0.0
            # Saved before the batch is marked: a crash in between fetches it again (the
            # archive stores it once), never loses it.
            ledger.save(key, progress)
            _mark(conn, account, taken)
            on_progress(progress)
        else:
            progress.state = "finished"
        ledger.save(key, progress)
        report.seconds = time.monotonic() - started
        return report
    except (OSError, imaplib.IMAP4.error, EOFError) as exc:
        raise ImapError("IMAP_PROTOCOL_ERROR", type(exc).__name__) from None
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


class MemoryLedger:
    """An ImportLedger in memory (one process; tests and one-off runs)."""

    def __init__(self) -> None:
        self.rows: dict[str, ImportProgress] = {}

    def load(self, key: str) -> ImportProgress:
        return dataclasses.replace(self.rows.get(key, ImportProgress()))

    def save(self, key: str, progress: ImportProgress) -> None:
        self.rows[key] = dataclasses.replace(progress)
