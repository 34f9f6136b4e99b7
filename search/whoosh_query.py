"""A query plan run over a Whoosh searcher: filters as sets, phrases by positions, words scored.

Filters are sets of documents (a date range is a slice of each segment's day order, the other
filters codes per document: search.whoosh_segments); matches are sets of posting lists read a
block at a time (search.whoosh_postings); phrases are candidates by intersecting those and then
positions of just the candidates. A word of one or two terms is scored here from the blocks
read, the same way Whoosh's TF-IDF does; other words go through Whoosh's query tree, restricted
to the documents the filters allow (search.whoosh_only). Whoosh's own matchers step through
posting lists one document at a time and were ten times slower on this data.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import heapq
import zoneinfo
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from search.analysis import Analyzer, make_snippet
from search.index import Hit, SearchResult
from search.plan import FUZZY_PREFIX, Plan, TermPlan
from search.tiers import forgiving_window, tiers, within_typos
from search.whoosh_only import Only
from search.whoosh_postings import (
    Listed,
    decoded,
    plain_terms,
    posting_values,
    query_docs,
    reading,
    spans_of,
    term_docs,
    text_of,
    weights,
)
from search.whoosh_store import OpenSearcher, naive_utc


class WhooshQuery:
    """Runs plans over the searcher it is handed (it keeps none of its own)."""

    def __init__(self, analyzer: Analyzer, tz: zoneinfo.ZoneInfo) -> None:
        self.analyzer = analyzer
        self.tz = tz

    def search(
        self, view: OpenSearcher, plan: Plan, limit: int, offset: int, sort: str
    ) -> SearchResult:
        with reading(view.postings, view.generation):
            return self._search(view, plan, limit, offset, sort)

    def _search(
        self, view: OpenSearcher, plan: Plan, limit: int, offset: int, sort: str
    ) -> SearchResult:
        limit = max(0, min(limit, 1000))
        offset = max(0, offset)
        searcher = view.searcher
        if searcher.doc_count_all() == 0:
            # An empty index has no columns to read (Whoosh raises NotImplementedError).
            return SearchResult(total=0, hits=[])
        tier = tiers(plan, sort)
        allowed = self._allowed(view, plan)
        phrases = [t for t in plan.terms if t.kind == "phrase"]
        if phrases:
            # Phrases are matched with sets and positions (see _phrase_docs); what is left
            # for Whoosh's scorer are the plain words, if any.
            for term in phrases:
                if allowed is not None and not allowed:
                    break
                matched = self._phrase_docs(searcher, term, allowed)
                allowed = matched if allowed is None else allowed & matched
            plan = dataclasses.replace(
                plan, terms=tuple(t for t in plan.terms if t.kind != "phrase")
            )
        by_date = sort == "date" or not plan.terms
        if allowed is not None and not allowed:
            # Nothing passes the filters. (Whoosh would read an empty filter set as "no
            # filter", so this must not reach it.)
            return SearchResult(total=0, hits=[])
        if not plan.terms and allowed is not None:
            # Filters alone: the allowed set is the answer; order it by the date column
            # instead of running a collector over it.
            column = view.received()
            copies = view.copies()
            newest: dict[int, tuple[int, int]] = {}
            for d in allowed:
                key = copies[d]
                mark = (column[d], d)
                if key not in newest or mark > newest[key]:
                    newest[key] = mark
            ranked = heapq.nlargest(offset + limit, newest.values())
            total = len(newest)
            page = [(d, 0.0, self._copies(view, d)) for _at, d in ranked[offset : offset + limit]]
        elif not plan.terms:
            total, page, _docs = self._run(view, wq.Every(), allowed, None, offset, limit, True)
        elif not tier.separate:
            # By date the tiers mix (newest first, whichever matched); a query with nothing
            # to forgive has one tier.
            q = self._compile(view, plan, tier.forgiving)
            total, page, _docs = self._run(view, q, allowed, None, offset, limit, by_date)
        else:
            exact_q = self._compile(view, plan, False)
            exact_total, exact_page, exact_docs = self._run(
                view, exact_q, allowed, None, offset, limit, False
            )
            more_offset, rest = forgiving_window(offset, limit, exact_total, len(exact_page))
            more_q = self._compile(view, plan, True)
            if rest:
                more_total, more_page, _docs_more = self._run(
                    view, more_q, allowed, exact_docs, more_offset, rest, False
                )
            else:
                # The page is all exact matches: the forgiving tier only adds to the total,
                # so it is counted, not ranked.
                more_total = self._count(view, more_q, allowed, exact_docs, _keys(exact_q))
                more_page = []
            total = exact_total + more_total
            page = exact_page + more_page
        memo: dict[Any, Any] = {}
        hits = [
            self._hit(searcher.stored_fields(d), score, plan, sent, memo) for d, score, sent in page
        ]
        return SearchResult(total=total, hits=hits)

    def _run(
        self,
        view: OpenSearcher,
        q: wq.Query,
        allowed: set[int] | None,
        exclude: set[int] | None,
        offset: int,
        limit: int,
        by_date: bool,
    ) -> tuple[int, list[tuple[int, float, int]], set[int]]:
        """One page of `q` with identical copies shown once (the best-ranked, or the latest
        by date, stands for the others): the number of distinct copies, (docnum, score, copies
        sent) per hit, and every document matched. Collapsed here, not by Whoosh's
        `collapse`, whose counts go wrong when a better copy replaces a kept one."""
        copies = view.copies()
        want = offset + limit
        if by_date and type(q) is not wq.Every:
            return self._run_by_date(view, q, allowed, exclude, offset, want)
        terms = None if by_date else plain_terms(q)
        if terms is not None:
            return self._run_scored(view, terms, allowed, exclude, offset, want)
        fetch = max(1, want)
        known: set[int] | None = None
        if allowed is not None:
            # Filtered: the matches are the few documents of the query's posting lists that
            # the filters allow, found as sets; Whoosh then scores just those (its filter
            # would step through every match of the query to test each against the set).
            known = query_docs(view.searcher, q, allowed) & allowed
            if exclude:
                known -= exclude
            if not known:
                return 0, [], known
            q = Only(q, view.searcher, known)
        while True:
            kwargs: dict[str, Any] = {"limit": fetch}
            if exclude and known is None:
                kwargs["mask"] = exclude
            if by_date:
                kwargs["sortedby"] = "received_at"
                kwargs["reverse"] = True
            results = view.searcher.search(q, **kwargs)
            seen: set[int] = set()
            ranked: list[tuple[int, float]] = []
            for i in range(results.scored_length()):
                d = results.docnum(i)
                if copies[d] in seen:
                    continue
                seen.add(copies[d])
                ranked.append((d, 0.0 if by_date else float(results.score(i) or 0.0)))
            if len(ranked) >= want or results.scored_length() < fetch:
                break
            fetch *= 2
        if results.scored_length() < fetch:
            # Everything that matched was scored (the collector stops early only at `fetch`).
            matched = {results.docnum(i) for i in range(results.scored_length())}
            total = len(seen)
        elif known is not None:
            matched = known
            total = _distinct(copies, matched)
        else:
            # The matches as sets of posting lists (Whoosh's docs() runs the query again
            # through its matchers, one document at a time).
            matched = query_docs(view.searcher, q)
            if exclude:
                matched -= exclude
            total = _distinct(copies, matched)
        page = [(d, score, self._copies(view, d)) for d, score in ranked[offset:want]]
        return total, page, matched

    def _run_by_date(
        self,
        view: OpenSearcher,
        q: wq.Query,
        allowed: set[int] | None,
        exclude: set[int] | None,
        offset: int,
        want: int,
    ) -> tuple[int, list[tuple[int, float, int]], set[int]]:
        """_run sorted by date: the matches as sets, ordered by the received-time array as
        Whoosh's sorting collector orders them (newest first, then the higher document
        number), without its column lookup per match."""
        matched = query_docs(view.searcher, q, allowed)
        if allowed is not None:
            matched &= allowed
        if exclude:
            matched -= exclude
        received, copies = view.received(), view.copies()
        order = [(received[d], d) for d in matched]
        fetch = 2 * want + 8
        best = heapq.nlargest(fetch, order) if len(order) > fetch else sorted(order, reverse=True)
        while True:
            seen: set[int] = set()
            ranked: list[int] = []
            for _at, d in best:
                if copies[d] in seen:
                    continue
                seen.add(copies[d])
                ranked.append(d)
                if len(ranked) >= want:
                    break
            if len(ranked) >= want or len(best) == len(order):
                break
            best = sorted(order, reverse=True)
        total = len(seen) if len(ranked) < want else _distinct(copies, matched)
        page = [(d, 0.0, self._copies(view, d)) for d in ranked[offset:want]]
        return total, page, matched

    def _run_scored(
        self,
        view: OpenSearcher,
        terms: list[tuple[str, str]],
        allowed: set[int] | None,
        exclude: set[int] | None,
        offset: int,
        want: int,
    ) -> tuple[int, list[tuple[int, float, int]], set[int]]:
        """_run for a word whose keys are one or two terms (plain_terms): scored here from
        the posting blocks, as Whoosh's TF-IDF would (weight times idf, summed over the two),
        and ranked as its collector does (score descending, then document number), without
        Whoosh reading the same blocks again through its matchers."""
        searcher = view.searcher
        spans = spans_of(searcher, allowed) if allowed is not None else None
        scores: dict[int, float] = {}
        for field, value in terms:
            idf = searcher.idf(field, value)
            found = weights(searcher, field, value, spans)
            if not scores:  # the first (often only) term: one comprehension, same products
                scores = {d: weight * idf for d, weight in found.items()}
                continue
            for d, weight in found.items():
                score = weight * idf
                scores[d] = scores[d] + score if d in scores else score
        if allowed is None and not exclude:
            matched = set(scores)
            order = [(-score, d) for d, score in scores.items()]
        else:
            matched = set(scores)
            if allowed is not None:
                matched &= allowed
            if exclude:
                matched -= exclude
            order = [(-scores[d], d) for d in matched]
        copies = view.copies()
        # The best `fetch` first, all of them only when identical copies leave the page short.
        fetch = 2 * want + 8
        best = heapq.nsmallest(fetch, order) if len(order) > fetch else sorted(order)
        while True:
            seen: set[int] = set()
            ranked: list[tuple[int, float]] = []
            for negative, d in best:
                if copies[d] in seen:
                    continue
                seen.add(copies[d])
                ranked.append((d, -negative))
                if len(ranked) >= want:
                    break
            if len(ranked) >= want or len(best) == len(order):
                break
            best = sorted(order)
        total = len(seen) if len(ranked) < want else _distinct(copies, matched)
        page = [(d, score, self._copies(view, d)) for d, score in ranked[offset:want]]
        return total, page, matched

    def _count(
        self,
        view: OpenSearcher,
        q: wq.Query,
        allowed: set[int] | None,
        exclude: set[int],
        known: frozenset[tuple[str, str]] = frozenset(),
    ) -> int:
        """Distinct copies matching `q` that the filters allow, leaving out `exclude`.

        `known`: (field, word) pairs whose every allowed document is in `exclude` (the exact
        tier's words, when `q` is the forgiving tier of a one-word query); their posting
        lists are not read again, the other words' lists only add to what is left out."""
        matched = query_docs(view.searcher, q, allowed, skip=known) - exclude
        if allowed is not None:
            matched &= allowed
        return _distinct(view.copies(), matched)

    def _copies(self, view: OpenSearcher, docnum: int) -> int:
        """How many archived copies have this one's bytes. (Whoosh's own collapsed_counts
        misses the copies a better-ranked one replaced, so they are counted here.)"""
        key = view.column("copy_key")[docnum]
        key = key.decode() if isinstance(key, bytes) else str(key)
        if key.startswith("id:"):
            return 1
        return max(1, len(term_docs(view.searcher, "copy_key", [key])))

    def _hit(
        self,
        stored: dict[str, Any],
        score: float,
        plan: Plan,
        sent: int = 1,
        memo: dict[Any, Any] | None = None,
    ) -> Hit:
        return Hit(
            id=int(stored["id"]),
            document_type=stored.get("document_type") or None,
            person_name=stored.get("person_name") or None,
            branch=stored.get("branch") or None,
            received_at=stored["received_at"].replace(tzinfo=dt.UTC),
            indication=stored.get("indication") or "UNSIGNED",
            score=score,
            snippet=make_snippet(
                self.analyzer,
                stored.get("text", ""),
                plan.highlight,
                prefixes=plan.highlight_prefixes,
                memo=memo,
            ),
            sent=sent,
        )

    # -- words ---------------------------------------------------------------------------

    def _compile(self, view: OpenSearcher, plan: Plan, fuzzy: bool) -> wq.Query:
        return wq.And([self._term(view, t, fuzzy) for t in plan.terms])

    def _term(self, view: OpenSearcher, term: TermPlan, fuzzy: bool) -> wq.Query:
        """Words are looked up in the body text (which holds the names too) and, when they
        carry digits, among the numbers; one field keeps scoring cheap."""
        if term.kind == "prefix":
            key = term.positions[0][0]
            return wq.Or([wq.Prefix("content", key), wq.Prefix("numbers", key)])
        if term.kind == "phrase":
            if all(len(alts) == 1 for alts in term.positions):
                return wq.Phrase("content", [alts[0] for alts in term.positions])
            return wq.Sequence(
                [
                    wq.Term("content", alts[0])
                    if len(alts) == 1
                    else wq.Or([wq.Term("content", k) for k in alts])
                    for alts in term.positions
                ]
            )
        keys = term.positions[0]
        subs: list[wq.Query] = [wq.Term("content", k) for k in keys]
        if any(ch.isdigit() for k in keys for ch in k):
            subs += [wq.Term("numbers", k) for k in keys]
        if fuzzy and term.implicit_prefix:
            subs.append(wq.Prefix("content", term.implicit_prefix, boost=0.5))
        if fuzzy and term.fuzzy:
            # Each key's near names, found once in the whole lexicon (Whoosh's FuzzyTerm
            # builds a Levenshtein automaton per key and per segment, most of a surname
            # query's time); scored like FuzzyTerm, one constant per key.
            for key in term.fuzzy:
                near = _near_names(view, key, term.typos)
                if near:
                    subs.append(Listed("names", near, boost=0.5))
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    # -- phrases -------------------------------------------------------------------------

    def _phrase_docs(self, searcher: Searcher, term: TermPlan, within: set[int] | None) -> set[int]:
        """Documents with the phrase: per segment, each word's posting list read once (ids
        and positions, a block at a time), candidates by intersecting their documents, then
        the positions of just those candidates decoded. Whoosh's own phrase matcher steps
        through both posting lists one document at a time, ten times slower for common
        names; reading the lists once for the documents and again for the positions paid
        for each block twice."""
        positions = term.positions
        order = sorted(
            range(len(positions)),
            key=lambda i: sum(searcher.doc_frequency("content", k) for k in positions[i]),
        )
        found: set[int] = set()
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            end = offset + reader.doc_count_all()
            candidates: set[int] | None = None
            if within is not None:
                candidates = {d - offset for d in within if offset <= d < end}
                if not candidates:
                    continue
            values: list[list[dict[int, bytes]]] = [[] for _ in positions]
            for i in order:
                values[i] = posting_values(reader, "content", positions[i], candidates)
                docs: set[int] = set().union(*values[i])
                candidates = docs if candidates is None else candidates & docs
                if not candidates:
                    break
            if not candidates:
                continue
            if reader.has_deletions():
                candidates -= reader.deleted_docs_set
            decode = reader.schema["content"].format.decoder("positions")
            for d in sorted(candidates):
                starts = decoded(decode, values[0], d)
                for i in range(1, len(positions)):
                    here = decoded(decode, values[i], d)
                    starts = {p for p in starts if p + i in here}
                    if not starts:
                        break
                if starts:
                    found.add(d + offset)
        return found

    # -- filters -------------------------------------------------------------------------

    def _allowed(self, view: OpenSearcher, plan: Plan) -> set[int] | None:
        """The documents every filter allows (None: no filter).

        A date range is a slice of each segment's documents ordered by day; without one, the
        most selective filter (by document frequencies, which cost nothing) gives the
        candidates from its posting lists. The other filters are checked against each
        segment's codes (search.whoosh_segments) and, for word filters, sets.
        """
        searcher = view.searcher
        specs: list[tuple[str, list[str]]] = []
        if plan.types:
            specs.append(("document_type", list(plan.types)))
        if plan.statuses:
            specs.append(("indication", list(plan.statuses)))
        if plan.branch_ids and not plan.branch_words:
            specs.append(("branch_id", [str(b) for b in plan.branch_ids]))
        days: list[str] | None = None
        if plan.received_from is not None or plan.received_until is not None:
            days = self._days(searcher, plan.received_from, plan.received_until)
            if days is None:
                return _allowed_by_sets(searcher, plan)
            if not days:
                return set()
        extra: list[set[int]] = []
        if plan.branch_words:
            extra.append(_branch_docs(searcher, plan))
        if plan.senders:
            extra.append(term_docs(searcher, "sender_keys", plan.senders))
        if not specs and not extra and days is None:
            return None
        extra.sort(key=len)
        candidates: set[int]
        if days is not None:
            candidates = set()
            checks = [(f, v) for _s, f, v in _estimate(searcher, specs)]
            for arrays, reader, offset in view.segments():
                local: Iterable[int] = arrays.days_between(days[0], days[-1])
                for field, values in checks:
                    local = arrays.matching(field, values, local)
                deleted = reader.deleted_docs_set if reader.has_deletions() else None
                if deleted:
                    local = [d for d in local if d not in deleted]
                candidates.update([d + offset for d in local] if offset else local)
        elif extra and (not specs or len(extra[0]) <= _estimate(searcher, specs)[0][0]):
            candidates = extra.pop(0)
            candidates = _check_codes(view, candidates, specs)
        else:
            ranked = _estimate(searcher, specs)
            _size, field, values = ranked[0]
            candidates = term_docs(searcher, field, values)
            candidates = _check_codes(view, candidates, [(f, v) for _s, f, v in ranked[1:]])
        for other in extra:
            candidates &= other
        return candidates

    def _days(
        self, searcher: Searcher, lo: dt.datetime | None, hi: dt.datetime | None
    ) -> list[str] | None:
        """The indexed local days within [lo, hi), or None when the bounds are not midnights."""
        days = [None if t is None else t.astimezone(self.tz) for t in (lo, hi)]
        if not all(d is None or d.time() == dt.time() for d in days):
            return None
        first = days[0].date().isoformat() if days[0] else ""
        last = (days[1].date() - dt.timedelta(days=1)).isoformat() if days[1] else None
        wanted: list[str] = []
        for term in searcher.reader().terms_from("received_day", first):
            field, value = term
            if field != "received_day":
                break
            day = value.decode() if isinstance(value, bytes) else str(value)
            if last is not None and day > last:
                break
            wanted.append(day)
        return wanted


def _check_codes(
    view: OpenSearcher, docs: set[int], specs: list[tuple[str, list[str]]]
) -> set[int]:
    """The documents of `docs` whose every field in `specs` has one of its values."""
    if not specs or not docs:
        return docs
    segments = view.segments()
    if len(segments) == 1:
        arrays = segments[0][0]
        local: Iterable[int] = docs
        for field, values in specs:
            local = arrays.matching(field, values, local)
        return set(local)
    out: set[int] = set()
    ordered = sorted(docs)
    for arrays, reader, offset in segments:
        lo = bisect.bisect_left(ordered, offset)
        hi = bisect.bisect_left(ordered, offset + reader.doc_count_all())
        local = [d - offset for d in ordered[lo:hi]]
        for field, values in specs:
            local = arrays.matching(field, values, local)
        out.update(d + offset for d in local)
    return out


def _distinct(copies: Any, docs: set[int]) -> int:
    """How many distinct copies (copy keys) `docs` are."""
    return len({copies[d] for d in docs})


def _branch_docs(searcher: Searcher, plan: Plan) -> set[int]:
    """Documents of the named branches: by id, or by every word of a branch's name."""
    branch = term_docs(searcher, "branch_id", (str(b) for b in plan.branch_ids))
    for words in plan.branch_words:
        per_word = [term_docs(searcher, "branch_keys", alts) for alts in words]
        branch |= set.intersection(*per_word)
    return branch


def _estimate(
    searcher: Searcher, specs: list[tuple[str, list[str]]]
) -> list[tuple[int, str, list[str]]]:
    sized = [
        (sum(searcher.doc_frequency(field, v) for v in values), field, values)
        for field, values in specs
    ]
    return sorted(sized, key=lambda x: x[0])


def _allowed_by_sets(searcher: Searcher, plan: Plan) -> set[int]:
    """Fallback for a time range that is not whole days (not made by the query parser)."""
    sets: list[set[int]] = []
    if plan.types:
        sets.append(term_docs(searcher, "document_type", plan.types))
    if plan.statuses:
        sets.append(term_docs(searcher, "indication", plan.statuses))
    if plan.branch_ids or plan.branch_words:
        sets.append(_branch_docs(searcher, plan))
    if plan.senders:
        sets.append(term_docs(searcher, "sender_keys", plan.senders))
    lo, hi = plan.received_from, plan.received_until
    q = wq.DateRange(
        "received_at",
        naive_utc(lo) if lo else None,
        naive_utc(hi) if hi else None,
        endexcl=True,
    )
    sets.append(set(searcher.docs_for_query(q)))
    sets.sort(key=len)
    return set.intersection(*sets)


def _near_names(view: OpenSearcher, key: str, typos: int) -> tuple[str, ...]:
    """The names' keys within `typos` edits of `key` that share its first letters
    (search.tiers.within_typos), from the names' lexicon of every segment (kept in memory
    with the segment's arrays), in order, each once: what a walk of Whoosh's merged
    lexicon from those letters gives."""
    start = key[:FUZZY_PREFIX]
    words: set[str] = set()
    for arrays, _reader, _offset in view.segments():
        lexicon = arrays.lexicon("names")
        i = bisect.bisect_left(lexicon, start)
        while i < len(lexicon) and lexicon[i].startswith(start):
            words.add(lexicon[i])
            i += 1
    return tuple(w for w in sorted(words) if within_typos(w, key, typos))


def _keys(q: wq.Query) -> frozenset[tuple[str, str]]:
    """The (field, word) pairs of a one-word query (And of one Term or of an Or of Terms,
    the exact tier of a word: WhooshQuery._term); empty for any other query."""
    if type(q) is wq.And and len(q.subqueries) == 1:
        q = q.subqueries[0]
    subs = q.subqueries if type(q) is wq.Or else [q]
    if not all(type(t) is wq.Term for t in subs):
        return frozenset()
    return frozenset((t.fieldname, text_of(t.text)) for t in subs)
