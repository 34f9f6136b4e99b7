"""Posters for the front desk: the code, who asks, where, for which documents, and how.

One layout (a list of positioned texts and boxes in points on A4, computed with the real font
metrics) is rendered twice: to a PDF through fpdf2 (which embeds a fontTools subset of the font
with a ToUnicode map, so the text stays searchable) and to an SVG, so the two formats never
drift apart. The code is drawn from segno's module matrix as filled rectangles,
with the standard quiet zone of four modules and error correction M (raised when the version
allows), which survives a printed, slightly worn poster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import segno
from fpdf import FPDF

from qrtools.errors import PosterError
from qrtools.fonts import FontMetrics
from qrtools.registry import CodeView
from qrtools.settings import QrSettings
from qrtools.texts import format_date, translator

#: A4 in points (210 × 297 mm).
A4 = (595.276, 841.89)
QUIET_ZONE = 4
MARGIN = 56.0
SVG_FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


@dataclass(frozen=True)
class PosterInfo:
    """What a poster shows; `expires_at` is the code's first invalid day (registry rule)."""

    payload: str
    branch_name: str
    address: str
    documents: tuple[str, ...]
    expires_at: dt.date
    organization: str = ""
    service_name: str = ""
    lang: str = "uk"
    #: The code's issue date: the PDF's creation date, so a poster of a code is the same bytes
    #: whenever it is printed (unknown: the Unix epoch, as reproducible builds do).
    issued_at: dt.date | None = None

    @property
    def last_valid_day(self) -> dt.date:
        return self.expires_at - dt.timedelta(days=1)

    @classmethod
    def from_view(
        cls,
        view: CodeView,
        organization: str = "",
        lang: str = "uk",
        *,
        refuse_unusable: bool = False,
    ) -> PosterInfo:
        """A poster for a registered code; the branch's organisation wins over the default.

        With `refuse_unusable`, a retired or expired code is refused (QR_POSTER_UNUSABLE_CODE):
        a poster of it would only show citizens «QR-код не зареєстрований в Дії».
        """
        if refuse_unusable and view.state in ("retired", "expired"):
            raise PosterError(
                f"QR-код №{view.id} прострочений або виведений з ужитку; плакат не потрібен.",
                f"QR code {view.id} is expired or retired; a poster of it would not work.",
                reason="QR_POSTER_UNUSABLE_CODE",
            )
        return cls(
            payload=view.payload,
            branch_name=view.branch_name,
            address=view.branch_address,
            documents=view.documents,
            expires_at=view.expires_at,
            organization=view.organization or organization,
            service_name=view.service_name,
            lang=lang,
            issued_at=view.issued_at,
        )


@dataclass(frozen=True)
class PosterFonts:
    regular: FontMetrics
    bold: FontMetrics

    @classmethod
    def load(cls, regular: str | Path, bold: str | Path) -> PosterFonts:
        return cls(FontMetrics.load(regular), FontMetrics.load(bold))

    @classmethod
    def default(cls) -> PosterFonts:
        settings = QrSettings()
        return cls.load(settings.font_regular, settings.font_bold)


@dataclass(frozen=True)
class Text:
    x: float
    baseline: float
    size: float
    bold: bool
    text: str
    gray: float = 0.0


@dataclass(frozen=True)
class QrBlock:
    """The code: `rows` of module runs (start, length), drawn from (x, top) at `module` points."""

    x: float
    top: float
    module: float
    size: int  # modules per side, quiet zone included
    runs: tuple[tuple[int, int, int], ...]  # (row, first column, length) of dark modules


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    texts: tuple[Text, ...]
    qr: QrBlock
    title: str


def make_qr(payload: str) -> segno.QRCode:
    if not payload:
        raise PosterError("Вміст QR-коду порожній.", "The QR payload is empty.")
    try:
        return segno.make(payload, error="m", boost_error=True, micro=False)
    except segno.DataOverflowError:
        raise PosterError(
            "Вміст завеликий для QR-коду.", "The payload is too large for a QR code."
        ) from None


def _runs(qr: segno.QRCode) -> tuple[tuple[int, int, int], ...]:
    runs = []
    for r, row in enumerate(qr.matrix):
        c = 0
        while c < len(row):
            if row[c] & 1:
                start = c
                while c < len(row) and row[c] & 1:
                    c += 1
                runs.append((r + QUIET_ZONE, start + QUIET_ZONE, c - start))
            else:
                c += 1
    return tuple(runs)


def wrap(text: str, font: FontMetrics, size: float, width: float) -> list[str]:
    """Greedy word wrap with the font's real advances; overlong words are cut by letters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.width(word, size) > width:
            cut = len(word) - 1
            while cut > 1 and font.width(word[:cut], size) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


class _Flow:
    """Top-down text placement in a column, tracking the pen position."""

    def __init__(self, fonts: PosterFonts, left: float, width: float, top: float) -> None:
        self.fonts, self.left, self.width, self.y = fonts, left, width, top
        self.items: list[Text] = []

    def para(
        self,
        text: str,
        size: float,
        *,
        bold: bool = False,
        gray: float = 0.0,
        indent: float = 0.0,
        hang: str = "",
        center: bool = False,
        leading: float = 1.3,
    ) -> None:
        font = self.fonts.bold if bold else self.fonts.regular
        body_x = self.left + indent + (font.width(hang, size) if hang else 0.0)
        lines = wrap(text, font, size, self.left + self.width - body_x)
        for i, line in enumerate(lines):
            self.y += size * leading if self.items or i else size
            x = body_x
            if center:
                x = self.left + (self.width - font.width(line, size)) / 2
            if hang and i == 0:
                self.items.append(Text(self.left + indent, self.y, size, bold, hang, gray))
            self.items.append(Text(x, self.y, size, bold, line, gray))

    def gap(self, points: float) -> None:
        self.y += points


def layout(info: PosterInfo, fonts: PosterFonts) -> Layout:
    """Place everything on A4; the code gets the height the texts leave, within bounds."""
    width, height = A4
    lang = info.lang
    column = width - 2 * MARGIN
    qr = make_qr(info.payload)
    size = int(qr.symbol_size(scale=1, border=QUIET_ZONE)[0])

    head = _Flow(fonts, MARGIN, column, MARGIN)
    if info.organization:
        head.para(info.organization, 20, bold=True, center=True)
        head.gap(4)
    head.para(info.branch_name, 16 if info.organization else 20, bold=True, center=True)
    head.para(info.address, 12, gray=0.25, center=True)
    head.gap(18)
    t = translator(lang)
    head.para(t("poster.title"), 17, bold=True, center=True)
    qr_top = head.y + 8

    tail = _Flow(fonts, MARGIN, column, 0.0)
    if info.service_name:
        tail.para(f"{t('poster.service')}: {info.service_name}", 12)
        tail.gap(6)
    tail.para(t("poster.documents") + ":", 13, bold=True)
    for code in info.documents:
        name = f"doctype.{code}.full"
        tail.para(t(name) if name in t else code, 12, indent=6, hang="•  ")
    tail.gap(8)
    tail.para(t("poster.steps") + ":", 13, bold=True)
    for n in (1, 2, 3):
        tail.para(t(f"poster.step{n}"), 12, indent=6, hang=f"{n}.  ")
    tail.gap(12)
    tail.para(t("poster.all_needed"), 8.5, gray=0.35)
    valid = t("poster.valid_through", date=format_date(info.last_valid_day))
    tail.para(valid, 8.5, gray=0.35)

    room = height - MARGIN * 0.6 - tail.y - qr_top - 10
    side = max(min(room, 340.0), 150.0)
    module = side / size
    side = module * size
    qr_block = QrBlock((width - side) / 2, qr_top, module, size, _runs(qr))
    shift = qr_top + side + 10
    texts = [
        *head.items,
        *(Text(t.x, t.baseline + shift, t.size, t.bold, t.text, t.gray) for t in tail.items),
    ]
    if texts[-1].baseline > height - 12:
        raise PosterError(
            "Текст не вміщується на аркуші A4; скоротіть назви.",
            "The text does not fit on an A4 page; shorten the names.",
            reason="QR_POSTER_OVERFLOW",
        )
    return Layout(width, height, tuple(texts), qr_block, f"Дія.QR — {info.branch_name}")


def _creation_date(info: PosterInfo) -> dt.datetime:
    day = info.issued_at or dt.date(1970, 1, 1)
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _gray_level(gray: float) -> int:
    """0 (black) to 1 (white) as the 0-255 level both the PDF and the SVG use."""
    return round(gray * 255)


def poster_pdf(info: PosterInfo, fonts: PosterFonts | None = None) -> bytes:
    """An A4 PDF poster with the code as vector modules and the texts in embedded DejaVu Sans.

    Everything fpdf2 would take from the clock or the machine is fixed or derived from `info`
    (creation date, producer; the file ID is a hash of the content), so the same poster is the
    same bytes.
    """
    fonts = fonts or PosterFonts.default()
    plan = layout(info, fonts)
    pdf = FPDF(unit="pt", format=(plan.width, plan.height))
    pdf.pdf_version = "1.7"
    pdf.set_creation_date(_creation_date(info))
    pdf.set_producer("diia-inbox")
    pdf.set_title(plan.title)
    pdf.set_lang(info.lang)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_font("poster", "", fonts.regular.path)
    pdf.add_font("poster", "B", fonts.bold.path)
    pdf.add_page()
    qr = plan.qr
    pdf.set_fill_color(0)
    for row, col, length in qr.runs:
        # A hair of overlap so anti-aliased viewers show no seams between neighbouring runs.
        pdf.rect(
            qr.x + col * qr.module,
            qr.top + row * qr.module,
            length * qr.module,
            qr.module * 1.02,
            style="F",
        )
    for t in plan.texts:
        pdf.set_font("poster", "B" if t.bold else "", t.size)
        pdf.set_text_color(_gray_level(t.gray))
        pdf.text(t.x, t.baseline, t.text)
    return bytes(pdf.output())


def _gray_hex(gray: float) -> str:
    level = _gray_level(gray)
    return f"#{level:02x}{level:02x}{level:02x}"


def _svg_path(runs: tuple[tuple[int, int, int], ...]) -> Iterator[str]:
    for row, col, length in runs:
        yield f"M{col} {row}h{length}v1h-{length}z"


def poster_svg(info: PosterInfo, fonts: PosterFonts | None = None) -> str:
    """The same poster as an A4 SVG document (sized in millimetres, drawn in points)."""
    fonts = fonts or PosterFonts.default()
    plan = layout(info, fonts)
    qr = plan.qr
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" '
        f'viewBox="0 0 {plan.width:.3f} {plan.height:.3f}">',
        f"<title>{escape(plan.title)}</title>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<rect x="{qr.x:.3f}" y="{qr.top:.3f}" width="{qr.module * qr.size:.3f}" '
        f'height="{qr.module * qr.size:.3f}" fill="#ffffff"/>',
        f'<path transform="translate({qr.x:.3f} {qr.top:.3f}) scale({qr.module:.5f})" '
        f'shape-rendering="crispEdges" fill="#000000" d="{"".join(_svg_path(qr.runs))}"/>',
        f'<g font-family="{SVG_FONT}">',
    ]
    for t in plan.texts:
        weight = ' font-weight="bold"' if t.bold else ""
        parts.append(
            f'<text x="{t.x:.2f}" y="{t.baseline:.2f}" font-size="{t.size:g}"{weight} '
            f'fill="{_gray_hex(t.gray)}" xml:space="preserve">{escape(t.text)}</text>'
        )
    parts += ["</g>", "</svg>", ""]
    return "\n".join(parts)
