"""Diia-like copies of all eight document types, laid out the ways real copies are.

The PDFs are made with fpdf2 and real TrueType fonts (DejaVu, embedded and subset with a
ToUnicode map, as any PDF library does), so their text comes out through pypdf and poppler's
`pdftotext` the way a real copy's does, including the orders that trip a recogniser:

- ``inline``: "Прізвище / Surname: ШЕВЧЕНКО / SHEVCHENKO", label and value on one line;
- ``stacked``: a small label above its value, the Latin spelling on a line of its own;
- ``caption``: the value first and its caption under it, as on the plastic ID card;
- ``columns``: labels in a left column and values in a right one, the label column drawn
  first (text extraction emits a block of labels, then a block of values, or row by row);
- ``columns-values-first``: the same, the value column drawn first (values before labels);
- ``upper``: labels in capitals, one-line "ПІБ", no colons.

Every person here is invented; the RNOKPP check digits are valid, the numbers exist nowhere.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field, replace
from pathlib import Path

from search.fields import display_name
from search.translit import transliterate

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LAYOUTS = ("inline", "stacked", "caption", "columns", "columns-values-first", "upper")
_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)

TITLES = {
    "id-card": ("Паспорт громадянина України", "ID-картка"),
    "foreign-passport": ("Паспорт громадянина України", "для виїзду за кордон"),
    "taxpayer-card": ("Картка платника податків", "Облікова картка фізичної особи"),
    "birth-certificate": ("Свідоцтво про народження", ""),
    "idp-certificate": ("Довідка про взяття на облік", "внутрішньо переміщеної особи"),
    "driver-license": ("Посвідчення водія", "Driving licence"),
    "vehicle-registration": ("Свідоцтво про реєстрацію", "транспортного засобу"),
    "student-card": ("Студентський квиток", ""),
}


def with_check_digit(head: str) -> str:
    """Nine digits and the RNOKPP check digit."""
    return head + str((sum(w * int(d) for w, d in zip(_WEIGHTS, head, strict=True)) % 11) % 10)


def latin(name: str) -> str:
    """The passport spelling (official 2010 transliteration), in capitals."""
    return transliterate(name.upper()).upper()


@dataclass(frozen=True)
class Person:
    """An invented citizen: names in Ukrainian as a document prints them (capitals)."""

    surname: str
    given: str
    patronymic: str
    birth_date: dt.date
    rnokpp: str
    record_number: str = ""

    @property
    def full_name(self) -> str:
        return display_name(f"{self.surname} {self.given} {self.patronymic}".upper())

    @property
    def latin_name(self) -> str:
        return f"{latin(self.surname)} {latin(self.given)}"


@dataclass(frozen=True)
class Copy:
    """One copy: its type, the person, the numbers and dates it shows, who it was made for."""

    doc_type: str
    person: Person
    number: str
    issue_date: dt.date
    expiry_date: dt.date | None = None
    authority: str = ""
    father: str = ""
    mother: str = ""
    made_for: str = "ТОВ «Готель Дніпро»"
    created: dt.datetime = dt.datetime(2026, 11, 20, 14, 32)
    extra: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    # --- what the recogniser must find -------------------------------------------------
    def expected(self) -> dict[str, str]:
        p = self.person
        t = self.doc_type
        out: dict[str, str] = {
            "document_type": t,
            "surname": display_name(p.surname.upper()),
            "given_names": display_name(p.given.upper()),
            "person_name": p.full_name,
            "issue_date": self.issue_date.isoformat(),
            "made_for": self.made_for,
            "created_date": self.created.date().isoformat(),
            "created_at": self.created.isoformat(),
        }
        if t != "foreign-passport":
            out["patronymic"] = display_name(p.patronymic.upper())
        else:
            out["person_name"] = display_name(f"{p.surname} {p.given}".upper())
        if t in ("id-card", "foreign-passport", "driver-license"):
            out["person_name_lat"] = p.latin_name
        if t != "vehicle-registration":
            out["birth_date"] = p.birth_date.isoformat()
        if t in ("id-card", "foreign-passport", "taxpayer-card", "idp-certificate"):
            out["rnokpp"] = p.rnokpp
        if t in ("id-card", "foreign-passport"):
            out["record_number"] = p.record_number
        if self.number:
            out["document_number"] = self.number
        if self.expiry_date:
            out["expiry_date"] = self.expiry_date.isoformat()
        if self.authority:
            out["issuing_authority"] = self.authority
        if self.father:
            out["father_name"] = display_name(self.father.upper())
        if self.mother:
            out["mother_name"] = display_name(self.mother.upper())
        return out

    # --- what the copy shows -------------------------------------------------------------
    def rows(self, upper: bool = False) -> list[tuple[str, str, str]]:
        """(Ukrainian label, English label, value) in the order the document prints them."""
        p = self.person
        t = self.doc_type
        d = "%d.%m.%Y"
        lat = t in ("id-card", "foreign-passport", "driver-license")
        sur = f"{p.surname} / {latin(p.surname)}" if lat else p.surname
        giv = f"{p.given} / {latin(p.given)}" if lat else p.given
        rows: list[tuple[str, str, str]] = []
        if t in ("idp-certificate", "student-card"):
            rows.append(("ПІБ" if upper else "Прізвище, ім'я, по батькові", "Full name", ""))
            rows[-1] = (rows[-1][0], rows[-1][1], f"{p.surname} {p.given} {p.patronymic}")
        elif t == "vehicle-registration":
            rows.append(("Власник", "Owner", f"{p.surname} {p.given} {p.patronymic}"))
        elif t == "driver-license":
            rows += [
                ("1. Прізвище", "Surname", sur),
                ("2. Ім'я", "Given names", giv),
                ("По батькові", "Patronymic", p.patronymic),
            ]
        else:
            rows += [("Прізвище", "Surname", sur), ("Ім'я", "Given names", giv)]
            if t != "foreign-passport":
                rows.append(("По батькові", "Patronymic", p.patronymic))
        if t != "vehicle-registration":
            born = ("3. " if t == "driver-license" else "") + "Дата народження"
            rows.append((born, "Date of birth", p.birth_date.strftime(d)))
        if t in ("id-card", "foreign-passport"):
            rows += [("Стать", "Sex", "Ч/M"), ("Громадянство", "Nationality", "УКРАЇНА/UKR")]
        if t == "birth-certificate":
            rows += [
                ("Місце народження", "Place of birth", "м. Київ"),
                ("Батько", "Father", self.father),
                ("Мати", "Mother", self.mother),
            ]
        if t in ("id-card", "foreign-passport"):
            rows.append(("Запис №", "Record No.", p.record_number))
        number_label = {
            "id-card": ("Номер документа", "Document No."),
            "foreign-passport": ("Номер паспорта", "Passport No."),
            "birth-certificate": ("Серія та номер", "Certificate No."),
            "idp-certificate": ("Номер довідки", "Certificate No."),
            "driver-license": ("5. Номер посвідчення", "Licence No."),
            "vehicle-registration": ("Номер свідоцтва", "Certificate No."),
            "student-card": ("Серія та номер", "Card No."),
        }
        if t in number_label:
            uk, en = number_label[t]
            rows.append((uk, en, self.number))
        if t in ("id-card", "foreign-passport", "taxpayer-card", "idp-certificate"):
            label = (
                "Реєстраційний номер облікової картки платника податків"
                if t == "taxpayer-card"
                else "РНОКПП"
            )
            rows.append((label, "RNTRC", p.rnokpp))
        rows += list(self.extra)
        issue = "Дата реєстрації" if t == "vehicle-registration" else "Дата видачі"
        rows.append((("4a. " if t == "driver-license" else "") + issue, "Date of issue", ""))
        rows[-1] = (rows[-1][0], rows[-1][1], self.issue_date.strftime(d))
        if self.expiry_date:
            exp = "4b. Дійсне до" if t == "driver-license" else "Дійсний до"
            rows.append((exp, "Date of expiry", self.expiry_date.strftime(d)))
        if self.authority:
            auth = "4c. Орган, що видав" if t == "driver-license" else "Орган, що видав"
            if t == "birth-certificate":
                auth = "Орган державної реєстрації"
            rows.append((auth, "Authority", self.authority))
        if upper:
            rows = [(uk.upper(), en.upper(), v) for uk, en, v in rows]
        return rows

    def footer(self) -> list[str]:
        c = self.created
        return [
            f"Копію створено в Дія {c:%d.%m.%Y} о {c:%H:%M} для {self.made_for}",
            "Копія документа не є документом, що посвідчує особу",
        ]


def _pdf(title: tuple[str, str]) -> object:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title[0])
    pdf.set_creator("Diia")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.text(20, 20, title[0])
    if title[1]:
        pdf.set_font("DejaVu", "", 12)
        pdf.text(20, 28, title[1])
    return pdf


def render(copy: Copy, layout: str, *, photo: bytes | None = None) -> bytes:
    """The copy as a PDF in one of LAYOUTS; with `photo` (JPEG or PNG bytes) the holder's
    picture is placed top right, embedded as it is, the way real copies carry one (and what
    makes them hundreds of kilobytes: benchmarks use it for realistic sizes)."""
    from fpdf import FPDF

    pdf = _pdf(TITLES[copy.doc_type])
    assert isinstance(pdf, FPDF)
    if photo is not None:
        pdf.image(io.BytesIO(photo), x=150, y=36, w=40)
    rows = copy.rows(upper=layout == "upper")
    y = 42.0
    small, big = 8, 11

    def label(uk: str, en: str, *, colon: bool = False) -> str:
        return f"{uk} / {en}" + (":" if colon else "")

    if layout in ("inline", "upper"):
        for uk, en, value in rows:
            pdf.set_font("DejaVu", "", big)
            sep = " " if layout == "upper" else ": "
            pdf.text(20, y, (uk if layout == "upper" else label(uk, en)) + sep + value)
            y += 8
    elif layout in ("stacked", "caption"):
        for uk, en, value in rows:
            lines = [value]
            if " / " in value and not value.startswith("УКР"):
                lines = value.split(" / ")  # the Latin spelling on a line of its own
            caption = layout == "caption"
            if not caption:
                pdf.set_font("DejaVu", "", small)
                pdf.text(20, y, label(uk, en))
                y += 5
            pdf.set_font("DejaVu", "B", big)
            for ln in lines:
                pdf.text(20, y, ln)
                y += 5.5
            if caption:
                pdf.set_font("DejaVu", "", small)
                pdf.text(20, y, label(uk, en))
                y += 4
            y += 3
    else:
        ys = [y + 9 * i for i in range(len(rows))]
        columns = [("label", 20.0), ("value", 105.0)]
        if layout == "columns-values-first":
            columns.reverse()
        for what, x in columns:
            for (uk, en, value), row_y in zip(rows, ys, strict=True):
                if what == "label":
                    pdf.set_font("DejaVu", "", small)
                    pdf.text(x, row_y, label(uk, en))
                else:
                    pdf.set_font("DejaVu", "B", big)
                    pdf.text(x, row_y, value)
        y = ys[-1] + 12
    pdf.set_font("DejaVu", "", 8)
    for line in copy.footer():
        y += 6
        pdf.text(20, y, line)
    return bytes(pdf.output())


# --- the people and their copies -------------------------------------------------------------


def _record(birth: dt.date, tail: str) -> str:
    return f"{birth:%Y%m%d}-{tail}"


def person(
    surname: str, given: str, patronymic: str, birth: dt.date, head: str, tail: str = "01234"
) -> Person:
    return Person(surname, given, patronymic, birth, with_check_digit(head), _record(birth, tail))


SHEVCHENKO = person("ШЕВЧЕНКО", "ТАРАС", "ГРИГОРОВИЧ", dt.date(1994, 3, 9), "345678901")
KOVALCHUK = person("КОВАЛЬЧУК", "МАР'ЯНА", "ОСТАПІВНА", dt.date(1988, 11, 23), "320114578")
BONDAR = person("БОНДАР-ЛИСЕНКО", "ЯРЕМА", "ЙОСИПОВИЧ", dt.date(2001, 7, 1), "372215509")


#: The father's given name and patronymic that a patronymic comes from (birth certificates).
FATHERS = {
    "ГРИГОРОВИЧ": "ГРИГОРІЙ ІВАНОВИЧ",
    "ОСТАПІВНА": "ОСТАП ПЕТРОВИЧ",
    "ЙОСИПОВИЧ": "ЙОСИП АНДРІЙОВИЧ",
}


def copies_of(p: Person, serial: int = 0) -> list[Copy]:
    """One copy of each of the eight types for `p` (numbers vary with `serial`)."""
    s = f"{serial:02d}"
    return [
        Copy("id-card", p, f"0012345{s}", dt.date(2019, 5, 14), dt.date(2029, 5, 14), "8012"),
        Copy("foreign-passport", p, f"FX1234{s}", dt.date(2021, 2, 3), dt.date(2031, 2, 3), "8047"),
        Copy("taxpayer-card", p, "", dt.date(2010, 9, 1)),
        Copy(
            "birth-certificate",
            p,
            f"І-АБ № 1234{s}",
            dt.date(1994, 4, 2),
            authority="Шевченківський ВДРАЦС у м. Києві",
            father=f"{p.surname} {FATHERS.get(p.patronymic, 'ПЕТРО')}",
            mother=f"{p.surname} ОЛЕНА ПЕТРІВНА",
        ),
        Copy(
            "idp-certificate",
            p,
            f"3210-50012345{s}",
            dt.date(2022, 4, 11),
            authority="УСЗН Оболонської РДА",
        ),
        Copy(
            "driver-license",
            p,
            f"ВХЕ 1234{s}",
            dt.date(2020, 8, 17),
            dt.date(2050, 8, 17),
            "ТСЦ 8041",
        ),
        Copy(
            "vehicle-registration",
            p,
            f"САА 1234{s}",
            dt.date(2023, 6, 30),
            authority="ТСЦ 8041",
            extra=(
                ("Номерний знак", "Registration plate", "АА 1234 ВВ"),
                ("VIN", "VIN", "WVWZZZ1JZXW000001"),
            ),
        ),
        Copy(
            "student-card",
            p,
            f"КВ № 123456{s}",
            dt.date(2023, 9, 1),
            dt.date(2027, 6, 30),
            extra=(("Навчальний заклад", "Institution", "Київський університет"),),
        ),
    ]


def with_person(copy: Copy, p: Person) -> Copy:
    return replace(copy, person=p)
