"""The string catalogue shared by the web and the QR tools: plural rules, lookup, placeholders,
and the data checks every package's catalogue must pass."""

from __future__ import annotations

import pytest

from archive.catalogue import Catalogue, defects, plural_category
from qrtools.texts import CATALOGUE as QR_CATALOGUE
from web.i18n import CATALOGUE as WEB_CATALOGUE

#: Known answers from the CLDR Language Plural Rules chart for Ukrainian (cardinal, integers):
#: one = 1, 21, 31, 41, 51, 61, 71, 81, 101, 1001, …; few = 2~4, 22~24, 32~34, …, 102, 1002,
#: …; many = 0, 5~19, 100, 1000, 10000, … (https://www.unicode.org/cldr/charts/latest/
#: supplemental/language_plural_rules.html#uk; rules: "one: v = 0 and i % 10 = 1 and
#: i % 100 != 11", "few: v = 0 and i % 10 = 2..4 and i % 100 != 12..14", "many: v = 0 and
#: (i % 10 = 0 or i % 10 = 5..9 or i % 100 = 11..14)").
UKRAINIAN = {
    0: "many",
    1: "one",
    2: "few",
    5: "many",
    11: "many",
    12: "many",
    14: "many",
    21: "one",
    22: "few",
    25: "many",
    101: "one",
    111: "many",
    1000: "many",
}


@pytest.mark.parametrize(("n", "form"), sorted(UKRAINIAN.items()))
def test_ukrainian_plural_rule_gives_the_cldr_answers(n: int, form: str) -> None:
    assert plural_category("uk", n) == form


def test_english_plural_rule_gives_the_cldr_answers() -> None:
    """CLDR English: one = 1; other = 0, 2~16, 100, 1000, … (same chart, #en)."""
    assert [plural_category("en", n) for n in (0, 1, 2, 5, 11, 21, 101, 1000)] == [
        "other", "one", "other", "other", "other", "other", "other", "other",
    ]  # fmt: skip


SAMPLE = Catalogue(
    {
        "page.of": {"uk": "Сторінка {n} з {total}", "en": "Page {n} of {total}"},
        "pages.more": {
            "uk": {"one": "ще {n} сторінка", "few": "ще {n} сторінки", "many": "ще {n} сторінок"},
            "en": {"one": "{n} more page", "other": "{n} more pages"},
        },
        "only.uk": {"uk": "лише українською", "en": ""},
    }
)


def test_lookup_placeholders_and_fallbacks() -> None:
    uk, en = SAMPLE.translator("uk"), SAMPLE.translator("en")
    assert uk("page.of", n=2, total=5) == "Сторінка 2 з 5"
    assert en("page.of", n=2, total=5) == "Page 2 of 5"
    assert en("page.of", n=2) == "Page 2 of {total}"  # a missing value shows, nothing crashes
    assert en("no.such.key") == "no.such.key" and "no.such.key" not in en
    assert en("only.uk") == "лише українською"  # an empty translation falls back to Ukrainian
    assert SAMPLE.translator("de")("page.of", n=1, total=1) == "Сторінка 1 з 1"
    assert uk("page.of", n="{total}", total=3) == "Сторінка {total} з 3"  # values are not re-read


def test_plural_forms_agree_with_the_count() -> None:
    uk, en = SAMPLE.translator("uk"), SAMPLE.translator("en")
    said = [uk.plural("pages.more", n) for n in (1, 2, 5, 11, 21, 22, 111)]
    assert said == [
        "ще 1 сторінка", "ще 2 сторінки", "ще 5 сторінок", "ще 11 сторінок", "ще 21 сторінка",
        "ще 22 сторінки", "ще 111 сторінок",
    ]  # fmt: skip
    assert [en.plural("pages.more", n) for n in (1, 2)] == ["1 more page", "2 more pages"]


def test_a_key_defined_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"page\.of"):
        Catalogue({"page.of": {"uk": "а", "en": "a"}}, {"page.of": {"uk": "б", "en": "b"}})


def test_the_checks_find_each_kind_of_fault() -> None:
    bad = Catalogue(
        {
            "no.en": {"uk": "текст"},
            "empty": {"uk": "текст", "en": " "},
            "forms": {"uk": {"one": "{n} день", "many": "{n} днів"}, "en": {"other": "{n} days"}},
            "half": {"uk": {"one": "а", "few": "б", "many": "в"}, "en": "x"},
            "lost": {"uk": "залишилося {n}", "en": "some left"},
        }
    )
    assert defects(bad) == [
        "no.en: languages ['uk']",
        "empty: empty en text",
        "forms: uk forms ['many', 'one']",
        "forms: en forms ['other']",
        "half: plural in one language only",
        "lost: placeholders differ",
    ]
    assert defects(SAMPLE) == ["only.uk: empty en text"]


@pytest.mark.parametrize("catalogue", [WEB_CATALOGUE, QR_CATALOGUE], ids=["web", "qrtools"])
def test_every_key_in_both_languages_with_all_forms_and_the_same_placeholders(
    catalogue: Catalogue,
) -> None:
    """Every key has Ukrainian and English, every plural key Ukrainian one/few/many and English
    one/other, and both languages name the same placeholders."""
    assert len(catalogue) > 20
    assert defects(catalogue) == []


def test_document_type_names_come_from_one_place() -> None:
    """The staff's short names (web) and the citizen's full names (posters, reminders) are the
    same entries of archive/doctypes.py in both catalogues."""
    from archive.doctypes import DOCTYPE_STRINGS

    for key, entry in DOCTYPE_STRINGS.items():
        for catalogue in (WEB_CATALOGUE, QR_CATALOGUE):
            assert catalogue.entry(key) is entry
