"""Ukrainian analysis: transliteration, word forms, apostrophes, numbers, snippets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search.analysis import (
    Analyzer,
    _matching_spans,
    encode_positions,
    find_numbers,
    fold_number,
    make_snippet,
    normalize,
    number_keys,
)
from search.translit import transliterate

UK_LETTERS = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


# The examples of the resolution of the Cabinet of Ministers No. 55 of 27.01.2010.
OFFICIAL = [
    ("Алушта", "Alushta"), ("Андрій", "Andrii"), ("Борщагівка", "Borshchahivka"),
    ("Вишгород", "Vyshhorod"), ("Гадяч", "Hadiach"), ("Згорани", "Zghorany"),
    ("Ґалаґан", "Galagan"), ("Дон", "Don"), ("Рівне", "Rivne"), ("Єнакієве", "Yenakiieve"),
    ("Наєнко", "Naienko"), ("Житомир", "Zhytomyr"), ("Закарпаття", "Zakarpattia"),
    ("Медвин", "Medvyn"), ("Іршава", "Irshava"), ("Їжакевич", "Yizhakevych"),
    ("Кадиївка", "Kadyivka"), ("Йосипівка", "Yosypivka"), ("Стрий", "Stryi"),
    ("Олексій", "Oleksii"), ("Київ", "Kyiv"), ("Лебедин", "Lebedyn"), ("Миколаїв", "Mykolaiv"),
    ("Ніжин", "Nizhyn"), ("Одеса", "Odesa"), ("Полтава", "Poltava"), ("Ромни", "Romny"),
    ("Суми", "Sumy"), ("Тетерів", "Teteriv"), ("Ужгород", "Uzhhorod"), ("Фастів", "Fastiv"),
    ("Харків", "Kharkiv"), ("Біла Церква", "Bila Tserkva"), ("Чернівці", "Chernivtsi"),
    ("Шостка", "Shostka"), ("Гоща", "Hoshcha"), ("Русь", "Rus"), ("Юрій", "Yurii"),
    ("Крюківка", "Kriukivka"), ("Яготин", "Yahotyn"), ("Ічня", "Ichnia"),
    ("Знам'янка", "Znamianka"), ("Знам’янка", "Znamianka"),
]  # fmt: skip


@pytest.mark.parametrize(("cyrillic", "latin"), OFFICIAL)
def test_official_transliteration_examples(cyrillic: str, latin: str) -> None:
    assert transliterate(cyrillic) == latin


def test_transliteration_follows_case_of_passport_names() -> None:
    assert transliterate("ШЕВЧЕНКО ТАРАС") == "SHEVCHENKO TARAS"
    assert transliterate("Шевченко Тарас Григорович") == "Shevchenko Taras Hryhorovych"
    assert transliterate("Щ") == "Shch"


@given(
    st.lists(
        st.tuples(st.text(alphabet=UK_LETTERS, min_size=1, max_size=8), st.sampled_from("'’ʼ`")),
        max_size=5,
    )
)
@settings(max_examples=150, deadline=None)
def test_transliteration_of_ukrainian_is_plain_ascii(parts: list[tuple[str, str]]) -> None:
    text = " ".join(word + apostrophe + word for word, apostrophe in parts)
    out = transliterate(text)
    assert out.isascii()
    assert "'" not in out and "`" not in out


@pytest.mark.parametrize(
    "form", ["Шевченко", "шевченка", "ШЕВЧЕНКОВІ", "Шевченком", "SHEVCHENKO", "shevchenko"]
)
def test_forms_and_scripts_of_a_surname_share_a_key(analyzer: Analyzer, form: str) -> None:
    assert "shevchenko" in analyzer.word_keys(form)


def test_given_names_in_oblique_cases(analyzer: Analyzer) -> None:
    assert "taras" in analyzer.word_keys("Тарасові")
    assert "olena" in analyzer.word_keys("Олені")
    assert "mariia" in analyzer.word_keys("Марії")


def test_apostrophes_are_one(analyzer: Analyzer) -> None:
    keys = {analyzer.word_keys(w) for w in ("Мар'яна", "Мар’яна", "Марʼяна", "Мар`яна")}
    assert len(keys) == 1
    assert normalize("Мар’яна") == "мар'яна"


def test_dates_are_one_token_in_either_spelling(analyzer: Analyzer) -> None:
    assert analyzer.positions("09.03.1814") == analyzer.positions("1814-03-09")
    assert analyzer.positions("9.3.1814") == [("1814-03-09",)]


@pytest.mark.parametrize(
    "spelling", ["СН 123456", "CH123456", "сн123456", "СН-123456", "CН 123456", "СН№123456"]
)
def test_document_numbers_fold_series_spaces_and_lookalikes(spelling: str) -> None:
    assert fold_number(spelling) == "ch123456"
    assert number_keys(spelling) == {"ch123456", "123456"}


def test_number_folding_is_idempotent_on_its_output() -> None:
    for n in ("ВХЕ 123456", "І-БК № 654321", "FA 123456", "000123456"):
        assert fold_number(fold_number(n)) == fold_number(n)


def test_numbers_found_in_text_but_not_dates() -> None:
    text = (
        "Номер документа: 000123456\nРНОКПП: 1234567899\nСерія СН 123456, І-БК № 654321\n"
        "Дата народження: 09.03.1814, створено 2026-11-20 о 10:30"
    )
    assert find_numbers(text) == ["000123456", "1234567899", "СН 123456", "І-БК № 654321"]


def test_query_joins_series_with_its_number(analyzer: Analyzer) -> None:
    assert analyzer.query_words(["СН", "123456", "Шевченко"]) == ["СН123456", "Шевченко"]
    assert analyzer.query_words(["Шевченко", "123456"]) == ["Шевченко", "123456"]
    joined = analyzer.query_words(["І", "БК", "654321"])
    assert joined == ["ІБК654321"]
    assert fold_number(joined[0]) in number_keys("І-БК № 654321")


def test_positions_encoding_keeps_alternatives_together(analyzer: Analyzer) -> None:
    encoded = encode_positions(analyzer.positions("громадянина України"))
    assert encoded == "hromadianyna|hromadianyn ukrainy|ukraina"


def test_numbers_and_dates_are_not_cached_words() -> None:
    """A rebuild meets each document number once or twice: caching their keys only filled the
    cache (60 MB at 100,000 copies). Words are cached, and the keys are the same either way."""
    fresh = Analyzer()
    text = "Шевченко Тарас, номер СН 123456, РНОКПП 1234567899, 09.03.1814 та 1814-03-09"
    keys = fresh.positions(text)
    assert keys == [fresh._word_keys(w) for _s, _e, w in fresh.words(text)]
    assert ("sn",) in keys and ("123456",) in keys and ("1814-03-09",) in keys
    assert fresh.word_keys.cache_info().currsize == 6  # шевченко тарас номер сн рнокпп та


def test_snippet_marks_matches_and_escapes_markup(analyzer: Analyzer) -> None:
    text = "Примітка <script>alert(1)</script> & Шевченка Тараса бачили"
    out = make_snippet(analyzer, text, {"shevchenko"})
    assert "<mark>Шевченка</mark>" in out
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "&amp;" in out


def test_snippet_without_match_is_the_beginning(analyzer: Analyzer) -> None:
    text = "слово " * 100
    out = make_snippet(analyzer, text, {"nothing"}, width=50)
    assert out.endswith("…")
    assert "<mark>" not in out
    assert len(out) <= 51


def test_snippet_window_moves_to_a_late_match(analyzer: Analyzer) -> None:
    text = "вступ " * 200 + "РНОКПП: 1234567899"
    out = make_snippet(analyzer, text, {"1234567899"}, width=80)
    assert out.startswith("…")
    assert "<mark>1234567899</mark>" in out


@given(
    text=st.text(alphabet=st.sampled_from("<>&\"' абвШевченко123456 \n"), max_size=300),
    keys=st.sets(st.sampled_from(["shevchenko", "a", "123456"])),
)
@settings(max_examples=100, deadline=None)
def test_snippet_never_leaks_markup(analyzer: Analyzer, text: str, keys: set[str]) -> None:
    out = make_snippet(analyzer, text, keys)
    stripped = out.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_a_page_memo_changes_no_snippet(analyzer: Analyzer) -> None:
    """The hits of a page share what they learnt about words (as written) and numbers: the
    same snippets as each made alone, whatever the order, a word matching as itself in one
    text and a number whose digits are another text's word."""
    texts = [
        "Паспорт Шевченко Тарас Григорович, номер СН 123456, РНОКПП 1234567899",
        "ФОП Шевченка; 123456 та Шевченкові, ще раз Шевченко",
        "Нічого спільного: Коваленко 654321",
        "Шевчено Іван, 123456789",
    ]
    for keys, prefixes in (({"shevchenko", "123456"}, ()), ({"taras"}, ("shevch",)), (set(), ())):
        alone = [make_snippet(analyzer, t, keys, prefixes=prefixes) for t in texts]
        memo: dict[object, dict[object, bool]] = {}
        shared = [make_snippet(analyzer, t, keys, prefixes=prefixes, memo=memo) for t in texts]
        again = [make_snippet(analyzer, t, keys, prefixes=prefixes, memo=memo) for t in texts]
        assert shared == alone == again


SNIPPET_TEXTS = [
    "Паспорт громадянина України\nШевченко Тарас Григорович\nНомер документа: ТН 28179657\n"
    "РНОКПП: 2296877970\nДата народження: 09.03.1814 Шевченка зустріли",
    "Ім’я: Олександр О'Брайен, п`ятниця; серія І-БК № 654321, 1234567 Шевчук",
    "Коваль Коваленко Ковальчук ВХЕ 123456 CH 777777 шевч ЩЖ 123456",
    "код 12аб 3ТН777 ТН123456 th12345 2026-01-31 31.01.2026 ab",
]


@pytest.mark.parametrize("text", SNIPPET_TEXTS)
@pytest.mark.parametrize(
    ("keys", "prefixes"),
    [
        ({"shevchenko"}, ()),
        ({"shevchenko"}, ("shevch",)),
        ({"koval"}, ("koval",)),
        ({"123456"}, ()),
        (set(), ("th",)),  # a letters-only prefix that begins a number's series
        ({"2026-01-31"}, ("ab",)),
        (set(), ("shchzh",)),
        (set(), ("12",)),
        ({"obraien", "imia"}, ()),
        (set(), ("",)),  # an empty prefix matches every word and number
    ],
)
def test_snippet_spans_are_those_of_analyzer_spans(
    analyzer: Analyzer, text: str, keys: set[str], prefixes: tuple[str, ...]
) -> None:
    """The snippet's own search for matching words (decided once per distinct word, numbers
    skipped when they cannot match) finds exactly the spans Analyzer.spans keeps."""
    key_set, pre = frozenset(keys), tuple(prefixes)
    flat = " ".join(text.split())

    def keep(word_keys: frozenset[str]) -> bool:
        return bool(word_keys & key_set) or any(k.startswith(pre) for k in word_keys)

    memo: dict[object, object] = {}
    expected = analyzer.spans(flat, keep)
    assert _matching_spans(analyzer, flat, key_set, pre, memo) == expected
    assert _matching_spans(analyzer, flat, key_set, pre, memo) == expected  # memo warm


@given(
    text=st.text(alphabet=st.sampled_from("абвШевченкоТНthab_12345.-'’ `\u0301 \n№"), max_size=120),
    keys=st.sets(st.sampled_from(["shevchenko", "ab", "12345", "th12345", "2020-01-01"])),
    prefixes=st.lists(st.sampled_from(["shev", "th", "12", "a"]), max_size=2),
)
@settings(max_examples=300, deadline=None)
def test_snippet_spans_agree_on_any_text(
    analyzer: Analyzer, text: str, keys: set[str], prefixes: list[str]
) -> None:
    test_snippet_spans_are_those_of_analyzer_spans(analyzer, text, keys, tuple(prefixes))
