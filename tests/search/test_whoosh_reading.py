"""How the Whoosh backend reads its index: posting lists decoded here, the names' lexicon kept
per segment, posting lists kept across searches. Each must give exactly what Whoosh's own
reading gives, and what is kept must never outlive a deletion, a merge or a new segment."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.index import IndexDoc, SearchResult
from search.settings import SearchSettings
from search.whoosh_backend import WhooshBackend
from search.whoosh_query import _near_names
from search.whoosh_segments import PostingCache, _without_values, term_blocks, term_ids

SURNAMES = ("Коваль", "Коваленко", "Ковальчук", "Шевченко", "Шевчук", "Бондар")
GIVEN = ("Олена", "Тарас", "Ірина", "Андрій")
QUERIES = (
    "коваль",
    "KOVAL",
    "коваленко",
    "ковальо",  # a typo
    "ковал*",
    "шевч",
    '"Шевченко Тарас"',
    '"Коваль Олена"',
    "коваль type:foreign-passport",
    "шевченко received:2026-03-01..2026-03-20",
    "type:id-card",
    "бондар олена",
)


def make_doc(i: int) -> IndexDoc:
    surname, given = SURNAMES[i % len(SURNAMES)], GIVEN[(i // 3) % len(GIVEN)]
    number = f"ТН {100000 + i}"
    return IndexDoc(
        id=i,
        document_type=("foreign-passport", "id-card")[i % 2],
        person_name=f"{surname} {given}",
        person_name_lat=None,
        branch="Готель",
        branch_id=1,
        received_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(hours=7 * i),
        indication="TOTAL_PASSED",
        sender="a@example.com",
        text=f"Паспорт\n{surname} {given} Петрівна\nНомер документа: {number}\n"
        f"РНОКПП: {3000000000 + i}",
        numbers=[number],
        # every seventh copy is sent twice: collapsing must hold with the lists kept
        copy_key=f"{i // 2:064x}" if i % 7 == 0 else "",
    )


def backend(root: Path, cache_mb: int) -> WhooshBackend:
    settings = SearchSettings(commit_batch=350, posting_cache_mb=cache_mb)
    return WhooshBackend(root, settings, repair=False)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[Path]:
    """About 1,000 copies in three segments (posting lists of several 128-posting blocks),
    some of them deleted."""
    root = tmp_path / "whoosh"
    b = backend(root, 0)
    try:
        b.rebuild(make_doc(i) for i in range(1, 701))
        b.add(make_doc(i) for i in range(701, 1001))
        b.delete([5, 6, 300, 701, 999])
    finally:
        b.close()
    yield root


def page(result: SearchResult) -> tuple[int, list[tuple[int, str, int, str]]]:
    return result.total, [(h.id, f"{h.score:.9g}", h.sent, h.snippet) for h in result.hits]


def results(b: WhooshBackend) -> list[tuple[int, list[tuple[int, str, int, str]]]]:
    out = []
    for q in QUERIES:
        for kw in ({"limit": 5}, {"limit": 5, "offset": 5}, {"limit": 40}, {"sort": "date"}):
            out.append(page(b.search(q, **kw)))  # type: ignore[arg-type]
    return out


def test_blocks_are_what_whooshs_matcher_reads(index: Path) -> None:
    b = backend(index, 0)
    try:
        searcher = b.store.searcher().searcher
        terms = 0
        for sub, _offset in searcher.leaf_searchers():
            reader = sub.reader()
            for field in ("content", "names", "document_type", "copy_key", "received_day"):
                for raw in reader.lexicon(field):
                    word = raw.decode()
                    leaf = reader._terms.matcher(field, raw, reader.schema[field].format)
                    ids, weights, values = [], [], []
                    while leaf.is_active():
                        ids.append(leaf.id())
                        weights.append(leaf.weight())
                        values.append(leaf.value())
                        leaf.next()
                    blocks = term_blocks(reader, field, word)
                    assert blocks is not None
                    got = [
                        (i, w, v) for a, ws, vs in blocks for i, w, v in zip(a, ws, vs, strict=True)
                    ]
                    assert got == list(zip(ids, weights, values, strict=True)), (field, word)
                    # without values: the pickle is cut before them (_without_values)
                    lean = term_blocks(reader, field, word, values=False)
                    assert lean is not None
                    assert [(i, w) for a, ws, vs in lean for i, w in zip(a, ws, strict=True)] == [
                        (i, w) for i, w, _v in got
                    ]
                    within = [d for d in term_ids(reader, field, word, 200, 260)]
                    assert {d for d in within if 200 <= d <= 260} == {
                        d for d in ids if 200 <= d <= 260
                    }
                    terms += 1
        assert terms > 100
        first = searcher.leaf_searchers()[0][0].reader()
        assert len(list(term_blocks(first, "content", "pasport") or ())) > 1  # several blocks
    finally:
        b.close()


def test_near_names_are_those_of_whooshs_merged_lexicon(index: Path) -> None:
    b = backend(index, 0)
    try:
        view = b.store.searcher()
        for key in ("koval", "kovalenko", "shevchenko", "bondar", "zzz"):
            walked = [
                w.decode()
                for w in view.searcher.reader().expand_prefix("names", key[:2])
                if _near_names(view, key, 2).count(w.decode())
            ]
            assert list(_near_names(view, key, 2)) == walked
            assert _near_names(view, key, 2) or key == "zzz"
    finally:
        b.close()


def test_kept_lists_give_the_same_results(index: Path) -> None:
    cold, kept = backend(index, 0), backend(index, 32)
    try:
        expected = results(cold)
        assert results(kept) == expected  # the lists are kept on the way
        assert kept.store.posting_cache.size > 0
        assert results(kept) == expected  # and read from the cache
    finally:
        cold.close()
        kept.close()


def test_a_deleted_copy_never_comes_back_from_kept_lists(index: Path) -> None:
    """Erasure: the copy's posting lists are kept (its segment is unchanged), yet neither the
    copy nor its snippet may come back; after a merge the old segments' lists are gone."""
    b = backend(index, 32)
    try:
        before = b.search("коваль", limit=1000)
        erased = before.hits[0].id
        segments = {k[1] for k in b.store.posting_cache.keys()}
        assert segments
        b.delete([erased])
        for q in ("коваль", "KOVAL", "ковальо", '"Коваль Олена"', f"коваль {100000 + erased}"):
            for kw in ({"limit": 1000}, {"limit": 1000, "sort": "date"}):
                found = b.search(q, **kw)  # type: ignore[arg-type]
                assert erased not in [h.id for h in found.hits], q
        after = b.search("коваль", limit=1000)
        assert after.total == before.total - 1
        # still kept (the same segments), and still right
        assert {k[1] for k in b.store.posting_cache.keys()} & segments
        b.optimize()
        again = b.search("коваль", limit=1000)
        assert [h.id for h in again.hits] == [h.id for h in after.hits]
        assert not {k[1] for k in b.store.posting_cache.keys()} & segments
    finally:
        b.close()


def test_a_new_segment_is_searched_with_lists_kept(index: Path) -> None:
    b = backend(index, 32)
    try:
        first = b.search("коваль", limit=1000)
        fresh = dataclasses.replace(make_doc(6), id=5000)  # a Коваль
        b.add([fresh])
        second = b.search("коваль", limit=1000)
        assert second.total == first.total + 1
        assert 5000 in [h.id for h in second.hits]
    finally:
        b.close()


def test_posting_cache_is_bounded() -> None:
    cache = PostingCache(100_000)
    for i in range(100):
        cache.put(("g", f"s{i % 3}", "content", f"w{i}"), (list(range(1000)), [1.0] * 1000, None))
        assert cache.size <= cache.limit
    assert len(cache.keys()) < 100
    cache.put(("g", "s0", "content", "big"), (list(range(5000)), [1.0] * 5000, None))
    assert cache.get(("g", "s0", "content", "big"), False) is None  # too big for one entry
    key = cache.keys()[-1]
    assert cache.get(key, False) is not None
    assert cache.get(key, True) is None  # kept without positions
    cache.put_words(("g", "s0", "content", "kov"), ("koval", "kovalenko"))
    cache.put_words(("g", "s1", "content", "kov"), ("koval",))
    assert cache.words(("g", "s0", "content", "kov")) == ("koval", "kovalenko")
    cache.retain("g", ["s1"])
    assert {k[1] for k in cache.keys()} == {"s1"}
    assert cache.words(("g", "s0", "content", "kov")) is None
    cache.retain("h", ["s1"])
    assert cache.keys() == [] and cache.size == 0
    assert PostingCache(0).limit == 0


_ONE = b"\x07"


def test_a_block_cut_before_its_values_keeps_ids_and_weights() -> None:
    """Blocks pickled as Whoosh writes them (protocol 2): positions as byte strings, a fixed
    size field's values joined, none at all, one to three postings (no MARK), and byte
    strings that look like the cut's marker inside ids or weights."""
    import pickle

    cases = [
        ((1, 2, 3, 4), (1.0, 2.0, 3.0, 4.0), (b"a", b"(c_codecs", b"c", b"d")),
        ((7,), None, (b"\x00\x01",)),
        ((7, 40), 2.0, (b"x", b"y")),
        ((40, 99, 0x28), (1.5, 40.0, 2.5), b"joined-values"),
        (tuple(range(300)), tuple(float(i) for i in range(300)), None),
        ((1, 2), (1.0, 2.0), ()),
        # One object three times (search.whoosh_format shares short values): references.
        ((3, 9, 12, 20), None, (_ONE, _ONE, b"\x07\x02", _ONE)),
    ]
    for ids, weights, values in cases:
        block = pickle.dumps((ids, weights, values), 2)
        assert _without_values(block) == (ids, weights, None)


def _column_numbers(b: WhooshBackend) -> tuple[list[int], list[int]]:
    """The arrival time and copy number of every document, by docnum, read from Whoosh's
    columns as Whoosh gives them (the outside truth for the joined arrays)."""
    from search.whoosh_segments import copy_number

    searcher = b.store.searcher().searcher
    received: list[int] = []
    copies: list[int] = []
    for sub, _offset in searcher.leaf_searchers():
        reader = sub.reader()
        received += [int(v) for v in reader.column_reader("received_at", translate=False)]
        copies += [copy_number(v) for v in reader.column_reader("copy_key", translate=False)]
    return received, copies


def test_per_document_numbers_are_held_once_across_segments(index: Path) -> None:
    """Three segments: the searcher joins arrival times and copy numbers into one array and
    each segment keeps a slice of it, not a copy; a commit adds a segment and the next join
    is made from those slices plus the new segment's column, equal to Whoosh's columns."""
    b = backend(index, 0)
    try:
        date_sorted = [h.id for h in b.search("коваль", limit=1000, sort="date").hits]
        view = b.store.searcher()
        segments = [arrays for arrays, _r, _o in view.segments()]
        assert len(segments) >= 2
        received, copies = view.received(), view.copies()
        assert (list(received), list(copies)) == _column_numbers(b)
        for arrays in segments:
            for mine, joined in ((arrays.received(), received), (arrays.copies(), copies)):
                assert isinstance(mine, memoryview) and mine.obj is joined
        later = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
        b.add([dataclasses.replace(make_doc(6), id=5000, received_at=later)])
        again = b.store.searcher()
        assert again is not view
        assert (list(again.received()), list(again.copies())) == _column_numbers(b)
        newest = b.search("коваль", limit=1000, sort="date").hits
        assert [h.id for h in newest] == [5000, *date_sorted]
        b.optimize()  # one segment: its own array again, the old join let go
        one = b.store.searcher()
        ((arrays, _r, _o),) = one.segments()
        assert not isinstance(one.received(), memoryview)
        assert (list(one.received()), list(one.copies())) == _column_numbers(b)
    finally:
        b.close()
