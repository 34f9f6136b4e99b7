"""Diia-like copies of a real copy's size, for the benchmarks that read or process PDFs.

A real copy is an fpdf-like PDF with an embedded TrueType font and the holder's photo, a few
hundred kilobytes, most of it the JPEG. `tests/support/pdf.py`'s hand-made PDFs are 4 KB: fine
for tests, misleading for figures (reading a 300 KB file is not reading a 4 KB one). Here the
text comes from `tests/corpus/documents.py` (fpdf2, DejaVu, the layouts real copies have) and
the photo is a deterministic, photo-like JPEG: smooth shapes under sensor-like noise, which
compresses the way a photograph does (a flat test card would compress to almost nothing).
"""

from __future__ import annotations

import io
import random
import re

from PIL import Image, ImageDraw, ImageFilter

from tests.corpus.documents import SHEVCHENKO, copies_of, render

#: Pixels, JPEG quality and noise that make a copy of about 320 KB (the photo is 290 KB).
PHOTO_SIZE = (720, 960)
PHOTO_QUALITY = 90
NOISE = 0.2


def photo_jpeg(
    seed: int = 1, size: tuple[int, int] = PHOTO_SIZE, quality: int = PHOTO_QUALITY
) -> bytes:
    """A portrait-shaped JPEG that compresses like a photograph; the same bytes for a seed."""
    rng = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (rng.randrange(150, 220), rng.randrange(150, 220), 210))
    draw = ImageDraw.Draw(img)
    for _ in range(40):  # soft background shapes
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.randrange(20, w // 2)
        colour = tuple(rng.randrange(60, 230) for _ in range(3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)  # type: ignore[arg-type]
    draw.ellipse((w * 0.25, h * 0.15, w * 0.75, h * 0.6), fill=(224, 180, 150))  # a face
    draw.rectangle((w * 0.1, h * 0.65, w * 0.9, h), fill=(40, 50, 70))  # shoulders
    img = img.filter(ImageFilter.GaussianBlur(6))
    noise = Image.frombytes("RGB", size, rng.randbytes(w * h * 3))
    img = Image.blend(img, noise, NOISE)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def photo_copies(count: int, first_serial: int = 0, photo: bytes | None = None) -> list[bytes]:
    """`count` different copies with a photo: the eight document types of the fixture person in
    turn (fpdf2 takes most of a second per PDF to subset its font, so each type is rendered
    once), each made unique by an incremental update (a new document-information dictionary
    naming its serial), which is how an editor saves a PDF and what every reader handles."""
    photo = photo if photo is not None else photo_jpeg()
    bases = [render(copy, "inline", photo=photo) for copy in copies_of(SHEVCHENKO)[:count]]
    return [_with_serial(bases[i % len(bases)], first_serial + i) for i in range(count)]


def _with_serial(pdf: bytes, serial: int) -> bytes:
    """`pdf` plus an incremental update whose /Info says `serial` (classic xref table)."""
    trailer = pdf[pdf.rindex(b"trailer") :]
    size = int(re.search(rb"/Size (\d+)", trailer).group(1))  # type: ignore[union-attr]
    root = re.search(rb"/Root (\d+ \d+ R)", trailer).group(1)  # type: ignore[union-attr]
    prev = int(trailer[trailer.rindex(b"startxref") + 9 :].split()[0])
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    at = len(out)
    out += f"{size} 0 obj\n<< /Creator (Diia) /Subject (bench copy {serial}) >>\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 1\n0000000000 65535 f \n{size} 1\n{at:010d} 00000 n \n".encode()
    out += b"trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\n" % (
        size + 1,
        root,
        size,
        prev,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)
