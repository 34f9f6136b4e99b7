"""Service-wide metrics that no single package owns: verification results and QR expiry
(read from the archive when scraped) and search latency (measured around the backend).

The ingest counters live in ingest.metrics; /metrics concatenates all sources.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from archive.db import Database
from archive.models import Document

SEARCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class TimedSearch:
    """A search backend whose `search` calls are timed into a histogram; the rest passes on."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self._counts = [0] * (len(SEARCH_BUCKETS) + 1)
        self._sum = 0.0

    def search(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._backend.search(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            with self._lock:
                self._counts[bisect.bisect_left(SEARCH_BUCKETS, elapsed)] += 1
                self._sum += elapsed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def render_prometheus(self) -> str:
        with self._lock:
            counts, total = list(self._counts), self._sum
        lines = [
            "# HELP diia_inbox_search_seconds Search query latency.",
            "# TYPE diia_inbox_search_seconds histogram",
        ]
        running = 0
        for bound, n in zip((*SEARCH_BUCKETS, "+Inf"), counts, strict=True):
            running += n
            lines.append(f'diia_inbox_search_seconds_bucket{{le="{bound}"}} {running}')
        lines += [
            f"diia_inbox_search_seconds_sum {total:.6f}",
            f"diia_inbox_search_seconds_count {running}",
        ]
        return "\n".join(lines) + "\n"


def archive_metrics(db: Database, today: Callable[[], dt.date], remind_days: int) -> str:
    """Documents by verification result and QR codes expiring, as gauges."""
    from qrtools.expiry import expired_count, expiring_count

    with db.session() as s:
        rows = s.execute(
            select(Document.indication, func.count(Document.id)).group_by(Document.indication)
        ).all()
        day = today()
        expiring = expiring_count(s, day, remind_days)
        expired = expired_count(s, day)
    lines = [
        "# HELP diia_inbox_documents Archived documents by signature verification result.",
        "# TYPE diia_inbox_documents gauge",
        *(f'diia_inbox_documents{{indication="{ind}"}} {n}' for ind, n in sorted(rows)),
        "# HELP diia_inbox_qr_codes_expiring QR codes in use that expire within the warning "
        "period.",
        "# TYPE diia_inbox_qr_codes_expiring gauge",
        f"diia_inbox_qr_codes_expiring {expiring}",
        "# HELP diia_inbox_qr_codes_expired QR codes in use that have expired.",
        "# TYPE diia_inbox_qr_codes_expired gauge",
        f"diia_inbox_qr_codes_expired {expired}",
    ]
    return "\n".join(lines) + "\n"
