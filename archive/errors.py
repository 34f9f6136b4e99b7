"""Typed errors of the archive with stable reason codes shown by CLI, API and UI alike."""

from __future__ import annotations


class ArchiveError(Exception):
    reason = "ARCHIVE_ERROR"

    def __init__(self, detail: str, *, reason: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if reason is not None:
            self.reason = reason


class Conflict(ArchiveError):
    reason = "CONFLICT"


class NotFound(ArchiveError):
    reason = "NOT_FOUND"


class Invalid(ArchiveError):
    reason = "INVALID"
