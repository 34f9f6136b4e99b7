"""Import of saved mail: `.eml` files, folders of them and Maildir folders.

For organisations moving in with mail already received elsewhere. Each message goes through the
same `pipeline.process` as SMTP mail, with an envelope made from its headers (the sender, the
`Delivered-To`/`To` recipients that pick the branch, the newest `Received:` time). Because the
archive keys messages by the sha256 of their bytes, importing the same folder twice stores
nothing the second time, and the report says so.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.envelope import Envelope
from ingest.parcels import header_hints
from ingest.pipeline import Outcome, PipelineDeps, TransientError, process

log = logging.getLogger("diia_inbox.ingest.importer")

#: Largest file taken as a message; bigger ones are reported, not read into memory.
MAX_FILE_BYTES = 100 * 1024 * 1024


class ImportSourceError(Exception):
    """A path that cannot be imported at all (missing, unreadable); `reason` is stable."""

    reason = "IMPORT_SOURCE_UNREADABLE"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class FileResult:
    path: Path
    status: str  # archived | duplicate | quarantined | failed | skipped
    documents: int = 0
    reason: str | None = None


@dataclass
class ImportReport:
    results: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def documents(self) -> int:
        return sum(r.documents for r in self.results if r.status == "archived")

    @property
    def new(self) -> int:
        return self.count("archived") + self.count("quarantined")

    def summary(self) -> str:
        read = len(self.results)
        if read and self.new == 0 and self.count("failed") == 0:
            return (
                f"{read} message(s) read: nothing new, {self.count('duplicate')} already in "
                f"the archive, {self.count('skipped')} skipped"
            )
        return (
            f"{read} message(s) read: {self.count('archived')} archived "
            f"({self.documents} document(s)), {self.count('duplicate')} already in the archive, "
            f"{self.count('quarantined')} quarantined, {self.count('failed')} failed, "
            f"{self.count('skipped')} skipped"
        )


def is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def message_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every message file under `paths`, in a stable order.

    A file is taken whatever its name; in a Maildir, every file of `new/` and `cur/` (and of
    its `.Folder` sub-maildirs); in any other folder, `*.eml` files, recursively.
    """
    for path in paths:
        if not path.exists():
            raise ImportSourceError("NOT_FOUND", f"no such file or folder: {path}")
        if path.is_file():
            yield path
        elif is_maildir(path):
            yield from _maildir_files(path)
        else:
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() == ".eml":
                    yield child
                elif child.is_dir() and is_maildir(child):
                    yield from _maildir_files(child, recurse=False)


def _maildir_files(root: Path, *, recurse: bool = True) -> Iterator[Path]:
    for sub in ("new", "cur"):
        yield from sorted(p for p in (root / sub).iterdir() if p.is_file())
    if recurse:
        for child in sorted(root.iterdir()):
            if child.name.startswith(".") and is_maildir(child):
                yield from _maildir_files(child, recurse=False)


def envelope_for(raw: bytes, fallback_time: datetime, source: str = "import") -> Envelope:
    """An envelope from the headers: the best we know about mail we did not receive ourselves."""
    hints = header_hints(raw)
    return Envelope(
        mail_from=hints.from_addr,
        rcpt_tos=hints.to_addrs,
        received_at=hints.received_at or fallback_time,
        peer=source,
        source=source,
    )


def import_paths(
    paths: Sequence[Path | str], deps: PipelineDeps, *, concurrency: int = 1
) -> ImportReport:
    """Import every message under `paths`; raises ImportSourceError for a missing path.

    `concurrency` messages are processed at once, on threads, as the worker's loops do: with
    a prepare pool in `deps` (`diia_inbox.wiring.with_prepare_pool`) the CPU-bound part of
    each runs in a process of its own, so moving an organisation's old mailbox in uses every
    core. At most twice that many files are in flight; the report keeps the files' order.
    """
    report = ImportReport()
    files = message_files(Path(p) for p in paths)
    if concurrency <= 1:
        report.results.extend(import_file(path, deps) for path in files)
        return report
    with ThreadPoolExecutor(concurrency, thread_name_prefix="import") as pool:
        pending: deque[Future[FileResult]] = deque()
        for path in files:
            pending.append(pool.submit(import_file, path, deps))
            if len(pending) >= 2 * concurrency:
                report.results.append(pending.popleft().result())
        report.results.extend(future.result() for future in pending)
    return report


def import_file(path: Path, deps: PipelineDeps) -> FileResult:
    try:
        stat = path.stat()
        if stat.st_size > MAX_FILE_BYTES:
            return FileResult(path, "skipped", reason="FILE_TOO_LARGE")
        if stat.st_size == 0:
            return FileResult(path, "skipped", reason="EMPTY_FILE")
        raw = path.read_bytes()
    except OSError as exc:
        return FileResult(path, "failed", reason=f"UNREADABLE:{type(exc).__name__}")
    mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
    try:
        outcome: Outcome = process(raw, envelope_for(raw, mtime), deps)
    except TransientError as exc:
        return FileResult(path, "failed", reason=exc.reason)
    return FileResult(path, outcome.status, len(outcome.documents), outcome.reason)
