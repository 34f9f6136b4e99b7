"""Facts recognised in a copy's text and file name: type, person, numbers, dates, recipient.

Nobody outside Diia documents the exact layout of a copy, so recognition is liberal: labelled
values first ("РНОКПП: ..."), then shapes (three capitalised words ending in a patronymic). Each
field is optional; a wrong guess costs less than a missing one because the full text is indexed
anyway and the clerk sees the copy itself.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from search.analysis import normalize

_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)


def rnokpp_valid(s: str) -> bool:
    """The check digit of a Ukrainian taxpayer number (РНОКПП, formerly ІПН)."""
    if len(s) != 10 or not s.isascii() or not s.isdigit():
        return False
    total = sum(w * int(d) for w, d in zip(_RNOKPP_WEIGHTS, s, strict=False))
    return (total % 11) % 10 == int(s[9])


# Longer, more specific phrases first: "паспорт ... для виїзду за кордон" before "паспорт".
_TYPE_PHRASES: tuple[tuple[str, str], ...] = (
    ("для виїзду за кордон", "foreign-passport"),
    ("закордонний паспорт", "foreign-passport"),
    ("закордонного паспорта", "foreign-passport"),
    ("внутрішньо переміщеної особи", "idp-certificate"),
    ("довідка впо", "idp-certificate"),
    ("реєстрацію транспортного засобу", "vehicle-registration"),
    ("техпаспорт", "vehicle-registration"),
    ("свідоцтво про народження", "birth-certificate"),
    ("посвідчення водія", "driver-license"),
    ("водійське посвідчення", "driver-license"),
    ("картка платника податків", "taxpayer-card"),
    ("картки платника податків", "taxpayer-card"),
    ("студентський квиток", "student-card"),
    ("учнівський квиток", "student-card"),
    ("паспорт громадянина україни", "id-card"),
    ("id-картка", "id-card"),
    ("id картка", "id-card"),
)
_TITLE_SPAN = 80
_TYPE_FILENAME: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"foreign|zakordon|international|закордон"), "foreign-passport"),
    (re.compile(r"\bvpo\b|\bidp\b|впо"), "idp-certificate"),
    (re.compile(r"vehicle|techpas|tekhpas|техпаспорт|транспорт"), "vehicle-registration"),
    (re.compile(r"birth|narodzh|народження"), "birth-certificate"),
    (re.compile(r"driver|licen[cs]e|vodi|водія"), "driver-license"),
    (re.compile(r"rnokpp|taxpayer|\bipn\b|\btax\b|рнокпп|платника"), "taxpayer-card"),
    (re.compile(r"student|studentsk|uchniv|студент|учнів"), "student-card"),
    (re.compile(r"id[-_ ]?card|passport|pasport|паспорт"), "id-card"),
)

_UK = "А-ЯІЇЄҐа-яіїєґ'’ʼ"
_CAP_WORD = rf"[А-ЯІЇЄҐ][{_UK}]+(?:-[А-ЯІЇЄҐ][{_UK}]+)?"
_PATRONYMIC = rf"[А-ЯІЇЄҐ][{_UK}]+(?:ович|евич|йович|івна|ївна|овна|ич|ична)"
_NAME_LINE = re.compile(
    rf"(?<![{_UK}])({_CAP_WORD}[ \t]+{_CAP_WORD}[ \t]+{_PATRONYMIC})(?![{_UK}])"
)
_NAME_LABEL = re.compile(
    rf"(?:ПІБ|П\.І\.Б\.|Прізвище,?\s+ім['’ʼ]я(?:,?\s+(?:та\s+)?по\s+батькові)?)\s*[:\-]?\s*"
    rf"({_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{1,2}})",
    re.IGNORECASE,
)
_LAT_WORD = r"[A-Z][A-Z'\-]+"
_LAT_NAME = re.compile(rf"(?<![A-Za-z])({_LAT_WORD}[ \t]+{_LAT_WORD})(?![A-Za-z])")
_NUMBER_LABEL = re.compile(
    r"(?:номер\s+документа|номер\s+паспорта|номер\s+посвідчення|номер\s+свідоцтва|"
    r"номер\s+довідки|номер\s+квитка|серія\s+(?:та|і)\s+номер|номер|document\s+(?:no|number))"
    r"\.?\s*[:№]?\s*(?:№\s*)?"
    r"((?:(?:[IVXІ]{1,3}-)?[A-ZА-ЯІЇЄҐ]{1,3}[ \t-]?(?:№[ \t]?)?)?\d{5,})",
    re.IGNORECASE,
)
_RNOKPP_LABEL = re.compile(
    r"(?:РНОКПП|ІПН|ідентифікаційний\s+номер|облікової\s+картки\s+платника\s+податків)"
    r"[^0-9\n]{0,20}(\d{10})(?!\d)",
    re.IGNORECASE,
)
_TEN_DIGITS = re.compile(r"(?<!\d)(\d{10})(?!\d)")
_MONTHS = {
    "січня": 1, "лютого": 2, "березня": 3, "квітня": 4, "травня": 5, "червня": 6,
    "липня": 7, "серпня": 8, "вересня": 9, "жовтня": 10, "листопада": 11, "грудня": 12,
}  # fmt: skip
_DATE = (
    r"(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")\s+\d{4})"
)
_BIRTH = re.compile(r"(?:дата\s+народження|народ(?:ився|илася))\D{0,5}?" + _DATE, re.I)
_CREATED = re.compile(
    r"(?:копію\s+(?:документа\s+)?створено|дата\s+(?:і\s+час\s+)?створення(?:\s+копії)?|"
    r"створено)\D{0,5}?" + _DATE,
    re.IGNORECASE,
)
_MADE_FOR = re.compile(
    r"(?:створено[^\n]*?\bдля|створена[^\n]*?\bдля|для\s+передачі|отримувач|"
    r"надано\s+для)\s*:?\s*([^\n]{3,200})",
    re.IGNORECASE,
)


def parse_date(text: str) -> dt.date | None:
    """A date written as dd.mm.yyyy, yyyy-mm-dd or "9 березня 1814"."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
        m = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", text)
        if m:
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        m = re.fullmatch(r"(\d{1,2})\s+(\w+)\s+(\d{4})", text)
        if m and m[2].lower() in _MONTHS:
            return dt.date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    except ValueError:
        return None
    return None


def document_type(text: str, filename: str = "") -> str | None:
    """The first type phrase in the text (the title comes first), else a file-name hint."""
    low = normalize(text)
    found = [(low.find(phrase), rank, code) for rank, (phrase, code) in enumerate(_TYPE_PHRASES)]
    found = [f for f in found if f[0] >= 0]
    if found:
        # The title may run over two lines ("Паспорт громадянина України / для виїзду за
        # кордон"): among phrases near the first one, the most specific wins.
        first = min(at for at, _r, _c in found)
        near = [f for f in found if f[0] <= first + _TITLE_SPAN]
        return min(near, key=lambda f: f[1])[2]
    name = normalize(filename)
    for pattern, code in _TYPE_FILENAME:
        if pattern.search(name):
            return code
    return None


def _clean(value: str) -> str:
    return " ".join(value.replace("’", "'").replace("ʼ", "'").split()).strip(" .,;")


def recognise(text: str, filename: str = "") -> dict[str, str]:
    """Every field found in a copy's text (and its file name), each key optional."""
    text = unicodedata.normalize("NFC", text)
    out: dict[str, str] = {}
    doc_type = document_type(text, filename)
    if doc_type:
        out["document_type"] = doc_type

    m = _NAME_LABEL.search(text) or _NAME_LINE.search(text)
    if m:
        out["person_name"] = _clean(m.group(1))
    lat = _LAT_NAME.search(text)
    if lat:
        out["person_name_lat"] = _clean(lat.group(1))

    m = _RNOKPP_LABEL.search(text)
    if m and rnokpp_valid(m.group(1)):
        out["rnokpp"] = m.group(1)

    m = _NUMBER_LABEL.search(text)
    if m and m.group(1) != out.get("rnokpp"):
        out["document_number"] = " ".join(m.group(1).split())

    if "rnokpp" not in out:
        for cand in _TEN_DIGITS.findall(text):
            if rnokpp_valid(cand) and cand != out.get("document_number"):
                out["rnokpp"] = cand
                break

    for key, pattern in (("birth_date", _BIRTH), ("created_date", _CREATED)):
        m = pattern.search(text)
        parsed = parse_date(m.group(1)) if m else None
        if parsed:
            out[key] = parsed.isoformat()

    m = _MADE_FOR.search(text)
    if m:
        value = _clean(m.group(1))
        if value:
            out["made_for"] = value
    return out
