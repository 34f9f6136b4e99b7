"""Posters: the printed code reads back exactly (zbarimg on the PDF and on the SVG, rendered),
and the page says who asks, where, for what, how, and until when."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from archive.doctypes import NAMES
from archive.models import DOCUMENT_TYPES
from qrtools.errors import PosterError
from qrtools.poster import PosterFonts, PosterInfo, layout, make_qr, poster_pdf, poster_svg

from .conftest import ADDRESS, BRANCH, ORGANIZATION, zbar
from .payloads import ALL, CYRILLIC, LONG_URL

EXPIRES = dt.date(2027, 1, 10)


@pytest.fixture(scope="module")
def fonts() -> PosterFonts:
    return PosterFonts.default()


def info(payload: str, **changes: object) -> PosterInfo:
    base = PosterInfo(
        payload=payload,
        branch_name=BRANCH,
        address=ADDRESS,
        documents=("id-card", "taxpayer-card"),
        expires_at=EXPIRES,
        organization=ORGANIZATION,
        service_name="для поселення у готель",
    )
    return PosterInfo(**{**base.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", list(ALL.values()), ids=list(ALL))
def test_pdf_poster_decodes_to_the_payload(
    tmp_path: Path, fonts: PosterFonts, payload: str
) -> None:
    (tmp_path / "poster.pdf").write_bytes(poster_pdf(info(payload), fonts))
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "poster.pdf", "page"], cwd=tmp_path, check=True
    )
    assert zbar(tmp_path / "page-1.png") == [payload]


@pytest.mark.parametrize("payload", list(ALL.values()), ids=list(ALL))
def test_svg_poster_decodes_to_the_payload(
    tmp_path: Path, fonts: PosterFonts, payload: str
) -> None:
    (tmp_path / "poster.svg").write_text(poster_svg(info(payload), fonts), encoding="utf-8")
    subprocess.run(
        ["rsvg-convert", "-w", "1240", "-b", "white", "-o", "poster.png", "poster.svg"],
        cwd=tmp_path,
        check=True,
    )
    assert zbar(tmp_path / "poster.png") == [payload]


def pdf_text(data: bytes) -> str:
    return " ".join(PdfReader(BytesIO(data)).pages[0].extract_text().split())


def test_pdf_poster_says_who_where_what_how_and_until_when(fonts: PosterFonts) -> None:
    text = pdf_text(poster_pdf(info(CYRILLIC), fonts))
    for expected in (
        ORGANIZATION,
        BRANCH,
        ADDRESS,
        "Послуга: для поселення у готель",
        "паспорт громадянина України (ID-картка)",
        "картка платника податків (РНОКПП)",
        "Відкрийте застосунок Дія та натисніть «Сканувати QR-код».",
        "Наведіть камеру на цей код",
        "підтвердьте Дія.Підписом",
        "QR-код дійсний до 09.01.2027 включно.",
    ):
        assert expected in text, expected
    assert "закордон" not in text  # only the requested documents are listed


def test_pdftotext_reads_the_ukrainian_sentences(tmp_path: Path, fonts: PosterFonts) -> None:
    """Poppler, not our own reader, gets the Ukrainian text back out (the ToUnicode maps)."""
    (tmp_path / "poster.pdf").write_bytes(poster_pdf(info(CYRILLIC), fonts))
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "poster.pdf", "-"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    text = " ".join(done.stdout.decode("utf-8").split())
    for expected in (
        ORGANIZATION,
        BRANCH,
        ADDRESS,
        "Надішліть копії документів через Дія.QR",
        "• паспорт громадянина України (ID-картка)",
        "1. Відкрийте застосунок Дія та натисніть «Сканувати QR-код».",
        "2. Наведіть камеру на цей код і перевірте назву, адресу та перелік документів.",
        "3. Пройдіть фотоверифікацію, підтвердьте Дія.Підписом і надішліть лист із копіями.",
        "Потрібні всі документи зі списку: якщо якогось немає в Дії, копії не буде надіслано.",
        "QR-код дійсний до 09.01.2027 включно.",
    ):
        assert expected in text, expected


def test_every_document_type_fits_on_one_page(fonts: PosterFonts) -> None:
    data = poster_pdf(info(LONG_URL, documents=DOCUMENT_TYPES), fonts)
    text = pdf_text(data)
    assert len(PdfReader(BytesIO(data)).pages) == 1
    for name in NAMES.values():
        assert " ".join(name.full_uk.split()) in text


def test_english_poster(fonts: PosterFonts) -> None:
    text = pdf_text(poster_pdf(info(CYRILLIC, lang="en"), fonts))
    assert "Open the Diia app" in text
    assert "driving licence" not in text
    assert "Ukrainian passport (ID card)" in text


def test_pdf_is_deterministic_and_small(fonts: PosterFonts) -> None:
    first = poster_pdf(info(CYRILLIC), fonts)
    assert first == poster_pdf(info(CYRILLIC), fonts)
    assert first.startswith(b"%PDF-1.7") and first.rstrip().endswith(b"%%EOF")
    # The font is subset: the whole DejaVu Sans alone is about 740 KB.
    assert len(first) < 200_000


DIGEST = """
import datetime as dt, hashlib, sys
from qrtools.poster import PosterInfo, poster_pdf
info = PosterInfo(sys.argv[1], sys.argv[2], "м. Львів", ("id-card",), dt.date(2027, 1, 10))
print(hashlib.sha256(poster_pdf(info)).hexdigest())
"""


def test_pdf_is_the_same_bytes_in_another_process(fonts: PosterFonts) -> None:
    """A restarted server prints the same poster: nothing hangs on hash seeds or the clock."""
    here = poster_pdf(
        PosterInfo(CYRILLIC, BRANCH, "м. Львів", ("id-card",), dt.date(2027, 1, 10)), fonts
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", DIGEST, CYRILLIC, BRANCH],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert digests == {hashlib.sha256(here).hexdigest()}


def test_pdf_creation_date_is_the_codes_issue_date(fonts: PosterFonts) -> None:
    meta = PdfReader(BytesIO(poster_pdf(info(CYRILLIC), fonts))).metadata
    assert meta is not None and meta.creation_date is not None
    assert meta.creation_date.date() == dt.date(1970, 1, 1)  # no issue date known
    assert meta.producer == "diia-inbox"
    issued = PdfReader(
        BytesIO(poster_pdf(info(CYRILLIC, issued_at=dt.date(2026, 1, 10)), fonts))
    ).metadata
    assert issued is not None and issued.creation_date is not None
    assert issued.creation_date.date() == dt.date(2026, 1, 10)


def test_svg_is_well_formed_with_the_texts(fonts: PosterFonts) -> None:
    svg = poster_svg(info(CYRILLIC, branch_name='Кафе "<Світанок>" & Ко'), fonts)
    root = ET.fromstring(svg)
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert 'Кафе "<Світанок>" & Ко' in texts
    assert "QR-код дійсний до 09.01.2027 включно." in texts
    assert root.get("width") == "210mm" and root.get("height") == "297mm"


def test_code_has_quiet_zone_and_error_correction(fonts: PosterFonts) -> None:
    plan = layout(info(CYRILLIC), fonts)
    qr = make_qr(CYRILLIC)
    assert qr.error in ("M", "Q", "H")
    assert plan.qr.size == qr.symbol_size(scale=1, border=0)[0] + 8
    dark_rows = {row for row, _col, _len in plan.qr.runs}
    dark_cols = {c for _row, col, length in plan.qr.runs for c in range(col, col + length)}
    assert min(dark_rows) == 4 and max(dark_rows) == plan.qr.size - 5
    assert min(dark_cols) == 4 and max(dark_cols) == plan.qr.size - 5
    assert plan.qr.module * plan.qr.size >= 150  # at least about 5 cm on paper


def test_empty_or_oversized_payload_is_refused(fonts: PosterFonts) -> None:
    with pytest.raises(PosterError) as empty:
        poster_pdf(info(""), fonts)
    assert empty.value.reason == "QR_POSTER_FAILED"
    for render in (poster_pdf, poster_svg):
        with pytest.raises(PosterError) as oversized:
            render(info("x" * 5000), fonts)
        assert oversized.value.reason == "QR_POSTER_FAILED"
        assert "too large" in oversized.value.message("en")
