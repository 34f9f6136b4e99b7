"""Typed errors of search with stable reason codes shown by CLI, API and UI alike."""

from __future__ import annotations


class SearchError(Exception):
    reason = "SEARCH_ERROR"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class QueryError(SearchError):
    """The query text cannot be understood; `reason` says which rule it broke."""

    reason = "QUERY_INVALID"


class IndexUnavailable(SearchError):
    """The index cannot be opened or rebuilt (used by /healthz)."""

    reason = "INDEX_UNAVAILABLE"
