"""Hostile and odd PDFs for the extraction tests, generated in memory (small, deterministic)."""

from __future__ import annotations

import io
import re
import zlib

from tests.support.pdf import make_diia_copy_pdf, make_pdf

_UNIT = 1 << 24  # 16 MiB of zeros per repeated deflate block


def _assemble(objects: dict[int, bytes], root: int = 1) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += f"{num} 0 obj\n".encode() + objects[num] + b"\nendobj\n"
    xref_at = len(out)
    count = max(objects) + 1
    out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
    for num in range(1, count):
        out += f"{offsets[num]:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {count} /Root {root} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def _stream(body: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(body)}{extra} >>\nstream\n".encode() + body + b"\nendstream"


def deflate_zeros(total: int) -> bytes:
    """A zlib stream of `total` zero bytes built from one repeated block: ~1/1000 of the size.

    After a full flush deflate restarts its window, so the same input gives the same bytes; the
    Adler-32 of n zeros is (n mod 65521) << 16 | 1, so the checksum is right without inflating.
    """
    c = zlib.compressobj(9)
    unit = bytes(_UNIT)
    first = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(unit) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)[:-4]
    reps = max(1, total // _UNIT)
    adler = ((reps * _UNIT) % 65521) << 16 | 1
    return first + again * (reps - 1) + tail + adler.to_bytes(4, "big")


def bomb_pdf(inflated: int = 4 << 30) -> bytes:
    """One page whose content stream inflates to `inflated` bytes (4 GiB by default)."""
    body = deflate_zeros(inflated)
    return _assemble(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            4: _stream(body, " /Filter /FlateDecode"),
        }
    )


def many_pages_pdf(pages: int = 10_000) -> bytes:
    """`pages` pages sharing one small content stream and font."""
    first = 5
    kids = " ".join(f"{first + i} 0 R" for i in range(pages))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        4: _stream(b"BT /F1 12 Tf 50 800 Td (Page of a very long file) Tj ET"),
    }
    for i in range(pages):
        objects[first + i] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
        )
    return _assemble(objects)


def broken_xref_pdf() -> bytes:
    """The fixture copy with every cross-reference offset and startxref pointing wrong."""
    pdf = make_diia_copy_pdf()
    pdf = re.sub(rb"(\d{10}) 00000 n", lambda m: b"%010d 00000 n" % (int(m[1]) + 7), pdf)
    return re.sub(rb"startxref\n\d+", b"startxref\n99999", pdf)


def encrypted_pdf(user_password: str = "secret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(make_diia_copy_pdf())).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def slow_pdf(operators: int = 3_000_000) -> bytes:
    """A page with millions of tiny text operators: small compressed, slow to interpret."""
    body = b"BT /F1 12 Tf " + b"(a) Tj 1 0 Td " * operators + b"ET"
    return _assemble(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            b" /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
            4: _stream(zlib.compress(body, 9), " /Filter /FlateDecode"),
            5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        }
    )


def garbled_pdf() -> bytes:
    """The fixture copy whose ToUnicode map sends every non-ASCII code to private-use points,
    the way subset fonts without a usable map come out of some generators."""
    pdf = make_pdf(
        [
            "Паспорт громадянина України",
            "Шевченко Тарас Григорович",
            "Дата народження дев'ятого березня",
        ]
    )
    return re.sub(rb"<([89A-F][0-9A-F])> <04([0-9A-F]{2})>", rb"<\1> <E0\2>", pdf)
