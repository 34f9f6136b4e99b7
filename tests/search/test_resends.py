"""Identical resends (the same PDF bytes sent again) are one result, "sent 3 times", on both
backends, whatever the query: words, filters alone, by relevance or by date."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator

import pytest

from archive.models import Document
from search.index import SearchBackend, open_backend
from tests.search.conftest import Archive, add_copy

TEXT = "\n".join(
    [
        "Довідка про взяття на облік внутрішньо переміщеної особи",
        "Руденко Ігор Миколайович",
        "Номер документа: 0000-1234567890",
        "Дата народження: 12.12.1988",
    ]
)


@pytest.fixture
def resent(archive: Archive) -> Iterator[tuple[SearchBackend, list[int]]]:
    pdf_hash = hashlib.sha256(b"the same PDF bytes").hexdigest()
    copies = []
    for day in (21, 22, 23):
        doc_id = add_copy(
            archive.db,
            text=TEXT,
            filename="vpo.pdf",
            received_at=dt.datetime(2026, 11, day, 9, 0, tzinfo=dt.UTC),
            branch_email="khr@example.org",
            sender="ihor@example.com",
        )
        copies.append(doc_id)
    with archive.db.session() as s:
        for doc_id in copies:
            doc = s.get(Document, doc_id)
            assert doc is not None
            doc.pdf_sha256 = pdf_hash
    b = open_backend(archive.settings, archive.index_dir, archive.db)
    try:
        yield b, copies
    finally:
        b.close()


QUERIES = (
    ("руденко", "relevance"),
    ("руденко", "date"),
    ("Руденк", "relevance"),  # the forgiving tier collapses too
    ("type:idp-certificate", "relevance"),
    ("received:2026-11", "date"),
)


def test_identical_resends_are_one_result(
    resent: tuple[SearchBackend, list[int]], archive: Archive
) -> None:
    backend, copies = resent
    for query, sort in QUERIES:
        result = backend.search(query, sort=sort)
        mine = [h for h in result.hits if h.id in copies]
        assert [h.sent for h in mine] == [3], query
        others = [h for h in result.hits if h.id not in copies]
        assert all(h.sent == 1 for h in others), query
        assert result.total == len(result.hits), query  # the total counts distinct copies
        if sort == "date":
            assert mine[0].id == copies[-1], query  # the latest resend stands for them


def test_different_bytes_are_different_results(
    resent: tuple[SearchBackend, list[int]], archive: Archive
) -> None:
    backend, copies = resent
    other = add_copy(
        archive.db,
        text=TEXT,
        filename="vpo.pdf",
        received_at=dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.UTC),
        branch_email="khr@example.org",
        sender="ihor@example.com",
    )
    from search.index import ArchiveSource

    backend.add(list(ArchiveSource(archive.db).docs(only=[other])))
    result = backend.search("руденко", sort="date")
    assert [(h.id, h.sent) for h in result.hits] == [(other, 1), (copies[-1], 3)]
    assert result.total == 2


@pytest.mark.parametrize("backend_name", ["whoosh", "postgres"])
def test_an_empty_index_answers_nothing(
    backend_name: str, tmp_path: object, request: pytest.FixtureRequest
) -> None:
    """Before the first copy arrives (what `serve` meets on a fresh install)."""
    from pathlib import Path

    from archive.db import Database
    from search.settings import SearchSettings

    root = Path(str(tmp_path))
    url = (
        f"sqlite:///{root / 'a.db'}"
        if backend_name == "whoosh"
        else request.getfixturevalue("pg_url")
    )
    db = Database(url)
    db.migrate()
    backend = open_backend(SearchSettings(backend=backend_name), root / "index", db)
    try:
        for query in ("770000002", "шевченко", "", "type:id-card", '"Шевченко Тарас"'):
            assert backend.search(query).total == 0
            assert backend.search(query, sort="date").hits == []
    finally:
        backend.close()
        db.dispose()
