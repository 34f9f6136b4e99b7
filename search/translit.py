"""Ukrainian-to-Latin transliteration of the Cabinet of Ministers resolution No. 55 (2010).

This is the system Ukrainian passports use for the Latin spelling of names, so a clerk who reads
"SHEVCHENKO" off a foreign passport and types it gets the same key as "Шевченко" in a copy. The
table is position-dependent (Є, Ї, Й, Ю, Я differ at the start of a word) and "зг" becomes "zgh"
to keep it apart from "ж" (zh); the soft sign and the apostrophe are dropped.
"""

from __future__ import annotations

APOSTROPHES = "'’ʼ`´‘"

_PLAIN: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
    # Russian letters seen in older records: the nearest Ukrainian reading.
    "ё": "io", "ъ": "", "ы": "y", "э": "e",
}  # fmt: skip
_INITIAL: dict[str, str] = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def _is_letter(ch: str) -> bool:
    return ch.isalpha() or ch in APOSTROPHES


def transliterate(text: str) -> str:
    """Latin spelling of `text`; other characters pass through, case follows the source."""
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        low = ch.lower()
        if ch in APOSTROPHES:
            prev_cyr = i > 0 and text[i - 1].lower() in _PLAIN
            if prev_cyr:
                continue
            out.append(ch)
            continue
        if low not in _PLAIN:
            out.append(ch)
            continue
        initial = i == 0 or not _is_letter(text[i - 1])
        if low == "г" and i > 0 and text[i - 1].lower() == "з":
            latin = "gh"
        elif initial and low in _INITIAL:
            latin = _INITIAL[low]
        else:
            latin = _PLAIN[low]
        if ch != low and latin:
            # Upper case: all capitals inside an upper-case word, else only the first letter.
            nxt = text[i + 1] if i + 1 < n else ""
            prv = text[i - 1] if i > 0 else ""
            word_upper = (nxt.isalpha() and nxt.isupper()) or (
                not (nxt.isalpha() and nxt.islower()) and prv.isalpha() and prv.isupper()
            )
            latin = latin.upper() if word_upper else latin[0].upper() + latin[1:]
        out.append(latin)
    return "".join(out)
