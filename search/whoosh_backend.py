"""The embedded index: Whoosh files in the data folder, for a single node.

Two concerns, two modules: `search.whoosh_store` keeps the files (generations, the write lock,
repair on open, reconcile, batched writes) and the searcher of the current generation;
`search.whoosh_query` runs a query plan over that searcher. This class is what the rest of the
program sees (`SearchBackend`), and decides what a damaged index met during a search costs:
a fresh searcher first, then a rebuild from the archive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from search.analysis import Analyzer
from search.errors import IndexUnavailable
from search.heap import release_free_heap
from search.index import ArchiveSource, IndexDoc, SearchResult, check_sort
from search.plan import Plan, plan_query
from search.query import parse_query
from search.settings import SearchSettings
from search.whoosh_query import WhooshQuery
from search.whoosh_store import CORRUPT, WhooshStore, unreadable

log = logging.getLogger(__name__)


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
        self.store = WhooshStore(root, settings, source=source, analyzer=analyzer)
        self.root = self.store.root
        self.settings = settings
        self.source = source
        self.analyzer = self.store.analyzer
        self.tz = self.store.tz
        self._query = WhooshQuery(self.analyzer, self.tz)
        if repair:
            self.store.repair_on_open()

    # -- writing -------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Add what the archive has and the index lacks, drop what it no longer has."""
        return self.store.reconcile()

    def add(self, docs: Iterable[IndexDoc]) -> None:
        self.store.add(docs)

    def delete(self, ids: Iterable[int]) -> None:
        self.store.delete(ids)

    def optimize(self) -> None:
        """Merge every segment into one, which drops deleted documents from the files."""
        self.store.optimize()

    def rebuild(
        self, docs: Iterable[IndexDoc], progress: Callable[[int], None] | None = None
    ) -> int:
        return self.store.rebuild(docs, progress)

    # -- searching -----------------------------------------------------------------------

    def search(
        self, query: str, *, limit: int = 20, offset: int = 0, sort: str = "relevance"
    ) -> SearchResult:
        check_sort(sort)
        plan = plan_query(
            parse_query(query, self.tz), self.analyzer, fuzzy_names=self.settings.fuzzy_names
        )
        try:
            try:
                return self._search(plan, limit, offset, sort)
            except CORRUPT:
                # A searcher can meet a segment a concurrent writer just merged away (its
                # files are gone): a fresh searcher sees the new segments. Only if that fails
                # too is the index damaged.
                with self.store.lock:
                    self.store.drop_searcher()
                return self._search(plan, limit, offset, sort)
        except (IndexUnavailable, *CORRUPT) as exc:
            if self.source is None:
                if isinstance(exc, IndexUnavailable):
                    raise
                raise unreadable(exc) from exc
            log.warning("search index unusable (%s): rebuilding", type(exc).__name__)
            with self.store.lock:
                self.store.drop_searcher()
            self.rebuild(self.source.docs())
            return self._search(plan, limit, offset, sort)

    def _search(self, plan: Plan, limit: int, offset: int, sort: str) -> SearchResult:
        try:
            with self.store.lock:
                return self._query.search(self.store.searcher(), plan, limit, offset, sort)
        finally:
            # What the search built per matching document is free now (search.heap).
            release_free_heap()

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        self.store.check()

    def doc_count(self) -> int:
        return self.store.doc_count()

    def close(self) -> None:
        self.store.close()
