"""Search that forgives (issue 13 item 7), the same on Whoosh and PostgreSQL: a word is also a
prefix ("шевченк"), a name may carry one typo (five to seven letters) or two (eight or more),
and whatever only this forgiving tier finds ranks below every exact match.

The copies are made like the real ones (the Diia-like PDF through the real extractor for Taras,
the fixture's lines for the others); the near-namesake "Шевчено" is a different, invented
person one letter away from "Шевченко".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from search.index import SearchBackend, open_backend
from search.plan import max_typos
from tests.search.conftest import Archive, add_copy
from tests.support.pdf import DiiaCopy, diia_copy_lines


def ids(backend: SearchBackend, query: str, **kw: object) -> list[int]:
    return [h.id for h in backend.search(query, **kw).hits]  # type: ignore[arg-type]


@pytest.fixture
def near(archive: Archive) -> Iterator[tuple[SearchBackend, dict[str, int]]]:
    """The fixture archive plus "Шевчено Іван Петрович", one letter from "Шевченко"."""
    lines = diia_copy_lines(
        DiiaCopy(
            full_name="Шевчено Іван Петрович",
            document_number="000765432",
            rnokpp="2000000006",
            birth_date=dt.date(1985, 6, 1),
        )
    )
    ivan = add_copy(
        archive.db,
        text="\n".join(lines),
        filename="Паспорт громадянина України.pdf",
        received_at=dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC),  # newer than Taras
        branch_email="hotel@example.org",
        sender="ivan@example.com",
    )
    b = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        yield b, {**archive.ids, "ivan": ivan}
    finally:
        b.close()


def test_typo_allowance_grows_with_the_word() -> None:
    assert [max_typos(w) for w in ("Іван", "Тарас", "Шевчук", "Шевченко")] == [0, 1, 1, 2]


FORGIVEN = (
    "шевченк",  # a prefix without the star
    "Шевченк Тарас",
    "шевчкнко",  # one letter wrong
    "шевчкнка",  # two letters wrong in an eight-letter name
    "SHEVCHNKO",  # a typo in the Latin spelling
    "Тарсс Шевченко",  # one typo in the given name
)


def test_prefixes_and_typos_find_the_person(near: tuple[SearchBackend, dict[str, int]]) -> None:
    backend, a = near
    missed = [q for q in FORGIVEN if a["taras"] not in ids(backend, q)]
    assert missed == []


def test_exact_matches_rank_above_forgiving_ones(
    near: tuple[SearchBackend, dict[str, int]],
) -> None:
    backend, a = near
    # Ivan is newer and one letter away: found, but after the exact "Шевченко".
    result = backend.search("Шевченко")
    assert [h.id for h in result.hits] == [a["taras"], a["ivan"]]
    assert result.total == 2
    # Paging walks across the tiers without losing or repeating anyone.
    first = backend.search("Шевченко", limit=1, offset=0)
    second = backend.search("Шевченко", limit=1, offset=1)
    assert [h.id for h in first.hits + second.hits] == [a["taras"], a["ivan"]]
    assert first.total == second.total == 2
    assert backend.search("Шевченко", limit=1, offset=2).hits == []
    # And the other way round: Ivan's exact name first, Taras one letter away after him.
    assert ids(backend, "Шевчено")[:1] == [a["ivan"]]
    assert a["taras"] in ids(backend, "Шевчено")
    # By date the tiers mix, newest first.
    assert ids(backend, "Шевченко", sort="date") == [a["ivan"], a["taras"]]


def test_not_too_forgiving(near: tuple[SearchBackend, dict[str, int]]) -> None:
    backend, a = near
    assert ids(backend, "Шевчук") == [a["yaroslav"]]  # three letters from Шевченко
    # "Іван" is also the start of Yaroslav's patronymic "Іванович": found, after the exact one.
    assert ids(backend, "Іван") == [a["ivan"], a["yaroslav"]]
    assert ids(backend, "Івак") == []  # four letters: no typo allowed
    assert ids(backend, "Шевченко Ярослав") == []  # every word must still match
    assert ids(backend, "000123456") == [a["taras"]]  # numbers stay exact
    assert ids(backend, "000123457") == []


def test_forgiving_hits_are_highlighted(near: tuple[SearchBackend, dict[str, int]]) -> None:
    backend, a = near
    [hit] = [h for h in backend.search("шевченк").hits if h.id == a["taras"]]
    assert "<mark>Шевченко</mark>" in hit.snippet


def test_typos_found_in_an_index_older_than_the_name_lexicon(
    near: tuple[SearchBackend, dict[str, int]], archive: Archive
) -> None:
    """PostgreSQL looks near names up in a lexicon of name words; an index written before
    the lexicon existed gets it filled from its rows when opened."""
    if archive.settings.backend != "postgres":
        pytest.skip("the lexicon of name words is PostgreSQL's")
    backend, a = near
    backend.close()
    with archive.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE search_name_words"))
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        assert a["taras"] in ids(again, "шевчкнко")  # one letter wrong
        assert a["taras"] in ids(again, "шевчкнка")  # two letters wrong
        assert ids(again, "Шевчук") == [a["yaroslav"]]  # three letters: not forgiven
        assert ids(again, "SHEVXXNKO") == []  # three letters wrong: nobody
    finally:
        again.close()


def test_a_deleted_copy_takes_its_name_words_out_of_the_lexicon(
    near: tuple[SearchBackend, dict[str, int]], archive: Archive
) -> None:
    """Erasure leaves no name behind in PostgreSQL's lexicon of name words; a word another
    copy still carries stays, so that copy's typos are still forgiven."""
    if archive.settings.backend != "postgres":
        pytest.skip("the lexicon of name words is PostgreSQL's")
    backend, a = near

    def lexicon() -> set[str]:
        with archive.db.engine.connect() as conn:
            return set(conn.execute(text("SELECT word FROM search_name_words")).scalars())

    before = lexicon()
    assert {"shevcheno", "shevchenko"} <= before  # Ivan's surname and Taras's
    backend.delete([a["ivan"]])
    after = lexicon()

    assert "shevcheno" not in after  # only Ivan carried it
    assert "shevchenko" in after  # Taras (and Yaroslav) still do
    assert a["taras"] in ids(backend, "шевчкнко")  # still forgiven: one letter wrong
    assert ids(backend, "Шевчено") != [a["ivan"]]
