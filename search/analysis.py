"""Ukrainian text analysis shared by both index backends.

Every word becomes one or more *keys*: lower-case Latin strings that the index stores and the
query looks up. Cyrillic words are lemmatised with pymorphy3's Ukrainian dictionary (all lemmas a
form may have, so "шевченка", "Шевченкові" and "Шевченко" meet) and then transliterated with the
official 2010 system, which makes "SHEVCHENKO" read off a passport land on the same key. Words
with digits are document numbers: spaces, dashes and "№" go, Cyrillic letters that look like Latin
ones (С/C, Н/H, ...) are folded, so "СН 123456", "CH123456" and "сн123456" are one number, and the
digits alone are a key too. Both backends index exactly these keys, which is why they agree.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pymorphy3

from search.translit import APOSTROPHES, transliterate

#: Bumped whenever keys change: an index built with another version is rebuilt.
ANALYSIS_VERSION = 1

APOSTROPHE = "'"
_APOS_TABLE = str.maketrans({a: APOSTROPHE for a in APOSTROPHES})
_APOS = re.compile("[" + re.escape(APOSTROPHES) + "]")


def _straight(text: str) -> str:
    """Every apostrophe as APOSTROPHE: `text.translate(_APOS_TABLE)`, without translate's
    dictionary lookup per character when there is none (the usual case)."""
    return _APOS.sub(APOSTROPHE, text) if _APOS.search(text) else text


#: Dates are one token (so "09.03.1814" and "1814-03-09" meet), other words are letters and
#: digits with inner apostrophes.
DATE_PATTERN = r"\d{1,2}\.\d{1,2}\.\d{4}(?![\d.])|\d{4}-\d{2}-\d{2}(?!\d)"
WORD_PATTERN = rf"(?:{DATE_PATTERN}|[^\W_]+(?:['’ʼ`][^\W_]+)*)"
_WORD = re.compile(WORD_PATTERN)
_DMY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_CYRILLIC = re.compile(r"[а-яіїєґёъыэ]")
_DIGIT = re.compile(r"\d")
_MAX_LEMMAS = 6

# Cyrillic letters that look like Latin ones in printed series (upper and lower case agree).
_LOOKALIKE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "і": "i", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "х": "x", "у": "y",
    }
)  # fmt: skip
_SERIES = r"(?:[IVXІ]{1,3}-)?[A-ZА-ЯІЇЄҐ]{1,3}"
_NUMBER_IN_TEXT = re.compile(
    rf"(?<![\w.])(?:(?P<series>{_SERIES})[ \t-]?(?:№[ \t]?)?)?(?P<digits>\d{{5,}})(?![\w.]\d)"
)
_SHORT_SERIES = re.compile(r"[^\W\d_]{1,3}")


def _canonical(text: str) -> str:
    """NFC with one apostrophe: the text words are found in."""
    return _straight(unicodedata.normalize("NFC", text))


def normalize(text: str) -> str:
    """NFC, one apostrophe, lower case: the form every comparison starts from."""
    return _canonical(text).lower()


def fold_number(number: str) -> str:
    """One spelling of a document number: no separators, look-alike letters in Latin."""
    s = normalize(number)
    s = re.sub(r"[\s\-№'.]+", "", s)
    s = s.translate(_LOOKALIKE)
    return transliterate(s).lower() if _CYRILLIC.search(s) else s


def number_keys(number: str) -> set[str]:
    """Keys of a number: the folded whole and, when there is a series, its digits alone."""
    folded = fold_number(number)
    if not folded:
        return set()
    keys = {folded}
    digits = "".join(ch for ch in folded if ch.isdigit())
    if len(digits) >= 5:
        keys.add(digits)
    return keys


def find_numbers(text: str) -> list[str]:
    """Document numbers in extracted text, as written (series letters upper case)."""
    found: list[str] = []
    for m in _NUMBER_IN_TEXT.finditer(unicodedata.normalize("NFC", text)):
        found.append(m.group(0).strip())
    return found


@dataclass(frozen=True)
class Span:
    """A run of the source text and the keys it stands for (used to highlight snippets)."""

    start: int
    end: int
    keys: frozenset[str]


class Analyzer:
    """Turns text into index keys; holds the morphology dictionary and a bounded word cache.

    One instance per backend: loading the dictionary takes about half a second and the cache
    makes repeated words (most of a corpus) cost a dictionary lookup once.
    """

    def __init__(self, cache_size: int = 200_000) -> None:
        self._morph = pymorphy3.MorphAnalyzer(lang="uk")
        self.word_keys = functools.lru_cache(maxsize=cache_size)(self._word_keys)
        #: The same keys as a set, for highlighting (cached apart: most words of a snippet's
        #: text repeat from hit to hit).
        self.key_set = functools.lru_cache(maxsize=cache_size // 4)(self._key_set)

    def lemmas(self, word: str) -> tuple[str, ...]:
        """Dictionary forms of a normalised Cyrillic word, the word itself first."""
        out = [word]
        for parse in self._morph.parse(word):
            lemma = parse.normal_form
            if lemma not in out:
                out.append(lemma)
            if len(out) > _MAX_LEMMAS:
                break
        return tuple(out)

    def _word_keys(self, word: str) -> tuple[str, ...]:
        w = normalize(word)
        m = _DMY.fullmatch(w)
        if m:
            return (f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}",)
        if "-" in w:
            return (w,)  # an ISO date
        if _DIGIT.search(w):
            return (fold_number(w),)
        if _CYRILLIC.search(w):
            keys: list[str] = []
            for lemma in self.lemmas(w):
                key = transliterate(lemma).lower().replace(APOSTROPHE, "")
                if key and key not in keys:
                    keys.append(key)
            return tuple(keys)
        return (w.replace(APOSTROPHE, ""),)

    def _key_set(self, word: str) -> frozenset[str]:
        return frozenset(self.word_keys(word))

    def prefix_key(self, word: str) -> str:
        """The key of a word prefix (no lemmatising: "Шевч*" is a spelling, not a form)."""
        w = normalize(word)
        if _DIGIT.search(w):
            return fold_number(w)
        return transliterate(w).lower().replace(APOSTROPHE, "")

    def words(self, text: str) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(_canonical(text))]

    def positions(self, text: str) -> list[tuple[str, ...]]:
        """Keys per word position; alternatives (lemmas) share a position.

        Words with digits (numbers, dates) skip the cache: their keys cost a few string
        operations, not a dictionary lookup, and most of them occur in one copy only, so
        caching them filled the cache with entries never used again (about 60 MB during a
        rebuild of 100,000 copies)."""
        cached, direct, digit = self.word_keys, self._word_keys, _DIGIT.search
        # The words of `words`, without their places (no match objects, no tuples).
        words = _WORD.findall(_canonical(text))
        return [direct(w) if digit(w) else cached(w) for w in words]

    def spans(
        self,
        text: str,
        keep: Callable[[frozenset[str]], bool] | None = None,
        known: dict[str, bool] | None = None,
    ) -> list[Span]:
        """Words and document numbers of `text` with their keys, in text order; only those
        whose keys `keep` accepts when given (a snippet wants the few that match a query:
        making and sorting spans of the others cost as much as finding them). `known`
        remembers `keep`'s answer per word as written (one dict lookup for a word seen in an
        earlier text of the page instead of its keys and `keep`)."""
        spans: list[Span] = []
        nfc = unicodedata.normalize("NFC", text)
        if keep is None:
            for m in _WORD.finditer(nfc.translate(_APOS_TABLE)):
                spans.append(Span(m.start(), m.end(), self.key_set(m.group(0))))
            for m in _NUMBER_IN_TEXT.finditer(nfc):
                spans.append(Span(m.start(), m.end(), frozenset(number_keys(m.group(0)))))
        else:
            seen: dict[str, bool] = {} if known is None else known
            for m in _WORD.finditer(nfc.translate(_APOS_TABLE)):
                w = m.group(0)
                found = seen.get(w)
                if found is None:
                    found = seen[w] = keep(self.key_set(w))
                if found:
                    spans.append(Span(m.start(), m.end(), self.key_set(w)))
            for m in _NUMBER_IN_TEXT.finditer(nfc):
                # Apart from the words: a number's keys are not its word's keys.
                n = "\x00" + m.group(0)
                found = seen.get(n)
                if found is None:
                    found = seen[n] = keep(frozenset(number_keys(m.group(0))))
                if found:
                    spans.append(Span(m.start(), m.end(), frozenset(number_keys(m.group(0)))))
        spans.sort(key=lambda sp: (sp.start, -sp.end))
        return spans

    def query_words(self, words: Iterable[str]) -> list[str]:
        """Join series tokens with the number after them ("СН 123456" → "СН123456",
        "І-АВ № 123456" → "ІАВ123456"), as the number keys of the index have them."""
        out: list[str] = []
        for w in words:
            if w.isdigit() and len(w) >= 5:
                series: list[str] = []
                while out and len(series) < 2 and _SHORT_SERIES.fullmatch(normalize(out[-1])):
                    series.insert(0, out.pop())
                out.append("".join(series) + w)
                continue
            out.append(w)
        return out


def encode_positions(positions: Iterable[tuple[str, ...]]) -> str:
    """The positional keys as one string ("a|b c"), the form the Whoosh field reads back."""
    return " ".join("|".join(keys) for keys in positions if keys)


def _matching_spans(
    analyzer: Analyzer,
    flat: str,
    keys: frozenset[str],
    pre: tuple[str, ...],
    memo: dict[Any, Any],
) -> list[Span]:
    """The spans of `flat` (Analyzer.spans) whose keys meet `keys` or start with one of
    `pre`, as Analyzer.spans(flat, keep) gives them, found faster: whether a word matches is
    decided once per distinct word (remembered in `memo` for the page), and the words are
    walked for their places only when one of them matches; words and numbers that cannot
    match (see below) are not analysed at all."""
    if not keys and not pre:
        return []
    by_keys = memo.setdefault((keys, pre), {})
    # The words already decided on this page, and those of them that match.
    seen: set[str] = memo.setdefault(("seen", keys, pre), set())
    matched: set[str] = memo.setdefault(("matched", keys, pre), set())

    def hit(word_keys: frozenset[str]) -> bool:
        found = by_keys.get(word_keys)
        if found is None:
            found = by_keys[word_keys] = bool(word_keys & keys) or any(
                k.startswith(pre) for k in word_keys
            )
        return found

    # Every key of a word or number that begins with a digit begins with that digit, and
    # every key of a number holds its digits (without a series, letters before them, it is
    # digits alone): none of them can match when the query's keys hold no digit and its
    # prefixes all begin with a letter, the usual case of a name. They are then skipped
    # (finding their keys cost most of a snippet: numbers are new words on every copy).
    letters_only = not any(_DIGIT.search(k) for k in keys) and all(
        p and p[0].isalpha() for p in pre
    )
    key_set = analyzer.key_set
    norm = unicodedata.normalize("NFC", flat)
    words = _straight(norm)
    tokens = _WORD.findall(words)
    distinct = set(tokens)
    for w in distinct - seen:
        seen.add(w)
        if letters_only and w[0].isdigit():
            continue
        if hit(key_set(w)):
            matched.add(w)
    wanted = distinct & matched
    spans: list[Span] = []
    if wanted:
        # Each word's place: the first occurrence of it from the end of the word before.
        # No earlier one can exist there: a letter or digit at which no word began would
        # have begun one (every word begins with one, and one alone makes a word).
        find, pos = words.find, 0
        for w in tokens:
            start = find(w, pos)
            pos = start + len(w)
            if w in wanted:
                spans.append(Span(start, pos, key_set(w)))
    # Without prefixes, a number can only match by a key, and then only a key with digits.
    numbers = _NUMBER_IN_TEXT.finditer(norm) if pre or not letters_only else ()
    for m in numbers:
        if letters_only and m.group("series") is None:
            continue
        number_keys_ = frozenset(number_keys(m.group(0)))
        if hit(number_keys_):
            spans.append(Span(m.start(), m.end(), number_keys_))
    spans.sort(key=lambda sp: (sp.start, -sp.end))
    return spans


def make_snippet(
    analyzer: Analyzer,
    text: str,
    keys: Iterable[str],
    *,
    prefixes: Iterable[str] = (),
    width: int = 200,
    memo: dict[Any, Any] | None = None,
) -> str:
    """A piece of `text` around the densest match, HTML-escaped, matches in <mark> tags.

    Shared by both backends so a hit looks the same whichever index found it. `memo` (one
    dict for the hits of one page) remembers which words matched: most words of a copy
    repeat from copy to copy.
    """
    text = unicodedata.normalize("NFC", text)
    flat = " ".join(text.split())
    if not flat:
        return ""
    keys = frozenset(keys)
    pre = tuple(prefixes)
    spans = _matching_spans(analyzer, flat, keys, pre, {} if memo is None else memo)
    if not spans:
        cut = flat[:width]
        return html.escape(cut) + ("…" if len(flat) > width else "")
    # Window with the most matches, starting a little before its first match.
    best_i, best_count = 0, 0
    for i, sp in enumerate(spans):
        count = sum(1 for other in spans[i:] if other.end <= sp.start + width)
        if count > best_count:
            best_i, best_count = i, count
    start = max(0, spans[best_i].start - width // 4)
    if start:
        space = flat.rfind(" ", 0, start + 1)
        start = space + 1 if space >= 0 else start
    end = min(len(flat), start + width)
    out: list[str] = ["…" if start else ""]
    pos = start
    for sp in spans[best_i:]:
        if sp.start < pos:
            continue
        if sp.end > end:
            break
        out.append(html.escape(flat[pos : sp.start]))
        out.append("<mark>" + html.escape(flat[sp.start : sp.end]) + "</mark>")
        pos = sp.end
    out.append(html.escape(flat[pos:end]))
    if end < len(flat):
        out.append("…")
    return "".join(out)
