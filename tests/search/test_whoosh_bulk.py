"""Rebuilt segments (search/whoosh_bulk.py) are Whoosh's own, byte for byte.

A rebuild writes its segments without Whoosh's posting pool; the files must be those Whoosh's
writer makes of the same documents, searches must find the same things with the same scores and
snippets, and Whoosh's ordinary writer must go on adding to, deleting from and merging them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh import index as windex

from search.group_writer import GroupWriter
from search.index import IndexDoc
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend
from search.whoosh_bulk import SegmentBuilder, commit_segments
from search.whoosh_store import (
    PositionsTokenizer,
    WhooshStore,
    _writer,
    make_schema,
    whoosh_text,
)

SURNAMES = ("Шевченко", "Коваленко", "Бондаренко", "Ткачук", "Мельник", "Олійник")
GIVEN = ("Тарас", "Олена", "Мар'яна", "Петро", "Ірина")
WHEN = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


def corpus(n: int, start: int = 1) -> list[IndexDoc]:
    """Copies sharing words (posting lists of several blocks), numbers of their own, repeated
    words in one text (several positions) and words with more than one lemma."""
    docs = []
    for i in range(start, start + n):
        surname, given = SURNAMES[i % len(SURNAMES)], GIVEN[i % len(GIVEN)]
        number = f"{i * 7919 % 1_000_000:06d}"
        text = (
            f"Паспорт громадянина України\n{surname} {given} Іванівна\n"
            f"Номер документа: СН {number}\nДата народження: {1 + i % 28}.0{1 + i % 9}.1990\n"
            f"Копія документа створена в застосунку Дія. Копія {'дійсна ' * (i % 3)}"
        )
        docs.append(
            IndexDoc(
                id=i,
                document_type=("id-card", "foreign-passport", "taxpayer-card")[i % 3],
                person_name=f"{surname} {given} Іванівна",
                person_name_lat=None if i % 4 else f"{surname} {given}",
                branch=("Відділення на Подолі", None)[i % 2],
                branch_id=(1, None)[i % 2],
                received_at=WHEN + dt.timedelta(hours=7 * i),
                indication=("TOTAL_PASSED", "UNSIGNED")[i % 2],
                sender=f"person{i % 11}@example.com",
                text=text,
                numbers=[f"СН{number}", f"{i:010d}"],
                filename="Паспорт.pdf",
                subject="Документи з Дії" if i % 5 else "",
                # Every fifth copy is a resend of the one before it (same bytes).
                copy_key="" if i % 5 > 1 else hashlib.sha256(str(i - i % 5).encode()).hexdigest(),
            )
        )
    return docs


def _segment_files(folder: Path) -> list[dict[str, str]]:
    """Per segment (in the table of contents' order), each file's digest by its suffix."""
    ix = windex.open_dir(str(folder))
    try:
        segments = ix._segments()
    finally:
        ix.close()
    out = []
    for segment in segments:
        prefix = f"MAIN_{segment.segid}."
        out.append(
            {
                p.name[len(prefix) :]: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.iterdir()
                if p.name.startswith(prefix)
            }
        )
    return out


def test_segments_are_the_files_whoosh_writes(tmp_path: Path) -> None:
    store = WhooshStore(tmp_path / "analysis", SearchSettings())
    fields = [store._fields(d) for d in corpus(700)]
    batches = [fields[:300], fields[300:]]

    by_whoosh, by_builder = tmp_path / "whoosh", tmp_path / "builder"
    by_whoosh.mkdir()
    by_builder.mkdir()
    ix = windex.create_in(str(by_whoosh), make_schema())
    for batch in batches:
        writer = _writer(ix)
        for f in batch:
            writer.add_document(**whoosh_text(f))
        writer.commit(merge=False)
    ix.close()

    ix = windex.create_in(str(by_builder), make_schema())
    segments = []
    for batch in batches:
        builder = SegmentBuilder(ix, PositionsTokenizer)
        for f in batch:
            builder.add(f)
        segments.append(builder.finish())
    commit_segments(ix, segments)
    ix.close()

    expected = _segment_files(by_whoosh)
    assert len(expected) == 2 and len(expected[0]) > 10
    assert _segment_files(by_builder) == expected
    assert not (by_builder / "MAIN.tmp").exists()


QUERIES = (
    "шевченко",
    "SHEVCHENKO",
    "мельника",
    '"ткачук петро"',
    "дійсна",
    "СН 000123",
    "type:id-card",
    "коваленко type:foreign-passport received:2026-03-01..2026-04-30",
    "паспорт",
)


def _results(backend: WhooshBackend) -> list[object]:
    out: list[object] = []
    for q in QUERIES:
        for sort in ("relevance", "date"):
            r = backend.search(q, limit=50, sort=sort)
            out.append(
                (q, sort, r.total, [(h.id, round(h.score, 9), h.snippet, h.sent) for h in r.hits])
            )
    return out


@pytest.fixture
def settings() -> SearchSettings:
    # Segments of 120 documents: a rebuild of 500 writes five.
    return SearchSettings(commit_batch=50, rebuild_commit_batch=120)


def test_rebuild_finds_what_the_ordinary_writer_finds(
    tmp_path: Path, settings: SearchSettings
) -> None:
    docs = corpus(500)
    rebuilt = WhooshBackend(tmp_path / "rebuilt", settings, repair=False)
    added = WhooshBackend(tmp_path / "added", settings, repair=False)
    try:
        assert rebuilt.rebuild(docs) == 500
        added.rebuild([])
        added.add(docs)
        assert rebuilt.doc_count() == added.doc_count() == 500
        expected = _results(added)
        assert any(total for _q, _s, total, _h in expected)  # type: ignore[misc]
        assert _results(rebuilt) == expected
    finally:
        rebuilt.close()
        added.close()


def test_the_ordinary_writer_adds_deletes_and_merges_rebuilt_segments(
    tmp_path: Path, settings: SearchSettings
) -> None:
    backend = WhooshBackend(tmp_path / "index", settings, repair=False)
    group = GroupWriter(backend, max_docs=20, max_delay=0.0)
    try:
        backend.rebuild(corpus(500))
        group.add(corpus(30, start=501))
        group.flush()
        assert backend.doc_count() == 530
        assert {h.id for h in backend.search("0000000517").hits} == {517}

        group.delete([517, 12])
        group.flush()
        assert backend.search("0000000517").total == 0
        assert backend.search("0000000012").total == 0

        # Erasing a person: delete, then merge every segment so the number leaves the files.
        root = tmp_path / "index"
        generation = root / (root / "CURRENT").read_text().strip()
        number = b"0000000300"
        assert any(number in p.read_bytes() for p in generation.iterdir() if p.is_file())
        group.delete([300])
        backend.optimize()
        on_disk = b"".join(p.read_bytes() for p in generation.iterdir() if p.is_file())
        assert number not in on_disk
        assert backend.doc_count() == 527
        assert backend.search("0000000300").total == 0
        assert {h.id for h in backend.search("0000000301").hits} == {301}
        # Copies of Шевченко (every sixth), a resend (i % 5 == 1) counted with the copy before it.
        left = [i for i in range(1, 531) if i % 6 == 0 and i not in (12, 300)]
        assert backend.search("шевченко", limit=1000).total == len(left)
    finally:
        group.close()
        backend.close()


def test_an_empty_rebuild_is_an_empty_index(tmp_path: Path, settings: SearchSettings) -> None:
    backend = WhooshBackend(tmp_path / "index", replace(settings), repair=False)
    try:
        assert backend.rebuild([]) == 0
        assert backend.doc_count() == 0
        assert backend.search("шевченко").total == 0
    finally:
        backend.close()


@pytest.mark.parametrize("docs_here", [True, False])
def test_a_large_rebuild_builds_its_segments_in_a_child(
    tmp_path: Path, settings: SearchSettings, monkeypatch: pytest.MonkeyPatch, docs_here: bool
) -> None:
    """Past CHILD_FROM documents the segments are written with a child process (postings
    there, the per-document files here or there): the same files, and the child's resource
    use is reported."""
    from search import whoosh_bulk, whoosh_store

    monkeypatch.setattr(whoosh_bulk, "DOCS_HERE", docs_here)

    docs = corpus(300)
    here = WhooshBackend(tmp_path / "here", settings, repair=False)
    there = WhooshBackend(tmp_path / "there", settings, repair=False)
    try:
        here.rebuild(docs)
        monkeypatch.setattr(whoosh_store, "CHILD_FROM", 100)
        there.rebuild(docs)
        cpu, peak = there.store.child_usage
        assert cpu > 0 and peak > 0
        assert here.store.child_usage == (0.0, 0.0)
        folders = [
            root / (root / "CURRENT").read_text().strip()
            for root in (tmp_path / "here", tmp_path / "there")
        ]
        expected = _segment_files(folders[0])
        assert len(expected) == 3  # 120 + 120 + 60
        assert _segment_files(folders[1]) == expected
        assert _results(there) == _results(here)
        # The batches' spool files are gone with their folder.
        assert not [p for p in folders[1].iterdir() if p.name.startswith("spool-")]
    finally:
        here.close()
        there.close()


def test_a_killed_child_fails_the_rebuild_and_keeps_the_index(
    tmp_path: Path, settings: SearchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal

    from search import whoosh_bulk, whoosh_store

    backend = WhooshBackend(tmp_path / "index", settings, repair=False)
    try:
        backend.rebuild(corpus(50))
        monkeypatch.setattr(whoosh_store, "CHILD_FROM", 100)
        real = whoosh_bulk.ChildSegments.add_prepared
        seen = [0]

        def then_kill(self: whoosh_bulk.ChildSegments, prepared: tuple[object, object]) -> None:
            seen[0] += 1
            if seen[0] == 150:
                os.kill(self._proc.pid, signal.SIGKILL)
            real(self, prepared)

        monkeypatch.setattr(whoosh_bulk.ChildSegments, "add_prepared", then_kill)
        with pytest.raises(RuntimeError, match="segment builder process"):
            backend.rebuild(corpus(3000))
        assert backend.doc_count() == 50
        assert not list((tmp_path / "index").glob("g-*/spool-*"))
        assert {h.id for h in backend.search("0000000007").hits} == {7}
    finally:
        backend.close()


def test_keys_per_position_give_the_postings_of_their_text(tmp_path: Path) -> None:
    """The analysed fields reach the builder as keys per position, not joined into "a|b c"
    and split again: the postings (and field lengths) must be those of the joined text,
    also when a key holds a space or "|" (the text splits it; the keys are then joined)."""
    from search.analysis import encode_positions
    from search.whoosh_bulk import fields_plan, prepare

    store = WhooshStore(tmp_path / "analysis", SearchSettings())
    plan = fields_plan(make_schema(), PositionsTokenizer)
    analysed = [store._fields(d) for d in corpus(40)]
    odd = dict(analysed[0], names=[("a b",), (), ("c|d", "e"), ("e",), ("",)])
    for fields in [*analysed, odd]:
        as_text = whoosh_text(fields)
        assert any(type(v) is list for v in fields.values())
        assert prepare(plan, fields) == prepare(plan, as_text)
    # The odd keys are split as the text splits them: "a", "b", "c", "d", "e" twice.
    length, postings = next((n, p) for name, n, p in prepare(plan, odd)[1] if name == "names")
    assert length == 6
    assert b"a b" not in postings[0::2] and b"c|d" not in postings[0::2]
    assert set(postings[0::2]) == {b"a", b"b", b"c", b"d", b"e"}
    assert encode_positions(odd["names"]) == whoosh_text(odd)["names"]


def test_the_child_is_at_most_two_segments_behind(
    tmp_path: Path, settings: SearchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batches wait for the child in spool files, one per segment, each deleted once
    read: when a segment starts, the child has written all but the one before it, so no
    more than two files (that one's and the new one's) are ever there."""
    from search import whoosh_bulk, whoosh_store

    monkeypatch.setattr(whoosh_store, "CHILD_FROM", 100)
    real = whoosh_bulk.ChildSegments._start
    waiting: list[int] = []

    def counted(self: whoosh_bulk.ChildSegments) -> None:
        real(self)
        waiting.append(len(os.listdir(self._spool)))

    monkeypatch.setattr(whoosh_bulk.ChildSegments, "_start", counted)
    backend = WhooshBackend(tmp_path / "index", settings, repair=False)
    try:
        assert backend.rebuild(corpus(900)) == 900
        assert len(waiting) == 8  # 7 segments of 120 and one of 60
        assert 1 <= max(waiting) <= 2
        assert backend.search("шевченко").total == 150
    finally:
        backend.close()


def test_the_heap_top_is_kept_where_the_c_library_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    """glibc (this project's Linux images) takes M_TOP_PAD; without mallopt nothing fails."""
    import ctypes
    import platform

    from search import heap

    heap.keep_heap_top.cache_clear()
    if platform.libc_ver()[0] == "glibc":
        assert heap.keep_heap_top() is True

    def no_libc(_name: object) -> object:
        raise OSError("no C library here")

    heap.keep_heap_top.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert heap.keep_heap_top() is False
    heap.keep_heap_top.cache_clear()
