"""Who a copy names, and whether that is the person a data-subject request is about.

Search is forgiving (prefixes, typos) because a receptionist would rather see one copy too many.
A data-subject request must be exact, because an erasure that takes a namesake's copy cannot be
undone. So this module matches with the same Ukrainian analysis as search (case, apostrophes,
word forms through the lemmas, the official Latin transliteration) and nothing looser:

- every word of the requested name must equal (by those keys) a *different* part of the same
  person's name in the copy; a patronymic is only matched by a patronymic ("Тарас" never
  matches "Тарасівна", whatever a lemmatiser makes of it);
- numbers and dates compare exactly (document numbers after folding series letters and spaces).

A copy names people through its recognised fields (the holder; the parents on a birth
certificate). `group` puts the mentions of the same person together as an *identity*: same
RNOKPP, same document number, or the same full name without a conflicting RNOKPP or date of
birth; a mention carrying only a name joins an identity only when exactly one identity has that
name. The officer then sees "2 people called Шевченко Тарас" before anything is erased.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from search.analysis import Analyzer, fold_number, normalize, number_keys
from search.fields import display_name, is_patronymic, rnokpp_valid
from search.translit import transliterate

_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ`][^\W\d_]+)*")
_LATIN_PATRONYMIC = re.compile(r"[a-z']+(?:ovych|evych|yovych|ivna|yivna|ovna|ychna|ych)")


def looks_patronymic(word: str) -> bool:
    """A patronymic by its ending, in Cyrillic or in the passport's Latin spelling."""
    return is_patronymic(word) or bool(_LATIN_PATRONYMIC.fullmatch(normalize(word)))


def name_words(value: str) -> list[str]:
    """The words of a name ("Бондар-Лисенко Мар'яна" → Бондар, Лисенко, Мар'яна)."""
    return _WORD.findall(normalize(value))


def _canon(word: str) -> str:
    """One spelling of a printed name word for grouping: Latin, lower case, no apostrophe."""
    return re.sub(r"[^a-z]", "", transliterate(normalize(word)).lower())


@dataclass(frozen=True)
class Slot:
    """One word of a person's name in a copy: its role and its Cyrillic and Latin spellings."""

    role: str  # "surname", "given", "patronymic"
    words: tuple[str, ...]  # the spellings (Cyrillic and/or Latin) of this word


@dataclass(frozen=True)
class Mention:
    """A person named by one copy."""

    document_id: int
    message_id: int | None
    role: str  # "holder", "father", "mother"
    slots: tuple[Slot, ...]
    display: str
    birth_date: str = ""
    rnokpp: str = ""
    number: str = ""

    def name_key(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(surname, given, patronymic) words, canonical; empty tuples where unknown."""
        out: dict[str, list[str]] = {"surname": [], "given": [], "patronymic": []}
        for slot in self.slots:
            out[slot.role].append(_canon(slot.words[0]))
        return tuple(out["surname"]), tuple(out["given"]), tuple(out["patronymic"])


def _slots(
    surname: str, given: str, patronymic: str, surname_lat: str = "", given_lat: str = ""
) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    for role, cyr, lat in (
        ("surname", surname, surname_lat),
        ("given", given, given_lat),
        ("patronymic", patronymic, ""),
    ):
        cw, lw = name_words(cyr), name_words(lat)
        if cw and lw and len(cw) == len(lw):
            slots += [Slot(role, (c, la)) for c, la in zip(cw, lw, strict=True)]
        else:
            slots += [Slot(role, (w,)) for w in cw or lw]
    return tuple(slots)


def _split_full(value: str) -> tuple[str, str, str]:
    words = value.split()
    if len(words) < 2:
        return value, "", ""
    if len(words) >= 3 and looks_patronymic(words[-1]):
        return words[0], " ".join(words[1:-1]), words[-1]
    return words[0], " ".join(words[1:]), ""


def mentions(document_id: int, message_id: int | None, fields: dict[str, Any]) -> list[Mention]:
    """The people a copy's recognised fields name (the holder, and parents if any)."""

    def get(key: str) -> str:
        value = fields.get(key)
        return value if isinstance(value, str) else ""

    out: list[Mention] = []
    surname, given, patronymic = get("surname"), get("given_names"), get("patronymic")
    if not surname and get("person_name"):
        surname, given, patronymic = _split_full(get("person_name"))
    lat_words = get("person_name_lat").split()
    sur_lat = lat_words[0] if lat_words else ""
    giv_lat = " ".join(lat_words[1:])
    slots = _slots(surname, given, patronymic, sur_lat, giv_lat)
    rnokpp = get("rnokpp") if rnokpp_valid(get("rnokpp")) else ""
    number = fold_number(get("document_number")) if get("document_number") else ""
    if slots or rnokpp or number:
        display = get("person_name") or display_name(
            " ".join(p for p in (surname, given, patronymic) if p)
        )
        out.append(
            Mention(
                document_id,
                message_id,
                "holder",
                slots,
                display or get("person_name_lat"),
                get("birth_date"),
                rnokpp,
                number,
            )
        )
    for role, key in (("father", "father_name"), ("mother", "mother_name")):
        if get(key):
            s, g, p = _split_full(get(key))
            out.append(Mention(document_id, message_id, role, _slots(s, g, p), get(key)))
    return out


# --- the request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What the officer asked for; at least one criterion."""

    name: str | None = None
    rnokpp: str | None = None
    birth_date: dt.date | None = None
    number: str | None = None

    def __post_init__(self) -> None:
        if not (self.name and name_words(self.name)) and not (
            self.rnokpp or self.birth_date or self.number
        ):
            raise ValueError("a subject needs a name, an RNOKPP, a date of birth or a number")

    def criteria(self) -> list[str]:
        return [
            k
            for k, v in (
                ("name", self.name),
                ("rnokpp", self.rnokpp),
                ("birth_date", self.birth_date),
                ("number", self.number),
            )
            if v
        ]

    def key(self) -> str:
        """A canonical form of the criteria, fed to the keyed hash of audit records."""
        return "|".join(
            (
                " ".join(sorted(_canon(w) for w in name_words(self.name or ""))),
                _digits(self.rnokpp or ""),
                self.birth_date.isoformat() if self.birth_date else "",
                fold_number(self.number or ""),
            )
        )

    @property
    def identifier(self) -> bool:
        """Whether an identifier (not only a name) narrows the request."""
        return bool(self.rnokpp or self.birth_date or self.number)


class Matcher:
    """Exact name matching through the search analysis (no prefixes, no typo tolerance)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer

    def keys(self, word: str) -> frozenset[str]:
        return frozenset(self.analyzer.word_keys(word))

    def patronymic(self, word: str) -> bool:
        """Shaped like a patronymic in any of its forms ("Григоровича" → григорович)."""
        return looks_patronymic(word) or any(
            _LATIN_PATRONYMIC.fullmatch(k) for k in self.keys(word)
        )

    def _word_matches(self, wanted: str, candidate: str, candidate_role: str) -> bool:
        # A given name never matches a patronymic formed from it ("Тарас" / "Тарасівна"),
        # whatever a lemmatiser folds; a patronymic-shaped word may be a surname (Карпович).
        if candidate_role == "patronymic" and not self.patronymic(wanted):
            return False
        return bool(self.keys(wanted) & self.keys(candidate))

    def name_matches(self, request_name: str, mention: Mention) -> bool:
        """Every requested word equals a different word of the mention's name."""
        wanted = name_words(request_name)
        if not wanted or len(wanted) > len(mention.slots):
            return False
        options = [
            [
                i
                for i, slot in enumerate(mention.slots)
                if any(self._word_matches(w, c, slot.role) for c in slot.words)
            ]
            for w in wanted
        ]
        return _assign(options, set())

    def text_matches(self, request: Request, text: str) -> bool:
        """The request's name and identifiers all occur in `text` (to check by hand).

        Names: every requested word as a word of the text (same keys), the words close
        together; patronymics only for patronymics, as for fields.
        """
        if request.rnokpp and _digits(request.rnokpp) not in re.findall(r"\d{10}", text):
            return False
        if request.number:
            wanted = number_keys(request.number)
            found: set[str] = set()
            for s in self.analyzer.spans(text):
                found |= s.keys
            if not wanted & found:
                return False
        if request.birth_date:
            day = request.birth_date
            if day.strftime("%d.%m.%Y") not in text and day.isoformat() not in text:
                return False
        if request.name:
            return self._name_in_text(request.name, text)
        return True

    def _name_in_text(self, name: str, text: str) -> bool:
        wanted = name_words(name)
        words = [w for _s, _e, w in self.analyzer.words(text) if not re.search(r"\d", w)]
        window = len(wanted) + 3
        hits: list[list[int]] = []
        for w in wanted:
            pat = self.patronymic(w)
            keys = self.keys(w)
            hits.append(
                [
                    i
                    for i, tw in enumerate(words)
                    if (pat or not self.patronymic(tw)) and keys & self.keys(tw)
                ]
            )
        if any(not h for h in hits):
            return False
        for start in hits[0]:
            near = [[i for i in h if abs(i - start) <= window] for h in hits]
            if _assign(near, set()):
                return True
        return False


def _assign(options: Sequence[Sequence[int]], used: set[int]) -> bool:
    """Whether each entry can take a distinct index from its options (tiny backtracking)."""
    if not options:
        return True
    for i in options[0]:
        if i not in used and _assign(options[1:], used | {i}):
            return True
    return False


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _number_equal(wanted: str, folded: str) -> bool:
    if not folded:
        return False
    keys = number_keys(folded)
    return bool(number_keys(wanted) & keys)


# --- identities -----------------------------------------------------------------------------


@dataclass
class Identity:
    """One person as far as the copies tell: the mentions that are theirs."""

    mentions: list[Mention] = field(default_factory=list)

    @property
    def rnokpps(self) -> set[str]:
        return {m.rnokpp for m in self.mentions if m.rnokpp}

    @property
    def birth_dates(self) -> set[str]:
        return {m.birth_date for m in self.mentions if m.birth_date}

    @property
    def numbers(self) -> set[str]:
        return {m.number for m in self.mentions if m.number}

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(m.display for m in self.mentions if m.display))

    @property
    def document_ids(self) -> list[int]:
        return sorted({m.document_id for m in self.mentions})

    def name_keys(self) -> set[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
        return {m.name_key() for m in self.mentions if m.slots}

    def has(self, request: Request) -> bool:
        """Every identifier of the request is one of this identity's."""
        if request.rnokpp and _digits(request.rnokpp) not in self.rnokpps:
            return False
        if request.birth_date and request.birth_date.isoformat() not in self.birth_dates:
            return False
        return not (
            request.number and not any(_number_equal(request.number, n) for n in self.numbers)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "rnokpp": sorted(self.rnokpps),
            "birth_dates": sorted(self.birth_dates),
            "documents": self.document_ids,
        }


def _compatible(a: Identity, b: Identity) -> bool:
    """Nothing tells the two apart, and their names agree: the same surname and given names
    somewhere, and no two different patronymics (a Latin-only name has none)."""
    if a.rnokpps and b.rnokpps and not (a.rnokpps & b.rnokpps):
        return False
    if a.birth_dates and b.birth_dates and not (a.birth_dates & b.birth_dates):
        return False
    pa = {k[2] for k in a.name_keys() if k[2]}
    pb = {k[2] for k in b.name_keys() if k[2]}
    if pa and pb and not (pa & pb):
        return False
    return any(
        x[0] == y[0] and x[1] == y[1] and bool(x[0]) for x in a.name_keys() for y in b.name_keys()
    )


def group(all_mentions: Iterable[Mention]) -> list[Identity]:
    """Mentions of one person together (see the module docstring for the rules)."""
    items = list(all_mentions)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        parent[find(i)] = find(j)

    by_key: dict[tuple[str, str], int] = {}
    for i, m in enumerate(items):
        for kind, value in (("rnokpp", m.rnokpp), ("number", m.number)):
            if value:
                if (kind, value) in by_key:
                    union(i, by_key[(kind, value)])
                else:
                    by_key[(kind, value)] = i
    clusters: dict[int, Identity] = {}
    for i, m in enumerate(items):
        clusters.setdefault(find(i), Identity()).mentions.append(m)
    strong = [c for c in clusters.values() if c.rnokpps or c.birth_dates or c.numbers]
    weak = [c for c in clusters.values() if not (c.rnokpps or c.birth_dates or c.numbers)]
    # Candidates by (surname, given names), so an archive of many people stays linear.
    merged: list[Identity] = []
    by_name: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Identity]] = {}

    def homes_of(c: Identity) -> list[Identity]:
        seen: dict[int, Identity] = {}
        for key in c.name_keys():
            for g in by_name.get((key[0], key[1]), []):
                seen.setdefault(id(g), g)
        return [g for g in seen.values() if _compatible(g, c)]

    def settle(c: Identity, home: Identity | None) -> None:
        target = home if home is not None else c
        if home is not None:
            home.mentions += c.mentions
        else:
            merged.append(c)
        for key in c.name_keys():
            bucket = by_name.setdefault((key[0], key[1]), [])
            if all(g is not target for g in bucket):
                bucket.append(target)

    # Strong clusters with the same name merge when nothing tells them apart.
    for c in sorted(strong, key=lambda c: (not c.rnokpps, not c.birth_dates)):
        homes = homes_of(c)
        settle(c, homes[0] if len(homes) == 1 and _identified_alike(homes[0], c) else None)
    # A bare name joins the one identity with that name; with two or more it stays apart.
    for c in weak:
        homes = homes_of(c)
        settle(c, homes[0] if len(homes) == 1 else None)
    return merged


def _identified_alike(a: Identity, b: Identity) -> bool:
    """Two clusters with the same name are one person when a shared identifier says so, or
    when one of them carries no RNOKPP and no date of birth that the other lacks."""
    if a.rnokpps & b.rnokpps or a.birth_dates & b.birth_dates:
        return True
    return not (a.rnokpps or a.birth_dates) or not (b.rnokpps or b.birth_dates)
