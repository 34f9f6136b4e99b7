"""The one way UI text is looked up: a catalogue of keys in Ukrainian and English.

Every package keeps its own strings as data (`web/i18n*.py`, `qrtools/texts.py`, the document
types in `archive/doctypes.py`) and builds a `Catalogue` from them; this module is only the
mechanism, so the web pages, the posters, the reminder e-mails and the CLI translate alike. It
lives in `archive` because `qrtools` may import nothing else of ours and the web imports both.

An entry is `{"uk": text, "en": text}`. A text may name placeholders, `{n}` or `{date}`,
filled from the caller's keyword arguments; anything else in braces is left alone, so a
sentence that happens to contain a brace cannot break a page. A plural entry gives, per
language, its CLDR plural forms instead of one text: Ukrainian `one`/`few`/`many`
(1 сторінка, 2 сторінки, 5 сторінок), English `one`/`other` (1 page, 2 pages).

One call shape everywhere: `t(key, **params)` for a text, `t.plural(key, n, **params)` for a
count (the count is also the placeholder `{n}`), `key in t` to ask whether a key exists.
An unknown key comes back as the key itself, so a missing translation shows, never hides text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Literal

LANGS: tuple[str, ...] = ("uk", "en")
#: The language a missing translation falls back to: the product is Ukrainian first.
FIRST = "uk"

#: The CLDR plural categories each language uses for whole numbers.
PLURAL_FORMS: dict[str, tuple[str, ...]] = {"uk": ("one", "few", "many"), "en": ("one", "other")}

Forms = Mapping[str, str]
Text = str | Forms
Entry = Mapping[str, Text]
Table = Mapping[str, Entry]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def plural_category(lang: str, n: int) -> Literal["one", "few", "many", "other"]:
    """The CLDR plural category of the whole number `n` in `lang` (unicode.org/cldr, Language
    Plural Rules). Ukrainian: one when n % 10 = 1 and n % 100 != 11; few when n % 10 = 2..4
    and n % 100 != 12..14; many otherwise. English: one for 1, other for the rest. Only whole
    numbers are counted here (pages, copies, days), so CLDR's `other` for fractions is unused.
    """
    n = abs(n)
    if lang == "uk":
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "many"
    return "one" if n == 1 else "other"


def placeholders(text: Text) -> set[str]:
    """The placeholder names a text (or every form of a plural text) uses."""
    texts = [text] if isinstance(text, str) else list(text.values())
    return {name for t in texts for name in _PLACEHOLDER.findall(t)}


def fill(text: str, params: Mapping[str, object]) -> str:
    """`text` with its `{name}` placeholders replaced; a name not given stays as written."""
    if not params:
        return text
    return _PLACEHOLDER.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], text)


class Catalogue:
    """Tables of entries merged into one; a key defined twice is a mistake and raises."""

    def __init__(self, *tables: Table) -> None:
        merged: dict[str, Entry] = {}
        for table in tables:
            twice = merged.keys() & table.keys()
            if twice:
                raise ValueError(f"keys defined twice: {sorted(twice)}")
            merged.update(table)
        self._entries = merged

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, key: str) -> Entry:
        return self._entries[key]

    def items(self) -> Iterator[tuple[str, Entry]]:
        return iter(self._entries.items())

    def translator(self, lang: str) -> Translator:
        return Translator(self, lang if lang in LANGS else FIRST)


class Translator:
    """The catalogue in one language: what pages and messages call `t`."""

    def __init__(self, catalogue: Catalogue, lang: str) -> None:
        self.catalogue = catalogue
        self.lang = lang

    def __contains__(self, key: object) -> bool:
        return key in self.catalogue

    def _text(self, key: str) -> Text | None:
        if key not in self.catalogue:
            return None
        entry = self.catalogue.entry(key)
        return entry.get(self.lang) or entry[FIRST]

    def __call__(self, key: str, /, **params: object) -> str:
        """The text of `key`, placeholders filled from `params`; the key itself if unknown."""
        text = self._text(key)
        if text is None:
            return key
        if not isinstance(text, str):  # a plural entry asked for without a count
            return fill(text.get("many") or text["other"], params)
        return fill(text, params)

    def plural(self, key: str, n: int, /, **params: object) -> str:
        """The form of `key` that agrees with the count `n` (also filled in as `{n}`)."""
        text = self._text(key)
        if text is None:
            return key
        if isinstance(text, str):
            return fill(text, {"n": n, **params})
        lang = self.lang if self.lang in self.catalogue.entry(key) else FIRST
        return fill(text[plural_category(lang, n)], {"n": n, **params})


def pairs(prefix: str, table: Mapping[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Entries `prefix.key` from a table written as (Ukrainian, English) pairs, the compact
    layout for long lists of short texts (audit actions, poster lines)."""
    return {f"{prefix}.{key}": {"uk": uk, "en": en} for key, (uk, en) in table.items()}


def defects(catalogue: Catalogue) -> list[str]:
    """What is wrong with a catalogue's data, one line per fault, empty when all is well:
    a key missing a language or with an empty text, a plural entry without every form its
    language needs (or with one it does not use), and placeholders that differ between the
    languages (a translation that drops `{n}` would hide the number)."""
    found = []
    for key, entry in catalogue.items():
        if set(entry) != set(LANGS):
            found.append(f"{key}: languages {sorted(entry)}")
            continue
        kinds = {isinstance(text, str) for text in entry.values()}
        if len(kinds) != 1:
            found.append(f"{key}: plural in one language only")
            continue
        for lang, text in entry.items():
            if isinstance(text, str):
                texts = [text]
            else:
                texts = list(text.values())
                if set(text) != set(PLURAL_FORMS[lang]):
                    found.append(f"{key}: {lang} forms {sorted(text)}")
            if not all(t.strip() for t in texts):
                found.append(f"{key}: empty {lang} text")
        if placeholders(entry["uk"]) != placeholders(entry["en"]):
            found.append(f"{key}: placeholders differ")
    return found
