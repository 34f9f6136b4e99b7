"""The durable spool between the receiver (writer) and the worker (reader).

Modelled on Maildir and GNU Mailman's switchboard. Every item is a directory holding `message`
(the raw bytes as received), `envelope.json` and, once it was retried or set aside,
`state.json`. An item moves between four folders by `rename`, which is atomic, so a reader in
any process sees either a whole item or none:

    tmp/ID@OWNER     being received; removed when the session fails or its process died
    new/ID           committed: written, fsync'ed, renamed, the folder fsync'ed -> then 250
    work/ID@OWNER    claimed by a worker; `done` removes it, `retry` puts it back into new/
    quarantine/ID    set aside after a permanent failure or too many attempts, with a reason

OWNER is "PID.TOKEN" of the process that holds the item, so a restarted process (even one that
got the same PID, as in containers) can tell its predecessor's leftovers from live work of
other processes sharing the spool. Processing is at-least-once: a crash between the archive
commit and `done` hands the item out again, and the archive stores the same bytes once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.backoff import Backoff, StepLog
from ingest.envelope import Envelope

log = logging.getLogger("ingest.spool")

MESSAGE = "message"
ENVELOPE = "envelope.json"
STATE = "state.json"

#: Identifies this process incarnation in OWNER (see module docstring); fixed at import.
_PROCESS_TOKEN = secrets.token_hex(4)

#: A partial message older than this is removed even if its PID belongs to a live process (the
#: PID may have been reused by an unrelated one); no SMTP transfer lasts a day.
TMP_MAX_AGE_SECONDS = 24 * 3600


class SpoolError(Exception):
    """The spool cannot store or move an item (disk full, permissions, missing folder)."""

    reason = "SPOOL_UNAVAILABLE"


@dataclass(frozen=True)
class SpoolItem:
    """A claimed item: `path` is its message file (read it with `Spool.read` or stream it)."""

    id: str
    path: Path
    envelope: Envelope
    attempts: int

    @property
    def dir(self) -> Path:
        return self.path.parent


@dataclass(frozen=True)
class QuarantinedItem:
    id: str
    path: Path
    envelope: Envelope
    attempts: int
    reason: str
    quarantined_at: float


def _owner() -> str:
    return f"{os.getpid()}.{_PROCESS_TOKEN}"


def _owner_alive(owner: str) -> bool:
    pid_text, _, token = owner.partition(".")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return token == _PROCESS_TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def new_item_id() -> str:
    """Sortable by arrival time (nanoseconds), unique across processes."""
    return f"{time.time_ns():020d}.{os.getpid()}.{secrets.token_hex(4)}"


class SpoolWriter:
    """One message being received into tmp/. Call `commit` (then answer 250) or `abort`."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.id = new_item_id()
        self.size = 0
        self._dir = spool.root / "tmp" / f"{self.id}@{_owner()}"
        try:
            self._dir.mkdir(mode=0o700)
            self._fd: int | None = os.open(
                self._dir / MESSAGE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
        except OSError as exc:
            self.abort()
            raise SpoolError(f"cannot create a spool file: {exc.strerror}") from exc

    def write(self, chunk: bytes | memoryview) -> None:
        if self._fd is None:
            raise SpoolError("writer is closed")
        view = memoryview(chunk)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            self.abort()
            raise SpoolError(f"cannot write the spool file: {exc.strerror}") from exc
        self.size += len(chunk)

    def commit(self, envelope: Envelope) -> str:
        """Make the message durable in new/ and return its id. Blocking (several fsyncs)."""
        if self._fd is None:
            raise SpoolError("writer is closed")
        try:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
            _write_file(self._dir / ENVELOPE, envelope.to_json().encode())
            _fsync_dir(self._dir)
            new_dir = self.spool.root / "new"
            os.rename(self._dir, new_dir / self.id)
            _fsync_dir(new_dir)
        except OSError as exc:
            self.abort()
            raise SpoolError(f"cannot commit to the spool: {exc.strerror}") from exc
        return self.id

    def abort(self) -> None:
        """Forget the partial message; safe to call more than once."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        shutil.rmtree(self._dir, ignore_errors=True)


class Spool:
    """The spool folder; every method is safe to use from several processes at once."""

    FOLDERS = ("tmp", "new", "work", "quarantine")

    def __init__(
        self,
        root: Path | str,
        *,
        max_attempts: int = 5,
        backoff_seconds: float = 30.0,
        max_backoff_seconds: float = 3600.0,
    ) -> None:
        self.root = Path(root)
        self.max_attempts = max_attempts
        #: The one back-off of the ingest side (the worker loop and IMAP polling use it too).
        self.backoff = Backoff(backoff_seconds, max_backoff_seconds)
        #: Attempts and due times that could not be written to an item's state file (a full
        #: disk): kept here so the item still waits out its back-off in this process.
        self._unwritten: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        #: Warnings about items, once per back-off step (the worker writes through it too).
        self.warnings = StepLog(log)
        for name in self.FOLDERS:
            (self.root / name).mkdir(parents=True, exist_ok=True)

    # -- writer side ---------------------------------------------------------------------

    def open_writer(self) -> SpoolWriter:
        return SpoolWriter(self)

    def put(self, raw: bytes, envelope: Envelope) -> str:
        """Store a whole message durably (importers); returns its id."""
        writer = self.open_writer()
        writer.write(raw)
        return writer.commit(envelope)

    def clean_tmp(self) -> int:
        """Remove partial messages left in tmp/ by processes that no longer run."""
        removed = 0
        too_old = time.time() - TMP_MAX_AGE_SECONDS
        for entry in self._entries("tmp"):
            _, _, owner = entry.partition("@")
            try:
                old = (self.root / "tmp" / entry).stat().st_mtime < too_old
            except FileNotFoundError:
                continue
            if old or not _owner_alive(owner):
                shutil.rmtree(self.root / "tmp" / entry, ignore_errors=True)
                removed += 1
        return removed

    # -- reader side ---------------------------------------------------------------------

    def claim(self) -> SpoolItem | None:
        """Take the oldest item that is due, by renaming it into work/; None when none is."""
        now = time.time()
        for name in sorted(self._entries("new")):
            src = self.root / "new" / name
            attempts, not_before = self._schedule(name, self._state(src))
            if not_before > now:
                continue
            dst = self.root / "work" / f"{name}@{_owner()}"
            try:
                os.rename(src, dst)
            except FileNotFoundError:
                continue  # another worker was quicker
            envelope = Envelope.from_json((dst / ENVELOPE).read_bytes())
            return SpoolItem(name, dst / MESSAGE, envelope, attempts)
        return None

    def _schedule(self, item_id: str, state: dict[str, Any]) -> tuple[int, float]:
        """Attempts so far and the due time: the state file's, or the later unwritten ones."""
        attempts, not_before = int(state.get("attempts", 0)), float(state.get("not_before", 0))
        with self._lock:
            held = self._unwritten.get(item_id)
        if held is not None and held[0] >= attempts:
            attempts, not_before = held[0], max(not_before, held[1])
        return attempts, not_before

    def read(self, item: SpoolItem) -> bytes:
        return item.path.read_bytes()

    def done(self, item: SpoolItem) -> None:
        """Forget an item once the archive commit succeeded."""
        shutil.rmtree(item.dir, ignore_errors=True)
        self._forget(item.id)

    def _forget(self, item_id: str) -> None:
        with self._lock:
            self._unwritten.pop(item_id, None)
        self.warnings.forget(item_id)

    def retry(
        self, item: SpoolItem, reason: str, delay: float | None = None, *, transient: bool = False
    ) -> bool:
        """Put an item back for a later attempt; returns False if it was quarantined instead.

        A `transient` failure (the database or the disk is away) is never a reason to set
        accepted mail aside: it is retried, with the capped back-off, until it goes through.
        """
        attempts = item.attempts + 1
        if attempts >= self.max_attempts and not transient:
            self._quarantine_dir(item.dir, item.id, attempts, reason)
            return False
        if delay is None:
            delay = self.backoff.delay(attempts)
        self._move_back(item.dir, item.id, attempts, reason, time.time() + delay)
        return True

    def quarantine(self, item: SpoolItem, reason: str) -> None:
        self._quarantine_dir(item.dir, item.id, item.attempts + 1, reason)

    def recover(self) -> int:
        """At start-up: hand back items whose worker died, count the attempt; returns how many.

        Items that reach `max_attempts` this way go to quarantine with reason "INTERRUPTED".
        Items held by live processes (other workers) are left alone.
        """
        self.clean_tmp()
        moved = 0
        for entry in self._entries("work"):
            item_id, _, owner = entry.partition("@")
            if _owner_alive(owner):
                continue
            path = self.root / "work" / entry
            attempts = int(self._state(path).get("attempts", 0)) + 1
            try:
                if attempts >= self.max_attempts:
                    self._quarantine_dir(path, item_id, attempts, "INTERRUPTED")
                else:
                    self._move_back(path, item_id, attempts, "INTERRUPTED", 0.0)
            except FileNotFoundError:
                continue  # another process recovered it
            moved += 1
        return moved

    def depth(self) -> int:
        """Messages accepted and not yet done: waiting in new/ plus being worked on."""
        return len(self._entries("new")) + len(self._entries("work"))

    def oldest_pending(self) -> float | None:
        """Arrival time (epoch seconds, from the item id) of the oldest message accepted and
        not yet done; None when there is none. Everything accepted earlier has left the spool,
        which is what a backup on another node waits for. new/ and work/ are read twice in
        alternation, so an item moving between them while we read is still seen."""
        oldest: float | None = None
        for folder in ("new", "work", "new", "work"):
            for name in self._entries(folder):
                head = name.split(".", 1)[0]
                if head.isdigit():
                    arrived = int(head) / 1e9
                    oldest = arrived if oldest is None else min(oldest, arrived)
        return oldest

    def list_quarantine(self) -> list[QuarantinedItem]:
        items = []
        for name in sorted(self._entries("quarantine")):
            path = self.root / "quarantine" / name
            try:
                envelope = Envelope.from_json((path / ENVELOPE).read_bytes())
            except FileNotFoundError:
                continue
            state = self._state(path)
            items.append(
                QuarantinedItem(
                    id=name,
                    path=path / MESSAGE,
                    envelope=envelope,
                    attempts=int(state.get("attempts", 0)),
                    reason=str(state.get("reason", "")),
                    quarantined_at=float(state.get("quarantined_at", 0.0)),
                )
            )
        return items

    def release(self, item_id: str) -> None:
        """Give a quarantined item a fresh start (an operator fixed the cause)."""
        path = self.root / "quarantine" / item_id
        self._move_back(path, item_id, 0, "RELEASED", 0.0)

    def quarantined_messages(self) -> Iterator[tuple[str, bytes]]:
        """Each quarantined item's id and raw bytes (an erasure looks for a person's mail).

        An item whose message cannot be read yields empty bytes: the caller decides, and an
        item removed meanwhile by another process is simply not there.
        """
        for name in sorted(self._entries("quarantine")):
            path = self.root / "quarantine" / name
            try:
                raw = (path / MESSAGE if path.is_dir() else path).read_bytes()
            except OSError:
                raw = b""
            yield name, raw

    def remove_quarantined(self, item_id: str) -> bool:
        """Delete one quarantined item for good (erasure, retention); False if it was gone."""
        if not item_id or "/" in item_id or item_id.startswith("."):
            raise ValueError(f"not a spool item id: {item_id!r}")
        path = self.root / "quarantine" / item_id
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            return False
        return True

    def purge_quarantine(self, older_than: float) -> int:
        """Delete quarantined items last changed before `older_than` (epoch seconds).

        Quarantined mail is personal data kept only for an operator to look at; retention
        removes it after its period like archived copies.
        """
        removed = 0
        for name in sorted(self._entries("quarantine")):
            try:
                changed = (self.root / "quarantine" / name).stat().st_mtime
            except FileNotFoundError:
                continue
            if changed < older_than and self.remove_quarantined(name):
                removed += 1
        return removed

    # -- internals -----------------------------------------------------------------------

    def _entries(self, folder: str) -> list[str]:
        return [n for n in os.listdir(self.root / folder) if not n.startswith(".")]

    @staticmethod
    def _state(item_dir: Path) -> dict[str, Any]:
        try:
            data = json.loads((item_dir / STATE).read_bytes())
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_state(self, item_dir: Path, state: dict[str, Any]) -> None:
        tmp = item_dir / (STATE + ".tmp")
        _write_file(tmp, json.dumps(state, sort_keys=True).encode())
        os.rename(tmp, item_dir / STATE)

    def _move_back(
        self, item_dir: Path, item_id: str, attempts: int, reason: str, not_before: float
    ) -> None:
        try:
            self._write_state(
                item_dir, {"attempts": attempts, "reason": reason, "not_before": not_before}
            )
        except OSError:
            # A full disk cannot take the state file, but a rename needs no space: the item
            # goes back all the same rather than staying in work/, and this process keeps its
            # attempts and due time, so it still waits out the back-off (was: retried at once,
            # some 7 times a second, each try logging a line onto the full disk).
            with self._lock:
                self._unwritten[item_id] = (attempts, not_before)
            self.warnings.warning(
                item_id,
                attempts,
                "item %s: state not written (attempt %d), returned to the queue anyway",
                item_id,
                attempts,
            )
        else:
            with self._lock:
                self._unwritten.pop(item_id, None)
        os.rename(item_dir, self.root / "new" / item_id)
        _fsync_dir(self.root / "new")

    def _quarantine_dir(self, item_dir: Path, item_id: str, attempts: int, reason: str) -> None:
        state = {"attempts": attempts, "reason": reason, "quarantined_at": time.time()}
        self._write_state(item_dir, state)
        self._forget(item_id)
        os.rename(item_dir, self.root / "quarantine" / item_id)
        _fsync_dir(self.root / "quarantine")
