"""Reading PDFs in a reused reader process that the operating system limits, job by job.

Every PDF is read by `search.pdftext.read_pdf` in a *reader*: a process of its own under an
address-space and a CPU-time rlimit, killed when its wall time is up. A reader is started once
(from multiprocessing's fork server, which has our modules and pypdf imported), reads one small
PDF to load what pypdf imports and builds on first use, and then reads PDFs one after another:
one job in, one answer out, over a pipe.

Why reuse and not a fresh process per PDF (what this replaces: a warm server forking a child per
PDF): the fork, its page faults and the exit cost about 6 ms of a 10 ms extraction, more than
`read_pdf` itself spends on a real copy. Reuse is safe here because what made a fresh process
necessary is now done per job:

- the limits are re-armed before every document: the soft RLIMIT_AS gives the document room for
  `memory_bytes` more than the reader holds at that moment (the hard limit, set at start, stops
  at what a reader may grow to), and the soft RLIMIT_CPU is moved to the reader's CPU time so
  far plus the document's own budget, so RLIMIT_CPU counting a process's whole life does not
  make one document pay for the ones before it; the wall limit is the parent's, per job;
- a reader that failed is discarded, never reused: one that ran out of memory answers
  bomb/MEMORY_LIMIT and exits (a MemoryError can strike anywhere, so its state is not trusted);
  one past its wall time is killed by the parent; one that died mid-job (SIGXCPU, a crash, the
  OOM killer) gives that document's failure answer; the next document gets a new reader;
- a reader holds nothing between documents that could change another's result: `read_pdf`
  builds a new `PdfReader` per document and restores the logging and warnings state it changes,
  and pypdf keeps no per-document caches at module level. (pypdf catches broad exceptions in
  places, around a damaged font for one, so a MemoryError it swallows is not seen here: that
  document's answer is what pypdf made of it, as in a fresh process, and the reader reads on,
  trusting CPython to stay consistent after a failed allocation, which it is built to do);
- a reader retires after `MAX_JOBS` documents or when its address space grew by more than
  `_MAX_GROWTH_BYTES` since its start, so memory fragmentation cannot accumulate.

Several threads (the worker's loops) may extract at once: a `Sandbox` keeps one idle reader per
concurrent caller and starts another when all are busy. Readers are daemon processes and leave
when their parent's end of the pipe closes.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import resource
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from search.pdftext import read_pdf

_READER_MODULE = "search.sandbox"
#: Our packages: what the parent has imported of them is preloaded into the readers' parent.
_OWN_PACKAGES = frozenset({"archive", "diia_inbox", "ingest", "qrtools", "search", "verify", "web"})
#: Documents one reader reads before it is replaced.
MAX_JOBS = 200
#: Growth of a reader's address space since its start after which it is replaced.
_MAX_GROWTH_BYTES = 64 << 20
#: How long a new reader may take to say it is ready: the first one also starts
#: multiprocessing's fork server, which imports our modules (seconds on a loaded machine).
_START_SECONDS = 120.0
#: What the parent waits beyond a document's wall limit (the pipe round trip), and for a reader
#: that closed its pipe to finish exiting.
_WALL_GRACE_SECONDS = 0.25
_EXIT_SECONDS = 5.0
_READY = "ready"

#: One page of Helvetica text with a ToUnicode map in a Flate stream: reading it once in a new
#: reader loads what pypdf imports and builds on first use, so documents do not pay it.
_WARM_UP_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]"
    b"/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>endobj\n"
    b"4 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>endobj\n"
    b"5 0 obj<</Length 44>>stream\nBT /F1 12 Tf 20 100 Td (warm up text) Tj ET\nendstream endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass(frozen=True)
class ReadJob:
    """One PDF and the limits it is read under."""

    pdf: bytes
    max_pages: int
    max_decompressed_bytes: int
    max_chars: int
    memory_bytes: int
    seconds: float


def failed(flag: str, reason: str) -> dict[str, Any]:
    """The answer for a reader that gave none (killed, out of memory, out of CPU time)."""
    return {"text": "", "pages": 0, "flags": [flag], "reason": reason}


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def limit_self(memory_bytes: int, seconds: float) -> None:
    """rlimits for a one-shot child (the fallback extractor): room for `memory_bytes` more, CPU
    a little past the wall limit."""
    with contextlib.suppress(ValueError, OSError):
        cap = _vm_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with contextlib.suppress(ValueError, OSError):
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def cpu_limit(used: float, seconds: float) -> int:
    """The soft RLIMIT_CPU for a document: the reader's CPU so far and the document's own
    budget, the one-shot child's `int(seconds) + 2`."""
    return math.ceil(used) + int(seconds) + 2


# --- in the reader --------------------------------------------------------------------------


def _arm(job: ReadJob, as_hard: int) -> None:
    """The limits of one document, from where the reader stands now."""
    with contextlib.suppress(ValueError, OSError):
        soft = min(_vm_bytes() + job.memory_bytes, as_hard)
        resource.setrlimit(resource.RLIMIT_AS, (soft, as_hard))
    with contextlib.suppress(ValueError, OSError):
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        soft = cpu_limit(_cpu_seconds(), job.seconds)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _read(job: ReadJob) -> dict[str, Any]:
    try:
        r = read_pdf(
            job.pdf,
            max_pages=job.max_pages,
            max_decompressed_bytes=job.max_decompressed_bytes,
            max_chars=job.max_chars,
        )
        return {"text": r.text, "pages": r.pages, "flags": r.flags, "reason": r.reason}
    except MemoryError:
        return failed("bomb", "MEMORY_LIMIT")


def _start_reading(memory_bytes: int) -> tuple[int, int]:
    """A new reader's set-up: warm pypdf, fix the hard address-space limit; (start VM, cap)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    read_pdf(_WARM_UP_PDF, max_pages=1, max_decompressed_bytes=1 << 20, max_chars=1000)
    base = _vm_bytes()
    cap = base + _MAX_GROWTH_BYTES + memory_bytes
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    return base, cap


def _serve(conn: Connection, memory_bytes: int) -> None:
    """The reader's loop: one job in, one answer and whether it reads on out, until it retires,
    fails or the pipe closes. Anything unexpected ends the process (the parent then answers for
    the document from how it ended)."""
    base, cap = _start_reading(memory_bytes)
    try:
        conn.send(_READY)
    except OSError:  # the parent went away while this reader started (a refused start-up)
        return
    for done in range(1, MAX_JOBS + 1):
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:  # a job too big to take in: that job's failure, and the pipe is spent
            conn.send((failed("bomb", "MEMORY_LIMIT"), False))
            return
        start = _cpu_seconds()
        _arm(job, cap)
        answer = _read(job)
        answer["cpu_seconds"] = _cpu_seconds() - start  # for benchmarks
        keep = (
            answer["reason"] != "MEMORY_LIMIT"
            and done < MAX_JOBS
            and _vm_bytes() <= base + _MAX_GROWTH_BYTES
        )
        try:
            conn.send((answer, keep))
        except MemoryError:
            conn.send((failed("bomb", "MEMORY_LIMIT"), False))
            return
        except OSError:  # the parent is gone: nobody to answer
            return
        if not keep:
            return


# --- in the parent --------------------------------------------------------------------------


def _preload() -> list[str]:
    """Modules the multiprocessing fork server imports once, so readers start quickly.

    multiprocessing makes a new process re-run the parent's main script or module, and its
    "__main__" preload does not take effect for scripts in CPython 3.11: what makes the re-run
    cheap is that its imports are already there, so every module of ours the parent imported
    is preloaded (with them, the third-party packages they use)."""
    ours = sorted(m for m in list(sys.modules) if m.partition(".")[0] in _OWN_PACKAGES)
    return [_READER_MODULE, "pypdf", *ours]


def process_context() -> Any:
    """The multiprocessing context every child process of ours comes from: the fork server,
    preloaded with what the parent imported of ours (`_preload`), else spawn. Shared by the
    extraction readers and the worker's prepare processes (ingest/prepare_pool.py): a process
    has one fork server, so whichever starts it first must give it the same preload."""
    try:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_preload())
        return ctx
    except ValueError:
        return multiprocessing.get_context("spawn")


class _Gone(Exception):
    """The reader was not there to take the job (it ended while idle)."""

    reason = "READER_GONE"


class _Reader:
    def __init__(self, memory_bytes: int) -> None:
        """A started reader, ready for its first job; OSError when none could be started."""
        ctx = process_context()
        self.memory_bytes = memory_bytes
        self.stopped = False
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(theirs, memory_bytes), daemon=True)
        try:
            self.proc.start()
        finally:
            theirs.close()
        try:
            ready = self.conn.poll(_START_SECONDS) and self.conn.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.stop()
            raise OSError("the PDF reader did not start")

    def idle_and_there(self) -> bool:
        """False for a reader that ended while idle: its end of the pipe closed (an idle reader
        never writes)."""
        try:
            return not self.conn.poll(0)
        except (OSError, ValueError):
            return False

    def ask(self, job: ReadJob) -> tuple[dict[str, Any], bool]:
        """The answer for `job`, and whether this reader may take another.

        Raises `_Gone` when the job could not be handed over."""
        try:
            self.conn.send(job)
        except (OSError, ValueError) as exc:
            raise _Gone from exc
        try:
            if self.conn.poll(job.seconds + _WALL_GRACE_SECONDS):
                answer, keep = self.conn.recv()
                return dict(answer), bool(keep)
        except (EOFError, OSError):
            return self.ended(), False
        self.stop()  # past its wall time
        return failed("timeout", "TIMEOUT"), False

    def ended(self) -> dict[str, Any]:
        """The answer for a document whose reader ended without giving one, from how it ended."""
        self.proc.join(_EXIT_SECONDS)
        code = self.proc.exitcode
        self.stop()
        if code == -signal.SIGXCPU:
            return failed("timeout", "TIMEOUT")
        return failed("bomb", "MEMORY_LIMIT")  # killed or died without answering: out of memory

    def stop(self) -> None:
        """Ends the reader (killed if it has not left by itself); once is enough."""
        if self.stopped:
            return
        self.stopped = True
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(_EXIT_SECONDS)
        with contextlib.suppress(ValueError):
            self.proc.close()


class Sandbox:
    """Reader processes that read PDFs under per-document limits; safe to share between threads.

    `readers_started` counts the readers this sandbox has started (a failed reader is replaced
    by a new one)."""

    def __init__(self) -> None:
        self._idle: list[_Reader] = []
        self._lock = threading.Lock()
        self._closed = False
        self.readers_started = 0

    def read(self, job: ReadJob) -> dict[str, Any]:
        """`read_pdf`'s result as a dict (with `cpu_seconds`, the reader's CPU for it), or a
        failure (timeout, bomb) when the reader did not answer for the document.

        Raises OSError only when no reader process can be started (host limits, not the PDF's
        doing)."""
        reader = self._take(job.memory_bytes)
        if reader is not None:
            try:
                return self._done(reader, *reader.ask(job))
            except _Gone:  # it ended while idle; not this document's doing
                reader.stop()
        reader = self._start(job.memory_bytes)
        try:
            answer, keep = reader.ask(job)
        except _Gone:  # a reader that was ready a moment ago ended as it took this document
            answer, keep = reader.ended(), False
        return self._done(reader, answer, keep)

    def _take(self, memory_bytes: int) -> _Reader | None:
        """An idle reader armed for `memory_bytes`; idle ones with another budget, or that ended
        while idle, are stopped."""
        while True:
            with self._lock:
                reader = self._idle.pop() if self._idle else None
            if reader is None:
                return None
            if reader.memory_bytes == memory_bytes and reader.idle_and_there():
                return reader
            reader.stop()

    def _start(self, memory_bytes: int) -> _Reader:
        reader = _Reader(memory_bytes)
        with self._lock:
            self.readers_started += 1
        return reader

    def _done(self, reader: _Reader, answer: dict[str, Any], keep: bool) -> dict[str, Any]:
        with self._lock:
            pooled = keep and not self._closed
            if pooled:
                self._idle.append(reader)
        if not pooled:
            reader.stop()
        return answer

    def idle_pids(self) -> list[int]:
        """Process ids of the idle readers (tests and diagnostics look at their limits)."""
        with self._lock:
            return [r.proc.pid for r in self._idle if r.proc.pid is not None]

    def close(self) -> None:
        with self._lock:
            readers, self._idle = self._idle, []
            self._closed = True
        for reader in readers:
            reader.stop()
