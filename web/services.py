"""The other parts of the service that pages use, looked up in `WebDeps.services` by name.

The composition root (`diia_inbox/server.py`) puts these keys in; tests build real ones. A
missing service makes only the pages that need it answer 503, never the whole app.

| key | type | used by |
|---|---|---|
| `"search"` | `search.index.SearchBackend` | search page, `/api/v1/search` |
| `"verify_context"` | `Callable[[], verify.validate.ValidationContext]` | manual check |
| `"pipeline"` | `ingest.pipeline.PipelineDeps` | quarantine re-process, "save to archive" |
| `"spool"` | `ingest.spool.Spool` | quarantine (spool items), release |
| `"today"` | `Callable[[], datetime.date]` | QR expiry badges (default: today in UTC) |
| `"trust_dir"` | `pathlib.Path` | trust store page (the data folder's `trust/`) |
| `"retention_days"` | `int` | retention report (default 365) |
| `"reverify"` | `diia_inbox.trust_jobs.TrustJobs` | trust page: re-verify button and progress |
| `"qr_remind_days"` | `int` | QR expiry badge window (default 7) |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from web.app import WebDeps

SEARCH = "search"
VERIFY_CONTEXT = "verify_context"
PIPELINE = "pipeline"
SPOOL = "spool"
TODAY = "today"
TRUST_DIR = "trust_dir"
RETENTION_DAYS = "retention_days"
QR_REMIND_DAYS = "qr_remind_days"
REVERIFY = "reverify"


class ServiceMissing(web.HTTPServiceUnavailable):
    """A page needs a part of the service this installation did not wire."""

    def __init__(self, key: str) -> None:
        super().__init__(text=f"503: service '{key}' is not configured / сервіс не налаштовано")


def need(deps: WebDeps, key: str) -> Any:
    value = deps.services.get(key)
    if value is None:
        raise ServiceMissing(key)
    return value


def today(deps: WebDeps) -> dt.date:
    clock: Callable[[], dt.date] | None = deps.services.get(TODAY)
    return clock() if clock is not None else dt.datetime.now(dt.UTC).date()


def trust_dir(deps: WebDeps) -> Path:
    path = deps.services.get(TRUST_DIR)
    if path is None:
        # The data folder holds keys/ next to trust/ (diia_inbox.config.Config).
        path = deps.keys_dir.parent / "trust"
    return Path(path)


def retention_days(deps: WebDeps) -> int:
    return int(deps.services.get(RETENTION_DAYS, 365))


def remind_days(deps: WebDeps) -> int:
    return int(deps.services.get(QR_REMIND_DAYS, 7))


def verify_context_factory(
    verify_settings: Any,
    trust_dir: Path,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    db: Any = None,
) -> Callable[[], Any]:
    """The `"verify_context"` service: the same trust, revocation and signer policy as the
    pipeline, reloaded when the trust material (database or folder) changes."""
    from ingest.pipeline import context_factory

    return context_factory(verify_settings, trust_dir, clock=clock, db=db)


def standard(
    config: Any,
    *,
    search: Any = None,
    pipeline: Any = None,
    spool: Any = None,
    db: Any = None,
) -> dict[str, Any]:
    """The services of one installation from its Config (duck-typed: `verify`, `trust_dir`,
    `retention.default_days`, `qr.remind_days` when present) plus the live parts given."""
    services: dict[str, Any] = {
        VERIFY_CONTEXT: verify_context_factory(config.verify, config.trust_dir, db=db),
        TRUST_DIR: config.trust_dir,
        RETENTION_DAYS: int(config.retention.default_days),
    }
    remind = getattr(getattr(config, "qr", None), "remind_days", None)
    if remind is not None:
        services[QR_REMIND_DAYS] = int(remind)
    for key, value in ((SEARCH, search), (PIPELINE, pipeline), (SPOOL, spool)):
        if value is not None:
            services[key] = value
    return services
