"""The index's view of archive rows, and the PostgreSQL index beside a SQLite archive."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from archive.db import Database
from archive.models import Document
from search.index import ArchiveSource, index_doc, open_backend
from search.settings import SearchSettings
from tests.search.conftest import fill_archive


@pytest.fixture
def sqlite_archive(tmp_path: Path) -> Iterator[tuple[Database, dict[str, int]]]:
    db = Database(f"sqlite:///{tmp_path / 'a.db'}")
    db.migrate()
    try:
        yield db, fill_archive(db)
    finally:
        db.dispose()


def test_index_doc_reads_fields_message_and_branch(
    sqlite_archive: tuple[Database, dict[str, int]],
) -> None:
    db, ids = sqlite_archive
    with db.session() as s:
        doc = index_doc(s.get(Document, ids["taras"]))  # type: ignore[arg-type]
    assert doc.person_name == "Шевченко Тарас Григорович"
    assert doc.document_type == "id-card"
    assert doc.branch == "Рецепція готелю Дніпро"
    assert doc.sender == "taras.shevchenko@example.com"
    assert doc.numbers == ["000123456", "1234567899"]
    assert doc.received_at.tzinfo is not None


def test_archive_source_streams_every_document_in_pages(
    sqlite_archive: tuple[Database, dict[str, int]],
) -> None:
    db, ids = sqlite_archive
    source = ArchiveSource(db, page=1)
    assert [d.id for d in source.docs()] == sorted(ids.values())
    assert source.count() == len(ids)
    assert source.ids() == set(ids.values())
    assert [d.id for d in source.docs([ids["olena"], 999])] == [ids["olena"]]


def test_postgres_index_beside_a_sqlite_archive(
    sqlite_archive: tuple[Database, dict[str, int]], pg_url: str, tmp_path: Path
) -> None:
    db, ids = sqlite_archive
    settings = replace(SearchSettings(), backend="postgres", postgres_url=pg_url)
    backend = open_backend(settings, tmp_path / "index", db)
    try:
        backend.check()
        assert [h.id for h in backend.search("SHEVCHENKO").hits] == [ids["taras"]]
    finally:
        backend.close()


def test_postgres_backend_refuses_a_sqlite_database(
    sqlite_archive: tuple[Database, dict[str, int]], tmp_path: Path
) -> None:
    from search.errors import SearchError

    db, _ids = sqlite_archive
    with pytest.raises(SearchError) as err:
        open_backend(SearchSettings(backend="postgres"), tmp_path / "index", db)
    assert err.value.reason == "BAD_BACKEND"
