"""Reading a PDF in a throw-away child that the operating system limits, started in a millisecond.

Every PDF is read by `search.pdftext.read_pdf` in a child process of its own, under an
address-space and a CPU-time rlimit, killed when its wall time is up. What this module adds is
how the child is made: a *server* process, started once, imports pypdf and reads one small PDF
(so that pypdf's lazily imported parts and caches are in memory), then serves requests by
`os.fork()`: each child is a copy of that warm server, limits itself, reads one PDF, writes
its answer as JSON to a pipe and exits. The server never parses a PDF itself; it only forks,
waits and reports.

Why not a `multiprocessing.Process` per PDF (what this replaces): multiprocessing prepares every
child like a new interpreter (it re-runs the parent's main module, unpickles the process object,
and pypdf pays its first-use costs again in every child), which cost 60 to 250 ms per copy
against 30 ms for the reading itself. Reusing one reader process for several PDFs was not an
option: one hostile PDF could leave memory or state behind for the next, and RLIMIT_CPU counts
a process's whole life, not one document.

Several threads (the worker's loops) may extract at once: a `Sandbox` keeps one idle server per
concurrent caller and starts another when all are busy. Servers are daemon processes and leave
when their parent's end of the pipe closes.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from search.pdftext import read_pdf

_SERVER_MODULE = "search.sandbox"
#: Our packages: what the parent has imported of them is preloaded into the server's parent.
_OWN_PACKAGES = frozenset({"archive", "diia_inbox", "ingest", "qrtools", "search", "verify", "web"})
#: What the parent waits beyond the child's own wall limit before it gives up on the server.
_SERVER_GRACE_SECONDS = 5.0
_READ_CHUNK = 1 << 16

#: One page of Helvetica text with a ToUnicode map in a Flate stream: reading it once in the
#: server loads what pypdf imports and builds on first use, so children do not each pay it.
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
    """One PDF and the limits its child runs under."""

    pdf: bytes
    max_pages: int
    max_decompressed_bytes: int
    max_chars: int
    memory_bytes: int
    seconds: float


def failed(flag: str, reason: str) -> dict[str, Any]:
    """The answer for a child that gave none (killed, out of memory, out of CPU time)."""
    return {"text": "", "pages": 0, "flags": [flag], "reason": reason}


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def limit_self(memory_bytes: int, seconds: float) -> None:
    """rlimits for a child: room for `memory_bytes` more, CPU a little past the wall limit."""
    with contextlib.suppress(ValueError, OSError):
        cap = _vm_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with contextlib.suppress(ValueError, OSError):
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- in the child ---------------------------------------------------------------------------


def _read(job: ReadJob) -> bytes:
    try:
        r = read_pdf(
            job.pdf,
            max_pages=job.max_pages,
            max_decompressed_bytes=job.max_decompressed_bytes,
            max_chars=job.max_chars,
        )
        answer = {"text": r.text, "pages": r.pages, "flags": r.flags, "reason": r.reason}
        return json.dumps(answer, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except MemoryError:
        return json.dumps(failed("bomb", "MEMORY_LIMIT")).encode("ascii")


def _child(job: ReadJob, out: int) -> None:
    """Runs in the forked child and never returns: limit, read, answer, exit."""
    code = 0
    try:
        limit_self(job.memory_bytes, job.seconds)
        data = _read(job)
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]
    except BaseException:  # nothing may unwind into the server's copy of the stack
        code = 1
    finally:
        os._exit(code)


# --- in the server --------------------------------------------------------------------------


def _collect(fd: int, pid: int, seconds: float) -> dict[str, Any]:
    """The child's answer, or what its end says about it; kills it when its time is up."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + seconds
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not poller.poll(left * 1000):
            timed_out = True
            break
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    if timed_out:
        return failed("timeout", "TIMEOUT")
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        with contextlib.suppress(ValueError):
            answer = json.loads(b"".join(chunks).decode("utf-8", "surrogatepass"))
            if isinstance(answer, dict):
                # The child's CPU time, for benchmarks (the parent cannot see a grandchild's).
                answer["cpu_seconds"] = usage.ru_utime + usage.ru_stime
                return answer
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
        return failed("timeout", "TIMEOUT")
    return failed("bomb", "MEMORY_LIMIT")  # died without answering: out of memory


def _fork_one(job: ReadJob) -> dict[str, Any]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(job, write_end)
    os.close(write_end)
    try:
        return _collect(read_end, pid, job.seconds)
    finally:
        os.close(read_end)


def _serve(conn: Connection) -> None:
    """The server's loop: one job in, one forked child, one answer out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    read_pdf(_WARM_UP_PDF, max_pages=1, max_decompressed_bytes=1 << 20, max_chars=1000)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_fork_one(job))


# --- in the parent --------------------------------------------------------------------------


def _preload() -> list[str]:
    """Modules the multiprocessing fork server imports once, so servers start quickly.

    multiprocessing makes a new process re-run the parent's main script or module, and its
    "__main__" preload does not take effect for scripts in CPython 3.11: what makes the re-run
    cheap is that its imports are already there, so every module of ours the parent imported
    is preloaded (with them, the third-party packages they use)."""
    ours = sorted(m for m in list(sys.modules) if m.partition(".")[0] in _OWN_PACKAGES)
    return [_SERVER_MODULE, "pypdf", *ours]


def _context() -> Any:
    try:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_preload())
        return ctx
    except ValueError:
        return multiprocessing.get_context("spawn")


class _Server:
    def __init__(self) -> None:
        ctx = _context()
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(theirs,), daemon=True)
        self.proc.start()
        theirs.close()

    def ask(self, job: ReadJob) -> dict[str, Any] | None:
        """The server's answer, or None when the server itself failed (it is then stopped)."""
        try:
            self.conn.send(job)
            if self.conn.poll(job.seconds + _SERVER_GRACE_SECONDS):
                return dict(self.conn.recv())
        except (EOFError, OSError, ValueError):
            pass
        self.stop()
        return None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5.0)
        with contextlib.suppress(ValueError):
            self.proc.close()


class Sandbox:
    """Servers that fork a limited child per PDF; safe to share between threads."""

    def __init__(self) -> None:
        self._idle: list[_Server] = []
        self._lock = threading.Lock()

    def read(self, job: ReadJob) -> dict[str, Any]:
        """`read_pdf`'s result as a dict, or a failure (timeout, bomb) for a child that died.

        Raises OSError when no server process can be started or a server fails twice (host
        limits, not the PDF's doing)."""
        for _attempt in range(2):
            with self._lock:
                server = self._idle.pop() if self._idle else None
            if server is None:
                server = _Server()
            answer = server.ask(job)
            if answer is not None:
                with self._lock:
                    self._idle.append(server)
                return answer
        raise OSError("the extraction server stopped twice")

    def close(self) -> None:
        with self._lock:
            servers, self._idle = self._idle, []
        for server in servers:
            server.stop()
