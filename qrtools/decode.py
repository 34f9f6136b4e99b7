"""Turn a code file downloaded from the Diia portal (PNG, JPEG, SVG or PDF) into its payload.

Decoding is zbar's (`zbarimg`); SVG is rasterised with `rsvg-convert` and PDF pages with
`pdftoppm` first. The tools run as subprocesses in a private temporary folder with a time limit,
so a hostile upload can neither hang a worker nor reach files outside that folder. Everything
that goes wrong is a typed DecodeError with a stable reason and a Ukrainian and English text.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from qrtools.errors import DecodeError, MultipleCodes, NoCodeFound, ToolMissing, UnsupportedFile

FileKind = Literal["png", "jpeg", "svg", "pdf"]

_SVG_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]", re.S
)


@dataclass(frozen=True)
class DecodeTools:
    """The external programs and their limits; tests and installations may point elsewhere."""

    zbarimg: str = "zbarimg"
    rsvg_convert: str = "rsvg-convert"
    pdftoppm: str = "pdftoppm"
    timeout_seconds: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    #: PDF pages looked at: the portal's download has the code on its first page.
    max_pdf_pages: int = 3


def sniff(data: bytes, filename: str = "") -> FileKind:
    """The kind of file by its content; the name only breaks ties for SVG written without
    an XML prolog. Content wins because browsers and users mislabel uploads."""
    head = data[:2048]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.lstrip().startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    text = head.lstrip(b"\xef\xbb\xbf")
    if _SVG_START.match(text) or (filename.lower().endswith(".svg") and b"<svg" in data[:65536]):
        return "svg"
    raise UnsupportedFile(
        "Файл не є зображенням PNG чи JPEG, SVG або PDF.",
        "The file is not a PNG or JPEG image, an SVG or a PDF.",
    )


def _run(args: Sequence[str], tools: DecodeTools, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            list(args),
            cwd=cwd,
            capture_output=True,
            timeout=tools.timeout_seconds,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ToolMissing(
            f"Не встановлено програму {args[0]}.", f"The program {args[0]} is not installed."
        ) from None
    except subprocess.TimeoutExpired:
        raise DecodeError(
            "Файл оброблявся задовго і був відкинутий.",
            "Processing the file took too long; it was rejected.",
            reason="QR_DECODE_TIMEOUT",
        ) from None


def _unreadable(kind: str) -> DecodeError:
    return DecodeError(
        f"Файл {kind.upper()} пошкоджений або не читається.",
        f"The {kind.upper()} file is damaged or unreadable.",
    )


def _zbar(image: Path, tools: DecodeTools) -> list[str]:
    """Payloads of the QR symbols in one image (empty when there are none)."""
    base = [tools.zbarimg, "-q", "-Sdisable", "-Sqrcode.enable"]
    listing = _run([*base, "--xml", image.name], tools, image.parent)
    if listing.returncode == 4:
        return []
    if listing.returncode != 0:
        raise _unreadable(image.suffix.lstrip("."))
    count = listing.stdout.count(b"<symbol ")
    if count == 0:
        return []
    if count > 1:
        # zbar's XML mangles non-ASCII data, so it only counts; the payloads themselves come
        # from the raw binary output below, which cannot separate several symbols reliably.
        raise MultipleCodes(
            "У файлі кілька QR-кодів; завантажте файл з одним кодом.",
            "The file holds several QR codes; upload a file with one code.",
        )
    raw = _run([*base, "-Sqrcode.binary", "--raw", image.name], tools, image.parent)
    if raw.returncode != 0:
        raise _unreadable(image.suffix.lstrip("."))
    data = raw.stdout[:-1] if raw.stdout.endswith(b"\n") else raw.stdout
    try:
        return [data.decode("utf-8")]
    except UnicodeDecodeError:
        # ISO 8859-1 is the QR standard's default when no ECI says otherwise.
        return [data.decode("latin-1")]


def _svg_images(path: Path, tools: DecodeTools) -> Iterator[Path]:
    # Fitted into a square box, so a hostile aspect ratio cannot ask for a giant bitmap; the
    # larger box only when needed, for a small code inside a big page.
    for box in (1600, 3200):
        out = path.with_name(f"svg-{box}.png")
        args = [tools.rsvg_convert, "-w", str(box), "-h", str(box), "-a", "-b", "white"]
        done = _run([*args, "-o", out.name, path.name], tools, path.parent)
        if done.returncode != 0 or not out.exists():
            raise _unreadable("svg")
        yield out


def _pdf_images(path: Path, tools: DecodeTools, long_side: int) -> list[Path]:
    # -scale-to bounds the bitmap whatever page size the file claims (about 150 dpi on A4).
    prefix = f"page-{long_side}"
    args = [tools.pdftoppm, "-scale-to", str(long_side), "-f", "1", "-l", str(tools.max_pdf_pages)]
    done = _run([*args, "-png", path.name, prefix], tools, path.parent)
    if done.returncode != 0:
        raise _unreadable("pdf")
    return sorted(path.parent.glob(f"{prefix}*.png"))


def _first_payloads(images: Iterable[Path], tools: DecodeTools) -> list[str]:
    for image in images:
        found = _zbar(image, tools)
        if found:
            return found
    return []


def decode_file(data: bytes, filename: str = "", tools: DecodeTools | None = None) -> str:
    """The payload of the single QR code in an uploaded file.

    Raises NoCodeFound when the file is readable but holds no QR code, MultipleCodes when it
    holds more than one, UnsupportedFile for other kinds of files and DecodeError otherwise.
    """
    tools = tools or DecodeTools()
    if not data:
        raise UnsupportedFile("Файл порожній.", "The file is empty.")
    if len(data) > tools.max_bytes:
        raise UnsupportedFile(
            f"Файл більший за {tools.max_bytes // (1024 * 1024)} МБ.",
            f"The file is larger than {tools.max_bytes // (1024 * 1024)} MB.",
            reason="QR_FILE_TOO_LARGE",
        )
    kind = sniff(data, filename)
    if kind == "png" and (data[12:16] != b"IHDR" or b"IEND" not in data[-12:]):
        # zbar reads a truncated PNG as an empty picture; say what is really wrong.
        raise _unreadable("png")
    with tempfile.TemporaryDirectory(prefix="qr-decode-") as tmp:
        path = Path(tmp) / f"upload.{'jpg' if kind == 'jpeg' else kind}"
        path.write_bytes(data)
        if kind in ("png", "jpeg"):
            found = _zbar(path, tools)
        elif kind == "svg":
            found = _first_payloads(_svg_images(path, tools), tools)
        else:
            found = _first_payloads(_pdf_images(path, tools, 1800), tools)
            if not found:
                found = _first_payloads(_pdf_images(path, tools, 3600), tools)
    if not found:
        raise NoCodeFound(
            "У файлі не знайдено QR-коду. Завантажте SVG, PNG або PDF із порталу Дія або "
            "вставте вміст коду.",
            "No QR code was found in the file. Upload the SVG, PNG or PDF from the Diia portal "
            "or paste the code's content.",
        )
    return found[0]
