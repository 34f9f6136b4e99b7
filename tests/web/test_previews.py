"""The page renderer behind the document page's pictures, with the real poppler tools.

Real PDFs from `tests.support.pdf` (one page and twelve pages), a damaged PDF, a PDF encrypted with
a user password (pypdf), a file that is no PDF at all, and a child that never finishes: each
gives pictures or a reason, never an exception. The cache is checked by counting how often
pdftoppm really runs (a wrapper script that logs each start, then runs the real program).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from archive.blobs import BlobStore
from archive.keyring import Keyring
from tests.support.pdf import make_diia_copy_pdf, make_pdf
from web.previews import PNG_MAGIC, PreviewCache, PreviewLimits, page_count, png_size

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None,
    reason="poppler-utils not installed",
)

TWELVE_PAGES = make_pdf([f"Рядок {n} — сторінка {n // 45 + 1}" for n in range(45 * 12)])


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def counting(tmp_path: Path, program: str, before: str = "") -> tuple[Path, Path]:
    """A wrapper that appends a line to a log on every start, then runs the real program."""
    log = tmp_path / f"{program}.log"
    script = tmp_path / f"counting-{program}"
    real = shutil.which(program)
    script.write_text(f'#!/bin/sh\necho run >> "{log}"\n{before}exec "{real}" "$@"\n')
    script.chmod(0o755)
    return script, log


def runs(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def cache_over(tmp_path: Path, keyring: Keyring | None = None, **limits: object) -> PreviewCache:
    blobs = BlobStore(tmp_path / "blobs", keyring)
    return PreviewCache(tmp_path / "previews", blobs, PreviewLimits(**limits))  # type: ignore[arg-type]


def test_a_copy_renders_its_pages_once_and_the_cache_answers_after(tmp_path: Path) -> None:
    pdftoppm, log = counting(tmp_path, "pdftoppm")
    cache = cache_over(tmp_path, pdftoppm=str(pdftoppm))
    sha = cache.blobs.put(TWELVE_PAGES)

    preview = cache.pages(7, sha)

    assert preview.readable and preview.reason is None
    assert (preview.pages, preview.rendered, preview.more) == (12, 10, 2)  # first ten only
    assert runs(log) == 1
    first = cache.page(7, sha, 1)
    assert first is not None and first.startswith(PNG_MAGIC)
    assert png_size(first) == preview.sizes[0]
    width, height = preview.sizes[0]
    assert width == 1000 and 1400 <= height <= 1420  # A4 at 1000 px across
    assert cache.page(7, sha, 10) is not None
    assert cache.page(7, sha, 11) is None  # only in the original PDF
    assert cache.page(7, sha, 0) is None
    # Again, and from a fresh cache object over the same folder (a restarted server): no run.
    again = PreviewCache(cache.root, cache.blobs, cache.limits)
    assert again.pages(7, sha) == preview
    assert again.page(7, sha, 3) == cache.page(7, sha, 3)
    assert runs(log) == 1


def test_thumbnail_is_small_and_cached(tmp_path: Path) -> None:
    pdftoppm, log = counting(tmp_path, "pdftoppm")
    cache = cache_over(tmp_path, pdftoppm=str(pdftoppm))
    sha = cache.blobs.put(make_diia_copy_pdf())

    thumb = cache.thumb(3, sha)

    assert thumb is not None and thumb.startswith(PNG_MAGIC)
    assert png_size(thumb)[0] == 128
    assert cache.thumb(3, sha) == thumb
    assert runs(log) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("damaged", make_pdf(["Тест"])[:200] + b"\x00garbage" * 50, "UNREADABLE"),
        ("encrypted", encrypted(make_diia_copy_pdf()), "UNREADABLE"),
        ("not a pdf", b"PK\x03\x04" + b"\x00" * 400, "NOT_A_PDF"),
    ],
)
def test_unreadable_files_give_a_reason_once(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    pdfinfo, info_log = counting(tmp_path, "pdfinfo")
    pdftoppm, render_log = counting(tmp_path, "pdftoppm")
    cache = cache_over(tmp_path, pdfinfo=str(pdfinfo), pdftoppm=str(pdftoppm))
    sha = cache.blobs.put(data)

    preview = cache.pages(1, sha)

    assert not preview.readable, name
    assert preview.reason == reason
    assert (preview.pages, preview.rendered) == (0, 0)
    assert cache.page(1, sha, 1) is None
    assert cache.thumb(1, sha) is None
    attempts = runs(info_log) + runs(render_log)
    assert cache.pages(1, sha) == preview  # remembered: a hostile file costs one attempt
    assert runs(info_log) + runs(render_log) == attempts
    assert attempts <= 1


def test_the_encrypted_fixture_is_really_encrypted() -> None:
    """Guards the test above: pypdf made a file that needs a password to read."""
    reader = PdfReader(io.BytesIO(encrypted(make_diia_copy_pdf())))
    assert reader.is_encrypted
    assert not page_count(encrypted(make_diia_copy_pdf()), PreviewLimits()).readable
    assert page_count(make_diia_copy_pdf(), PreviewLimits()).pages == 1


def test_a_renderer_that_hangs_is_killed_and_reported(tmp_path: Path) -> None:
    """A child that never finishes (as poppler on a hostile file might) is killed at the
    limit; the copy gets the "no preview" box instead of a hung request."""
    hanging, log = counting(tmp_path, "pdftoppm", before="exec sleep 600\n")
    cache = cache_over(tmp_path, pdftoppm=str(hanging), seconds=1.0)
    sha = cache.blobs.put(make_diia_copy_pdf())

    preview = cache.pages(5, sha)

    assert not preview.readable and preview.reason == "TIMEOUT"
    assert runs(log) == 1


def test_missing_tool_is_a_reason_not_a_crash(tmp_path: Path) -> None:
    cache = cache_over(tmp_path, pdfinfo=str(tmp_path / "no-such-pdfinfo"))
    sha = cache.blobs.put(make_diia_copy_pdf())
    assert cache.pages(5, sha).reason == "TOOL_MISSING"


def test_images_are_sealed_at_rest_when_blobs_are(tmp_path: Path) -> None:
    ring = Keyring.generate()
    cache = cache_over(tmp_path, keyring=ring)
    sha = cache.blobs.put(make_diia_copy_pdf())

    assert cache.pages(9, sha).rendered == 1
    image = cache.page(9, sha, 1)

    stored = (cache.root / "9" / sha / "page-1.png").read_bytes()
    assert image is not None and image.startswith(PNG_MAGIC)
    assert not stored.startswith(PNG_MAGIC) and stored.startswith(b"DIIAENC1")
    assert image not in stored


def test_forget_removes_every_image_of_the_document(tmp_path: Path) -> None:
    cache = cache_over(tmp_path)
    sha = cache.blobs.put(make_diia_copy_pdf())
    keep = cache.blobs.put(make_pdf(["Інша копія"]))
    cache.pages(1, sha)
    cache.thumb(1, sha)
    cache.pages(2, keep)

    assert cache.forget([1, 99]) == 1

    assert not (cache.root / "1").exists()
    assert (cache.root / "2" / keep / "page-1.png").is_file()


def test_a_bad_digest_never_becomes_a_path(tmp_path: Path) -> None:
    cache = cache_over(tmp_path)
    with pytest.raises(ValueError):
        cache.pages(1, "../../etc/passwd".ljust(64, "a"))
