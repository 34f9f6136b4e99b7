"""Reading text out of PDF bytes with pypdf under budgets, and judging whether it is text at all.

Pure functions, no processes: `extract.py` runs `read_pdf` inside a reader process that the
operating system limits (address space, CPU; `sandbox.py`), and adds the wall-time limit and the
fallback extractor. Everything here still stops on its own budget (pages, decompressed bytes) so
the limits of the reader are the second line of defence, not the first. A reader reads many
documents, so `read_pdf` keeps nothing between calls: a new `PdfReader` each time, and the
logging and warnings state it changes restored on the way out.
"""

from __future__ import annotations

import io
import logging
import unicodedata
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Any

_CHUNK = 1 << 20


class DecompressionLimit(Exception):
    """A stream inflates past the budget: a decompression bomb, or a document far too big."""

    reason = "PDF_DECOMPRESSION_LIMIT"


@dataclass
class Budget:
    """Decompressed bytes still allowed for the whole document."""

    remaining: int

    def take(self, n: int) -> None:
        self.remaining -= n
        if self.remaining < 0:
            raise DecompressionLimit


@dataclass
class PdfText:
    text: str = ""
    pages: int = 0
    flags: list[str] = field(default_factory=list)
    reason: str | None = None


def _inflated_size(data: bytes, budget: Budget) -> None:
    """Inflate a Flate stream in bounded steps, charging the budget, keeping nothing."""
    d = zlib.decompressobj()
    buf = data
    try:
        while buf:
            out = d.decompress(buf, _CHUNK)
            budget.take(len(out))
            buf = d.unconsumed_tail
            if not out and not buf:
                break
    except zlib.error:
        return  # pypdf decides what a damaged stream yields


def _filters(stream: Any) -> list[str]:
    f = stream.get("/Filter")
    if f is None:
        return []
    f = f.get_object()
    return [str(x) for x in f] if isinstance(f, list) else [str(f)]


def _charge_streams(obj: Any, budget: Budget, seen: set[int], depth: int = 0) -> None:
    """Charge the page's content streams and form XObjects before pypdf decodes them."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    if depth > 8:
        return
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen:
            return
        seen.add(obj.idnum)
        obj = obj.get_object()
    if isinstance(obj, ArrayObject):
        for item in obj:
            _charge_streams(item, budget, seen, depth + 1)
        return
    if isinstance(obj, StreamObject):
        raw = obj._data  # the encoded bytes, not yet inflated
        filters = _filters(obj)
        if filters and filters[0] in ("/FlateDecode", "/Fl"):
            _inflated_size(raw, budget)
        else:
            budget.take(len(raw))
        resources = obj.get("/Resources")
        if resources is not None:
            _charge_resources(resources, budget, seen, depth + 1)
        return
    if isinstance(obj, DictionaryObject):
        return


def _charge_resources(resources: Any, budget: Budget, seen: set[int], depth: int) -> None:
    resources = resources.get_object()
    xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        x = ref.get_object()
        if x.get("/Subtype") == "/Form":
            _charge_streams(ref, budget, seen, depth)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def read_pdf(pdf: bytes, *, max_pages: int, max_decompressed_bytes: int, max_chars: int) -> PdfText:
    """Text of the first `max_pages` pages; flags say what was wrong with the file."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    out = PdfText()
    pypdf_log = logging.getLogger("pypdf")
    collect = _Collect()
    pypdf_log.addHandler(collect)
    old_propagate = pypdf_log.propagate
    pypdf_log.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = PdfReader(io.BytesIO(pdf), strict=False)
            if reader.is_encrypted:
                out.flags.append("encrypted")
                try:
                    # Many "protected" PDFs have only an owner password: they open with "".
                    opened = bool(reader.decrypt(""))
                except (NotImplementedError, FileNotDecryptedError, PdfReadError, ValueError):
                    opened = False
                if not opened:
                    out.reason = "ENCRYPTED"
                    return out
            out.pages = len(reader.pages)
            if out.pages > max_pages:
                out.flags.append("too_many_pages")
                out.reason = "PAGE_LIMIT"
            budget = Budget(max_decompressed_bytes)
            parts: list[str] = []
            chars = 0
            seen: set[int] = set()
            for i in range(min(out.pages, max_pages)):
                page = reader.pages[i]
                contents = page.get("/Contents")
                if contents is not None:
                    _charge_streams(page.raw_get("/Contents"), budget, seen)
                resources = page.get("/Resources")
                if resources is not None:
                    _charge_resources(resources, budget, seen, 1)
                piece = page.extract_text() or ""
                parts.append(piece)
                chars += len(piece)
                if chars >= max_chars:
                    out.flags.append("truncated")
                    break
            out.text = "\n".join(parts)[:max_chars]
        if collect.count or caught:
            out.flags.append("repaired")
    except (DecompressionLimit, LimitReachedError):
        out.flags.append("bomb")
        out.reason = "DECOMPRESSION_LIMIT"
        out.text = ""
    except MemoryError:
        out.flags.append("bomb")
        out.reason = "MEMORY_LIMIT"
        out.text = ""
    except RecursionError:
        out.flags.append("broken")
        out.reason = "UNREADABLE"
        out.text = ""
    except Exception:  # pypdf raises many kinds on damaged files; all mean "unreadable"
        out.flags.append("broken")
        out.reason = "UNREADABLE"
        out.text = ""
    finally:
        pypdf_log.removeHandler(collect)
        pypdf_log.propagate = old_propagate
    return out


_PUNCT = set(" \t\n\r.,:;!?()[]{}«»\"'’ʼ-–—/\\№%+*=<>@#&_|~$^`")


def text_quality(text: str) -> float:
    """Share of characters that belong in a Ukrainian document (1.0: all of them).

    Mojibake from a font without a usable ToUnicode map comes out as Latin-1 accented letters,
    private-use code points, replacement and control characters: those count against.
    """
    total = good = 0
    for ch in text:
        if ch.isspace():
            continue
        total += 1
        code = ord(ch)
        if 0x0400 <= code <= 0x04FF or (ch.isascii() and (ch.isalnum() or ch in _PUNCT)):
            good += 1
        elif ch in _PUNCT or unicodedata.category(ch) in ("Nd", "Pd", "Ps", "Pe", "Pi", "Pf"):
            good += 1
    return good / total if total else 0.0


def looks_garbled(text: str) -> bool:
    letters = sum(1 for ch in text if not ch.isspace())
    return letters >= 20 and text_quality(text) < 0.8


def has_text(text: str) -> bool:
    return sum(1 for ch in text if ch.isalnum()) >= 3
