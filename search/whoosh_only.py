"""A Whoosh query restricted to documents already known to match it.

A filtered query finds its few matches as sets first (search.whoosh_postings); Whoosh then
scores just those, its matcher leaping from one to the next with skip_to, instead of its
filter stepping through every match of the words to test each against the allowed set.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher
from whoosh.query.wrappers import WrappingQuery
from whoosh.searching import Searcher


class Only(WrappingQuery):  # type: ignore[misc]
    """`child` restricted to documents known to match it (global docnums): its matcher
    leaps from one of them to the next with skip_to and scores them as `child` would."""

    def __init__(self, child: wq.Query, searcher: Searcher, docs: Iterable[int]) -> None:
        super().__init__(child)
        self._local: dict[int, list[int]] = {}
        ordered = sorted(docs)
        for sub, offset in searcher.leaf_searchers():
            end = offset + sub.reader().doc_count_all()
            lo, hi = bisect.bisect_left(ordered, offset), bisect.bisect_left(ordered, end)
            if hi > lo:
                self._local[id(sub)] = [d - offset for d in ordered[lo:hi]]

    def _rewrap(self, child: wq.Query) -> wq.Query:
        return child

    def matcher(self, searcher: Searcher, context: Any = None) -> Any:
        docs = self._local.get(id(searcher))
        if not docs:
            return NullMatcher()
        return OnlyMatcher(self.child.matcher(searcher, context), docs)


class OnlyMatcher(Matcher):  # type: ignore[misc]
    """Steps through sorted `docs` (segment-local) where `child` matches them; the score,
    weight and positions are the child's own, unchanged."""

    def __init__(self, child: Any, docs: list[int], at: int = 0) -> None:
        self.child = child
        self._docs = docs
        self._i = at
        self._sync()

    def _sync(self) -> None:
        docs, child = self._docs, self.child
        while self._i < len(docs) and child.is_active():
            target, here = docs[self._i], child.id()
            if here < target:
                child.skip_to(target)
            elif here == target:
                return
            else:
                self._i = bisect.bisect_left(docs, here, self._i)

    def is_active(self) -> bool:
        return self._i < len(self._docs) and bool(self.child.is_active())

    def id(self) -> int:
        return self._docs[self._i]

    def next(self) -> None:
        self._i += 1
        self._sync()

    def skip_to(self, docnum: int) -> None:
        self._i = bisect.bisect_left(self._docs, docnum, self._i)
        self._sync()

    def all_ids(self) -> Iterable[int]:
        while self.is_active():
            yield self.id()
            self.next()

    def reset(self) -> None:
        self.child.reset()
        self._i = 0
        self._sync()

    def copy(self) -> OnlyMatcher:
        return OnlyMatcher(self.child.copy(), self._docs, self._i)

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else NullMatcher()

    def depth(self) -> int:
        return 1 + int(self.child.depth())

    def children(self) -> list[Any]:
        return [self.child]

    def supports(self, astype: str) -> bool:
        return bool(self.child.supports(astype))

    def supports_block_quality(self) -> bool:
        return False

    def value(self) -> Any:
        return self.child.value()

    def value_as(self, astype: str) -> Any:
        return self.child.value_as(astype)

    def spans(self) -> Any:
        return self.child.spans()

    def weight(self) -> float:
        return float(self.child.weight())

    def score(self) -> float:
        return float(self.child.score())
