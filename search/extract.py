"""Text extraction that a hostile PDF cannot turn against the worker.

pypdf runs in a child process forked from a preloaded fork server, under an address-space and a
CPU-time rlimit, while the parent waits at most `seconds` and then kills it. Whatever happens
in the child (a decompression bomb, ten thousand pages, a damaged cross-reference table, an
endless content stream) the caller gets an `Extraction` with flags and a reason, never an
exception. When the text comes out as garbage and `pdftotext` is installed, it gets a try with
the time that is left.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from search.pdftext import has_text, looks_garbled, read_pdf, text_quality
from search.settings import SearchSettings

_CHILD_MODULE = "search.extract"
_MIN_FALLBACK_SECONDS = 0.5


@dataclass(frozen=True)
class ExtractLimits:
    max_pages: int = 200
    max_decompressed_bytes: int = 200 * 1024 * 1024
    seconds: float = 20.0
    memory_bytes: int = 768 * 1024 * 1024
    max_chars: int = 2_000_000
    #: "auto": pdftotext when installed and pypdf's text is garbled or unreadable; "none".
    fallback: str = "auto"

    @classmethod
    def from_settings(cls, settings: SearchSettings) -> ExtractLimits:
        return cls(
            max_pages=settings.max_pages,
            max_decompressed_bytes=settings.max_decompressed_bytes,
            seconds=settings.extract_seconds,
            memory_bytes=settings.extract_memory_bytes,
            fallback=settings.fallback_extractor,
        )


@dataclass(frozen=True)
class Extraction:
    """The text of a copy and what went wrong getting it.

    flags: encrypted, too_many_pages, truncated, repaired, broken, bomb, timeout, garbled,
    no_text, fallback. reason: the one code that explains missing or partial text, else None.
    """

    text: str
    pages: int
    flags: tuple[str, ...]
    reason: str | None


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_self(memory_bytes: int, seconds: float) -> None:
    """rlimits for the child: room for `memory_bytes` more, CPU a little past the wall limit."""
    with contextlib.suppress(ValueError, OSError):
        cap = _vm_bytes() + memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    with contextlib.suppress(ValueError, OSError):
        cpu = int(seconds) + 2
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(conn: Connection, pdf: bytes, limits: ExtractLimits) -> None:
    _limit_self(limits.memory_bytes, limits.seconds)
    try:
        r = read_pdf(
            pdf,
            max_pages=limits.max_pages,
            max_decompressed_bytes=limits.max_decompressed_bytes,
            max_chars=limits.max_chars,
        )
        result: dict[str, Any] = {
            "text": r.text,
            "pages": r.pages,
            "flags": r.flags,
            "reason": r.reason,
        }
    except MemoryError:
        result = {"text": "", "pages": 0, "flags": ["bomb"], "reason": "MEMORY_LIMIT"}
    try:
        conn.send(result)
    except MemoryError:
        conn.send({"text": "", "pages": 0, "flags": ["bomb"], "reason": "MEMORY_LIMIT"})
    finally:
        conn.close()


#: Our packages: what the parent has imported of them is preloaded into the fork server.
_OWN_PACKAGES = frozenset({"archive", "diia_inbox", "ingest", "qrtools", "search", "verify", "web"})


def _preload() -> list[str]:
    """Modules the fork server imports once, so that children start in milliseconds.

    multiprocessing makes every child re-run the parent's main script or module (for
    `diia-inbox serve`, the whole application: over a second per PDF), and its "__main__"
    preload does not take effect for scripts in CPython 3.11. What makes the re-run cheap is
    that its imports are already in the server: so preload every module of ours that the
    parent has imported (with them, the third-party packages they use); the child then only
    re-executes the main body itself.
    """
    ours = sorted(m for m in list(sys.modules) if m.partition(".")[0] in _OWN_PACKAGES)
    return [_CHILD_MODULE, "pypdf", *ours]


def _context() -> Any:
    try:
        ctx = multiprocessing.get_context("forkserver")
        # Children fork from a server that already imported pypdf (once per parent process).
        ctx.set_forkserver_preload(_preload())
        return ctx
    except ValueError:
        return multiprocessing.get_context("spawn")


def _run_child(pdf: bytes, limits: ExtractLimits, seconds: float) -> dict[str, Any]:
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, pdf, limits), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(max(0.0, seconds)):
            try:
                return dict(parent.recv())
            except (EOFError, OSError):
                pass  # died without answering: look at how below
            proc.join(1.0)
            if proc.exitcode == -signal.SIGXCPU:
                return {"text": "", "pages": 0, "flags": ["timeout"], "reason": "TIMEOUT"}
            return {"text": "", "pages": 0, "flags": ["bomb"], "reason": "MEMORY_LIMIT"}
        return {"text": "", "pages": 0, "flags": ["timeout"], "reason": "TIMEOUT"}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5.0)
        parent.close()
        with contextlib.suppress(ValueError):
            proc.close()


def pdftotext_available() -> bool:
    return shutil.which("pdftotext") is not None


def run_pdftotext(pdf: bytes, limits: ExtractLimits, seconds: float) -> str | None:
    """poppler's extractor under the same rlimits; None when it fails or runs out of time."""
    exe = shutil.which("pdftotext")
    if exe is None or seconds <= 0:
        return None
    try:
        done = subprocess.run(
            [exe, "-q", "-l", str(limits.max_pages), "-enc", "UTF-8", "-", "-"],
            input=pdf,
            capture_output=True,
            timeout=seconds,
            preexec_fn=lambda: _limit_self(limits.memory_bytes, seconds),
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout[: limits.max_chars * 4].decode("utf-8", "replace")[: limits.max_chars]


def extract_text(pdf: bytes, limits: ExtractLimits) -> Extraction:
    """Text of a PDF within `limits`; never raises for bad input, never runs past the limit."""
    deadline = time.monotonic() + limits.seconds
    if b"%PDF-" not in pdf[:1024]:
        return Extraction("", 0, ("broken",), "NOT_A_PDF")
    try:
        r = _run_child(pdf, limits, limits.seconds)
    except OSError:  # no process could be started (limits of the host, not of the PDF)
        return Extraction("", 0, ("broken",), "EXTRACTOR_UNAVAILABLE")
    text, pages = str(r["text"]), int(r["pages"])
    flags: list[str] = list(r["flags"])
    reason: str | None = r["reason"]

    garbled = bool(text) and looks_garbled(text)
    if (
        limits.fallback == "auto"
        and (garbled or "broken" in flags)
        and "encrypted" not in flags
        and pdftotext_available()
    ):
        left = deadline - time.monotonic()
        other = run_pdftotext(pdf, limits, left) if left >= _MIN_FALLBACK_SECONDS else None
        if other and has_text(other) and text_quality(other) > text_quality(text):
            text, garbled = other, looks_garbled(other)
            flags.append("fallback")
            if reason == "UNREADABLE":
                reason = None
    if garbled:
        flags.append("garbled")
        reason = reason or "GARBLED"
    if not has_text(text) and "no_text" not in flags:
        flags.append("no_text")
        reason = reason or "NO_TEXT"
    return Extraction(text, pages, tuple(dict.fromkeys(flags)), reason)
