"""The poster fonts: metrics that agree with what the PDF draws, the embedded subset, and word
wrapping with real metrics."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from qrtools.errors import PosterError
from qrtools.fonts import FontMetrics
from qrtools.poster import PosterFonts, PosterInfo, poster_pdf, wrap

TEXT = "Надішліть копії: їжак, ґанок, Йосип, «№1» — ДІЯ"


@pytest.fixture(scope="module")
def fonts() -> PosterFonts:
    return PosterFonts.default()


@pytest.fixture(scope="module")
def font(fonts: PosterFonts) -> FontMetrics:
    return fonts.regular


def test_widths_are_the_ones_fpdf2_draws_with(fonts: PosterFonts) -> None:
    """The layout measures with fontTools, the PDF is set by fpdf2: the two must agree, or
    centred lines drift and wrapped lines overflow the column."""
    pdf = FPDF(unit="pt")
    pdf.add_font("poster", "", fonts.regular.path)
    pdf.add_font("poster", "B", fonts.bold.path)
    for style, metrics in (("", fonts.regular), ("B", fonts.bold)):
        pdf.set_font("poster", style, 12)
        assert metrics.has("ї") and metrics.has("ґ")
        assert metrics.width(TEXT, 12) == pytest.approx(pdf.get_string_width(TEXT), abs=1e-6)


def embedded_fonts(data: bytes) -> dict[str, TTFont]:
    page = PdfReader(BytesIO(data)).pages[0]
    found = {}
    for ref in page["/Resources"]["/Font"].values():  # type: ignore[index]
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        found[str(font["/BaseFont"]).lstrip("/")] = TTFont(BytesIO(program))
    return found


def test_the_poster_embeds_small_subsets_of_both_fonts(fonts: PosterFonts) -> None:
    info = PosterInfo(
        payload="https://example.org/qr",
        branch_name=TEXT,
        address="м. Київ",
        documents=("id-card",),
        expires_at=dt.date(2027, 1, 10),
    )
    embedded = embedded_fonts(poster_pdf(info, fonts))
    # The full names of the two faces (fpdf2 drops the spaces).
    assert sorted(name.split("+", 1)[1] for name in embedded) == [
        "DejaVuSansBold",
        "DejaVuSansBook",
    ]
    full = TTFont(fonts.regular.path, lazy=True)
    for name, subset in embedded.items():
        assert name[:7].isupper() and name[6] == "+", name  # the subset tag PDF asks for
        # A few dozen letters of the poster, not the font's thousands of glyphs.
        assert len(subset.getGlyphOrder()) < len(full.getGlyphOrder()) // 20, name
        glyf = subset["glyf"]
        composites = [g for g in subset.getGlyphOrder() if glyf[g].isComposite()]
        assert composites, "ї and Й are composite glyphs in DejaVu Sans"
        for g in composites:  # the components came along
            for part in glyf[g].components:
                assert part.glyphName in glyf and glyf[part.glyphName].numberOfContours, part


def test_not_a_font_is_a_typed_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttf"
    for data in (b"\x00\x01\x00\x00" + b"\x00" * 8, b"not a font at all", b""):
        broken.write_bytes(data)
        with pytest.raises(PosterError) as err:
            FontMetrics.load(broken)
        assert err.value.reason == "QR_FONT_UNREADABLE", data
    with pytest.raises(PosterError) as missing:
        FontMetrics.load("/nonexistent/font.ttf")
    assert missing.value.reason == "QR_FONT_MISSING"


def test_a_missing_character_counts_as_the_missing_box(font: FontMetrics) -> None:
    assert not font.has("\U000f0000")  # a private-use plane character
    assert font.width("\U000f0000", 10) == font.missing_advance * 10 / 1000 > 0


@settings(max_examples=80, deadline=None)
@given(
    words=st.lists(
        st.text(alphabet="абвгґдеєжзиіїйклмнопрстуфхцчшщьюяABC«»№-", min_size=1, max_size=25),
        min_size=1,
        max_size=30,
    ),
    width=st.floats(min_value=40, max_value=480),
)
def test_wrap_fits_and_keeps_every_letter(
    font: FontMetrics, words: list[str], width: float
) -> None:
    text = " ".join(words)
    lines = wrap(text, font, 12, width)
    assert all(font.width(line, 12) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())
