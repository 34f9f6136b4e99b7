"""The other parts of the service that pages use, as one typed, frozen value.

The composition root (`diia_inbox/wiring.py`) builds it from the configuration; tests build
real ones. A part an installation (or a test) did not wire is None, and only the pages that
need it answer 503, never the whole app. Typed fields instead of string keys: a misspelt
service is a type error, not a 503 at run time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from aiohttp import web

from ingest.manual import FileChecked
from ingest.requeue import Reprocess
from ingest.spool import Spool
from search.index import SearchBackend
from search.persons import Matcher
from search.persons import Request as Subject
from verify.validate import ValidationContext

if TYPE_CHECKING:
    from web.app import WebDeps

T = TypeVar("T")


class Reverifier(Protocol):
    """Re-verification of the stored copies (diia_inbox.trust_jobs.TrustJobs in `serve`)."""

    #: A run in progress (running, done, total) or the last result (last, last_at).
    status: Any

    def request(self, selection: Any = "all") -> None: ...


#: The web's data-subject erasure: (subject, actor, remote address, copies, matcher) -> report
#: (diia_inbox.privacy.erase on this process's index, in `serve`).
SubjectEraser = Callable[[Subject, str, str, Sequence[int] | None, Matcher], Any]


@dataclass(frozen=True)
class WebServices:
    #: Search page, `/api/v1/search`, indexing a copy saved from the manual check.
    search: SearchBackend | None = None
    #: The manual check: the same trust, revocation and signer policy as the pipeline.
    verify_context: Callable[[], ValidationContext] | None = None
    #: The manual check's "save to archive": `ingest.manual.file_checked` on the pipeline's
    #: parts (the same filing, extraction and index as received mail).
    file_checked: FileChecked | None = None
    #: Quarantine re-process: `ingest.requeue.reprocess` on the pipeline.
    reprocess: Reprocess | None = None
    #: Quarantine (spool items), release.
    spool: Spool | None = None
    #: QR expiry badges and the trust page's days left (default: today in UTC).
    today: Callable[[], dt.date] | None = None
    #: Trust store page: the data folder's `trust/` (default: beside keys/).
    trust_dir: Path | None = None
    #: Retention report.
    retention_days: int = 365
    #: QR expiry badge window.
    qr_remind_days: int = 7
    #: Trust page: the re-verify button and its progress.
    reverify: Reverifier | None = None
    #: Subjects page: erasure.
    subject_erase: SubjectEraser | None = None


class ServiceMissing(web.HTTPServiceUnavailable):
    """A page needs a part of the service this installation did not wire."""

    def __init__(self, key: str) -> None:
        super().__init__(text=f"503: service '{key}' is not configured / сервіс не налаштовано")


def need(value: T | None, name: str) -> T:
    """`value`, or a 503 naming the service when this installation did not wire it."""
    if value is None:
        raise ServiceMissing(name)
    return value


def today(deps: WebDeps) -> dt.date:
    clock = deps.services.today
    return clock() if clock is not None else dt.datetime.now(dt.UTC).date()


def trust_dir(deps: WebDeps) -> Path:
    # The data folder holds keys/ next to trust/ (diia_inbox.config.Config).
    return deps.services.trust_dir or deps.keys_dir.parent / "trust"


def retention_days(deps: WebDeps) -> int:
    return deps.services.retention_days


def remind_days(deps: WebDeps) -> int:
    return deps.services.qr_remind_days
