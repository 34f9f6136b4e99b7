"""Text extraction that a hostile PDF cannot turn against the worker.

pypdf runs in a reader process (`search.sandbox`), under an address-space and a CPU-time rlimit
armed for each document, killed when `seconds` of wall time are up. Whatever happens in the
reader (a decompression bomb, ten thousand pages, a damaged cross-reference table, an endless
content stream) the caller gets an `Extraction` with flags and a reason, never an exception.
When the text comes out as garbage and `pdftotext` is installed, it gets a try with the time
that is left.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

from search.pdftext import has_text, looks_garbled, text_quality
from search.sandbox import ReadJob, Sandbox, limit_self
from search.settings import SearchSettings

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

    def job(self, pdf: bytes) -> ReadJob:
        """`pdf` to be read by a sandbox's reader under these limits."""
        return ReadJob(
            pdf,
            max_pages=self.max_pages,
            max_decompressed_bytes=self.max_decompressed_bytes,
            max_chars=self.max_chars,
            memory_bytes=self.memory_bytes,
            seconds=self.seconds,
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
            preexec_fn=lambda: limit_self(limits.memory_bytes, seconds),
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout[: limits.max_chars * 4].decode("utf-8", "replace")[: limits.max_chars]


def extract_text(pdf: bytes, limits: ExtractLimits, sandbox: Sandbox | None = None) -> Extraction:
    """Text of a PDF within `limits`; never raises for bad input, never runs past the limit.

    `sandbox`: the long-lived one of the caller (the pipeline's extractor keeps one, so its
    reader is started once); without it one is started for this PDF and stopped after."""
    deadline = time.monotonic() + limits.seconds
    if b"%PDF-" not in pdf[:1024]:
        return Extraction("", 0, ("broken",), "NOT_A_PDF")
    job = limits.job(pdf)
    own = sandbox is None
    box = Sandbox() if sandbox is None else sandbox
    try:
        r = box.read(job)
    except OSError:  # no process could be started (limits of the host, not of the PDF)
        return Extraction("", 0, ("broken",), "EXTRACTOR_UNAVAILABLE")
    finally:
        if own:
            box.close()
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
