"""Facts recognised in a copy's text and file name: type, person, numbers, dates, recipient.

Diia renders a copy the way the card or booklet looks: bilingual labelled lines ("Прізвище /
Surname: ШЕВЧЕНКО / SHEVCHENKO"), labels above or beside their values, the Latin spelling next
to the Cyrillic, sometimes in two columns. Text extraction then emits a label and its value on
one line, on two lines, or as a block of labels followed (or preceded) by a block of values, so
recognition works on lines:

1. each line is classified as a *label* of a known field (any case, Ukrainian and/or English,
   optionally numbered as on a driving licence: "4a."), possibly with its value after it, as a
   known label of a field we do not keep ("Стать / Sex"), as a line to skip (the title, the
   footer), or as a *value*;
2. labels without a value are paired with value lines, either the ones after them (label above
   value, or a block of labels then a block of values) or the ones before them (value above
   label, or values first); both pairings are scored by how many values have the shape their
   field needs (a date for a date, a valid RNOKPP, a patronymic ending...) and the better one
   wins;
3. what the labels did not give is looked for with the older whole-text patterns (a one-line
   "ПІБ", three capitalised words ending in a patronymic, a bare valid RNOKPP).

Each field is optional; the full text is indexed anyway and the clerk sees the copy itself.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from search.analysis import normalize
from search.translit import transliterate

_RNOKPP_WEIGHTS = (-1, 5, 7, 9, 4, 6, 10, 5, 7)

#: Every key `recognise` may return.
FIELD_KEYS: tuple[str, ...] = (
    "document_type",
    "person_name",
    "surname",
    "given_names",
    "patronymic",
    "person_name_lat",
    "birth_date",
    "document_number",
    "record_number",
    "rnokpp",
    "issuing_authority",
    "issue_date",
    "expiry_date",
    "father_name",
    "mother_name",
    "made_for",
    "created_date",
    "created_at",
)


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
_PATRONYMIC_END = r"(?:ович|евич|йович|івна|ївна|овна|ич|ична|огли|кизи)"
_PATRONYMIC = rf"[А-ЯІЇЄҐ][{_UK}]+{_PATRONYMIC_END}"
_PATRONYMIC_WORD = re.compile(rf"[{_UK}]+{_PATRONYMIC_END}", re.IGNORECASE)
_NAME_LINE = re.compile(
    rf"(?<![{_UK}])({_CAP_WORD}[ \t]+{_CAP_WORD}[ \t]+{_PATRONYMIC})(?![{_UK}])"
)
_NAME_LABEL = re.compile(
    rf"(?:ПІБ|П\.І\.Б\.|Прізвище,?\s+ім['’ʼ]я(?:,?\s+(?:та\s+)?по\s+батькові)?)\s*[:\-]?\s*"
    rf"({_CAP_WORD}(?:[ \t]+{_CAP_WORD}){{1,2}})",
    re.IGNORECASE,
)
_LAT_WORD = r"[A-Z][A-Z'\-]+"
_LAT_NAME = re.compile(rf"(?<![A-Za-z0-9])({_LAT_WORD}[ \t]+{_LAT_WORD})(?![A-Za-z0-9])")
_MRZ_NAME = re.compile(r"P[A-Z<]UKR([A-Z]+(?:<[A-Z]+)*)<<([A-Z]+(?:<[A-Z]+)*)")
_NUMBER_LABEL = re.compile(
    r"(?:номер\s+документа|номер\s+паспорта|номер\s+посвідчення|номер\s+свідоцтва|"
    r"номер\s+довідки|номер\s+квитка|серія\s+(?:та|і)\s+номер|номер|document\s+(?:no|number))"
    r"\.?\s*[:№]?\s*(?:№\s*)?"
    r"((?:(?:[IVXІ]{1,3}-)?[A-ZА-ЯІЇЄҐ]{1,3}[ \t-]?(?:№[ \t]?)?)?\d{5,})",
    re.IGNORECASE,
)
_NUMBER_VALUE = re.compile(
    r"((?:(?:[IVXІ]{1,3}-)?[A-ZА-ЯІЇЄҐ]{1,3}[ \t-]?(?:№[ \t]?)?)?\d[\d \-]{3,}\d)",
    re.IGNORECASE,
)
_RECORD = re.compile(r"(?<!\d)(\d{8}-\d{5})(?!\d)")
_RNOKPP_LABEL = re.compile(
    r"(?:РНОКПП|ІПН|RNTRC|ідентифікаційний\s+номер|облікової\s+картки\s+платника\s+податків)"
    r"[^0-9\n]{0,40}(\d{10})(?!\d)",
    re.IGNORECASE,
)
_TEN_DIGITS = re.compile(r"(?<![\d-])(\d{10})(?![\d-])")
_MONTHS = {
    "січня": 1, "лютого": 2, "березня": 3, "квітня": 4, "травня": 5, "червня": 6,
    "липня": 7, "серпня": 8, "вересня": 9, "жовтня": 10, "листопада": 11, "грудня": 12,
}  # fmt: skip
_DATE = (
    r"(\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+(?:" + "|".join(_MONTHS) + r")\s+\d{4})"
)
_DATE_IN = re.compile(_DATE, re.IGNORECASE)
_TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?!\d)")
_BIRTH = re.compile(r"(?:дата\s+народження|народ(?:ився|илася))\D{0,5}?" + _DATE, re.I)
_CREATED = re.compile(
    r"(?:копію\s+(?:документа\s+)?(?:було\s+)?створено|"
    r"дата\s+(?:і\s+час\s+)?створення(?:\s+копії)?|copy\s+created|створено)"
    r"[^\n\d]{0,40}?" + _DATE + r"(?:[^\n\d]{0,6}(\d{1,2}:\d{2}(?::\d{2})?))?",
    re.IGNORECASE,
)
_MADE_FOR = re.compile(
    r"(?:створено[^\n]*?\bдля|створена[^\n]*?\bдля|для\s+передачі|отримувач|"
    r"надано\s+для|made\s+for|recipient)(?:\s*/\s*[A-Za-z ]+)?\s*:?\s*([^\n]{3,200})",
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
    low = " ".join(normalize(text).split())  # a title may be broken over two lines
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
    return " ".join(value.replace("’", "'").replace("ʼ", "'").split()).strip(" .,;/")


# --- labels ---------------------------------------------------------------------------------

_A = r"['’ʼ`]"
#: Field -> label spellings (regular expressions, matched case-insensitively at a line start).
#: A line's label is one or more of its field's spellings joined by "/" ("Прізвище / Surname").
_LABELS: dict[str, tuple[str, ...]] = {
    "full_name": (
        r"прізвище,?\s+ім" + _A + r"я,?\s+(?:та\s+)?по\s+батькові",
        r"прізвище\s+та\s+ім" + _A + r"я",
        r"прізвище,\s+ім" + _A + r"я",
        r"піб",
        r"п\.\s?і\.\s?б\.?",
        r"власник",
        r"full\s+name",
        r"surname,?\s+(?:and\s+)?given\s+names?(?:,?\s+(?:and\s+)?patronymic)?",
        r"owner",
        r"holder",
        r"здобувач\s+освіти",
        r"студент",
    ),
    "surname": (r"прізвище", r"surname", r"last\s+name"),
    "given_names": (r"ім" + _A + r"я", r"імена", r"given\s+names?", r"first\s+name"),
    "patronymic": (r"по\s+батькові", r"patronymic"),
    "father_name": (r"батько", r"father"),
    "mother_name": (r"мати", r"mother"),
    "birth_date": (r"дата\s+народження", r"date\s+of\s+birth", r"born"),
    "record_number": (
        r"запис\s*№",
        r"запис\s+no\.?",
        r"номер\s+запису(?:\s+в\s+реєстрі)?",
        r"унікальний\s+номер\s+запису\s+в\s+(?:єдиному\s+державному\s+демографічному\s+)?реєстрі",
        r"унзр",
        r"record\s+no\.?",
        r"record\s+number",
    ),
    "rnokpp": (
        r"реєстраційний\s+номер\s+облікової\s+картки\s+платника\s+податків",
        r"рнокпп",
        r"іпн",
        r"ідентифікаційний\s+(?:код|номер)",
        r"rntrc",
        r"taxpayer\s+(?:id|number|registration\s+number)",
        r"tax\s+number",
    ),
    "document_number": (
        r"номер\s+документа",
        r"номер\s+паспорта",
        r"номер\s+посвідчення",
        r"номер\s+свідоцтва",
        r"номер\s+довідки",
        r"номер\s+квитка",
        r"номер\s+картки",
        r"серія\s+(?:та|і|й)\s+номер(?:\s+документа|\s+свідоцтва|\s+квитка)?",
        r"серія,\s+номер",
        r"document\s+no\.?",
        r"document\s+number",
        r"passport\s+no\.?",
        r"licen[cs]e\s+no\.?",
        r"certificate\s+no\.?",
        r"card\s+no\.?",
        r"номер",
        r"no\.",
    ),
    "issuing_authority": (
        r"орган,?\s+що\s+видав",
        r"орган\s+видачі",
        r"орган\s+державної\s+реєстрації(?:\s+актів\s+цивільного\s+стану)?",
        r"ким\s+видан[оаий]?",
        r"видано\s+органом",
        r"сервісний\s+центр",
        r"issuing\s+authority",
        r"authority",
        r"issued\s+by",
    ),
    "issue_date": (
        r"дата\s+видачі",
        r"дата\s+реєстрації",
        r"дата\s+державної\s+реєстрації",
        r"date\s+of\s+issue",
        r"issue\s+date",
        r"date\s+of\s+registration",
        r"registration\s+date",
    ),
    "expiry_date": (
        r"дійсн(?:ий|е|а)\s+до",
        r"термін\s+дії(?:\s+до)?",
        r"дата\s+закінчення\s+строку\s+дії",
        r"строк\s+дії\s+до",
        r"date\s+of\s+expiry",
        r"expiry\s+date",
        r"valid\s+until",
        r"expires",
    ),
    # Labels of facts we do not keep: known so that their values are not taken for ours.
    "": (
        r"стать",
        r"sex",
        r"громадянство",
        r"nationality",
        r"місце\s+народження",
        r"place\s+of\s+birth",
        r"код\s+держави",
        r"country\s+code",
        r"тип",
        r"type",
        r"категорі[яї]",
        r"categories",
        r"category",
        r"марка",
        r"make",
        r"модель",
        r"model",
        r"колір",
        r"colou?r",
        r"номерний\s+знак",
        r"реєстраційний\s+номер\s+транспортного\s+засобу",
        r"registration\s+plate",
        r"vin",
        r"ідентифікаційний\s+номер\s+транспортного\s+засобу",
        r"рік\s+випуску",
        r"year",
        r"навчальний\s+заклад",
        r"заклад\s+освіти",
        r"institution",
        r"факультет",
        r"faculty",
        r"форма\s+(?:навчання|здобуття\s+освіти)",
        r"form\s+of\s+study",
        r"адреса(?:\s+місця\s+проживання)?",
        r"місце\s+проживання",
        r"фактичне\s+місце\s+проживання",
        r"address",
        r"зареєстроване\s+місце\s+проживання",
        r"документ,?\s+що\s+посвідчує\s+особу",
        r"identity\s+document",
        r"підпис",
        r"signature",
        r"особливі\s+відмітки",
    ),
}
_ENUM = r"(?:\d{1,2}[a-zа-яі]?\.\s*)?"


def _label_pattern(spellings: tuple[str, ...]) -> re.Pattern[str]:
    one = "(?:" + "|".join(sorted(spellings, key=len, reverse=True)) + ")"
    return re.compile(
        rf"^{_ENUM}(?P<label>{one}(?:\s*/\s*{one})*)(?![\w'’ʼ])\s*[:：]?\s*(?P<value>.*)$",
        re.IGNORECASE,
    )


_LABEL_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (field, _label_pattern(spellings)) for field, spellings in _LABELS.items()
)
#: A label nobody listed: "Something / Щось" in mixed case (values are printed in capitals).
_BILINGUAL_LABEL = re.compile(r"^[^\d:/]*[а-яіїєґ][^\d:/]*/\s*[A-Za-z][a-z][^\d:/]*$")
_FOOTER = re.compile(
    r"копію\s+(?:документа\s+)?(?:було\s+)?створено|створено\s+для|made\s+for|"
    r"дата\s+(?:і\s+час\s+)?створення|copy\s+created|отримувач|дія\.qr|diia\.qr",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Line:
    kind: str  # "label", "value"
    field: str = ""  # for labels: the field ("" = a label of a fact we do not keep)
    value: str = ""  # for labels: the value on the same line, if any; for values: the line


def _classify(line: str) -> _Line | None:
    """What one line is; None for a line to skip (title, footer, empty)."""
    text = line.strip()
    if not text:
        return None
    best: tuple[int, str, str] | None = None
    for field, pattern in _LABEL_RES:
        m = pattern.match(text)
        if m and (best is None or len(m.group("label")) > best[0]):
            best = (len(m.group("label")), field, m.group("value"))
    if best is not None:
        return _Line("label", best[1], _clean(best[2]))
    if _FOOTER.search(text) or document_type(text) is not None:
        return None
    if _BILINGUAL_LABEL.match(text) or text.endswith(":"):
        return _Line("label", "", "")
    if re.match(r"^[^\d:]{2,60}:\s", text):
        return None  # "Something: value" of a label we do not know
    return _Line("value", value=_clean(text))


# --- values ---------------------------------------------------------------------------------

_CYR_TOKEN = re.compile(rf"[{_UK}]+(?:-[{_UK}]+)*")
_LAT_TOKEN = re.compile(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")
_NAME_FIELDS = ("full_name", "surname", "given_names", "patronymic", "father_name", "mother_name")
_DATE_FIELDS = ("birth_date", "issue_date", "expiry_date")


def _split_scripts(value: str) -> tuple[str, str]:
    """The Cyrillic and the Latin words of a value ("ШЕВЧЕНКО / SHEVCHENKO")."""
    if re.search(r"\d", value):
        return "", ""
    cyr = " ".join(_CYR_TOKEN.findall(value))
    lat = " ".join(t for t in _LAT_TOKEN.findall(value) if not re.search(r"[^\x00-\x7f]", t))
    return cyr, lat


def is_patronymic(word: str) -> bool:
    """A Ukrainian patronymic by its ending (-ович, -івна, ...)."""
    return bool(_PATRONYMIC_WORD.fullmatch(word.strip()))


def _score(field: str, value: str) -> int:
    """+1 when `value` has the shape `field` needs, -1 when it cannot be one, 0 when unsure."""
    if field in _DATE_FIELDS:
        return 1 if _date_of(value) else -1
    if field == "rnokpp":
        return 1 if _rnokpp_of(value) else -1
    if field == "record_number":
        return 1 if _RECORD.search(value) else -1
    if field == "document_number":
        return 1 if _number_of(value) else -1
    if field in _NAME_FIELDS:
        cyr, lat = _split_scripts(value)
        if not (cyr or lat):
            return -1
        if field == "patronymic":
            return 1 if cyr and is_patronymic(cyr.split()[-1]) else -1
        if field in ("surname", "given_names"):
            return -1 if cyr and is_patronymic(cyr.split()[-1]) else 1
        return 1 if len((cyr or lat).split()) >= 2 else -1
    if field == "issuing_authority":
        return -1 if _date_of(value) or _RECORD.search(value) else 0
    return 0


def _date_of(value: str) -> dt.date | None:
    m = _DATE_IN.search(value)
    return parse_date(m.group(1)) if m else None


def _rnokpp_of(value: str) -> str | None:
    for cand in re.findall(r"(?<!\d)\d{10}(?!\d)", value):
        if rnokpp_valid(cand):
            return str(cand)
    return None


def _number_of(value: str) -> str | None:
    if _date_of(value) or _RECORD.search(value):
        return None
    m = _NUMBER_VALUE.search(value)
    if not m:
        return None
    number = " ".join(m.group(1).replace("№", " № ").split()).strip(" -")
    digits = sum(ch.isdigit() for ch in number)
    return number if digits >= 5 else None


def _same_name(cyr: str, lat: str) -> bool:
    """Whether `lat` is the official transliteration of `cyr` (a value printed on two lines)."""

    def key(s: str) -> str:
        return re.sub(r"[^a-z]", "", s.lower())

    return bool(cyr) and key(transliterate(normalize(cyr))) == key(lat)


def _merge_latin(values: list[str]) -> list[str]:
    """Join a Latin line to the Cyrillic line above it when it is that line transliterated."""
    out: list[str] = []
    for v in values:
        cyr, lat = _split_scripts(v)
        if out and lat and not cyr:
            prev_cyr, prev_lat = _split_scripts(out[-1])
            if prev_cyr and not prev_lat and _same_name(prev_cyr, lat):
                out[-1] = f"{out[-1]} / {v}"
                continue
        out.append(v)
    return out


# --- pairing labels with values --------------------------------------------------------------

Pairs = list[tuple[str, str]]


def _runs(lines: list[_Line]) -> list[tuple[str, list[_Line]]]:
    """Consecutive lines of one kind: ("labels", [...]) of empty labels, ("values", [...]),
    and ("complete", [line]) for a label with its value on the same line."""
    runs: list[tuple[str, list[_Line]]] = []
    for line in lines:
        kind = "values" if line.kind == "value" else ("labels" if not line.value else "complete")
        if runs and runs[-1][0] == kind and kind != "complete":
            runs[-1][1].append(line)
        else:
            runs.append((kind, [line]))
    return runs


def _pair(runs: list[tuple[str, list[_Line]]], after: bool) -> Pairs:
    """Empty labels paired with the values after them (`after`) or before them."""
    pairs: Pairs = []
    values = [_merge_latin([ln.value for ln in run]) if k == "values" else [] for k, run in runs]
    for i, (kind, run) in enumerate(runs):
        if kind == "complete":
            pairs.append((run[0].field, run[0].value))
            continue
        if kind != "labels":
            continue
        j = i + 1 if after else i - 1
        if not 0 <= j < len(runs) or runs[j][0] != "values":
            continue
        pool = values[j]
        n = min(len(run), len(pool))
        if after:
            taken, values[j] = pool[:n], pool[n:]
        else:
            taken, values[j] = pool[len(pool) - n :], pool[: len(pool) - n]
        pairs += [(label.field, v) for label, v in zip(run[:n], taken, strict=True)]
    return pairs


def _labelled_pairs(text: str) -> Pairs:
    lines = [c for c in (_classify(ln) for ln in text.splitlines()) if c is not None]
    runs = _runs(lines)
    after, before = _pair(runs, after=True), _pair(runs, after=False)

    def total(pairs: Pairs) -> int:
        return sum(_score(f, v) for f, v in pairs if f)

    return after if total(after) >= total(before) else before


# --- names ----------------------------------------------------------------------------------


def display_name(value: str) -> str:
    """A name as a person writes it: "ШЕВЧЕНКО" → "Шевченко", "КАРПЕНКО-КАРИЙ" → "Карпенко-Карий"
    (str.title() would capitalise after the apostrophe: "Мар'Яна")."""
    if value != value.upper():
        return value

    def word(w: str) -> str:
        return "-".join(p[:1].upper() + p[1:].lower() for p in w.split("-"))

    return " ".join(word(w) for w in value.split())


@dataclass
class _Person:
    surname: str = ""
    given: str = ""
    patronymic: str = ""
    surname_lat: str = ""
    given_lat: str = ""

    def set_full(self, value: str) -> None:
        cyr, lat = _split_scripts(value)
        words = cyr.split()
        if len(words) >= 2 and not self.surname:
            self.surname = words[0]
            if len(words) >= 3 and is_patronymic(words[-1]):
                self.given, self.patronymic = " ".join(words[1:-1]), words[-1]
            else:
                self.given = " ".join(words[1:])
        lat_words = lat.split()
        if len(lat_words) >= 2 and not self.surname_lat:
            self.surname_lat, self.given_lat = lat_words[0], " ".join(lat_words[1:])

    def full(self) -> str:
        return display_name(" ".join(p for p in (self.surname, self.given, self.patronymic) if p))


def _full_name_of(value: str) -> str | None:
    p = _Person()
    p.set_full(value)
    return p.full() or None


def _put(out: dict[str, str], key: str, value: str | None) -> None:
    if value and key not in out:
        out[key] = value


def _from_pairs(pairs: Pairs, out: dict[str, str]) -> None:
    person = _Person()
    setters: dict[str, Callable[[str], None]] = {}

    def part(attr: str, lat_attr: str | None) -> Callable[[str], None]:
        def setter(value: str) -> None:
            cyr, lat = _split_scripts(value)
            if cyr and not getattr(person, attr):
                setattr(person, attr, cyr)
            if lat_attr and lat and not getattr(person, lat_attr):
                setattr(person, lat_attr, lat)

        return setter

    setters["surname"] = part("surname", "surname_lat")
    setters["given_names"] = part("given", "given_lat")
    setters["patronymic"] = part("patronymic", None)
    setters["full_name"] = person.set_full
    for field, value in pairs:
        if not field or not value or _score(field, value) < 0:
            continue
        if field in setters:
            setters[field](value)
        elif field in ("father_name", "mother_name"):
            _put(out, field, _full_name_of(value))
        elif field in _DATE_FIELDS:
            day = _date_of(value)
            _put(out, field, day.isoformat() if day else None)
        elif field == "rnokpp":
            _put(out, field, _rnokpp_of(value))
        elif field == "record_number":
            m = _RECORD.search(value)
            _put(out, field, m.group(1) if m else None)
        elif field == "document_number":
            _put(out, field, _number_of(value))
        elif field == "issuing_authority":
            _put(out, field, value)
    if person.surname:
        _put(out, "surname", display_name(person.surname))
    if person.given:
        _put(out, "given_names", display_name(person.given))
    if person.patronymic:
        _put(out, "patronymic", display_name(person.patronymic))
    if person.surname and person.given:
        _put(out, "person_name", person.full())
    if person.surname_lat and person.given_lat:
        _put(out, "person_name_lat", f"{person.surname_lat} {person.given_lat}".upper())


def _fallbacks(text: str, out: dict[str, str]) -> None:
    """The whole-text patterns, for what the labelled lines did not give."""
    if "person_name" not in out:
        m = _NAME_LABEL.search(text) or _NAME_LINE.search(text)
        if m:
            person = _Person()
            person.set_full(_clean(m.group(1)))
            if person.surname:
                _put(out, "person_name", person.full())
                _put(out, "surname", display_name(person.surname))
                _put(out, "given_names", display_name(person.given))
                _put(out, "patronymic", display_name(person.patronymic))
    if "person_name_lat" not in out:
        mrz = _MRZ_NAME.search(text.replace(" ", ""))
        if mrz:
            given = mrz.group(2).replace("<", " ")
            out["person_name_lat"] = f"{mrz.group(1).replace('<', ' ')} {given}"
        else:
            lat = _LAT_NAME.search(text)
            if lat:
                out["person_name_lat"] = _clean(lat.group(1))
    if "rnokpp" not in out:
        m = _RNOKPP_LABEL.search(text)
        if m and rnokpp_valid(m.group(1)):
            out["rnokpp"] = m.group(1)
    if "document_number" not in out:
        m = _NUMBER_LABEL.search(text)
        if m and m.group(1) != out.get("rnokpp"):
            out["document_number"] = " ".join(m.group(1).split())
    if "record_number" not in out:
        m = re.search(r"(?:запис|унзр|record)[^\n\d]{0,30}" + _RECORD.pattern, text, re.I)
        if m:
            out["record_number"] = m.group(1)
    if "rnokpp" not in out:
        taken = {re.sub(r"\D", "", out.get(k, "")) for k in ("document_number", "record_number")}
        for cand in _TEN_DIGITS.findall(text):
            if rnokpp_valid(cand) and cand not in taken:
                out["rnokpp"] = cand
                break
    if "birth_date" not in out:
        m = _BIRTH.search(text)
        parsed = parse_date(m.group(1)) if m else None
        if parsed:
            out["birth_date"] = parsed.isoformat()


def _created(text: str, out: dict[str, str]) -> None:
    m = _CREATED.search(text)
    day = parse_date(m.group(1)) if m else None
    if m is None or day is None:
        return
    out["created_date"] = day.isoformat()
    t = _TIME.fullmatch(m.group(2) or "")
    if t:
        at = dt.datetime.combine(day, dt.time(int(t[1]), int(t[2]), int(t[3] or 0)))
        out["created_at"] = at.isoformat()


def _made_for(text: str, out: dict[str, str]) -> None:
    m = _MADE_FOR.search(text)
    if not m:
        return
    value = _clean(m.group(1))
    if value:
        out["made_for"] = value


def recognise(text: str, filename: str = "") -> dict[str, str]:
    """Every field found in a copy's text (and its file name), each key optional."""
    text = unicodedata.normalize("NFC", text)
    out: dict[str, str] = {}
    doc_type = document_type(text, filename)
    if doc_type:
        out["document_type"] = doc_type
    _created(text, out)
    _made_for(text, out)
    _from_pairs(_labelled_pairs(text), out)
    _fallbacks(text, out)
    if out.get("document_number") and out.get("document_number") == out.get("rnokpp"):
        del out["document_number"]
    return {k: out[k] for k in FIELD_KEYS if out.get(k)}
