"""Importing a code from the files the Diia portal hands out (SVG, PNG, PDF; JPEG from phones)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
import segno
from fpdf import FPDF

from qrtools.decode import DecodeTools, decode_file, sniff
from qrtools.errors import DecodeError, MultipleCodes, NoCodeFound, ToolMissing, UnsupportedFile
from qrtools.poster import PosterFonts, _runs, _svg_path, make_qr

from .payloads import ALL, CYRILLIC, SHORT

IDS = list(ALL)


def segno_file(payload: str, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    segno.make(payload, micro=False).save(out, kind=kind, **options)
    return out.getvalue()


@pytest.mark.parametrize("payload", list(ALL.values()), ids=IDS)
def test_png(payload: str) -> None:
    assert decode_file(segno_file(payload, "png", scale=6), "qr.png") == payload


@pytest.mark.parametrize("payload", list(ALL.values()), ids=IDS)
def test_svg(payload: str) -> None:
    # segno's SVG is 1 unit per module, the way small vector downloads are.
    data = segno_file(payload, "svg")
    assert sniff(data) == "svg"
    assert decode_file(data, "qr.svg") == payload


@pytest.mark.parametrize("payload", list(ALL.values()), ids=IDS)
def test_pdf(payload: str) -> None:
    data = segno_file(payload, "pdf", scale=4)
    assert sniff(data) == "pdf"
    assert decode_file(data, "qr.pdf") == payload


def test_jpeg_photo_of_a_pdf(tmp_path: Path) -> None:
    (tmp_path / "qr.pdf").write_bytes(segno_file(CYRILLIC, "pdf", scale=4))
    subprocess.run(["pdftoppm", "-r", "150", "-jpeg", "qr.pdf", "qr"], cwd=tmp_path, check=True)
    data = (tmp_path / "qr-1.jpg").read_bytes()
    assert sniff(data) == "jpeg"
    assert decode_file(data, "photo.jpg") == CYRILLIC


def test_svg_without_xml_prolog_is_recognised_by_name() -> None:
    data = segno_file(SHORT, "svg", xmldecl=False)
    assert decode_file(data, "download.svg") == SHORT


def text_only_pdf() -> bytes:
    pdf = FPDF(unit="pt")
    pdf.add_font("poster", "", PosterFonts.default().regular.path)
    pdf.add_page()
    pdf.set_font("poster", size=14)
    pdf.text(72, 100, "Тут немає QR-коду")
    return bytes(pdf.output())


def blank_svg() -> bytes:
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<rect x="10" y="10" width="30" height="30"/></svg>'
    )


@pytest.mark.parametrize(
    ("name", "data"),
    [("nothing.pdf", text_only_pdf()), ("nothing.svg", blank_svg())],
    ids=["pdf", "svg"],
)
def test_file_without_a_code_is_rejected_with_a_reason(name: str, data: bytes) -> None:
    with pytest.raises(NoCodeFound) as err:
        decode_file(data, name)
    assert err.value.reason == "QR_NO_CODE_FOUND"
    assert "не знайдено QR-коду" in err.value.message("uk")
    assert "No QR code was found" in err.value.message("en")


def test_png_without_a_code(tmp_path: Path) -> None:
    (tmp_path / "blank.svg").write_bytes(blank_svg())
    subprocess.run(["rsvg-convert", "-o", "blank.png", "blank.svg"], cwd=tmp_path, check=True)
    with pytest.raises(NoCodeFound):
        decode_file((tmp_path / "blank.png").read_bytes(), "blank.png")


def test_two_codes_in_one_file_are_refused() -> None:
    paths = [
        f'<path transform="translate({x} 0)" d="{"".join(_svg_path(_runs(make_qr(p))))}"/>'
        for x, p in ((0, SHORT), (60, "https://diia.app/qr/other"))
    ]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 60" width="120" height="60">'
        f'<rect width="120" height="60" fill="#fff"/>{"".join(paths)}</svg>'
    )
    with pytest.raises(MultipleCodes) as err:
        decode_file(svg.encode(), "two.svg")
    assert err.value.reason == "QR_MULTIPLE_CODES"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "QR_UNSUPPORTED_FILE"),
        (b"GIF89a not supported", "QR_UNSUPPORTED_FILE"),
        (b"[section]\nkey = 1\n", "QR_UNSUPPORTED_FILE"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "QR_UNREADABLE_FILE"),
        (b"%PDF-1.7\nnot really a pdf", "QR_UNREADABLE_FILE"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed", "QR_UNREADABLE_FILE"),
    ],
    ids=["empty", "gif", "toml", "broken-png", "broken-pdf", "broken-svg"],
)
def test_unusable_files_get_a_typed_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_file(data, "upload.bin")
    assert err.value.reason == reason


def test_size_limit() -> None:
    data = segno_file(SHORT, "png", scale=6)
    with pytest.raises(UnsupportedFile) as err:
        decode_file(data, "qr.png", DecodeTools(max_bytes=len(data) - 1))
    assert err.value.reason == "QR_FILE_TOO_LARGE"


def test_missing_tool_is_reported() -> None:
    with pytest.raises(ToolMissing) as err:
        decode_file(segno_file(SHORT, "png"), "qr.png", DecodeTools(zbarimg="/nonexistent/zbarimg"))
    assert "zbarimg" in str(err.value)


def test_svg_claiming_a_giant_page_is_rendered_bounded() -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="1000000" height="10">'
        b'<rect width="1000000" height="10"/></svg>'
    )
    with pytest.raises(NoCodeFound):
        decode_file(svg, "giant.svg")
