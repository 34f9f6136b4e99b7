"""Service-wide metrics that no single package owns, on one explicit prometheus-client registry.

`service_registry()` makes the registry `serve` exports at `/metrics`: the process and Python
collectors, then each part adds its own (ingest counters, search latency, the archive gauges
read from the database at scrape time, readiness). Nothing is registered in the library's
global default registry. Every metric name is listed in docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from archive.db import Database
from archive.models import Document
from verify import native

log = logging.getLogger("diia_inbox.metrics")

SEARCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def service_registry() -> CollectorRegistry:
    """A fresh registry with the standard process (CPU, memory, open files) and Python
    (version, garbage collector) collectors, as any Prometheus target exports them."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    crypto_info(registry)
    return registry


def crypto_info(registry: CollectorRegistry) -> None:
    """Which implementation computes GOST 34.311, Kupyna and DSTU 4145 in this process: an
    installation that lost its C accelerator (no compiler at install time, or
    DIIA_INBOX_NATIVE=0) verifies ~30 times slower, and an operator should see why."""
    Info(
        "diia_inbox_crypto",
        "Implementation of the Ukrainian algorithms in this process.",
        registry=registry,
    ).info(
        {
            "implementation": native.implementation(),
            "extension_built": "yes" if native.extension_built() else "no",
        }
    )


class TimedSearch:
    """A search backend whose `search` calls are timed into a histogram; the rest passes on."""

    def __init__(self, backend: Any, registry: CollectorRegistry | None = None) -> None:
        self._backend = backend
        self.registry = registry if registry is not None else CollectorRegistry()
        self._seconds = Histogram(
            "diia_inbox_search_seconds",
            "Search query latency.",
            buckets=SEARCH_BUCKETS,
            registry=self.registry,
        )

    def search(self, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return self._backend.search(*args, **kwargs)
        finally:
            self._seconds.observe(time.perf_counter() - start)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


class ArchiveCollector(Collector):
    """Documents by verification result and QR codes expiring, read from the archive when
    scraped (gauges of the archive's state, not counters of this process's work, so that every
    node of a cluster reports the same figures)."""

    def __init__(self, db: Database, today: Callable[[], dt.date], remind_days: int) -> None:
        self.db, self.today, self.remind_days = db, today, remind_days

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from qrtools.expiry import expired_count, expiring_count

        documents = GaugeMetricFamily(
            "diia_inbox_documents",
            "Archived documents by signature verification result.",
            labels=["indication"],
        )
        expiring = GaugeMetricFamily(
            "diia_inbox_qr_codes_expiring",
            "QR codes in use that expire within the warning period.",
        )
        expired = GaugeMetricFamily(
            "diia_inbox_qr_codes_expired", "QR codes in use that have expired."
        )
        try:
            with self.db.session() as s:
                rows = s.execute(
                    select(Document.indication, func.count(Document.id)).group_by(
                        Document.indication
                    )
                ).all()
                day = self.today()
                n_expiring = expiring_count(s, day, self.remind_days)
                n_expired = expired_count(s, day)
        except Exception as exc:  # the rest of /metrics must still answer without a database
            log.warning("archive metrics unavailable: %s", type(exc).__name__)
            return
        for indication, n in sorted(rows, key=lambda r: str(r[0])):
            documents.add_metric([str(indication)], n)
        expiring.add_metric([], n_expiring)
        expired.add_metric([], n_expired)
        yield from (documents, expiring, expired)
