"""The embedded index: Whoosh files in the data folder, for a single node.

Layout under `root`:

    CURRENT            name of the generation in use, replaced atomically (write, fsync, rename)
    g-<hex>/           one complete Whoosh index plus VERSION (schema and analysis version)
    write.lock         flock held by the one writer (any process, any thread)

A rebuild fills a fresh generation and only then points CURRENT at it, so searches keep working
during a rebuild and a rebuild killed half-way leaves the old index in use. Ordinary writes commit
every `commit_batch` documents; Whoosh's own commit writes segments first and its table of
contents last by rename, so a writer killed mid-batch leaves the last committed state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import heapq
import logging
import os
import pickle
import shutil
import struct
import threading
import uuid
import zlib
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.searching import Searcher

from search.analysis import (
    ANALYSIS_VERSION,
    Analyzer,
    encode_positions,
    make_snippet,
    number_keys,
)
from search.errors import IndexUnavailable, SearchError
from search.index import ArchiveSource, Hit, IndexDoc, SearchResult, check_sort
from search.plan import Plan, TermPlan, plan_query, sender_keys
from search.query import parse_query
from search.settings import SearchSettings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_WRITER_MB = 64


def _writer(ix: windex.Index) -> Any:
    """A writer whose segments stay separate files (not one compound file).

    Whoosh reads a compound segment through a BytesIO copy of each part it opens, so every
    reader open copied the segment's terms, postings and columns into memory: a process that had
    searched a 100,000-document index held about 1.7 times the index in RAM. Separate files are
    read with seek and read, and the operating system's page cache is shared by every process.
    """
    return ix.writer(limitmb=_WRITER_MB, compound=False)


# What a damaged segment or table of contents raises inside Whoosh.
_CORRUPT = (OSError, EOFError, struct.error, ValueError, KeyError, IndexError, TypeError,
            AttributeError, pickle.UnpicklingError, zlib.error, windex.IndexError)  # fmt: skip


class PositionsTokenizer(Tokenizer):
    """Reads the analysed form "a|b c" back into tokens: alternatives share a position.

    Stateless on purpose: Whoosh pickles the schema into the index, so this must not carry the
    morphology dictionary; analysis happens before Whoosh sees the text.
    """

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, group in enumerate(value.split(" ") if tokenize else [value]):
            for key in group.split("|"):
                if not key:
                    continue
                t.text = key
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = key
                if positions:
                    t.pos = start_pos + pos
                if chars:
                    t.startchar = start_char
                    t.endchar = start_char
                yield t


def make_schema() -> Schema:
    pt = PositionsTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        # Filter fields are also columns: a filter checks candidates by column lookups
        # instead of walking long posting lists.
        document_type=ID(stored=True, sortable=True),
        branch_id=ID(stored=True, sortable=True),
        branch=STORED(),
        branch_keys=TEXT(analyzer=pt, phrase=False),
        received_at=DATETIME(stored=True, sortable=True),
        # The local day as text: a 30-day filter is a range over 30 terms, not a numeric trie.
        received_day=ID(sortable=True),
        indication=ID(stored=True, sortable=True),
        sender_keys=TEXT(analyzer=pt, phrase=False),
        person_name=STORED(),
        names=TEXT(analyzer=pt, phrase=False, field_boost=3.0),
        numbers=TEXT(analyzer=pt, phrase=False, field_boost=3.0),
        content=TEXT(analyzer=pt, phrase=True),
        text=STORED(),
    )


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class WhooshBackend:
    """SearchBackend over a Whoosh index; repairs itself from `source` when one is given."""

    def __init__(
        self,
        root: Path,
        settings: SearchSettings,
        *,
        source: ArchiveSource | None = None,
        repair: bool = True,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.root = Path(root)
        self.settings = settings
        self.source = source
        self.analyzer = analyzer or Analyzer()
        self.tz = zoneinfo.ZoneInfo(settings.timezone)
        self._version = f"{SCHEMA_VERSION}.{ANALYSIS_VERSION}.{settings.timezone}"
        # _lock guards the shared searcher (searches are short); _writing serialises this
        # process's writers, which never hold _lock for long, so searches run during a rebuild.
        self._lock = threading.RLock()
        self._writing = threading.Lock()
        self._ix: windex.Index | None = None
        self._gen: str | None = None
        self._searcher: Searcher | None = None
        self._columns: dict[str, Any] = {}
        self.root.mkdir(parents=True, exist_ok=True)
        if repair:
            self._repair_on_open()

    # -- generations ---------------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text("ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return name if name.startswith("g-") else None

    def _set_current(self, name: str) -> None:
        tmp = self.root / f"CURRENT.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="ascii") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _open_current(self) -> windex.Index:
        """The index CURRENT names, reopened when another process has swapped generations."""
        name = self._current_name()
        if name is None:
            raise IndexUnavailable("no search index yet", reason="INDEX_MISSING")
        if self._ix is not None and name == self._gen:
            return self._ix
        ix = self._open_generation(name)
        self._drop_searcher()
        self._ix, self._gen = ix, name
        return ix

    def _open_generation(self, name: str) -> windex.Index:
        path = self.root / name
        try:
            version = (path / "VERSION").read_text("ascii").strip()
        except OSError:
            raise IndexUnavailable("search index incomplete", reason="INDEX_CORRUPT") from None
        if version != self._version:
            raise IndexUnavailable("search index from another version", reason="INDEX_OUTDATED")
        try:
            return windex.open_dir(str(path))
        except _CORRUPT as exc:
            raise IndexUnavailable(
                f"search index unreadable ({type(exc).__name__})", reason="INDEX_CORRUPT"
            ) from exc

    def _writer_index(self) -> windex.Index:
        """A private Index object for a writer (the searcher's own stays untouched)."""
        name = self._current_name()
        if name is None:
            raise IndexUnavailable("no search index yet", reason="INDEX_MISSING")
        return self._open_generation(name)

    def _column(self, searcher: Searcher, field: str) -> Any:
        """Column readers of the current searcher, made once: making one reads its whole
        offset table (about 15 ms for 100,000 documents)."""
        column = self._columns.get(field)
        if column is None:
            column = self._columns[field] = searcher.reader().column_reader(field)
        return column

    def _drop_searcher(self) -> None:
        self._columns = {}
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
        self._searcher = None
        if self._ix is not None:
            with contextlib.suppress(Exception):
                self._ix.close()
        self._ix = None
        self._gen = None

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """One writer at a time across processes (flock, released even by SIGKILL)."""
        # The folder may have been deleted under a running service: recreate it (and the
        # index is then rebuilt from the archive by whoever finds it missing).
        self.root.mkdir(parents=True, exist_ok=True)
        with self._writing, open(self.root / "write.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # -- repair --------------------------------------------------------------------------

    def _repair_on_open(self) -> None:
        try:
            self._open_current()
            self._probe()
        except IndexUnavailable as exc:
            if self.source is None:
                if exc.reason != "INDEX_MISSING":
                    raise
                self.rebuild(())
                return
            level = logging.INFO if exc.reason == "INDEX_MISSING" else logging.WARNING
            log.log(level, "search index %s: rebuilding from the archive", exc.reason)
            self.rebuild(self.source.docs())
            return
        if self.source is not None:
            self.reconcile()

    def _probe(self) -> None:
        """Touch every part a search needs, so a damaged segment shows up now."""
        try:
            with self._lock:
                searcher = self._get_searcher()
                searcher.doc_count()
                searcher.search(wq.Every(), limit=1, sortedby="received_at")
        except IndexUnavailable:
            raise
        except Exception as exc:  # whatever a damaged file makes Whoosh raise
            with self._lock:
                self._drop_searcher()
            raise IndexUnavailable(
                f"search index unreadable ({type(exc).__name__})", reason="INDEX_CORRUPT"
            ) from exc

    def reconcile(self) -> int:
        """Add what the archive has and the index lacks, drop what it no longer has.

        Cheap when both agree (two counts); that is the usual case at start.
        """
        if self.source is None:
            return 0
        with self._lock:
            searcher = self._get_searcher()
            if searcher.doc_count() == self.source.count():
                return 0
            indexed = {int(f["id"]) for f in searcher.all_stored_fields()}
        archived = self.source.ids()
        missing, extra = archived - indexed, indexed - archived
        if extra:
            self.delete(extra)
        if missing:
            self.add(self.source.docs(missing))
        if missing or extra:
            log.info("search index reconciled: %d added, %d removed", len(missing), len(extra))
        return len(missing) + len(extra)

    # -- writing -------------------------------------------------------------------------

    def _fields(self, doc: IndexDoc) -> dict[str, Any]:
        a = self.analyzer
        names = " ".join(n for n in (doc.person_name, doc.person_name_lat) if n)
        number_positions = [tuple(sorted(number_keys(n))) for n in doc.numbers]
        extra = " ".join(x for x in (doc.filename, doc.subject, doc.sender) if x)
        return {
            "id": str(doc.id),
            "document_type": doc.document_type or "",
            "branch_id": str(doc.branch_id) if doc.branch_id is not None else "",
            "branch": doc.branch or "",
            "branch_keys": encode_positions(a.positions(doc.branch or "")),
            "received_at": _naive_utc(doc.received_at),
            "received_day": doc.received_at.astimezone(self.tz).date().isoformat(),
            "indication": doc.indication,
            "sender_keys": " ".join(sender_keys(doc.sender)),
            "person_name": doc.person_name or "",
            "names": encode_positions(a.positions(names)),
            "numbers": encode_positions(number_positions),
            "content": encode_positions(a.positions(doc.text + "\n" + extra)),
            "text": doc.text,
        }

    def _write_batches(
        self,
        ix: windex.Index,
        docs: Iterable[IndexDoc],
        progress: Callable[[int], None] | None,
        *,
        fresh: bool = False,
    ) -> int:
        report = max(1, self.settings.commit_batch)
        size = max(report, self.settings.rebuild_commit_batch) if fresh else report
        done = 0
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(self._fields(doc))
            if len(batch) >= size:
                done += self._commit_batch(ix, batch, replace=not fresh)
            if progress is not None and (done + len(batch)) % report == 0:
                progress(done + len(batch))
        if batch:
            done += self._commit_batch(ix, batch, replace=not fresh)
        if progress is not None and done % report:
            progress(done)
        return done

    def _commit_batch(self, ix: windex.Index, batch: list[dict[str, Any]], *, replace: bool) -> int:
        """One batch, one commit. Replacing deletes first, in a commit of its own, and only the
        ids the index already has.

        Whoosh's update_document loses the deletion when the same commit merges the segment
        holding the old version (observed with Whoosh-Reloaded 2.7.5), which would leave
        duplicates behind; a separate delete commit without merging avoids that. The worker
        adds documents that are new almost always: looking their ids up in the term index costs
        microseconds, while a delete commit for nothing cost three quarters of an add at 100,000
        documents (each one rewrites the deletion lists of every segment).
        """
        if replace:
            with ix.reader() as reader:
                present = [f["id"] for f in batch if ("id", f["id"]) in reader]
            if present:
                writer = _writer(ix)
                try:
                    for doc_id in present:
                        writer.delete_by_term("id", doc_id)
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit(merge=False)
        writer = _writer(ix)
        try:
            for fields in batch:
                writer.add_document(**fields)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        n = len(batch)
        batch.clear()
        return n

    def add(self, docs: Iterable[IndexDoc]) -> None:
        with self._write_lock():
            try:
                ix = self._writer_index()
            except IndexUnavailable as exc:
                if exc.reason != "INDEX_MISSING":
                    raise
                # Lost while running (deleted folder or generation): rebuild from the archive,
                # which already holds these documents, rather than start an index of just them.
                log.warning("search index missing while running: rebuilding from the archive")
                with self._lock:
                    self._drop_searcher()
                self._new_generation_from(self.source.docs() if self.source else (), None)
                ix = self._writer_index()
            try:
                self._write_batches(ix, docs, None)
            finally:
                ix.close()

    def delete(self, ids: Iterable[int]) -> None:
        with self._write_lock():
            ix = self._writer_index()
            try:
                writer = _writer(ix)
                try:
                    for i in ids:
                        writer.delete_by_term("id", str(i))
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
            finally:
                ix.close()

    def optimize(self) -> None:
        """Merge every segment into one, which drops deleted documents from the files.

        A Whoosh delete only marks a document deleted; erasure (a person's request, retention)
        needs its terms and stored text gone from disk, which this does. Slow on a large index
        (minutes at 100,000 documents), like a rebuild.
        """
        with self._write_lock():
            ix = self._writer_index()
            try:
                _writer(ix).commit(optimize=True)
            finally:
                ix.close()

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        with self._write_lock():
            return self._new_generation_from(docs, progress)

    def _new_generation_from(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None
    ) -> int:
        """Build a complete generation beside the current one, then switch to it."""
        self._remove_stale_generations()
        name = f"g-{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        path = self.root / name
        path.mkdir()
        ix = windex.create_in(str(path), make_schema())
        try:
            count = self._write_batches(ix, docs, progress, fresh=True)
        finally:
            ix.close()
        (path / "VERSION").write_text(self._version + "\n", "ascii")
        old = self._current_name()
        with self._lock:
            self._drop_searcher()
            self._set_current(name)
        if old and old != name:
            shutil.rmtree(self.root / old, ignore_errors=True)
        return count

    def _remove_stale_generations(self) -> None:
        """Leftovers of rebuilds that were killed (only called while holding the write lock)."""
        current = self._current_name()
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("g-") and child.name != current:
                shutil.rmtree(child, ignore_errors=True)
        for tmp in self.root.glob("CURRENT.*.tmp"):
            tmp.unlink(missing_ok=True)

    # -- searching -----------------------------------------------------------------------

    def _get_searcher(self) -> Searcher:
        ix = self._open_current()
        if self._searcher is not None and not self._searcher.up_to_date():
            # Not Searcher.refresh(): it reuses readers of segments whose deletions changed
            # and so keeps showing deleted documents.
            with contextlib.suppress(Exception):
                self._searcher.close()
            self._searcher = None
        if self._searcher is None:
            self._columns = {}
            # TF-IDF: ranks like BM25 for these short copies without a field-length lookup per
            # matching document, which was most of the time of a surname query.
            self._searcher = ix.searcher(weighting=scoring.TF_IDF())
        return self._searcher

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance"
    ) -> SearchResult:
        check_sort(sort)
        plan = plan_query(parse_query(query, self.tz), self.analyzer)
        try:
            return self._search_with_fallback(plan, limit, offset, sort)
        except (IndexUnavailable, *_CORRUPT) as exc:
            if self.source is None:
                if isinstance(exc, IndexUnavailable):
                    raise
                raise IndexUnavailable(
                    f"search index unreadable ({type(exc).__name__})", reason="INDEX_CORRUPT"
                ) from exc
            log.warning("search index unusable (%s): rebuilding", type(exc).__name__)
            with self._lock:
                self._drop_searcher()
            self.rebuild(self.source.docs())
            return self._search_with_fallback(plan, limit, offset, sort)

    def _search_with_fallback(self, plan: Plan, limit: int, offset: int, sort: str) -> SearchResult:
        """Exact keys first; only when nothing matches, tolerate a typo in names."""
        result = self._search(plan, limit, offset, sort, fuzzy=False)
        if result.total or not self.settings.fuzzy_names or not plan.has_fuzzy:
            return result
        return self._search(plan, limit, offset, sort, fuzzy=True)

    def _search(
        self, plan: Plan, limit: int, offset: int, sort: str, *, fuzzy: bool
    ) -> SearchResult:
        limit = max(0, min(limit, 1000))
        offset = max(0, offset)
        with self._lock:
            searcher = self._get_searcher()
            allowed = self._allowed(searcher, plan)
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
                column = self._column(searcher, "received_at")
                ranked = heapq.nlargest(offset + limit, allowed, key=lambda d: (column[d], d))
                total = len(allowed)
                page = [(d, 0.0) for d in ranked[offset : offset + limit]]
            else:
                kwargs: dict[str, Any] = {"limit": max(1, offset + limit)}
                if allowed is not None:
                    kwargs["filter"] = allowed  # narrows without touching relevance
                if by_date:
                    kwargs["sortedby"] = "received_at"
                    kwargs["reverse"] = True
                q = self._compile(plan, fuzzy) if plan.terms else wq.Every()
                results = searcher.search(q, **kwargs)
                total = len(results)
                page = [
                    (results.docnum(i), 0.0 if by_date else float(results.score(i) or 0.0))
                    for i in range(offset, min(offset + limit, results.scored_length()))
                ]
            hits = [self._hit(searcher.stored_fields(d), score, plan) for d, score in page]
        return SearchResult(total=total, hits=hits)

    def _hit(self, stored: dict[str, Any], score: float, plan: Plan) -> Hit:
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
            ),
        )

    def _compile(self, plan: Plan, fuzzy: bool) -> wq.Query:
        return wq.And([self._term(t, fuzzy) for t in plan.terms])

    def _term(self, term: TermPlan, fuzzy: bool) -> wq.Query:
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
        if fuzzy:
            subs += [
                wq.FuzzyTerm("names", k, maxdist=1, prefixlength=2, boost=0.5) for k in term.fuzzy
            ]
        return subs[0] if len(subs) == 1 else wq.Or(subs)

    def _phrase_docs(self, searcher: Searcher, term: TermPlan, within: set[int] | None) -> set[int]:
        """Documents with the phrase: candidates by intersecting sets of documents, then the
        positions of just those candidates. Whoosh's own phrase matcher steps through both
        posting lists one document at a time, ten times slower for common names."""
        candidates = within
        for alts in sorted(
            term.positions, key=lambda a: sum(searcher.doc_frequency("content", k) for k in a)
        ):
            docs = self._docs(searcher, "content", alts)
            candidates = docs if candidates is None else candidates & docs
            if not candidates:
                return set()
        assert candidates is not None
        found: set[int] = set()
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            end = offset + reader.doc_count_all()
            local = sorted(d - offset for d in candidates if offset <= d < end)
            if not local:
                continue
            where = [self._positions(reader, alts, local) for alts in term.positions]
            for d in local:
                starts = where[0].get(d, set())
                for i, positions in enumerate(where[1:], start=1):
                    here = positions.get(d, set())
                    starts = {p for p in starts if p + i in here}
                    if not starts:
                        break
                if starts:
                    found.add(d + offset)
        return found

    @staticmethod
    def _positions(reader: Any, alts: tuple[str, ...], docs: list[int]) -> dict[int, set[int]]:
        """Positions of any of `alts` in the (sorted, segment-local) documents `docs`."""
        out: dict[int, set[int]] = {}
        for key in alts:
            if ("content", key) not in reader:
                continue
            m = reader.postings("content", key)
            for d in docs:
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                if m.is_active() and m.id() == d:
                    out.setdefault(d, set()).update(m.value_as("positions"))
        return out

    def _docs(self, searcher: Searcher, field: str, values: Iterable[str]) -> set[int]:
        """Documents having any of `values` in `field`: posting lists read one by one and
        joined as sets (Whoosh's matcher tree is far slower for tens of terms)."""
        out: set[int] = set()
        for value in values:
            out.update(searcher.docs_for_query(wq.Term(field, value)))
        return out

    def _allowed(self, searcher: Searcher, plan: Plan) -> set[int] | None:
        """The documents every filter allows (None: no filter).

        The most selective filter (by document frequencies, which cost nothing) gives the
        candidates; the others are checked against columns or, for word filters, sets.
        """
        specs: list[tuple[str, list[str]]] = []
        if plan.types:
            specs.append(("document_type", list(plan.types)))
        if plan.statuses:
            specs.append(("indication", list(plan.statuses)))
        if plan.branch_ids and not plan.branch_words:
            specs.append(("branch_id", [str(b) for b in plan.branch_ids]))
        if plan.received_from is not None or plan.received_until is not None:
            days = self._days(searcher, plan.received_from, plan.received_until)
            if days is None:
                return self._allowed_by_sets(searcher, plan)
            specs.append(("received_day", days))
        extra: list[set[int]] = []
        if plan.branch_words:
            branch = self._docs(searcher, "branch_id", (str(b) for b in plan.branch_ids))
            for words in plan.branch_words:
                per_word = [self._docs(searcher, "branch_keys", alts) for alts in words]
                branch |= set.intersection(*per_word)
            extra.append(branch)
        if plan.senders:
            extra.append(self._docs(searcher, "sender_keys", plan.senders))
        if not specs and not extra:
            return None
        extra.sort(key=len)
        if extra and (not specs or len(extra[0]) <= self._estimate(searcher, specs)[0][0]):
            candidates = extra.pop(0)
        else:
            ranked = self._estimate(searcher, specs)
            _size, field, values = ranked[0]
            candidates = self._docs(searcher, field, values)
            specs = [(f, v) for _s, f, v in ranked[1:]]
        for field, values in specs:
            column = self._column(searcher, field)
            wanted = {v.encode() if isinstance(column[0], bytes) else v for v in values}
            candidates = {d for d in candidates if column[d] in wanted}
        for other in extra:
            candidates &= other
        return candidates

    def _estimate(
        self, searcher: Searcher, specs: list[tuple[str, list[str]]]
    ) -> list[tuple[int, str, list[str]]]:
        sized = [
            (sum(searcher.doc_frequency(field, v) for v in values), field, values)
            for field, values in specs
        ]
        return sorted(sized, key=lambda x: x[0])

    def _allowed_by_sets(self, searcher: Searcher, plan: Plan) -> set[int]:
        """Fallback for a time range that is not whole days (not made by the query parser)."""
        sets: list[set[int]] = []
        if plan.types:
            sets.append(self._docs(searcher, "document_type", plan.types))
        if plan.statuses:
            sets.append(self._docs(searcher, "indication", plan.statuses))
        if plan.branch_ids or plan.branch_words:
            branch = self._docs(searcher, "branch_id", (str(b) for b in plan.branch_ids))
            for words in plan.branch_words:
                per_word = [self._docs(searcher, "branch_keys", alts) for alts in words]
                branch |= set.intersection(*per_word)
            sets.append(branch)
        if plan.senders:
            sets.append(self._docs(searcher, "sender_keys", plan.senders))
        lo, hi = plan.received_from, plan.received_until
        q = wq.DateRange(
            "received_at",
            _naive_utc(lo) if lo else None,
            _naive_utc(hi) if hi else None,
            endexcl=True,
        )
        sets.append(set(searcher.docs_for_query(q)))
        sets.sort(key=len)
        return set.intersection(*sets)

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

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        try:
            with self._lock:
                self._open_current()
            self._probe()
        except SearchError:
            raise
        except _CORRUPT as exc:
            raise IndexUnavailable(
                f"search index unreadable ({type(exc).__name__})", reason="INDEX_CORRUPT"
            ) from exc

    def doc_count(self) -> int:
        with self._lock:
            return int(self._get_searcher().doc_count())

    def close(self) -> None:
        with self._lock:
            self._drop_searcher()
