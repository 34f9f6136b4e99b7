"""The poster fonts: where they are, and how wide a text set in them is.

Layout needs advance widths before anything is drawn, and the SVG poster needs them without any
PDF at all, so the metrics are read here with fontTools (character map and `hmtx` only). The PDF
side embeds the same files through fpdf2, which writes each glyph's width in thousandths of an
em (PDF's glyph space, the `/W` array) rounded half up; the widths here are rounded the same way,
so the layout plans with exactly the widths a viewer places the glyphs by.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError

from qrtools.errors import PosterError

#: What fontTools raises on a damaged or truncated file (it parses tables with struct and
#: asserts on inconsistent ones); a missing table is a KeyError.
_UNREADABLE = (TTLibError, struct.error, KeyError, IndexError, ValueError, AssertionError, EOFError)


def _bad_font(why: str) -> PosterError:
    return PosterError(
        f"Шрифт для плаката не читається: {why}.",
        f"The poster font cannot be read: {why}.",
        reason="QR_FONT_UNREADABLE",
    )


@dataclass(frozen=True)
class FontMetrics:
    """A TrueType file's path with the advance width of every character it maps, in 1/1000 em.

    A character the font lacks counts with the width of glyph 0 (the "missing" box), which is
    what a viewer draws in its place.
    """

    path: Path
    advances: dict[int, int]  # code point -> advance width in thousandths of an em
    missing_advance: int

    @classmethod
    def load(cls, path: str | Path) -> FontMetrics:
        path = Path(path)
        try:
            font = TTFont(path, lazy=True, recalcTimestamp=False)
        except OSError as exc:
            raise PosterError(
                f"Немає файлу шрифту {path}.",
                f"The font file {path} is missing ({exc.strerror}).",
                reason="QR_FONT_MISSING",
            ) from None
        except _UNREADABLE as exc:
            raise _bad_font(type(exc).__name__) from None
        try:
            with font:
                return cls._read(font, path)
        except _UNREADABLE as exc:
            raise _bad_font(type(exc).__name__) from None

    @classmethod
    def _read(cls, font: TTFont, path: Path) -> FontMetrics:
        if "glyf" not in font:
            raise _bad_font("not a TrueType font")
        cmap = font.getBestCmap()
        if not cmap:
            raise _bad_font("no Unicode character map")
        hmtx = font["hmtx"]
        scale = 1000 / int(font["head"].unitsPerEm)

        def thousandths(glyph: str) -> int:
            return math.floor(hmtx[glyph][0] * scale + 0.5)

        return cls(
            path=path,
            advances={code: thousandths(name) for code, name in cmap.items()},
            missing_advance=thousandths(font.getGlyphOrder()[0]),
        )

    def has(self, char: str) -> bool:
        return ord(char) in self.advances

    def width(self, text: str, size: float) -> float:
        """Advance width of `text` at `size` points, in points."""
        units = sum(self.advances.get(ord(c), self.missing_advance) for c in text)
        return units * size / 1000
