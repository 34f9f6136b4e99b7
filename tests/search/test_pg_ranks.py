"""PostgreSQL's page of a one-word search read from `search_ranks` (issue 15): the same hits,
scores, totals and copies as ranking every match, and the table kept with the rows it mirrors.

The copies: several people named Коваленко (the name in their names: weight A), a copy whose
text alone mentions a Коваленко (weight D), a near name one letter away, a longer name the
prefix finds, and resends of one Руденко copy (copies to collapse: the page cannot come from
`search_ranks` then).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from archive.models import Document
from search.index import SearchResult, open_backend
from search.pg_backend import PostgresBackend, _after_prefix
from tests.search.conftest import Archive, add_copy


def _copy(name: str, extra: str = "") -> str:
    return "\n".join(
        [
            "Паспорт громадянина України (ID-картка)",
            name,
            "Дата народження: 01.02.1990",
            f"Копію створено для {extra or 'ТОВ «Готель Дніпро»'}",
        ]
    )


PEOPLE = (
    _copy("Коваленко Олег Петрович"),
    _copy("Коваленко Ірина Іванівна"),
    _copy("Коваленко Марія Олегівна"),
    _copy("Коваленко Тарас Андрійович"),
    _copy("Бойко Петро Іванович", extra="ФОП Коваленко"),  # the name in the text only
    _copy("Ковеленко Іван Петрович"),  # one letter from Коваленко
    _copy("Коваленков Юрій Петрович"),  # found by the prefix
    _copy("Руденко Ігор Миколайович"),
)


def _add(archive: Archive, body: str, day: dt.date, sender: str) -> int:
    """A copy of `body` received at 09:00 UTC on `day` from `sender`@example.com."""
    return add_copy(
        archive.db,
        text=body,
        filename="id.pdf",
        received_at=dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=dt.UTC),
        branch_email="khr@example.org",
        sender=f"{sender}@example.com",
    )


@pytest.fixture
def pg(archive: Archive) -> Iterator[tuple[PostgresBackend, Archive, list[int]]]:
    if archive.settings.backend != "postgres":
        pytest.skip("search_ranks is PostgreSQL's")
    ids = [_add(archive, body, dt.date(2026, 11, 1 + i), f"p{i}") for i, body in enumerate(PEOPLE)]
    resends = [_add(archive, PEOPLE[-1], dt.date(2026, 11, 20 + day), "ihor") for day in (1, 2)]
    pdf_hash = hashlib.sha256(b"the same PDF bytes").hexdigest()
    with archive.db.session() as s:
        for doc_id in (ids[-1], *resends):
            doc = s.get(Document, doc_id)
            assert doc is not None
            doc.pdf_sha256 = pdf_hash
    b = open_backend(archive.settings, archive.index_dir, archive.db)
    assert isinstance(b, PostgresBackend)
    try:
        yield b, archive, ids
    finally:
        b.close()


def _shown(result: SearchResult) -> tuple[int, list[tuple[Any, ...]]]:
    return result.total, [
        (h.id, h.score, h.sent, h.snippet, h.person_name, h.received_at) for h in result.hits
    ]


QUERIES = ("коваленко", "Коваленко", "KOVALENKO", "ковеленко", "шевченко", "руденко", "бойко")
PAGES = ((20, 0), (1, 0), (2, 1), (3, 3), (1, 4), (1, 5), (2, 6))


def spy_on_one_word(m: pytest.MonkeyPatch) -> list[bool]:
    """Record, per one-word search, whether `search_ranks` answered it (True) or the search
    fell back to ranking every match (False)."""
    answered: list[bool] = []
    one_word = PostgresBackend._one_word

    def spy(self: PostgresBackend, *args: Any, **kwargs: Any) -> Any:
        found = one_word(self, *args, **kwargs)
        answered.append(found is not None)
        return found

    m.setattr(PostgresBackend, "_one_word", spy)
    return answered


def test_one_word_page_is_the_page_of_every_match_ranked(
    pg: tuple[PostgresBackend, Archive, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    backend, _archive, ids = pg
    answered = spy_on_one_word(monkeypatch)
    fast = {}
    for q in QUERIES:
        for limit, offset in PAGES:
            answered.clear()
            shown = _shown(backend.search(q, limit=limit, offset=offset))
            fast[q, limit, offset] = (shown, answered == [True])
    monkeypatch.setattr(PostgresBackend, "_one_word", lambda *a, **k: None)
    for (q, limit, offset), (shown, _) in fast.items():
        assert shown == _shown(backend.search(q, limit=limit, offset=offset)), (q, limit, offset)

    # The names' rows answered (the text-only, near and prefix matches counted in the total);
    # past them, and where copies must be collapsed, every match was ranked.
    (total, hits), answered_here = fast["коваленко", 2, 1]
    assert answered_here
    # Five names (the fixture's Olena too), the text's mention, the near name, the prefix.
    assert total == 8
    assert [h[0] for h in hits] == [ids[2], ids[1]]  # newest first among equal scores
    assert fast["коваленко", 1, 4][1]  # the 5th name
    assert not fast["коваленко", 20, 0][1]  # five names' rows: not a full page
    assert not fast["коваленко", 2, 6][1]  # past the names
    assert not fast["руденко", 1, 0][1]  # resends: copies collapsed by the ranked path
    assert fast["руденко", 1, 0][0][1][0][2] == 3


def test_ranks_follow_the_rows(pg: tuple[PostgresBackend, Archive, list[int]]) -> None:
    backend, archive, ids = pg
    taras = archive.ids["taras"]

    def ranks(doc_id: int) -> dict[str, float]:
        with archive.db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT word, score FROM search_ranks WHERE id = :id"), {"id": doc_id}
            ).all()
        return {r.word: r.score for r in rows}

    with archive.db.engine.connect() as conn:
        expected = conn.execute(
            text(
                "SELECT ts_rank(keys, CAST('''shevchenko''' AS tsquery)) FROM search_documents"
                " WHERE id = :id"
            ),
            {"id": taras},
        ).scalar_one()
    mine = ranks(taras)
    assert mine["shevchenko"] == expected  # the score a search for the word computes
    assert "taras" in mine and "000123456" in mine  # names' and numbers' words
    assert "pasport" not in mine  # words of the text only (weight D) are not there

    backend.delete([taras])
    assert ranks(taras) == {}  # erasure leaves no name behind here either
    backend.add(backend.source.docs([ids[0]]))  # type: ignore[union-attr]
    assert "kovalenko" in ranks(ids[0])


def test_ranks_filled_for_an_index_older_than_them(
    pg: tuple[PostgresBackend, Archive, list[int]],
) -> None:
    backend, archive, _ids = pg
    before = _shown(backend.search("коваленко", limit=2))
    backend.close()
    with archive.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE search_ranks"))  # its indexes with it
        conn.execute(text("DROP INDEX search_documents_text_only"))
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        assert _shown(again.search("коваленко", limit=2)) == before
        with archive.db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM search_ranks")).scalar_one() > 0
            indexes = conn.execute(
                text(
                    "SELECT to_regclass('search_ranks_prefix') IS NOT NULL,"
                    " to_regclass('search_documents_text_only') IS NOT NULL"
                )
            ).one()
        assert tuple(indexes) == (True, True)  # the counting indexes made for it
    finally:
        again.close()


def test_rebuild_leaves_the_table_vacuumed(
    pg: tuple[PostgresBackend, Archive, list[int]],
) -> None:
    """After a rebuild the GIN index's pending list is merged and the visibility map set (a
    VACUUM), not left to an autovacuum that may be off."""
    backend, archive, _ids = pg
    assert backend.source is not None
    backend.rebuild(backend.source.docs())
    with archive.db.engine.connect() as conn:
        pages, visible = conn.execute(
            text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'search_documents'")
        ).one()
    assert pages > 0 and visible == pages


def test_a_dropped_table_of_rows_takes_its_ranks_along(
    pg: tuple[PostgresBackend, Archive, list[int]],
) -> None:
    """Dropping search_documents has the index rebuilt; the ranks of rows gone (an erased
    copy's among them) do not outlive it."""
    backend, archive, ids = pg
    backend.close()
    with archive.db.session() as s:
        doc = s.get(Document, ids[0])
        assert doc is not None
        s.delete(doc)  # gone from the archive while the index was away
    with archive.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE search_documents"))
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        with archive.db.engine.connect() as conn:
            orphans = conn.execute(
                text(
                    "SELECT count(*) FROM search_ranks r WHERE NOT EXISTS"
                    " (SELECT 1 FROM search_documents d WHERE d.id = r.id)"
                )
            ).scalar_one()
            mine = conn.execute(
                text("SELECT count(*) FROM search_ranks WHERE id = :id"), {"id": ids[0]}
            ).scalar_one()
        assert (orphans, mine) == (0, 0)
        assert ids[0] not in [h.id for h in again.search("коваленко").hits]
    finally:
        again.close()


def test_scrub_and_optimize_vacuum_every_table_that_holds_names(
    pg: tuple[PostgresBackend, Archive, list[int]],
) -> None:
    """Retention's scrub and the erasure's `optimize` VACUUM the rows, the lexicon of name words
    and the ranks: a deleted row's names must not stay readable in dead tuples until an
    autovacuum that may be off."""
    from archive.retention import scrub

    backend, archive, _ids = pg
    tables = ("search_documents", "search_name_words", "search_ranks")

    def vacuums() -> dict[str, int]:
        with archive.db.engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            rows = conn.execute(
                text(
                    "SELECT relname, vacuum_count FROM pg_stat_user_tables"
                    " WHERE relname IN ('search_documents', 'search_name_words', 'search_ranks')"
                )
            ).all()
        return {name: int(count) for name, count in rows}

    def waited_for_more_than(before: dict[str, int]) -> bool:
        import time

        deadline = time.monotonic() + 10  # the statistics collector reports a little later
        while time.monotonic() < deadline:
            now = vacuums()
            if all(now.get(t, 0) > before.get(t, 0) for t in tables):
                return True
            time.sleep(0.2)
        return False

    before = vacuums()
    scrub(archive.db)
    assert waited_for_more_than(before)
    before = vacuums()
    backend.optimize()
    assert waited_for_more_than(before)


def test_total_counts_a_row_once_and_its_text_only_mentions(
    pg: tuple[PostgresBackend, Archive, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-word total comes from the indexes (`search_ranks` for weight A, the text-only
    keys' index for the rest): a row whose name is the word and whose text holds a longer word
    of the prefix ("Коваленкова": 'kovalenkova', 'kovalenkovyi') counts once, a row whose text
    alone holds one counts too, and a deleted row no more; always the ranked path's total."""
    backend, archive, _ids = pg
    assert backend.source is not None

    def totals() -> tuple[int, int]:
        with monkeypatch.context() as m:
            answered = spy_on_one_word(m)
            fast = backend.search("коваленко", limit=1).total
        assert answered == [True]
        with monkeypatch.context() as m:
            m.setattr(PostgresBackend, "_one_word", lambda *a, **k: None)
            ranked = backend.search("коваленко", limit=1).total
        return fast, ranked

    before, _ = totals()
    new = [
        _add(archive, body, dt.date(2026, 10, 1 + i), f"n{i}")
        for i, body in enumerate(
            (
                _copy("Коваленко Андрій Петрович", extra="ФОП Коваленкова"),  # name and text
                _copy("Мельник Андрій Петрович", extra="ФОП Коваленкова"),  # text only
            )
        )
    ]
    backend.add(backend.source.docs(new))
    assert totals() == (before + 2, before + 2)
    backend.delete([new[0]])
    assert totals() == (before + 1, before + 1)
    backend.delete([new[1]])
    assert totals() == (before, before)


@pytest.mark.parametrize(
    ("prefix", "after"),
    [
        ("kovalenko", "kovalenkp"),
        ("ab\ud7ff", "ab\ue000"),  # past the surrogates, which UTF-8 cannot hold
        ("a\U0010ffff", "b"),  # the last character has no successor: the one before it
        ("\U0010ffff", None),  # nothing follows every string of U+10FFFF
    ],
)
def test_after_prefix_bounds_the_strings_of_a_prefix(prefix: str, after: str | None) -> None:
    assert _after_prefix(prefix) == after
    if after is not None:
        for inside in (prefix, prefix + "a", prefix + "\U0010ffff\U0010ffff"):
            assert prefix <= inside < after  # byte order of UTF-8 is code point order
        assert not after.startswith(prefix)  # the bound itself is past them
