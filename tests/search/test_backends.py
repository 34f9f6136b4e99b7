"""The same behaviour on both backends: Whoosh (embedded) and PostgreSQL (several nodes)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import text

from archive.models import Document
from search.errors import QueryError, SearchError
from search.index import ArchiveSource, SearchBackend, index_doc, open_backend
from tests.search.conftest import Archive, add_copy


def ids(backend: SearchBackend, query: str, **kw: object) -> list[int]:
    return [h.id for h in backend.search(query, **kw).hits]  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["шевченка", "SHEVCHENKO", "Шевченко Тарас", "1234567899"])
def test_finds_the_fixture_copy_of_taras(
    backend: SearchBackend, archive: Archive, query: str
) -> None:
    assert ids(backend, query) == [archive.ids["taras"]]


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("шевченка", "<mark>Шевченко</mark>"),
        ("1234567899", "<mark>1234567899</mark>"),
        ('"Шевченко Тарас"', "<mark>Шевченко</mark> <mark>Тарас</mark>"),
        ("шевченк*", "<mark>Шевченко</mark>"),
    ],
)
def test_snippet_highlights_the_match(backend: SearchBackend, query: str, marked: str) -> None:
    hit = backend.search(query).hits[0]
    assert marked in hit.snippet
    assert "ТОВ «Готель Дніпро»" not in hit.snippet or "&" not in hit.snippet.split("ТОВ")[0]


def test_other_forms_and_scripts(backend: SearchBackend, archive: Archive) -> None:
    taras, yaroslav = archive.ids["taras"], archive.ids["yaroslav"]
    assert ids(backend, "Шевченкові") == [taras]
    assert ids(backend, "shevchenko taras") == [taras]
    assert ids(backend, "Шевчук") == [yaroslav]
    assert ids(backend, "SHEVCHUK") == [yaroslav]
    assert sorted(ids(backend, "шевч*")) == sorted([taras, yaroslav])
    assert ids(backend, '"Григорович Тарас"') == []  # a phrase keeps its order
    assert ids(backend, "09.03.1814") == [taras]  # a date is one token in any spelling
    assert ids(backend, "1814-03-09") == [taras]
    assert ids(backend, "Шевченко Ярослав") == []  # all words must match


def test_document_numbers_with_or_without_series_and_spaces(
    backend: SearchBackend, archive: Archive
) -> None:
    olena = archive.ids["olena"]
    assert ids(backend, "ВХЕ 123456") == [olena]
    assert ids(backend, "вхе123456") == [olena]
    assert ids(backend, "BXE123456") == [olena]  # Latin look-alikes
    assert ids(backend, "123456") == [olena]
    assert ids(backend, "000123456") == [archive.ids["taras"]]
    assert ids(backend, "FA654321") == [archive.ids["yaroslav"]]


def test_type_and_date_filters_narrow(backend: SearchBackend, archive: Archive) -> None:
    a = archive.ids
    everything = backend.search("", sort="date")
    assert everything.total == 4
    assert ids(backend, "type:driver-license") == [a["olena"]]
    assert sorted(ids(backend, "received:2026-11-01..2026-11-30")) == sorted(
        [a["taras"], a["yaroslav"]]
    )
    assert ids(backend, "type:id-card received:2026-11-01..2026-11-30") == [a["taras"]]
    assert ids(backend, "type:id-card received:<2026-11-01") == []
    assert ids(backend, "received:>=2026-11-20") == [a["taras"]]
    assert ids(backend, "received:2026-10") == [a["olena"]]
    assert ids(backend, "шевч* type:foreign-passport") == [a["yaroslav"]]
    assert ids(backend, "шевченка type:driver-license") == []  # words and a filter that empties
    assert ids(backend, "шевченка received:2020") == []
    assert ids(backend, "type:student-card") == [a["sofia"]]
    # Days are Kyiv days: 2026-11-01 12:00 UTC is on the 1st there.
    assert ids(backend, "received:01.11.2026") == [a["yaroslav"]]


def test_status_branch_and_sender_filters(backend: SearchBackend, archive: Archive) -> None:
    a = archive.ids
    assert ids(backend, "status:failed") == [a["olena"]]
    assert sorted(ids(backend, "status:passed,unsigned")) == sorted([a["taras"], a["sofia"]])
    assert sorted(ids(backend, "branch:хрещатику")) == sorted([a["olena"], a["yaroslav"]])
    assert sorted(ids(backend, 'branch:"готель дніпро"')) == sorted([a["taras"], a["sofia"]])
    with archive.db.session() as s:
        branch_id = s.get(Document, a["olena"]).branch_id  # type: ignore[union-attr]
    assert sorted(ids(backend, f"branch:{branch_id}")) == sorted([a["olena"], a["yaroslav"]])
    assert ids(backend, "from:ukr.net") == [a["olena"]]
    assert ids(backend, "from:TARAS.SHEVCHENKO@example.com") == [a["taras"]]
    assert sorted(ids(backend, "from:example.com")) == sorted(
        [a["taras"], a["yaroslav"], a["sofia"]]
    )


def test_sorting_and_paging(backend: SearchBackend, archive: Archive) -> None:
    a = archive.ids
    newest_first = [a["taras"], a["yaroslav"], a["olena"], a["sofia"]]
    assert ids(backend, "", sort="date") == newest_first
    assert ids(backend, "received:2026") == newest_first  # filters alone: newest first
    assert ids(backend, "received:2026", limit=2, offset=2) == newest_first[2:]
    page = backend.search("", sort="date", limit=2, offset=1)
    assert page.total == 4
    assert [h.id for h in page.hits] == newest_first[1:3]
    assert backend.search("", limit=2, offset=10).hits == []
    assert backend.search("", limit=2, offset=10).total == 4
    assert ids(backend, "документа", sort="date")[0] == a["taras"]
    relevance = backend.search("шевченко")
    assert relevance.hits[0].score > 0


def test_json_contract(backend: SearchBackend, archive: Archive) -> None:
    out = backend.search("шевченка").to_dict()
    assert set(out) == {"total", "hits"}
    assert out["total"] == 1
    (hit,) = out["hits"]
    assert set(hit) == {
        "id", "document_type", "person_name", "branch", "received_at", "indication",
        "score", "snippet",
    }  # fmt: skip
    assert hit["id"] == archive.ids["taras"]
    assert hit["document_type"] == "id-card"
    assert hit["person_name"] == "Шевченко Тарас Григорович"
    assert hit["branch"] == "Рецепція готелю Дніпро"
    assert hit["received_at"] == "2026-11-20T10:30:00+00:00"
    assert hit["indication"] == "TOTAL_PASSED"


def test_bad_queries_raise_typed_errors(backend: SearchBackend) -> None:
    with pytest.raises(QueryError) as err:
        backend.search("type:passport-of-mars")
    assert err.value.reason == "UNKNOWN_TYPE"
    with pytest.raises(SearchError) as err2:
        backend.search("x", sort="alphabet")
    assert err2.value.reason == "BAD_SORT"


def test_add_update_and_delete(backend: SearchBackend, archive: Archive) -> None:
    new_id = add_copy(
        archive.db,
        text="Свідоцтво про народження\nЛисенко Марʼяна Остапівна\nНомер: І-БК № 765432",
        filename="birth.pdf",
        received_at=dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
        branch_email="khr@example.org",
        sender="parent@example.com",
    )
    assert ids(backend, "лисенко") == []
    with archive.db.session() as s:
        doc = index_doc(s.get(Document, new_id))  # type: ignore[arg-type]
    backend.add([doc])
    assert ids(backend, "Мар'яна") == [new_id]  # one apostrophe for all of ' ’ ʼ
    assert ids(backend, "мар’яну") == [new_id]
    assert ids(backend, "765432") == [new_id]
    assert ids(backend, "І-БК № 765432") == [new_id]
    assert ids(backend, "ібк765432") == [new_id]
    assert ids(backend, "type:birth-certificate") == [new_id]
    doc.text = doc.text.replace("Лисенко", "Гнатюк")
    doc.person_name = "Гнатюк Мар'яна Остапівна"
    backend.add([doc])  # same id: replaced, not duplicated
    assert ids(backend, "лисенко") == []
    assert ids(backend, "гнатюк") == [new_id]
    # Filters alone and filtered words see the replacement once (the first version, deleted,
    # is still in an older segment's files).
    day_filter = "type:birth-certificate received:2026-11-21"
    assert ids(backend, day_filter) == [new_id]
    assert backend.search(day_filter).total == 1
    assert ids(backend, f"гнатюк {day_filter}") == [new_id]
    assert ids(backend, f"лисенко {day_filter}") == []
    backend.delete([new_id])
    assert ids(backend, "гнатюк") == []
    assert ids(backend, day_filter) == []
    assert ids(backend, f"гнатюк {day_filter}") == []
    assert backend.search("").total == 4


def test_rebuild_streams_with_progress(backend: SearchBackend, archive: Archive) -> None:
    seen: list[int] = []
    source = ArchiveSource(archive.db, page=3)
    assert backend.rebuild(source.docs(), progress=seen.append) == 4
    assert seen[-1] == 4
    assert seen == sorted(seen)
    assert len(seen) >= 2  # committed in batches (commit_batch=2), not once at the end
    assert ids(backend, "шевченка") == [archive.ids["taras"]]
    backend.check()


def test_typo_in_a_surname_still_finds_the_person(backend: SearchBackend, archive: Archive) -> None:
    assert archive.ids["taras"] in ids(backend, "Шевчеко")


def test_open_adds_what_the_index_missed(archive: Archive) -> None:
    first = open_backend(archive.settings, archive.index_dir, archive.db)
    first.close()
    late = add_copy(
        archive.db,
        text="Довідка про взяття на облік внутрішньо переміщеної особи\nРуденко Ігор",
        filename="vpo.pdf",
        received_at=dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC),
        branch_email="khr@example.org",
        sender="ihor@example.com",
    )
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        assert ids(again, "руденко") == [late]
        assert ids(again, "type:idp-certificate") == [late]
    finally:
        again.close()


def test_missing_index_is_rebuilt_from_the_archive(archive: Archive) -> None:
    first = open_backend(archive.settings, archive.index_dir, archive.db)
    first.close()
    if archive.settings.backend == "whoosh":
        shutil.rmtree(archive.index_dir)
    else:
        with archive.db.engine.begin() as conn:
            conn.execute(text("DROP TABLE search_documents"))
    again = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        again.check()
        assert ids(again, "шевченка") == [archive.ids["taras"]]
    finally:
        again.close()


def test_unknown_backend_is_a_typed_error(archive: Archive) -> None:
    from dataclasses import replace

    with pytest.raises(SearchError) as err:
        open_backend(replace(archive.settings, backend="lucene"), archive.index_dir, archive.db)
    assert err.value.reason == "BAD_BACKEND"


def test_optimize_drops_deleted_documents_from_the_files(
    backend: SearchBackend, archive: Archive
) -> None:
    backend.delete([archive.ids["taras"]])
    backend.optimize()  # type: ignore[attr-defined]
    assert ids(backend, "1234567899") == []
    assert ids(backend, "коваленко") == [archive.ids["olena"]]
    if archive.settings.backend == "whoosh":
        root = archive.index_dir / "whoosh"
        generation = root / (root / "CURRENT").read_text().strip()
        on_disk = b"".join(p.read_bytes() for p in generation.iterdir() if p.is_file())
        assert b"1234567899" not in on_disk


def test_searches_run_while_another_thread_writes(backend: SearchBackend, archive: Archive) -> None:
    """One backend shared by the worker (writes) and the web pages (reads), as the server does."""
    import threading

    from tests.search.crash_child import endless_docs

    class Sink:
        def send(self, _value: object) -> None:
            pass

    docs = endless_docs(Sink())
    extra = [next(docs) for _ in range(60)]
    errors: list[BaseException] = []
    seen: list[int] = []

    def write() -> None:
        try:
            for i in range(0, len(extra), 10):
                backend.add(extra[i : i + 10])
        except BaseException as exc:  # reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        seen.append(backend.search("шевченка").total)
    writer.join()
    assert errors == []
    assert set(seen) <= {1}
    assert backend.search("петренко").total == 60
    assert ids(backend, "шевченка") == [archive.ids["taras"]]
