"""The small query language of the search box and `diia-inbox search`.

    шевченко тарас                 words (any form, Cyrillic or Latin), all must match
    "Шевченко Тарас"               a phrase: these words in this order
    шевч*                          a word prefix
    type:id-card,foreign-passport  document type (codes of archive.models.DOCUMENT_TYPES)
    branch:3  branch:хрещатик      branch by id or by words of its name
    from:taras@example.com         sender address, or from:example.com for a whole domain
    received:>=2026-01-01          also <=, >, <, =, a bare date, ranges 2026-01-01..2026-01-31;
                                   dates as 2026, 2026-01, 2026-01-31 or 31.01.2026
    status:passed|failed|indeterminate|unsigned

Several values of one filter separated by commas match any of them; different filters must all
hold. Ukrainian field names work too (тип, відділення, від, отримано, статус). Parsing is a pure
function from text to a `Query` value; each backend compiles that value into its own query.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from archive.models import DOCUMENT_TYPES
from search.analysis import WORD_PATTERN
from search.errors import QueryError

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32

TYPE_ALIASES: dict[str, str] = {
    "id": "id-card",
    "паспорт": "id-card",
    "закордонний": "foreign-passport",
    "закордонний-паспорт": "foreign-passport",
    "рнокпп": "taxpayer-card",
    "іпн": "taxpayer-card",
    "свідоцтво-про-народження": "birth-certificate",
    "впо": "idp-certificate",
    "посвідчення-водія": "driver-license",
    "техпаспорт": "vehicle-registration",
    "студентський": "student-card",
}
STATUSES: dict[str, str] = {
    "passed": "TOTAL_PASSED",
    "failed": "TOTAL_FAILED",
    "indeterminate": "INDETERMINATE",
    "unsigned": "UNSIGNED",
}
FIELDS: dict[str, str] = {
    "type": "type",
    "тип": "type",
    "branch": "branch",
    "відділення": "branch",
    "from": "from",
    "від": "from",
    "received": "received",
    "отримано": "received",
    "status": "status",
    "статус": "status",
}


@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]


Term = Word | Phrase


@dataclass(frozen=True)
class Query:
    """A parsed query: terms that must all match, and filters that must all hold."""

    terms: tuple[Term, ...] = ()
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    #: Half-open UTC interval [start, end) of the received time; None where unbounded.
    received_from: dt.datetime | None = None
    received_until: dt.datetime | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.terms)


_TOKEN = re.compile(
    r'\s*(?:(?P<field>[^\s:"]+):(?P<fvalue>"[^"]*"|[^\s"]*)'
    r'|"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+))'
)
_WORDS = re.compile(WORD_PATTERN + r"\*?")


#: Years a received date may name. Outside, the day arithmetic and the time-zone shift would
#: overflow (9999-12-31 + 1 day, 0001-01-01 - 2 h); no copy was received then anyway.
MIN_YEAR, MAX_YEAR = 1900, 2999


def _period(text: str, where: str) -> tuple[dt.date, dt.date]:
    """The days a written date stands for: [first, after-last)."""
    t = text.strip()
    year = re.search(r"\d{4}", t)
    if year and not MIN_YEAR <= int(year.group()) <= MAX_YEAR:
        raise QueryError(
            f"{where}: {text!r} is outside the years {MIN_YEAR}-{MAX_YEAR}",
            reason="DATE_OUT_OF_RANGE",
        )
    try:
        if re.fullmatch(r"\d{4}", t):
            y = int(t)
            return dt.date(y, 1, 1), dt.date(y + 1, 1, 1)
        if re.fullmatch(r"\d{4}-\d{1,2}", t):
            y, m = (int(x) for x in t.split("-"))
            first = dt.date(y, m, 1)
            return first, (dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1))
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", t):
            y, m, d = (int(x) for x in t.split("-"))
            day = dt.date(y, m, d)
            return day, day + dt.timedelta(days=1)
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", t):
            d, m, y = (int(x) for x in t.split("."))
            day = dt.date(y, m, d)
            return day, day + dt.timedelta(days=1)
    except ValueError:
        pass
    raise QueryError(f"{where}: not a date: {text!r}", reason="BAD_DATE")


def _at(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)


def _received(value: str, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    where = "received"
    if ".." in value:
        lo_text, hi_text = value.split("..", 1)
        lo = _at(_period(lo_text, where)[0], tz) if lo_text else None
        hi = _at(_period(hi_text, where)[1], tz) if hi_text else None
        if lo is None and hi is None:
            raise QueryError("received: empty range", reason="BAD_DATE")
        return lo, hi
    m = re.fullmatch(r"(>=|<=|>|<|=)?(.+)", value)
    if not m:
        raise QueryError("received: no date given", reason="EMPTY_VALUE")
    op, date_text = m.group(1) or "=", m.group(2)
    first, after = _period(date_text, where)
    return {
        ">=": (_at(first, tz), None),
        ">": (_at(after, tz), None),
        "<=": (None, _at(after, tz)),
        "<": (None, _at(first, tz)),
        "=": (_at(first, tz), _at(after, tz)),
    }[op]


def _values(value: str) -> list[str]:
    return [v.strip() for v in re.split(r"[,|]", value) if v.strip()]


def parse_query(text: str, tz: dt.tzinfo = dt.UTC) -> Query:
    """Parse the query language; dates are days in `tz` (the installation's time zone)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("query too long", reason="QUERY_TOO_LONG")
    if text.count('"') % 2:
        raise QueryError("a quotation mark is not closed", reason="UNTERMINATED_QUOTE")
    terms: list[Term] = []
    types: list[str] = []
    statuses: list[str] = []
    branches: list[str] = []
    senders: list[str] = []
    lo: dt.datetime | None = None
    hi: dt.datetime | None = None
    for m in _TOKEN.finditer(text):
        name = m.group("field")
        if name is not None:
            key = FIELDS.get(name.lower())
            if key is None:
                if re.fullmatch(r"[A-Za-z_]+", name):
                    raise QueryError(f"unknown field {name}:", reason="UNKNOWN_FIELD")
                # "РНОКПП:1234567899" and the like are text, not a filter.
                terms.extend(_word_terms(f"{name} {m.group('fvalue')}"))
                continue
            value = m.group("fvalue").strip('"').strip()
            if not value:
                raise QueryError(f"{name}: no value given", reason="EMPTY_VALUE")
            if key == "type":
                for v in _values(value.lower()):
                    code = TYPE_ALIASES.get(v, v)
                    if code not in DOCUMENT_TYPES:
                        raise QueryError(
                            f"type: unknown document type {v!r}", reason="UNKNOWN_TYPE"
                        )
                    types.append(code)
            elif key == "status":
                for v in _values(value.lower()):
                    if v not in STATUSES:
                        raise QueryError(f"status: unknown status {v!r}", reason="UNKNOWN_STATUS")
                    statuses.append(STATUSES[v])
            elif key == "branch":
                branches.extend(_values(value))
            elif key == "from":
                senders.extend(v.lower().strip("<>") for v in _values(value))
            else:
                new_lo, new_hi = _received(value.replace(" ", ""), tz)
                if new_lo is not None and (lo is None or new_lo > lo):
                    lo = new_lo
                if new_hi is not None and (hi is None or new_hi < hi):
                    hi = new_hi
        elif m.group("phrase") is not None:
            words = tuple(w.rstrip("*") for w in _WORDS.findall(m.group("phrase")))
            if len(words) == 1:
                terms.append(Word(words[0]))
            elif words:
                terms.append(Phrase(words))
        elif m.group("word") is not None:
            terms.extend(_word_terms(m.group("word")))
    if len(terms) > MAX_TERMS:
        raise QueryError("too many words in the query", reason="QUERY_TOO_LONG")
    return Query(
        terms=tuple(terms),
        types=tuple(dict.fromkeys(types)),
        statuses=tuple(dict.fromkeys(statuses)),
        branches=tuple(branches),
        senders=tuple(senders),
        received_from=lo,
        received_until=hi,
    )


def _word_terms(text: str) -> list[Term]:
    out: list[Term] = []
    for w in _WORDS.findall(text):
        if w.endswith("*"):
            stem = w.rstrip("*")
            if stem:
                out.append(Word(stem, prefix=True))
        else:
            out.append(Word(w))
    return out
