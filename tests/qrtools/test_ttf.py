"""The font subset the poster PDF embeds, and word wrapping with real metrics."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrtools.errors import PosterError
from qrtools.poster import PosterFonts, wrap
from qrtools.ttf import TrueTypeFont, _components

TEXT = "Надішліть копії: їжак, ґанок, Йосип, «№1» — ДІЯ"


@pytest.fixture(scope="module")
def font() -> TrueTypeFont:
    return PosterFonts.default().regular


def test_subset_keeps_used_glyphs_and_their_components(font: TrueTypeFont) -> None:
    used = {font.glyph(c) for c in TEXT}
    assert 0 not in used  # DejaVu has every character of the poster
    sub = TrueTypeFont.parse(font.subset(used), "sub")
    assert sub.width(TEXT, 12) == font.width(TEXT, 12)
    assert sub.cmap == font.cmap
    loca, glyf = sub._loca(), sub.tables[b"glyf"]
    full_loca, full_glyf = font._loca(), font.tables[b"glyf"]
    composite = font.glyph("ї")
    parts = _components(glyf[loca[composite] : loca[composite + 1]])
    assert parts, "ї is a composite glyph in DejaVu Sans"
    for gid in [*used, *parts]:  # outlines kept byte for byte (the space has none)
        assert glyf[loca[gid] : loca[gid + 1]].rstrip(b"\0") == full_glyf[
            full_loca[gid] : full_loca[gid + 1]
        ].rstrip(b"\0"), gid
    unused = font.glyph("Ж")
    assert full_loca[unused + 1] > full_loca[unused]
    assert loca[unused + 1] == loca[unused]  # outline dropped
    assert len(font.subset(used)) < len(font.tables[b"glyf"]) // 4


def test_not_a_font_is_a_typed_error(tmp_path: object) -> None:
    with pytest.raises(PosterError) as err:
        TrueTypeFont.parse(b"\x00\x01\x00\x00" + b"\x00" * 8, "broken")
    assert err.value.reason == "QR_FONT_UNREADABLE"
    with pytest.raises(PosterError) as missing:
        TrueTypeFont.load("/nonexistent/font.ttf")
    assert missing.value.reason == "QR_FONT_MISSING"


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
    font: TrueTypeFont, words: list[str], width: float
) -> None:
    text = " ".join(words)
    lines = wrap(text, font, 12, width)
    assert all(font.width(line, 12) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())
