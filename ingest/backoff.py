"""One back-off for every retry of the ingest side, whatever failed.

A spool item that failed (database, disk, a bug), a worker loop that cannot even claim, an IMAP
account that cannot be reached: each waits `Backoff.delay(step)` before its next try, doubling
from `base` to `cap`. Retrying faster helps nothing and, on a full disk, makes it worse: every
try writes a log line, and the log is on the same disk.

`StepLog` is the other half: a warning about one subject (an item, the worker loop, an account)
is written once per back-off step, never once per try, however the tries come about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before try `step + 1`, after `step` failures: base, 2 base, ... cap."""

    base: float = 30.0
    cap: float = 3600.0

    def delay(self, step: int) -> float:
        if step < 1:
            return 0.0
        return float(min(self.base * 2 ** min(step - 1, 62), self.cap))


class StepLog:
    """Warnings keyed by subject, each written at most once per back-off step of that subject."""

    MAX_SUBJECTS = 10_000

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._logged: dict[str, int] = {}

    def warning(
        self, subject: str, step: int, msg: str, *args: Any, logger: logging.Logger | None = None
    ) -> bool:
        """Log unless this subject's warning for `step` (or a later one) was already written.

        `logger` names the part that speaks (the worker about an item the spool also tracks).
        """
        if self._logged.get(subject, -1) >= step:
            return False
        if len(self._logged) >= self.MAX_SUBJECTS:
            self._logged.clear()  # bounded memory; at worst one repeated line per subject
        self._logged[subject] = step
        (logger or self._logger).warning(msg, *args)
        return True

    def forget(self, subject: str) -> None:
        """The subject recovered: its next failure starts again at step 1."""
        self._logged.pop(subject, None)
