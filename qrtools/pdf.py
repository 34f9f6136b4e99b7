"""A minimal one-page PDF writer: filled rectangles and text in embedded TrueType fonts.

Enough for a poster and nothing more, so it needs no PDF library. Text uses Type 0 fonts with
Identity-H encoding (two-byte glyph ids) and a ToUnicode map, so Cyrillic renders with the
embedded DejaVu subset and stays searchable and copyable. Layout code uses top-down
coordinates in points; the writer flips them to PDF's bottom-up ones. Output is deterministic
(no dates, no random ids), so the same poster is the same bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from qrtools.ttf import TrueTypeFont

A4 = (595.276, 841.89)


def _num(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _pdf_text_string(text: str) -> str:
    """A PDF text string in UTF-16BE with a byte order mark, as hex (safe for any character)."""
    return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"


@dataclass
class _FontUse:
    font: TrueTypeFont
    chars: dict[int, str] = field(default_factory=dict)  # glyph id -> first character


@dataclass
class PdfPage:
    """One page being drawn; `render()` gives the whole document."""

    width: float = A4[0]
    height: float = A4[1]
    title: str = ""
    _ops: list[str] = field(default_factory=list)
    _fonts: dict[str, _FontUse] = field(default_factory=dict)

    def add_font(self, key: str, font: TrueTypeFont) -> None:
        self._fonts[key] = _FontUse(font)

    def rect(self, x: float, top: float, w: float, h: float, gray: float = 0.0) -> None:
        """A filled rectangle whose top-left corner is (x, top)."""
        y = self.height - top - h
        self._ops.append(f"{_num(gray)} g {_num(x)} {_num(y)} {_num(w)} {_num(h)} re f")

    def text(
        self, x: float, baseline: float, size: float, font: str, text: str, gray: float = 0.0
    ) -> None:
        """Text starting at x with its baseline `baseline` points below the page top."""
        use = self._fonts[font]
        gids = []
        for char in text:
            gid = use.font.glyph(char)
            use.chars.setdefault(gid, char)
            gids.append(gid)
        hexed = "".join(f"{g:04X}" for g in gids)
        y = self.height - baseline
        self._ops.append(
            f"BT {_num(gray)} g /{font} {_num(size)} Tf {_num(x)} {_num(y)} Td <{hexed}> Tj ET"
        )

    def render(self) -> bytes:
        objects: list[bytes] = []

        def add(body: bytes) -> int:
            objects.append(body)
            return len(objects)

        def stream(data: bytes, extra: str = "") -> int:
            packed = zlib.compress(data, 9)
            head = f"<< /Length {len(packed)} /Filter /FlateDecode{extra} >>\nstream\n"
            return add(head.encode() + packed + b"\nendstream")

        font_refs = {key: self._embed(key, use, add, stream) for key, use in self._fonts.items()}
        content = stream("\n".join(self._ops).encode("ascii"))
        fonts = " ".join(f"/{key} {ref} 0 R" for key, ref in font_refs.items())
        pages_id = len(objects) + 2
        page = add(
            (
                f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {_num(self.width)} "
                f"{_num(self.height)}] /Resources << /Font << {fonts} >> >> "
                f"/Contents {content} 0 R >>"
            ).encode()
        )
        pages = add(f"<< /Type /Pages /Kids [{page} 0 R] /Count 1 >>".encode())
        if pages != pages_id:  # the page object points at its parent by number
            raise AssertionError("PDF object numbering out of step")
        catalog = add(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
        info = add(f"<< /Producer (diia-inbox) /Title {_pdf_text_string(self.title)} >>".encode())
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        out += (
            f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n"
        ).encode()
        return bytes(out)

    @staticmethod
    def _embed(
        key: str, use: _FontUse, add: Callable[[bytes], int], stream: Callable[..., int]
    ) -> int:
        font = use.font
        scale = 1000 / font.units_per_em
        name = f"{_subset_tag(key)}+{font.name}"
        program = font.subset(use.chars)
        file_ref = stream(program, f" /Length1 {len(program)}")
        bbox = " ".join(_num(v * scale) for v in font.bbox)
        descriptor = add(
            (
                f"<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{bbox}] "
                f"/ItalicAngle 0 /Ascent {_num(font.ascent * scale)} "
                f"/Descent {_num(font.descent * scale)} /CapHeight "
                f"{_num(font.cap_height * scale)} /StemV 80 /FontFile2 {file_ref} 0 R >>"
            ).encode()
        )
        widths = " ".join(
            f"{gid} [{_num(font.advances[gid] * scale)}]" for gid in sorted(use.chars)
        )
        cid_font = add(
            (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} /CIDSystemInfo "
                "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                f"/FontDescriptor {descriptor} 0 R /W [{widths}] /CIDToGIDMap /Identity >>"
            ).encode()
        )
        to_unicode = stream(_to_unicode(use.chars))
        return add(
            (
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
                f"/DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
            ).encode()
        )


def _subset_tag(key: str) -> str:
    """Six capital letters, as PDF wants for a subset font name; derived from the key."""
    seed = sum(key.encode()) * 7919
    return "".join(chr(ord("A") + (seed // 26**i) % 26) for i in range(6))


def _to_unicode(chars: dict[int, str]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = sorted(chars.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{gid:04X}> <{ch.encode('utf-16-be').hex().upper()}>" for gid, ch in chunk]
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")
