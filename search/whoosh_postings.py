"""Posting lists read a block at a time: documents as sets, weights, positions.

Whoosh's own matchers step through a posting list one document at a time, with three method
calls per posting; its leaf matcher decodes a whole block (zlib, then pickle) and keeps the
block's ids, weights and values in attributes, which these functions read directly, falling
back to the matcher's public methods for any other matcher. Reads of one search are
remembered in READ (the forgiving tier's query repeats the exact tier's words).

Deleted documents are dropped here, with the reader's deletion set; the results are global
document numbers (segment offset added).
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import query as wq
from whoosh.query.terms import MultiTerm
from whoosh.searching import Searcher

from search.whoosh_segments import Block, PostingCache, segment_id, term_blocks, term_ids

#: A segment's first and last segment-local document number of interest.
Span = tuple[int, int]


@contextlib.contextmanager
def reading(cache: PostingCache | None = None, generation: str = "") -> Iterator[None]:
    """Remember the posting lists read until the block ends (one search); with `cache`,
    whole lists are also kept there for later searches of the same generation."""
    token = READ.set({})
    kept = CACHE.set((cache, generation) if cache is not None and cache.limit else None)
    try:
        yield
    finally:
        CACHE.reset(kept)
        READ.reset(token)


def blocks_of(
    reader: Any,
    field: str,
    value: str,
    lo: int | None = None,
    hi: int | None = None,
    *,
    values: bool = False,
) -> Iterator[Block] | None:
    """term_blocks, through the cache of the current search (see reading): a kept list is
    one block; a whole list read is kept (with its values when `values`), a part of one
    (`lo`, `hi`: a filtered search) is not."""
    held = CACHE.get(None)
    segment = segment_id(reader) if held is not None else None
    if held is None or segment is None:
        return term_blocks(reader, field, value, lo, hi, values)
    cache, generation = held
    key = (generation, segment, field, value)
    block = cache.get(key, values)
    if block is not None:
        return iter((block,))
    blocks = term_blocks(reader, field, value, lo, hi, values)
    if blocks is None or lo is not None or hi is not None:
        return blocks
    ids = array("i")
    weights = array("f")
    kept: list[Any] | None = [] if values else None
    for block_ids, block_weights, block_values in blocks:
        ids.extend(block_ids)
        weights.extend(block_weights)
        if kept is not None:
            kept.extend(block_values)
    block = (ids, weights, tuple(kept) if kept is not None else None)
    cache.put(key, block)
    return iter((block,))


def query_docs(
    searcher: Searcher,
    q: wq.Query,
    within: set[int] | None = None,
    skip: frozenset[tuple[str, str]] = frozenset(),
) -> set[int]:
    """The documents `q` matches, as sets of posting lists (block reads joined as sets);
    the same set as Whoosh's docs_for_query, which steps its matcher tree a document at a
    time. Queries of other kinds go to Whoosh.

    With `within` (the documents the filters allow), the result may leave out documents
    outside it: only the posting blocks that overlap its span in each segment are read, and
    segments holding none of it are skipped (a date range is a short run of documents).

    With `skip`, the listed (field, word) pairs count as matching nothing: the caller
    already has their documents (see WhooshQuery._count); only valid where a missing word
    can only take documents away (under Or, and an And of one)."""
    spans = spans_of(searcher, within) if within is not None else None
    if skip:
        top = q.subqueries[0] if type(q) is wq.And and len(q.subqueries) == 1 else q
        if type(top) not in (wq.Or, wq.Term, wq.Prefix, Listed) or any(
            type(sub) not in (wq.Term, wq.Prefix, Listed) for sub in getattr(top, "subqueries", ())
        ):
            skip = frozenset()
    return _query_spans(searcher, q, spans, skip)


def spans_of(searcher: Searcher, docs: set[int]) -> dict[int, Span]:
    """Per segment offset, the first and last segment-local document of `docs` in it."""
    ordered = sorted(docs)
    out: dict[int, Span] = {}
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.reader().doc_count_all()
        lo, hi = bisect.bisect_left(ordered, offset), bisect.bisect_left(ordered, end)
        if hi > lo:
            out[offset] = (ordered[lo] - offset, ordered[hi - 1] - offset)
    return out


def _query_spans(
    searcher: Searcher,
    q: wq.Query,
    spans: dict[int, Span] | None,
    skip: frozenset[tuple[str, str]] = frozenset(),
) -> set[int]:
    kind = type(q)
    if kind is wq.Term:
        if (q.fieldname, text_of(q.text)) in skip:
            return set()
        return term_docs(searcher, q.fieldname, [q.text], spans)
    if kind is Listed:
        words = [w for w in q.words if (q.fieldname, w) not in skip]
        return term_docs(searcher, q.fieldname, words, spans)
    if kind is wq.Prefix:
        found: set[int] = set()
        for sub, offset in searcher.leaf_searchers():
            if spans is not None and offset not in spans:
                continue
            reader = sub.reader()
            words = prefix_words(reader, q.fieldname, text_of(q.text))
            if skip:
                words = [w for w in words if (q.fieldname, w) not in skip]
            span = spans[offset] if spans is not None else None
            found |= segment_docs(reader, offset, q.fieldname, words, span)
        return found
    if kind is wq.Or:
        found = set()
        for sub_q in q.subqueries:
            found |= _query_spans(searcher, sub_q, spans, skip)
        return found
    if kind is wq.And:
        parts: list[set[int]] = []
        for sub_q in q.subqueries:
            part = _query_spans(searcher, sub_q, spans, skip)
            if not part:
                return set()
            parts.append(part)
        parts.sort(key=len)
        return set.intersection(*parts) if parts else set()
    return set(searcher.docs_for_query(q))


def prefix_words(reader: Any, field: str, prefix: str) -> list[str]:
    """The words of one segment's lexicon that begin with `prefix`, through the cache of the
    current search (a walk of Whoosh's term file seeks and reads a few dozen times)."""
    held = CACHE.get(None)
    segment = segment_id(reader) if held is not None else None
    if held is None or segment is None:
        return [text_of(w) for w in reader.expand_prefix(field, prefix)]
    cache, generation = held
    key = (generation, segment, field, prefix)
    words = cache.words(key)
    if words is None:
        words = tuple(text_of(w) for w in reader.expand_prefix(field, prefix))
        cache.put_words(key, words)
    return list(words)


def plain_terms(q: wq.Query) -> list[tuple[str, str]] | None:
    """The (field, text) of a query that is one term or an Or of two, unboosted (alone or in
    an And of one): Whoosh scores those as weight x idf, summed where both match, which is
    exact in any order. Anything else (None) is left to Whoosh's own scorer."""
    if type(q) is wq.And and len(q.subqueries) == 1 and q.boost == 1.0:
        q = q.subqueries[0]
    if type(q) is wq.Term and q.boost == 1.0:
        return [(q.fieldname, text_of(q.text))]
    if (
        type(q) is wq.Or
        and q.boost == 1.0
        and len(q.subqueries) == 2
        and all(type(t) is wq.Term and t.boost == 1.0 for t in q.subqueries)
    ):
        terms = [(t.fieldname, text_of(t.text)) for t in q.subqueries]
        return terms if terms[0] != terms[1] else None
    return None


def weights(
    searcher: Searcher, field: str, value: str, spans: dict[int, Span] | None
) -> dict[int, float]:
    """The weight of `value` in `field` per (global, not deleted) document, read a block at
    a time; with `spans`, at least the documents within them (see query_docs)."""
    out: dict[int, float] = {}
    read = READ.get(None)
    for sub, offset in searcher.leaf_searchers():
        if spans is not None and offset not in spans:
            continue
        reader = sub.reader()
        span = spans[offset] if spans is not None else None
        lo, hi = span if span is not None else (None, None)
        blocks = blocks_of(reader, field, value, lo, hi)
        local: list[int] = []
        if blocks is None:
            if (field, value) not in reader:
                continue
            matcher = reader.postings(field, value)
            while matcher.is_active():
                local.append(matcher.id())
                out[matcher.id() + offset] = matcher.weight()
                matcher.next()
        else:
            for ids, block_weights, _values in blocks:
                local.extend(ids)
                if offset:
                    ids = tuple([d + offset for d in ids])
                out.update(zip(ids, block_weights, strict=True))
        if read is not None:  # the forgiving tier's count reads the same list
            read[(id(reader), field, value, span)] = local
        if reader.has_deletions():
            for d in reader.deleted_docs_set:
                out.pop(d + offset, None)
    return out


def text_of(term: Any) -> str:
    return term.decode() if isinstance(term, bytes) else str(term)


def decoded(decode: Any, per_key: list[dict[int, bytes]], d: int) -> set[int]:
    """The positions of document `d` under any of the keys (encoded values per key)."""
    return {p for values in per_key if d in values for p in decode(values[d])}


def posting_values(
    reader: Any, field: str, keys: tuple[str, ...], within: set[int] | None
) -> list[dict[int, bytes]]:
    """Per key of `keys`, its encoded value (positions) by document of one segment, for the
    documents in `within` (all when None), deleted ones included: a block at a time."""
    out: list[dict[int, bytes]] = []
    # Blocks outside the candidates are skipped, unless whole lists are kept for later
    # searches (a phrase's candidates are spread over the segment anyway).
    lo, hi = (min(within), max(within)) if within and CACHE.get(None) is None else (None, None)
    for key in keys:
        blocks = blocks_of(reader, field, key, lo, hi, values=True)
        found: dict[int, bytes] = {}
        if blocks is None:
            if (field, key) not in reader:
                continue
            matcher = reader.postings(field, key)
            while matcher.is_active():
                d = matcher.id()
                if within is None or d in within:
                    found[d] = matcher.value()
                matcher.next()
        else:
            for ids, _weights, values in blocks:
                pairs = zip(ids, values, strict=True)
                if within is None:
                    found.update(pairs)
                else:
                    found.update((d, v) for d, v in pairs if d in within)
            if not found and (field, key) not in reader:
                continue
        out.append(found)
    return out


def term_docs(
    searcher: Searcher, field: str, values: Iterable[str], spans: dict[int, Span] | None = None
) -> set[int]:
    """Documents having any of `values` in `field`: posting lists read one by one and
    joined as sets (Whoosh's matcher tree is far slower for tens of terms). With `spans`,
    only the segments and blocks they cover (see query_docs)."""
    values = list(values)
    out: set[int] = set()
    for sub, offset in searcher.leaf_searchers():
        if spans is None:
            out |= segment_docs(sub.reader(), offset, field, values)
        elif offset in spans:
            out |= segment_docs(sub.reader(), offset, field, values, spans[offset])
    return out


def segment_docs(
    reader: Any, offset: int, field: str, values: Iterable[str], span: Span | None = None
) -> set[int]:
    """Documents of one segment (as global docnums) having any of `values` in `field`
    (with `span`, at least those within it)."""
    out: set[int] = set()
    deleted = None
    read = READ.get(None)
    for value in values:
        key = (id(reader), field, value, span)
        ids = read.get(key) if read is not None else None
        if ids is None:
            lo, hi = span if span is not None else (None, None)
            blocks = blocks_of(reader, field, value, lo, hi)
            if blocks is None:
                ids = term_ids(reader, field, value, lo, hi)
            else:
                ids = []
                for block_ids, _weights, _values in blocks:
                    ids.extend(block_ids)
            if read is not None:
                read[key] = ids
        if deleted is None:
            deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        if deleted:
            ids = [d for d in ids if d not in deleted]
        out.update([d + offset for d in ids] if offset else ids)
    return out


#: Posting lists already read during the current search, by (reader, field, value): the
#: forgiving tier's query repeats the exact tier's words. Lives for one search only.
READ: contextvars.ContextVar[dict[tuple[int, str, str, Span | None], list[int]]] = (
    contextvars.ContextVar("whoosh_postings_read")
)

#: The posting cache of the current search and its index generation (see reading).
CACHE: contextvars.ContextVar[tuple[PostingCache, str] | None] = contextvars.ContextVar(
    "whoosh_postings_cache"
)


class Listed(MultiTerm):  # type: ignore[misc]
    """Words of one field chosen beforehand, matched and scored like Whoosh's FuzzyTerm (an
    Or of the words with one constant score) without expanding anything per segment."""

    def __init__(self, fieldname: str, words: tuple[str, ...], boost: float = 1.0) -> None:
        self.fieldname = fieldname
        self.words = words
        self.text = words[0] if words else ""
        self.boost = boost
        self.constantscore = True

    def _btexts(self, ixreader: Any) -> tuple[str, ...]:
        return self.words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listed) and (self.fieldname, self.words, self.boost) == (
            other.fieldname,
            other.words,
            other.boost,
        )

    def __hash__(self) -> int:
        return hash((self.fieldname, self.words, self.boost))

    def __repr__(self) -> str:
        return f"Listed({self.fieldname!r}, {self.words!r}, boost={self.boost})"
