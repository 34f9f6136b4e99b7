"""Counters of mail ingestion, exported through prometheus-client for `/metrics`.

One `IngestMetrics` object is created by the composition root with the service's registry and
handed to the receiver, the worker and the web app; nothing is registered globally (a second
installation in the same process, or a test, gets its own registry). prometheus-client's
metrics are thread-safe, so the worker may count from threads while the receiver counts on
the event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

#: Stable reasons for `rejected`; the receiver uses only these, so dashboards can rely on them.
REJECT_REASONS = (
    "unknown_recipient",
    "too_many_recipients",
    "message_too_big",
    "tls_required",
    "connection_limit",
    "timeout",
    "policy_unavailable",
    "spool_error",
)

#: Upper bounds (seconds) of the processing-time histogram buckets.
PROCESSING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class IngestMetrics:
    def __init__(
        self,
        queue_depth: Callable[[], int] | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._received = Counter(
            "diia_inbox_messages_received", "Messages accepted (answered 250).", registry=r
        )
        self._received_bytes = Counter(
            "diia_inbox_received_bytes", "Bytes of accepted messages.", registry=r
        )
        self._rejected = Counter(
            "diia_inbox_messages_rejected",
            "Messages or recipients refused, by reason.",
            ["reason"],
            registry=r,
        )
        for reason in REJECT_REASONS:
            self._rejected.labels(reason)
        self._connections = Counter(
            "diia_inbox_smtp_connections", "SMTP/LMTP connections accepted.", registry=r
        )
        self._processed = Counter(
            "diia_inbox_messages_processed", "Messages the worker finished.", registry=r
        )
        self._quarantined = Counter(
            "diia_inbox_messages_quarantined", "Messages set aside.", registry=r
        )
        self._seconds = Histogram(
            "diia_inbox_processing_seconds",
            "Time to process one message.",
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        if queue_depth is not None:
            depth = Gauge(
                "diia_inbox_queue_depth", "Messages in the spool not yet processed.", registry=r
            )
            depth.set_function(lambda: _or_minus_one(queue_depth))

    # -- receiver ------------------------------------------------------------------------

    def count_received(self, size: int) -> None:
        self._received.inc()
        self._received_bytes.inc(size)

    def count_rejected(self, reason: str) -> None:
        self._rejected.labels(reason).inc()

    def count_connection(self) -> None:
        self._connections.inc()

    # -- worker --------------------------------------------------------------------------

    def count_processed(self, seconds: float) -> None:
        self._processed.inc()
        self._seconds.observe(seconds)

    def count_quarantined(self) -> None:
        self._quarantined.inc()

    # -- reading back (tests, the CLI) ---------------------------------------------------

    def _value(self, name: str, labels: dict[str, str] | None = None) -> int:
        return int(self.registry.get_sample_value(name, labels or {}) or 0)

    @property
    def received(self) -> int:
        return self._value("diia_inbox_messages_received_total")

    @property
    def received_bytes(self) -> int:
        return self._value("diia_inbox_received_bytes_total")

    @property
    def rejected(self) -> dict[str, int]:
        out = dict.fromkeys(REJECT_REASONS, 0)
        for metric in self._rejected.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    out[sample.labels["reason"]] = int(sample.value)
        return out

    @property
    def processed(self) -> int:
        return self._value("diia_inbox_messages_processed_total")

    @property
    def quarantined(self) -> int:
        return self._value("diia_inbox_messages_quarantined_total")

    @property
    def connections(self) -> int:
        return self._value("diia_inbox_smtp_connections_total")

    def render_prometheus(self) -> str:
        """This registry in the Prometheus text format (the service renders its whole one)."""
        return generate_latest(self.registry).decode()


def _or_minus_one(read: Callable[[], int]) -> float:
    """A gauge read at scrape time: -1 says "could not be read" rather than failing /metrics."""
    try:
        return float(read())
    except OSError:
        return -1.0
