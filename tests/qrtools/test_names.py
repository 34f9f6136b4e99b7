"""Names as the Diia portal accepts them: specific ones pass, vague ones are refused."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from archive.errors import Invalid
from qrtools.errors import InvalidName
from qrtools.registry import _GENERIC_WORDS, validate_name

REFUSED = [
    "Дія",
    "ДІЯ",
    "Впровадження Дії",
    "Дія готель",
    "Дія.QR",
    "ідентифікація",
    "Ідентифікація",
    "«Дія»",
    "Дiя",  # with a Latin i
    "Diia",
    "Відділення №1",
    "   ",
    "",
    "QR-код",
]
ACCEPTED = [
    # The portal's own examples.
    "Тернопільський кооперативний фаховий коледж",
    "Готель «Палаццо»",
    "ЦНАП Житомирської міської ради",
    "Відділення №1 ТОВ «Альфа-Сервіс»",
    "для поселення у готель",
    "для надання адміністративних послуг",
    "для вступу абітурієнтів",
    "для працевлаштування",
    "для заключення договору постачання комунальних послуг",
    "для ідентифікації особи при наданні послуги видачі товару на понад 5 тис. грн.",
]


@pytest.mark.parametrize("name", REFUSED)
def test_vague_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidName) as err:
        validate_name(name)
    assert isinstance(err.value, Invalid)  # the archive's family: CLI and API handle it
    assert err.value.reason == "QR_NAME_NOT_SPECIFIC"
    assert err.value.message("uk") != err.value.message("en")


@pytest.mark.parametrize("name", ACCEPTED)
def test_specific_names_pass(name: str) -> None:
    validate_name(name)


def test_too_long_and_control_characters() -> None:
    with pytest.raises(InvalidName):
        validate_name("Готель " + "а" * 300)
    with pytest.raises(InvalidName):
        validate_name("Готель\x07Палаццо")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(sorted(_GENERIC_WORDS)), min_size=1, max_size=4))
def test_any_mix_of_generic_words_is_refused(words: list[str]) -> None:
    with pytest.raises(InvalidName):
        validate_name(" ".join(words).capitalize())


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="абвгґдеєжзиіїйклмнопрстуфхцчшщьюя", min_size=3, max_size=12))
def test_a_specific_word_makes_a_name(word: str) -> None:
    assume(word not in _GENERIC_WORDS)
    validate_name(f"Дія {word}")
