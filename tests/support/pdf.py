"""Tiny but real PDF documents for fixtures, with Ukrainian text that extractors can read back.

Why not a real font: embedding a Cyrillic TrueType font costs hundreds of kilobytes per fixture
and depends on fonts installed on the build machine. Instead each page uses the standard
Helvetica font with a custom single-byte encoding: ASCII keeps its WinAnsi codes, every other
character used in the document gets a code from 128 up, named with its AGL ``uniXXXX`` glyph name
(so viewers that substitute a system font draw the right glyph) and mapped back to Unicode by an
explicit ``/ToUnicode`` CMap (so pypdf, pdftotext and the search index extract the exact text).

`make_pdf` is deterministic: the same lines give the same bytes (no dates, random IDs or
compression), which keeps fixture digests stable across runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

__all__ = ["DiiaCopy", "diia_copy_lines", "make_diia_copy_pdf", "make_pdf"]

_FONT_SIZE = 12
_LEADING = 16
_TOP = 800
_LEFT = 50
_LINES_PER_PAGE = 45
_FIRST_EXTRA_CODE = 128
_MAX_EXTRA_CHARS = 256 - _FIRST_EXTRA_CODE

# Helvetica advance widths (AFM, 1/1000 em) for the printable ASCII codes 32..126 in WinAnsi.
_HELVETICA_ASCII_WIDTHS = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
# Metric-compatible widths (Liberation Sans, same advances as Helvetica/Arial) for А..я
# (U+0410..U+044F) and the other characters of Ukrainian documents; anything else gets 556.
_CYRILLIC_WIDTHS = (
    667, 656, 667, 542, 677, 667, 923, 604, 719, 719, 583, 656, 833, 722, 778, 719,
    667, 722, 611, 635, 760, 667, 740, 667, 917, 938, 792, 885, 656, 719, 1010, 722,
    556, 573, 531, 365, 583, 556, 669, 458, 559, 559, 438, 583, 688, 552, 556, 542,
    556, 500, 458, 500, 823, 500, 573, 521, 802, 823, 625, 719, 521, 510, 750, 542,
)  # fmt: skip
_OTHER_WIDTHS = {
    0x401: 667, 0x404: 719, 0x406: 278, 0x407: 278, 0x451: 556, 0x454: 510, 0x456: 222,
    0x457: 278, 0x490: 489, 0x491: 411, 0xAB: 556, 0xBB: 556, 0x2013: 556, 0x2014: 1000,
    0x2018: 222, 0x2019: 222, 0x201C: 333, 0x201D: 333, 0x2116: 1073, 0xA0: 278, 0xB0: 400,
}  # fmt: skip


def _width_of(char: str) -> int:
    code = ord(char)
    if 32 <= code <= 126:
        return _HELVETICA_ASCII_WIDTHS[code - 32]
    if 0x410 <= code <= 0x44F:
        return _CYRILLIC_WIDTHS[code - 0x410]
    return _OTHER_WIDTHS.get(code, 556)


# Adobe Glyph List names of the Cyrillic letters outside the two alphabetic runs, and of the
# punctuation Diia documents use. Type 1 fonts with Cyrillic (URW Nimbus Sans, which poppler
# substitutes for Helvetica) know the afii names, not uniXXXX.
_AGL_NAMES = {
    0x401: "afii10023", 0x451: "afii10071", 0x404: "afii10053", 0x454: "afii10101",
    0x406: "afii10055", 0x456: "afii10103", 0x407: "afii10056", 0x457: "afii10104",
    0x490: "afii10050", 0x491: "afii10098", 0x2116: "afii61352", 0x2019: "quoteright",
    0xAB: "guillemotleft", 0xBB: "guillemotright", 0x2014: "emdash", 0x2013: "endash",
    0xA0: "space", 0x2018: "quoteleft", 0x201C: "quotedblleft", 0x201D: "quotedblright",
}  # fmt: skip


def _glyph_name(char: str) -> str:
    """The glyph name for `char`: AGL ``afii`` names for Cyrillic, else ``uniXXXX``."""
    cp = ord(char)
    # А..Я are afii10017..afii10049 and а..я afii10065..afii10097, each run skipping the
    # slot of Ё/ё (afii10023/afii10071) after Е/е.
    for first, afii in ((0x410, 10017), (0x430, 10065)):
        if first <= cp <= first + 31:
            offset = cp - first
            return f"afii{afii + offset + (1 if offset >= 6 else 0)}"
    return _AGL_NAMES.get(cp, f"uni{cp:04X}")


class _Encoding:
    """The document's single-byte code assignment, shared by all pages and the ToUnicode CMap."""

    def __init__(self, lines: Sequence[str]) -> None:
        extra = sorted({ch for line in lines for ch in line if not 32 <= ord(ch) <= 126})
        if len(extra) > _MAX_EXTRA_CHARS:
            raise ValueError(f"too many distinct non-ASCII characters ({len(extra)})")
        for ch in extra:
            if ord(ch) < 32 or ord(ch) > 0xFFFF:
                raise ValueError(f"unsupported character U+{ord(ch):04X}")
        self.extra = extra
        self.codes = {ch: _FIRST_EXTRA_CODE + i for i, ch in enumerate(extra)}

    @property
    def last_code(self) -> int:
        return _FIRST_EXTRA_CODE + len(self.extra) - 1 if self.extra else 126

    def encode(self, text: str) -> bytes:
        return bytes(ord(ch) if 32 <= ord(ch) <= 126 else self.codes[ch] for ch in text)

    def char_for(self, code: int) -> str | None:
        if 32 <= code <= 126:
            return chr(code)
        if _FIRST_EXTRA_CODE <= code <= self.last_code:
            return self.extra[code - _FIRST_EXTRA_CODE]
        return None

    def widths(self) -> list[int]:
        out = []
        for code in range(32, self.last_code + 1):
            ch = self.char_for(code)
            out.append(_width_of(ch) if ch is not None else 0)
        return out

    def differences(self) -> str:
        names = " ".join("/" + _glyph_name(ch) for ch in self.extra)
        return f"[{_FIRST_EXTRA_CODE} {names}]" if self.extra else "[]"

    def to_unicode_cmap(self) -> bytes:
        pairs = []
        for code in range(32, self.last_code + 1):
            ch = self.char_for(code)
            if ch is not None:
                pairs.append(f"<{code:02X}> <{ord(ch):04X}>")
        blocks = []
        for i in range(0, len(pairs), 100):  # at most 100 entries per bfchar block
            chunk = pairs[i : i + 100]
            blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
        return (
            "/CIDInit /ProcSet findresource begin\n"
            "12 dict begin\n"
            "begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def\n"
            "/CMapType 2 def\n"
            "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n"
            + "\n".join(blocks)
            + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
        ).encode("ascii")


def _pdf_string(raw: bytes) -> bytes:
    """A PDF literal string; bytes outside printable ASCII are written as octal escapes."""
    out = bytearray(b"(")
    for b in raw:
        if b in b"()\\":
            out += b"\\" + bytes([b])
        elif 32 <= b <= 126:
            out.append(b)
        else:
            out += f"\\{b:03o}".encode("ascii")
    out += b")"
    return bytes(out)


def _page_content(lines: Sequence[str], enc: _Encoding) -> bytes:
    ops = [f"BT /F1 {_FONT_SIZE} Tf {_LEFT} {_TOP} Td".encode("ascii")]
    for i, line in enumerate(lines):
        if i:
            ops.append(f"0 -{_LEADING} Td".encode("ascii"))
        ops.append(_pdf_string(enc.encode(line)) + b" Tj")
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def _stream(body: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(body)}{extra} >>\nstream\n".encode("ascii") + body + b"\nendstream"


def make_pdf(lines: Sequence[str], *, title: str | None = None) -> bytes:
    """A valid PDF showing `lines` (one text line each, 45 per page) in Helvetica 12 pt.

    Text extracted by pypdf (`page.extract_text()` joined over pages) equals
    ``"\\n".join(lines)``, Ukrainian letters included. Lines must not contain control characters;
    a document may use at most 128 distinct non-ASCII characters.
    """
    lines = list(lines)
    for line in lines:
        if any(ord(ch) < 32 for ch in line):
            raise ValueError("lines must not contain control characters")
    enc = _Encoding([*lines, title or ""])
    pages = [lines[i : i + _LINES_PER_PAGE] for i in range(0, len(lines), _LINES_PER_PAGE)]
    if not pages:
        pages = [[]]

    # Object numbers: 1 catalog, 2 pages, 3 font, 4 ToUnicode, 5 info, then page/content pairs.
    first_page = 6
    page_refs = [first_page + 2 * i for i in range(len(pages))]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            "<< /Type /Pages /Kids ["
            + " ".join(f"{n} 0 R" for n in page_refs)
            + f"] /Count {len(pages)} >>"
        ).encode("ascii"),
        3: (
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
            " /Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding"
            f" /Differences {enc.differences()} >>"
            f" /FirstChar 32 /LastChar {enc.last_code}"
            f" /Widths [{' '.join(str(w) for w in enc.widths())}]"
            " /ToUnicode 4 0 R >>"
        ).encode("ascii"),
        4: _stream(enc.to_unicode_cmap()),
        5: b"<< /Producer (diia-inbox testpdf)"
        + (b" /Title " + _pdf_utf16_string(title) if title else b"")
        + b" >>",
    }
    for i, page_lines in enumerate(pages):
        page_no = page_refs[i]
        objects[page_no] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {page_no + 1} 0 R >>"
        ).encode("ascii")
        objects[page_no + 1] = _stream(_page_content(page_lines, enc))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode("ascii") + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    count = max(objects) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode("ascii")
    for num in range(1, count):
        out += f"{offsets[num]:010d} 00000 n \n".encode("ascii")
    out += (
        f"trailer\n<< /Size {count} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode("ascii")
    return bytes(out)


def _pdf_utf16_string(text: str) -> bytes:
    """A text string (document information) in UTF-16BE with BOM, as PDF requires for non-ASCII."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


@dataclass(frozen=True)
class DiiaCopy:
    """The visible facts of a Diia.QR document copy; defaults describe the invented fixture person.

    The person is Тарас Шевченко, a historical figure used as the project's fixture citizen; the
    numbers are invented (the RNOKPP has a valid check digit, the passport number does not exist).
    """

    document_title: str = "Паспорт громадянина України"
    full_name: str = "Шевченко Тарас Григорович"
    document_number: str = "000123456"
    rnokpp: str = "1234567899"
    birth_date: date = date(1814, 3, 9)
    created: date = date(2026, 11, 20)
    organization: str = "ТОВ «Готель Дніпро»"


def diia_copy_lines(copy: DiiaCopy | None = None) -> list[str]:
    """The text lines of a Diia-like copy: document, person, numbers, and who it was made for."""
    c = copy or DiiaCopy()
    return [
        c.document_title,
        c.full_name,
        f"Номер документа: {c.document_number}",
        f"РНОКПП: {c.rnokpp}",
        f"Дата народження: {c.birth_date:%d.%m.%Y}",
        f"Копію створено {c.created.isoformat()} для {c.organization}",
    ]


def make_diia_copy_pdf(copy: DiiaCopy | None = None) -> bytes:
    """A PDF with `diia_copy_lines(copy)`, titled like the document it copies."""
    c = copy or DiiaCopy()
    return make_pdf(diia_copy_lines(c), title=c.document_title)
