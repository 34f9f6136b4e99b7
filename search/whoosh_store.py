"""Where the embedded index lives on disk: Whoosh generations, the write lock, repair, writing.

Layout under `root`:

    CURRENT            name of the generation in use, replaced atomically (write, fsync, rename)
    g-<hex>/           one complete Whoosh index plus VERSION (schema and analysis version)
    write.lock         flock held by the one writer (any process, any thread)

A rebuild fills a fresh generation and only then points CURRENT at it, so searches keep working
during a rebuild and a rebuild killed half-way leaves the old index in use. Ordinary writes commit
every `commit_batch` documents; Whoosh's own commit writes segments first and its table of
contents last by rename, so a writer killed mid-batch leaves the last committed state.

Nothing here knows what a query means: `search.whoosh_query` turns a plan into documents, over
the searcher this module keeps open.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import pickle
import shutil
import struct
import threading
import uuid
import zlib
import zoneinfo
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.searching import Searcher

from search.analysis import ANALYSIS_VERSION, Analyzer, encode_positions, number_keys
from search.errors import IndexUnavailable, SearchError
from search.index import ArchiveSource, IndexDoc
from search.plan import sender_keys
from search.settings import SearchSettings
from search.whoosh_bulk import (
    ChildSegments,
    SegmentBuilder,
    commit_segments,
    fields_plan,
    prepare,
)
from search.whoosh_format import VarintPositions
from search.whoosh_segments import PostingCache, SegmentArrays, SegmentCache, segment_ids

log = logging.getLogger(__name__)

#: 5: the content field's positions as varints (search.whoosh_format), not Whoosh's pickles.
SCHEMA_VERSION = 5
_WRITER_MB = 64
#: A rebuild of at least this many documents writes its segments in a child process.
CHILD_FROM = 2_000


def _writer(ix: windex.Index) -> Any:
    """A writer whose segments stay separate files (not one compound file).

    Whoosh reads a compound segment through a BytesIO copy of each part it opens, so every
    reader open copied the segment's terms, postings and columns into memory: a process that had
    searched a 100,000-document index held about 1.7 times the index in RAM. Separate files are
    read with seek and read, and the operating system's page cache is shared by every process.
    """
    return ix.writer(limitmb=_WRITER_MB, compound=False)


#: What a damaged segment or table of contents raises inside Whoosh.
CORRUPT = (OSError, EOFError, struct.error, ValueError, KeyError, IndexError, TypeError,
           AttributeError, pickle.UnpicklingError, zlib.error, windex.IndexError)  # fmt: skip


def unreadable(exc: BaseException) -> IndexUnavailable:
    """The error a damaged index is reported with (the cause's type, never its contents)."""
    return IndexUnavailable(
        f"search index unreadable ({type(exc).__name__})", reason="INDEX_CORRUPT"
    )


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
    # Phrases read the body's positions: varints, short values shared (search.whoosh_format).
    content = TEXT(analyzer=pt, phrase=True)
    content.format = VarintPositions(field_boost=content.format.field_boost)
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
        content=content,
        text=STORED(),
        # Identical copies (same bytes) share it; a search shows one of them.
        copy_key=ID(sortable=True),
    )


def whoosh_text(fields: dict[str, Any]) -> dict[str, Any]:
    """`WhooshStore._fields` as Whoosh's writer takes them: keys per position joined into
    the text PositionsTokenizer reads back."""
    return {k: encode_positions(v) if type(v) is list else v for k, v in fields.items()}


def naive_utc(value: dt.datetime) -> dt.datetime:
    """How Whoosh's DATETIME field stores a moment: UTC without a zone."""
    if value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class OpenSearcher:
    """The searcher in use and what is read from it: column readers, each segment's arrays
    (search.whoosh_segments) and their concatenation (valid as long as the searcher is)."""

    def __init__(
        self,
        searcher: Searcher,
        cache: SegmentCache | None = None,
        generation: str = "",
        postings: PostingCache | None = None,
    ) -> None:
        self.searcher = searcher
        self._columns: dict[str, Any] = {}
        self._cache = cache or SegmentCache()
        self._generation = generation
        #: Posting lists kept across searches (search.whoosh_segments.PostingCache), if any.
        self.postings = postings
        if postings is not None:
            postings.retain(generation, segment_ids(searcher))
        self._segments: list[tuple[SegmentArrays, Any, int]] | None = None
        self._joined: dict[str, Any] = {}

    @property
    def generation(self) -> str:
        return self._generation

    def segments(self) -> list[tuple[SegmentArrays, Any, int]]:
        """(arrays, reader, docnum offset) of each segment, in docnum order."""
        if self._segments is None:
            self._segments = self._cache.for_searcher(self._generation, self.searcher)
        return self._segments

    def copies(self) -> Any:
        """The copy number (whoosh_segments.copy_number) of every document, by docnum."""
        return self._whole("copies")

    def received(self) -> Any:
        """The received time (Whoosh's sortable integer) of every document, by docnum."""
        return self._whole("received")

    def _whole(self, what: str) -> Any:
        joined = self._joined.get(what)
        if joined is None:
            segments = [arrays for arrays, _r, _o in self.segments()]
            parts = [getattr(arrays, what)() for arrays in segments]
            if len(parts) == 1:
                joined = parts[0]
                if isinstance(joined, memoryview):
                    # The slice of a join whose other segments left the index: an array of
                    # its own, so the old join can go.
                    joined = array("q", joined.tobytes())
                    segments[0].share(what, joined)
            else:
                joined = array("q")
                for part in parts:
                    joined.frombytes(memoryview(part).cast("B"))
                # Each segment keeps its slice of the joined array instead of an array of
                # its own: one copy of the numbers, and the next searcher joins from them.
                view, start = memoryview(joined), 0
                for arrays, part in zip(segments, parts, strict=True):
                    arrays.share(what, view[start : start + len(part)])
                    start += len(part)
            self._joined[what] = joined
        return joined

    def column(self, field: str) -> Any:
        """Column readers are made once per searcher: making one reads its whole offset table
        (about 15 ms for 100,000 documents)."""
        column = self._columns.get(field)
        if column is None:
            column = self._columns[field] = self.searcher.reader().column_reader(field)
        return column


class WhooshStore:
    """The generations of one index folder, its writer and the searcher of the current one."""

    def __init__(
        self,
        root: Path,
        settings: SearchSettings,
        *,
        source: ArchiveSource | None = None,
        analyzer: Analyzer | None = None,
    ) -> None:
        self.root = Path(root)
        self.settings = settings
        self.source = source
        self.analyzer = analyzer or Analyzer()
        self.tz = zoneinfo.ZoneInfo(settings.timezone)
        self._version = f"{SCHEMA_VERSION}.{ANALYSIS_VERSION}.{settings.timezone}"
        # lock guards the shared searcher (searches are short); _writing serialises this
        # process's writers, which never hold lock for long, so searches run during a rebuild.
        self.lock = threading.RLock()
        self._writing = threading.Lock()
        self._ix: windex.Index | None = None
        self._gen: str | None = None
        self._open: OpenSearcher | None = None
        self.segment_cache = SegmentCache()
        #: CPU seconds and peak RSS (MB) of the last rebuild's child process, if it had one.
        self.child_usage = (0.0, 0.0)
        self.posting_cache = PostingCache(settings.posting_cache_mb * 1024 * 1024)
        self.root.mkdir(parents=True, exist_ok=True)

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

    def open_current(self) -> windex.Index:
        """The index CURRENT names, reopened when another process has swapped generations."""
        name = self._current_name()
        if name is None:
            raise IndexUnavailable("no search index yet", reason="INDEX_MISSING")
        if self._ix is not None and name == self._gen:
            return self._ix
        ix = self._open_generation(name)
        self.drop_searcher()
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
        except CORRUPT as exc:
            raise unreadable(exc) from exc

    def _writer_index(self) -> windex.Index:
        """A private Index object for a writer (the searcher's own stays untouched)."""
        name = self._current_name()
        if name is None:
            raise IndexUnavailable("no search index yet", reason="INDEX_MISSING")
        return self._open_generation(name)

    # -- the searcher --------------------------------------------------------------------

    def searcher(self) -> OpenSearcher:
        """The searcher of the current generation, reopened after any commit (call with
        `lock` held)."""
        ix = self.open_current()
        if self._open is not None and not self._open.searcher.up_to_date():
            # Not Searcher.refresh(): it reuses readers of segments whose deletions changed
            # and so keeps showing deleted documents.
            with contextlib.suppress(Exception):
                self._open.searcher.close()
            self._open = None
        if self._open is None:
            # TF-IDF: ranks like BM25 for these short copies without a field-length lookup per
            # matching document, which was most of the time of a surname query.
            self._open = OpenSearcher(
                ix.searcher(weighting=scoring.TF_IDF()),
                self.segment_cache,
                self._gen or "",
                self.posting_cache,
            )
        return self._open

    def drop_searcher(self) -> None:
        if self._open is not None:
            with contextlib.suppress(Exception):
                self._open.searcher.close()
        self._open = None
        self.posting_cache.clear()
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

    def repair_on_open(self) -> None:
        try:
            self.open_current()
            self.probe()
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

    def probe(self) -> None:
        """Touch every part a search needs, so a damaged segment shows up now."""
        try:
            with self.lock:
                searcher = self.searcher().searcher
                searcher.doc_count()
                searcher.search(wq.Every(), limit=1, sortedby="received_at")
        except IndexUnavailable:
            raise
        except Exception as exc:  # whatever a damaged file makes Whoosh raise
            with self.lock:
                self.drop_searcher()
            raise unreadable(exc) from exc

    def reconcile(self) -> int:
        """Add what the archive has and the index lacks, drop what it no longer has.

        Cheap when both agree (two counts); that is the usual case at start.
        """
        if self.source is None:
            return 0
        with self.lock:
            searcher = self.searcher().searcher
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
        """The document's fields as search.whoosh_bulk.prepare takes them: the analysed
        fields as keys per position (not yet joined into PositionsTokenizer's "a|b c" form,
        which `whoosh_text` makes for Whoosh's own writer)."""
        a = self.analyzer
        names = " ".join(n for n in (doc.person_name, doc.person_name_lat) if n)
        number_positions = [tuple(sorted(number_keys(n))) for n in doc.numbers]
        extra = " ".join(x for x in (doc.filename, doc.subject, doc.sender) if x)
        return {
            "id": str(doc.id),
            "document_type": doc.document_type or "",
            "branch_id": str(doc.branch_id) if doc.branch_id is not None else "",
            "branch": doc.branch or "",
            "branch_keys": a.positions(doc.branch or ""),
            "received_at": naive_utc(doc.received_at),
            "received_day": doc.received_at.astimezone(self.tz).date().isoformat(),
            "indication": doc.indication,
            "sender_keys": " ".join(sender_keys(doc.sender)),
            "person_name": doc.person_name or "",
            "names": a.positions(names),
            "numbers": number_positions,
            "content": a.positions(doc.text + "\n" + extra),
            "text": doc.text,
            "copy_key": doc.collapse_key,
        }

    def _write_batches(
        self,
        ix: windex.Index,
        docs: Iterable[IndexDoc],
        progress: Callable[[int], None] | None,
    ) -> int:
        size = max(1, self.settings.commit_batch)
        done = 0
        batch: list[dict[str, Any]] = []
        for doc in docs:
            batch.append(self._fields(doc))
            if len(batch) >= size:
                done += self._commit_batch(ix, batch)
            if progress is not None and (done + len(batch)) % size == 0:
                progress(done + len(batch))
        if batch:
            done += self._commit_batch(ix, batch)
        if progress is not None and done % size:
            progress(done)
        return done

    def _write_segments(
        self,
        ix: windex.Index,
        docs: Iterable[IndexDoc],
        progress: Callable[[int], None] | None,
    ) -> int:
        """A new index's documents as segments of `rebuild_commit_batch` documents written by
        search.whoosh_bulk (the same files as Whoosh's writer, without its posting pool), listed
        in one table of contents at the end.

        This process analyses; past CHILD_FROM documents a child process files the postings
        and writes the segments (whoosh_bulk.ChildSegments), so a large rebuild uses two
        cores. Fewer documents are built here (a child costs about a second to start)."""
        report = max(1, self.settings.commit_batch)
        size = max(report, self.settings.rebuild_commit_batch)
        plan = fields_plan(ix.schema, PositionsTokenizer)
        memo: dict[str, dict[Any, Any]] = {}
        done = 0
        #: Prepared documents (None: a segment ends) while no child is worth starting.
        waiting: list[Any] = []
        child: ChildSegments | None = None
        builder: SegmentBuilder | None = None
        self.child_usage = (0.0, 0.0)
        try:
            for doc in docs:
                prepared = prepare(plan, self._fields(doc), memo)
                done += 1
                if child is not None:
                    child.add_prepared(prepared)
                    if done % size == 0:
                        child.cut()
                else:
                    waiting.append(prepared)
                    if done % size == 0:
                        waiting.append(None)
                    if done >= CHILD_FROM:
                        child = ChildSegments(ix, PositionsTokenizer)
                        for item in waiting:
                            if item is None:
                                child.cut()
                            else:
                                child.add_prepared(item)
                        waiting.clear()
                if progress is not None and done % report == 0:
                    progress(done)
            if child is not None:
                segments = child.finish()
                self.child_usage = (child.cpu_seconds, child.peak_mb)
            else:
                segments = []
                for item in [*waiting, None]:
                    if item is None:
                        if builder is not None and len(builder):
                            segments.append(builder.finish())
                        builder = None
                        continue
                    if builder is None:
                        builder = SegmentBuilder(ix, PositionsTokenizer)
                    builder.add_prepared(item)
        finally:
            if child is not None:
                child.close()
            if builder is not None:
                builder.close()
        if segments:
            commit_segments(ix, segments)
        if progress is not None and done % report:
            progress(done)
        return done

    def _commit_batch(self, ix: windex.Index, batch: list[dict[str, Any]]) -> int:
        """One batch, one commit. Replacing deletes first, in a commit of its own, and only the
        ids the index already has.

        Whoosh's update_document loses the deletion when the same commit merges the segment
        holding the old version (observed with Whoosh-Reloaded 2.7.5), which would leave
        duplicates behind; a separate delete commit without merging avoids that. The worker
        adds documents that are new almost always: looking their ids up in the term index costs
        microseconds, while a delete commit for nothing cost three quarters of an add at 100,000
        documents (each one rewrites the deletion lists of every segment).
        """
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
                writer.add_document(**whoosh_text(fields))
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
                with self.lock:
                    self.drop_searcher()
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
            count = self._write_segments(ix, docs, progress)
        finally:
            ix.close()
        (path / "VERSION").write_text(self._version + "\n", "ascii")
        old = self._current_name()
        with self.lock:
            self.drop_searcher()
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

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        try:
            with self.lock:
                self.open_current()
            self.probe()
        except SearchError:
            raise
        except CORRUPT as exc:
            raise unreadable(exc) from exc

    def doc_count(self) -> int:
        with self.lock:
            return int(self.searcher().searcher.doc_count())

    def close(self) -> None:
        with self.lock:
            self.drop_searcher()
