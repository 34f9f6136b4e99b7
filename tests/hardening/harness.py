"""Real parts for the fault-injection tests: a PostgreSQL of our own to stop and start, a small
file system to fill, an installation with the real receiver and worker on one event loop, and
the archive counts that tell "stored once" from "lost" or "stored twice".

Nothing here is a mock. The PostgreSQL cluster is a throw-away one (initdb into a temporary
folder, its own port), never the shared server other tests use. The full disk is a real tmpfs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import smtplib
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive.db import Database
from archive.models import Document, Message
from ingest.metrics import IngestMetrics
from ingest.settings import IngestSettings
from ingest.smtp import AddressCache, SmtpComponent
from ingest.spool import Spool
from ingest.worker import Worker
from tests.hardening.material import BRANCH_ADDRESS, SENDER, token_of
from tests.support.serve import free_port

#: A safety net for waits on real processes and file systems; reaching it is a failure.
PATIENCE = 120.0


def wait_until(check: Callable[[], bool], what: str, seconds: float = PATIENCE) -> None:
    """Poll `check` until true; fail with `what` when the safety net is reached."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.05)


# --- PostgreSQL of our own ------------------------------------------------------------------


def _pg_bin(name: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(name)
    return found


def pg_tools_available() -> str | None:
    """None when a private cluster can be made here, else why not (the test is skipped)."""
    try:
        _pg_bin("initdb")
        _pg_bin("pg_ctl")
    except FileNotFoundError:
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
        except (subprocess.CalledProcessError, FileNotFoundError):
            return "running as root without a 'postgres' user to run initdb as"
    return None


class OwnPostgres:
    """A private PostgreSQL cluster in a temporary folder on a free port: `stop()`/`start()`
    it at will. `stop(mode="immediate")` is a crash (no shutdown checkpoint, connections cut)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="diia-pg-"))
        self.port = free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.dir / "data"
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")
        self.start()
        self._run(_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "postgres", "archive")  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/archive"

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self._as, *cmd], check=True, capture_output=True, cwd="/")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.dir / "log"), "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _pids(self) -> list[int]:
        """The postmaster and its children (backends, checkpointer, ...), by PID."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(postmaster)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        return [postmaster, *(int(c) for c in children)]  # fmt: skip

    def freeze(self) -> None:
        """SIGSTOP the whole cluster: connections stay open, nothing answers (a hung server,
        an overloaded host, a network path that drops packets)."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.thaw()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# --- a small real file system ---------------------------------------------------------------


def tmpfs_available() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    probe = Path(tempfile.mkdtemp(prefix="diia-tmpfs-probe-"))
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run(["umount", str(probe)], check=True, capture_output=True)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        return f"cannot mount a tmpfs here: {exc}"
    finally:
        probe.rmdir()
    return None


@contextlib.contextmanager
def small_disk(size: str = "8m") -> Iterator[Path]:
    """A freshly mounted tmpfs of `size`, unmounted (and its folder removed) afterwards."""
    mount = Path(tempfile.mkdtemp(prefix="diia-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False, capture_output=True)
        mount.rmdir()


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` until at most `leave` bytes are free; returns the filler file to delete."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        chunk = bytes(64 * 1024)
        while (free := shutil.disk_usage(disk).free) > leave:
            try:
                os.write(fd, chunk[: max(1, min(len(chunk), free - leave))])
            except OSError:
                break  # ENOSPC: as full as it gets
    finally:
        os.close(fd)
    assert shutil.disk_usage(disk).free <= leave + 4096
    return filler


# --- an installation with the real receiver and worker on one loop --------------------------


@dataclass
class Node:
    """SMTP receiver + worker (what `serve` runs, minus the web app) on a thread's loop."""

    db: Database
    spool: Spool
    receiver: SmtpComponent
    worker: Worker | None
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.receiver.port

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(PATIENCE)

    def stop(self) -> None:
        self.call(self.receiver.stop())
        if self.worker is not None:
            self.call(self.worker.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(PATIENCE)
        self.loop.close()


def start_node(
    db: Database,
    spool: Spool,
    deps: Any | None,
    *,
    settings: IngestSettings | None = None,
    address_ttl: float = 5.0,
) -> Node:
    """Start a receiver (recipients from the archive's branches) and, given deps, a worker."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="node-loop", daemon=True)
    thread.start()
    settings = settings or IngestSettings(hostname="mx.test", idle_timeout=30.0)
    metrics = IngestMetrics(queue_depth=spool.depth)
    receiver = SmtpComponent(
        spool, AddressCache(db, ttl=address_ttl), settings, "127.0.0.1", 0, metrics
    )
    worker = Worker(spool, deps, metrics=metrics, idle_seconds=0.1) if deps else None
    node = Node(db, spool, receiver, worker, loop, thread)
    node.call(receiver.start())
    if worker is not None:
        receiver.on_spooled = worker.wake
        node.call(worker.start())
    return node


# --- a real SMTP client ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    token: str
    raw: bytes
    code: int  # the final reply to the transaction (RCPT refusal or DATA reply)
    reply: str


def send(port: int, raw: bytes, *, to: str = BRANCH_ADDRESS) -> Sent:
    """One SMTP transaction with smtplib, as a sending MTA does it; the reply is returned."""
    token = token_of(raw) or "?"
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo("mta.example.net")
        client.mail(SENDER)
        code, reply = client.rcpt(to)
        if code != 250:
            client.rset()
            return Sent(token, raw, code, reply.decode(errors="replace"))
        code, reply = client.data(raw)
        return Sent(token, raw, code, reply.decode(errors="replace"))


# --- "stored once" --------------------------------------------------------------------------


def archived_tokens(db: Database) -> Counter[str]:
    """How many message rows carry each token (tokens travel in the Subject: 'load TOKEN')."""
    with db.session() as s:
        subjects = s.execute(select(Message.subject)).scalars().all()
    return Counter(s.removeprefix("load ") for s in subjects if s and s.startswith("load "))


def documents_per_token(db: Database) -> Counter[str]:
    with db.session() as s:
        rows = s.execute(select(Message.subject).join(Document, Document.message_id == Message.id))
        return Counter(r[0].removeprefix("load ") for r in rows if r[0])


def retry_reasons(spool: Spool) -> list[str]:
    """The reasons recorded in `state.json` of the items waiting in new/ (retried ones)."""
    reasons = []
    for item in (spool.root / "new").iterdir():
        with contextlib.suppress(FileNotFoundError, ValueError):
            reasons.append(str(json.loads((item / "state.json").read_bytes()).get("reason")))
    return reasons


def spool_tokens(spool: Spool, folders: tuple[str, ...] = ("new", "work")) -> Counter[str]:
    found: Counter[str] = Counter()
    for folder in folders:
        for item in (spool.root / folder).iterdir():
            with contextlib.suppress(FileNotFoundError):
                found[token_of((item / "message").read_bytes()) or "?"] += 1
    return found
