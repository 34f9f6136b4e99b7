"""A parsed query turned into index keys: the part of query handling both backends share.

The backends differ only in how they express "any of these keys at this position"; what the
keys are is decided here, with the same Analyzer that indexed the documents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from search.analysis import Analyzer, normalize
from search.query import Phrase, Query, Word

_FUZZY_MIN = 5
#: Words from this length are also looked up as prefixes ("шевченк" finds "Шевченко").
_PREFIX_MIN = 4
#: From this length a name may carry two typos instead of one.
_TWO_TYPOS_MIN = 8
#: Letters at the start of a name that a typo never touches: keeps the fuzzy look-up to a
#: small part of the names (both backends use it).
FUZZY_PREFIX = 2


def max_typos(word: str) -> int:
    """How many letters a name may differ by (Levenshtein): none under five letters, where
    one edit makes another common word; one up to seven letters; two from eight."""
    if len(word) < _FUZZY_MIN:
        return 0
    return 2 if len(word) >= _TWO_TYPOS_MIN else 1


@dataclass(frozen=True)
class TermPlan:
    """One query term: alternatives per position (one position unless a phrase)."""

    kind: str  # "word" | "prefix" | "phrase"
    positions: tuple[tuple[str, ...], ...]
    #: Keys worth a fuzzy look-up in names (a word of letters long enough for a typo).
    fuzzy: tuple[str, ...] = ()
    #: Edits (Levenshtein distance) a fuzzy key may be from a name's key.
    typos: int = 0
    #: The typed word as a prefix key ("шевченк" → "shevchenk"): a forgiving match.
    implicit_prefix: str = ""

    @property
    def forgiving(self) -> bool:
        """Whether this term matches more than its exact keys in the forgiving tier."""
        return bool(self.fuzzy or self.implicit_prefix)


@dataclass(frozen=True)
class Plan:
    terms: tuple[TermPlan, ...]
    types: tuple[str, ...]
    statuses: tuple[str, ...]
    branch_ids: tuple[int, ...]
    #: Per branch value, per word of it, the word's alternative keys (all words must match).
    branch_words: tuple[tuple[tuple[str, ...], ...], ...]
    senders: tuple[str, ...]
    received_from: dt.datetime | None
    received_until: dt.datetime | None
    #: Every key a hit may show highlighted, and prefixes whose words are highlighted too.
    highlight: frozenset[str]
    highlight_prefixes: tuple[str, ...] = ()

    @property
    def has_fuzzy(self) -> bool:
        return any(t.fuzzy for t in self.terms)

    @property
    def forgiving(self) -> bool:
        """Whether a second, forgiving tier (prefixes, typos) can find more than the exact one.
        Its matches rank below every exact match."""
        return any(t.forgiving for t in self.terms)


def plan_query(query: Query, analyzer: Analyzer, *, fuzzy_names: bool = True) -> Plan:
    terms: list[TermPlan] = []
    # Merge "СН 123456" into one number before looking words up.
    merged: list[Word | Phrase] = []
    plain: list[str] = []

    def flush() -> None:
        for w in analyzer.query_words(plain):
            merged.append(Word(w))
        plain.clear()

    for term in query.terms:
        if isinstance(term, Word) and not term.prefix:
            plain.append(term.text)
            continue
        flush()
        merged.append(term)
    flush()

    for term in merged:
        if isinstance(term, Phrase):
            positions = tuple(analyzer.word_keys(w) for w in analyzer.query_words(term.words))
            positions = tuple(p for p in positions if p)
            if positions:
                terms.append(TermPlan("phrase", positions))
        elif term.prefix:
            key = analyzer.prefix_key(term.text)
            if key:
                terms.append(TermPlan("prefix", ((key,),)))
        else:
            keys = analyzer.word_keys(term.text)
            if not keys:
                continue
            fuzzy: tuple[str, ...] = ()
            typos = max_typos(term.text) if term.text.isalpha() and fuzzy_names else 0
            if typos:
                surface = analyzer.prefix_key(term.text)
                fuzzy = tuple(dict.fromkeys((*keys[:3], surface)))
            implicit = ""
            if term.text.isalpha() and len(term.text) >= _PREFIX_MIN:
                implicit = analyzer.prefix_key(term.text)
            terms.append(TermPlan("word", (keys,), fuzzy, typos, implicit))

    branch_ids: list[int] = []
    branch_words: list[tuple[tuple[str, ...], ...]] = []
    for value in query.branches:
        if value.isdigit():
            branch_ids.append(int(value))
        else:
            positions = tuple(p for p in analyzer.positions(value) if p)
            if positions:
                branch_words.append(positions)
    highlight = frozenset(
        k for t in terms if t.kind != "prefix" for pos in t.positions for k in pos
    )
    prefixes = tuple(t.positions[0][0] for t in terms if t.kind == "prefix") + tuple(
        t.implicit_prefix for t in terms if t.implicit_prefix
    )
    return Plan(
        terms=tuple(terms),
        types=query.types,
        statuses=query.statuses,
        branch_ids=tuple(branch_ids),
        branch_words=tuple(branch_words),
        senders=tuple(normalize(s) for s in query.senders),
        received_from=query.received_from,
        received_until=query.received_until,
        highlight=highlight,
        highlight_prefixes=prefixes,
    )


def sender_keys(sender: str) -> list[str]:
    """What `from:` may name: the whole address, its domain, its local part."""
    addr = normalize(sender).strip().strip("<>")
    if not addr:
        return []
    keys = [addr]
    if "@" in addr:
        local, _, domain = addr.rpartition("@")
        keys += [domain, local]
        parts = domain.split(".")
        keys += [".".join(parts[i:]) for i in range(1, len(parts) - 1)]
    return list(dict.fromkeys(k for k in keys if k))
