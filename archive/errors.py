"""Typed errors of the archive with stable reason codes shown by CLI, API and UI alike.

Also the project's one error contract (`Reasoned`, `reason_of`): every exception class of the
project carries a stable, upper-case `reason` code, which the CLI, the API and the UI print and
operators grep for, while the message is for people. `verify` keeps the same contract with its
own base (it imports nothing of ours); tests/test_error_contract.py walks the packages and fails
on an exception class without a code.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Reasoned(Protocol):
    """An error with a stable reason code (`"SPOOL_UNAVAILABLE"`), the same in every release."""

    reason: str


def reason_of(exc: BaseException, default: str | None = None) -> str:
    """The stable code of `exc`; for an exception from outside the project (an `OSError`, a
    library's error), `default`, else its class name, which is at least stable per class."""
    if isinstance(exc, Reasoned) and isinstance(exc.reason, str):
        return exc.reason
    return default if default is not None else type(exc).__name__


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
