"""The forgiving tier (issue 13 item 7), decided once for both backends.

A query's exact keys make the first tier. A word may also match as a prefix, and a name with a
typo or two (`search.plan`): that is the forgiving tier. Sorted by relevance, whatever only the
forgiving tier finds ranks below every exact match, and paging runs across both tiers; sorted
by date the tiers mix (newest first, whichever matched). A query with nothing to forgive has
one tier. The backends differ only in how they express it: PostgreSQL orders by an "exact"
column in one statement, Whoosh runs the tiers one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from search.plan import FUZZY_PREFIX, Plan


@dataclass(frozen=True)
class Tiers:
    #: Whether the forgiving matches are searched at all.
    forgiving: bool
    #: Whether they come after every exact match (else they mix with the exact ones).
    separate: bool


def tiers(plan: Plan, sort: str) -> Tiers:
    """How a query's tiers run: by date (or with no words to rank) they mix."""
    by_date = sort == "date" or not plan.terms
    forgiving = plan.forgiving
    return Tiers(forgiving=forgiving, separate=forgiving and not by_date)


def forgiving_window(
    offset: int, limit: int, exact_total: int, exact_shown: int
) -> tuple[int, int]:
    """The part of the forgiving tier a page shows, when the exact tier had `exact_total`
    matches and this page shows `exact_shown` of them: (offset, limit) within the forgiving
    tier's own ranking."""
    return max(0, offset - exact_total), max(0, limit - exact_shown)


def within_typos(word: str, key: str, typos: int) -> bool:
    """Whether a name's key `word` is a forgiving match of the query key `key`: the first
    FUZZY_PREFIX letters equal, and at most `typos` edits (Levenshtein: a letter replaced,
    added or dropped) in all. PostgreSQL checks the same with `left()` and fuzzystrmatch's
    `levenshtein`; Whoosh's lexicon is walked with this.

    Banded: only cells within `typos` of the diagonal can stay within the bound, and a row
    whose every cell exceeds it ends the comparison.
    """
    if word[:FUZZY_PREFIX] != key[:FUZZY_PREFIX] or abs(len(word) - len(key)) > typos:
        return False
    a, b = word[FUZZY_PREFIX:], key[FUZZY_PREFIX:]
    if a == b:
        return True
    over = typos + 1
    n = len(b)
    previous = list(range(n + 1))
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        lo, hi = max(1, i - typos), min(n, i + typos)
        current = [over] * (n + 1)
        if i <= typos:
            current[0] = i
        best = current[0]
        for j in range(lo, hi + 1):
            cell = previous[j - 1] if ca == b[j - 1] else previous[j - 1] + 1
            if previous[j] + 1 < cell:
                cell = previous[j] + 1
            if current[j - 1] + 1 < cell:
                cell = current[j - 1] + 1
            current[j] = cell
            if cell < best:
                best = cell
        if best > typos:
            return False
        previous = current
    return previous[n] <= typos
